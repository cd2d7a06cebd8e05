"""The defensive-registration plan: which absent lookalikes to register first, and whether we can.

``plan`` groups the candidates the DNS said are absent by registrable domain, ranks them by
``priority`` (plausibility weighted by what the name could do: a mail typo first, ``IMPACT``) and
says for each how available it is as far as the registry could tell and whether its TLD is open to
us. ``rank`` orders, budgets and numbers plan items; ``plan_candidates_to_confirm`` names the few
worth a registry question; ``scan_existence`` reads what a scan learnt; ``plannable`` and
``priority`` are what a scan keeps its plan pool by.

Who may register under a suffix (restricted and local-presence suffixes) comes from
``lookalike.tldpolicy``, which the candidate ranking reads too.

Pure: no network, no clock, no printing. It must not ask a registry or the DNS (callers pass in
what they learnt, so the same facts always give the same plan), and must not render (``render``).
Outside text it keeps (registrar names, registry details) goes through ``text.clean``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from types import MappingProxyType

from lookalike.errors import LookalikeError
from lookalike.model import (
    Availability,
    Candidate,
    Existence,
    Outcome,
    PlanItem,
    Registration,
    ScanResult,
    Status,
    Technique,
)
from lookalike.names import apex_of, split, suffix_of, to_unicode
from lookalike.text import clean
from lookalike.tldpolicy import TldPolicy, policy_for

# --- the plan -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Impact:
    """What a name made by one technique could do, as a weight on its plausibility."""

    weight: float
    role: str
    """How the slip happens, for the plan's reason: ``mail typo``, ``keyboard slip`` ..."""


IMPACT: Mapping[Technique, Impact] = MappingProxyType(
    {
        # Mail typos: an address typed with the slip reaches the name, and nobody clicks anything.
        Technique.TLD_TYPO: Impact(1.00, "TLD typo"),
        Technique.DOT_DROPPED: Impact(0.95, "dot slip"),
        Technique.DOT_MOVED: Impact(0.95, "dot slip"),
        Technique.DOT_HYPHEN: Impact(0.85, "dot slip"),
        # Keyboard slips of the brand label.
        Technique.OMISSION: Impact(0.90, "keyboard slip"),
        Technique.TRANSPOSITION: Impact(0.90, "keyboard slip"),
        Technique.REPLACEMENT: Impact(0.90, "keyboard slip"),
        Technique.INSERTION: Impact(0.90, "keyboard slip"),
        Technique.REPETITION: Impact(0.90, "keyboard slip"),
        Technique.DOUBLE_SLIP: Impact(0.85, "keyboard slip"),
        Technique.ADDITION: Impact(0.80, "keyboard slip"),
        # Remembering the name wrong.
        Technique.TLD_SWAP: Impact(0.80, "wrong TLD"),
        Technique.WRONG_SLD: Impact(0.80, "wrong second level"),
        Technique.PLURAL: Impact(0.75, "spelling slip"),
        Technique.VOWEL_SWAP: Impact(0.70, "spelling slip"),
        Technique.HYPHENATION: Impact(0.70, "spelling slip"),
        Technique.HYPHEN_REMOVAL: Impact(0.70, "spelling slip"),
        Technique.SOUNDALIKE: Impact(0.60, "sound-alike"),
        # Impersonation: made to be read, not typed (phishing senders, links).
        Technique.DOT_INSERTED: Impact(0.55, "impersonation"),
        Technique.TLD_FUSION: Impact(0.55, "impersonation"),
        Technique.TLD_APPEND: Impact(0.55, "impersonation"),
        Technique.HOMOGLYPH: Impact(0.55, "look-alike letters"),
        Technique.IDN_HOMOGLYPH: Impact(0.50, "look-alike letters"),
        Technique.WHOLE_SCRIPT: Impact(0.50, "look-alike letters"),
        Technique.DIACRITIC: Impact(0.50, "look-alike letters"),
        Technique.WORD_SWAP: Impact(0.45, "word order"),
        Technique.BITFLIP: Impact(0.40, "bit flip"),
        Technique.KEYWORD: Impact(0.35, "brand + keyword"),
        Technique.COUNTRY_CODE: Impact(0.35, "brand + country"),
        Technique.COMBINING_MARK: Impact(0.50, "look-alike letters"),
    }
)
"""Weights on plausibility by what the name could do. A name made by several techniques takes the
best. Mail typos lead because mail typed with a slip is delivered to whoever holds the name without
anyone being fooled; keyword combinations trail because they need a victim to be persuaded."""

_DEFAULT_IMPACT = Impact(0.50, "lookalike")

