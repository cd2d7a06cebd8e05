"""The only way out of the browser: a SOCKS5 gate that lets one page reach the addresses lookalike
resolved, and nothing else.

Every page gets its own gate (a listening socket on loopback, port 0) as its browser context's proxy,
with loopback included (``<-loopback>``), so every connection the page, its scripts or the browser
make for it arrives here as a host name and a port. Chromium resolves nothing itself: its resolver
rules map every name to "not found".

A gate connects only
- to the addresses it was given for the page's own host, or that lookalike's resolver (``resolve``,
  never the system's) gives for another host, at most ``max_hosts`` of them;
- to a public address, unless ``allow_private`` lifts that rule. An IP address written in the page
  itself is refused unless lookalike resolved it for this page: the page's word is not enough, and
  it is how a page would reach into the scanner's own network;
- on the web ports: 80 and 443, sent on to ``http_port``/``https_port`` (so a test server on
  loopback can play both);
- up to ``max_bytes`` in both directions together, and ``max_connections`` connections in all;
  past either the gate closes everything.

Must not: call the system resolver, accept UDP (``UDP ASSOCIATE``) or ``BIND``, or raise out of a
connection handler. Everything it refused is kept in ``attempts`` with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lookalike.addresses import Resolve, parse, usable

SOCKS_VERSION = 5
NO_AUTH, NO_ACCEPTABLE = 0, 0xFF
CONNECT = 1
IPV4, DOMAIN, IPV6 = 1, 3, 4
SUCCEEDED, GENERAL_FAILURE, NOT_ALLOWED, HOST_UNREACHABLE, REFUSED, COMMAND_UNSUPPORTED = 0, 1, 2, 4, 5, 7
ADDRESSES_TRIED = 3
_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$")


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """What a gate lets through; one policy for every page of a browser."""

    allow_private: bool = False
    http_port: int = 80
    https_port: int = 443
    max_hosts: int = 16
    """Host names one page may reach (its own included)."""
    max_bytes: int = 16 * 1024 * 1024
    """Bytes one page may move through the gate, both directions together."""
    max_connections: int = 256
    connect_timeout: float = 5.0


@dataclass(frozen=True, slots=True)
class Attempt:
    """One connection the page asked for."""

    host: str
    port: int
    address: str = ""
    """The address connected to; empty when refused or failed before connecting."""
    refused: str = ""
    """Why the gate said no (or the connection failed); empty when it went through."""


@dataclass(slots=True)
class _Budget:
    bytes: int = 0
    connections: int = 0
    exhausted: str = ""


@dataclass(slots=True)
class Gate:
    """One page's gate. ``await start()`` gives the port; ``await close()`` ends every connection."""

    hosts: Mapping[str, Sequence[str]]
    """The page's own host name(s) and the addresses lookalike resolved for them."""
    resolve: Resolve | None = None
    policy: GatePolicy = field(default_factory=GatePolicy)
    attempts: list[Attempt] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _known: dict[str, tuple[str, ...] | str] = field(default_factory=dict)
    _lookups: dict[str, asyncio.Task[tuple[str, ...] | str]] = field(default_factory=dict)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _budget: _Budget = field(default_factory=_Budget)

    def __post_init__(self) -> None:
        for host, addresses in self.hosts.items():
            self._known[_normal(host)] = tuple(addresses)

    @property
    def bytes(self) -> int:
        """Bytes moved so far, both directions."""
        return self._budget.bytes

    @property
    def exhausted(self) -> str:
        """Why the gate closed everything early (a budget ran out), or ``""``."""
        return self._budget.exhausted

    async def start(self) -> int:
        """Listen on loopback; the port to give the browser as ``socks5://127.0.0.1:PORT``."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        """Stop listening and cut every connection."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            _abort(writer)
        for task in self._lookups.values():
            task.cancel()
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()

    def _cut(self, why: str) -> None:
        if not self._budget.exhausted:
            self._budget.exhausted = why
        for writer in list(self._writers):
            _abort(writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        upstream: asyncio.StreamWriter | None = None
        try:
            if self._budget.exhausted:
                return
            self._budget.connections += 1
            if self._budget.connections > self.policy.max_connections:
                self._cut(f"more than {self.policy.max_connections} connections")
                return
            async with asyncio.timeout(self.policy.connect_timeout):
                request = await _handshake(reader, writer)
            if request is None:
                return
            async with asyncio.timeout(self.policy.connect_timeout * (ADDRESSES_TRIED + 1)):
                opened = await self._open(*request)
            if isinstance(opened, int):
                writer.write(_reply(opened))
                return
            up_reader, upstream = opened
            self._writers.add(upstream)
            writer.write(_reply(SUCCEEDED))
            await asyncio.gather(self._pump(reader, upstream), self._pump(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            pass
        finally:
            for end in (writer, upstream):
                if end is not None:
                    self._writers.discard(end)
                    _abort(end)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(1 << 16):
                self._budget.bytes += len(data)
                if self._budget.bytes > self.policy.max_bytes:
                    self._cut(f"more than {self.policy.max_bytes:,} bytes")
                    return
                sink.write(data)
                await sink.drain()
            if sink.can_write_eof():
                sink.write_eof()
        except OSError:
            _abort(sink)

    async def _open(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | int:
        """A connection to ``host:port`` on the page's behalf, or the SOCKS code that says no."""
        target = {80: self.policy.http_port, 443: self.policy.https_port}.get(port)
        if target is None:
            self.attempts.append(Attempt(host, port, refused=f"port {port} is not a web port"))
            return NOT_ALLOWED
        found = await self._addresses(host)
        if isinstance(found, str):
            self.attempts.append(Attempt(host, port, refused=found))
            return NOT_ALLOWED
        why = "no address"
        for address in found[:ADDRESSES_TRIED]:
            try:
                async with asyncio.timeout(self.policy.connect_timeout):
                    opened = await asyncio.open_connection(address, target)
            except (OSError, TimeoutError) as exc:
                why = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
                continue
            self.attempts.append(Attempt(host, port, address))
            return opened
        self.attempts.append(Attempt(host, port, refused=f"cannot connect: {why}"))
        return REFUSED

    async def _addresses(self, host: str) -> tuple[str, ...] | str:
        """The addresses the page may use for ``host``, or why there are none."""
        literal = parse(host[1:-1] if host.startswith("[") else host)
        if literal is not None:
            # Only an address lookalike resolved for this page: the page's own word is not enough.
            known = {a for found in self._known.values() if not isinstance(found, str) for a in found}
            if str(literal) not in known:
                return f"the page named the address {literal}, which lookalike did not resolve"
            found: tuple[str, ...] | str = (str(literal),)
        else:
            name = _normal(host)
            if not _NAME.match(name):
                return "not a host name"
            found = await self._named(name)
        if isinstance(found, str):
            return found
        kept = usable(found, host=host, source="the page", allow_private=self.policy.allow_private)
        return kept.value if kept.value else (kept.detail or "no address")

    async def _named(self, name: str) -> tuple[str, ...] | str:
        """The addresses of a host name: given, or from the scan's resolver (at most ``max_hosts``)."""
        if name not in self._known:
            if name not in self._lookups:
                if len(self._lookups) + len(self.hosts) >= self.policy.max_hosts:
                    return f"more than {self.policy.max_hosts} host names"
                self._lookups[name] = asyncio.ensure_future(self._lookup(name))
            self._known[name] = await self._lookups[name]
        return self._known[name]

    async def _lookup(self, name: str) -> tuple[str, ...] | str:
        if self.resolve is None:
            return "not the page's own host"
        outcome = await self.resolve(name)
        if not outcome.ok or not outcome.value:
            return f"does not resolve ({outcome.detail or outcome.status.value})"[:120]
        return tuple(outcome.value)


def _abort(writer: asyncio.StreamWriter) -> None:
    """Drop a connection at once (no flushing what is left to send)."""
    writer.transport.abort()
    writer.close()


def _normal(host: str) -> str:
    return host.strip().lower().rstrip(".")


async def _handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[str, int] | None:
    """Read a SOCKS5 greeting and request (RFC 1928); the (host, port) of a CONNECT, or None."""
    version, count = await reader.readexactly(2)
    methods = await reader.readexactly(count)
    if version != SOCKS_VERSION or NO_AUTH not in methods:
        writer.write(bytes((SOCKS_VERSION, NO_ACCEPTABLE)))
        return None
    writer.write(bytes((SOCKS_VERSION, NO_AUTH)))
    version, command, _, kind = await reader.readexactly(4)
    if kind == IPV4:
        host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
    elif kind == IPV6:
        host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
    elif kind == DOMAIN:
        (length,) = await reader.readexactly(1)
        host = (await reader.readexactly(length)).decode("ascii", "replace")
    else:
        writer.write(_reply(GENERAL_FAILURE))
        return None
    (port,) = struct.unpack("!H", await reader.readexactly(2))
    if version != SOCKS_VERSION or command != CONNECT:
        writer.write(_reply(COMMAND_UNSUPPORTED))
        return None
    return host, port


def _reply(code: int) -> bytes:
    """A SOCKS5 reply; the bound address is not something the browser needs."""
    return bytes((SOCKS_VERSION, code, 0, IPV4, 0, 0, 0, 0, 0, 0))
