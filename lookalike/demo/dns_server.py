"""A loopback DNS server that answers like a recursive resolver knowing only some zone files, with
faults injected on chosen names. The integration tests and ``make demo`` both run it.

What it answers, for a question about ``qname``:

* ``qname`` inside a loaded zone (the deepest one that encloses it): from that zone, authoritatively
  (AA, RD, RA), with NXDOMAIN or NODATA plus the zone's SOA in the authority section when the name or
  type is missing. Wildcards (``*.zone.``) synthesise answers per RFC 4592, empty non-terminals answer
  NODATA, and CNAMEs are followed through the loaded data (into another loaded zone too).
* ``qname`` at or below a delegation whose child zone is not loaded: an NS question at the cut gets the
  delegation's NS records as its answer (so a TLD zone with ``kestrel NS ns1.kestrel.ml.`` makes
  ``kestrel.ml`` exist); anything else gets a referral (NOERROR, NS in the authority section), which is
  what unbound's ``auth-zone`` serving the same files answers.
* ``qname`` in no loaded zone: NXDOMAIN at once, as if the root said so.

Faults (``Fault``) apply per question name: an exact name (``"kestrel.ml."``), every name below a
suffix (``"*.slowzone.ml."``), or every name (``"*."``); optionally only for one query type and only
for the first N queries. Over UDP and TCP alike, except ``truncate``, which only UDP can express.

It must not be used for anything but loopback tests and the demo: it is slow (pure Python, a few
thousand queries per second) and trusts its zone files.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import io
import re
import socket
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.node
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

from lookalike.endpoints import HostPort
from lookalike.errors import LookalikeError

FAULT_KINDS = frozenset(
    {"servfail", "refused", "drop", "truncate", "slow", "wrong-id", "wrong-question", "garbage", "badvers"}
)
"""servfail/refused: that RCODE. drop: no reply at all. truncate: TC set and no records over UDP (TCP
answers fully). slow: the real answer after ``seconds``. wrong-id: an NXDOMAIN whose id differs from
the query's, then nothing. wrong-question: an NXDOMAIN with the right id but another question, then
nothing. garbage: the right id and question, then a body that does not hold the records it counts.
badvers: the real answer's records under a NOERROR header, with an OPT record whose extended RCODE
makes the whole RCODE BADVERS (16): a server that reads only the header's four bits sees NOERROR."""

MAX_CNAME_CHAIN = 8
UDP_PLAIN_LIMIT = 512
TCP_IDLE_SECONDS = 10.0
LOG_LENGTH = 100_000

_IN = dns.rdataclass.IN
_PLAIN_LABEL = re.compile(rb"[a-z0-9_*-]+\Z")
_COUNT = {False: b"\x00\x00", True: b"\x00\x01"}


@dataclass(frozen=True, slots=True)
class Fault:
    """A misbehaviour to inject for some question names."""

    kind: str
    """One of ``FAULT_KINDS``."""
    seconds: float = 0.0
    """How long ``slow`` holds the answer."""
    times: int = 0
    """Misbehave for the first ``times`` matching queries of each name, then answer normally; 0: always."""
    qtype: str = ""
    """Only for this query type (``"MX"``); empty: every type."""

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            kinds = ", ".join(sorted(FAULT_KINDS))
            raise LookalikeError(f"unknown fault {self.kind!r}; expected one of {kinds}")
        if self.seconds < 0 or self.times < 0:
            raise LookalikeError(f"fault {self.kind!r}: seconds and times must not be negative")


@dataclass(frozen=True, slots=True)
class LoggedQuery:
    """One question the server received."""

    when: float
    """``time.monotonic()`` at arrival."""
    transport: str
    """``"udp"`` or ``"tcp"``."""
    qname: str
    """Lower case, with the trailing dot."""
    qtype: str


