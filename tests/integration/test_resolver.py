"""Stage 1 against the loopback DNS server: exists / absent / unknown, every fault, retries, limits.

Every fault is checked through both paths a name can take: ``triage`` (one coroutine per question)
and ``triage_many`` (the pump, which hands anything unsettled to the retry loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest

from lookalike.demo.dns_server import DnsServer, Fault
from lookalike.endpoints import HostPort, Limits
from lookalike.errors import LookalikeError
from lookalike.model import Existence, Outcome, Status
from lookalike.resolver import Resolver
from tests.fixtures.dns import DnsServerFactory

QUICK = Limits(concurrency=32, timeout=0.3, retries=1)
"""Small timeouts: a fault costs at most (retries + 1) * timeout."""

TRUTH = [
    ("kestrel.ml", True, Status.OK),  # delegated in the TLD zone; child zone not loaded
    ("kestrelsys.ml", True, Status.OK),  # delegated, child zone loaded
    ("dangling.ml", True, Status.OK),  # a CNAME to nowhere: NXDOMAIN with a CNAME (RFC 6604)
    ("shop.kestrelsys.ml", False, Status.OK),
    ("ent.kestrelsys.ml", False, Status.OK),  # an empty non-terminal: NODATA
    ("login.kestrelsys.ml", False, Status.OK),  # a CNAME chain
    ("anything.cm", True, Status.OK),  # a wildcard TLD answers every name
    ("x.ooo", True, Status.OK),  # name collision wildcard
    ("sub.kestrel-wild.ml", False, Status.OK),
    ("kestrell.ml", True, Status.ABSENT),
    ("nope.kestrelsys.ml", False, Status.ABSENT),
    ("kestrel.mil", True, Status.ABSENT),  # in no loaded zone: NXDOMAIN from the "root"
    ("bankofamerica.com", True, Status.ABSENT),
]


@contextlib.asynccontextmanager
async def resolving(*servers: DnsServer | HostPort, limits: Limits = QUICK) -> AsyncIterator[Resolver]:
    addresses = [s if isinstance(s, HostPort) else s.address for s in servers]
    async with Resolver(addresses, limits) as resolver:
        yield resolver


async def triage_one(resolver: Resolver, name: str, apex: bool, path: str) -> Outcome[Existence]:
    if path == "single":
        return await resolver.triage(name, apex=apex)
    results = [outcome async for _, outcome in resolver.triage_many([(name, apex)])]
    assert len(results) == 1
    return results[0]


PATHS = pytest.mark.parametrize("path", ["single", "stream"])


@PATHS
@pytest.mark.parametrize(("name", "apex", "status"), TRUTH)
async def test_triage_answers_exists_or_absent(
    dns_server: DnsServerFactory, path: str, name: str, apex: bool, status: Status
) -> None:
    server = await dns_server()
    async with resolving(server) as resolver:
        outcome = await triage_one(resolver, name, apex, path)
    assert outcome.status is status
    assert outcome.value is (Existence.EXISTS if status is Status.OK else Existence.ABSENT)
    assert str(server.address) in outcome.detail


async def test_triage_asks_ns_for_an_apex_and_a_below_it(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    async with resolving(server) as resolver:
        await resolver.triage("kestrelsys.ml", apex=True)
        await resolver.triage("shop.kestrelsys.ml", apex=False)
    asked = [(q.qname, q.qtype) for q in server.log]
    assert asked == [("kestrelsys.ml.", "NS"), ("shop.kestrelsys.ml.", "A")]


async def test_triage_many_equals_triage_name_by_name(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    names = [(name, apex) for name, apex, _ in TRUTH]
    async with resolving(server) as resolver:
        streamed = {name: outcome async for name, outcome in resolver.triage_many(names)}
        single = {name: await resolver.triage(name, apex=apex) for name, apex in names}
    assert streamed == single
    assert {name: o.status for name, o in streamed.items()} == {n: s for n, _, s in TRUTH}


async def test_triage_many_takes_an_async_iterable(dns_server: DnsServerFactory) -> None:
    server = await dns_server()

    async def names() -> AsyncIterator[tuple[str, bool]]:
        for name, apex, _ in TRUTH:
            await asyncio.sleep(0)
            yield name, apex

    async with resolving(server) as resolver:
        got = {name: outcome.status async for name, outcome in resolver.triage_many(names())}
    assert got == {name: status for name, _, status in TRUTH}


async def test_triage_many_reads_its_input_lazily(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    pulled = 0

    def names() -> Iterator[tuple[str, bool]]:
        nonlocal pulled
        for i in range(100_000):
            pulled += 1
            yield f"n{i}.example-{i % 7}.ml", True

    limits = replace(QUICK, concurrency=8)
    async with resolving(server, limits=limits) as resolver:
        stream = resolver.triage_many(names())
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            seen = 0
            async for _ in stream:
                seen += 1
                if seen == 50:
                    break
        # In flight plus unread results never exceed twice the concurrency.
        assert pulled <= seen + 2 * limits.concurrency + 1
        # Closing early gave the concurrency back: the resolver still works, at full width.
        outcomes = await asyncio.gather(*(resolver.triage("kestrelsys.ml", apex=True) for _ in range(8)))
        assert all(o.status is Status.OK for o in outcomes)


async def test_triage_many_raises_an_error_from_its_input(dns_server: DnsServerFactory) -> None:
    server = await dns_server()

    def names() -> Iterator[tuple[str, bool]]:
        yield "kestrel.ml", True
        raise ValueError("the candidate generator broke")

    async with resolving(server) as resolver:
        with pytest.raises(ValueError, match="generator broke"):
            async for _ in resolver.triage_many(names()):
                pass


async def test_an_invalid_name_is_an_error_not_an_answer(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    async with resolving(server) as resolver:
        single = await resolver.triage("a..ml", apex=True)
        streamed = [o async for _, o in resolver.triage_many([("x" * 64 + ".ml", True)])]
    assert single.status is Status.ERROR
    assert single.value is Existence.UNKNOWN
    assert streamed[0].status is Status.ERROR
    assert server.queries == 0


# -- faults ----------------------------------------------------------------------------------------

FAULTS = [
    # (fault, expected status, what the detail says)
    (Fault("servfail"), Status.REFUSED, "SERVFAIL from"),
    (Fault("refused"), Status.REFUSED, "REFUSED from"),
    (Fault("drop"), Status.TIMEOUT, "timeout from"),
    (Fault("wrong-id"), Status.TIMEOUT, "timeout from"),
    (Fault("wrong-question"), Status.TIMEOUT, "timeout from"),
    (Fault("garbage"), Status.ERROR, "malformed reply from"),
    (Fault("badvers"), Status.ERROR, "BADVERS from"),  # NOERROR in the header, BADVERS in the OPT
    (Fault("slow", seconds=2.0), Status.TIMEOUT, "timeout from"),
    (Fault("truncate"), Status.OK, "NOERROR from"),  # TCP answers fully
    (Fault("slow", seconds=0.4), Status.OK, "NOERROR from"),  # the late answer to try 1 is taken
    (Fault("servfail", times=1), Status.OK, "NOERROR from"),  # the retry succeeds
    (Fault("drop", times=1), Status.OK, "NOERROR from"),
    (Fault("drop", qtype="A"), Status.OK, "NOERROR from"),  # only A is dropped; triage asks NS
]


def fault_id(value: object) -> str:
    if isinstance(value, Fault):
        seconds = f"{value.seconds}s" if value.seconds else ""
        times = f"x{value.times}" if value.times else ""
        return "-".join(part for part in (value.kind, seconds, times, value.qtype) if part)
    return str(value)


@PATHS
@pytest.mark.parametrize(("fault", "status", "said"), FAULTS, ids=fault_id)
async def test_faults_give_unknown_never_absent_or_exists(
    dns_server: DnsServerFactory, path: str, fault: Fault, status: Status, said: str
) -> None:
    server = await dns_server(faults={"kestrel.ml.": fault})
    async with resolving(server) as resolver:
        outcome = await triage_one(resolver, "kestrel.ml", True, path)
        stats = resolver.stats
    assert outcome.status is status, outcome
    assert said in outcome.detail
    if status.unknown:
        assert outcome.value is Existence.UNKNOWN
        assert server.count("kestrel.ml.") == QUICK.retries + 1
        assert stats.retries == QUICK.retries
    else:
        assert outcome.value is Existence.EXISTS
    if fault.kind in ("wrong-id", "wrong-question"):
        assert stats.mismatched == QUICK.retries + 1  # seen, and not believed
    if fault.kind == "garbage":
        assert stats.malformed == QUICK.retries + 1
    if fault.kind == "truncate":
        assert stats.tcp_fallbacks == 1
        assert [q.transport for q in server.log] == ["udp", "tcp"]


async def test_detail_names_every_attempt(dns_server: DnsServerFactory) -> None:
    server = await dns_server(faults={"kestrel.ml.": Fault("servfail")})
    limits = replace(QUICK, retries=2)
    async with resolving(server, limits=limits) as resolver:
        outcome = await resolver.triage("kestrel.ml", apex=True)
    assert outcome.detail == f"SERVFAIL from {server.address} x3"


async def test_retries_back_off(dns_server: DnsServerFactory) -> None:
    server = await dns_server(faults={"kestrel.ml.": Fault("servfail")})
    limits = Limits(timeout=0.4, retries=3)
    async with resolving(server, limits=limits) as resolver:
        started = time.monotonic()
        await resolver.triage("kestrel.ml", apex=True)
        elapsed = time.monotonic() - started
    times = [q.when for q in server.log]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4
    # Backoff before retry k is timeout/10 * 2**(k-1), with jitter down to half of it.
    assert gaps[0] >= 0.02 * 0.9
    assert gaps[1] >= 0.04 * 0.9
    assert gaps[2] >= 0.08 * 0.9
    assert elapsed < limits.timeout  # SERVFAIL is immediate: backoff, not timeouts, spaced them


async def test_retries_move_to_the_next_resolver(dns_server: DnsServerFactory) -> None:
    dead = await dns_server(faults={"*.": Fault("drop")})
    alive = await dns_server()
    names = [(name, apex) for name, apex, _ in TRUTH]
    async with resolving(dead, alive) as resolver:
        got = {name: o async for name, o in resolver.triage_many(names)}
    assert {name: o.status for name, o in got.items()} == {name: s for name, _, s in TRUTH}
    assert dead.queries > 0
    assert alive.queries == len(names)


async def test_questions_are_spread_over_the_resolvers(dns_server: DnsServerFactory) -> None:
    first, second = await dns_server(), await dns_server()
    names = [(f"n{i}.ml", True) for i in range(40)]
    async with resolving(first, second) as resolver:
        statuses = {o.status async for _, o in resolver.triage_many(names)}
    assert statuses == {Status.ABSENT}
    assert first.queries == second.queries == 20


async def test_a_closed_port_is_refused_without_waiting() -> None:
    # The kernel sends "port unreachable" out of one budget for the whole machine
    # (net.ipv4.icmp_msgs_per_sec, a burst of 50), which the rest of the suite also spends: one
    # message may be dropped, and that question then waits for its timeout as it should. So each of
    # up to three tries must end REFUSED, and one of them must end without waiting.
    limits = Limits(timeout=2.0, retries=1)
    took: list[float] = []
    for _ in range(3):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            closed = HostPort("127.0.0.1", probe.getsockname()[1])
        async with resolving(closed, limits=limits) as resolver:
            started = time.monotonic()
            single = await resolver.triage("kestrel.ml", apex=True)
            streamed = [o async for _, o in resolver.triage_many([("kestrel.ml", True)])]
            took.append(time.monotonic() - started)
        for outcome in (single, streamed[0]):
            assert outcome.status is Status.REFUSED
            assert "unreachable" in outcome.detail
        if took[-1] < limits.timeout:
            break
    assert min(took) < limits.timeout, took


# -- limits ----------------------------------------------------------------------------------------


async def test_the_rate_limit_per_resolver_is_kept(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    limits = Limits(concurrency=64, qps=40, timeout=1.0, retries=0)
    names = [(f"r{i}.ml", True) for i in range(50)]
    async with resolving(server, limits=limits) as resolver:
        started = time.monotonic()
        count = sum([1 async for _ in resolver.triage_many(names)])
        elapsed = time.monotonic() - started
    assert count == 50
    assert elapsed >= (50 - 1) / 40 * 0.95
    times = sorted(q.when for q in server.log)
    # No second holds more than the rate (plus the one-token burst).
    for i, start in enumerate(times):
        in_window = sum(1 for t in times[i:] if t < start + 1.0)
        assert in_window <= 40 + 1


async def test_the_rate_limit_applies_to_single_questions_too(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    limits = Limits(concurrency=64, qps=50, timeout=1.0, retries=0)
    async with resolving(server, limits=limits) as resolver:
        started = time.monotonic()
        await asyncio.gather(*(resolver.triage(f"s{i}.ml", apex=True) for i in range(26)))
        elapsed = time.monotonic() - started
    assert elapsed >= 25 / 50 * 0.95


@pytest.mark.parametrize("concurrency", [1, 4, 16])
async def test_no_more_questions_in_flight_than_the_concurrency(
    dns_server: DnsServerFactory, concurrency: int
) -> None:
    server = await dns_server(faults={"*.": Fault("slow", seconds=0.03)})
    limits = Limits(concurrency=concurrency, timeout=1.0, retries=0)
    names = [(f"c{i}.ml", True) for i in range(3 * concurrency + 5)]
    async with resolving(server, limits=limits) as resolver:
        streamed = [o.status async for _, o in resolver.triage_many(names)]
        singles = await asyncio.gather(*(resolver.triage(n, apex=a) for n, a in names))
    assert set(streamed) == {o.status for o in singles} == {Status.ABSENT}
    assert server.peak_held == concurrency


async def test_a_million_names_would_not_be_held_in_memory(dns_server: DnsServerFactory) -> None:
    """Outcomes are shared, not copied per name: a long scan's absent names cost nothing each."""
    server = await dns_server()
    async with resolving(server) as resolver:
        outcomes = [o async for _, o in resolver.triage_many((f"m{i}.ml", True) for i in range(200))]
    assert len({id(o) for o in outcomes}) == 1


