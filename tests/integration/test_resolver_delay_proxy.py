"""The benchmark's delay proxy: every answer arrives late by the set delay, and intact; concurrency,
not the delay, then decides how many names a second get through."""

from __future__ import annotations

import time

from lookalike.demo.delay_proxy import DelayProxy
from lookalike.endpoints import Limits
from lookalike.model import Status
from lookalike.resolver import Resolver
from tests.fixtures.dns import DnsServerFactory
from tests.integration.test_resolver import TRUTH


async def test_answers_are_held_and_delivered_intact(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    limits = Limits(timeout=2.0)
    async with DelayProxy(server.address, 0.15) as proxy, Resolver([proxy.address], limits) as resolver:
        started = time.monotonic()
        outcome = await resolver.triage("kestrelsys.ml", apex=True)
        elapsed = time.monotonic() - started
    assert outcome.status is Status.OK
    assert elapsed >= 0.15
    assert proxy.forwarded == proxy.answered == 1


async def test_concurrency_hides_the_delay(dns_server: DnsServerFactory) -> None:
    server = await dns_server()
    names = [(name, apex) for name, apex, _ in TRUTH] * 4
    limits = Limits(concurrency=len(names), timeout=2.0, retries=0)
    async with DelayProxy(server.address, 0.2) as proxy, Resolver([proxy.address], limits) as resolver:
        started = time.monotonic()
        got = [(name, o.status) async for name, o in resolver.triage_many(names)]
        elapsed = time.monotonic() - started
    assert sorted(got) == sorted((name, status) for name, _, status in TRUTH for _ in range(4))
    assert elapsed < 0.2 * 3  # all in flight together, not one delay after another
