"""The transport: sockets, query ids, slots, per-resolver windows and the TCP fallback.

One connected, non-blocking UDP socket per ``Channel`` (a few per resolver, with large receive
buffers); a reply is matched by id *and* question in the socket's read callback, read only as far
as its header and the extent of its records, and delivered to the ``Query`` waiting for it. Each
datagram sent is a ``Ticket``: it is open while in flight, and closes when answered, when it times
out, when presumed lost (later questions answered, this one not, for longer than the window's
retransmission timeout), or when abandoned. Every close is told to the resolver's ``Window``
(``window.py``), which decides how many questions may be in flight to it and how fast to send.

This module knows nothing of what a reply means beyond "definite or not" (``policy.definite``); it
never retries and never decides a status. Only asyncio, no threads.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import socket
from dataclasses import dataclass
from typing import Final, Protocol

from lookalike import dnswire
from lookalike.endpoints import HostPort, Limits
from lookalike.errors import LookalikeError
from lookalike.ratelimit import LOCAL, Budgets, Pace, TokenBucket
from lookalike.resolver import policy
from lookalike.resolver.window import Window, WindowReport

RECEIVE_BUFFER: Final = 4 << 20
"""SO_RCVBUF per socket: a burst of thousands of replies must not overflow (the kernel caps it at
net.core.rmem_max)."""
IDS_PER_SOCKET: Final = 4096
"""Queries in flight per socket before another socket is opened for the same resolver: keeps the
16-bit id space sparse, so a blind spoofer's guess rarely hits a pending id."""
MIN_SOCKETS: Final = 4
ROTATE_AFTER: Final = 50_000
"""Queries sent on one socket before it is retired for a fresh one with a new random source port."""
TICK: Final = 0.01
"""Seconds between the window's checks for presumed losses and the end of its intervals."""

_QTAILS = {qtype: dnswire.question(b"", qtype) for qtype in dnswire.QTYPE_NAMES}
"""QTYPE and QCLASS octets that end each question we ask, precomputed for reply matching."""


class Sink(Protocol):
    """Who takes a reply to a first attempt straight from the read callback (the triage stream)."""

    def replied(self, query: Query, reply: Reply) -> None: ...


@dataclass
class Counters:
    """Mutable counters behind ``ResolverStats`` (the same fields; see there for what each counts)."""

    queries: int = 0
    answers: int = 0
    timeouts: int = 0
    retries: int = 0
    servfails: int = 0
    tcp_fallbacks: int = 0
    refused: int = 0
    malformed: int = 0
    mismatched: int = 0
    dnspython_reads: int = 0


