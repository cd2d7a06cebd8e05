"""The orchestrator: generation, DNS triage, detail, registry, probes and scoring, in that order.

    protected names ─> permute.generate ─> candidates (ranked)                           pure
    references: each protected domain resolved and looked up like a candidate            async
    stage 1  triage every candidate: exists / absent / unknown          (Resolver.triage_many)
    stage 2  names that exist: DNS detail, RDAP->WHOIS, SMTP, HTTP      (bounded, per-server limits)
             and, with --screenshot, each live page in Chromium against the protected site's
    scoring.score(candidate, evidence, reference)                                          pure
    plan     the most urgent absent names, confirmed with the registry         (advice.make_plan)

Candidates stream through the stages: absent names are counted and handed to the sink in batches, never
kept; only findings (names that exist or are unknown) are held, and each goes to the sink the moment it
is complete, so an interrupted scan loses nothing and ``--resume`` skips what is done.

This module holds the one catch-all ``except Exception`` of the package: a bug or an unforeseen reply
while gathering one candidate's evidence becomes ``Status.ERROR`` on that candidate, with the reason,
instead of ending the scan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Collection, Coroutine, Iterable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from lookalike import __version__, advice
from lookalike.config import Protected, Settings, domain_options
from lookalike.endpoints import HostPort, system_resolvers
from lookalike.errors import LookalikeError
from lookalike.model import (
    BlockEntry,
    Candidate,
    DnsFacts,
    Evidence,
    Existence,
    Finding,
    HygieneAudit,
    Outcome,
    PlanItem,
    ProtectedSummary,
    Reference,
    Registration,
    ScanInfo,
    ScanResult,
    SmtpFacts,
    Status,
    TriageMark,
    VisualFacts,
    WebFacts,
    skipped,
)
from lookalike.permute import check_options, generate
from lookalike.ratelimit import LOCAL, Budgets
from lookalike.resolver import Resolver
from lookalike.scoring import score
from lookalike.screenshots import Shelf

if TYPE_CHECKING:  # the browser and Pillow are loaded only for a scan with --screenshot
    from lookalike.browser import Browser
    from lookalike.registry import RegistrationCache, Registry
    from lookalike.smtp import SmtpProber
    from lookalike.visual import PageCapture
    from lookalike.web import WebProber

log = logging.getLogger(__name__)
T = TypeVar("T")

ABSENT_BATCH = 1000
"""Absent names are handed to the sink in batches of this many."""
DETAIL_CONCURRENCY = 64
"""Candidates in stage 2 at once (each may ask the DNS, a registry and two probes)."""
SCREENSHOTS_OFF = "screenshots are off (--screenshot)"


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot for a progress display. The scan calls the callback often; throttle in the UI."""

    stage: str
    generated: int = 0
    triaged: int = 0
    exists: int = 0
    absent: int = 0
    unknown: int = 0
    detailed: int = 0


ProgressCallback = Callable[[Progress], None]


class Sink(Protocol):
    """Where results go as they complete (the store, or memory)."""

    def record(self, finding: Finding) -> None: ...

    def record_absent(self, names: Sequence[tuple[str, str]]) -> None: ...


@dataclass
class Collector:
    """The in-memory sink: keeps findings and counts; forwards to another sink (the store) when given.

    The CLI holds one of these, so even when Ctrl-C ends the scan half-way the findings so far are here.
    """

    forward: Sink | None = None
    findings: list[Finding] = field(default_factory=list)
    absent: dict[str, int] = field(default_factory=dict)

    def record(self, finding: Finding) -> None:
        self.findings.append(finding)
        if self.forward is not None:
            self.forward.record(finding)

    def record_absent(self, names: Sequence[tuple[str, str]]) -> None:
        for _, protected in names:
            self.absent[protected] = self.absent.get(protected, 0) + 1
        if self.forward is not None:
            self.forward.record_absent(names)


@dataclass
class _Counters:
    generated: dict[str, int] = field(default_factory=dict)
    exists: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)
    absent: dict[str, int] = field(default_factory=dict)
    triaged: int = 0
    detailed: int = 0

    @staticmethod
    def bump(table: dict[str, int], key: str, by: int = 1) -> None:
        table[key] = table.get(key, 0) + by

    def progress(self, stage: str) -> Progress:
        return Progress(
            stage=stage,
            generated=sum(self.generated.values()),
            triaged=self.triaged,
            exists=sum(self.exists.values()),
            absent=sum(self.absent.values()),
            unknown=sum(self.unknown.values()),
            detailed=self.detailed,
        )