TIER: Mapping[Availability, int] = MappingProxyType(
    {
        Availability.AVAILABLE: 0,
        Availability.PROBABLY: 0,
        Availability.UNKNOWN: 0,
        Availability.REGISTERED: 1,
        Availability.RESTRICTED: 2,
    }
)
"""The plan's three tiers: 0 recommended (available, probably available, unknown), 1 held by someone
(registered), 2 restricted. Recommended names come first, then held ones, then restricted ones."""
_CONFIDENCE = {Availability.AVAILABLE: 0, Availability.PROBABLY: 1, Availability.UNKNOWN: 2}
_DROPPING = ("pendingDelete", "redemptionPeriod", "pendingRestore")
_TECHNIQUE_ORDER = {t: n for n, t in enumerate(Technique)}


def _impact(techniques: Iterable[Technique]) -> Impact:
    return max(
        (IMPACT.get(t, _DEFAULT_IMPACT) for t in techniques), key=lambda i: i.weight, default=_DEFAULT_IMPACT
    )


def priority(candidate: Candidate) -> float:
    """How urgent a candidate is to register: its plausibility weighted by what it could do
    (``IMPACT``). The plan ranks by it; the scan keeps the absent candidates with the highest."""
    return candidate.plausibility * _impact(candidate.techniques).weight


def plannable(candidate: Candidate) -> bool:
    """Whether a candidate could take part in a plan once the DNS says it is absent: somebody can
    register it (``Candidate.registrable``), and it is not under the protected domain's own
    registrable domain (a name there is ours already)."""
    if not candidate.registrable:
        return False
    apex = candidate.apex or apex_of(candidate.domain)
    return apex not in _own(candidate.protected)


@cache
def _own(protected: str) -> tuple[str, str]:
    return protected, apex_of(protected)


@dataclass(slots=True)
class _Group:
    """Every plannable candidate that shares one registrable domain."""

    apex: str
    best: Candidate
    priority: float
    techniques: set[Technique]
    plausibility: float
    apex_absent: bool
    """True when the DNS said the registrable domain itself is absent, not only a name below it."""


def _groups(candidates: Iterable[Candidate], existence: Mapping[str, Existence]) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    for cand in candidates:
        if existence.get(cand.domain) is not Existence.ABSENT:
            continue  # exists (a finding, not a plan item), unknown, or not scanned
        if not plannable(cand):
            continue  # nobody can register it, or it is under our own registrable domain
        apex = cand.apex or apex_of(cand.domain)
        if apex == cand.domain:
            apex_absent = True
        else:
            # Absent below a name says nothing about the name: army.mil.ml can be NXDOMAIN in a held mil.ml.
            apex_state = existence.get(apex)
            if apex_state in (Existence.EXISTS, Existence.UNKNOWN):
                continue
            apex_absent = apex_state is Existence.ABSENT
        priority = cand.plausibility * _impact(cand.techniques).weight  # ``priority``
        group = groups.get(apex)
        if group is None:
            groups[apex] = _Group(apex, cand, priority, set(cand.techniques), cand.plausibility, apex_absent)
            continue
        group.techniques.update(cand.techniques)
        group.plausibility = max(group.plausibility, cand.plausibility)
        group.apex_absent = group.apex_absent or apex_absent
        if (-priority, cand.domain) < (-group.priority, group.best.domain):
            group.best, group.priority = cand, priority
    return groups


def _private_suffix(apex: str) -> str | None:
    """The platform suffix (``github.io``) when the name is handed out by a platform, not a registry."""
    if apex.count(".") < 2:
        return None  # platform suffixes have two labels or more, so their names have three or more
    suffix = suffix_of(apex)
    return suffix if "." in suffix and _is_private(suffix) else None


@cache
def _is_private(suffix: str) -> bool:
    try:
        return split(f"x.{suffix}").private_suffix
    except LookalikeError:
        return False


def _presence_met(policy: TldPolicy, protected: Collection[str], presence: Collection[str]) -> str | None:
    """How we know the organisation meets a local-presence rule; None when we do not."""
    if policy.suffix in presence:
        return "which you said you meet"
    for domain in protected:
        own = policy_for(domain)
        if own is not None and own.suffix == policy.suffix:
            return f"which your own .{policy.suffix} names suggest you meet"
    return None


def status_note(status: Status, detail: str) -> str:
    detail = clean(detail, 120)
    return f"{status.value}: {detail}" if detail and detail != status.value else status.value


