"""What to do about the lookalikes: register, fix, block.

Three builders and their renderers, over facts a scan already gathered:

* ``plan``       the absent candidates worth registering defensively, ranked by plausibility weighted
                 by what the name could do (a mail typo first), each with its availability as far as
                 the registry could say, and whether the TLD is open to us (``tld_policy``).
* ``audit``      for every lookalike the organisation holds: does it refuse mail (null MX), is it
                 unable to send (SPF ``-all``, DMARC ``p=reject``) and does its web redirect home or
                 serve nothing? Each gap comes with the exact zone-file record to publish.
* ``blocklist``  the lookalikes that can receive mail and are not ours, and whole TLDs where a TLD
                 slip is the risk (``.ml`` for a ``.mil`` organisation), as maps mail gateways load.

Pure: no network, no clock, no printing. Nothing here asks the DNS or a registry: the callers
(``scan.py``, the CLI) pass in what they learnt, so the same facts always give the same advice. Who
may register under a TLD comes from ``lookalike.tldpolicy``.

Everything that came from the outside world (registrar names, MX hosts, registry error details) is
hostile text: renderers strip control and bidi characters and refuse entries that are not host names,
so nothing can break a line of a Postfix map or a zone file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from types import MappingProxyType

from lookalike import codec
from lookalike.errors import LookalikeError
from lookalike.export import primary_smtp, safe_cell
from lookalike.model import (
    Availability,
    BlockEntry,
    Candidate,
    DnsFacts,
    Existence,
    Finding,
    HygieneAudit,
    HygieneFix,
    MailRoute,
    Outcome,
    Owner,
    PlanItem,
    Registration,
    ScanResult,
    Status,
    Technique,
    Triage,
    TriageMark,
    WebFacts,
)
from lookalike.names import Name, apex_of, is_hostname, split, suffix_of, tlds, to_unicode
from lookalike.tldpolicy import TldPolicy, WholeTld, policy_for, tld_policy, whole_tld_slips

__all__ = [
    "AUDIT_FORMATS",
    "BLOCKLIST_FORMATS",
    "IMPACT",
    "PLAN_FORMATS",
    "TTL",
    "Impact",
    "TldPolicy",
    "WholeTld",
    "audit",
    "blocklist",
    "dkim_revocation_record",
    "dmarc_record",
    "null_mx_record",
    "parked_records",
    "plan",
    "plan_candidates_to_confirm",
    "policy_for",
    "rank",
    "render_audit",
    "render_blocklist",
    "render_plan",
    "scan_existence",
    "spf_record",
    "tld_policy",
    "whole_tld_slips",
]

TTL = 3600
"""The TTL of every record the audit asks for: an hour, so a mistake is undone within one."""

PLAN_FORMATS = ("text", "csv", "json")
AUDIT_FORMATS = ("text", "zone", "json")
BLOCKLIST_FORMATS = ("plain", "postfix-transport", "postfix-access", "json")


# --- hostile text ---------------------------------------------------------------------------------


def _clean(text: str, limit: int = 300) -> str:
    """One line of printable text: control, format (bidi), unassigned and line/paragraph separator
    characters become spaces, runs of white space one space."""
    out = "".join(" " if _unprintable(ch) else ch for ch in text)
    out = " ".join(out.split())
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _unprintable(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] == "C" or category in ("Zl", "Zp")


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

# Recommended names come first; names we cannot register follow, held ones before restricted ones.
_GROUP = {
    Availability.AVAILABLE: 0,
    Availability.PROBABLY: 0,
    Availability.UNKNOWN: 0,
    Availability.REGISTERED: 1,
    Availability.RESTRICTED: 2,
}
_CONFIDENCE = {Availability.AVAILABLE: 0, Availability.PROBABLY: 1, Availability.UNKNOWN: 2}
_DROPPING = ("pendingDelete", "redemptionPeriod", "pendingRestore")
_TECHNIQUE_ORDER = {t: n for n, t in enumerate(Technique)}


def _impact(techniques: Iterable[Technique]) -> Impact:
    return max(
        (IMPACT.get(t, _DEFAULT_IMPACT) for t in techniques), key=lambda i: i.weight, default=_DEFAULT_IMPACT
    )


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
    own_apex: dict[str, str] = {}
    for cand in candidates:
        if not cand.registrable:
            continue  # nobody can register it, so there is nothing to defend
        if existence.get(cand.domain) is not Existence.ABSENT:
            continue  # exists (a finding, not a plan item), unknown, or not scanned
        apex = cand.apex or apex_of(cand.domain)
        if cand.protected not in own_apex:
            own_apex[cand.protected] = apex_of(cand.protected)
        if apex in (cand.protected, own_apex[cand.protected]):
            continue  # a name under our own registrable domain: ours already
        if apex == cand.domain:
            apex_absent = True
        else:
            # Absent below a name says nothing about the name: army.mil.ml can be NXDOMAIN in a held mil.ml.
            apex_state = existence.get(apex)
            if apex_state in (Existence.EXISTS, Existence.UNKNOWN):
                continue
            apex_absent = apex_state is Existence.ABSENT
        priority = cand.plausibility * _impact(cand.techniques).weight
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


def _status_note(status: Status, detail: str) -> str:
    detail = _clean(detail, 120)
    return f"{status.value}: {detail}" if detail and detail != status.value else status.value


def _held_note(reg: Registration | None) -> str:
    """Why a held name is not recommended, and what to watch for."""
    parts = []
    if reg is not None and reg.registrar:
        parts.append(_clean(reg.registrar, 80))
    statuses = [s for s in (reg.status if reg else ()) if s in _DROPPING or s.endswith("Hold")]
    parts += [_clean(s, 40) for s in statuses[:3]]
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
            why = f" ({_clean(outcome.detail, 120)})" if outcome is not None and outcome.detail else ""
            reasons.append(f"absent from the DNS; the registry was not asked{why}")
        else:
            note = _status_note(outcome.status, outcome.detail)
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
    return (_GROUP[item.availability], -item.priority, _CONFIDENCE.get(item.availability, 0), item.domain)


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
        recommended = [i for i in ordered if _GROUP[i.availability] == 0]
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
        others = [i for i in ordered if _GROUP[i.availability] > 0 and i.priority >= cutoff][:top]
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
        if _GROUP[item.availability] == 0:
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
    return [i.domain for i in draft if _GROUP[i.availability] == 0 and _private_suffix(i.domain) is None]


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


def render_plan(items: Sequence[PlanItem], fmt: str) -> str:
    """The plan as ``text`` (aligned, for people), ``csv`` (formula-safe cells) or ``json``."""
    if fmt == "json":
        return json.dumps([codec.encode(i) for i in items], indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        columns = (
            "rank", "domain", "unicode", "protected", "availability", "priority", "plausibility",
            "techniques", "tld_policy", "registrable", "reason",
        )  # fmt: skip
        writer.writerow(columns)
        for i in items:
            row: Sequence[object] = (
                i.rank, i.domain, i.unicode, i.protected, i.availability.value, f"{i.priority:.4f}",
                f"{i.plausibility:.4f}", ";".join(t.value for t in i.techniques), _clean(i.tld_policy),
                i.registrable, _clean(i.reason, 1000),
            )  # fmt: skip
            writer.writerow([safe_cell(v) for v in row])
        return buf.getvalue()
    if fmt != "text":
        raise ValueError(f"unknown plan format {fmt!r}: expected one of {', '.join(PLAN_FORMATS)}")
    return _plan_text(items)


def _plan_text(items: Sequence[PlanItem]) -> str:
    if not items:
        return "Defensive registration plan: nothing to register (no absent candidate in this scan).\n"
    counts: dict[Availability, int] = {}
    for i in items:
        counts[i.availability] = counts.get(i.availability, 0) + 1
    recommended = sum(n for a, n in counts.items() if _GROUP[a] == 0)
    summary = ", ".join(f"{n} {a.value}" for a, n in sorted(counts.items(), key=lambda kv: _GROUP[kv[0]]))
    lines = [f"Defensive registration plan: {recommended} to register ({summary})", ""]
    rows = [
        (
            str(i.rank),
            i.domain if i.unicode == i.domain else f"{i.domain} ({_clean(i.unicode, 80)})",
            i.availability.value,
            f"{i.priority:.3f}",
            ",".join(t.value for t in i.techniques),
        )
        for i in items
    ]
    header = ("#", "domain", "availability", "priority", "techniques")
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row, item in zip(rows, items, strict=True):
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        indent = " " * (widths[0] + 2)
        lines.append(f"{indent}{_clean(item.reason, 400)}")
    return "\n".join(lines) + "\n"


# --- the hygiene audit ----------------------------------------------------------------------------


def _fqdn(domain: str) -> str:
    return domain.rstrip(".") + "."


def null_mx_record(domain: str) -> str:
    return f"{_fqdn(domain)} {TTL} IN MX 0 ."


def spf_record(domain: str) -> str:
    return f'{_fqdn(domain)} {TTL} IN TXT "v=spf1 -all"'


_DMARC_POLICY = "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s"
_SAFE_URI = re.compile(r"^[A-Za-z0-9._%+!@:,=/-]{1,512}$")


def dmarc_record(domain: str, *, keep: Sequence[tuple[str, str]] = ()) -> str:
    """The DMARC record for a name that never sends; ``keep`` carries over report addresses (rua/ruf)."""
    extra = "".join(f"; {k}={v}" for k, v in keep)
    return f'_dmarc.{_fqdn(domain)} {TTL} IN TXT "{_DMARC_POLICY}{extra}"'


def dkim_revocation_record(domain: str) -> str:
    """A wildcard DKIM record with an empty key: every selector is revoked (RFC 6376 section 3.6.1).
    Advice, not a check: the scan cannot list DKIM selectors, so the audit never reports it missing."""
    return f'*._domainkey.{_fqdn(domain)} {TTL} IN TXT "v=DKIM1; p="'


def parked_records(domain: str) -> tuple[str, ...]:
    """The whole record set for a name that must neither receive nor send mail (NCSC, M3AAWG)."""
    return (null_mx_record(domain), spf_record(domain), dmarc_record(domain), dkim_revocation_record(domain))


_SPF_MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")


def _spf_problem(spf: str) -> str | None:
    """Why an SPF record fails to say "this name sends no mail"; None when it says so."""
    terms = spf.split()[1:]
    authorising: list[str] = []
    all_qualifier: str | None = None
    for term in terms:
        qualifier = term[0] if term[:1] in ("+", "-", "~", "?") else "+"
        body = term.lstrip("+-~?")
        name = re.split(r"[:/=]", body, maxsplit=1)[0].lower()
        if "=" in body and name not in _SPF_MECHANISMS:
            if name == "redirect":
                authorising.append(term)  # another domain's policy decides (RFC 7208 section 6.1)
            continue
        if name == "all":
            all_qualifier = qualifier
            break  # terms after "all" are never evaluated (RFC 7208 section 5.1)
        if qualifier == "+":
            authorising.append(term)
    if authorising:
        shown = " ".join(_clean(t, 60) for t in authorising[:4])
        return f"SPF authorises senders ({shown})"
    if all_qualifier is None:
        return "SPF has no -all: receivers are not told to reject forged mail"
    if all_qualifier != "-":
        word = {"+": "+all lets anyone send", "~": "~all only soft-fails", "?": "?all is neutral"}[
            all_qualifier
        ]
        return f"SPF ends in {word}: it must end in -all"
    return None


def _dmarc_tags(dmarc: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in dmarc.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            tags.setdefault(key.strip().lower(), value.strip())
    return tags


def _dmarc_problem(dmarc: str) -> str | None:
    tags = _dmarc_tags(dmarc)
    if tags.get("v", "").upper() != "DMARC1":
        return "the _dmarc record does not start with v=DMARC1, so receivers ignore it"
    policy = tags.get("p", "").lower()
    if policy != "reject":
        return f"DMARC policy is p={_clean(policy, 20) or '(none)'}: it must be p=reject"
    sub = tags.get("sp", "reject").lower()
    if sub != "reject":
        return f"DMARC sp={_clean(sub, 20)} lets forged mail from its subdomains through: use sp=reject"
    pct = tags.get("pct", "100")
    if pct != "100":
        return f"DMARC pct={_clean(pct, 10)} applies the policy to part of the mail only: remove pct"
    return None


def _kept_report_uris(dmarc: str | None) -> tuple[tuple[str, str], ...]:
    if not dmarc:
        return ()
    tags = _dmarc_tags(dmarc)
    return tuple((k, tags[k]) for k in ("rua", "ruf") if k in tags and _SAFE_URI.match(tags[k]))


def _unanswered(facts: DnsFacts, *prefixes: str) -> str | None:
    for problem in facts.problems:
        if problem.strip().lower().startswith(prefixes):
            return _clean(problem, 120)
    return None


def _mail_fix(domain: str, facts: DnsFacts, finding: Finding) -> HygieneFix | None:
    route = facts.mail_route
    record = null_mx_record(domain)
    hosts = [mx.host for mx in facts.mx if mx.host]
    if route in (MailRoute.NULL_MX, MailRoute.NONE) and not (hosts and any(not mx.host for mx in facts.mx)):
        return None
    if route is MailRoute.UNKNOWN:
        why = _unanswered(facts, "mx") or "the resolver did not say"
        return HygieneFix(
            "null-mx", f"could not check where its mail goes ({why}): publish a null MX", record
        )
    smtp = primary_smtp(finding.evidence.smtp)
    catch_all = "; its mail server accepts any recipient" if smtp and smtp.accepts_any_recipient else ""
    if route is MailRoute.IMPLICIT:
        addresses = ", ".join([*facts.a, *facts.aaaa][:3])
        problem = (
            f"no MX, so mail is delivered to its address {addresses} (implicit MX, RFC 5321 section 5.1)"
            f"{catch_all}: publish a null MX (RFC 7505)"
        )
        return HygieneFix("null-mx", problem, record)
    if any(not mx.host for mx in facts.mx):
        problem = (
            f"a null MX next to other MX records ({', '.join(_clean(h, 80) for h in hosts[:3])}) is invalid "
            "(RFC 7505 section 3): delete the others"
        )
        return HygieneFix("null-mx", problem, record)
    shown = ", ".join(_clean(h, 80) for h in hosts[:3]) + (" ..." if len(hosts) > 3 else "")
    problem = f"accepts mail at {shown}{catch_all}: replace every MX record with a null MX (RFC 7505)"
    return HygieneFix("null-mx", problem, record)


def _spf_fix(domain: str, facts: DnsFacts) -> HygieneFix | None:
    if facts.spf is None:
        unanswered = _unanswered(facts, "txt", "spf")
        if unanswered:
            return HygieneFix("spf", f"could not read its SPF record ({unanswered})", spf_record(domain))
        return HygieneFix(
            "spf", "no SPF record: receivers cannot tell that it never sends mail", spf_record(domain)
        )
    problem = _spf_problem(facts.spf)
    if problem is None:
        return None
    return HygieneFix("spf", f"{problem}; replace it", spf_record(domain))


def _dmarc_fix(domain: str, facts: DnsFacts) -> HygieneFix | None:
    record = dmarc_record(domain, keep=_kept_report_uris(facts.dmarc))
    if facts.dmarc is None:
        unanswered = _unanswered(facts, "dmarc", "_dmarc")
        if unanswered:
            return HygieneFix("dmarc", f"could not read its DMARC record ({unanswered})", record)
        return HygieneFix("dmarc", "no DMARC record: forged mail from it is not rejected", record)
    problem = _dmarc_problem(facts.dmarc)
    if problem is None:
        return None
    return HygieneFix("dmarc", f"{problem}; replace it", record)


def _web_fix(domain: str, protected: str, finding: Finding) -> HygieneFix | None:
    probes: tuple[WebFacts, ...] = finding.evidence.web.value or ()
    # 4xx/5xx and no answer count as "nothing served"; 2xx and redirects elsewhere do not.
    serving = [p for p in probes if p.status is not None and p.status < 400 and not p.redirects_to_protected]
    if not serving:
        return None
    first = serving[0]
    what = "a parking page" if first.parked else f"HTTP {first.status}"
    redirected = first.status is not None and 300 <= first.status < 400
    if redirected or (first.final_url and first.final_url != first.url):
        target = _clean(first.final_url, 120) or "elsewhere"
        what = f"a redirect to {target}"
    title = f" ({_clean(first.title, 60)!r})" if first.title else ""
    problem = f"{_clean(first.url, 120)} serves {what}{title}: redirect it to the real site, or serve nothing"
    record = f"HTTP 301 from http://{domain}/ and https://{domain}/ (every path) to https://{protected}/"
    return HygieneFix("web", problem, record)


def _fixes(finding: Finding) -> tuple[HygieneFix, ...]:
    cand, ev = finding.candidate, finding.evidence
    facts = ev.dns.value
    if facts is None or facts.existence is not Existence.EXISTS:
        if ev.existence is Existence.ABSENT:
            return ()  # not delegated: nobody can use it for mail or the web
        why = _status_note(ev.dns.status, ev.dns.detail)
        return (
            HygieneFix("dns", f"the DNS did not answer ({why}): nothing could be checked; scan it again", ""),
        )
    fixes = [
        _mail_fix(cand.domain, facts, finding),
        _spf_fix(cand.domain, facts),
        _dmarc_fix(cand.domain, facts),
        _web_fix(cand.domain, cand.protected, finding),
    ]
    return tuple(f for f in fixes if f is not None)


def _norm(domain: str) -> str:
    return domain.strip().rstrip(".").lower()


def _why_ours(finding: Finding, triage: Mapping[str, TriageMark], owned: Collection[str]) -> str | None:
    cand = finding.candidate
    mark = triage.get(cand.domain)
    if mark is not None:
        if mark.state is not Triage.OWNED:
            return None  # an analyst's decision beats the scan's guess
        who = f" by {_clean(mark.who, 40)}" if mark.who else ""
        when = f" on {mark.when.date().isoformat()}" if mark.when else ""
        note = f": {_clean(mark.note, 100)}" if mark.note else ""
        return f"triaged owned{who}{when}{note}"
    if cand.domain in owned or (cand.apex or cand.domain) in owned:
        return "listed as owned in the configuration"
    if finding.score.owner is Owner.OURS:
        reasons = "; ".join(_clean(r, 120) for r in finding.score.owner_reasons[:3])
        return f"matches the protected domain ({reasons})" if reasons else "matches the protected domain"
    return None


def audit(
    findings: Sequence[Finding],
    *,
    triage: Mapping[str, TriageMark] = MappingProxyType({}),
    owned: Collection[str] = (),
) -> list[HygieneAudit]:
    """One audit per lookalike the organisation holds (triaged ``owned``, listed in ``owned``, or judged
    ``Owner.OURS`` by scoring; any other triage state means "not ours"), sorted by protected domain then
    name. Each lists what is missing with the exact record to publish:

    * ``null-mx``  it must refuse mail: a null MX, or no mail route at all. An address without MX means
                   implicit MX (RFC 5321 section 5.1): mail is accepted there.
    * ``spf``      it must not send: ``v=spf1 -all`` (nothing authorised, hard fail).
    * ``dmarc``    ``p=reject`` (and no weaker ``sp``, no ``pct`` below 100).
    * ``web``      a redirect to the real site, or nothing served (only when the web was probed).
    * ``dns``      the DNS did not answer: nothing could be checked (no record to publish).
    """
    owned_set = {_norm(d) for d in owned}
    audits: dict[str, HygieneAudit] = {}
    for finding in findings:
        cand = finding.candidate
        if cand.domain in audits or not is_hostname(cand.domain):
            continue
        why = _why_ours(finding, triage, owned_set)
        if why is None:
            continue
        audits[cand.domain] = HygieneAudit(cand.domain, cand.protected, why, _fixes(finding))
    return sorted(audits.values(), key=lambda a: (a.protected, a.domain))


def render_audit(audits: Sequence[HygieneAudit], fmt: str) -> str:
    """The audit as ``text`` (per domain, for people), ``zone`` (the records to publish, ready for a
    zone file, with the wildcard DKIM revocation as advice) or ``json``."""
    if fmt == "json":
        return (
            json.dumps([{**codec.encode(a), "ok": a.ok} for a in audits], indent=2, ensure_ascii=False) + "\n"
        )
    if fmt == "zone":
        return _audit_zone(audits)
    if fmt != "text":
        raise ValueError(f"unknown audit format {fmt!r}: expected one of {', '.join(AUDIT_FORMATS)}")
    if not audits:
        return (
            "Hygiene audit: no lookalike is known to be yours "
            "(triage them as owned, or list them as owned in the config).\n"
        )
    bad = sum(1 for a in audits if not a.ok)
    lines = [f"Hygiene audit: {_count(len(audits), 'lookalike')} you hold, {bad} to fix", ""]
    for a in audits:
        _check_name(a.domain)
        state = "ok: refuses mail, cannot send" if a.ok else f"{len(a.fixes)} to fix"
        lines.append(f"{a.domain}  (lookalike of {a.protected}; {_clean(a.why_ours, 200)})  {state}")
        for fix in a.fixes:
            lines.append(f"  [{fix.check}] {_clean(fix.problem, 400)}")
            if fix.record:
                lines.append(f"      {fix.record}")
        lines.append("")
    return "\n".join(lines)


def _audit_zone(audits: Sequence[HygieneAudit]) -> str:
    lines = [
        "; Records for the lookalikes you hold, from lookalike's hygiene audit.",
        "; Publish each block in the zone of its domain. Guidance: UK NCSC and M3AAWG on parked domains.",
        "",
    ]
    for a in audits:
        _check_name(a.domain)
        lines.append(f"; {a.domain}: lookalike of {a.protected}; {_clean(a.why_ours, 200)}")
        if a.ok:
            lines.append("; nothing missing")
        for fix in a.fixes:
            lines.append(f"; {fix.check}: {_clean(fix.problem, 400)}")
            if fix.record and fix.check != "web":
                lines.append(fix.record)
            elif fix.record:
                lines.append(f"; {fix.record}")
        lines.append("; advice (not checked): revoke every DKIM key it may ever have had")
        lines.append(dkim_revocation_record(a.domain))
        lines.append("")
    return "\n".join(lines)


# --- the outbound blocklist -----------------------------------------------------------------------

_RECEIVES = (MailRoute.MX, MailRoute.IMPLICIT, MailRoute.UNKNOWN)


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def _mail_reason(finding: Finding) -> str | None:
    facts = finding.evidence.dns.value
    if facts is None or facts.existence is not Existence.EXISTS or facts.mail_route not in _RECEIVES:
        return None
    if facts.wildcard or facts.name_collision:
        # Only a zone's or a TLD's wildcard answers (or ICANN's 127.0.53.53): not a registered
        # lookalike, and listing every name a wildcard TLD answers would flood the map.
        return None
    if facts.mail_route is MailRoute.MX:
        hosts = [_clean(mx.host, 80) for mx in facts.mx if mx.host]
        why = f"receives mail (MX {', '.join(hosts[:2])}{' ...' if len(hosts) > 2 else ''})"
    elif facts.mail_route is MailRoute.IMPLICIT:
        why = "receives mail at its address (no MX: implicit MX)"
    else:
        why = "mail route unknown (the MX question went unanswered): blocked to be safe"
    smtp = primary_smtp(finding.evidence.smtp)
    if smtp is not None and smtp.accepts_any_recipient:
        why += "; accepts any recipient"
    return why


def _not_ours(finding: Finding, triage: Mapping[str, TriageMark], owned: Collection[str]) -> bool:
    cand = finding.candidate
    mark = triage.get(cand.domain)
    if mark is not None:
        return mark.state in (Triage.MALICIOUS, Triage.WATCH)  # owned and benign are left out
    if cand.domain in owned or (cand.apex or cand.domain) in owned:
        return False
    return finding.score.owner is not Owner.OURS


def blocklist(
    findings: Sequence[Finding],
    *,
    protected: Sequence[Name],
    triage: Mapping[str, TriageMark] = MappingProxyType({}),
    owned: Collection[str] = (),
    whole_tld: Collection[str] | bool = True,
) -> list[BlockEntry]:
    """Destinations our own mail gateway should refuse: whole TLDs first, then lookalikes, by name.

    A lookalike is listed when it exists and can receive mail: MX, implicit MX (an address, no MX), or
    an unanswered MX question (blocking a name that turns out to refuse mail costs nothing; missing one
    that collects it does). Null MX and no route at all are left out, as are names that are ours
    (triaged owned, in ``owned``, ``Owner.OURS``) or triaged benign; triaged malicious or watch stay.

    ``whole_tld``: True adds the reviewed whole-TLD blocks of ``data/tld-policy.toml`` for the
    protected domains' TLDs (``.ml`` for ``.mil``: the organisation's people mail other ``.mil``
    addresses all day and have no ordinary reason to mail Mali); False adds none; a collection names
    the TLDs to block whole, exactly. A protected domain's own TLD is never blocked.
    """
    own_tlds = {n.tld for n in protected}
    own_apexes = {n.apex for n in protected} | {n.ascii for n in protected}
    entries: dict[str, BlockEntry] = {}
    for tld, entry in _whole_tld_entries(protected, whole_tld, own_tlds).items():
        entries[tld] = entry
    owned_set = {_norm(d) for d in owned}
    for finding in sorted(findings, key=lambda f: (f.candidate.domain, f.candidate.protected)):
        cand = finding.candidate
        if cand.domain in entries or not is_hostname(cand.domain):
            continue
        if cand.domain in own_apexes or apex_of(cand.domain) in own_apexes:
            continue
        why = _mail_reason(finding)
        if why is None or not _not_ours(finding, triage, owned_set):
            continue
        techniques = ", ".join(t.value for t in cand.techniques) or "lookalike"
        entries[cand.domain] = BlockEntry(
            cand.domain, cand.protected, f"lookalike of {cand.protected} ({techniques}); {why}"
        )
    return sorted(entries.values(), key=lambda e: (not e.whole_tld, e.domain))


def _whole_tld_entries(
    protected: Sequence[Name], whole_tld: Collection[str] | bool, own_tlds: Collection[str]
) -> dict[str, BlockEntry]:
    out: dict[str, BlockEntry] = {}
    if whole_tld is False or not protected:
        return out
    if whole_tld is True:
        for slip in whole_tld_slips():
            if slip.typo_of not in own_tlds or slip.tld in own_tlds:
                continue
            related = next(n.ascii for n in protected if n.tld == slip.typo_of)
            out["." + slip.tld] = BlockEntry(
                "." + slip.tld, related, f"whole TLD: {slip.why}", whole_tld=True
            )
        return out
    known = tlds()
    for raw in whole_tld:
        tld = raw.strip().lower().strip(".")
        if tld not in known:
            raise LookalikeError(f"{raw!r} is not a top-level domain in the IANA root zone list")
        if tld in own_tlds:
            raise LookalikeError(f"refusing to block .{tld} whole: a protected domain is under it")
        nearest = min(protected, key=lambda n: (_edit_distance(n.tld, tld), n.ascii))
        distance = _edit_distance(nearest.tld, tld)
        how = f"one slip from .{nearest.tld}" if distance == 1 else f"{distance} edits from .{nearest.tld}"
        out["." + tld] = BlockEntry("." + tld, nearest.ascii, f"whole TLD, as asked: {how}", whole_tld=True)
    return out


def _check_name(domain: str) -> None:
    if not is_hostname(domain):
        raise ValueError(f"{domain[:80]!r} is not a host name; refusing to write it into a map")


def _check_entry(entry: BlockEntry) -> None:
    if entry.whole_tld:
        label = entry.domain[1:] if entry.domain.startswith(".") else ""
        if label not in tlds():
            raise ValueError(f"{entry.domain[:80]!r} is not a TLD written as .tld; refusing to write it")
    else:
        _check_name(entry.domain)


def _keys(entry: BlockEntry) -> list[str]:
    """The map keys for one entry: the name and ``.name`` (so the map works whichever way
    ``parent_domain_matches_subdomains`` is set), plus the Unicode form for SMTPUTF8 mail."""
    base = entry.domain.lstrip(".")
    forms = [base]
    shown = to_unicode(base)
    if shown != base and all(ch.isprintable() for ch in shown):
        forms.append(shown)
    return [k for form in forms for k in (form, "." + form)]


def render_blocklist(entries: Sequence[BlockEntry], fmt: str) -> str:
    """The blocklist as ``plain`` (a name per line; ``.tld`` for a whole TLD), ``postfix-transport``
    (``transport_maps``: mail bounced by the error transport), ``postfix-access``
    (``check_recipient_access``: the recipient refused at submission) or ``json``. Raises ValueError
    when an entry is not a host name (or ``.tld``), so nothing hostile reaches a mail gateway."""
    for entry in entries:
        _check_entry(entry)
    if fmt == "json":
        objects = [
            {
                "domain": e.domain,
                "protected": e.protected,
                "reason": _clean(e.reason),
                "whole_tld": e.whole_tld,
            }
            for e in entries
        ]
        return json.dumps(objects, indent=2, ensure_ascii=False) + "\n"
    if fmt not in BLOCKLIST_FORMATS:
        raise ValueError(f"unknown blocklist format {fmt!r}: expected one of {', '.join(BLOCKLIST_FORMATS)}")
    tld_count = sum(1 for e in entries if e.whole_tld)
    protected = sorted({_clean(e.protected, 100) for e in entries})
    header = [
        f"# lookalike outbound blocklist ({fmt}): {_count(len(entries) - tld_count, 'domain')}, "
        f"{_count(tld_count, 'whole TLD')}",
        f"# protected: {_clean(', '.join(protected), 2000) or '-'}",
    ]
    if fmt == "plain":
        header.append("# one name per line; a name starting with '.' stands for every name under that TLD")
        return "\n".join([*header, *(e.domain for e in entries)]) + "\n"
    if fmt == "postfix-transport":
        header += [
            "# main.cf:  transport_maps = hash:/etc/postfix/lookalike_transport",
            "# then:     postmap hash:/etc/postfix/lookalike_transport && postfix reload",
            "# Each name appears as 'name' and '.name', so subdomains match whatever",
            "# parent_domain_matches_subdomains says; '.ml' matches every name under .ml.",
        ]
        action = "error:5.7.1"
    else:
        header += [
            "# main.cf (submission smtpd, before permit_sasl_authenticated):",
            "#   smtpd_recipient_restrictions =",
            "#       check_recipient_access hash:/etc/postfix/lookalike_access, ...",
            "# then:     postmap hash:/etc/postfix/lookalike_access && postfix reload",
            "# Each name appears as 'name' and '.name', so subdomains match whatever",
            "# parent_domain_matches_subdomains says; 'ml' and '.ml' match every name under .ml.",
        ]
        action = "REJECT"
    lines = list(header)
    seen: set[str] = set()
    for entry in entries:
        like = f".{_tld_of(entry.protected)}" if entry.whole_tld else entry.protected
        text = _clean(f"{entry.domain} looks like {like}: check the address (lookalike blocklist)", 200)
        for key in _keys(entry):
            if key in seen:
                continue
            seen.add(key)
            lines.append(f"{key}\t{action} {text}")
    return "\n".join(lines) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _tld_of(domain: str) -> str:
    return domain.rsplit(".", 1)[-1]
