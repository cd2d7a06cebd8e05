"""Asynchronous DNS for the scan: triage (does a name exist?) then detail (NS, A/AAAA, MX, SPF, DMARC).

Stage 1, ``Resolver.triage`` / ``triage_many``, is the fast path every candidate takes: query bytes
built by hand (``dnswire``), sent on a few connected UDP sockets per resolver with large receive
buffers, replies matched by id *and* question and read only as far as the header. Stage 2,
``Resolver.detail``, runs only for names that exist and parses replies with dnspython.

Three answers, never two. How a reply becomes a ``Status``::

    NOERROR (records or NODATA)            OK       -> Existence.EXISTS
    NXDOMAIN                               ABSENT   -> Existence.ABSENT
    NXDOMAIN with a CNAME from the name    OK       (RFC 6604: the RCODE speaks of the chain's end)
    SERVFAIL, REFUSED, ICMP unreachable,   REFUSED  ┐
    a non-recursive referral (RA, AA clear)         ├ -> Existence.UNKNOWN, after bounded retries
    no reply within Limits.timeout         TIMEOUT  │    with exponential backoff, rotating over the
    malformed reply, other RCODEs          ERROR    ┘    resolvers; never absent, never exists

A reply whose id or question matches nothing we asked is dropped and counted (``stats.mismatched``),
never believed. A late reply to an earlier attempt of the same question is accepted: it answers
exactly what we asked. Truncated replies (TC) are asked again over TCP.

Every function takes its resolvers as a parameter (``Resolver(servers, limits)``); this module never
reads resolv.conf and never calls the system resolver. It never raises for a network failure: those
become ``Outcome`` statuses. Only asyncio, no threads.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import os
import random
import secrets
import socket
from collections.abc import AsyncIterable, AsyncIterator, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Final

import dns.exception
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from lookalike import dnswire
from lookalike.endpoints import HostPort, Limits
from lookalike.errors import LookalikeError
from lookalike.model import DnsFacts, Existence, MailRoute, MxHost, Outcome, Status
from lookalike.ratelimit import TokenBucket

RECEIVE_BUFFER: Final = 4 << 20
"""SO_RCVBUF per socket: a burst of thousands of replies must not overflow (the kernel caps it at
net.core.rmem_max)."""
IDS_PER_SOCKET: Final = 4096
"""Queries in flight per socket before another socket is opened for the same resolver: keeps the
16-bit id space sparse, so a blind spoofer's guess rarely hits a pending id."""
MIN_SOCKETS: Final = 4
ROTATE_AFTER: Final = 50_000
"""Queries sent on one socket before it is retired for a fresh one with a new random source port."""
EDNS_PAYLOAD: Final = 1232
"""The UDP payload size stage 2 advertises (the DNS flag day 2020 value: no IP fragmentation)."""
MAX_CNAME_CHAIN: Final = 16
MAX_MX_TARGETS: Final = 16
"""MX hosts whose addresses ``detail`` resolves; a hostile zone may list hundreds."""
WILDCARD_CACHE: Final = 4096
NAME_COLLISION: Final = "127.0.53.53"
"""ICANN's controlled-interruption address for new-gTLD name collisions."""

_TRIAGE_TYPES = {True: dnswire.NS, False: dnswire.A}
_QTAILS = {qtype: dnswire.question(b"", qtype) for qtype in dnswire.QTYPE_NAMES}
"""QTYPE and QCLASS octets that end each question we ask, precomputed for reply matching."""
_EXISTENCE = {Status.OK: Existence.EXISTS, Status.ABSENT: Existence.ABSENT}
_IN = dns.rdataclass.IN


@dataclass(frozen=True, slots=True)
class ResolverStats:
    """Counters since the resolver was created."""

    queries: int = 0
    """Queries sent (UDP datagrams and TCP questions, retries included)."""
    answers: int = 0
    """Replies that matched a question we asked."""
    timeouts: int = 0
    """Attempts that got no reply within ``Limits.timeout``."""
    retries: int = 0
    """Attempts after the first for one question."""
    servfails: int = 0
    """SERVFAIL replies."""
    tcp_fallbacks: int = 0
    """Truncated UDP replies asked again over TCP."""
    refused: int = 0
    """REFUSED replies, ICMP port-unreachable and refused TCP connections."""
    malformed: int = 0
    """Replies that matched but did not hold what their header counts (or dnspython could not parse)."""
    mismatched: int = 0
    """Datagrams dropped because their id or question matched nothing we asked: spoofed or stale."""


class _Slots:
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


class _Reply:
    """One matched reply (or a local failure standing in for one)."""

    __slots__ = ("data", "label", "rcode", "tcp")

    # rcode values below zero are local verdicts, not RCODEs.
    MALFORMED = -1
    UNREACHABLE = -2

    def __init__(self, data: bytes, rcode: int, label: str, *, tcp: bool = False) -> None:
        self.data = data
        self.rcode = rcode
        self.label = label
        self.tcp = tcp


class _Query:
    """One question in flight, over all its attempts.

    ``sink`` is set while ``triage_many``'s pump owns the first attempt: a reply then goes straight
    to the pump's callback, with no future and no task. Otherwise (``triage``, stage 2, and every
    retry) a coroutine waits on ``future``; a reply to an earlier attempt lands in ``late``.
    """

    __slots__ = ("deadline", "future", "late", "name", "qname", "qtail", "qtype", "sink", "start", "tickets")

    def __init__(self, qname: bytes, qtype: int) -> None:
        self.qname = qname
        self.qtype = qtype
        self.qtail = _QTAILS.get(qtype) or dnswire.question(b"", qtype)
        self.future: asyncio.Future[_Reply] | None = None
        self.late: _Reply | None = None
        self.tickets: list[tuple[_Channel, int]] = []
        self.sink: _TriageStream | None = None
        self.name = ""
        self.start = 0
        self.deadline = 0.0

    def deliver(self, reply: _Reply) -> None:
        sink = self.sink
        if sink is not None:
            sink.replied(self, reply)
            return
        future = self.future
        if future is not None and not future.done():
            future.set_result(reply)
        elif self.late is None:
            self.late = reply  # answers an earlier attempt; the next attempt takes it instead of asking


