"""Registry: RDAP or WHOIS, the cache, and the per-server limits, counted at the loopback servers."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import replace
from pathlib import Path

import dns.zone
import pytest

from lookalike.demo.rdap_server import RdapResponse, RdapServer
from lookalike.demo.whois_server import WhoisResponse, WhoisServer
from lookalike.endpoints import Endpoints, Limits
from lookalike.errors import LookalikeError
from lookalike.model import Outcome, Registration, Status
from lookalike.registry import Registry, RegistryStats, ServerAddresses
from tests.fixtures.dns import DnsServerFactory


class MemoryCache:
    """The smallest RegistrationCache: a dict, and a record of what was stored."""

    def __init__(self) -> None:
        self.stored: dict[str, Outcome[Registration]] = {}
        self.puts: list[str] = []

    def get_registration(self, domain: str) -> Outcome[Registration] | None:
        return self.stored.get(domain)

    def put_registration(self, domain: str, outcome: Outcome[Registration]) -> None:
        self.puts.append(domain)
        self.stored[domain] = outcome


async def test_rdap_where_bootstrapped_whois_elsewhere(
    registry_endpoints: Endpoints,
    registry_limits: Limits,
    rdap_server: RdapServer,
    whois_registry: WhoisServer,
) -> None:
    async with Registry(registry_endpoints, registry_limits) as registry:
        com = await registry.lookup("kestrelsystems.com")
        de = await registry.lookup("kestrel-systeme.de")
        ml = await registry.lookup("kestrel-systeme.ml")
        idn = await registry.lookup("kestrel-système.fr")
        stats = registry.stats
    assert com.status is Status.OK
    assert com.value is not None
    assert com.value.source == "rdap"
    assert de.status is Status.OK
    assert de.value is not None
    assert de.value.source == "whois"
    assert ml.status is Status.SKIPPED
    assert "no RDAP or WHOIS service to ask for .ml" in ml.detail
    assert idn.status is Status.SKIPPED
    assert whois_registry.count("kestrelsystems.com") == 0  # RDAP answered .com
    assert rdap_server.count("kestrel-systeme.de") == 0
    assert stats.requests == {str(rdap_server.address): 2, str(whois_registry.address): 1}
    assert stats.total_requests == 3
    assert stats.lookups == {"rdap": 1, "whois": 2}
    assert stats.outcomes == {"ok": 2, "skipped": 2}


async def test_only_definitive_answers_are_cached(
    registry_endpoints: Endpoints, rdap_server: RdapServer, whois_registry: WhoisServer
) -> None:
    cache = MemoryCache()
    limits = Limits(registry_per_server=4, registry_qps=0, registry_timeout=0.3)
    # (A 429 with a long Retry-After would hold the whole server back: see test_registry_hostile.py.)
    names = {
        "kestrelsystems.com": Status.OK,
        "kestrel-unknown.com": Status.ABSENT,
        "kestrel-broken.com": Status.REFUSED,
        "kestrel-slow.com": Status.TIMEOUT,
        "kestrel-malformed.com": Status.ERROR,
        "kestrel-systeme.de": Status.OK,
        "kestrelsysteme.de": Status.ABSENT,
        "kestrel-limited.de": Status.REFUSED,
        "kestrel-silent.de": Status.REFUSED,
    }
    async with Registry(registry_endpoints, limits, cache=cache) as registry:
        first = {name: await registry.lookup(name) for name in names}
        assert {name: o.status for name, o in first.items()} == names
        assert sorted(cache.puts) == sorted(n for n, s in names.items() if s in (Status.OK, Status.ABSENT))
        asked = len(rdap_server.requests) + len(whois_registry.queries)

        second = {name: await registry.lookup(name) for name in names}
        assert {name: o.status for name, o in second.items()} == names
        assert second["kestrelsystems.com"] is first["kestrelsystems.com"]  # straight from the cache
        unknowns = [n for n, s in names.items() if s.unknown]
        # Only the unknowns were asked again (kestrelsystems.com would have cost two requests).
        assert len(rdap_server.requests) + len(whois_registry.queries) == asked + len(unknowns)
        stats = registry.stats
    assert stats.cache_hits == 4
    assert stats.cache_misses == len(names) + len(unknowns)


async def test_rate_per_server_is_never_exceeded(
    registry_endpoints: Endpoints, rdap_server: RdapServer, whois_registry: WhoisServer
) -> None:
    qps = 10.0
    limits = Limits(registry_per_server=2, registry_qps=qps, registry_timeout=5.0)
    rdap_names = [f"kestrel-{i}.com" for i in range(8)]
    whois_names = [f"kestrel-{i}.de" for i in range(8)]
    started = time.monotonic()
    async with Registry(registry_endpoints, limits) as registry:
        outcomes = await asyncio.gather(*(registry.lookup(n) for n in rdap_names + whois_names))
    elapsed = time.monotonic() - started
    assert {o.status for o in outcomes} == {Status.ABSENT}
    for arrivals in ([r.at for r in rdap_server.requests], [q.at for q in whois_registry.queries]):
        assert len(arrivals) == 8
        # A token bucket of burst 1 grants the k-th next request k/qps later. What reaches the server
        # also carries the client's scheduling jitter (a connection set up, a task switch): allow 50 ms
        # of it, once, however long the span. A missing limit would put all eight within milliseconds.
        for (i, a), (j, b) in itertools.combinations(enumerate(arrivals), 2):
            assert b - a >= (j - i) / qps - 0.05, (i, j, b - a)
    # Two servers, each with its own budget: they ran side by side, not one after the other.
    assert elapsed < 2 * 7 / qps


async def test_concurrency_per_server_is_bounded(
    registry_endpoints: Endpoints, rdap_server: RdapServer, whois_registry: WhoisServer
) -> None:
    slow_rdap = RdapResponse(body=None, status=404, delay=0.15)
    slow_whois = WhoisResponse(body='No match for "X".\r\n', delay=0.15)
    rdap_server.update({f"kestrel-{i}.com": slow_rdap for i in range(6)})
    whois_registry.update({f"kestrel-{i}.de": slow_whois for i in range(6)})
    limits = Limits(registry_per_server=2, registry_qps=0, registry_timeout=5.0)
    async with Registry(registry_endpoints, limits) as registry:
        names = [f"kestrel-{i}.com" for i in range(6)] + [f"kestrel-{i}.de" for i in range(6)]
        outcomes = await asyncio.gather(*(registry.lookup(n) for n in names))
    assert {o.status for o in outcomes} == {Status.ABSENT}
    assert rdap_server.max_in_flight == 2
    assert whois_registry.max_in_flight == 2


async def test_retry_after_delays_the_next_request_to_that_server(
    registry_endpoints: Endpoints, rdap_server: RdapServer
) -> None:
    rdap_server.update({"kestrel-down.com": RdapResponse(status=503, retry_after="1")})
    limits = Limits(registry_per_server=2, registry_qps=10.0, registry_timeout=5.0)
    async with Registry(registry_endpoints, limits) as registry:
        down = await registry.lookup("kestrel-down.com")
        after = await registry.lookup("kestrelsytems.com")
    assert down.status is Status.REFUSED
    assert after.status is Status.OK
    first, second = rdap_server.requests
    assert second.at - first.at >= 0.95


async def test_an_unreadable_bootstrap_is_a_user_error(tmp_path: Path, registry_limits: Limits) -> None:
    (tmp_path / "dns.json").write_text("[]", "utf-8")
    with pytest.raises(LookalikeError, match="not an RDAP bootstrap"):
        Registry(Endpoints(rdap_bootstrap=tmp_path / "dns.json"), registry_limits)


async def test_the_shipped_bootstrap_by_default(registry_limits: Limits) -> None:
    async with Registry(Endpoints(whois_iana=None), registry_limits) as registry:
        assert registry.bootstrap.urls("kestrelsystems.com") == ("https://rdap.verisign.com/com/v1/",)
        outcome = await registry.lookup("kestrel-systeme.de")
    assert outcome.status is Status.SKIPPED


async def test_host_names_use_the_given_resolver(
    registry_endpoints: Endpoints, registry_limits: Limits, rdap_server: RdapServer, tmp_path: Path
) -> None:
    asked: list[str] = []

    async def resolve(host: str) -> Outcome[tuple[str, ...]]:
        asked.append(host)
        return Outcome(Status.OK, ("127.0.0.1",))

    path = tmp_path / "named.json"
    path.write_text(
        f'{{"services": [[["com"], ["http://rdap.kestrel-registry.example:{rdap_server.address.port}/"]]]}}',
        "utf-8",
    )
    endpoints = replace(registry_endpoints, rdap_bootstrap=path)
    async with Registry(endpoints, registry_limits, resolve=resolve) as registry:
        outcome = await registry.lookup("kestrelsytems.com")
    assert outcome.status is Status.OK
    assert asked == ["rdap.kestrel-registry.example"]


def test_stats_default() -> None:
    assert RegistryStats().total_requests == 0


REGISTRY_HOSTS = """\
$TTL 300
@                    IN SOA  ns1.example. hostmaster.example. 1 3600 600 86400 300
@                    IN NS   ns1.example.
ns1                  IN A    127.0.0.1
rdap.kestrel-registry IN A   127.0.0.1
whois.harrier-domains IN A   127.0.0.1
dual                 IN A    127.0.0.1
dual                 IN AAAA ::1
"""


async def test_server_addresses_asks_our_own_resolver(dns_server: DnsServerFactory) -> None:
    server = await dns_server([dns.zone.from_text(REGISTRY_HOSTS, origin="example.", relativize=False)])
    addresses = ServerAddresses([server.address], timeout=2.0)
    found = await addresses("rdap.kestrel-registry.example.")
    assert found == Outcome(Status.OK, ("127.0.0.1",))
    assert (await addresses("dual.example")).value == ("127.0.0.1", "::1")
    missing = await addresses("nowhere.example")
    assert missing.status is Status.ABSENT
    queries = server.queries
    assert (await addresses("rdap.kestrel-registry.example")).ok
    assert server.queries == queries  # remembered


async def test_registry_resolves_server_names_through_the_configured_resolvers(
    dns_server: DnsServerFactory, rdap_server: RdapServer, registry_limits: Limits, tmp_path: Path
) -> None:
    dns_srv = await dns_server([dns.zone.from_text(REGISTRY_HOSTS, origin="example.", relativize=False)])
    rdap_server.name = "rdap.kestrel-registry.example"  # its base URL, and the links it serves, use the name
    path = rdap_server.bootstrap_file(["com"], tmp_path / "named.json")
    endpoints = Endpoints(resolvers=(dns_srv.address,), rdap_bootstrap=path, whois_iana=None)
    async with Registry(endpoints, registry_limits) as registry:
        outcome = await registry.lookup("kestrelsystems.com")
    assert outcome.status is Status.OK, outcome.detail
    assert outcome.value is not None
    assert outcome.value.registrant is not None  # the registrar link, by name too
    assert {r.host for r in rdap_server.requests} == {
        f"rdap.kestrel-registry.example:{rdap_server.address.port}"
    }
