"""Asynchronous DNS for the scan: triage (does a name exist?) then detail (NS, A/AAAA, MX, SPF, DMARC).

Stage 1, ``Resolver.triage`` / ``triage_many``, is the fast path every candidate takes: query bytes
built by hand (``dnswire``), sent on a few connected UDP sockets per resolver (``transport``),
replies matched by id *and* question and read only as far as the header and the extent of the
records. Stage 2, ``Resolver.detail``, runs only for names that exist; ``replies`` reads its replies
(byte operations for the plain ones, dnspython for the rest) and ``facts`` says what they mean.

Three answers, never two. How a reply becomes a ``Status`` (``policy`` holds the table)::

    NOERROR (records or NODATA)            OK       -> Existence.EXISTS
    NXDOMAIN                               ABSENT   -> Existence.ABSENT
    NXDOMAIN with a CNAME from the name    OK       (RFC 6604: the RCODE speaks of the chain's end)
    SERVFAIL, REFUSED, ICMP unreachable,   REFUSED  ┐
    a non-recursive referral (RA, AA clear)         ├ -> Existence.UNKNOWN, after bounded retries
    no reply within Limits.timeout         TIMEOUT  │    with exponential backoff, rotating over the
    malformed reply, other RCODEs          ERROR    ┘    resolvers; never absent, never exists
    (BADVERS and the other extended RCODEs of an OPT record included)

A reply whose id or question matches nothing we asked is dropped and counted (``stats.mismatched``),
never believed. A late reply to an earlier attempt of the same question is accepted: it answers
exactly what we asked. Truncated replies (TC) are asked again over TCP.

How many questions are in flight to each resolver is its ``Window`` (``window``): adaptive by
default, grown while it answers well and cut when it drops, fails or slows; ``Limits.concurrency``
is the ceiling, ``Limits.fixed_window`` keeps it there. ``Resolver.windows`` reports where each
settled and why.

Every function takes its resolvers as a parameter (``Resolver(servers, limits)``); this module never
reads resolv.conf and never calls the system resolver. It never raises for a network failure: those
become ``Outcome`` statuses. Only asyncio, no threads.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import random
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

import dns.exception
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype

from lookalike import dnswire
from lookalike.endpoints import HostPort, Limits
from lookalike.errors import LookalikeError
from lookalike.model import DnsFacts, Existence, MxHost, Outcome, Status
from lookalike.ratelimit import LOCAL, Budgets
from lookalike.resolver import facts, policy, replies
from lookalike.resolver.stream import TRIAGE_TYPES, TriageStream
from lookalike.resolver.transport import Query, Transport
from lookalike.resolver.window import WindowReport

EDNS_PAYLOAD: Final = 1232
"""The UDP payload size stage 2 advertises (the DNS flag day 2020 value: no IP fragmentation)."""
MAX_MX_TARGETS: Final = 16
"""MX hosts whose addresses ``detail`` resolves; a hostile zone may list hundreds."""
WILDCARD_CACHE: Final = 4096
MAIL_HOST_CACHE: Final = 4096
"""MX hosts whose addresses one ``Resolver`` remembers: parked lookalikes share a handful of them."""
NAME_COLLISION: Final = "127.0.53.53"
"""ICANN's controlled-interruption address for new-gTLD name collisions."""

_EXISTENCE = {Status.OK: Existence.EXISTS, Status.ABSENT: Existence.ABSENT}
_IN = dns.rdataclass.IN


def _definite(outcome: Outcome[tuple[str, ...]]) -> bool:
    """An address lookup that every later asker may share: no part of it unanswered."""
    return outcome.status is Status.ABSENT or (outcome.status is Status.OK and not outcome.detail)


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
    dnspython_reads: int = 0
    """Stage-2 replies the fast reader (``replies.read``) declined, read by dnspython instead."""