class _ZoneIndex:
    """One loaded zone with the lookups a resolver needs precomputed."""

    def __init__(self, zone: dns.zone.Zone) -> None:
        if zone.origin is None:
            raise LookalikeError("a zone without an origin cannot be served")
        self.zone = zone
        self.origin: dns.name.Name = zone.origin
        self.names: set[dns.name.Name] = set()
        self.enclosers: set[dns.name.Name] = set()
        self.cuts: set[dns.name.Name] = set()
        for raw_name, node in zone.nodes.items():
            name = raw_name.derelativize(self.origin)
            self.names.add(name)
            walker = name
            while walker != self.origin and walker.is_subdomain(self.origin):
                self.enclosers.add(walker)
                walker = walker.parent()
            if name != self.origin and node.get_rdataset(_IN, dns.rdatatype.NS) is not None:
                self.cuts.add(name)
        self.enclosers.add(self.origin)
        soa = zone.get_rdataset(self.origin, dns.rdatatype.SOA)
        if soa is None:
            raise LookalikeError(f"zone {self.origin} has no SOA record")
        self.soa = dns.rrset.from_rdata_list(self.origin, soa.ttl, list(soa))
        # Text forms for the byte-level NXDOMAIN path (see DnsServer._fast_nxdomain).
        self.origin_text = self.origin.to_text().lower()
        self.names_text = frozenset(n.to_text().lower() for n in self.names)
        self.enclosers_text = frozenset(n.to_text().lower() for n in self.enclosers)
        self.cuts_text = frozenset(n.to_text().lower() for n in self.cuts)
        rendered = io.BytesIO()
        self.soa.to_wire(rendered)
        self.soa_wire = rendered.getvalue()
        """The SOA record, uncompressed, for the authority section of a negative answer."""

    def certainly_absent(self, qname: str) -> bool:
        """True when ``qname`` (lower case, trailing dot, inside this zone) is NXDOMAIN here for sure:
        no node, not an empty non-terminal, not below a delegation, and no wildcard to synthesise it."""
        if qname in self.enclosers_text:
            return False
        encloser = qname
        while encloser != self.origin_text:
            encloser = encloser.split(".", 1)[1] or "."
            if encloser in self.cuts_text:
                return False
            if encloser in self.enclosers_text:
                break
        # Below the closest encloser only a cut could still intervene, and none exists there.
        rest = encloser
        while rest != self.origin_text:
            rest = rest.split(".", 1)[1] or "."
            if rest in self.cuts_text:
                return False
        wildcard = "*." + encloser if encloser != "." else "*."
        return wildcard not in self.names_text

    def node(self, name: dns.name.Name) -> dns.node.Node | None:
        if name not in self.names:
            return None
        return self.zone.get_node(name)

    def cut_above(self, qname: dns.name.Name) -> dns.name.Name | None:
        """The highest delegation point between the origin (exclusive) and ``qname`` (inclusive)."""
        if not self.cuts:
            return None
        labels = qname.labels
        depth = len(self.origin.labels)
        for i in range(len(labels) - depth - 1, -1, -1):
            candidate = dns.name.Name(labels[i:])
            if candidate in self.cuts:
                return candidate
        return None


