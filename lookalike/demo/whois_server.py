"""A loopback WHOIS server (RFC 3912: one query line in, text out, close) for the tests and the demo.

One class plays every kind of WHOIS server: a registry (thin or thick), a registrar, or IANA (with
``refer``, it answers a TLD, or a name under it, the way whois.iana.org does). It records each query
with its arrival time, and misbehaves on request: a slow answer, an answer that never ends, a close
without an answer, bytes that are not UTF-8 (files are served byte for byte).

    async with WhoisServer(Path("tests/data/registry/whois/registry")) as registry:
        endpoints = Endpoints(whois_servers={"com": registry.address}, whois_iana=None)

A directory of responses holds ``<query>.txt`` files and an optional ``server.toml``::

    [responses."kestrelsystems.com"]
    file = "verisign-thin.txt"
    [responses."kestrel-slow.de"]
    file = "denic.txt"
    delay = 30.0

A response table takes ``file`` or ``body``, ``delay`` (seconds before answering), ``endless`` (keep
sending after the body until the client hangs up), ``silent`` (close without a byte) and ``drip``
(seconds between lines). A ``sequence`` of such tables is served in order; its last entry repeats.
``{{address}}`` in an answer becomes this server's ``host:port``; ``substitutions`` add more names.
A query nobody configured gets ``default`` (Verisign's "No match for" unless given).
"""

from __future__ import annotations

import asyncio
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lookalike.endpoints import HostPort
from lookalike.inputs import read_bytes

MAX_RECORDING = 4 << 20
"""Bytes read of one recorded answer (or a fault's body); a larger file is refused."""
MAX_QUERY = 1024


