"""Loopback SMTP servers for the tests and the demo: one port, many addresses, one behaviour each.

One ``SmtpServer`` binds the same port on several loopback addresses (127.0.0.N all reach ``lo`` on
Linux without set-up) and plays a different mail host on each, picked by the address the client
connected to. Real dialogues run on aiosmtpd's ``SMTP`` protocol, served by an asyncio server in the
caller's own event loop; the broken hosts (hang, drop, banner-421, garbage) are a few lines of raw
protocol each, because their whole point is not to speak SMTP properly.

Must not: relay, store or deliver anything (every message is refused, and every DATA command is
counted so tests can assert the probe sent none), or listen on anything but the addresses given.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ssl
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from aiosmtpd.smtp import SMTP

from lookalike.endpoints import HostPort

if TYPE_CHECKING:
    import trustme

BEHAVIOURS = frozenset(
    {
        "accept-all",  # 250 to every RCPT: a catch-all that collects mail for anyone
        "reject-all",  # 550 to every RCPT
        "tempfail",  # 451 to every RCPT (greylisting, or a broken back end)
        "no-starttls",  # accepts every recipient, offers no STARTTLS
        "helo-only",  # refuses EHLO with 502 (an old server); HELO works, then accepts everyone
        "hang",  # sends the banner, then never says another word
        "drop",  # closes the connection straight after accepting it
        "banner-421",  # "421 busy" as its banner, then closes
        "garbage",  # something that is not SMTP listens on the port
    }
)


@dataclass(slots=True)
class ClientTranscript:
    """What one client said to one of the server's addresses, line by line."""

    local: str
    """The server address the client connected to (picks the behaviour)."""
    peer: str
    lines: list[str] = field(default_factory=list)

    def feed(self, data: bytes) -> None:
        text = data.decode("utf-8", "replace")
        if self.lines and not self.lines[-1].endswith("\n"):
            text = self.lines.pop() + text
        self.lines.extend(text.splitlines(keepends=True))

    @property
    def commands(self) -> list[str]:
        """The lines without their line ends."""
        return [line.rstrip("\r\n") for line in self.lines]


class SmtpServer:
    """An async context manager serving ``behaviours`` (local address -> behaviour) on one port."""

    def __init__(
        self,
        behaviours: Mapping[str, str],
        *,
        port: int = 0,
        tls: trustme.LeafCert | ssl.SSLContext | None = None,
        hostname: str = "mx.demo.invalid",
    ) -> None:
        unknown = set(behaviours.values()) - BEHAVIOURS
        if unknown:
            raise ValueError(f"unknown SMTP behaviour(s): {', '.join(sorted(unknown))}")
        if not behaviours:
            raise ValueError("an SmtpServer needs at least one address")
        self.behaviours = dict(behaviours)
        self.port = port
        self.hostname = hostname
        self.tls_context = _server_context(tls)
        self.received_data = 0
        """DATA commands seen, over every address: the probe must leave this at 0."""
        self.transcripts: list[ClientTranscript] = []
        self.connections: Counter[str] = Counter()
        """Connections accepted, per local address."""
        self.max_concurrent: Counter[str] = Counter()
        """The most connections open at once, per local address."""
        self._active: Counter[str] = Counter()
        self._servers: list[asyncio.Server] = []
        self._transports: set[asyncio.BaseTransport] = set()

    def address(self, local: str) -> HostPort:
        """Where the host played on ``local`` listens."""
        return HostPort(local, self.port)

    async def __aenter__(self) -> SmtpServer:
        loop = asyncio.get_running_loop()
        wanted = self.port
        for attempt in range(10):
            try:
                await self._bind_all(loop, wanted)
                return self
            except OSError as exc:
                await self._close_servers()
                # Port 0: the kernel picked a port free on the first address only; pick again.
                if wanted != 0 or exc.errno != errno.EADDRINUSE or attempt == 9:
                    raise
        return self  # pragma: no cover - the loop either returns or raises

    async def _bind_all(self, loop: asyncio.AbstractEventLoop, port: int) -> None:
        for local, behaviour in self.behaviours.items():
            factory = partial(self._protocol, local, behaviour)
            server = await loop.create_server(factory, host=local, port=port)
            self._servers.append(server)
            if port == 0:
                port = server.sockets[0].getsockname()[1]
        self.port = port

    async def __aexit__(self, *exc: object) -> None:
        await self._close_servers()
        for transport in list(self._transports):
            transport.close()
        # Let aiosmtpd's per-connection tasks see connection_lost and finish.
        for _ in range(3):
            await asyncio.sleep(0)

    async def _close_servers(self) -> None:
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    def _protocol(self, local: str, behaviour: str) -> asyncio.BaseProtocol:
        if behaviour in ("hang", "drop", "banner-421", "garbage"):
            return _Broken(self, local, behaviour)
        return _Smtp(self, local, behaviour)

    # bookkeeping shared by both protocol kinds
    def _opened(self, local: str, transport: asyncio.BaseTransport) -> ClientTranscript:
        self._transports.add(transport)
        self.connections[local] += 1
        self._active[local] += 1
        self.max_concurrent[local] = max(self.max_concurrent[local], self._active[local])
        peer = transport.get_extra_info("peername")
        record = ClientTranscript(local, f"{peer[0]}:{peer[1]}" if peer else "?")
        self.transcripts.append(record)
        return record

    def _closed(self, local: str, transport: asyncio.BaseTransport | None) -> None:
        if transport is not None and transport in self._transports:
            self._transports.discard(transport)
            self._active[local] -= 1


