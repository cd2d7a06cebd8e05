"""Advice for a scan: the registration plan confirmed with the registry, the audit, the blocklist.

One pipeline for every caller, so ``lookalike scan`` and ``lookalike plan`` (``audit``,
``blocklist``, ``report``) give the same advice from the same facts:

* ``PlanPool``      the absent candidates a plan draws on: per protected domain the ``pool_size``
                    most urgent (``plan.plannable`` ones, by ``plan.priority``), kept as they stream
                    past, so a scan never holds a million absent names;
* ``make_plan``     the draft plan's top (the budget and a margin, so held names do not leave the
                    budget short) asked of the registry through the caller's ``lookup``, then each
                    domain planned, merged (one item per name) and ranked;
* ``plan_saved``    the same for a saved scan: its candidates generated again and matched with what
                    the scan found (``plan`` command), confirmed through ``registry``;
* ``audit_for``, ``blocklist_for``  the hygiene audit and the outbound blocklist of a scan, with its
                    triage marks and the names the organisation says it owns.

The builders are ``lookalike.plan``'s (pure); this module only gathers their inputs. Its one I/O is
the registry: ``make_plan`` calls the ``lookup`` it is given (the scan's, which shares the scan's
cache and questions), ``registry`` opens one on the settings' endpoints. It must not print, write
documents, or decide a judgement of its own.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from lookalike import plan
from lookalike.config import Protected, Settings, domain_options
from lookalike.model import (
    BlockEntry,
    Candidate,
    Existence,
    HygieneAudit,
    Outcome,
    PlanItem,
    Registration,
    ScanResult,
    TriageMark,
)
from lookalike.names import Name, parse

PLAN_POOL: Final = 8
"""Absent candidates kept per protected domain for the plan: this many times its budget (at least 50)."""
CONFIRM_MARGIN: Final = 0.25
"""Names asked about beyond the budget (at least 5 more), so the budget is still filled when some of
the top names turn out to be held."""
CONFIRM_ALL: Final = 100
"""With no budget (the whole plan), the registry is asked about this many names per protected domain."""

Lookup = Callable[[str], Awaitable[Outcome[Registration]]]
"""A registry question: a registrable domain -> the registry's answer (``Registry.lookup``)."""


def pool_size(top: int | None) -> int | None:
    """How many absent candidates per domain a plan of ``top`` names draws on (None: all)."""
    return None if top is None else max(top * PLAN_POOL, 50)


def confirm_budget(top: int | None) -> int:
    """How many names per domain are asked of the registry for a plan of ``top`` names."""
    return top + max(5, round(top * CONFIRM_MARGIN)) if top else CONFIRM_ALL


class PlanPool:
    """The absent candidates a plan draws on, per protected domain: the ``pool_size(top)`` most
    urgent plannable ones (``plan.priority``; ties keep the alphabetically first name)."""

    def __init__(self, top: int | None) -> None:
        self.size = pool_size(top)
        self._heaps: dict[str, list[tuple[float, str, Candidate]]] = {}

    def add(self, candidate: Candidate) -> None:
        """Offer one candidate the DNS said is absent."""
        if not plan.plannable(candidate):
            return
        heap = self._heaps.setdefault(candidate.protected, [])
        urgency = plan.priority(candidate)
        if self.size is not None and len(heap) >= self.size and urgency < heap[0][0]:
            return  # the common case on a large scan: less urgent than everything kept
        item = (urgency, _reverse(candidate.domain), candidate)
        if self.size is None or len(heap) < self.size:
            heapq.heappush(heap, item)
        elif item[:2] > heap[0][:2]:
            heapq.heapreplace(heap, item)

    def by_domain(self, domains: Iterable[str]) -> dict[str, list[Candidate]]:
        """The kept candidates of each of ``domains``, most urgent first."""
        return {d: [c for _, _, c in sorted(self._heaps.get(d, []), reverse=True)] for d in domains}

    def names(self) -> set[str]:
        return {c.domain for heap in self._heaps.values() for _, _, c in heap}


def _reverse(text: str) -> str:
    # The heap's minimum is dropped first: invert the name so that, on equal priority, the
    # alphabetically last name is the one dropped.
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """A plan and how it was made."""

    items: tuple[PlanItem, ...]
    asked: int = 0
    """Names the registry was asked about."""
    not_scanned: int = 0
    """Generated names the scan did not cover (``plan_saved`` only)."""


async def confirm(names: Sequence[str], lookup: Lookup) -> dict[str, Outcome[Registration]]:
    """Ask the registry about ``names`` at once (its own limits pace the questions)."""
    answers = await asyncio.gather(*(lookup(n) for n in names))
    return dict(zip(names, answers, strict=True))


async def make_plan(
    per_domain: Mapping[str, Sequence[Candidate]],
    existence: Mapping[str, Existence],
    *,
    top: int | None,
    presence: Collection[str] = (),
    lookup: Lookup | None = None,
    notify: Callable[[int], None] | None = None,
) -> PlanOutcome:
    """The registration plan of each protected domain's candidates (``top`` names each; None: all),
    merged and ranked. With ``lookup``, the top of the draft plan is confirmed with the registry
    first (absent from the DNS is not available: held names are not delegated); ``notify`` hears
    how many names are about to be asked."""
    if top == 0:
        return PlanOutcome(())
    ask: list[str] = []
    if lookup is not None:
        budget = confirm_budget(top)
        for cands in per_domain.values():
            ask += plan.plan_candidates_to_confirm(cands, existence=existence, top=budget)
        ask = list(dict.fromkeys(ask))
    availability: Mapping[str, Outcome[Registration]] = MappingProxyType({})
    if ask and lookup is not None:
        if notify is not None:
            notify(len(ask))
        availability = await confirm(ask, lookup)
    items: list[PlanItem] = []
    for cands in per_domain.values():
        items += plan.plan(cands, existence=existence, availability=availability, top=top, presence=presence)
    return PlanOutcome(tuple(plan.rank(_dedupe(items))), len(ask))