async def test_the_resolver_refuses_what_it_cannot_use() -> None:
    with pytest.raises(LookalikeError, match="no DNS resolver"):
        Resolver([], QUICK)
    with pytest.raises(LookalikeError, match="IP address"):
        Resolver([HostPort("dns.example", 53)], QUICK)
    with pytest.raises(LookalikeError, match="concurrency"):
        Resolver([HostPort("127.0.0.1", 53)], Limits(concurrency=0))
    with pytest.raises(LookalikeError, match="timeout"):
        Resolver([HostPort("127.0.0.1", 53)], Limits(timeout=0))
    resolver = Resolver([HostPort("127.0.0.1", 53)], QUICK)
    with pytest.raises(RuntimeError, match="async with"):
        await resolver.triage("kestrel.ml", apex=True)


async def test_ipv6_loopback(dns_server: DnsServerFactory) -> None:
    try:
        server = await dns_server(host="::1")
    except LookalikeError:
        pytest.skip("no IPv6 loopback here")
    async with resolving(server) as resolver:
        outcome = await resolver.triage("kestrelsys.ml", apex=True)
    assert outcome.status is Status.OK
    assert "[::1]" in outcome.detail


@pytest.mark.parametrize("first", [0, 1, 3])
async def test_an_error_in_the_input_reaches_the_consumer(dns_server: DnsServerFactory, first: int) -> None:
    server = await dns_server()

    def names() -> Iterator[tuple[str, bool]]:
        for i in range(first):
            yield f"k{i}.kestrel.ml", False
        raise RuntimeError("the generator broke")

    async with resolving(server) as resolver:
        with pytest.raises(RuntimeError, match="the generator broke"):
            async for _ in resolver.triage_many(names()):
                pass
