"""The registration policy: which protocol to ask about a name, how hard, and what to remember.

RDAP where IANA's bootstrap lists the TLD; WHOIS where it does not (most ccTLDs), or when RDAP says it
cannot serve the name. One ``PerKeyLimits`` gates every request to one server (``host:port``), whether
it is a registry's RDAP, a registrar's RDAP, IANA's WHOIS or a registrar's WHOIS: at most
``Limits.registry_per_server`` in flight and ``Limits.registry_qps`` per second, and a server's
``Retry-After`` delays everyone's next request to it. Only definitive answers (OK, ABSENT) go to the
cache; an unknown is asked again next time.

Host names of servers are resolved through lookalike's own resolvers (``ServerAddresses``, or the
scan's ``Resolver.addresses``), never the system's. Servers a registry's answer names (WHOIS referrals,
RDAP redirects and ``related`` links) pass the address guard: public addresses only unless
``allow_private`` (the scan's ``--allow-private``).

No server sets our clock: each lookup has a deadline (``Limits.registry_deadline``) and the scan's
lookups together another (``Limits.registry_scan_deadline``); every request, queue and wait (rate
limits, Retry-After) counts against both, and past either the answer is TIMEOUT with the reason.

Must not: decide whether a name is the organisation's own (that is judgement, in ``scoring``), print,
or raise for a network failure.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver
import httpx

from lookalike.endpoints import Endpoints, HostPort, Limits, system_resolvers
from lookalike.errors import LookalikeError
from lookalike.model import Outcome, Registration, Status
from lookalike.ratelimit import LOCAL, Budgets
from lookalike.rdap import RDAP_MEDIA_TYPE, Bootstrap, RdapClient
from lookalike.text import clean
from lookalike.whois import Resolve, WhoisClient

MAX_DETAIL = 600
"""Characters kept of an outcome's reason (RDAP's and WHOIS's together)."""


class RegistrationCache(Protocol):
    """Where answers are remembered between scans (the store implements it)."""

    def get_registration(self, domain: str) -> Outcome[Registration] | None:
        """A fresh-enough cached answer, or None."""
        ...

    def put_registration(self, domain: str, outcome: Outcome[Registration]) -> None:
        """Remember a definitive answer (OK or ABSENT)."""
        ...


@dataclass(frozen=True, slots=True)
class RegistryStats:
    """How the registry lookups went, for the scan summary and the tests."""

    requests: Mapping[str, int] = field(default_factory=dict)
    """Requests sent per server (``host:port``), RDAP and WHOIS together."""
    lookups: Mapping[str, int] = field(default_factory=dict)
    """Names looked up per protocol (``rdap``, ``whois``); a name RDAP skipped counts for both."""
    outcomes: Mapping[str, int] = field(default_factory=dict)
    """Answers per status value (``ok``, ``absent``, ``timeout`` ...), cache hits included."""
    cache_hits: int = 0
    cache_misses: int = 0
    rate_limited: int = 0
    """Answers that said we asked too often (HTTP 429, WHOIS quota phrases)."""

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