def _dedupe(items: Iterable[PlanItem]) -> list[PlanItem]:
    """One item per name when two protected domains share a lookalike: the higher priority wins."""
    best: dict[str, PlanItem] = {}
    for item in items:
        if item.domain not in best or item.priority > best[item.domain].priority:
            best[item.domain] = item
    return list(best.values())


@asynccontextmanager
async def registry(settings: Settings, cache_db: Path | str | None) -> AsyncIterator[Lookup]:
    """A registry lookup on the settings' endpoints and limits, caching definite answers in the
    history database ``cache_db`` (when it exists)."""
    from lookalike.registry import Registry
    from lookalike.store import Store

    async with AsyncExitStack() as stack:
        cache = stack.enter_context(Store.open(cache_db, create=False)) if cache_db is not None else None
        client = await stack.enter_async_context(Registry(settings.endpoints, settings.limits, cache=cache))
        yield client.lookup


def candidates(settings: Settings, protected: Protected, *, exclude: Collection[str] = ()) -> list[Candidate]:
    """The candidates a scan generates for one protected domain: its settings' options, without the
    protected names themselves (``exclude``)."""
    from lookalike.permute import generate

    return [
        c for c in generate(protected.name, domain_options(settings, protected)) if c.domain not in exclude
    ]


async def plan_saved(
    result: ScanResult,
    settings: Settings,
    chosen: Sequence[Protected],
    *,
    absent: Collection[tuple[str, str]] | None,
    top: int | None,
    presence: Collection[str] = (),
    cache_db: Path | str | None = None,
    notify: Callable[[int], None] | None = None,
) -> PlanOutcome:
    """A fresh plan for a saved scan: the candidates of ``chosen`` generated again with
    ``settings``, matched with what the scan found (``plan.scan_existence``; ``absent`` from the
    store), pooled and planned like the scan's own (``make_plan``), confirmed with the registry
    unless ``settings.registry`` is off. Names the scan did not cover are left out and counted."""
    ours = {p.name.ascii for p in chosen}
    generated = {p.name.ascii: candidates(settings, p, exclude=ours) for p in chosen}
    every = [c for cands in generated.values() for c in cands]
    existence = plan.scan_existence(result, every, absent=absent)
    not_scanned = len({c.domain for c in every if c.domain not in existence})
    pool = PlanPool(top)
    for cand in every:
        if existence.get(cand.domain) is Existence.ABSENT:
            pool.add(cand)
    per_domain = pool.by_domain(generated)
    if not settings.registry:
        made = await make_plan(per_domain, existence, top=top, presence=presence)
    else:
        async with registry(settings, cache_db) as lookup:
            made = await make_plan(
                per_domain, existence, top=top, presence=presence, lookup=lookup, notify=notify
            )
    return PlanOutcome(made.items, made.asked, not_scanned)


# --- the audit and the blocklist --------------------------------------------------------------------


def protected_of(result: ScanResult) -> list[Name]:
    """The protected domains a scan covered, in the order it lists them."""
    domains = [p.domain for p in result.info.protected]
    domains += [r.domain for r in result.references]
    domains += [f.candidate.protected for f in result.findings]
    return [parse(d) for d in dict.fromkeys(domains)]


def owned_of(result: ScanResult, extra: Iterable[str] = ()) -> list[str]:
    """The names the organisation said it holds when it scanned (``Reference.owned``), and ``extra``."""
    owned = [d for ref in result.references for d in ref.owned]
    return list(dict.fromkeys([*owned, *(parse(d).ascii for d in extra)]))


def audit_for(
    result: ScanResult, *, triage: Mapping[str, TriageMark], owned: Collection[str] = ()
) -> tuple[HygieneAudit, ...]:
    """The hygiene audit of a scan's findings (``owned``: beyond what the scan's references list)."""
    return tuple(plan.audit(result.findings, triage=triage, owned=[*owned_of(result), *owned]))


def blocklist_for(
    result: ScanResult,
    *,
    triage: Mapping[str, TriageMark],
    owned: Collection[str] = (),
    whole_tld: bool = True,
    also_block: Collection[str] = (),
) -> tuple[BlockEntry, ...]:
    """The outbound blocklist of a scan's findings: with the reviewed whole-TLD blocks unless
    ``whole_tld`` is off, and the whole TLDs of ``also_block`` besides."""
    protected = protected_of(result)
    entries = plan.blocklist(
        result.findings,
        protected=protected,
        triage=triage,
        owned=[*owned_of(result), *owned],
        whole_tld=whole_tld,
    )
    if also_block:
        extra = plan.blocklist([], protected=protected, whole_tld=also_block)
        known = {e.domain for e in entries}
        entries = sorted(
            [*entries, *(e for e in extra if e.domain not in known)],
            key=lambda e: (not e.whole_tld, e.domain),
        )
    return tuple(entries)