class _Channel:
    """One connected, non-blocking UDP socket to one resolver, with the questions pending on it."""

    __slots__ = ("_loop", "_resolver", "fd", "label", "pending", "retired", "sent", "sock")

    def __init__(self, resolver: Resolver, server: HostPort, loop: asyncio.AbstractEventLoop) -> None:
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
        self.label = str(server)
        self.pending: dict[int, _Query] = {}
        self.sent = 0
        self.retired = False
        self._resolver = resolver
        self._loop = loop
        loop.add_reader(self.fd, self._readable)

    def register(self, query: _Query) -> int:
        pending = self.pending
        next_id = self._resolver._next_id
        qid = next_id()
        while qid in pending:
            qid = next_id()
        pending[qid] = query
        query.tickets.append((self, qid))
        return qid

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
        resolver = self._resolver
        label = self.label
        while True:
            try:
                data = sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:
                # ICMP port unreachable: nothing listens there. Fail what is pending here at once
                # (the retry goes to the next resolver) rather than wait out every timeout.
                resolver._refused += 1
                for query in list(pending.values()):
                    query.deliver(_Reply(b"", _Reply.UNREACHABLE, label))
                continue
            except OSError:
                return
            if len(data) < dnswire.HEADER_LEN:
                resolver._mismatched += 1
                continue
            found = pending.get((data[0] << 8) | data[1])
            # dnswire.match, inlined: QR set and opcode QUERY, one question, and the question we asked
            # (the name case-insensitively; length octets are below "A", so lower() keeps them).
            if found is None:
                resolver._mismatched += 1
                continue
            end = 12 + len(found.qname)
            if (
                data[2] & 0xF8 != 0x80
                or data[4:6] != b"\x00\x01"
                or data[12:end].lower() != found.qname
                or data[end : end + 4] != found.qtail
            ):
                resolver._mismatched += 1
                continue
            resolver._answers += 1
            # With TC set the records are cut short and the caller asks again over TCP: only the
            # header counts then. Otherwise the sections must hold what the header says.
            records = ((data[6] << 8) | data[7]) + ((data[8] << 8) | data[9]) + ((data[10] << 8) | data[11])
            if data[2] & 0x02 or dnswire.walk(data, end + 4, records):
                rcode = data[3] & 0x0F
            else:
                resolver._malformed += 1
                rcode = _Reply.MALFORMED
            found.deliver(_Reply(data, rcode, label))