class Resolver:
    """An async DNS client over one or more recursive resolvers. Use as ``async with``."""

    def __init__(
        self,
        servers: Sequence[HostPort],
        limits: Limits,
        *,
        budgets: Budgets = LOCAL,
        fast_replies: bool = True,
    ) -> None:
        """``budgets`` paces each resolver at ``limits.qps`` (in this process, or over every worker).
        ``fast_replies=False`` reads every stage-2 reply with dnspython (the reference the fast reader
        is tested against)."""
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
        if not limits.timeout > 0:
            raise LookalikeError("the DNS timeout must be more than 0 seconds")
        if limits.retries < 0:
            raise LookalikeError("the number of DNS retries must not be negative")
        if not limits.qps >= 0:
            raise LookalikeError("the DNS rate limit (qps) must not be negative")
        self._servers = tuple(servers)
        self._limits = limits
        self._fast_replies = fast_replies
        self._transport = Transport(self._servers, limits, budgets)
        self._random = random.Random()
        self._wildcards: dict[str, asyncio.Task[Outcome[facts.Fingerprint]]] = {}
        self._mail_hosts: dict[str, asyncio.Task[Outcome[tuple[str, ...]]]] = {}
        self._outcomes: dict[tuple[Status, str], Outcome[Existence]] = {}
        self._windows: tuple[WindowReport, ...] = ()

    # -- lifecycle ---------------------------------------------------------------------------------

    async def __aenter__(self) -> Resolver:
        self._transport.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        tasks: list[asyncio.Task[Any]] = [*self._wildcards.values(), *self._mail_hosts.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._wildcards.clear()
        self._mail_hosts.clear()
        self._windows = self._transport.windows()
        await self._transport.aclose()

    @property
    def servers(self) -> tuple[HostPort, ...]:
        return self._servers

    @property
    def limits(self) -> Limits:
        return self._limits

    @property
    def windows(self) -> tuple[WindowReport, ...]:
        """Each resolver's window now (or when the resolver closed): where it settled and why."""
        return self._transport.windows() if self._transport.opened and not self._windows else self._windows

    @property
    def stats(self) -> ResolverStats:
        return ResolverStats(**dataclasses.asdict(self._transport.counters))

    def _check_open(self) -> None:
        if not self._transport.opened or self._windows:
            raise RuntimeError("use the Resolver as 'async with Resolver(...) as resolver:'")

    # -- one question, with retries ----------------------------------------------------------------

    async def _exchange(self, qname: bytes, qtype: int, edns: int) -> policy.Answer:
        """Ask one question until a resolver gives a definite answer or the attempts run out."""
        self._check_open()
        transport = self._transport
        slots = transport.slots
        if not slots.try_take():
            await slots.take()
        query = Query(qname, qtype)
        try:
            return await self._attempts(query, transport.next_start(), 0, [], edns)
        finally:
            transport.release(query)
            slots.give()

    async def _attempts(
        self, query: Query, start: int, first: int, failures: list[tuple[str, str]], edns: int
    ) -> policy.Answer:
        """Attempts ``first`` .. ``Limits.retries`` of one question, as ``policy.Attempts`` directs;
        ``failures`` holds the earlier ones. A reply already in ``query.late`` (an earlier
        attempt's, or the triage stream's) is judged as the attempt's reply instead of asking again.
        """
        transport = self._transport
        counters = transport.counters
        upstreams = transport.upstreams
        attempts = policy.Attempts(
            start=start,
            servers=len(upstreams),
            retries=self._limits.retries,
            timeout=self._limits.timeout,
            first=first,
            failures=failures,
            random=self._random.random,
        )
        while (index := attempts.next_server()) is not None:
            upstream = upstreams[index]
            if attempts.attempt > 1:
                counters.retries += 1
                if query.late is None:
                    await asyncio.sleep(attempts.backoff())
            reply = query.late
            query.late = None
            if reply is None:
                # Stage 2 (EDNS) does not queue behind triage's bulk for window room.
                reply = await transport.ask_udp(upstream, query, edns, urgent=edns > 0)
            if reply is None:
                attempts.timed_out(upstream.label)
                continue
            step = attempts.replied(reply.rcode, reply.flags, reply.ancount, reply.label, tcp=reply.tcp)
            if step.action is policy.Action.TCP:
                tcp = await transport.ask_tcp(reply.label, upstream, query.qname, query.qtype, edns)
                if tcp is None:
                    attempts.timed_out(reply.label, "TCP timeout")
                    continue
                reply = tcp
                step = attempts.replied(reply.rcode, reply.flags, reply.ancount, reply.label, tcp=True)
            if step.action is policy.Action.DONE:
                return policy.Answer(
                    step.status, reply.data, policy.said(reply.rcode, reply.label, tcp=reply.tcp)
                )
            if step.what == "SERVFAIL":
                counters.servfails += 1
            elif step.what == "REFUSED":
                counters.refused += 1
        status, detail = attempts.outcome()
        return policy.Answer(status, b"", detail)

    # -- stage 1 -----------------------------------------------------------------------------------

    async def triage(self, name: str, *, apex: bool) -> Outcome[Existence]:
        """Does ``name`` exist? ``apex``: a registrable domain, asked NS at the zone cut; else a name
        below one, asked A. OK/EXISTS, ABSENT/ABSENT, or an unknown status with Existence.UNKNOWN."""
        try:
            qname = dnswire.encode_name(name)
        except dnswire.WireError as exc:
            return Outcome(Status.ERROR, Existence.UNKNOWN, str(exc))
        return self._triage_outcome(await self._exchange(qname, TRIAGE_TYPES[apex], 0), qname)

    def _triage_outcome(self, answer: policy.Answer, qname: bytes) -> Outcome[Existence]:
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

    def _cname_into_nothing(self, answer: policy.Answer, qname: bytes) -> Outcome[Existence]:
        """An NXDOMAIN with answers: the name exists when a CNAME starts at it (RFC 6604)."""
        try:
            message = dns.message.from_wire(answer.data)
        except dns.exception.DNSException as exc:
            self._transport.counters.malformed += 1
            return Outcome(Status.ERROR, Existence.UNKNOWN, f"malformed NXDOMAIN: {exc}")
        owner = dns.name.from_text(dnswire.decode_name(qname))
        if message.get_rrset(message.answer, owner, _IN, dns.rdatatype.CNAME) is not None:
            detail = f"{answer.detail}: a CNAME to a name that does not exist"
            return Outcome(Status.OK, Existence.EXISTS, detail)
        return Outcome(Status.ABSENT, Existence.ABSENT, answer.detail)

    async def _retry_triage(
        self, query: Query, first: int, failures: list[tuple[str, str]]
    ) -> Outcome[Existence]:
        """The triage stream's retry loop for one name whose first attempt did not settle it."""
        try:
            answer = await self._attempts(query, query.start, first, failures, 0)
        finally:
            self._transport.release(query)
        return self._triage_outcome(answer, query.qname)

    def triage_many(
        self, names: Iterable[tuple[str, bool]] | AsyncIterable[tuple[str, bool]]
    ) -> AsyncIterator[tuple[str, Outcome[Existence]]]:
        """Triage ``(name, apex)`` pairs as they come, yielding ``(name, outcome)`` as they finish.

        Reads ``names`` lazily and keeps at most ``Limits.concurrency`` questions in flight, so memory
        stays flat however long the input is. Close the iterator (``contextlib.aclosing``) to stop
        early; the questions in flight are then abandoned. An exception from ``names`` ends the
        stream and is raised to the consumer.
        """
        self._check_open()
        stream = TriageStream(self._transport, names, settle=self._triage_outcome, retry=self._retry_triage)
        return stream.run()

    # -- stage 2 -----------------------------------------------------------------------------------

    async def _lookup(self, name: str, rdtype: int) -> facts.Lookup:
        """One stage-2 question, read by ``replies.read`` (dnspython for what it declines); CNAMEs in
        the answer are followed."""
        try:
            qname = dnswire.encode_name(name)
        except dnswire.WireError as exc:
            return facts.Lookup(Status.ERROR, str(exc))
        answer = await self._exchange(qname, rdtype, EDNS_PAYLOAD)
        if answer.status.unknown:
            return facts.Lookup(answer.status, answer.detail)
        parsed = replies.read(answer.data, qname, rdtype) if self._fast_replies else None
        if parsed is None:
            self._transport.counters.dnspython_reads += 1
            try:
                parsed = replies.parse(answer.data, qname, rdtype)
            except dns.exception.DNSException as exc:
                self._transport.counters.malformed += 1
                return facts.Lookup(Status.ERROR, f"{answer.detail}, but malformed: {exc}")
        status = answer.status
        if status is Status.ABSENT and parsed.chain:
            status = Status.OK  # RFC 6604: the NXDOMAIN is about the end of the chain, not the name
        return facts.Lookup(
            status, answer.detail, parsed.chain, parsed.records, parsed.referral, parsed.authority_soa
        )

    async def addresses(self, host: str) -> Outcome[tuple[str, ...]]:
        """The A and AAAA addresses of ``host`` (A first), following CNAMEs."""
        host = facts.norm(host)
        a, aaaa = await asyncio.gather(self._lookup(host, dnswire.A), self._lookup(host, dnswire.AAAA))
        return facts.addresses_outcome(a, aaaa)

    async def txt(self, name: str) -> Outcome[tuple[str, ...]]:
        """The TXT records of ``name``, each record's character-strings joined (RFC 7208 §3.3)."""
        lookup = await self._lookup(facts.norm(name), dnswire.TXT)
        if lookup.status is not Status.OK:
            return Outcome(lookup.status, None, lookup.detail)
        return Outcome(Status.OK, facts.texts(lookup.records), lookup.detail)

    async def detail(self, name: str, *, apex: str) -> Outcome[DnsFacts]:
        """Everything stage 2 wants to know about a name that exists (see ``DnsFacts``).

        ``apex`` is the registrable domain holding ``name`` (``name`` itself for an apex candidate).
        OK with the facts; ABSENT when the name is NXDOMAIN now; an unknown status when no question
        about it was answered. A question that failed is named in ``DnsFacts.problems``.
        """
        name = facts.norm(name)
        apex = facts.norm(apex) or name
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

        ns_hosts = facts.ns_hosts(ns)
        a_addrs = tuple(sorted(facts.addresses(a.records), key=facts.ip_key))
        aaaa_addrs = tuple(sorted(facts.addresses(aaaa.records), key=facts.ip_key))
        chain = a.chain or aaaa.chain or mx.chain
        mx_records = facts.mx_records(mx.records)

        targets = sorted({host for _, host in mx_records if host})
        if len(targets) > MAX_MX_TARGETS:
            problems.append(f"MX: {len(targets)} hosts; resolved the first {MAX_MX_TARGETS}")
            targets = targets[:MAX_MX_TARGETS]
        target_outcomes = await asyncio.gather(*(self._mail_host(host) for host in targets))
        target_addresses: dict[str, tuple[str, ...]] = {}
        for host, outcome in zip(targets, target_outcomes, strict=True):
            if outcome.value is not None:
                target_addresses[host] = outcome.value
            if outcome.status.unknown:
                problems.append(f"MX {host}: {outcome.status.value} ({outcome.detail})")
        mx_hosts = tuple(
            MxHost(preference, host, target_addresses.get(host, ())) for preference, host in mx_records
        )

        spf, spf_problem = facts.spf_record(txt)
        if spf_problem:
            problems.append(spf_problem)
        dmarc_text, dmarc_problem = await self._dmarc(dmarc, name, apex)
        if dmarc_problem:
            problems.append(dmarc_problem)

        route = facts.mail_route(
            mx,
            mx_records,
            a,
            aaaa,
            a_addrs + aaaa_addrs,
            targets=dict(zip(targets, target_outcomes, strict=True)),
        )
        mine = facts.Fingerprint(
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
                soa=facts.soa_mname(soa),
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

    async def _mail_host(self, host: str) -> Outcome[tuple[str, ...]]:
        """The addresses of an MX host, asked once per resolver and shared by every name that names
        it. Only a definite answer is shared (NXDOMAIN, or A and AAAA both answered): a name that
        meets a shared answer with an unknown part asks for itself, so sharing never makes unknown
        what asking would have settled."""
        task = self._mail_hosts.get(host)
        if task is None or (task.done() and (task.cancelled() or not _definite(task.result()))):
            if len(self._mail_hosts) >= MAIL_HOST_CACHE:
                for key in [k for k, t in self._mail_hosts.items() if t.done()][: MAIL_HOST_CACHE // 2]:
                    del self._mail_hosts[key]
            task = asyncio.get_running_loop().create_task(self.addresses(host))
            self._mail_hosts[host] = task
            return await asyncio.shield(task)
        outcome = await asyncio.shield(task)
        return outcome if _definite(outcome) else await self.addresses(host)

    async def _dmarc(self, first: facts.Lookup, name: str, apex: str) -> tuple[str | None, str]:
        """The DMARC record for ``name``: ``_dmarc.<name>``, else the organisational domain's
        ``_dmarc.<apex>`` (RFC 7489 §6.6.3). Returns (record, problem)."""
        lookups = [first]
        if name != apex and not facts.dmarc_record(first):
            lookups.append(await self._lookup(f"_dmarc.{apex}", dnswire.TXT))
        for lookup in lookups:
            record = facts.dmarc_record(lookup)
            if record is not None:
                return record, ""
            if lookup.status.unknown:
                return None, lookup.problem("DMARC")
        return None, ""

    async def _wildcard(self, name: str, is_apex: bool, mine: facts.Fingerprint) -> tuple[bool, list[str]]:
        """Does ``name`` only exist because its parent zone or its TLD answers every name?"""
        parent = name.split(".", 1)[1] if "." in name else ""
        zones = [zone for zone in dict.fromkeys((parent, name.rsplit(".", 1)[-1])) if zone]
        probes = await asyncio.gather(*(self._probe(zone) for zone in zones))
        problems: list[str] = []
        found = False
        for zone, probe in zip(zones, probes, strict=True):
            if probe.status.unknown:
                problems.append(f"wildcard check of {zone}: {probe.status.value} ({probe.detail})")
            elif probe.value is not None and facts.same_source(mine, probe.value, is_apex):
                found = True
        return found, problems

    def _probe(self, zone: str) -> asyncio.Task[Outcome[facts.Fingerprint]]:
        """A random name under ``zone``, resolved once per zone and shared by every caller."""
        task = self._wildcards.get(zone)
        if task is None or (task.done() and (task.cancelled() or task.result().status.unknown)):
            if len(self._wildcards) >= WILDCARD_CACHE:
                for key in [k for k, t in self._wildcards.items() if t.done()][: WILDCARD_CACHE // 2]:
                    del self._wildcards[key]
            task = asyncio.get_running_loop().create_task(self._fingerprint(zone))
            self._wildcards[zone] = task
        return task

    async def _fingerprint(self, zone: str) -> Outcome[facts.Fingerprint]:
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
            facts.Fingerprint(
                addresses=frozenset(facts.addresses(a.records) + facts.addresses(aaaa.records)),
                target=(a.chain or aaaa.chain or mx.chain or ("",))[-1],
                mx=frozenset(host for _, host in facts.mx_records(mx.records)),
                ns=frozenset(facts.ns_hosts(ns)),
            ),
            f"{probe} exists: {zone} has a wildcard",
        )
