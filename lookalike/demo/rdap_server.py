"""A loopback RDAP server (HTTP/1.1, plain text on 127.0.0.1) for the tests and the demo universe.

It serves recorded RDAP documents and misbehaves on request: 404, 429 with ``Retry-After``, 5xx, a
slow answer, a body that never ends, malformed JSON, a gzip-compressed body, a gzip bomb (a few hundred
KiB that inflate to hundreds of MiB), redirects anywhere (``headers = { Location = ... }``). Each
request is recorded with its arrival time, so a test can count what reached the server and how fast.

    async with RdapServer(Path("tests/data/registry/rdap")) as server:
        bootstrap = server.bootstrap_file(["com", "org"], tmp_path / "dns.json")

A directory of responses holds ``<domain>.json`` files (served at ``/domain/<domain>``) and an
optional ``server.toml`` that maps keys to files and behaviours::

    [responses."kestrel-busy.com"]          # a domain: served at /domain/kestrel-busy.com
    sequence = [{ status = 429, retry_after = "1" }, { file = "registry/kestrelsystems.com.json" }]

    [responses."/registrar/domain/kestrelsystems.com"]   # a key starting with "/" is an exact path
    file = "registrar/kestrelsystems.com.json"

A response table takes ``file`` or ``body``, ``status``, ``content_type``, ``retry_after``, ``delay``
(seconds before answering), ``endless`` (keep sending after the body until the client hangs up),
``gzip`` (send the body gzip-compressed), ``bomb`` (send, gzip-compressed, that many bytes of white
space after the body) and ``headers``. A ``sequence`` is served in order, one per request; its last
entry then repeats.
``{{base_url}}`` in a body becomes this server's base URL, and ``substitutions`` add more names.

Nothing here is used by a real scan against the Internet: it exists to be asked, on loopback.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
import tomllib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from ssl import SSLContext
from typing import Any
from urllib.parse import unquote

from lookalike.endpoints import HostPort
from lookalike.inputs import read_bytes

MAX_RECORDING = 4 << 20
"""Bytes read of one recorded answer (or a fault's body); a larger file is refused."""
MAX_REQUEST_HEAD = 16 * 1024


@dataclass(frozen=True, slots=True)
class RdapResponse:
    """One answer the server gives, and how."""

    body: bytes | str | Mapping[str, Any] | None = None
    """A JSON document (a mapping is dumped), raw text or bytes; None: an RFC 9083 error object."""
    status: int = 200
    content_type: str = "application/rdap+json"
    retry_after: str | None = None
    """The ``Retry-After`` header's value, when there is one (seconds, or an HTTP date)."""
    delay: float = 0.0
    """Seconds to wait before answering."""
    endless: bool = False
    """After the body, keep sending filler until the client hangs up."""
    headers: Mapping[str, str] = field(default_factory=dict)
    gzip: bool = False
    """Send the body gzip-compressed (``Content-Encoding: gzip``)."""
    bomb: int = 0
    """Send the body followed by this many bytes of white space, gzip-compressed: a few hundred KiB on
    the wire for hundreds of MiB once inflated."""

    def payload(self) -> bytes:
        if self.body is None:
            phrase = _phrase(self.status)
            document = {"errorCode": self.status, "title": phrase, "description": [f"{phrase}."]}
            return json.dumps(document).encode()
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, ensure_ascii=False, indent=1).encode("utf-8")


ResponseSpec = RdapResponse | Sequence[RdapResponse]


@dataclass(frozen=True, slots=True)
class RdapRequest:
    """One request as the server saw it."""

    at: float
    """``time.monotonic()`` when the request head had arrived."""
    method: str
    path: str
    domain: str | None
    """The name asked for, for ``/domain/<name>`` paths."""
    host: str
    """The Host header."""


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def load_responses(directory: Path) -> dict[str, ResponseSpec]:
    """The responses a directory describes (see the module docstring)."""
    responses: dict[str, ResponseSpec] = {}
    for path in sorted(directory.glob("*.json")):
        responses[path.stem.lower()] = RdapResponse(body=read_bytes(path, MAX_RECORDING))
    config = directory / "server.toml"
    if config.is_file():
        tables = tomllib.loads(config.read_text("utf-8")).get("responses", {})
        for key, table in tables.items():
            if "sequence" in table:
                responses[_key(key)] = tuple(_response(directory, item) for item in table["sequence"])
            else:
                responses[_key(key)] = _response(directory, table)
    return responses


def _key(key: str) -> str:
    """Paths and domains alike are matched without regard to case (``/domain/KESTREL.COM``)."""
    return key.strip().lower() if key.startswith("/") else key.strip().rstrip(".").lower()


def _response(directory: Path, table: Mapping[str, Any]) -> RdapResponse:
    body: bytes | str | None = None
    if "file" in table:
        body = read_bytes(directory / str(table["file"]), MAX_RECORDING)
    elif "body" in table:
        body = str(table["body"])
    return RdapResponse(
        body=body,
        status=int(table.get("status", 200)),
        content_type=str(table.get("content_type", "application/rdap+json")),
        retry_after=str(table["retry_after"]) if "retry_after" in table else None,
        delay=float(table.get("delay", 0.0)),
        endless=bool(table.get("endless", False)),
        headers={str(k): str(v) for k, v in table.get("headers", {}).items()},
        gzip=bool(table.get("gzip", False)),
        bomb=int(table.get("bomb", 0)),
    )