@dataclass(frozen=True, slots=True)
class ScanRun:
    """What a scan produced: the result (with its plan), and the advice computed from it."""

    result: ScanResult
    audit: tuple[HygieneAudit, ...] = ()
    blocklist: tuple[BlockEntry, ...] = ()

    @property
    def plan(self) -> tuple[PlanItem, ...]:
        """The registration plan the scan made (``ScanInfo.plan``)."""
        return self.result.info.plan


def settings_summary(settings: Settings, resolvers: Sequence[HostPort]) -> tuple[tuple[str, str], ...]:
    """The settings that shaped a scan, for the report and the store."""
    gen = settings.generate
    lim = settings.limits
    techniques = "all" if gen.techniques is None else ", ".join(sorted(t.value for t in gen.techniques))
    return (
        ("protected", ", ".join(p.name.unicode for p in settings.protected)),
        ("techniques", techniques),
        ("depth", str(gen.depth)),
        ("keyboards", ", ".join(gen.keyboards)),
        ("resolvers", ", ".join(str(r) for r in resolvers)),
        (
            "concurrency",
            f"{lim.concurrency} ({'fixed window' if lim.fixed_window else 'ceiling of an adaptive window'})",
        ),
        ("qps per resolver", "unlimited" if lim.qps <= 0 else f"{lim.qps:g}"),
        ("timeout / retries", f"{lim.timeout:g} s / {lim.retries}"),
        ("registry lookups", "on" if settings.registry else "off"),
        ("SMTP probe", f"on (port {settings.endpoints.smtp_port})" if settings.smtp else "off"),
        ("HTTP probe", "on" if settings.http or settings.screenshot else "off"),
        (
            "screenshots",
            f"on ({lim.screenshot_pages} at once, {lim.screenshot_timeout:g} s each)"
            if settings.screenshot
            else "off",
        ),
        ("private addresses", "allowed" if settings.allow_private else "refused"),
    )


def dns_summary(resolver: Resolver) -> tuple[tuple[str, str], ...]:
    """How the DNS went, for the scan's details: each resolver's window (where it settled and why)
    and what the questions cost."""
    stats = resolver.stats
    pairs = [("DNS window", window.summary()) for window in resolver.windows]
    pairs.append(
        (
            "DNS queries",
            f"{stats.queries:,} sent, {stats.timeouts:,} timed out, {stats.retries:,} retried,"
            f" {stats.servfails + stats.refused:,} SERVFAIL/REFUSED, {stats.tcp_fallbacks:,} over TCP",
        )
    )
    return tuple(pairs)


def scan_key(settings: Settings) -> str:
    """Identifies "the same scan" for ``--resume``: the protected names and what shapes the candidates."""
    gen = settings.generate
    parts = [
        ",".join(sorted(p.name.ascii for p in settings.protected)),
        "all" if gen.techniques is None else ",".join(sorted(t.value for t in gen.techniques)),
        str(gen.depth),
        ",".join(gen.keyboards),
        ",".join(gen.keywords),
    ]
    return "|".join(parts)


