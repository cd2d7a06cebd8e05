"""The report's view-model: what the HTML report shows, computed once from a scan.

``build_view`` turns a scan (with its changes, triage marks, plan, audit and blocklist) into a
``ReportView``: a ``Row`` per finding, the per-domain ``summaries`` (which the terminal's table after
a scan shows too), the headline, the charts and the groups of changes. Outside text is prepared for
display through ``display`` (``text.shown``, lines kept).

Pure: it must not render HTML (``report.render`` does, through jinja2 with autoescaping), must not
re-score (findings carry their ``Score``) and must not decide a judgement again: whether a name
receives mail, is a catch-all or is ours is the model's (``Evidence``, ``Finding.ours``).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lookalike.model import (
    BlockEntry,
    Change,
    Changes,
    Existence,
    Finding,
    HygieneAudit,
    Level,
    MailRoute,
    Owner,
    PlanItem,
    ProtectedSummary,
    Reference,
    ScanResult,
    SmtpFacts,
    SmtpVerdict,
    Technique,
    TriageMark,
    WebFacts,
)
from lookalike.names import to_unicode
from lookalike.text import is_hidden, mark, shown

MAX_RAW = 65_536
"""Characters of one raw response (WHOIS text, a transcript) shown before it is cut."""
MAX_SHORT = 160
"""Characters of a short outside string (a page title, a banner) shown in the table."""
PAGE_SIZE = 500
"""Rows of the findings table laid out at a time on screen (the rest are one click away)."""

SYNTHETIC_BANNER = "Synthetic data: the offline demo universe. No real domain was queried."

ROUTE_LABELS: Mapping[str, str] = {
    MailRoute.MX.value: "MX",
    MailRoute.DANGLING_MX.value: "MX without address",
    MailRoute.IMPLICIT.value: "implicit (A/AAAA)",
    MailRoute.NULL_MX.value: "null MX",
    MailRoute.NONE.value: "none",
    MailRoute.UNKNOWN.value: "unknown",
}
ROUTE_ORDER = (
    MailRoute.MX,
    MailRoute.IMPLICIT,
    MailRoute.UNKNOWN,
    MailRoute.DANGLING_MX,
    MailRoute.NONE,
    MailRoute.NULL_MX,
)
_VERDICT_LABELS: Mapping[SmtpVerdict, str] = {
    SmtpVerdict.NOT_SERVED: "relay denied",
    SmtpVerdict.HELO_REFUSED: "HELO refused",
    SmtpVerdict.REFUSED: "refused",
}
"""Readings of the deciding mail host the table names (the card quotes the server's words)."""
OWNER_LABELS: Mapping[str, str] = {
    Owner.THIRD_PARTY.value: "third party",
    Owner.OURS.value: "probably ours",
    Owner.UNKNOWN.value: "unknown",
}


# --- text helpers --------------------------------------------------------------------------------


def _codepoint(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED')}"


def display(text: object, limit: int | None = None) -> str:
    """Outside text as the report shows it: ``text.shown`` with its lines kept (for ``<pre>``)."""
    return shown(text, limit, lines=True)


@dataclass(frozen=True, slots=True)
class Glyph:
    """A run of a domain name's Unicode form; ``code`` is set for a confusable (non-ASCII) character."""

    text: str
    code: str = ""


def glyphs(unicode_name: str) -> tuple[Glyph, ...]:
    """Split a Unicode name into ASCII runs and single non-ASCII characters, each with its code point."""
    parts: list[Glyph] = []
    run: list[str] = []
    for ch in unicode_name:
        if ch.isascii() and ch.isprintable():
            run.append(ch)
            continue
        if run:
            parts.append(Glyph("".join(run)))
            run = []
        parts.append(Glyph(mark(ch) if is_hidden(ch) else ch, _codepoint(ch)))
    if run:
        parts.append(Glyph("".join(run)))
    return tuple(parts)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def date(value: datetime | None) -> str:
    return utc(value).isoformat()[:10] if value else ""


def date_time(value: datetime | None) -> str:
    return utc(value).isoformat(" ", "minutes")[:16] + " UTC" if value else ""


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


# --- the view-model ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One finding as the table and its detail view show it."""

    index: int
    finding: Finding
    glyphs: tuple[Glyph, ...]
    idn: bool
    level: Level
    route: MailRoute
    mx_hosts: tuple[str, ...]
    smtp_label: str
    smtp_class: str
    smtp_host: SmtpFacts | None
    registrar: str
    created: str
    age_days: int | None
    web: WebFacts | None
    web_signals: tuple[str, ...]
    owner: Owner
    triage: TriageMark | None
    change: Change | None
    can_receive: bool
    catch_all: bool
    ours: bool
    """The organisation's own (``Finding.ours``: triage, the configuration, or scoring)."""
    unknowns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DomainSummary:
    """The headline counts for one protected domain."""

    domain: str
    unicode: str
    generated: int | None
    exists: int
    absent: int | None
    can_receive: int
    catch_all: int
    third_party: int
    ours: int
    unknown: int
    new: int | None
    reference: Reference | None


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of an SVG chart: a label and stacked segments (css class, count, x, width)."""

    label: str
    total: int
    y: int
    segments: tuple[tuple[str, int, float, float], ...]


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int
    plot_width: int


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything the template shows, computed once."""

    title: str
    headline: str
    subline: str
    synthetic: bool
    synthetic_banner: str
    interrupted: bool
    generated_at: str
    result: ScanResult
    rows: tuple[Row, ...]
    level_counts: tuple[tuple[Level, int], ...]
    summaries: tuple[DomainSummary, ...]
    charts: tuple[Chart, ...]
    changes: Changes | None
    change_groups: tuple[tuple[str, str, tuple[Change, ...]], ...]
    unknown_rows: tuple[Row, ...]
    plan: tuple[PlanItem, ...]
    audit: tuple[HygieneAudit, ...]
    blocklist: tuple[BlockEntry, ...]
    protected: tuple[str, ...]
    routes: tuple[tuple[str, str], ...]
    owners: tuple[tuple[str, str], ...]
    duration: str
    counts: Mapping[str, int] = field(default_factory=dict)


def _row(
    index: int,
    finding: Finding,
    scanned: datetime,
    triage: TriageMark | None,
    change: Change | None,
    *,
    owned: Collection[str],
) -> Row:
    cand, ev = finding.candidate, finding.evidence
    dns = ev.dns.value
    existence = ev.existence
    route = dns.mail_route if dns and existence is Existence.EXISTS else MailRoute.UNKNOWN
    if existence is Existence.ABSENT:
        route = MailRoute.NONE
    smtp = ev.primary_smtp
    if ev.catch_all:
        smtp_label, smtp_class = "catch-all", "bad"
    elif smtp is None:
        smtp_label, smtp_class = (
            ("not probed" if ev.smtp.status.value == "skipped" else ev.smtp.status.value),
            "muted",
        )
    elif smtp.accepts_any_recipient is False:
        smtp_label, smtp_class = f"rejects ({smtp.code})" if smtp.code else "rejects", "ok"
    elif smtp.verdict is not None and smtp.verdict in _VERDICT_LABELS:
        label = _VERDICT_LABELS[smtp.verdict]
        smtp_label, smtp_class = (f"{label} ({smtp.code})" if smtp.code else label), "warn"
    elif smtp.code is not None and 400 <= smtp.code < 500:
        smtp_label, smtp_class = f"temp ({smtp.code})", "warn"
    elif smtp.banner:
        smtp_label, smtp_class = "answered", "warn"
    else:
        smtp_label, smtp_class = "no answer", "muted"

    reg = ev.registration.value if ev.registration.ok else None
    age = None
    if reg and reg.created:
        created = reg.created if reg.created.tzinfo else reg.created.replace(tzinfo=UTC)
        age = max(0, (scanned - created).days)
    web = ev.primary_web
    probes = ev.web.value or ()
    signals = []
    if any(p.login_form for p in probes):
        signals.append("login form")
    if any(p.parked for p in probes):
        signals.append("parked")
    if any(p.redirects_to_protected for p in probes):
        signals.append("redirects to us")

    unknowns = []
    if existence is Existence.UNKNOWN:
        unknowns.append(
            f"DNS: {ev.dns.status.value}" + (f" ({display(ev.dns.detail, 120)})" if ev.dns.detail else "")
        )
    elif existence is Existence.EXISTS and route is MailRoute.UNKNOWN:
        unknowns.append("mail route: the MX question was not answered")
    if ev.registration.status.unknown:
        detail = f" ({display(ev.registration.detail, 120)})" if ev.registration.detail else ""
        unknowns.append(f"registry: {ev.registration.status.value}{detail}")
    return Row(
        index=index,
        finding=finding,
        glyphs=glyphs(cand.unicode or cand.domain),
        idn=cand.unicode != cand.domain,
        level=finding.score.level,
        route=route,
        mx_hosts=tuple(m.host for m in (dns.mx if dns else ()) if m.host),
        smtp_label=smtp_label,
        smtp_class=smtp_class,
        smtp_host=smtp,
        registrar=reg.registrar or "" if reg else "",
        created=date(reg.created) if reg else "",
        age_days=age,
        web=web,
        web_signals=tuple(signals),
        owner=finding.score.owner,
        triage=triage,
        change=change,
        can_receive=ev.receives_mail,
        catch_all=ev.catch_all,
        ours=finding.ours(triage, owned) is not None,
        unknowns=tuple(unknowns),
    )


def summaries(
    result: ScanResult, changes: Changes | None = None, triage: Mapping[str, TriageMark] | None = None
) -> tuple[DomainSummary, ...]:
    """The headline counts per protected domain: what the report's summary and the terminal's table
    after a scan both show. Mail and catch-all counts leave out what is ours (``Finding.ours``)."""
    marks = triage or {}
    owned = [d for ref in result.references for d in ref.owned]
    by_domain: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_domain.setdefault(finding.candidate.protected, []).append(finding)
    infos: dict[str, ProtectedSummary] = {p.domain: p for p in result.info.protected}
    refs = {r.domain: r for r in result.references}
    domains = (
        list(infos)
        + [d for d in refs if d not in infos]
        + [d for d in by_domain if d not in infos and d not in refs]
    )
    out = []
    for domain in domains:
        mine = by_domain.get(domain, [])
        info = infos.get(domain)
        not_ours = [f for f in mine if f.ours(marks.get(f.candidate.domain), owned) is None]
        exists = sum(1 for f in mine if f.evidence.existence is Existence.EXISTS)
        unknown = sum(1 for f in mine if f.evidence.existence is Existence.UNKNOWN)
        out.append(
            DomainSummary(
                domain=domain,
                unicode=unicode_of(domain),
                generated=info.generated if info else None,
                exists=info.exists if info else exists,
                absent=info.absent if info else None,
                can_receive=sum(1 for f in not_ours if f.evidence.receives_mail),
                catch_all=sum(1 for f in not_ours if f.evidence.catch_all),
                third_party=sum(1 for f in not_ours if f.score.owner is Owner.THIRD_PARTY),
                ours=len(mine) - len(not_ours),
                unknown=info.unknown if info else unknown,
                new=None if changes is None else sum(1 for c in changes.new if c.protected == domain),
                reference=refs.get(domain),
            )
        )
    return tuple(out)


def unicode_of(domain: str) -> str:
    return to_unicode(domain)


def _chart(title: str, items: Sequence[tuple[str, Counter[Level]]], *, label_width: int) -> Chart:
    plot_width = 380
    row_height = 22
    biggest = max((sum(c.values()) for _, c in items), default=0) or 1
    bars = []
    for i, (label, counts) in enumerate(items):
        x = 0.0
        segments = []
        for level in Level:
            n = counts.get(level, 0)
            if n:
                width = plot_width * n / biggest
                segments.append((level.value, n, round(label_width + x, 2), round(max(width, 1.5), 2)))
                x += width
        bars.append(Bar(label, sum(counts.values()), 8 + i * row_height, tuple(segments)))
    return Chart(
        title=title,
        bars=tuple(bars),
        width=label_width + plot_width + 60,
        height=16 + len(items) * row_height,
        label_width=label_width,
        plot_width=plot_width,
    )


def _charts(rows: Sequence[Row]) -> tuple[Chart, ...]:
    by_level = [(level.value, Counter({level: n})) for level, n in Counter(r.level for r in rows).items()]
    by_level.sort(key=lambda item: Level(item[0]).rank)
    per_technique: dict[Technique, Counter[Level]] = {}
    for row in rows:
        for technique in row.finding.candidate.techniques:
            per_technique.setdefault(technique, Counter())[row.level] += 1
    ranked = sorted(per_technique.items(), key=lambda kv: (-sum(kv[1].values()), kv[0].value))
    top = ranked[:12]
    rest: Counter[Level] = Counter()
    for _, counts in ranked[12:]:
        rest.update(counts)
    technique_items: list[tuple[str, Counter[Level]]] = [(t.value, c) for t, c in top]
    if rest:
        technique_items.append((f"{len(ranked) - 12} more", rest))
    return (
        _chart("Findings by level", [(label, c) for label, c in by_level], label_width=70),
        _chart("Findings by technique", technique_items, label_width=110),
    )


def _headline(rows: Sequence[Row]) -> tuple[str, str]:
    others = [r for r in rows if not r.ours]
    receive = sum(1 for r in others if r.can_receive)
    catch = sum(1 for r in others if r.catch_all)
    if receive:
        accepts = "accepts" if catch == 1 else "accept"
        head = f"{_plural(receive, 'lookalike')} can receive your mail; {catch:,} {accepts} any recipient"
    else:
        head = "No lookalike held by others can receive your mail"
    ours = sum(1 for r in rows if r.ours)
    exists = sum(1 for r in rows if r.finding.evidence.existence is Existence.EXISTS)
    unknown = sum(1 for r in rows if r.finding.evidence.existence is Existence.UNKNOWN)
    bits = [f"{_plural(exists, 'lookalike')} exist"]
    if ours:
        bits.append(f"{ours:,} of them probably yours (not counted above)")
    if unknown:
        bits.append(f"{_plural(unknown, 'name')} could not be checked (listed under Unknowns)")
    return head, "; ".join(bits) + "."


def _duration(result: ScanResult) -> str:
    info = result.info
    if not info.finished:
        return ""
    seconds = (info.finished - info.started).total_seconds()
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def build_view(
    result: ScanResult,
    *,
    changes: Changes | None = None,
    triage: Mapping[str, TriageMark] | None = None,
    plan: Sequence[PlanItem] = (),
    audit: Sequence[HygieneAudit] = (),
    blocklist: Sequence[BlockEntry] = (),
    synthetic: bool = False,
    generated_at: datetime | None = None,
) -> ReportView:
    """The view-model of the report (exposed for tests and for other renderers)."""
    triage = triage or {}
    change_by_domain: dict[str, Change] = {}
    if changes is not None:
        for change in changes.changed + changes.escalated + changes.new:  # later kinds win
            change_by_domain[change.domain] = change
    findings = sorted(
        result.findings,
        key=lambda f: (f.score.level.rank, -f.score.points, -f.candidate.plausibility, f.candidate.domain),
    )
    scanned = result.info.started if result.info.started.tzinfo else result.info.started.replace(tzinfo=UTC)
    owned = [d for ref in result.references for d in ref.owned]
    rows = tuple(
        _row(
            i,
            f,
            scanned,
            triage.get(f.candidate.domain),
            change_by_domain.get(f.candidate.domain),
            owned=owned,
        )
        for i, f in enumerate(findings)
    )
    head, sub = _headline(rows)
    protected = tuple(
        dict.fromkeys(
            [p.domain for p in result.info.protected] + [r.finding.candidate.protected for r in rows]
        )
    )
    level_counts = Counter(r.level for r in rows)
    groups: list[tuple[str, str, tuple[Change, ...]]] = []
    if changes is not None:
        groups = [
            ("new", "New lookalikes", changes.new),
            ("escalated", "Escalated", changes.escalated),
            ("changed", "Changed", changes.changed),
            ("gone", "Gone", changes.gone),
        ]
    when = generated_at or datetime.now(UTC)
    return ReportView(
        title="Lookalike domains of "
        + ", ".join(unicode_of(p) for p in protected[:3])
        + (f" and {len(protected) - 3} more" if len(protected) > 3 else ""),
        headline=head,
        subline=sub,
        synthetic=synthetic,
        synthetic_banner=SYNTHETIC_BANNER,
        interrupted=result.info.interrupted,
        generated_at=date_time(when),
        result=result,
        rows=rows,
        level_counts=tuple((level, level_counts.get(level, 0)) for level in Level),
        summaries=summaries(result, changes, triage),
        charts=_charts(rows),
        changes=changes,
        change_groups=tuple(groups),
        unknown_rows=tuple(r for r in rows if r.unknowns),
        plan=tuple(plan),
        audit=tuple(audit),
        blocklist=tuple(blocklist),
        protected=protected,
        routes=tuple((r.value, ROUTE_LABELS[r.value]) for r in ROUTE_ORDER),
        owners=tuple(OWNER_LABELS.items()),
        duration=_duration(result),
        counts={
            "findings": len(rows),
            "exists": sum(1 for r in rows if r.finding.evidence.existence is Existence.EXISTS),
            "third_party": sum(1 for r in rows if r.owner is Owner.THIRD_PARTY and not r.ours),
            "ours": sum(1 for r in rows if r.ours),
            "unknown": len([r for r in rows if r.unknowns]),
            "new": len(changes.new) if changes else 0,
            "escalated": len(changes.escalated) if changes else 0,
            "receive": sum(1 for r in rows if r.can_receive and not r.ours),
            "catch_all": sum(1 for r in rows if r.catch_all and not r.ours),
        },
    )