class ServerAddresses:
    """The addresses of server host names (an RDAP base URL's host, a WHOIS referral), found by asking
    the configured resolvers directly with dnspython, and remembered for the object's lifetime.

    A stand-in for the scan's ``Resolver.addresses`` when a ``Registry`` is used on its own. With no
    resolvers given it reads resolv.conf's nameservers (and queries them itself) on first use.
    """

    def __init__(self, resolvers: Sequence[HostPort], timeout: float = 5.0) -> None:
        self._resolvers = tuple(resolvers)
        self._timeout = timeout
        self._resolver: dns.asyncresolver.Resolver | None = None
        self._known: dict[str, tuple[str, ...]] = {}

    def _make(self) -> dns.asyncresolver.Resolver:
        servers = self._resolvers or system_resolvers()
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(s.host, s.port) for s in servers]
        resolver.lifetime = self._timeout
        resolver.timeout = max(self._timeout / 3, 0.5)
        return resolver

    async def __call__(self, host: str) -> Outcome[tuple[str, ...]]:
        host = host.strip().rstrip(".").lower()
        if host in self._known:
            return Outcome(Status.OK, self._known[host])
        if self._resolver is None:
            try:
                self._resolver = self._make()
            except LookalikeError as exc:
                return Outcome(Status.ERROR, None, str(exc))
        answers = await asyncio.gather(self._ask(host, "A"), self._ask(host, "AAAA"))
        addresses = tuple(a for outcome in answers for a in (outcome.value or ()))
        if addresses:
            self._known[host] = addresses
            return Outcome(Status.OK, addresses)
        worst = next((o for o in answers if o.status is not Status.OK), answers[0])
        return Outcome(worst.status, None, worst.detail or f"{host} has no address")

    async def _ask(self, host: str, rdtype: str) -> Outcome[tuple[str, ...]]:
        assert self._resolver is not None
        try:
            # Absolute: the resolver has no search domain, and a server's name is never relative.
            answer = await self._resolver.resolve(f"{host}.", rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            return Outcome(Status.ABSENT, None, f"{host} does not exist")
        except dns.resolver.NoAnswer:
            return Outcome(Status.OK, ())
        except dns.resolver.LifetimeTimeout:
            return Outcome(Status.TIMEOUT, None, f"no resolver answered for {host}")
        except dns.resolver.NoNameservers:
            return Outcome(Status.REFUSED, None, f"the resolvers failed for {host}")
        except dns.exception.DNSException as exc:
            return Outcome(Status.ERROR, None, f"{host}: {exc}")
        return Outcome(Status.OK, tuple(str(r) for r in answer))


class Registry:
    """Registration lookups for a scan: RDAP first, WHOIS where there is no RDAP; cached, rate-limited."""

    def __init__(
        self,
        endpoints: Endpoints,
        limits: Limits,
        *,
        cache: RegistrationCache | None = None,
        client: httpx.AsyncClient | None = None,
        resolve: Resolve | None = None,
        allow_private: bool = False,
        budgets: Budgets = LOCAL,
    ) -> None:
        """Raises ``LookalikeError`` when the RDAP bootstrap (``endpoints.rdap_bootstrap``, else the
        refreshed copy or the package's snapshot) cannot be read. ``allow_private`` lets the servers a
        registry's answer names be private or loopback addresses. ``budgets`` holds the per-server
        limits (the process's own, or shared by every worker)."""
        self.bootstrap = Bootstrap.load(endpoints.rdap_bootstrap)
        self._cache = cache
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=limits.registry_timeout,
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: we say where traffic goes
            headers={"User-Agent": endpoints.user_agent, "Accept": RDAP_MEDIA_TYPE},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )
        resolve = resolve or ServerAddresses(endpoints.resolvers, limits.registry_timeout)
        self._gate = budgets.gate("registry", limits.registry_per_server, limits.registry_qps)
        self.rdap = RdapClient(
            self.bootstrap,
            limits,
            self._client,
            resolve=resolve,
            gate=self._gate,
            allow_private=allow_private,
        )
        self.whois = WhoisClient(
            endpoints, limits, resolve=resolve, gate=self._gate, allow_private=allow_private
        )
        self._limits = limits
        self._scan_deadline: float | None = None
        self._lookups: Counter[str] = Counter()
        self._outcomes: Counter[str] = Counter()
        self._hits = 0
        self._misses = 0

    async def __aenter__(self) -> Registry:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._own_client:
            await self._client.aclose()

    async def lookup(self, domain: str) -> Outcome[Registration]:
        """What the registry says about ``domain`` (a registrable name, ASCII): OK with the facts,
        ABSENT when the registry says it is not registered, or an unknown with the reason."""
        domain = domain.strip().rstrip(".").lower()
        if "." not in domain or not domain.isascii():
            self._outcomes[Status.SKIPPED.value] += 1
            return Outcome(Status.SKIPPED, None, f"{domain[:80]!r} is not an ASCII domain name")
        if self._cache is not None:
            cached = self._cache.get_registration(domain)
            if cached is not None:
                self._hits += 1
                self._outcomes[cached.status.value] += 1
                return cached
            self._misses += 1
        outcome = await self._within_deadlines(domain)
        if outcome.detail:  # it may quote a server (a URL, an error it sent): kept through text.clean
            outcome = replace(outcome, detail=clean(outcome.detail, MAX_DETAIL))
        self._outcomes[outcome.status.value] += 1
        if self._cache is not None and outcome.status in (Status.OK, Status.ABSENT):
            self._cache.put_registration(domain, outcome)
        return outcome

    async def _within_deadlines(self, domain: str) -> Outcome[Registration]:
        """``_ask`` under the lookup's deadline and the scan's: past either, TIMEOUT with the reason."""
        now = time.monotonic()
        if self._scan_deadline is None:
            self._scan_deadline = now + self._limits.registry_scan_deadline
        if now >= self._scan_deadline:
            spent = self._limits.registry_scan_deadline
            return Outcome(Status.TIMEOUT, None, f"the scan's registry time ({spent:g} s) is spent")
        deadline = min(now + self._limits.registry_deadline, self._scan_deadline)
        try:
            async with asyncio.timeout(deadline - now):
                return await self._ask(domain, deadline)
        except TimeoutError:
            if deadline >= self._scan_deadline:
                spent = self._limits.registry_scan_deadline
                return Outcome(Status.TIMEOUT, None, f"the scan's registry time ({spent:g} s) is spent")
            took = self._limits.registry_deadline
            return Outcome(
                Status.TIMEOUT,
                None,
                f"the registration lookup took more than {took:g} s (queues and waits included)",
            )

    async def _ask(self, domain: str, deadline: float) -> Outcome[Registration]:
        rdap_detail = ""
        if self.bootstrap.urls(domain):
            self._lookups["rdap"] += 1
            outcome = await self.rdap.lookup(domain, deadline=deadline)
            if outcome.status is not Status.SKIPPED:
                return outcome
            rdap_detail = outcome.detail
        self._lookups["whois"] += 1
        outcome = await self.whois.lookup(domain, deadline=deadline)
        if outcome.status is Status.SKIPPED:
            tld = domain.rsplit(".", 1)[-1]
            why = "; ".join(d for d in (rdap_detail, outcome.detail) if d)
            return Outcome(Status.SKIPPED, None, f"no RDAP or WHOIS service to ask for .{tld} ({why})")
        if rdap_detail and not rdap_detail.startswith("the RDAP bootstrap lists no server"):
            outcome = replace(
                outcome, detail="; ".join(d for d in (f"RDAP: {rdap_detail}", outcome.detail) if d)
            )
        return outcome

    @property
    def stats(self) -> RegistryStats:
        """A snapshot of the counters so far."""
        requests = self.rdap.requests + self.whois.requests
        return RegistryStats(
            requests=MappingProxyType(dict(requests)),
            lookups=MappingProxyType(dict(self._lookups)),
            outcomes=MappingProxyType(dict(self._outcomes)),
            cache_hits=self._hits,
            cache_misses=self._misses,
            rate_limited=self.rdap.rate_limited + self.whois.rate_limited,
        )


__all__ = ["RegistrationCache", "Registry", "RegistryStats", "ServerAddresses"]