class Scanner:
    """One scan's machinery: the resolver, registry and probes, opened together and closed together."""

    def __init__(
        self,
        settings: Settings,
        resolvers: Sequence[HostPort],
        cache: RegistrationCache | None,
        shelf: Shelf | None = None,
        budgets: Budgets = LOCAL,
    ) -> None:
        """``budgets`` holds the per-server limits: this process's (``LOCAL``), or those every worker
        of a distributed scan shares (``budgets.SharedBudgets``)."""
        self.settings = settings
        self.resolvers = tuple(resolvers)
        self.cache = cache
        self.shelf = shelf
        """Where the screenshots go (``--screenshot``); None keeps only their hashes."""
        self.budgets = budgets
        self._stack = AsyncExitStack()
        self.resolver: Resolver
        self.registry: Registry | None = None
        self.smtp: SmtpProber | None = None
        self.web: WebProber | None = None
        self.browser: Browser | None = None
        self._registrations: dict[str, asyncio.Future[Outcome[Registration]]] = {}
        self._references: dict[str, Reference] = {}
        self._our_pages: dict[str, asyncio.Future[Outcome[PageCapture]]] = {}
        self._owned = frozenset(settings.owned())

    async def __aenter__(self) -> Scanner:
        try:
            return await self._open()
        except BaseException:
            await self._stack.aclose()  # what opened before the failure (sockets, clients) closes too
            raise

    async def _open(self) -> Scanner:
        s = self.settings
        budgets = await self._stack.enter_async_context(self.budgets)
        self.resolver = await self._stack.enter_async_context(
            Resolver(self.resolvers, s.limits, budgets=budgets)
        )
        # Each protocol's module is loaded by the scan that uses it (a scan without probes never
        # imports httpx or the TLS parsing; one without the registry, the RDAP/WHOIS clients).
        if s.registry:
            from lookalike.registry import Registry

            self.registry = await self._stack.enter_async_context(
                Registry(
                    s.endpoints,
                    s.limits,
                    cache=self.cache,
                    resolve=self.resolver.addresses,
                    allow_private=s.allow_private,
                    budgets=budgets,
                )
            )
        if s.smtp:
            from lookalike.smtp import SmtpProber

            self.smtp = SmtpProber(
                port=s.endpoints.smtp_port,
                helo=s.endpoints.helo_name,
                limits=s.limits,
                allow_private=s.allow_private,
                budgets=budgets,
            )
        if s.screenshot:
            self.browser = await self._open_browser()
        if s.http or s.screenshot:
            from lookalike.web import WebProber

            self.web = await self._stack.enter_async_context(
                WebProber(
                    http_port=s.endpoints.http_port,
                    https_port=s.endpoints.https_port,
                    limits=s.limits,
                    resolve=self.resolver.addresses,
                    allow_private=s.allow_private,
                    user_agent=s.endpoints.user_agent,
                )
            )
        return self

    async def _open_browser(self) -> Browser:
        """Headless Chromium for ``--screenshot``, behind the same guards as the HTTP probe: only the
        addresses the scan resolved, public ones unless ``allow_private``, the probe's ports."""
        from lookalike import visual
        from lookalike.browser import Browser, BrowserLimits, PageLimits

        visual.require()
        s = self.settings
        limits = BrowserLimits(
            pages=s.limits.screenshot_pages,
            page=PageLimits(timeout=s.limits.screenshot_timeout),
        )
        browser = Browser(
            resolve=self.resolver.addresses,
            allow_private=s.allow_private,
            http_port=s.endpoints.http_port,
            https_port=s.endpoints.https_port,
            limits=limits,
        )
        return await self._stack.enter_async_context(browser)

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def registration(self, apex: str) -> Outcome[Registration]:
        """One registry question per registrable domain per scan, however many candidates share it."""
        if self.registry is None:
            return skipped("registry lookups are off (--no-registry)")
        future = self._registrations.get(apex)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._registrations[apex] = future
            try:
                future.set_result(await self.registry.lookup(apex))
            except BaseException as exc:
                future.set_exception(exc)
                future.exception()  # taken here: no waiter need see it for asyncio to stay quiet at exit
                del self._registrations[apex]
                raise
        return await asyncio.shield(future)

    async def reference(self, protected: Protected) -> Reference:
        """The protected domain itself, resolved and looked up like a candidate. Never raises."""
        name = protected.name
        gathered = await _guarded(
            name.ascii,
            asyncio.gather(
                self.resolver.detail(name.ascii, apex=name.apex),
                self.registration(name.apex) if not name.private_suffix else _skip("under a private suffix"),
            ),
        )
        if isinstance(gathered, _Failed):
            reference = Reference(
                domain=name.ascii, dns=Outcome(Status.ERROR, None, gathered.detail), owned=protected.owned
            )
        else:
            dns, registration = gathered
            reference = Reference(
                domain=name.ascii, dns=dns, registration=registration, owned=protected.owned
            )
        self._references[name.ascii] = reference
        if self.browser is not None:
            # Its picture is what every lookalike's page is compared with: take it now, while the
            # candidates are triaged, rather than when the first live page has to wait for it.
            warm = asyncio.create_task(self.our_page(name.ascii))
            self._stack.push_async_callback(_cancelled, warm)
        return reference

    async def evidence(self, candidate: Candidate, protected: Sequence[str]) -> Evidence:
        """Stage 2 for a name that exists: DNS detail, registration, probes."""
        dns = delegated_facts(candidate, await self.resolver.detail(candidate.domain, apex=candidate.apex))
        facts = dns.value
        if facts is None or facts.existence is not Existence.EXISTS:
            return Evidence(dns=dns)
        only_wildcard = facts.wildcard
        registration: Outcome[Registration]
        if only_wildcard and candidate.domain == candidate.apex:
            registration = skipped("exists only through a wildcard: not registered")
        else:
            registration = await self.registration(candidate.apex)
        smtp_task = self._smtp(candidate, facts, only_wildcard)
        web_task = self._web_and_look(candidate, dns, only_wildcard, protected)
        smtp, (web, visual) = await asyncio.gather(smtp_task, web_task)
        return Evidence(dns=dns, registration=registration, smtp=smtp, web=web, visual=visual)

    async def _smtp(self, cand: Candidate, facts: DnsFacts, wildcard: bool) -> Outcome[tuple[SmtpFacts, ...]]:
        if self.smtp is None:
            return skipped("SMTP probe is off (--smtp)")
        if wildcard:
            return skipped("exists only through a wildcard")
        return await self.smtp.probe(cand.domain, facts)

    async def _web(
        self, cand: Candidate, facts: DnsFacts, wildcard: bool, protected: Sequence[str]
    ) -> Outcome[tuple[WebFacts, ...]]:
        if self.web is None:
            return skipped("HTTP probe is off (--http)")
        if wildcard:
            return skipped("exists only through a wildcard")
        return await self.web.probe(cand.domain, facts, protected)

    async def _web_and_look(
        self, cand: Candidate, dns: Outcome[DnsFacts], wildcard: bool, protected: Sequence[str]
    ) -> tuple[Outcome[tuple[WebFacts, ...]], Outcome[VisualFacts]]:
        """The web probe, then (``--screenshot``) the page it found, rendered and judged."""
        assert dns.value is not None
        web = await self._web(cand, dns.value, wildcard, protected)
        if self.browser is None:
            return web, skipped(SCREENSHOTS_OFF)
        page = Evidence(dns=dns, web=web).live_page
        if page is None:
            return web, skipped("no web page answered")
        return web, await self.look(cand, page.url, dns.value)

    async def look(self, cand: Candidate, url: str, facts: DnsFacts) -> Outcome[VisualFacts]:
        """Render ``url`` (the candidate's page, at the addresses the scan resolved) and judge it
        against the protected site's page. The render's status, and the verdict in every case."""
        from lookalike import visual

        assert self.browser is not None
        ours = await self.our_page(cand.protected)
        page = await self.browser.render(url, (*facts.a, *facts.aaaa))
        verdict = await asyncio.to_thread(visual.compare, page, ours, cand.protected)
        detail = page.detail
        if page.value is not None:
            problem = await self._keep(page.value.screenshot)
            detail = "; ".join(d for d in (detail, problem) if d)
        return Outcome(page.status, verdict, detail)

    async def our_page(self, protected: str) -> Outcome[PageCapture]:
        """The protected site's home page, rendered once per scan (https, else http): the reference
        every lookalike of it is compared with. Never raises."""
        future = self._our_pages.get(protected)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._our_pages[protected] = future
            try:
                future.set_result(await self._render_ours(protected))
            except BaseException:
                future.cancel()  # the scan is ending (only a cancellation gets here): so do its waiters
                del self._our_pages[protected]
                raise
        return await asyncio.shield(future)

    async def _render_ours(self, protected: str) -> Outcome[PageCapture]:
        assert self.browser is not None
        reference = self._references.get(protected)
        facts = reference.dns.value if reference is not None else None
        if facts is None:
            why = "it is not a protected domain here (lookup --protected names one)"
            return Outcome(Status.SKIPPED, None, f"no picture of {protected}: {why}")
        addresses = (*facts.a, *facts.aaaa)
        page = await self.browser.render(f"https://{protected}/", addresses)
        if page.status in (Status.REFUSED, Status.ERROR):
            plain = await self.browser.render(f"http://{protected}/", addresses)
            page = plain if plain.ok else page
        if page.value is not None:
            await self._keep(page.value.screenshot)
        return page

    async def _keep(self, png: bytes) -> str:
        """Put a screenshot on the shelf; why not, when it could not be kept (the verdict stands)."""
        if self.shelf is None or not png:
            return ""
        try:
            await asyncio.to_thread(self.shelf.put, png)
        except (LookalikeError, ValueError) as exc:
            log.warning("screenshot not kept: %s", exc)
            return f"screenshot not kept: {exc}"
        return ""

    def protected_set(self, cand: Candidate) -> list[str]:
        """The domains a redirect may point to and still count as "to us". Never the name itself:
        ``lookup`` without ``--protected`` compares a name with itself, and a site that redirects to
        its own path does not redirect to anyone's protected domain."""
        return [d for d in (cand.protected, *sorted(self._owned)) if d != cand.domain]


