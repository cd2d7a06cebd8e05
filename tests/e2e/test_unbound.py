"""End to end against Debian's unbound serving the same zone files as the loopback server: the resolver
must reach the same verdicts and facts through a real resolver, and unbound must answer only from the
zone files (no recursion, no packet leaving the machine)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest

from lookalike.demo.unbound import Unbound
from lookalike.endpoints import HostPort, Limits
from lookalike.model import Status
from lookalike.resolver import Resolver
from tests.fixtures.dns import ZONES, DnsServerFactory, require_unbound
from tests.integration.test_resolver import TRUTH

pytestmark = pytest.mark.unbound

LIMITS = Limits(concurrency=64, timeout=1.0, retries=1)

DETAILED = [
    ("kestrelsys.ml", "kestrelsys.ml"),
    ("kestrel-implicit.ml", "kestrel-implicit.ml"),
    ("kestrel-nullmx.ml", "kestrel-nullmx.ml"),
    ("kestrel-nomail.ml", "kestrel-nomail.ml"),
    ("kestrel-deadmx.ml", "kestrel-deadmx.ml"),
    ("kestrel-wild.ml", "kestrel-wild.ml"),
    ("sub.kestrel-wild.ml", "kestrel-wild.ml"),
    ("login.kestrelsys.ml", "kestrelsys.ml"),
    ("shop.kestrelsys.ml", "kestrelsys.ml"),
    ("kestrel.ml", "kestrel.ml"),
    ("dangling.ml", "dangling.ml"),
    ("anything.cm", "anything.cm"),
    ("kestrelsys.cm", "kestrelsys.cm"),
    ("x.ooo", "x.ooo"),
]


async def test_triage_agrees_with_the_loopback_server(
    unbound_server: HostPort, dns_server: DnsServerFactory
) -> None:
    server = await dns_server()
    names = [(name, apex) for name, apex, _ in TRUTH]
    verdicts = {}
    for address in (unbound_server, server.address):
        async with Resolver([address], LIMITS) as resolver:
            verdicts[address] = {name: o.status async for name, o in resolver.triage_many(names)}
    assert verdicts[unbound_server] == verdicts[server.address] == {name: s for name, _, s in TRUTH}


async def test_detail_agrees_with_the_loopback_server(
    unbound_server: HostPort, dns_server: DnsServerFactory
) -> None:
    server = await dns_server()
    facts = {}
    for address in (unbound_server, server.address):
        async with Resolver([address], LIMITS) as resolver:
            outcomes = await asyncio.gather(*(resolver.detail(name, apex=apex) for name, apex in DETAILED))
        assert all(o.status is Status.OK for o in outcomes), outcomes
        facts[address] = [o.value for o in outcomes]
    for (name, _), ours, theirs in zip(DETAILED, facts[server.address], facts[unbound_server], strict=True):
        assert ours == theirs, name
    found = zip(DETAILED, facts[unbound_server], strict=True)
    wildcard = {name for (name, _), f in found if f is not None and f.wildcard}
    assert wildcard == {"sub.kestrel-wild.ml", "anything.cm", "x.ooo"}


async def test_detail_reads_the_same_facts_fast_and_with_dnspython(unbound_server: HostPort) -> None:
    """The fast stage-2 reader changes no fact: every name that exists, read both ways through unbound."""
    names = [*DETAILED, *((name, name if apex else name.split(".", 1)[1]) for name, apex, _ in TRUTH)]
    facts = {}
    for fast in (True, False):
        async with Resolver([unbound_server], LIMITS, fast_replies=fast) as resolver:
            outcomes = await asyncio.gather(*(resolver.detail(name, apex=apex) for name, apex in names))
            stats = resolver.stats
        facts[fast] = [(o.status, o.value) for o in outcomes]
        # Every reply unbound gives here is plain: the fast run never needs dnspython.
        assert (stats.dnspython_reads == 0) if fast else (stats.dnspython_reads > 0), stats
    assert facts[True] == facts[False]
    assert sum(status is Status.OK for status, _ in facts[True]) >= len(DETAILED)


async def test_truncated_answers_come_over_tcp_from_unbound(unbound_server: HostPort) -> None:
    async with Resolver([unbound_server], LIMITS) as resolver:
        outcome = await resolver.txt("big.kestrelsys.ml")
        assert resolver.stats.tcp_fallbacks == 1
    assert outcome.value is not None
    assert len(outcome.value) == 12


async def test_many_names_outside_the_zones_are_nxdomain_fast(unbound_server: HostPort) -> None:
    names = [(f"candidate{i}.{tld}", True) for i in range(2000) for tld in ("com", "org", "mil")]
    async with Resolver([unbound_server], Limits(concurrency=256, timeout=2.0, retries=2)) as resolver:
        started = time.monotonic()
        statuses = [o.status async for _, o in resolver.triage_many(names)]
        elapsed = time.monotonic() - started
        stats = resolver.stats
    assert set(statuses) == {Status.ABSENT}
    assert stats.timeouts == stats.retries == 0
    assert elapsed < 10


def test_unbound_answers_only_from_local_data(unbound: Unbound) -> None:
    for name in ("example.org", "a.root-servers.net", "kestrel.mil"):
        query = dns.message.make_query(name, "A")
        reply = dns.query.udp(query, unbound.host, port=unbound.address.port, timeout=2)
        assert reply.rcode() == dns.rcode.NXDOMAIN
    stats = unbound.stats()
    assert stats["total.num.queries"] > 0
    assert stats["total.num.recursivereplies"] == 0  # nothing needed recursion
    assert stats["total.num.cachemiss"] == 0  # nothing was looked up elsewhere
    assert stats["total.requestlist.max"] == 0  # no query ever waited on an upstream


def test_unbound_is_started_and_stopped_by_pid(tmp_path: Path) -> None:
    require_unbound()
    with Unbound(ZONES, tmp_path, threads=1) as server:
        pid = server.pid
        assert pid is not None
        os.kill(pid, 0)  # alive
        reply = dns.query.udp(
            dns.message.make_query("kestrelsys.ml", "SOA"), server.host, port=server.address.port, timeout=2
        )
        assert reply.rcode() == dns.rcode.NOERROR
        config = server.config_path.read_text()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert "do-not-query-address: 0.0.0.0/0" in config
    assert 'local-zone: "." static' in config


async def test_unbound_as_an_async_context_manager(tmp_path: Path) -> None:
    require_unbound()
    async with Unbound(ZONES, tmp_path, threads=1) as server, Resolver([server.address], LIMITS) as resolver:
        outcome = await resolver.triage("kestrelsys.ml", apex=True)
        pid = server.pid
    assert outcome.status is Status.OK
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
