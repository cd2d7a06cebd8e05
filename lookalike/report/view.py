"""The report's view-model: what the HTML report shows, computed once from a scan.

``build_view`` turns a scan (with its changes, triage marks, plan, audit and blocklist) into a
``ReportView``: a ``Row`` per finding, the per-domain ``summaries`` (which the terminal's table after
a scan shows too), the headline, the charts and the groups of changes. Outside text is prepared for
display through ``display`` (``text.shown``, lines kept).

The rows are ``Rows``: made one at a time each time they are read, never held all at once, so the
report of a scan of any size costs the scan's findings and a page of text, not a second and third
copy of every finding. Everything counted over the rows (the headline, the charts, the counts) is
counted in one pass when the view is built.

Pure: it must not render HTML (``report.render`` does, through jinja2 with autoescaping), must not
re-score (findings carry their ``Score``) and must not decide a judgement again: whether a name
receives mail, is a catch-all or is ours is the model's (``Evidence``, ``Finding.ours``).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from operator import attrgetter
from typing import Protocol

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
    Verdict,
    VisualFacts,
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
CHANGES_SHOWN = 100
"""Changes of one kind listed in the report's changes section; the rest are counted (the table's
Change filter shows every new, escalated and changed row; ``lookalike diff`` lists them all)."""

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
VERDICT_ORDER = (Verdict.CLONE, Verdict.SIMILAR, Verdict.UNKNOWN, Verdict.DIFFERENT)
"""The visual verdicts, most alarming first (the report's sort and filter)."""


class Pictures(Protocol):
    """Where the report finds the screenshots the findings name (``lookalike.screenshots.Pictures``)."""

    inline: bool
    """Show each lookalike's picture at its own size when it is opened, not only its thumbnail."""

    def thumbnail(self, sha: str) -> str | None: ...

    def picture(self, sha: str) -> str | None: ...


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
    page: VisualFacts | None = None
    """The verdict on its rendered page (``--screenshot``); None when it was not rendered."""


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


class Rows:
    """The findings as rows, in the report's order, made one at a time each time they are read.

    Iterable any number of times; ``len`` and truth are known without making a row. ``only`` keeps
    the rows it accepts (the unknowns), ``count`` being how many it accepts.
    """

    __slots__ = ("_count", "_findings", "_make", "_only")

    def __init__(
        self,
        findings: Sequence[Finding],
        make: Callable[[int, Finding], Row],
        *,
        count: int | None = None,
        only: Callable[[Row], bool] | None = None,
    ) -> None:
        self._findings = findings
        self._make = make
        self._only = only
        self._count = len(findings) if count is None else count

    def __iter__(self) -> Iterator[Row]:
        make, only = self._make, self._only
        for index, finding in enumerate(self._findings):
            row = make(index, finding)
            if only is None or only(row):
                yield row

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def where(self, only: Callable[[Row], bool], count: int) -> Rows:
        """The rows ``only`` accepts (``count`` of them), made the same way."""
        return Rows(self._findings, self._make, count=count, only=only)


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything the template shows, computed once (the rows: each time they are read)."""

    title: str
    headline: str
    subline: str
    synthetic: bool
    synthetic_banner: str
    interrupted: bool
    generated_at: str
    result: ScanResult
    rows: Rows
    level_counts: tuple[tuple[Level, int], ...]
    summaries: tuple[DomainSummary, ...]
    charts: tuple[Chart, ...]
    changes: Changes | None
    change_groups: tuple[tuple[str, str, tuple[Change, ...], int], ...]
    """(kind, title, the first ``CHANGES_SHOWN`` changes, how many there are)."""
    unknown_rows: Rows
    plan: tuple[PlanItem, ...]
    audit: tuple[HygieneAudit, ...]
    blocklist: tuple[BlockEntry, ...]
    protected: tuple[str, ...]
    routes: tuple[tuple[str, str], ...]
    owners: tuple[tuple[str, str], ...]
    duration: str
    counts: Mapping[str, int] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    """Where the findings' names came from (``generate``, ``ct:<log>`` ...), for the source filter."""
    visual: bool = False
    """Some finding's page was rendered (``--screenshot``): the table shows a Page column."""
    references: tuple[tuple[str, str], ...] = ()
    """(SHA-256, protected domain) of each picture of a protected site the pages were compared with."""
    verdicts: tuple[str, ...] = tuple(v.value for v in VERDICT_ORDER)


def _row(
    index: int,
    finding: Finding,
    *,
    scanned: datetime,
    triage: Mapping[str, TriageMark],
    changes: Mapping[str, Change],
    owned: Collection[str],
) -> Row:
    cand, ev = finding.candidate, finding.evidence
    mark = triage.get(cand.domain)
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
        triage=mark,
        change=changes.get(cand.domain),
        can_receive=ev.receives_mail,
        catch_all=ev.catch_all,
        ours=finding.ours(mark, owned) is not None,
        unknowns=tuple(unknowns),
        page=ev.visual.value,
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


@dataclass
class _Tally:
    """What the view counts over its rows, counted in one pass as the rows go by."""

    levels: Counter[Level] = field(default_factory=Counter)
    per_technique: dict[Technique, Counter[Level]] = field(default_factory=dict)
    protected: dict[str, None] = field(default_factory=dict)
    exists: int = 0
    unknown: int = 0
    """Existence unknown (the DNS did not answer)."""
    with_unknowns: int = 0
    """Rows listing something unknown (the Unknowns section)."""
    ours: int = 0
    third_party: int = 0
    receive: int = 0
    catch_all: int = 0
    clones: int = 0
    sources: set[str] = field(default_factory=set)
    visual: bool = False
    """Some finding's page was rendered."""
    references: dict[str, str] = field(default_factory=dict)
    """The pictures of protected sites the pages were compared with: SHA-256 -> protected domain."""

    def add(self, row: Row) -> None:
        existence = row.finding.evidence.existence
        self.sources.add(row.finding.candidate.source)
        if row.page is not None:
            self.visual = True
            self.clones += row.page.verdict is Verdict.CLONE
            if row.page.reference:
                self.references[row.page.reference] = row.finding.candidate.protected
        self.levels[row.level] += 1
        for technique in row.finding.candidate.techniques:
            self.per_technique.setdefault(technique, Counter())[row.level] += 1
        self.protected[row.finding.candidate.protected] = None
        self.exists += existence is Existence.EXISTS
        self.unknown += existence is Existence.UNKNOWN
        self.with_unknowns += bool(row.unknowns)
        if row.ours:
            self.ours += 1
            return
        self.third_party += row.owner is Owner.THIRD_PARTY
        self.receive += row.can_receive
        self.catch_all += row.catch_all


def _charts(tally: _Tally) -> tuple[Chart, ...]:
    by_level = [(level.value, Counter({level: n})) for level, n in tally.levels.items()]
    by_level.sort(key=lambda item: Level(item[0]).rank)
    ranked = sorted(tally.per_technique.items(), key=lambda kv: (-sum(kv[1].values()), kv[0].value))
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


def _headline(tally: _Tally) -> tuple[str, str]:
    receive, catch = tally.receive, tally.catch_all
    if receive:
        accepts = "accepts" if catch == 1 else "accept"
        head = f"{_plural(receive, 'lookalike')} can receive your mail; {catch:,} {accepts} any recipient"
    else:
        head = "No lookalike held by others can receive your mail"
    bits = [f"{_plural(tally.exists, 'lookalike')} exist"]
    if tally.ours:
        bits.append(f"{tally.ours:,} of them probably yours (not counted above)")
    if tally.unknown:
        bits.append(f"{_plural(tally.unknown, 'name')} could not be checked (listed under Unknowns)")
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
    change_by_domain: dict[str, Change] = {}
    if changes is not None:
        for change in changes.changed + changes.escalated + changes.new:  # later kinds win
            change_by_domain[change.domain] = change
    findings = sorted(result.findings, key=attrgetter("worst_first"))
    started = result.info.started
    rows = Rows(
        findings,
        partial(
            _row,
            scanned=started if started.tzinfo else started.replace(tzinfo=UTC),
            triage=triage or {},
            changes=change_by_domain,
            owned=[d for ref in result.references for d in ref.owned],
        ),
    )
    tally = _Tally()
    for row in rows:
        tally.add(row)
    head, sub = _headline(tally)
    protected = tuple(dict.fromkeys([*(p.domain for p in result.info.protected), *tally.protected]))
    groups: list[tuple[str, str, tuple[Change, ...], int]] = []
    if changes is not None:
        groups = [
            (kind, title, items[:CHANGES_SHOWN], len(items))
            for kind, title, items in (
                ("new", "New lookalikes", changes.new),
                ("escalated", "Escalated", changes.escalated),
                ("changed", "Changed", changes.changed),
                ("gone", "Gone", changes.gone),
            )
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
        level_counts=tuple((level, tally.levels.get(level, 0)) for level in Level),
        summaries=summaries(result, changes, triage),
        charts=_charts(tally),
        changes=changes,
        change_groups=tuple(groups),
        unknown_rows=rows.where(_has_unknowns, tally.with_unknowns),
        plan=tuple(plan),
        audit=tuple(audit),
        blocklist=tuple(blocklist),
        protected=protected,
        routes=tuple((r.value, ROUTE_LABELS[r.value]) for r in ROUTE_ORDER),
        owners=tuple(OWNER_LABELS.items()),
        duration=_duration(result),
        counts={
            "findings": len(rows),
            "exists": tally.exists,
            "third_party": tally.third_party,
            "ours": tally.ours,
            "unknown": tally.with_unknowns,
            "new": len(changes.new) if changes else 0,
            "escalated": len(changes.escalated) if changes else 0,
            "receive": tally.receive,
            "catch_all": tally.catch_all,
            "clones": tally.clones,
        },
        sources=tuple(sorted(tally.sources)),
        visual=tally.visual,
        references=tuple(tally.references.items()),
    )


def _has_unknowns(row: Row) -> bool:
    return bool(row.unknowns)