def _held_note(reg: Registration | None) -> str:
    """Why a held name is not recommended, and what to watch for."""
    parts = []
    if reg is not None and reg.registrar:
        parts.append(clean(reg.registrar, 80))
    statuses = [s for s in (reg.status if reg else ()) if s in _DROPPING or s.endswith("Hold")]
    parts += [clean(s, 40) for s in statuses[:3]]
    held = f"held ({', '.join(parts)})" if parts else "held"
    if any(s in _DROPPING for s in statuses):
        return f"{held} but not in the DNS: it is being deleted, be ready to register it when it drops"
    return f"{held} but not in the DNS: nobody can register it now; watch it"


def _item(
    group: _Group,
    availability: Mapping[str, Outcome[Registration]],
    protected: Collection[str],
    presence: Collection[str],
) -> PlanItem:
    cand, apex = group.best, group.apex
    techniques = tuple(sorted(group.techniques, key=_TECHNIQUE_ORDER.__getitem__))
    impact = _impact(techniques)
    lookalike = f" (for {cand.domain})" if cand.domain != apex else ""
    reasons = [f"{impact.role} of {cand.protected}{lookalike}"]

    outcome = availability.get(apex) or availability.get(cand.domain)
    platform = _private_suffix(apex)
    if outcome is not None and outcome.status is Status.OK:
        state = Availability.REGISTERED
        reasons.append(_held_note(outcome.value))
    elif outcome is not None and outcome.status is Status.ABSENT:
        state = Availability.AVAILABLE
        reasons.append("the registry says it is not registered")
    else:
        state = Availability.PROBABLY if group.apex_absent else Availability.UNKNOWN
        if not group.apex_absent:
            reasons.append(
                f"{cand.domain} is absent from the DNS, which says nothing about {apex}: ask the registry"
            )
        elif outcome is None or outcome.status is Status.SKIPPED:
            why = f" ({clean(outcome.detail, 120)})" if outcome is not None and outcome.detail else ""
            reasons.append(f"absent from the DNS; the registry was not asked{why}")
        else:
            note = status_note(outcome.status, outcome.detail)
            reasons.append(f"absent from the DNS; the registry did not answer ({note})")

    policy = policy_for(apex)
    if policy is not None and state is not Availability.REGISTERED:
        if policy.kind == "restricted":
            state = Availability.RESTRICTED
            reasons.append(f"restricted TLD ({policy.who}): outsiders cannot register it either")
        elif (met := _presence_met(policy, protected, presence)) is None:
            state = Availability.RESTRICTED
            reasons.append(f"needs {policy.who}: register only if you meet it (or through a trustee service)")
        else:
            reasons.append(f"needs {policy.who}, {met}")
    if platform is not None:
        reasons.append(f"under {platform}: claim the name on that platform, not at a registrar")
    return PlanItem(
        rank=0,
        domain=apex,
        unicode=cand.unicode if apex == cand.domain else to_unicode(apex),
        protected=cand.protected,
        techniques=techniques,
        plausibility=round(group.plausibility, 4),
        priority=round(group.priority, 4),
        availability=state,
        tld_policy=str(policy) if policy is not None else "open",
        registrable=True,
        reason="; ".join(reasons),
    )


def _order(item: PlanItem) -> tuple[int, float, int, str]:
    return (TIER[item.availability], -item.priority, _CONFIDENCE.get(item.availability, 0), item.domain)


def rank(items: Iterable[PlanItem], *, top: int | None = None) -> list[PlanItem]:
    """Sort plan items (recommended first by priority; then held; then restricted), apply the budget
    and number them 1..N. ``plan`` does this already; use it to merge the plans of several domains.

    ``top`` keeps that many recommended names; held or restricted names follow them (at most ``top``,
    held ones first) when they rank at least as high as the last name kept (or, with fewer recommended
    names than ``top``, when they are within the overall top), so the team learns what it cannot buy
    in the range it pays for without drowning in it.
    """
    ordered = sorted(items, key=_order)
    if top is not None:
        recommended = [i for i in ordered if TIER[i.availability] == 0]
        kept = recommended[:top]
        by_priority = sorted(ordered, key=lambda i: -i.priority)
        cutoff = float("-inf")
        if top == 0:
            cutoff = float("inf")
        elif len(kept) == top:
            cutoff = kept[-1].priority
        elif len(by_priority) >= top:
            cutoff = by_priority[top - 1].priority
        keep = {id(i) for i in kept}
        # Names we cannot register are context, not work: at most ``top`` of them (held ones first).
        others = [i for i in ordered if TIER[i.availability] > 0 and i.priority >= cutoff][:top]
        keep.update(id(i) for i in others)
        ordered = [i for i in ordered if id(i) in keep]
    return [replace(item, rank=n) for n, item in enumerate(ordered, 1)]