class _Universe:
    """Every loaded zone and fault: swapped as a whole by ``DnsServer.update``."""

    def __init__(self, zones: Sequence[dns.zone.Zone], faults: Mapping[str, Fault]) -> None:
        self.zones: dict[dns.name.Name, _ZoneIndex] = {}
        for zone in zones:
            index = _ZoneIndex(zone)
            if index.origin in self.zones:
                raise LookalikeError(f"zone {index.origin} is loaded twice")
            self.zones[index.origin] = index
        self.faults = {_fault_key(key): fault for key, fault in faults.items()}

        self.by_text = {index.origin_text: index for index in self.zones.values()}

    def zone_for_text(self, labels: Sequence[str]) -> _ZoneIndex | None:
        """The deepest loaded zone holding the name with these (lower-case) labels."""
        for i in range(len(labels)):
            index = self.by_text.get(".".join(labels[i:]) + ".")
            if index is not None:
                return index
        return self.by_text.get(".")

    def zone_for(self, qname: dns.name.Name) -> _ZoneIndex | None:
        labels = qname.labels
        for i in range(len(labels)):
            index = self.zones.get(dns.name.Name(labels[i:]))
            if index is not None:
                return index
        return None

    def fault_for(self, qname: str, qtype: str) -> tuple[str, Fault] | None:
        """The fault for this question, most specific key first: the name, ``*.parent.``..., ``*.``."""
        if not self.faults:
            return None
        keys = [qname]
        rest = qname
        while rest not in (".", ""):
            rest = rest.split(".", 1)[1] or "."
            keys.append("*." if rest == "." else f"*.{rest}")
        for key in keys:
            fault = self.faults.get(key)
            if fault is not None and (not fault.qtype or fault.qtype.upper() == qtype):
                return key, fault
        return None


def _fault_key(key: str) -> str:
    key = key.strip().lower()
    if key in ("*", "*.", "."):
        return "*."
    return key if key.endswith(".") else key + "."


