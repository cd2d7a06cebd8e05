"""Resolvers that push back: the adaptive window against fixed ones, through the delay proxy with a
capacity and loss, and across resolvers that answer differently. Behaviour, never speed: who ends
with fewer unknowns, who gets the load, what the window says about itself."""

from __future__ import annotations

from lookalike.demo.delay_proxy import DelayProxy
from lookalike.endpoints import HostPort, Limits
from lookalike.model import Status
from lookalike.resolver import Resolver, WindowReport
from tests.fixtures.dns import DnsServerFactory


def absent_names(count: int, tag: str) -> list[tuple[str, bool]]:
    """Names in no loaded zone: the loopback server answers NXDOMAIN at once (its fast path)."""
    return [(f"{tag}{i}.example-{i % 11}.com", True) for i in range(count)]


async def triage(
    servers: list[HostPort], names: list[tuple[str, bool]], limits: Limits
) -> tuple[int, list[WindowReport]]:
    """How many names ended unknown, and the windows' reports."""
    async with Resolver(servers, limits) as resolver:
        unknown = sum([o.status.unknown async for _, o in resolver.triage_many(names)])
        return unknown, list(resolver.windows)


async def test_a_capacity_limit_costs_the_adaptive_window_far_fewer_unknowns(
    dns_server: DnsServerFactory,
) -> None:
    server = await dns_server()
    names = absent_names(800, "cap")
    results = {}
    for fixed in (True, False):
        limits = Limits(concurrency=1024, fixed_window=fixed, timeout=0.5, retries=2)
        async with DelayProxy(server.address, 0.05, capacity=48, seed=1) as proxy:
            results[fixed] = await triage([proxy.address], names, limits)
            assert proxy.peak_held <= 48
    fixed_unknown, (fixed_report,) = results[True]
    adaptive_unknown, (adaptive_report,) = results[False]
    assert fixed_unknown > len(names) // 4  # a window of 1,024 into a resolver that holds 48
    assert adaptive_unknown <= fixed_unknown // 5
    assert adaptive_unknown <= len(names) // 20
    assert fixed_report.window == 1024 and not fixed_report.adaptive and not fixed_report.cuts
    assert adaptive_report.adaptive and adaptive_report.cuts >= 1
    assert adaptive_report.window < 1024
    assert adaptive_report.trace[0] == (0.0, 256, 0.0)


async def test_random_loss_is_retried_and_ends_in_no_unknowns(dns_server: DnsServerFactory) -> None:
    """That a 0.5% loss is not read as congestion is shown without a clock in
    ``tests/unit/test_resolver_window.py``; here, on a machine whose load may stall any process, only
    that every lost question is asked again and answered."""
    server = await dns_server()
    names = absent_names(1500, "loss")
    async with DelayProxy(server.address, 0.02, loss=0.005, seed=7) as proxy:
        unknown, (report,) = await triage([proxy.address], names, Limits(timeout=1.0, retries=2))
        dropped = proxy.dropped
    assert dropped > 0
    assert unknown == 0
    assert report.adaptive


async def test_resolvers_share_the_load_by_how_they_answer(dns_server: DnsServerFactory) -> None:
    fast = await dns_server()
    slow_backend = await dns_server()
    names = absent_names(800, "share")
    async with DelayProxy(slow_backend.address, 0.1, capacity=16, seed=3) as slow:
        unknown, reports = await triage([fast.address, slow.address], names, Limits(timeout=0.5, retries=2))
        slow_share = slow.forwarded
    assert unknown == 0
    assert fast.queries > 4 * slow_share  # the resolver that answers well takes most of the load
    assert slow_share > 0  # the slow one is still used
    assert {r.server for r in reports} == {str(fast.address), str(slow.address)}


async def test_a_fixed_window_still_splits_the_load_evenly(dns_server: DnsServerFactory) -> None:
    fast = await dns_server()
    slow_backend = await dns_server()
    names = absent_names(200, "even")
    async with DelayProxy(slow_backend.address, 0.05, seed=3) as slow:
        unknown, _ = await triage(
            [fast.address, slow.address], names, Limits(concurrency=64, fixed_window=True, timeout=1.0)
        )
        assert unknown == 0
        assert slow.forwarded == fast.queries == 100


async def test_every_outcome_is_still_exists_absent_or_unknown_under_pressure(
    dns_server: DnsServerFactory,
) -> None:
    server = await dns_server()
    names = [*absent_names(600, "three"), ("kestrelsys.ml", True)]
    proxy = DelayProxy(server.address, 0.03, capacity=20, loss=0.02, seed=11)
    async with proxy, Resolver([proxy.address], Limits(timeout=0.3, retries=2)) as resolver:
        got = {name: o async for name, o in resolver.triage_many(names)}
    assert got["kestrelsys.ml"].status in (Status.OK, Status.TIMEOUT)
    assert all(
        o.status in (Status.ABSENT, Status.TIMEOUT) for name, o in got.items() if name != "kestrelsys.ml"
    )