async def _cancelled(task: asyncio.Task[object]) -> None:
    """Stop ``task`` (if it still runs) and wait for it: nothing outlives the scanner's browser."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _skip(detail: str) -> Outcome[Registration]:
    return skipped(detail)


_DELEGATED: Outcome[Existence] = Outcome(Status.OK, Existence.EXISTS, "delegated in its zone file")
"""Triage's answer for a name a zone file delegates: no question asked."""


def delegated_facts(candidate: Candidate, dns: Outcome[DnsFacts]) -> Outcome[DnsFacts]:
    """The DNS detail of a name, with the zone file as the existence evidence when the name is one a
    zone file delegates (``Sighting.delegated``) and no DNS question about it was answered: it exists
    (the registry's zone says so), every question stays a problem, nothing else is guessed. An
    NXDOMAIN stands: it is newer than the file."""
    sighting = candidate.sighting
    if sighting is None or not sighting.delegated or dns.value is not None or not dns.status.unknown:
        return dns
    when = f" of {sighting.seen_at:%Y-%m-%d}" if sighting.seen_at is not None else ""
    unanswered = f"{dns.status.value} ({dns.detail})" if dns.detail else dns.status.value
    facts = DnsFacts(
        existence=Existence.EXISTS,
        problems=tuple(f"{q}: {unanswered}" for q in ("NS", "SOA", "A", "AAAA", "MX", "TXT")),
    )
    return Outcome(dns.status, facts, f"delegated in the {sighting.source} zone file{when}; {dns.detail}")