@dataclass(frozen=True, slots=True)
class WhoisResponse:
    """One answer the server gives, and how."""

    body: str | bytes = b""
    delay: float = 0.0
    """Seconds to wait before answering."""
    endless: bool = False
    """After the body, keep sending filler lines until the client hangs up."""
    silent: bool = False
    """Close the connection without sending anything."""
    drip: float = 0.0
    """Seconds to wait between lines (a server that trickles)."""

    def payload(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


ResponseSpec = str | bytes | WhoisResponse | Sequence[WhoisResponse]


@dataclass(frozen=True, slots=True)
class WhoisQuery:
    """One query as the server saw it."""

    at: float
    """``time.monotonic()`` when the query line had arrived."""
    query: str


def load_responses(directory: Path) -> dict[str, ResponseSpec]:
    """The responses a directory describes (see the module docstring)."""
    responses: dict[str, ResponseSpec] = {}
    for path in sorted(directory.glob("*.txt")):
        responses[path.stem.lower()] = WhoisResponse(body=read_bytes(path, MAX_RECORDING))
    config = directory / "server.toml"
    if config.is_file():
        tables = tomllib.loads(config.read_text("utf-8")).get("responses", {})
        for key, table in tables.items():
            if "sequence" in table:
                responses[key.lower()] = tuple(_response(directory, item) for item in table["sequence"])
            else:
                responses[key.lower()] = _response(directory, table)
    return responses


def _response(directory: Path, table: Mapping[str, Any]) -> WhoisResponse:
    body: str | bytes = b""
    if "file" in table:
        body = read_bytes(directory / str(table["file"]), MAX_RECORDING)
    elif "body" in table:
        body = str(table["body"])
    return WhoisResponse(
        body=body,
        delay=float(table.get("delay", 0.0)),
        endless=bool(table.get("endless", False)),
        silent=bool(table.get("silent", False)),
        drip=float(table.get("drip", 0.0)),
    )


def iana_answer(query: str, refer: str | None) -> str:
    """An answer in whois.iana.org's format for a TLD whose WHOIS server is ``refer`` (None: none)."""
    tld = query.rsplit(".", 1)[-1].upper()
    lines = [
        "% IANA WHOIS server",
        "% for more information on IANA, visit http://www.iana.org",
        "% This query returned 1 object",
        "",
    ]
    if refer:
        lines += [f"refer:        {refer}", ""]
    lines += [
        f"domain:       {tld}",
        "",
        f"organisation: Registry of .{tld.lower()} (loopback)",
        "address:      127.0.0.1",
        "",
        f"whois:        {refer or ''}",
        "",
        "status:       ACTIVE",
        "remarks:      Registration information: http://127.0.0.1/",
        "",
        "created:      1985-01-01",
        "changed:      2024-01-01",
        "source:       IANA",
        "",
    ]
    return "\n".join(lines)


class WhoisServer:
    """A WHOIS server on loopback. An async context manager; ``address`` once entered."""

    def __init__(
        self,
        responses: Mapping[str, ResponseSpec] | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        refer: Mapping[str, str] | None = None,
        substitutions: Mapping[str, str] | None = None,
        default: str | bytes | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._responses: dict[str, ResponseSpec] = {}
        self._served: dict[str, int] = {}
        self.refer: dict[str, str] = {k.lower().strip("."): v for k, v in (refer or {}).items()}
        """TLD -> WHOIS server (``host`` or ``host:port``; "" for none): answer like IANA for these."""
        self.substitutions: dict[str, str] = dict(substitutions or {})
        self.default = default
        self.queries: list[WhoisQuery] = []
        self.in_flight = 0
        """Requests being answered right now."""
        self.max_in_flight = 0
        """The most requests ever answered at once (what a per-server concurrency limit must bound)."""
        self.address = HostPort(host, port)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.update(responses, replace=True)

    def update(self, responses: Mapping[str, ResponseSpec] | Path, *, replace: bool = False) -> None:
        """Change what the server answers. ``replace`` drops the old answers; otherwise the new ones are
        added over them. Sequences start again from their first entry."""
        new = load_responses(responses) if isinstance(responses, Path) else dict(responses)
        if replace:
            self._responses.clear()
            self._served.clear()
        for key, spec in new.items():
            self._responses[key.lower()] = spec
            self._served.pop(key.lower(), None)

    def count(self, query: str) -> int:
        """How many times ``query`` was asked."""
        return sum(1 for q in self.queries if q.query == query.lower())

    async def __aenter__(self) -> WhoisServer:
        self._server = await asyncio.start_server(self._handle, self._host, self._port)
        sockname = self._server.sockets[0].getsockname()
        self.address = HostPort(sockname[0], sockname[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _pick(self, query: str) -> WhoisResponse:
        spec = self._responses.get(query)
        if spec is None:
            tld = query.rsplit(".", 1)[-1]
            if query in self.refer or (tld in self.refer and "." in query):
                return WhoisResponse(iana_answer(query, self.refer.get(query, self.refer.get(tld))))
            if self.default is not None:
                return WhoisResponse(self.default)
            return WhoisResponse(
                f'No match for "{query.upper()}".\r\n>>> Last update of whois database: '
                f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} <<<\r\n"
            )
        if isinstance(spec, str | bytes):
            return WhoisResponse(spec)
        if isinstance(spec, WhoisResponse):
            return spec
        served = self._served.get(query, 0)
        self._served[query] = served + 1
        return spec[min(served, len(spec) - 1)] if spec else WhoisResponse(silent=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(reader, writer)
            writer.close()  # close(), not abort(): what is still buffered must reach the client
            async with asyncio.timeout(5):
                await writer.wait_closed()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.transport.abort()
        except asyncio.CancelledError:
            writer.transport.abort()
            raise
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with asyncio.timeout(10):
            line = await reader.readline()
        query = line[:MAX_QUERY].decode("utf-8", "replace").strip().lower()
        self.queries.append(WhoisQuery(time.monotonic(), query))
        response = self._pick(query)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._answer(writer, response)
        finally:
            self.in_flight -= 1

    async def _answer(self, writer: asyncio.StreamWriter, response: WhoisResponse) -> None:
        if response.delay:
            await asyncio.sleep(response.delay)
        if response.silent:
            return
        body = response.payload()
        for name, value in {"address": str(self.address), **self.substitutions}.items():
            body = body.replace(b"{{" + name.encode() + b"}}", value.encode())
        if response.drip:
            for piece in body.splitlines(keepends=True):
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(response.drip)
        else:
            writer.write(body)
            await writer.drain()
        if response.endless:
            filler = b"% and more, and more, and more " + b"." * 480 + b"\r\n"
            while True:  # until the client hangs up (ConnectionError) or the server stops (cancelled)
                writer.write(filler * 64)
                await writer.drain()