@lru_cache(maxsize=4)
def gzip_bomb(prefix: bytes, size: int) -> bytes:
    """``prefix`` and ``size`` bytes of spaces, gzip-compressed a mebibyte at a time (never held whole)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(prefix)]
    block = b" " * (1 << 20)
    for start in range(0, size, len(block)):
        parts.append(packer.compress(block[: size - start]))
    parts.append(packer.flush())
    return b"".join(parts)


class RdapServer:
    """An RDAP server on loopback. An async context manager; ``base_url`` once entered."""

    def __init__(
        self,
        responses: Mapping[str, ResponseSpec] | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        substitutions: Mapping[str, str] | None = None,
        ssl: SSLContext | None = None,
        name: str | None = None,
    ) -> None:
        """``ssl`` serves HTTPS with that context; ``name`` is the host name ``base_url`` uses instead
        of the address (the client must then resolve it, through its own resolver, to this address)."""
        self._host = host
        self._ssl = ssl
        self.name = name
        self._port = port
        self._responses: dict[str, ResponseSpec] = {}
        self._served: dict[str, int] = {}
        self.substitutions: dict[str, str] = dict(substitutions or {})
        self.requests: list[RdapRequest] = []
        self.in_flight = 0
        """Requests being answered right now."""
        self.max_in_flight = 0
        """The most requests ever answered at once (what a per-server concurrency limit must bound)."""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.address = HostPort(host, port)
        self.update(responses, replace=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/``: what a bootstrap file lists for this server."""
        host = self.name or self.address.host
        host = f"[{host}]" if ":" in host else host
        return f"{'https' if self._ssl else 'http'}://{host}:{self.address.port}/"

    def update(self, responses: Mapping[str, ResponseSpec] | Path, *, replace: bool = False) -> None:
        """Change what the server answers (between two scans, say). ``replace`` drops the old answers;
        otherwise the new ones are added over them. Sequences start again from their first entry."""
        new = load_responses(responses) if isinstance(responses, Path) else dict(responses)
        if replace:
            self._responses.clear()
            self._served.clear()
        for key, spec in new.items():
            self._responses[_key(key)] = spec
            self._served.pop(_key(key), None)

    def bootstrap_file(self, tlds: Iterable[str], path: Path) -> Path:
        """Write an RFC 9224 bootstrap file sending ``tlds`` to this server; return its path."""
        document = {
            "description": "RDAP bootstrap file for a loopback test universe",
            "publication": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "services": [[sorted({t.strip(".").lower() for t in tlds}), [self.base_url]]],
            "version": "1.0",
        }
        path.write_text(json.dumps(document, indent=2), "utf-8")
        return path

    def count(self, domain: str) -> int:
        """How many requests asked for ``domain``."""
        return sum(1 for r in self.requests if r.domain == domain.lower())

    async def __aenter__(self) -> RdapServer:
        self._server = await asyncio.start_server(self._handle, self._host, self._port, ssl=self._ssl)
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

    def _pick(self, key: str) -> RdapResponse | None:
        spec = self._responses.get(key)
        if spec is None or isinstance(spec, RdapResponse):
            return spec
        if not spec:
            return None
        served = self._served.get(key, 0)
        self._served[key] = served + 1
        return spec[min(served, len(spec) - 1)]

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
            head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_REQUEST_HEAD:
            await self._send(writer, RdapResponse(status=431))
            return
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            await self._send(writer, RdapResponse(status=400))
            return
        method, target = parts[0], parts[1]
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        path = unquote(target.split("?", 1)[0])
        domain = None
        if path.startswith("/domain/"):
            domain = path[len("/domain/") :].strip().rstrip(".").lower()
        self.requests.append(RdapRequest(time.monotonic(), method, path, domain, headers.get("host", "")))
        if method != "GET":
            await self._send(writer, RdapResponse(status=405))
            return
        response = self._pick(path.lower()) or (self._pick(domain) if domain is not None else None)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._send(writer, response or RdapResponse(status=404))
        finally:
            self.in_flight -= 1

    async def _send(self, writer: asyncio.StreamWriter, response: RdapResponse) -> None:
        if response.delay:
            await asyncio.sleep(response.delay)
        body = response.payload()
        for name, value in {"base_url": self.base_url, **self.substitutions}.items():
            body = body.replace(b"{{" + name.encode() + b"}}", value.encode())
        head = [
            f"HTTP/1.1 {response.status} {_phrase(response.status)}",
            f"Content-Type: {response.content_type}",
        ]
        if response.bomb:
            body = gzip_bomb(body, response.bomb)
            head.append("Content-Encoding: gzip")
        elif response.gzip:
            body = gzip.compress(body)
            head.append("Content-Encoding: gzip")
        if not response.endless:
            head.append(f"Content-Length: {len(body)}")
        if response.retry_after is not None:
            head.append(f"Retry-After: {response.retry_after}")
        head += [f"{k}: {v}" for k, v in response.headers.items()]
        head.append("Connection: close")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        if response.endless:
            filler = b" " * 65536
            while True:  # until the client hangs up (ConnectionError) or the server stops (cancelled)
                writer.write(filler)
                await writer.drain()