def plan(
    candidates: Iterable[Candidate],
    *,
    existence: Mapping[str, Existence],
    availability: Mapping[str, Outcome[Registration]] = MappingProxyType({}),
    top: int | None = None,
    presence: Collection[str] = (),
) -> list[PlanItem]:
    """The defensive-registration plan, ranked 1..N.

    Only candidates the DNS said are absent take part (``existence`` by ASCII name; unknown and
    unscanned names are left out: we cannot plan on what we do not know). Candidates are grouped by
    registrable domain (``army.mil.ml`` is planned as ``mil.ml``); a name below another name is
    ``probably available`` only when the DNS also said its registrable domain is absent.

    ``availability`` holds the registry's answers by registrable domain: ABSENT -> AVAILABLE, OK ->
    REGISTERED (held but not delegated: listed after the recommended names, not recommended), anything
    else or no answer -> PROBABLY. Restricted TLDs, and local-presence TLDs the organisation does not
    meet (its protected domains' TLDs and ``presence`` count as met), are RESTRICTED and listed last.
    IDN candidates that cannot be registered (``Candidate.registrable`` False) are left out.
    ``top`` is the budget (see ``rank``).
    """
    if top == 0:
        return []
    cands = list(candidates)
    protected = {c.protected for c in cands}
    presence = {p.lower().strip(".") for p in presence}
    groups = sorted(_groups(cands, existence).values(), key=lambda g: (-g.priority, g.apex))
    items: list[PlanItem] = []
    recommended = 0
    cutoff = float("-inf")
    for group in groups:
        # With a budget, stop once it is spent and nothing further can rank as high as the last name
        # kept: ``rank`` would drop the rest anyway, and a scan may hold a hundred thousand candidates.
        if top is not None and recommended >= top and group.priority < cutoff:
            break
        item = _item(group, availability, protected, presence)
        items.append(item)
        if TIER[item.availability] == 0:
            recommended += 1
            if recommended == top:
                cutoff = item.priority
    return rank(items, top=top)


def plan_candidates_to_confirm(
    candidates: Iterable[Candidate], *, existence: Mapping[str, Existence], top: int
) -> list[str]:
    """The registrable domains worth a registry question: the top ``top`` recommended names of the plan
    as the DNS alone ranks it. Absent from the DNS is not available (held names are not delegated), so
    scans and ``plan`` confirm these and no others. Restricted TLDs and platform names are not asked."""
    if top <= 0:
        return []
    draft = plan(candidates, existence=existence, top=top)
    return [i.domain for i in draft if TIER[i.availability] == 0 and _private_suffix(i.domain) is None]


def scan_existence(
    result: ScanResult,
    candidates: Iterable[Candidate],
    *,
    absent: Collection[tuple[str, str]] | None = None,
) -> dict[str, Existence]:
    """What one scan learnt about each name, for ``plan``: exists/unknown from its findings, absent
    from the store's absent list (``Store.absent``). Names missing from the result were not scanned.

    A scan JSON document lists no absent names. Without ``absent``, a candidate of a protected domain is
    taken as absent only when the scan finished, its summary for that domain adds up, and it generated
    exactly as many names as ``candidates`` holds for the domain (the same generator and options);
    otherwise the domain's unlisted candidates count as not scanned.
    """
    cands = list(candidates)
    known: dict[str, Existence] = {}
    strength = {Existence.ABSENT: 0, Existence.UNKNOWN: 1, Existence.EXISTS: 2}
    for finding in result.findings:
        state = finding.evidence.existence
        old = known.get(finding.candidate.domain)
        if old is None or strength[state] > strength[old]:
            known[finding.candidate.domain] = state
    if absent is not None:
        for domain, _protected in absent:
            known.setdefault(domain, Existence.ABSENT)
        return known
    if result.info.interrupted:
        return known
    per_protected: dict[str, list[Candidate]] = {}
    for cand in cands:
        per_protected.setdefault(cand.protected, []).append(cand)
    for summary in result.info.protected:
        mine = per_protected.get(summary.domain, [])
        regenerated = {c.domain for c in mine}
        adds_up = summary.exists + summary.absent + summary.unknown == summary.generated
        covered = all(
            f.candidate.domain in regenerated
            for f in result.findings
            if f.candidate.protected == summary.domain
        )
        if not mine or not adds_up or len(regenerated) != summary.generated or not covered:
            continue
        for cand in mine:
            known.setdefault(cand.domain, Existence.ABSENT)
    return known