class DnsServer:
    """The loopback DNS server: an async context manager serving UDP and TCP on one port.

    ``port=0`` picks a free port (the same for UDP and TCP); ``address`` says which, once entered.
    """

    def __init__(
        self,
        zones: Sequence[dns.zone.Zone],
        faults: Mapping[str, Fault] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._universe = _Universe(zones, faults or {})
        self._host = host
        self._port = port
        self.address = HostPort(host, port)
        self.queries = 0
        """Questions received, over UDP and TCP."""
        self.log: collections.deque[LoggedQuery] = collections.deque(maxlen=LOG_LENGTH)
        """The last questions received, oldest first."""
        self.held = 0
        """Answers being held back right now by a ``slow`` fault."""
        self.peak_held = 0
        """The most answers held back at once: a client's concurrency, seen from the server."""
        self._fault_counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self._udp: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tcp: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()

    @classmethod
    def from_directory(
        cls, zone_dir: Path, faults_file: Path | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> DnsServer:
        """A server for every ``*.zone`` file in ``zone_dir``, with the faults from a TOML file."""
        faults = load_faults(faults_file) if faults_file is not None else {}
        return cls(load_zones(zone_dir), faults, host=host, port=port)

    def update(
        self, zones: Sequence[dns.zone.Zone] | None = None, faults: Mapping[str, Fault] | None = None
    ) -> None:
        """Swap the zones and/or the faults (None keeps the current ones), e.g. between two scans."""
        current = self._universe
        new_zones = [index.zone for index in current.zones.values()] if zones is None else zones
        new_faults = current.faults if faults is None else faults
        self._universe = _Universe(new_zones, new_faults)
        self._fault_counts.clear()

    def count(self, qname: str, qtype: str | None = None) -> int:
        """How many logged questions asked about ``qname`` (and ``qtype`` when given)."""
        key = _fault_key(qname)
        return sum(1 for q in self.log if q.qname == key and (qtype is None or q.qtype == qtype.upper()))

    async def __aenter__(self) -> DnsServer:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        last_error: OSError | None = None
        for _ in range(20):
            udp_sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                udp_sock.setblocking(False)
                udp_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
                udp_sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
                udp_sock.bind((self._host, self._port))
                port = udp_sock.getsockname()[1]
                tcp = await asyncio.start_server(self._serve_tcp, self._host, port, family=family)
            except OSError as exc:
                udp_sock.close()
                last_error = exc
                if self._port:
                    break
                continue
            # A raw socket drained on each wake-up: asyncio's datagram transport reads one datagram per
            # loop turn, which in a background thread means one GIL hand-off per query.
            self._udp = udp_sock
            self._loop = loop
            loop.add_reader(udp_sock.fileno(), self._readable)
            self._tcp = tcp
            self.address = HostPort(self._host, port)
            return self
        raise LookalikeError(f"cannot listen on {self._host} port {self._port}: {last_error}")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._udp is not None and self._loop is not None:
            self._loop.remove_reader(self._udp.fileno())
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._tcp.wait_closed()
            self._tcp = None

    # -- answering ---------------------------------------------------------------------------------

    def _note(self, transport: str, query: dns.message.Message) -> tuple[str, str]:
        q = query.question[0]
        qname = q.name.to_text().lower()
        qtype = dns.rdatatype.to_text(q.rdtype)
        self.queries += 1
        self.log.append(LoggedQuery(time.monotonic(), transport, qname, qtype))
        return qname, qtype

    def _fault(self, qname: str, qtype: str) -> Fault | None:
        found = self._universe.fault_for(qname, qtype)
        if found is None:
            return None
        key, fault = found
        if fault.times:
            seen = self._fault_counts[(key, qname)]
            if seen >= fault.times:
                return None
            self._fault_counts[(key, qname)] = seen + 1
        return fault

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        """The full, fault-free response to one query."""
        response = dns.message.make_response(query, recursion_available=True, our_payload=1232)
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
            return response
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        q = query.question[0]
        if q.rdclass != _IN:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        self._resolve(response, q.name, q.rdtype, [])
        return response

    def _resolve(
        self,
        response: dns.message.Message,
        qname: dns.name.Name,
        qtype: dns.rdatatype.RdataType,
        seen: list[dns.name.Name],
    ) -> None:
        universe = self._universe
        index = universe.zone_for(qname)
        if index is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return
        cut = index.cut_above(qname)
        if cut is not None:
            self._delegation(response, index, cut, qname, qtype)
            return
        if not seen:
            response.flags |= dns.flags.AA
        owner = qname
        node = index.node(qname)
        if node is None:
            if qname in index.enclosers:  # an empty non-terminal: the name exists, with no data
                response.authority.append(index.soa)
                return
            node = self._wildcard(index, qname)
            if node is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
                response.authority.append(index.soa)
                return
        cname = node.get_rdataset(_IN, dns.rdatatype.CNAME)
        if cname is not None and qtype != dns.rdatatype.CNAME:
            response.answer.append(dns.rrset.from_rdata_list(owner, cname.ttl, list(cname)))
            target: dns.name.Name = next(iter(cname)).target
            if len(seen) < MAX_CNAME_CHAIN and target not in seen and target != qname:
                self._resolve(response, target, qtype, [*seen, qname])
            return
        if qtype == dns.rdatatype.ANY:
            for rdataset in node.rdatasets:
                response.answer.append(dns.rrset.from_rdata_list(owner, rdataset.ttl, list(rdataset)))
            return
        rdataset = node.get_rdataset(_IN, qtype)
        if rdataset is None:
            response.authority.append(index.soa)
            return
        response.answer.append(dns.rrset.from_rdata_list(owner, rdataset.ttl, list(rdataset)))

    @staticmethod
    def _wildcard(index: _ZoneIndex, qname: dns.name.Name) -> dns.node.Node | None:
        """The wildcard node that synthesises ``qname`` (RFC 4592 §3.3.1), if any."""
        encloser = qname.parent()
        while encloser not in index.enclosers:
            encloser = encloser.parent()
        return index.node(dns.name.Name((b"*", *encloser.labels)))

    @staticmethod
    def _delegation(
        response: dns.message.Message,
        index: _ZoneIndex,
        cut: dns.name.Name,
        qname: dns.name.Name,
        qtype: int,
    ) -> None:
        ns = index.zone.get_rdataset(cut, dns.rdatatype.NS)
        if ns is None:  # pragma: no cover - cuts are built from NS rdatasets
            return
        ns_rrset = dns.rrset.from_rdata_list(cut, ns.ttl, list(ns))
        if qname == cut and qtype == dns.rdatatype.NS:
            response.answer.append(ns_rrset)
        else:
            response.authority.append(ns_rrset)
        for rdata in ns:
            target: dns.name.Name = rdata.target
            node = index.node(target)
            if node is None:
                continue
            for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                glue = node.get_rdataset(_IN, rdtype)
                if glue is not None:
                    response.additional.append(dns.rrset.from_rdata_list(target, glue.ttl, list(glue)))

    # -- faults ------------------------------------------------------------------------------------

    def _reply(
        self, query: dns.message.Message, fault: Fault | None, *, udp_limit: int | None
    ) -> bytes | None:
        """The bytes to send back for ``query`` under ``fault`` (None: send nothing)."""
        kind = fault.kind if fault is not None else ""
        if kind == "drop":
            return None
        if kind in ("servfail", "refused"):
            response = dns.message.make_response(query, recursion_available=True, our_payload=1232)
            response.set_rcode(dns.rcode.SERVFAIL if kind == "servfail" else dns.rcode.REFUSED)
            return response.to_wire()
        if kind == "wrong-id":
            lie = dns.message.make_response(query, recursion_available=True)
            lie.set_rcode(dns.rcode.NXDOMAIN)
            lie.id = query.id ^ 0x5A5A
            return lie.to_wire()
        if kind == "wrong-question":
            spoof = dns.message.make_query(
                dns.name.Name((b"spoofed", *query.question[0].name.labels)), query.question[0].rdtype
            )
            spoof.id = query.id
            lie = dns.message.make_response(spoof, recursion_available=True)
            lie.set_rcode(dns.rcode.NXDOMAIN)
            return lie.to_wire()
        if kind == "garbage":
            honest = dns.message.make_response(query, recursion_available=True).to_wire()
            # Claim three answers, then send bytes that hold none.
            return honest[:6] + b"\x00\x03" + honest[8:] + b"\xc0\x0c\xff\xee\xdd"
        if kind == "badvers":
            response = self.answer(query)
            response.use_edns(0, 0, 1232)  # an OPT record even when the query had none: a hostile server
            response.set_rcode(dns.rcode.BADVERS)
            return response.to_wire(max_size=65535)
        if kind == "truncate" and udp_limit is not None:
            response = dns.message.make_response(query, recursion_available=True, our_payload=1232)
            response.flags |= dns.flags.TC
            return response.to_wire()
        response = self.answer(query)
        if udp_limit is None:
            return response.to_wire(max_size=65535)  # the query's EDNS payload size binds UDP only
        try:
            return response.to_wire(max_size=udp_limit)
        except dns.exception.TooBig:
            short = dns.message.make_response(query, recursion_available=True, our_payload=1232)
            short.flags |= dns.flags.TC
            short.set_rcode(response.rcode())
            return short.to_wire()

    def _fast_nxdomain(self, transport: str, data: bytes) -> bytes | None:
        """An NXDOMAIN, built from the query's bytes, for a plain question about a name in no loaded
        zone with no fault on it; None sends the query down the full (dnspython) path.

        The demo triages thousands of TLD swaps that exist nowhere: parsing and rendering each with
        dnspython would make this server the slowest part of the demo.
        """
        if len(data) < 17 or data[2] & 0xF8 or data[4:10] != b"\x00\x01\x00\x00\x00\x00":
            return None  # a response, another opcode, or not exactly one question
        labels: list[str] = []
        i = 12
        while data[i]:
            length = data[i]
            if length > 63 or i + 1 + length >= len(data):
                return None
            label = data[i + 1 : i + 1 + length].lower()
            if not _PLAIN_LABEL.match(label):
                return None  # anything dnspython would escape in text takes the full path
            labels.append(label.decode("ascii"))
            i += 1 + length
        end = i + 5
        if data[end - 2 : end] != b"\x00\x01":
            return None  # not class IN
        additional = data[10:12]
        edns = additional == b"\x00\x01" and data[end : end + 3] == b"\x00\x00\x29"
        if additional != b"\x00\x00" and not edns:
            return None
        qname = ".".join(labels) + "."
        index = self._universe.zone_for_text(labels)
        if index is not None and not index.certainly_absent(qname):
            return None
        qtype = dns.rdatatype.to_text(dns.rdatatype.RdataType.make((data[end - 4] << 8) | data[end - 3]))
        if self._universe.fault_for(qname, qtype) is not None:
            return None
        self.queries += 1
        self.log.append(LoggedQuery(time.monotonic(), transport, qname, qtype))
        authoritative = 0x04 if index is not None else 0
        flags = bytes((0x80 | authoritative | (data[2] & 0x01), 0x80 | dns.rcode.NXDOMAIN))
        soa = index.soa_wire if index is not None else b""
        counts = b"\x00\x01\x00\x00" + _COUNT[bool(soa)] + _COUNT[edns]
        opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00" if edns else b""  # payload 1232
        return data[:2] + flags + counts + data[12:end] + soa + opt

    def _readable(self) -> None:
        sock = self._udp
        while sock is not None:
            try:
                data, addr = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error about a client that went away
            self._handle_udp(data, addr)
            sock = self._udp

    def _send(self, wire: bytes, addr: Any) -> None:
        if self._udp is not None:
            # A full send buffer loses the reply, as the network would; the client retries.
            with contextlib.suppress(BlockingIOError, InterruptedError):
                self._udp.sendto(wire, addr)

    def _handle_udp(self, data: bytes, addr: Any) -> None:
        fast = self._fast_nxdomain("udp", data)
        if fast is not None:
            self._send(fast, addr)
            return
        query = _parse_query(data)
        if query is None:
            formerr = _formerr(data)
            if formerr is not None:
                self._send(formerr, addr)
            return
        qname, qtype = self._note("udp", query)
        fault = self._fault(qname, qtype)
        limit = max(query.payload, UDP_PLAIN_LIMIT) if query.edns >= 0 else UDP_PLAIN_LIMIT
        wire = self._reply(query, fault, udp_limit=limit)
        if wire is None:
            return
        if fault is not None and fault.kind == "slow":
            self._hold(fault.seconds, wire, addr)
            return
        self._send(wire, addr)

    def _hold(self, seconds: float, wire: bytes, addr: Any) -> None:
        loop = asyncio.get_running_loop()
        self.held += 1
        self.peak_held = max(self.peak_held, self.held)
        handle: asyncio.TimerHandle

        def release() -> None:
            self.held -= 1
            self._timers.discard(handle)
            self._send(wire, addr)

        handle = loop.call_later(seconds, release)
        self._timers.add(handle)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                try:
                    async with asyncio.timeout(TCP_IDLE_SECONDS):
                        size = int.from_bytes(await reader.readexactly(2), "big")
                        data = await reader.readexactly(size)
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                    return
                fast = self._fast_nxdomain("tcp", data)
                if fast is not None:
                    writer.write(len(fast).to_bytes(2, "big") + fast)
                    continue
                query = _parse_query(data)
                if query is None:
                    formerr = _formerr(data)
                    if formerr is None:
                        return
                    writer.write(len(formerr).to_bytes(2, "big") + formerr)
                    continue
                qname, qtype = self._note("tcp", query)
                fault = self._fault(qname, qtype)
                wire = self._reply(query, fault, udp_limit=None)
                if wire is None:
                    return  # drop: close without a word
                if fault is not None and fault.kind == "slow":
                    self.held += 1
                    self.peak_held = max(self.peak_held, self.held)
                    try:
                        await asyncio.sleep(fault.seconds)
                    finally:
                        self.held -= 1
                writer.write(len(wire).to_bytes(2, "big") + wire)
                await writer.drain()
        except ConnectionError:
            return
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def _parse_query(data: bytes) -> dns.message.Message | None:
    try:
        query = dns.message.from_wire(data)
    except (dns.exception.DNSException, ValueError):
        return None
    if query.flags & dns.flags.QR or len(query.question) != 1:
        return None
    return query


def _formerr(data: bytes) -> bytes | None:
    """A header-only FORMERR for a message we could not parse, when it has a header at all."""
    if len(data) < 12 or data[2] & 0x80:
        return None
    flags = (0x80 | (data[2] & 0x79)).to_bytes(1, "big") + bytes((0x80 | dns.rcode.FORMERR,))
    return data[:2] + flags + b"\x00" * 8


def zone_origin(path: Path) -> dns.name.Name:
    """The origin of a zone file: its ``$ORIGIN`` line when it starts with one, else its file name
    (``kestrel.ml.zone`` -> ``kestrel.ml.``; ``root.zone`` -> ``.``)."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            text = line.split(";", 1)[0].strip()
            if not text:
                continue
            parts = text.split()
            if parts[0].upper() == "$ORIGIN" and len(parts) >= 2:
                return dns.name.from_text(parts[1])
            if not parts[0].startswith("$"):
                break
    stem = path.name.removesuffix(".zone")
    return dns.name.root if stem in ("root", ".", "") else dns.name.from_text(stem)


def load_zone(path: Path) -> dns.zone.Zone:
    """One RFC 1035 master file, with absolute names (``relativize=False``). Raises ``LookalikeError``."""
    try:
        origin = zone_origin(path)
        return dns.zone.from_file(str(path), origin=origin, relativize=False)
    except (OSError, UnicodeDecodeError) as exc:
        raise LookalikeError(f"cannot read zone file {path}: {exc}") from exc
    except dns.exception.DNSException as exc:
        raise LookalikeError(f"zone file {path} is not valid: {exc}") from exc


def load_zones(directory: Path) -> list[dns.zone.Zone]:
    """Every ``*.zone`` file in ``directory``, in file-name order. Raises ``LookalikeError``."""
    if not directory.is_dir():
        raise LookalikeError(f"{directory} is not a directory of zone files")
    zones = [load_zone(path) for path in sorted(directory.glob("*.zone"))]
    if not zones:
        raise LookalikeError(f"{directory} holds no *.zone files")
    return zones


def load_faults(path: Path) -> dict[str, Fault]:
    """Faults from a TOML file::

    [faults]
    "broken.kestrel.ml." = "servfail"
    "*.slowzone.ml." = { kind = "slow", seconds = 3 }
    "mail.kestrel.ml." = { kind = "drop", qtype = "MX", times = 1 }
    """
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LookalikeError(f"cannot read fault file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LookalikeError(f"fault file {path} is not valid TOML: {exc}") from exc
    table = data.get("faults", {})
    if not isinstance(table, dict):
        raise LookalikeError(f"{path}: [faults] must be a table")
    return {str(name): _fault_from(path, str(name), spec) for name, spec in table.items()}


def _fault_from(path: Path, name: str, spec: object) -> Fault:
    if isinstance(spec, str):
        return Fault(spec)
    if isinstance(spec, dict):
        unknown = set(spec) - {"kind", "seconds", "times", "qtype"}
        if unknown or "kind" not in spec:
            raise LookalikeError(f"{path}: fault for {name!r} needs 'kind' and allows seconds, times, qtype")
        try:
            return Fault(
                kind=str(spec["kind"]),
                seconds=float(spec.get("seconds", 0.0)),
                times=int(spec.get("times", 0)),
                qtype=str(spec.get("qtype", "")).upper(),
            )
        except (TypeError, ValueError) as exc:
            raise LookalikeError(f"{path}: fault for {name!r}: {exc}") from exc
    raise LookalikeError(f"{path}: fault for {name!r} must be a kind or a table")