class Slots:
    """A counting semaphore whose uncontended take is a plain method call.

    ``asyncio.Semaphore.acquire`` is a coroutine that also scans its waiters on every call; at ten
    thousand questions a second, twice per question, that is a measurable share of the CPU. Waiters
    are served in arrival order; a released slot is handed straight to the oldest waiter.
    """

    __slots__ = ("_waiters", "free")

    def __init__(self, count: int) -> None:
        self.free = count
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_take(self) -> bool:
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    async def take(self) -> None:
        if self.try_take():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give()  # handed a slot just as we were cancelled: pass it on
            raise

    def give(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


class Reply:
    """One matched reply (or a local failure standing in for one)."""

    __slots__ = ("data", "label", "rcode", "tcp")

    def __init__(self, data: bytes, rcode: int, label: str, *, tcp: bool = False) -> None:
        self.data = data
        self.rcode = rcode
        """The full RCODE, or ``policy.MALFORMED`` / ``policy.UNREACHABLE``."""
        self.label = label
        self.tcp = tcp

    @property
    def flags(self) -> int:
        """Header octets 2 and 3 (QR, opcode, AA, TC, RD / RA, Z, RCODE); 0 for a local failure."""
        data = self.data
        return (data[2] << 8) | data[3] if len(data) >= dnswire.HEADER_LEN else 0

    @property
    def ancount(self) -> int:
        data = self.data
        return (data[6] << 8) | data[7] if len(data) >= dnswire.HEADER_LEN else 0

    @property
    def definite(self) -> bool:
        return policy.definite(self.rcode, self.flags, self.ancount)


class Query:
    """One question in flight, over all its attempts.

    ``sink`` is set while the triage stream owns the first attempt: a reply then goes straight to
    it, with no future and no task. Otherwise a coroutine waits on ``future``; a reply to an earlier
    attempt lands in ``late``.
    """

    __slots__ = ("deadline", "future", "late", "name", "qname", "qtail", "qtype", "sink", "start", "tickets")

    def __init__(self, qname: bytes, qtype: int) -> None:
        self.qname = qname
        self.qtype = qtype
        self.qtail = _QTAILS.get(qtype) or dnswire.question(b"", qtype)
        self.future: asyncio.Future[Reply] | None = None
        self.late: Reply | None = None
        self.tickets: list[Ticket] = []
        self.sink: Sink | None = None
        self.name = ""
        self.start = 0
        self.deadline = 0.0

    def deliver(self, reply: Reply) -> None:
        sink = self.sink
        if sink is not None:
            sink.replied(self, reply)
            return
        future = self.future
        if future is not None and not future.done():
            future.set_result(reply)
        elif self.late is None:
            self.late = reply  # answers an earlier attempt; the next attempt takes it instead of asking


class Ticket:
    """One datagram of one query on one channel; open while it counts as in flight."""

    __slots__ = ("channel", "lost", "open", "qid", "query", "sent_at")

    def __init__(self, query: Query, channel: Channel, qid: int, sent_at: float) -> None:
        self.query = query
        self.channel = channel
        self.qid = qid
        self.sent_at = sent_at
        self.open = True
        self.lost = False
        """Closed as lost (timed out or presumed): a reply that comes after all says it was not."""


class Channel:
    """One connected, non-blocking UDP socket to one resolver, with the tickets pending on it."""

    __slots__ = ("_loop", "fd", "label", "pending", "retired", "sent", "sock", "upstream")

    def __init__(self, upstream: Upstream, loop: asyncio.AbstractEventLoop) -> None:
        server = upstream.server
        family = socket.AF_INET6 if ":" in server.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            # connect(): the kernel then drops datagrams from any other address or port for us.
            sock.connect((server.host, server.port))
        except OSError:
            sock.close()
            raise
        self.sock = sock
        self.fd = sock.fileno()
        self.label = upstream.label
        self.pending: dict[int, Ticket] = {}
        self.sent = 0
        self.retired = False
        self.upstream = upstream
        self._loop = loop
        loop.add_reader(self.fd, self._readable)

    def register(self, query: Query, now: float) -> Ticket:
        pending = self.pending
        next_id = self.upstream.transport.next_id
        qid = next_id()
        while qid in pending:
            qid = next_id()
        ticket = Ticket(query, self, qid, now)
        pending[qid] = ticket
        query.tickets.append(ticket)
        return ticket

    def release(self, qid: int) -> None:
        self.pending.pop(qid, None)
        if self.retired and not self.pending:
            self.close()

    def close(self) -> None:
        if self.fd >= 0:
            self._loop.remove_reader(self.fd)
            self.sock.close()
            self.fd = -1

    def _readable(self) -> None:
        """Drain every datagram waiting on the socket: one wake-up, many replies."""
        sock = self.sock
        pending = self.pending
        upstream = self.upstream
        counters = upstream.transport.counters
        window = upstream.window
        label = self.label
        now = self._loop.time()
        while True:
            try:
                data = sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:
                # ICMP port unreachable: nothing listens there. Fail what is pending here at once
                # (the retry goes to the next resolver) rather than wait out every timeout.
                counters.refused += 1
                for refused in list(pending.values()):
                    upstream.close(refused, now)
                    refused.query.deliver(Reply(b"", policy.UNREACHABLE, label))
                continue
            except OSError:
                return
            if len(data) < dnswire.HEADER_LEN:
                counters.mismatched += 1
                continue
            ticket = pending.get((data[0] << 8) | data[1])
            if ticket is None:
                counters.mismatched += 1
                continue
            found = ticket.query
            # dnswire.match, inlined: QR set and opcode QUERY, one question, and the question we asked
            # (the name case-insensitively; length octets are below "A", so lower() keeps them).
            end = 12 + len(found.qname)
            if (
                data[2] & 0xF8 != 0x80
                or data[4:6] != b"\x00\x01"
                or data[12:end].lower() != found.qname
                or data[end : end + 4] != found.qtail
            ):
                counters.mismatched += 1
                continue
            counters.answers += 1
            # With TC set the records are cut short and the caller asks again over TCP: only the
            # header counts then. Otherwise the sections must hold what the header says.
            if data[2] & 0x02:
                rcode = data[3] & 0x0F
            else:
                rcode = dnswire.full_rcode(data, end + 4)
                if rcode < 0:
                    counters.malformed += 1
                    rcode = policy.MALFORMED
            if ticket.lost:
                ticket.lost = False
                window.late(now, ticket.sent_at)
            elif ticket.open:
                ticket.open = False
                window.answered(
                    now,
                    now - ticket.sent_at,
                    policy.definite(rcode, (data[2] << 8) | data[3], (data[6] << 8) | data[7]),
                )
                upstream.newest_answered = max(upstream.newest_answered, ticket.sent_at)
                if upstream.waiters:
                    upstream.wake()
            found.deliver(Reply(data, rcode, label))


class Upstream:
    """One resolver: its sockets, its window and its rate limit."""

    __slots__ = (
        "_loop",
        "_rr",
        "bucket",
        "channels",
        "label",
        "newest_answered",
        "outstanding",
        "server",
        "transport",
        "waiters",
        "window",
    )

    def __init__(
        self,
        transport: Transport,
        server: HostPort,
        limits: Limits,
        loop: asyncio.AbstractEventLoop,
        pace: Pace | None = None,
    ) -> None:
        self.transport = transport
        self.server = server
        self.label = str(server)
        # Burst of 20 ms worth of queries: the loop's timer resolution is about a millisecond, so a
        # burst of one would cap a high rate near 1,000/s.
        self.bucket = pace or TokenBucket(limits.qps, burst=max(1.0, limits.qps / 50))
        self.window = Window(limits.concurrency, fixed=limits.fixed_window, now=loop.time())
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.outstanding: collections.deque[Ticket] = collections.deque()
        """Open tickets in the order sent (adaptive windows only): the oldest may be presumed lost."""
        self.newest_answered = 0.0
        """The send time of the most recently sent question that has been answered."""
        self._loop = loop
        self._rr = 0
        self.channels: list[Channel] = []
        count = max(MIN_SOCKETS, -(-limits.concurrency // IDS_PER_SOCKET))
        try:
            for _ in range(count):
                self.channels.append(Channel(self, loop))
        except OSError:
            self.close_all()
            raise

    def channel(self) -> Channel:
        self._rr = (self._rr + 1) % len(self.channels)
        channel = self.channels[self._rr]
        channel.sent += 1
        if channel.sent >= ROTATE_AFTER:
            fresh = Channel(self, self._loop)
            self.channels[self._rr] = fresh
            channel.retired = True  # closes once its last pending question is answered or given up
            if not channel.pending:
                channel.close()
        return channel

    async def admit(self, *, urgent: bool = False) -> None:
        """Wait until the window has room for one more question and the pace allows it now.

        ``urgent`` (stage 2) does not wait for room: its questions are few, bounded by the scan's
        stage-2 concurrency, and each of its round trips holds a candidate back; they still count
        in flight, so the bulk (triage) makes room for them, and they keep the pace."""
        window = self.window
        while not urgent and not window.room():
            waiter: asyncio.Future[None] = self._loop.create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self.wake()  # woken just as we were cancelled: pass it on
                raise
        delay = window.wait(self._loop.time())
        if delay > 0:
            await asyncio.sleep(delay)
        if not self.bucket.unlimited:
            await self.bucket.acquire()

    def ready(self) -> bool:
        """True when a question may be sent now without waiting (the fast path's test)."""
        window = self.window
        return (
            window.in_flight < window.size and not window.pace and self.bucket.unlimited and not self.waiters
        )

    def wake(self) -> None:
        window = self.window
        while self.waiters and window.in_flight < window.size:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def sent(self, ticket: Ticket) -> None:
        self.window.sent(ticket.sent_at)
        if not self.window.fixed:
            self.outstanding.append(ticket)

    def close(self, ticket: Ticket, now: float, *, lost: bool = False) -> None:
        """Close an open ticket that got no (usable) reply: lost, or abandoned."""
        if not ticket.open:
            return
        ticket.open = False
        if lost:
            ticket.lost = True
            self.window.lost(now, ticket.sent_at)
        else:
            self.window.abandoned()
        if self.waiters:
            self.wake()

    def tick(self, now: float) -> None:
        """Presume lost what is long overdue while later questions were answered; close intervals."""
        outstanding = self.outstanding
        window = self.window
        if outstanding:
            rto = window.rto()
            newest = self.newest_answered
            while outstanding:
                ticket = outstanding[0]
                if not ticket.open:
                    outstanding.popleft()
                    continue
                if now - ticket.sent_at < rto or ticket.sent_at >= newest:
                    break
                outstanding.popleft()
                self.close(ticket, now, lost=True)
        window.tick(now)
        if self.waiters:
            self.wake()

    def close_all(self) -> None:
        for channel in self.channels:
            channel.close()
        for waiter in self.waiters:
            if not waiter.done():
                waiter.cancel()


class Transport:
    """Every upstream of one ``Resolver``, the slots over all of them, and the counters."""

    def __init__(self, servers: tuple[HostPort, ...], limits: Limits, budgets: Budgets = LOCAL) -> None:
        self.servers = servers
        self.limits = limits
        self.budgets = budgets
        self.counters = Counters()
        self.upstreams: list[Upstream] = []
        self.slots = Slots(limits.concurrency)
        self._rr = 0
        self._random = b""
        self._random_at = 0
        self._ticker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def open(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        server = self.servers[0]
        try:
            for server in self.servers:
                pace = self.budgets.pace("dns", str(server), self.limits.qps, max(1.0, self.limits.qps / 50))
                self.upstreams.append(Upstream(self, server, self.limits, loop, pace))
        except OSError as exc:
            self.close()
            raise LookalikeError(f"cannot open a socket to resolver {server}: {exc.strerror or exc}") from exc
        if not self.limits.fixed_window:
            self._ticker = loop.create_task(self._tick())

    async def aclose(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        self.close()

    def close(self) -> None:
        for upstream in self.upstreams:
            upstream.close_all()

    @property
    def opened(self) -> bool:
        return self._loop is not None

    def now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    def windows(self) -> tuple[WindowReport, ...]:
        return tuple(u.window.report(u.label) for u in self.upstreams)

    def next_id(self) -> int:
        """A query id from the OS's CSPRNG, bought 2,048 at a time."""
        at = self._random_at
        if at >= len(self._random):
            self._random = os.urandom(4096)
            at = 0
        self._random_at = at + 2
        return (self._random[at] << 8) | self._random[at + 1]

    def next_start(self) -> int:
        """Which resolver takes a question's first attempt. Fixed windows: round robin. Adaptive:
        the one with the most room in its window, so resolvers share the load by how they answer."""
        upstreams = self.upstreams
        count = len(upstreams)
        start = self._rr
        self._rr = (start + 1) % count
        if count == 1 or self.limits.fixed_window:
            return start
        best, room = start, -1.0
        for offset in range(count):
            index = (start + offset) % count
            window = upstreams[index].window
            free = (window.size - window.in_flight) / window.size
            if free > room:
                best, room = index, free
        return best

    def send(self, upstream: Upstream, query: Query, edns: int) -> Ticket | OSError | None:
        """Send one attempt of ``query`` (the caller was admitted). None: the send buffer was full
        (the attempt counts as lost); an ``OSError`` when sending failed outright."""
        channel = upstream.channel()
        now = self.now()
        ticket = channel.register(query, now)
        try:
            channel.sock.send(dnswire.build_query(ticket.qid, query.qname, query.qtype, edns_payload=edns))
        except BlockingIOError:
            self.counters.timeouts += 1
            upstream.window.sent(now)
            upstream.close(ticket, now, lost=True)
            return None
        except OSError as exc:
            self.counters.refused += 1
            ticket.open = False
            return exc
        self.counters.queries += 1
        upstream.sent(ticket)
        return ticket

    def lose(self, query: Query, upstream: Upstream) -> None:
        """The attempts of ``query`` to ``upstream`` still open got no reply in time."""
        now = self.now()
        for ticket in query.tickets:
            if ticket.open and ticket.channel.upstream is upstream:
                upstream.close(ticket, now, lost=True)

    def release(self, query: Query) -> None:
        """``query`` is finished (or abandoned): forget its ids; attempts still open are abandoned."""
        query.future = None
        query.sink = None
        now = -1.0
        for ticket in query.tickets:
            ticket.channel.release(ticket.qid)
            if ticket.open:
                if now < 0:
                    now = self.now()
                ticket.channel.upstream.close(ticket, now)
        query.tickets.clear()

    async def ask_udp(
        self, upstream: Upstream, query: Query, edns: int, *, urgent: bool = False
    ) -> Reply | None:
        """One datagram and its reply; None after ``Limits.timeout`` without one."""
        await upstream.admit(urgent=urgent)
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        query.future = future
        try:
            sent = self.send(upstream, query, edns)
            if sent is None:
                await asyncio.sleep(0)  # the send buffer is full: let the loop drain it
                return None
            if isinstance(sent, OSError):
                return Reply(b"", policy.UNREACHABLE, f"{upstream.label} ({sent.strerror or sent})")
            try:
                async with asyncio.timeout(self.limits.timeout):
                    return await future
            except TimeoutError:
                self.counters.timeouts += 1
                upstream.close(sent, self.now(), lost=True)
                return None
        finally:
            query.future = None

    async def ask_tcp(
        self, label: str, upstream: Upstream, qname: bytes, qtype: int, edns: int
    ) -> Reply | None:
        """The same question over TCP (RFC 7766), after a truncated UDP reply. None on timeout."""
        counters = self.counters
        counters.tcp_fallbacks += 1
        counters.queries += 1
        qid = self.next_id()
        wire = dnswire.build_query(qid, qname, qtype, edns_payload=edns)
        writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(self.limits.timeout):
                reader, writer = await asyncio.open_connection(upstream.server.host, upstream.server.port)
                writer.write(len(wire).to_bytes(2, "big") + wire)
                await writer.drain()
                while True:
                    size = int.from_bytes(await reader.readexactly(2), "big")
                    data = await reader.readexactly(size)
                    if dnswire.match(data, qid, qname, qtype):
                        break
                    counters.mismatched += 1
        except TimeoutError:
            counters.timeouts += 1
            return None
        except asyncio.IncompleteReadError:
            counters.refused += 1
            return Reply(b"", policy.UNREACHABLE, f"{label} (TCP: closed without an answer)", tcp=True)
        except OSError as exc:
            counters.refused += 1
            return Reply(b"", policy.UNREACHABLE, f"{label} (TCP: {exc.strerror or exc})", tcp=True)
        finally:
            if writer is not None:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
        counters.answers += 1
        rcode = dnswire.full_rcode(data, dnswire.HEADER_LEN + len(qname) + 4)
        if rcode >= 0:
            return Reply(data, rcode, label, tcp=True)
        counters.malformed += 1
        return Reply(data, policy.MALFORMED, label, tcp=True)

    async def _tick(self) -> None:
        """Every ``TICK``: presumed losses and the end of the windows' intervals."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(TICK)
            now = loop.time()
            for upstream in self.upstreams:
                upstream.tick(now)