def _server_context(tls: trustme.LeafCert | ssl.SSLContext | None) -> ssl.SSLContext | None:
    if tls is None or isinstance(tls, ssl.SSLContext):
        return tls
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.configure_cert(context)
    return context


class _Handler:
    """aiosmtpd hooks: the RCPT answer per behaviour, and a refusal for every message."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.behaviour == "reject-all":
            return "550 5.1.1 No such user here"
        if self.behaviour == "tempfail":
            return "451 4.7.1 Please try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "554 5.7.1 This demo server keeps no mail"


class _Smtp(SMTP):
    """aiosmtpd's protocol, counting DATA, recording what the client says, and playing helo-only."""

    def __init__(self, owner: SmtpServer, local: str, behaviour: str) -> None:
        super().__init__(
            _Handler(behaviour),
            hostname=owner.hostname,  # never let aiosmtpd ask the system for its name
            ident="demo ESMTP",
            tls_context=None if behaviour == "no-starttls" else owner.tls_context,
            timeout=30,
            loop=asyncio.get_running_loop(),
        )
        self._owner = owner
        self._local = local
        self._behaviour = behaviour
        self._record: ClientTranscript | None = None
        self._plain: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._record is None:  # not again after STARTTLS
            self._plain = transport
            self._record = self._owner._opened(self._local, transport)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._owner._closed(self._local, self._plain)
        super().connection_lost(error)

    def data_received(self, data: bytes) -> None:
        if self._record is not None:
            self._record.feed(data)
        super().data_received(data)

    async def smtp_EHLO(self, hostname: str) -> None:
        if self._behaviour == "helo-only":
            await self.push("502 5.5.1 EHLO not implemented")
            return
        await super().smtp_EHLO(hostname)

    async def smtp_DATA(self, arg: str) -> None:
        self._owner.received_data += 1
        await super().smtp_DATA(arg)


class _Broken(asyncio.Protocol):
    """The hosts that do not speak SMTP properly."""

    def __init__(self, owner: SmtpServer, local: str, behaviour: str) -> None:
        self._owner = owner
        self._local = local
        self._behaviour = behaviour
        self._record: ClientTranscript | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._record = self._owner._opened(self._local, transport)
        name = self._owner.hostname.encode("ascii")
        if self._behaviour == "drop":
            transport.close()
        elif self._behaviour == "banner-421":
            transport.write(b"421 4.3.2 " + name + b" too busy, try again later\r\n")
            transport.close()
        elif self._behaviour == "hang":
            transport.write(b"220 " + name + b" ESMTP\r\n")
        elif self._behaviour == "garbage":
            transport.write(b"SSH-2.0-OpenSSH_9.6 \x1b[31mnot mail\x1b[0m\r\n")

    def data_received(self, data: bytes) -> None:
        if self._record is not None:
            self._record.feed(data)
        if self._behaviour == "garbage" and self._transport is not None:
            with contextlib.suppress(RuntimeError):
                self._transport.write(b"Protocol mismatch.\r\n")
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._closed(self._local, self._transport)