class _Upstream:
    """One resolver: its sockets and its rate limit."""

    __slots__ = ("_loop", "_resolver", "_rr", "bucket", "channels", "label", "server")

    def __init__(
        self, resolver: Resolver, server: HostPort, limits: Limits, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.server = server
        self.label = str(server)
        # Burst of 20 ms worth of queries: the loop's timer resolution is about a millisecond, so a
        # burst of one would cap a high rate near 1,000/s.
        self.bucket = TokenBucket(limits.qps, burst=max(1.0, limits.qps / 50))
        count = max(MIN_SOCKETS, -(-limits.concurrency // IDS_PER_SOCKET))
        self._resolver = resolver
        self._loop = loop
        self.channels = [_Channel(resolver, server, loop) for _ in range(count)]
        self._rr = 0

    def channel(self) -> _Channel:
        self._rr = (self._rr + 1) % len(self.channels)
        channel = self.channels[self._rr]
        channel.sent += 1
        if channel.sent >= ROTATE_AFTER:
            fresh = _Channel(self._resolver, self.server, self._loop)
            self.channels[self._rr] = fresh
            channel.retired = True  # closes once its last pending question is answered or given up
            if not channel.pending:
                channel.close()
        return channel

    def close(self) -> None:
        for channel in self.channels:
            channel.close()


@dataclass(frozen=True, slots=True)
class _Answer:
    """How one question ended after all its attempts."""

    status: Status
    """OK for NOERROR, ABSENT for NXDOMAIN, else the unknown status of the last attempt."""
    data: bytes
    detail: str


@dataclass(frozen=True, slots=True)
class _Lookup:
    """A stage-2 question, parsed."""

    status: Status
    detail: str
    message: dns.message.Message | None = None
    chain: tuple[str, ...] = ()
    """CNAMEs followed from the question name."""
    records: tuple[dns.rdata.Rdata, ...] = ()
    """Records of the asked type owned by the chain's end."""

    def problem(self, what: str) -> str:
        return f"{what}: {self.status.value} ({self.detail})"


@dataclass(frozen=True, slots=True)
class _Fingerprint:
    """What a random name under a zone resolves to: a wildcard's signature."""

    addresses: frozenset[str]
    target: str
    """The end of the CNAME chain, if the wildcard is a CNAME."""
    mx: frozenset[str]
    ns: frozenset[str]


class Resolver:
    """An async DNS client over one or more recursive resolvers. Use as ``async with``."""

    def __init__(self, servers: Sequence[HostPort], limits: Limits) -> None:
        if not servers:
            raise LookalikeError("no DNS resolver to ask: give at least one --resolver")
        for server in servers:
            try:
                ipaddress.ip_address(server.host)
            except ValueError:
                raise LookalikeError(f"resolver {server.host!r} must be an IP address") from None
            if not 0 < server.port < 65536:
                raise LookalikeError(f"resolver {server}: the port must be from 1 to 65535")
        if limits.concurrency < 1:
            raise LookalikeError("the DNS concurrency must be at least 1")
        if limits.timeout <= 0:
            raise LookalikeError("the DNS timeout must be more than 0 seconds")
        if limits.retries < 0:
            raise LookalikeError("the number of DNS retries must not be negative")
        if limits.qps < 0:
            raise LookalikeError("the DNS rate limit (qps) must not be negative")
        self._servers = tuple(servers)
        self._limits = limits
        self._upstreams: list[_Upstream] = []
        self._slots: _Slots | None = None
        self._rr = 0
        self._random = b""
        self._random_at = 0
        self._wildcards: dict[str, asyncio.Task[Outcome[_Fingerprint]]] = {}
        self._outcomes: dict[tuple[Status, str], Outcome[Existence]] = {}
        self._queries = 0
        self._answers = 0
        self._timeouts = 0
        self._retries = 0
        self._servfails = 0
        self._tcp_fallbacks = 0
        self._refused = 0
        self._malformed = 0
        self._mismatched = 0

    # -- lifecycle ---------------------------------------------------------------------------------

    async def __aenter__(self) -> Resolver:
        loop = asyncio.get_running_loop()
        self._slots = _Slots(self._limits.concurrency)
        try:
            for server in self._servers:
                self._upstreams.append(_Upstream(self, server, self._limits, loop))
        except OSError as exc:
            self._close()
            raise LookalikeError(f"cannot open a socket to resolver {server}: {exc.strerror or exc}") from exc
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        tasks = list(self._wildcards.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._wildcards.clear()
        self._close()

    def _close(self) -> None:
        for upstream in self._upstreams:
            upstream.close()
        self._upstreams = []
        self._slots = None

    @property
    def servers(self) -> tuple[HostPort, ...]:
        return self._servers

    @property
    def limits(self) -> Limits:
        return self._limits

    @property
    def stats(self) -> ResolverStats:
        return ResolverStats(
            queries=self._queries,
            answers=self._answers,
            timeouts=self._timeouts,
            retries=self._retries,
            servfails=self._servfails,
            tcp_fallbacks=self._tcp_fallbacks,
            refused=self._refused,
            malformed=self._malformed,
            mismatched=self._mismatched,
        )

    def _next_id(self) -> int:
        """A query id from the OS's CSPRNG, bought 2,048 at a time."""
        at = self._random_at
        if at >= len(self._random):
            self._random = os.urandom(4096)
            at = 0
        self._random_at = at + 2
        return (self._random[at] << 8) | self._random[at + 1]

    # -- one question, with retries ----------------------------------------------------------------

    async def _exchange(self, qname: bytes, qtype: int, edns: int) -> _Answer:
        """Ask one question until a resolver gives a definite answer or the attempts run out."""
        slots = self._slots
        if slots is None:
            raise RuntimeError("use the Resolver as 'async with Resolver(...) as resolver:'")
        if not slots.try_take():
            await slots.take()
        query = _Query(qname, qtype)
        try:
            return await self._attempts(query, self._next_start(), 0, [], edns)
        finally:
            self._release(query)
            slots.give()

    def _next_start(self) -> int:
        """Which resolver takes a question's first attempt: round robin; retries move on to the next."""
        start = self._rr
        self._rr = (start + 1) % len(self._upstreams)
        return start

    @staticmethod
    def _release(query: _Query) -> None:
        query.future = None
        query.sink = None
        for channel, qid in query.tickets:
            channel.release(qid)
        query.tickets.clear()

    async def _attempts(
        self, query: _Query, start: int, first: int, failures: list[tuple[str, str]], edns: int
    ) -> _Answer:
        """Attempts ``first`` .. ``Limits.retries`` of one question; ``failures`` holds the earlier ones.

        A reply already in ``query.late`` (an earlier attempt's, or the pump's) is judged as the
        attempt's reply instead of asking again.
        """
        limits = self._limits
        upstreams = self._upstreams
        count = len(upstreams)
        qname, qtype = query.qname, query.qtype
        last = Status.TIMEOUT
        for attempt in range(first, limits.retries + 1):
            upstream = upstreams[(start + attempt) % count]
            if attempt:
                self._retries += 1
                if query.late is None:
                    await asyncio.sleep(self._backoff(attempt))
            if query.late is None and not upstream.bucket.unlimited:
                await upstream.bucket.acquire()
            reply = query.late
            query.late = None
            if reply is None:
                reply = await self._ask_udp(upstream, query, edns)
            if reply is None:
                failures.append(("timeout", upstream.label))
                last = Status.TIMEOUT
                continue
            rcode = reply.rcode
            definite = rcode in (dnswire.NOERROR, dnswire.NXDOMAIN)
            if definite and reply.data[2] & 0x02 and not reply.tcp:
                tcp = await self._ask_tcp(reply.label, upstream, qname, qtype, edns)
                if tcp is None:
                    failures.append(("TCP timeout", reply.label))
                    last = Status.TIMEOUT
                    continue
                reply = tcp
                rcode = tcp.rcode
            if rcode == dnswire.NOERROR:
                if _referral_only(reply.data):
                    failures.append(("non-recursive referral", reply.label))
                    last = Status.REFUSED
                    continue
                return _Answer(Status.OK, reply.data, self._said("NOERROR", reply))
            if rcode == dnswire.NXDOMAIN:
                return _Answer(Status.ABSENT, reply.data, self._said("NXDOMAIN", reply))
            what, last = self._failure(rcode)
            failures.append((what, reply.label))
        return _Answer(last, b"", _summarise(failures))

    async def _ask_udp(self, upstream: _Upstream, query: _Query, edns: int) -> _Reply | None:
        """One datagram and its reply; None after ``Limits.timeout`` without one."""
        channel = upstream.channel()
        qid = channel.register(query)
        future: asyncio.Future[_Reply] = asyncio.get_running_loop().create_future()
        query.future = future
        try:
            channel.sock.send(dnswire.build_query(qid, query.qname, query.qtype, edns_payload=edns))
        except BlockingIOError:
            # The socket's send buffer is full: let the loop drain it, then count it as lost.
            await asyncio.sleep(0)
            self._timeouts += 1
            return None
        except OSError as exc:
            self._refused += 1
            return _Reply(b"", _Reply.UNREACHABLE, f"{upstream.label} ({exc.strerror or exc})")
        self._queries += 1
        try:
            async with asyncio.timeout(self._limits.timeout):
                return await future
        except TimeoutError:
            self._timeouts += 1
            return None
        finally:
            query.future = None

    async def _ask_tcp(
        self, label: str, upstream: _Upstream, qname: bytes, qtype: int, edns: int
    ) -> _Reply | None:
        """The same question over TCP (RFC 7766), after a truncated UDP reply. None on timeout."""
        self._tcp_fallbacks += 1
        self._queries += 1
        qid = self._next_id()
        wire = dnswire.build_query(qid, qname, qtype, edns_payload=edns)
        writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(self._limits.timeout):
                reader, writer = await asyncio.open_connection(upstream.server.host, upstream.server.port)
                writer.write(len(wire).to_bytes(2, "big") + wire)
                await writer.drain()
                while True:
                    size = int.from_bytes(await reader.readexactly(2), "big")
                    data = await reader.readexactly(size)
                    if dnswire.match(data, qid, qname, qtype):
                        break
                    self._mismatched += 1
        except TimeoutError:
            self._timeouts += 1
            return None
        except asyncio.IncompleteReadError:
            self._refused += 1
            return _Reply(b"", _Reply.UNREACHABLE, f"{label} (TCP: closed without an answer)", tcp=True)
        except OSError as exc:
            self._refused += 1
            return _Reply(b"", _Reply.UNREACHABLE, f"{label} (TCP: {exc.strerror or exc})", tcp=True)
        finally:
            if writer is not None:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
        self._answers += 1
        if dnswire.well_formed(data, qname):
            return _Reply(data, data[3] & 0x0F, label, tcp=True)
        self._malformed += 1
        return _Reply(data, _Reply.MALFORMED, label, tcp=True)

    def _failure(self, rcode: int) -> tuple[str, Status]:
        if rcode == dnswire.SERVFAIL:
            self._servfails += 1
            return "SERVFAIL", Status.REFUSED
        if rcode == dnswire.REFUSED:
            self._refused += 1
            return "REFUSED", Status.REFUSED
        if rcode == _Reply.UNREACHABLE:
            return "unreachable", Status.REFUSED
        if rcode == _Reply.MALFORMED:
            return "malformed reply", Status.ERROR
        return dnswire.RCODE_NAMES.get(rcode, f"RCODE {rcode}"), Status.ERROR

    def _backoff(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt`` (1-based retries): a tenth of the timeout,
        doubling per retry, capped at the timeout, with jitter so retries do not march in step."""
        base = min(self._limits.timeout, self._limits.timeout / 10 * 2.0 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)

    @staticmethod
    def _said(rcode: str, reply: _Reply) -> str:
        return f"{rcode} from {reply.label}{' over TCP' if reply.tcp else ''}"

    # -- stage 1 -----------------------------------------------------------------------------------

    async def triage(self, name: str, *, apex: bool) -> Outcome[Existence]:
        """Does ``name`` exist? ``apex``: a registrable domain, asked NS at the zone cut; else a name
        below one, asked A. OK/EXISTS, ABSENT/ABSENT, or an unknown status with Existence.UNKNOWN."""
        try:
            qname = dnswire.encode_name(name)
        except dnswire.WireError as exc:
            return Outcome(Status.ERROR, Existence.UNKNOWN, str(exc))
        return self._triage_outcome(await self._exchange(qname, _TRIAGE_TYPES[apex], 0), qname)

    def _triage_outcome(self, answer: _Answer, qname: bytes) -> Outcome[Existence]:
        status = answer.status
        if status is Status.ABSENT and dnswire.ancount_of(answer.data):
            return self._cname_into_nothing(answer, qname)
        existence = _EXISTENCE.get(status, Existence.UNKNOWN)
        if status is not Status.OK and status is not Status.ABSENT:
            return Outcome(status, existence, answer.detail)
        key = (status, answer.detail)
        outcome = self._outcomes.get(key)
        if outcome is None:
            # Outcomes are frozen: share one per (status, server) instead of a million copies.
            outcome = self._outcomes[key] = Outcome(status, existence, answer.detail)
        return outcome

    def _cname_into_nothing(self, answer: _Answer, qname: bytes) -> Outcome[Existence]:
        """An NXDOMAIN with answers: the name exists when a CNAME starts at it (RFC 6604)."""
        try:
            message = dns.message.from_wire(answer.data)
        except dns.exception.DNSException as exc:
            self._malformed += 1
            return Outcome(Status.ERROR, Existence.UNKNOWN, f"malformed NXDOMAIN: {exc}")
        owner = dns.name.from_text(dnswire.decode_name(qname))
        if message.get_rrset(message.answer, owner, _IN, dns.rdatatype.CNAME) is not None:
            detail = f"{answer.detail}: a CNAME to a name that does not exist"
            return Outcome(Status.OK, Existence.EXISTS, detail)
        return Outcome(Status.ABSENT, Existence.ABSENT, answer.detail)

    def triage_many(
        self, names: Iterable[tuple[str, bool]] | AsyncIterable[tuple[str, bool]]
    ) -> AsyncIterator[tuple[str, Outcome[Existence]]]:
        """Triage ``(name, apex)`` pairs as they come, yielding ``(name, outcome)`` as they finish.

        Reads ``names`` lazily and keeps at most ``Limits.concurrency`` questions in flight, so memory
        stays flat however long the input is. Close the iterator (``contextlib.aclosing``) to stop
        early; the questions in flight are then abandoned. An exception from ``names`` ends the
        stream and is raised to the consumer.
        """
        if self._slots is None:
            raise RuntimeError("use the Resolver as 'async with Resolver(...) as resolver:'")
        return _TriageStream(self, names).run()

    # -- stage 2 -----------------------------------------------------------------------------------

    async def _lookup(self, name: str, rdtype: int) -> _Lookup:
        """One stage-2 question, parsed with dnspython; CNAMEs in the answer are followed."""
        try:
            qname = dnswire.encode_name(name)
        except dnswire.WireError as exc:
            return _Lookup(Status.ERROR, str(exc))
        answer = await self._exchange(qname, rdtype, EDNS_PAYLOAD)
        if answer.status.unknown:
            return _Lookup(answer.status, answer.detail)
        try:
            message = dns.message.from_wire(answer.data)
        except dns.exception.DNSException as exc:
            self._malformed += 1
            return _Lookup(Status.ERROR, f"{answer.detail}, but malformed: {exc}")
        chain, records = _follow(message, dns.name.from_text(dnswire.decode_name(qname)), rdtype)
        status = answer.status
        if status is Status.ABSENT and chain:
            status = Status.OK  # RFC 6604: the NXDOMAIN is about the end of the chain, not the name
        return _Lookup(status, answer.detail, message, chain, records)

    async def addresses(self, host: str) -> Outcome[tuple[str, ...]]:
        """The A and AAAA addresses of ``host`` (A first), following CNAMEs."""
        host = _norm(host)
        a, aaaa = await asyncio.gather(self._lookup(host, dnswire.A), self._lookup(host, dnswire.AAAA))
        return _addresses_outcome(a, aaaa)

    async def txt(self, name: str) -> Outcome[tuple[str, ...]]:
        """The TXT records of ``name``, each record's character-strings joined (RFC 7208 §3.3)."""
        lookup = await self._lookup(_norm(name), dnswire.TXT)
        if lookup.status is not Status.OK:
            return Outcome(lookup.status, None, lookup.detail)
        return Outcome(Status.OK, _texts(lookup.records), lookup.detail)

    async def detail(self, name: str, *, apex: str) -> Outcome[DnsFacts]:
        """Everything stage 2 wants to know about a name that exists (see ``DnsFacts``).

        ``apex`` is the registrable domain holding ``name`` (``name`` itself for an apex candidate).
        OK with the facts; ABSENT when the name is NXDOMAIN now; an unknown status when no question
        about it was answered. A question that failed is named in ``DnsFacts.problems``.
        """
        name = _norm(name)
        apex = _norm(apex) or name
        is_apex = name == apex
        ns, soa, a, aaaa, mx, txt, dmarc = await asyncio.gather(
            self._lookup(apex, dnswire.NS),
            self._lookup(apex, dnswire.SOA),
            self._lookup(name, dnswire.A),
            self._lookup(name, dnswire.AAAA),
            self._lookup(name, dnswire.MX),
            self._lookup(name, dnswire.TXT),
            self._lookup(f"_dmarc.{name}", dnswire.TXT),
        )
        about_name = [a, aaaa, mx, txt] + ([ns, soa] if is_apex else [])
        if not any(lookup.status is Status.OK for lookup in about_name):
            absent = next((lookup for lookup in about_name if lookup.status is Status.ABSENT), None)
            if absent is not None:
                return Outcome(Status.ABSENT, None, absent.detail)
            return Outcome(a.status, None, f"A: {a.detail}; MX: {mx.detail}")

        problems: list[str] = []
        for what, lookup in (("NS", ns), ("SOA", soa), ("A", a), ("AAAA", aaaa), ("MX", mx), ("TXT", txt)):
            if lookup.status.unknown:
                problems.append(lookup.problem(what))

        ns_hosts = _ns_hosts(ns, apex)
        a_addrs = tuple(sorted(_addresses(a.records), key=_ip_key))
        aaaa_addrs = tuple(sorted(_addresses(aaaa.records), key=_ip_key))
        chain = a.chain or aaaa.chain or mx.chain
        mx_records = _mx_records(mx.records)

        targets = sorted({host for _, host in mx_records if host})
        if len(targets) > MAX_MX_TARGETS:
            problems.append(f"MX: {len(targets)} hosts; resolved the first {MAX_MX_TARGETS}")
            targets = targets[:MAX_MX_TARGETS]
        target_outcomes = await asyncio.gather(*(self.addresses(host) for host in targets))
        target_addresses: dict[str, tuple[str, ...]] = {}
        for host, outcome in zip(targets, target_outcomes, strict=True):
            if outcome.value is not None:
                target_addresses[host] = outcome.value
            if outcome.status.unknown:
                problems.append(f"MX {host}: {outcome.status.value} ({outcome.detail})")
        mx_hosts = tuple(
            MxHost(preference, host, target_addresses.get(host, ())) for preference, host in mx_records
        )

        spf = None
        if txt.status is Status.OK:
            spf_records = sorted(t for t in _texts(txt.records) if _is_spf(t))
            spf = spf_records[0] if spf_records else None
            if len(spf_records) > 1:
                problems.append(f"SPF: {len(spf_records)} v=spf1 records (RFC 7208 §4.5: permerror)")
        dmarc_text, dmarc_problem = await self._dmarc(dmarc, name, apex)
        if dmarc_problem:
            problems.append(dmarc_problem)

        route = _mail_route(
            mx,
            mx_records,
            a,
            aaaa,
            a_addrs + aaaa_addrs,
            targets=dict(zip(targets, target_outcomes, strict=True)),
        )
        mine = _Fingerprint(
            addresses=frozenset(a_addrs + aaaa_addrs),
            target=chain[-1] if chain else "",
            mx=frozenset(host for _, host in mx_records),
            ns=frozenset(ns_hosts),
        )
        wildcard, wildcard_problems = await self._wildcard(name, is_apex, mine)
        problems.extend(wildcard_problems)
        return Outcome(
            Status.OK,
            DnsFacts(
                existence=Existence.EXISTS,
                ns=ns_hosts,
                soa=_soa_mname(soa),
                a=a_addrs,
                aaaa=aaaa_addrs,
                cname=chain,
                mx=mx_hosts,
                mail_route=route,
                spf=spf,
                dmarc=dmarc_text,
                wildcard=wildcard,
                name_collision=NAME_COLLISION in a_addrs,
                problems=tuple(problems),
            ),
            a.detail if a.status is Status.OK else "",
        )

    async def _dmarc(self, first: _Lookup, name: str, apex: str) -> tuple[str | None, str]:
        """The DMARC record for ``name``: ``_dmarc.<name>``, else the organisational domain's
        ``_dmarc.<apex>`` (RFC 7489 §6.6.3). Returns (record, problem)."""
        lookups = [first]
        if name != apex and not _dmarc_record(first):
            lookups.append(await self._lookup(f"_dmarc.{apex}", dnswire.TXT))
        for lookup in lookups:
            record = _dmarc_record(lookup)
            if record is not None:
                return record, ""
            if lookup.status.unknown:
                return None, lookup.problem("DMARC")
        return None, ""

    async def _wildcard(self, name: str, is_apex: bool, mine: _Fingerprint) -> tuple[bool, list[str]]:
        """Does ``name`` only exist because its parent zone or its TLD answers every name?"""
        parent = name.split(".", 1)[1] if "." in name else ""
        zones = [zone for zone in dict.fromkeys((parent, name.rsplit(".", 1)[-1])) if zone]
        probes = await asyncio.gather(*(self._probe(zone) for zone in zones))
        problems: list[str] = []
        found = False
        for zone, probe in zip(zones, probes, strict=True):
            if probe.status.unknown:
                problems.append(f"wildcard check of {zone}: {probe.status.value} ({probe.detail})")
            elif probe.value is not None and _same_source(mine, probe.value, is_apex):
                found = True
        return found, problems

    def _probe(self, zone: str) -> asyncio.Task[Outcome[_Fingerprint]]:
        """A random name under ``zone``, resolved once per zone and shared by every caller."""
        task = self._wildcards.get(zone)
        if task is None or (task.done() and (task.cancelled() or task.result().status.unknown)):
            if len(self._wildcards) >= WILDCARD_CACHE:
                for key in [k for k, t in self._wildcards.items() if t.done()][: WILDCARD_CACHE // 2]:
                    del self._wildcards[key]
            task = asyncio.get_running_loop().create_task(self._fingerprint(zone))
            self._wildcards[zone] = task
        return task

    async def _fingerprint(self, zone: str) -> Outcome[_Fingerprint]:
        probe = f"lkwc-{secrets.token_hex(6)}.{zone}"
        a, aaaa, mx, ns = await asyncio.gather(
            self._lookup(probe, dnswire.A),
            self._lookup(probe, dnswire.AAAA),
            self._lookup(probe, dnswire.MX),
            self._lookup(probe, dnswire.NS),
        )
        lookups = (a, aaaa, mx, ns)
        if not any(lookup.status is Status.OK for lookup in lookups):
            if any(lookup.status is Status.ABSENT for lookup in lookups):
                return Outcome(Status.OK, None, f"{probe}: NXDOMAIN, no wildcard")
            return Outcome(a.status, None, a.detail)
        return Outcome(
            Status.OK,
            _Fingerprint(
                addresses=frozenset(_addresses(a.records) + _addresses(aaaa.records)),
                target=(a.chain or aaaa.chain or mx.chain or ("",))[-1],
                mx=frozenset(host for _, host in _mx_records(mx.records)),
                ns=frozenset(_ns_hosts(ns, probe)),
            ),
            f"{probe} exists: {zone} has a wildcard",
        )


class _TriageStream:
    """The engine of ``triage_many``: a pump for first attempts, coroutines only for the rest.

    At ten thousand names a second a task, a future and a timer per name cost more than the network.
    So the first attempt of each name is sent by one feeder task, its reply is judged in the socket's
    read callback (``replied``), and its timeout is found by one sweeper walking a FIFO of deadlines
    (every first attempt has the same timeout, so deadlines arrive in order). Only what that attempt
    cannot settle (no reply, SERVFAIL, REFUSED, a malformed or truncated reply) becomes a task running
    the general retry loop, ``Resolver._attempts``, which accepts a late reply to the first attempt.
    """

    def __init__(
        self, resolver: Resolver, names: Iterable[tuple[str, bool]] | AsyncIterable[tuple[str, bool]]
    ) -> None:
        self._resolver = resolver
        self._names = names
        self._finished: collections.deque[tuple[str, Outcome[Existence]]] = collections.deque()
        self._deadlines: collections.deque[_Query] = collections.deque()
        self._ready = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._outstanding = 0
        self._fed = False
        self._error: BaseException | None = None
        self._slots = resolver._slots or _Slots(1)
        # Finished-but-unread results plus questions in flight stay under twice the concurrency,
        # however slowly the consumer reads: that is what keeps memory flat.
        self._room = _Slots(2 * resolver._limits.concurrency)
        self._settled: dict[tuple[int, str], Outcome[Existence]] = {}
        """The shared outcome per (RCODE, resolver) for replies that need no further reading."""

    async def run(self) -> AsyncIterator[tuple[str, Outcome[Existence]]]:
        finished = self._finished
        self._spawn(self._feed())
        self._spawn(self._sweep())
        try:
            while True:
                while finished:
                    self._room.give()
                    yield finished.popleft()
                if self._error is not None:
                    raise self._error
                if self._fed and not self._outstanding:
                    return
                self._ready.clear()
                await self._ready.wait()
        finally:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            for query in self._deadlines:
                if query.sink is self:
                    self._resolver._release(query)
            self._deadlines.clear()
            # Questions abandoned by an early close give their concurrency back to the resolver.
            for _ in range(self._outstanding):
                self._slots.give()
            self._outstanding = 0

    def _spawn(self, coro: Coroutine[None, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self._error is None:
            self._error = task.exception()  # a bug, or an error from the input: raised to the consumer
            self._ready.set()

    def _finish(self, name: str, outcome: Outcome[Existence]) -> None:
        self._outstanding -= 1
        self._slots.give()
        self._finished.append((name, outcome))
        self._ready.set()

    async def _feed(self) -> None:
        """Send the first attempt of every name, as fast as the concurrency and rate limits allow."""
        resolver = self._resolver
        upstreams = resolver._upstreams
        timeout = resolver._limits.timeout
        loop = asyncio.get_running_loop()
        room = self._room
        slots = self._slots
        deadlines = self._deadlines
        names = self._names
        async_source = aiter(names) if isinstance(names, AsyncIterable) else None
        sync_source = iter(names) if not isinstance(names, AsyncIterable) else iter(())
        item: tuple[str, bool] | None
        try:
            while True:
                if not room.try_take():
                    await room.take()
                if async_source is not None:
                    try:
                        item = await anext(async_source)
                    except StopAsyncIteration:
                        return
                else:
                    item = next(sync_source, None)
                if item is None:
                    return
                name, apex = item
                if not slots.try_take():
                    await slots.take()
                self._outstanding += 1
                try:
                    qname = dnswire.encode_name(name)
                except dnswire.WireError as exc:
                    self._finish(name, Outcome(Status.ERROR, Existence.UNKNOWN, str(exc)))
                    continue
                query = _Query(qname, _TRIAGE_TYPES[apex])
                query.name = name
                query.start = start = resolver._next_start()
                upstream = upstreams[start]
                if not upstream.bucket.unlimited:
                    await upstream.bucket.acquire()
                channel = upstream.channel()
                qid = channel.register(query)
                try:
                    channel.sock.send(dnswire.build_query(qid, qname, query.qtype))
                except BlockingIOError:
                    # The send buffer is full: give the loop a turn to drain replies, then let the
                    # retry loop ask again; this attempt counts as lost.
                    resolver._timeouts += 1
                    self._hand_over(query, 1, [("send buffer full", upstream.label)])
                    await asyncio.sleep(0)
                    continue
                except OSError as exc:
                    resolver._refused += 1
                    self._hand_over(query, 1, [(f"send failed: {exc.strerror or exc}", upstream.label)])
                    continue
                resolver._queries += 1
                query.sink = self
                query.deadline = loop.time() + timeout
                deadlines.append(query)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            # An error from the input (the generator) must reach the consumer; record it before the
            # finally below wakes the consumer, or it would see a stream that merely ended.
            if self._error is None:
                self._error = exc
            raise
        finally:
            self._fed = True
            self._ready.set()

    def replied(self, query: _Query, reply: _Reply) -> None:
        """A reply to a first attempt (called from the socket's read callback)."""
        rcode = reply.rcode
        data = reply.data
        query.sink = None
        if (rcode == dnswire.NXDOMAIN or (rcode == dnswire.NOERROR and not _referral_only(data))) and not (
            data[2] & 0x02
        ):
            resolver = self._resolver
            resolver._release(query)
            # Only an NXDOMAIN with answers (a CNAME into nothing?) needs its records read.
            plain = rcode == dnswire.NOERROR or not (data[6] or data[7])
            outcome = self._settled.get((rcode, reply.label)) if plain else None
            if outcome is None:
                status = Status.OK if rcode == dnswire.NOERROR else Status.ABSENT
                answer = _Answer(status, data, resolver._said(dnswire.RCODE_NAMES[rcode], reply))
                outcome = resolver._triage_outcome(answer, query.qname)
                if plain:
                    self._settled[(rcode, reply.label)] = outcome
            self._finish(query.name, outcome)
            return
        query.late = reply  # judged again, with retries, by the general loop
        self._hand_over(query, 0, [])

    def _hand_over(self, query: _Query, first: int, failures: list[tuple[str, str]]) -> None:
        query.sink = None
        self._spawn(self._retry(query, first, failures))

    async def _retry(self, query: _Query, first: int, failures: list[tuple[str, str]]) -> None:
        resolver = self._resolver
        try:
            answer = await resolver._attempts(query, query.start, first, failures, 0)
        finally:
            resolver._release(query)
        self._finish(query.name, resolver._triage_outcome(answer, query.qname))

    async def _sweep(self) -> None:
        """Hand first attempts that passed their deadline to the retry loop."""
        resolver = self._resolver
        timeout = resolver._limits.timeout
        tick = min(max(timeout / 20, 0.005), 0.05)
        deadlines = self._deadlines
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            while deadlines and deadlines[0].deadline <= now:
                query = deadlines.popleft()
                if query.sink is self:
                    resolver._timeouts += 1
                    label = resolver._upstreams[query.start].label
                    self._hand_over(query, 1, [("timeout", label)])


# -- pure helpers ----------------------------------------------------------------------------------


def _referral_only(data: bytes) -> bool:
    """A NOERROR with no answer, not authoritative and without recursion available: a referral from
    a server that does not resolve. It says nothing about the name, so it is not "exists"."""
    return not data[2] & 0x04 and not data[3] & 0x80 and not (data[6] or data[7])


def _norm(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _summarise(failures: Sequence[tuple[str, str]]) -> str:
    """``SERVFAIL from 127.0.0.1:5353 x3, timeout from 127.0.0.1:5354``: what each attempt got."""
    if not failures:
        return "no attempt was made"
    counts = collections.Counter(failures)
    return ", ".join(
        f"{what} from {label}" + (f" x{counts[(what, label)]}" if counts[(what, label)] > 1 else "")
        for what, label in dict.fromkeys(failures)
    )


def _follow(
    message: dns.message.Message, qname: dns.name.Name, qtype: int
) -> tuple[tuple[str, ...], tuple[dns.rdata.Rdata, ...]]:
    """Follow CNAMEs from ``qname`` through the answer section; the records of ``qtype`` at the end."""
    rdtype = dns.rdatatype.RdataType(qtype)
    chain: list[str] = []
    seen = {qname}
    current = qname
    for _ in range(MAX_CNAME_CHAIN):
        rrset = message.get_rrset(message.answer, current, _IN, rdtype)
        if rrset is not None:
            return tuple(chain), tuple(rrset)
        if rdtype == dns.rdatatype.CNAME:
            break
        cname = message.get_rrset(message.answer, current, _IN, dns.rdatatype.CNAME)
        if cname is None or not len(cname):
            break
        target: dns.name.Name = next(iter(cname)).target
        if target in seen:
            break
        seen.add(target)
        chain.append(_text(target))
        current = target
    return tuple(chain), ()


def _text(name: dns.name.Name) -> str:
    """Lower case, no trailing dot; the root (a null MX target) is ``""``."""
    return "" if name == dns.name.root else name.to_text(omit_final_dot=True).lower()


def _addresses(records: Iterable[dns.rdata.Rdata]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(rdata.address) for rdata in records))  # type: ignore[attr-defined]


def _ip_key(address: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(address)
    return ip.version, int(ip)


def _addresses_outcome(a: _Lookup, aaaa: _Lookup) -> Outcome[tuple[str, ...]]:
    found = _addresses(a.records) + _addresses(aaaa.records)
    failed = [lookup.problem(what) for what, lookup in (("A", a), ("AAAA", aaaa)) if lookup.status.unknown]
    if a.status is Status.OK or aaaa.status is Status.OK:
        return Outcome(Status.OK, found, "; ".join(failed))
    if Status.ABSENT in (a.status, aaaa.status):
        return Outcome(Status.ABSENT, None, a.detail if a.status is Status.ABSENT else aaaa.detail)
    return Outcome(a.status, None, "; ".join(failed))


def _texts(records: Iterable[dns.rdata.Rdata]) -> tuple[str, ...]:
    """TXT records as text: one record's character-strings are joined without spaces (RFC 7208 §3.3).
    Bytes that are not UTF-8 are replaced: this is hostile text, shown to people, never executed."""
    return tuple(
        b"".join(rdata.strings).decode("utf-8", "replace")  # type: ignore[attr-defined]
        for rdata in records
    )


def _is_spf(text: str) -> bool:
    return text[:6].lower() == "v=spf1" and (len(text) == 6 or text[6] == " ")


def _dmarc_record(lookup: _Lookup) -> str | None:
    if lookup.status is not Status.OK:
        return None
    records = sorted(t for t in _texts(lookup.records) if _is_dmarc(t))
    return records[0] if records else None


def _is_dmarc(text: str) -> bool:
    head = text.lstrip()[:8].lower()
    rest = text.lstrip()[8:9]
    return head == "v=dmarc1" and rest in ("", ";", " ", "\t")


def _mx_records(records: Iterable[dns.rdata.Rdata]) -> list[tuple[int, str]]:
    """(preference, host) sorted by preference then host; a null MX target (``.``) is ``""``."""
    return sorted(
        {(int(rdata.preference), _text(rdata.exchange)) for rdata in records}  # type: ignore[attr-defined]
    )


def _ns_hosts(lookup: _Lookup, owner: str) -> tuple[str, ...]:
    """NS targets for ``owner`` from the answer, else from a referral's authority section."""
    if lookup.message is None:
        return ()
    records = lookup.records
    if not records:
        rrset = lookup.message.get_rrset(
            lookup.message.authority, dns.name.from_text(owner), _IN, dns.rdatatype.NS
        )
        records = tuple(rrset) if rrset is not None else ()
    return tuple(sorted({_text(rdata.target) for rdata in records}))  # type: ignore[attr-defined]


def _soa_mname(lookup: _Lookup) -> str:
    if lookup.message is None:
        return ""
    for rdata in lookup.records:
        return _text(rdata.mname)  # type: ignore[attr-defined]
    for rrset in lookup.message.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            return _text(next(iter(rrset)).mname)
    return ""


def _mail_route(
    mx: _Lookup,
    mx_records: Sequence[tuple[int, str]],
    a: _Lookup,
    aaaa: _Lookup,
    addresses: tuple[str, ...],
    *,
    targets: Mapping[str, Outcome[tuple[str, ...]]],
) -> MailRoute:
    """RFC 5321 §5.1 and RFC 7505: explicit MX, a null MX, the implicit MX of an address, or none.

    ``targets`` holds the address lookup of each MX host that was asked. When every MX host was asked
    and each answer is definite and empty (NXDOMAIN, or no A and no AAAA with neither question failing:
    an OK outcome without detail), mail has nowhere to go: ``DANGLING_MX``. An unanswered lookup, or an
    MX host left unasked, keeps it ``MX``: unknown is not "bounces"."""
    if mx.status.unknown:
        return MailRoute.UNKNOWN
    if mx_records:
        if len(mx_records) == 1 and mx_records[0] == (0, ""):
            return MailRoute.NULL_MX
        hosts = {host for _, host in mx_records if host}
        answers = [targets.get(host) for host in hosts]
        if hosts and all(
            found is not None
            and not found.value
            and (found.status is Status.ABSENT or (found.status is Status.OK and not found.detail))
            for found in answers
        ):
            return MailRoute.DANGLING_MX
        return MailRoute.MX
    if addresses:
        return MailRoute.IMPLICIT
    if a.status.unknown or aaaa.status.unknown:
        return MailRoute.UNKNOWN
    return MailRoute.NONE


def _same_source(mine: _Fingerprint, wildcard: _Fingerprint, is_apex: bool) -> bool:
    """True when a name's answers are the wildcard's: it exists only through the wildcard."""
    if is_apex and mine.ns != wildcard.ns:
        return False  # delegated on its own: registered, whatever its addresses
    if mine.target or wildcard.target:
        return mine.target == wildcard.target
    if mine.addresses or wildcard.addresses:
        # Wildcards behind load balancers rotate addresses: one shared address is enough.
        return bool(mine.addresses & wildcard.addresses)
    return mine.mx == wildcard.mx