async def finding_for(
    scanner: Scanner,
    candidate: Candidate,
    triage: Outcome[Existence],
    reference: Reference | None,
    now: datetime,
) -> Finding:
    """Everything about one candidate that triage did not call absent. Never raises (but cancels)."""
    if triage.status is Status.OK:
        gathered = await _guarded(
            candidate.domain, scanner.evidence(candidate, scanner.protected_set(candidate))
        )
        if isinstance(gathered, _Failed):
            facts = DnsFacts(existence=Existence.UNKNOWN)
            evidence = Evidence(dns=Outcome(Status.ERROR, facts, gathered.detail))
        else:
            evidence = gathered
    else:
        evidence = Evidence(dns=Outcome(triage.status, DnsFacts(existence=Existence.UNKNOWN), triage.detail))
    return Finding(candidate, evidence, score(candidate, evidence, reference, now=now))


@dataclass(frozen=True, slots=True)
class _Failed:
    detail: str


async def _guarded(what: str, work: Awaitable[T]) -> T | _Failed:
    """``await work``; a bug or an unforeseen reply becomes a ``_Failed`` with its reason, logged with
    the traceback, instead of ending the whole scan. A ``LookalikeError`` is not one candidate's
    problem but the scan's end (the store or the shared budgets went away): it goes on up."""
    try:
        return await work
    except LookalikeError:
        raise
    except Exception as exc:  # noqa: BLE001  (the one catch-all: a bug must not lose a candidate)
        log.error("gathering evidence for %s failed:\n%s", what, traceback.format_exc())
        return _Failed(f"internal error: {type(exc).__name__}: {exc}")


def generated(settings: Settings) -> Iterator[Candidate]:
    """Every candidate of every protected domain, each domain's ranked, in the settings' order (a
    protected name itself left out). Deterministic: a distributed scan splits this stream into units."""
    protected_names = {p.name.ascii for p in settings.protected}
    for protected in settings.protected:
        for cand in generate(protected.name, domain_options(settings, protected)):
            if cand.domain not in protected_names:
                yield cand


def fed(settings: Settings, given: Iterable[Candidate]) -> Iterator[Candidate]:
    """The ``given`` candidates (a feed's matches) that imitate a protected domain of ``settings``,
    each (domain, protected) once and never a protected name itself."""
    protected_names = {p.name.ascii for p in settings.protected}
    seen: set[tuple[str, str]] = set()
    for cand in given:
        key = (cand.domain, cand.protected)
        if cand.domain in protected_names or cand.protected not in protected_names or key in seen:
            continue
        seen.add(key)
        yield cand


def _candidates(
    source: Iterable[Candidate],
    counters: _Counters,
    skip: Collection[tuple[str, str]],
    on_skipped: Callable[[Candidate], None],
    given: Iterable[Candidate] | None = None,
) -> Iterator[Candidate]:
    """The candidates of ``source`` to ask about, counted; those in ``skip`` go to ``on_skipped``."""
    for cand in source:
        counters.bump(counters.generated, cand.protected)
        if (cand.domain, cand.protected) in skip:
            on_skipped(cand)
            continue
        yield cand


def validate(settings: Settings) -> None:
    """Check what can be checked before anything is asked or stored: a generator option that cannot
    work (an unknown keyboard, depth 3) is a one-line error now, not an empty scan later."""
    if not settings.protected:
        raise LookalikeError("no protected domains to scan")
    for protected in settings.protected:
        check_options(domain_options(settings, protected))
    check_screenshots(settings)


def check_screenshots(settings: Settings) -> None:
    """With ``screenshot``, the visual extra and Debian's Chromium must be there: one line now, not a
    scan that fails after its first page."""
    if settings.screenshot:
        from lookalike import visual
        from lookalike.browser import chromium

        visual.require()
        chromium.require()


async def check_resolvers(settings: Settings) -> None:
    """Fail fast, with one line, when no resolver answers at all: a dead ``--resolver`` must not turn
    into a scan whose every name is "unknown". Any answer counts, NXDOMAIN included."""
    resolvers = settings.endpoints.resolvers or system_resolvers()
    probe = settings.protected[0].name.tld if settings.protected else "com"
    async with Resolver(resolvers, settings.limits) as resolver:
        answer = await resolver.triage(probe, apex=True)
    if answer.status.unknown:
        names = ", ".join(str(r) for r in resolvers)
        raise LookalikeError(f"no resolver answered ({names}): {answer.detail or answer.status.value}")


async def run(
    settings: Settings,
    *,
    sink: Sink | None = None,
    progress: ProgressCallback | None = None,
    skip: Collection[tuple[str, str]] = frozenset(),
    skipped_absent: Collection[tuple[str, str]] = frozenset(),
    cache: RegistrationCache | None = None,
    scan_id: int | None = None,
    triage_marks: Mapping[str, TriageMark] | None = None,
    now: datetime | None = None,
    preflight: bool = True,
    candidates: Iterable[Candidate] | None = None,
    shelf: Shelf | None = None,
    references: Sequence[Reference] | None = None,
    budgets: Budgets = LOCAL,
) -> ScanRun:
    """Scan every protected domain of ``settings``. See the module docstring for the stages.

    ``preflight`` first checks that some resolver answers at all (``check_resolvers``).
    ``candidates``: scan these (a feed's matches, each with its ``Sighting``) instead of what
    ``generate`` makes; each goes through the same stages, and one the feed knows to be delegated
    (``Sighting.delegated``) skips triage.
    ``references`` given (a distributed scan looked them up first) are used instead of asking again.

    ``sink`` receives each finding and each batch of absent names as they complete. ``skip`` lists
    (domain, protected) pairs already done (``--resume``): they are generated and counted but not asked;
    those of them in ``skipped_absent`` were absent, and still compete for the registration plan.
    ``shelf`` keeps the screenshots of a scan with ``settings.screenshot`` (without one, only their
    hashes are kept, in the findings' ``VisualFacts``).
    """
    validate(settings)
    if preflight:
        await check_resolvers(settings)
    started = now or datetime.now(UTC)
    resolvers = settings.endpoints.resolvers or system_resolvers()
    counters = _Counters()
    if not isinstance(sink, Collector):
        sink = Collector(forward=sink)
    notify = progress or (lambda _p: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    pool = advice.PlanPool(settings.plan_top)
    by_domain: dict[str, Reference] = {}

    plan_items: Sequence[PlanItem] = ()
    interrupted = False
    dns_notes: tuple[tuple[str, str], ...] = ()
    try:
        async with Scanner(settings, resolvers, cache, shelf, budgets=budgets) as scanner:
            notify(counters.progress("references"))
            if references is None:
                refs = await asyncio.gather(*(scanner.reference(p) for p in settings.protected))
            else:
                refs = list(references)
            by_domain.update((r.domain, r) for r in refs)
            timings["references"] = time.perf_counter() - t0

            t1 = time.perf_counter()
            await _triage_and_detail(
                scanner=scanner,
                source=generated(settings) if candidates is None else fed(settings, candidates),
                sink=sink,
                counters=counters,
                skip=skip,
                skipped_absent=skipped_absent,
                references=by_domain,
                pool=pool,
                started=started,
                notify=notify,
            )
            timings["triage and detail"] = time.perf_counter() - t1

            t2 = time.perf_counter()
            notify(counters.progress("plan"))
            plan_items = await _plan(scanner, settings, pool, sink_findings(sink))
            timings["plan"] = time.perf_counter() - t2
            dns_notes = dns_summary(scanner.resolver)
    except asyncio.CancelledError:
        # Ctrl-C (asyncio.run cancels the main task): keep what was found and say the scan is partial.
        task = asyncio.current_task()
        if task is None or task.uncancel() > 0:
            raise  # cancelled by someone else as well: do not swallow that
        interrupted = True
    timings["total"] = time.perf_counter() - t0

    info = ScanInfo(
        id=scan_id,
        started=started,
        finished=datetime.now(UTC),
        version=__version__,
        settings=settings_summary(settings, resolvers) + dns_notes,
        resolvers=tuple(str(r) for r in resolvers),
        timings=tuple((k, round(v, 3)) for k, v in timings.items()),
        protected=tuple(
            ProtectedSummary(
                domain=p.name.ascii,
                generated=counters.generated.get(p.name.ascii, 0),
                exists=counters.exists.get(p.name.ascii, 0),
                absent=counters.absent.get(p.name.ascii, 0),
                unknown=counters.unknown.get(p.name.ascii, 0),
            )
            for p in settings.protected
        ),
        interrupted=interrupted,
        key=scan_key(settings),
        plan=tuple(plan_items),
    )
    result = ScanResult(
        info=info,
        references=tuple(by_domain[p.name.ascii] for p in settings.protected if p.name.ascii in by_domain),
        findings=tuple(sorted(sink_findings(sink), key=attrgetter("worst_first"))),
    )
    notify(counters.progress("done"))
    return advise(result, triage_marks or {})


@dataclass(frozen=True, slots=True)
class UnitCounts:
    """What one unit of a distributed scan did, per protected domain: names asked and how they came out."""

    triaged: int
    exists: Mapping[str, int]
    absent: Mapping[str, int]
    unknown: Mapping[str, int]


async def run_unit(
    settings: Settings,
    candidates: Iterable[Candidate],
    *,
    sink: Sink,
    references: Sequence[Reference],
    now: datetime,
    cache: RegistrationCache | None = None,
    budgets: Budgets = LOCAL,
    progress: ProgressCallback | None = None,
) -> UnitCounts:
    """Stages 1 and 2 for one unit of a distributed scan (a worker's task): the same triage, detail
    and scoring as ``run``, over the candidates given, with the references the coordinator looked
    up. No references, plan or advice here: the coordinator does those once for the whole scan.
    Everything goes to ``sink`` as it completes; an interruption (a cancel) is raised, not kept."""
    resolvers = settings.endpoints.resolvers or system_resolvers()
    counters = _Counters()
    notify = progress or (lambda _p: None)
    async with Scanner(settings, resolvers, cache, budgets=budgets) as scanner:
        await _triage_and_detail(
            scanner=scanner,
            source=candidates,
            sink=sink,
            counters=counters,
            skip=frozenset(),
            skipped_absent=frozenset(),
            references={r.domain: r for r in references},
            pool=advice.PlanPool(0),
            started=now,
            notify=notify,
        )
    return UnitCounts(
        triaged=counters.triaged,
        exists=dict(counters.exists),
        absent=dict(counters.absent),
        unknown=dict(counters.unknown),
    )


async def _triage_and_detail(
    *,
    scanner: Scanner,
    source: Iterable[Candidate],
    sink: Sink,
    counters: _Counters,
    skip: Collection[tuple[str, str]],
    skipped_absent: Collection[tuple[str, str]],
    references: Mapping[str, Reference],
    pool: advice.PlanPool,
    started: datetime,
    notify: ProgressCallback,
) -> None:
    """Stages 1 and 2: stream candidates through triage; hand what exists to stage 2 as it comes.
    A name a zone file delegates skips triage (the zone said it exists) and goes to stage 2 directly."""
    pending: dict[str, list[Candidate]] = {}
    delegated: list[Candidate] = []

    def skipped(cand: Candidate) -> None:
        if (cand.domain, cand.protected) in skipped_absent:
            pool.add(cand)

    def names() -> Iterator[tuple[str, bool]]:
        for cand in _candidates(source, counters, skip, skipped):
            if cand.sighting is not None and cand.sighting.delegated:
                delegated.append(cand)
                continue
            waiting = pending.get(cand.domain)
            if waiting is not None:  # the same name from two protected domains: ask once
                waiting.append(cand)
                continue
            pending[cand.domain] = [cand]
            yield cand.domain, cand.domain == cand.apex

    absent_batch: list[tuple[str, str]] = []
    gate = asyncio.Semaphore(DETAIL_CONCURRENCY)

    async def stage_two(cand: Candidate, outcome: Outcome[Existence]) -> None:
        try:
            finding = await finding_for(scanner, cand, outcome, references.get(cand.protected), started)
            existence = finding.evidence.existence
            if existence is Existence.ABSENT:
                # It vanished between triage and detail: count it as absent, as the DNS now says.
                counters.bump(counters.absent, cand.protected)
                sink.record_absent([(cand.domain, cand.protected)])
                return
            # Counted by the final answer (a detail that timed out is unknown), and only once the
            # finding is in the sink: an interrupted scan's counts match what it wrote.
            sink.record(finding)
            table = counters.exists if existence is Existence.EXISTS else counters.unknown
            counters.bump(table, cand.protected)
            counters.detailed += 1
            notify(counters.progress("detail"))
        finally:
            gate.release()

    async def known(group: asyncio.TaskGroup) -> None:
        while delegated:
            cand = delegated.pop()
            await gate.acquire()
            group.create_task(stage_two(cand, _DELEGATED))

    stream = scanner.resolver.triage_many(names())
    try:
        async with contextlib.aclosing(stream), asyncio.TaskGroup() as group:  # type: ignore[type-var]
            async for name, outcome in stream:
                await known(group)
                counters.triaged += 1
                for cand in pending.pop(name, []):
                    if outcome.status is Status.ABSENT:
                        counters.bump(counters.absent, cand.protected)
                        absent_batch.append((cand.domain, cand.protected))
                        pool.add(cand)
                        continue
                    await gate.acquire()
                    group.create_task(stage_two(cand, outcome))
                if len(absent_batch) >= ABSENT_BATCH:
                    sink.record_absent(absent_batch)
                    absent_batch = []
                notify(counters.progress("triage"))
            await known(group)
    except* LookalikeError as group:
        # The store said no (locked, disk full): one line for the user, not a task group's traceback.
        raise group.exceptions[0] from None
    finally:
        if absent_batch:  # also when interrupted: what was learnt is kept
            sink.record_absent(absent_batch)


def sink_findings(sink: Sink) -> list[Finding]:
    """The findings a sink holds (a Collector keeps them; other sinks are wrapped in one by ``run``)."""
    return list(sink.findings) if isinstance(sink, Collector) else []


def advise(result: ScanResult, triage_marks: Mapping[str, TriageMark]) -> ScanRun:
    """A scan result with its hygiene audit and blocklist (``advice``; the plan is in ``result``)."""
    return ScanRun(
        result=result,
        audit=advice.audit_for(result, triage=triage_marks),
        blocklist=advice.blocklist_for(result, triage=triage_marks),
    )


async def _plan(
    scanner: Scanner, settings: Settings, pool: advice.PlanPool, findings: Sequence[Finding]
) -> tuple[PlanItem, ...]:
    """The defensive-registration plan: the most urgent absent names, confirmed with the registry."""
    if settings.plan_top <= 0:
        return ()
    existence = {f.candidate.domain: f.evidence.existence for f in findings}
    existence.update(dict.fromkeys(pool.names(), Existence.ABSENT))
    made = await advice.make_plan(
        pool.by_domain(p.name.ascii for p in settings.protected),
        existence,
        top=settings.plan_top,
        lookup=scanner.registration if scanner.registry is not None else None,
    )
    return made.items


def run_sync(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(work)`` for work whose result is large: a scan (``run``) from synchronous code.

    Python 3.11 and 3.12 build the repr of the main task, its result included, when ``asyncio.run``
    ends: ``signal.getsignal`` turns the SIGINT handler (a partial holding the task) into an enum
    and formats a ``ValueError`` from its repr. For a scan of 27,000 findings that is a string of
    50 million characters, some 300 MB for a moment. Here the result travels beside the task.
    """
    box: list[T] = []

    async def main() -> None:
        box.append(await work)

    asyncio.run(main())
    return box[0]


async def lookup(
    domain: str,
    settings: Settings,
    *,
    protected: Protected | None = None,
    now: datetime | None = None,
    shelf: Shelf | None = None,
) -> tuple[Finding, Reference | None]:
    """Everything known about one name, for an analyst (``lookalike lookup``); ``shelf`` keeps its
    screenshot and the protected site's (``settings.screenshot``)."""
    from lookalike.names import apex_of, parse, to_unicode

    name = parse(domain)
    check_screenshots(settings)
    resolvers = settings.endpoints.resolvers or system_resolvers()
    async with Scanner(settings, resolvers, None, shelf) as scanner:
        reference = await scanner.reference(protected) if protected is not None else None
        candidate = Candidate(
            domain=name.ascii,
            unicode=to_unicode(name.ascii),
            protected=protected.name.ascii if protected else name.ascii,
            techniques=(),
            plausibility=0.0,
            apex=apex_of(name.ascii),
        )
        apex = name.ascii == candidate.apex
        triage = await scanner.resolver.triage(name.ascii, apex=apex)
        if triage.status is Status.ABSENT:
            registration = await scanner.registration(candidate.apex)
            evidence = Evidence(
                dns=Outcome(Status.ABSENT, DnsFacts(existence=Existence.ABSENT), triage.detail),
                registration=registration,
            )
            found = Finding(candidate, evidence, score(candidate, evidence, reference, now=now or _now()))
        else:
            found = await finding_for(scanner, candidate, triage, reference, now or _now())
    return found, reference


def _now() -> datetime:
    return datetime.now(UTC)
