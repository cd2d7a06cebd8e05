"""The HTML report: a view-model built from a scan, rendered by jinja2 into one self-contained file.

Pure: takes the scan (and optionally changes, triage marks, the plan, the hygiene audit and the
blocklist) and returns the document as a string; writing it is the caller's business. It never
re-scores: findings carry their ``Score``.

Safety rules, because every string a lookalike's holder controls (WHOIS fields, page titles, SMTP
banners, TXT records, even a name's Unicode form) ends up in here:

* jinja2 autoescaping is on for every template; nothing from a scan is ever marked safe;
* outside text goes through ``text.shown``: control, bidi and other invisible characters are shown
  as ``⟨U+202E⟩``;
* the only script and style are the package's own, inlined and allowed by hash in a
  Content-Security-Policy (``default-src 'none'``); there are no inline event handlers, no style
  attributes, no links or resources outside the file;
* the data the script needs travels as JSON in a ``<script type="application/json">`` block with
  ``<``, ``>`` and ``&`` escaped, so ``</script>`` in a page title cannot end the block;
* the script never parses data as markup: the table rows are rendered (and escaped) here and the
  script only sorts, filters and pages them; a row's evidence view is built from data with
  ``textContent`` when the row is opened (``detail_cards``), so 10,000 findings do not cost a
  million hidden DOM nodes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

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
    Technique,
    TriageMark,
    WebFacts,
)
from lookalike.names import to_unicode
from lookalike.scoring import LEVELS
from lookalike.text import is_hidden, mark, shown

__all__ = ["MAX_RAW", "PAGE_SIZE", "build_view", "clean", "csp_for", "glyphs", "render", "summaries"]

MAX_RAW = 65_536
"""Characters of one raw response (WHOIS text, a transcript) shown before it is cut."""
MAX_SHORT = 160
"""Characters of a short outside string (a page title, a banner) shown in the table."""
PAGE_SIZE = 500
"""Rows of the findings table laid out at a time on screen (the rest are one click away)."""

SYNTHETIC_BANNER = "Synthetic data: the offline demo universe. No real domain was queried."

ROUTE_LABELS: Mapping[str, str] = {
    MailRoute.MX.value: "MX",
    MailRoute.IMPLICIT.value: "implicit (A/AAAA)",
    MailRoute.NULL_MX.value: "null MX",
    MailRoute.NONE.value: "none",
    MailRoute.UNKNOWN.value: "unknown",
}
ROUTE_ORDER = (MailRoute.MX, MailRoute.IMPLICIT, MailRoute.UNKNOWN, MailRoute.NONE, MailRoute.NULL_MX)
OWNER_LABELS: Mapping[str, str] = {
    Owner.THIRD_PARTY.value: "third party",
    Owner.OURS.value: "probably ours",
    Owner.UNKNOWN.value: "unknown",
}

# --- text helpers --------------------------------------------------------------------------------


def _codepoint(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED')}"


def clean(text: object, limit: int | None = None) -> str:
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


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _date(value: datetime | None) -> str:
    return _utc(value).isoformat()[:10] if value else ""


def _datetime(value: datetime | None) -> str:
    return _utc(value).isoformat(" ", "minutes")[:16] + " UTC" if value else ""


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
            f"DNS: {ev.dns.status.value}" + (f" ({clean(ev.dns.detail, 120)})" if ev.dns.detail else "")
        )
    elif existence is Existence.EXISTS and route is MailRoute.UNKNOWN:
        unknowns.append("mail route: the MX question was not answered")
    if ev.registration.status.unknown:
        detail = f" ({clean(ev.registration.detail, 120)})" if ev.registration.detail else ""
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
        created=_date(reg.created) if reg else "",
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
                unicode=_unicode_of(domain),
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


def _unicode_of(domain: str) -> str:
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
        + ", ".join(_unicode_of(p) for p in protected[:3])
        + (f" and {len(protected) - 3} more" if len(protected) > 3 else ""),
        headline=head,
        subline=sub,
        synthetic=synthetic,
        synthetic_banner=SYNTHETIC_BANNER,
        interrupted=result.info.interrupted,
        generated_at=_datetime(when),
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


# --- the detail view's data ----------------------------------------------------------------------
#
# The evidence behind each row travels as data, and the script builds the view with textContent when a
# row is opened: 10,000 findings would otherwise be a million hidden DOM nodes. A card is
# {"t": title, "s": outcome status, "n": note, "w": wide, "i": items}; an item is ["h", text],
# ["ul", [text ...]], ["kv", [[label, value] ...]] or ["pre", text]; a value is text, a list of
# texts, {"c": text} (monospace) or {"g": [[text, code point] ...]} (a name with its confusables).

Value = str | list[str] | dict[str, Any]

DASH = "—"


def _v(value: object, limit: int = 2000) -> str:
    text = clean(value, limit)
    return text if text else DASH


def _vs(values: Iterable[object], limit: int = 300) -> Value:
    items = [clean(v, limit) for v in values]
    return items if items else DASH


def _code(value: str | None, limit: int = 4000) -> Value:
    return {"c": clean(value, limit)} if value is not None else "none"


def _card(
    title: str, items: list[list[Any]], *, status: str = "", note: str = "", wide: bool = False
) -> dict[str, Any]:
    card: dict[str, Any] = {"t": title, "i": items}
    if status:
        card["s"] = status
    if note:
        card["n"] = clean(note, 300)
    if wide:
        card["w"] = 1
    return card


def _why_card(row: Row) -> dict[str, Any]:
    score = row.finding.score
    items: list[list[Any]] = [["ul", [clean(r, 400) for r in score.reasons]]]
    items += [
        ["h", f"Owner: {OWNER_LABELS[score.owner.value]}"],
        ["ul", [clean(r, 400) for r in score.owner_reasons]],
    ]
    if row.triage:
        mark = row.triage
        items += [
            ["h", "Triage"],
            [
                "kv",
                [
                    ["State", mark.state.value],
                    ["Note", _v(mark.note)],
                    ["By", _v(mark.who)],
                    ["When", _datetime(mark.when) or DASH],
                ],
            ],
        ]
    if row.change:
        items += [
            ["h", f"Since the previous scan: {row.change.kind.value}"],
            ["ul", [clean(w, 300) for w in row.change.what]],
        ]
    return _card(f"Why {score.level.value} ({score.points} points)", items)


def _name_card(row: Row) -> dict[str, Any]:
    cand = row.finding.candidate
    pairs: list[list[Any]] = [
        ["ASCII", _v(cand.domain, 300)],
        ["Unicode", {"g": [[g.text, g.code] for g in row.glyphs]}],
    ]
    if row.idn:
        pairs.append(["Characters", [f"{g.text}  {g.code}" for g in row.glyphs if g.code]])
    registrable = ("yes" if cand.registrable else "no") + (f": {clean(cand.note, 300)}" if cand.note else "")
    pairs += [
        ["Imitates", _v(cand.protected, 300)],
        ["Techniques", ", ".join(t.value for t in cand.techniques) or DASH],
        ["Plausibility", f"{cand.plausibility:.2f}"],
        ["Registrable domain", _v(cand.apex, 300)],
        ["Registrable", registrable],
    ]
    return _card("Name", [["kv", pairs]])


def _dns_card(row: Row) -> dict[str, Any]:
    outcome = row.finding.evidence.dns
    dns = outcome.value
    items: list[list[Any]] = []
    if dns is not None:
        exists = dns.existence.value + (" (wildcard)" if dns.wildcard else "")
        exists += " (name collision 127.0.53.53)" if dns.name_collision else ""
        mx = [
            f"{m.preference} {m.host or '.'}" + (f"   {', '.join(m.addresses)}" if m.addresses else "")
            for m in dns.mx
        ]
        pairs: list[list[Any]] = [
            ["Exists", exists],
            ["Mail route", ROUTE_LABELS[dns.mail_route.value]],
            ["MX", _vs(mx)],
            ["NS", _vs(dns.ns)],
            ["SOA", _v(dns.soa, 300)],
            ["A", _vs(dns.a, 64)],
            ["AAAA", _vs(dns.aaaa, 64)],
        ]
        if dns.cname:
            pairs.append(["CNAME", _vs(dns.cname)])
        pairs += [["SPF", _code(dns.spf)], ["DMARC", _code(dns.dmarc)]]
        if dns.problems:
            pairs.append(["Problems", _vs(dns.problems)])
        items.append(["kv", pairs])
    return _card("DNS", items, status=outcome.status.value, note=outcome.detail)


def _contact(*parts: str | None) -> str:
    return " · ".join(clean(p, 300) for p in parts if p) or DASH


def _registration_card(row: Row) -> dict[str, Any]:
    outcome = row.finding.evidence.registration
    reg = outcome.value
    items: list[list[Any]] = []
    if reg is not None:
        registrar = (reg.registrar or "") + (
            f" (IANA {reg.registrar_iana_id})" if reg.registrar_iana_id else ""
        )
        pairs: list[list[Any]] = [
            ["Source", _v(reg.source + (f" · {reg.server}" if reg.server else ""), 300)],
            ["Registrar", _v(registrar, 300)],
            ["Created", _datetime(reg.created) or DASH],
            ["Updated", _datetime(reg.updated) or DASH],
            ["Expires", _datetime(reg.expires) or DASH],
            ["Status", _v(", ".join(reg.status), 600)],
            ["Name servers", _vs(reg.nameservers)],
        ]
        if reg.registrant:
            r = reg.registrant
            pairs += [
                ["Registrant", _contact(r.name, r.organization)],
                ["Registrant contact", _contact(r.email, r.phone, r.country)],
            ]
        if reg.abuse:
            pairs.append(["Abuse contact", _contact(reg.abuse.name, reg.abuse.email, reg.abuse.phone)])
        items.append(["kv", pairs])
    return _card("Registration", items, status=outcome.status.value, note=outcome.detail)


def _smtp_card(row: Row) -> dict[str, Any]:
    outcome = row.finding.evidence.smtp
    items: list[list[Any]] = []
    for host in outcome.value or ():
        verdict = (
            {True: "accepted", False: "rejected"}.get(host.accepts_any_recipient, "no verdict")
            if host.accepts_any_recipient is not None
            else "no verdict"
        )
        if host.code is not None:
            verdict += f" ({host.code})"
        pairs: list[list[Any]] = [
            ["Host", _v(f"{host.host} · {host.address}:{host.port}", 300)],
            ["Banner", _v(host.banner, 600)],
            ["STARTTLS", "yes" if host.starttls else "no"],
        ]
        if host.size_limit:
            pairs.append(["Size limit", f"{host.size_limit:,} bytes"])
        pairs.append(["Random recipient", verdict])
        items.append(["kv", pairs])
        if host.transcript:
            items.append(["pre", clean("\n".join(host.transcript), MAX_RAW)])
    return _card("SMTP", items, status=outcome.status.value, note=outcome.detail)


def _web_card(row: Row) -> dict[str, Any]:
    outcome = row.finding.evidence.web
    items: list[list[Any]] = []
    for probe in outcome.value or ():
        signals = [
            s
            for s, on in (
                ("login form", probe.login_form),
                ("parked", probe.parked),
                ("redirects to the protected domain", probe.redirects_to_protected),
            )
            if on
        ]
        pairs: list[list[Any]] = [
            ["URL", _v(probe.url, 600)],
            ["Status", str(probe.status) if probe.status else DASH],
        ]
        if probe.redirects:
            pairs.append(["Redirects", _vs(probe.redirects, 600)])
        if probe.final_url and probe.final_url != probe.url:
            pairs.append(["Final URL", _v(probe.final_url, 600)])
        pairs += [
            ["Title", _v(probe.title, 600)],
            ["Server", _v(probe.server, 300)],
            ["Body", f"{probe.body_bytes:,} bytes"],
            ["Signals", ", ".join(signals) or DASH],
        ]
        if probe.tls:
            tls = probe.tls
            pairs += [
                ["TLS subject", _v(tls.subject, 300)],
                ["TLS issuer", _v(tls.issuer, 300)],
                ["TLS valid", f"{_date(tls.not_before) or '?'} → {_date(tls.not_after) or '?'}"],
                ["TLS names", _vs(tls.names)],
            ]
        items.append(["kv", pairs])
    return _card("Web", items, status=outcome.status.value, note=outcome.detail)


def detail_cards(row: Row) -> list[dict[str, Any]]:
    """The evidence behind one row, as the cards the script shows when the row is opened."""
    cards = [
        _why_card(row),
        _name_card(row),
        _dns_card(row),
        _registration_card(row),
        _smtp_card(row),
        _web_card(row),
    ]
    reg = row.finding.evidence.registration.value
    if reg is not None and reg.raw:
        cards.append(
            _card(f"Raw {reg.source.upper()} response", [["pre", clean(reg.raw, MAX_RAW)]], wide=True)
        )
    return cards


# --- the script's data ---------------------------------------------------------------------------


def _search_text(row: Row) -> str:
    f = row.finding
    parts: list[str] = [f.candidate.domain, f.candidate.unicode, f.candidate.protected, row.registrar]
    parts += [t.value for t in f.candidate.techniques]
    parts += list(row.mx_hosts)
    parts += list(row.web_signals)
    if row.web:
        parts.append(row.web.title[:MAX_SHORT])
    if row.smtp_host:
        parts.append(row.smtp_host.banner[:MAX_SHORT])
    parts += [row.smtp_label, OWNER_LABELS[row.owner.value], row.level.value]
    if row.triage:
        parts += [row.triage.state.value, row.triage.note[:MAX_SHORT]]
    if row.change:
        parts.append(row.change.kind.value)
    return " ".join(dict.fromkeys(p for p in parts if p)).casefold()


def script_data(view: ReportView) -> dict[str, Any]:
    """What the script sorts and filters by, per row, in row order, and each row's evidence."""
    return {
        "details": [detail_cards(row) for row in view.rows],
        "columns": [
            "level",
            "points",
            "domain",
            "protected",
            "route",
            "smtp",
            "age",
            "web",
            "owner",
            "triage",
            "change",
            "techniques",
            "registrar",
            "search",
            "catchall",
        ],
        "rows": [
            [
                row.level.rank,
                row.finding.score.points,
                row.finding.candidate.unicode or row.finding.candidate.domain,
                row.finding.candidate.protected,
                row.route.value,
                row.smtp_label,
                -1 if row.age_days is None else row.age_days,
                len(row.web_signals),
                row.owner.value,
                row.triage.state.value if row.triage else "",
                row.change.kind.value if row.change else "",
                ",".join(t.value for t in row.finding.candidate.techniques),
                row.registrar.casefold(),
                _search_text(row),
                1 if row.catch_all else 0,
            ]
            for row in view.rows
        ],
    }


def json_for_script(data: object) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>``, ``&`` or line separators."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# --- rendering -----------------------------------------------------------------------------------


@cache
def _asset(name: str) -> str:
    return resources.files("lookalike").joinpath("templates", name).read_text("utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def csp_for(script: str, style: str) -> str:
    """The Content-Security-Policy allowing exactly this inline script and style, nothing else."""
    return (
        f"default-src 'none'; script-src '{_sha256(script)}'; style-src '{_sha256(style)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lookalike", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["t"] = clean
    env.filters["date"] = _date
    env.filters["datetime"] = _datetime
    env.filters["glyphs"] = glyphs
    env.filters["glyphs_of"] = lambda domain: glyphs(_unicode_of(str(domain)))
    env.globals["route_label"] = lambda value: ROUTE_LABELS.get(str(value), str(value))
    env.globals["owner_label"] = lambda value: OWNER_LABELS.get(str(value), str(value))
    env.globals["MAX_RAW"] = MAX_RAW
    env.globals["MAX_SHORT"] = MAX_SHORT
    return env


def render(
    result: ScanResult,
    *,
    changes: Changes | None = None,
    triage: Mapping[str, TriageMark] = {},  # read only: never mutated
    plan: Sequence[PlanItem] = (),
    audit: Sequence[HygieneAudit] = (),
    blocklist: Sequence[BlockEntry] = (),
    synthetic: bool = False,
    generated_at: datetime | None = None,
) -> str:
    """The report as one self-contained HTML document."""
    view = build_view(
        result,
        changes=changes,
        triage=triage,
        plan=plan,
        audit=audit,
        blocklist=blocklist,
        synthetic=synthetic,
        generated_at=generated_at,
    )
    from lookalike import __version__

    script, style = _asset("report.js"), _asset("report.css")
    template = _environment().get_template("report.html.j2")
    return template.render(
        view=view,
        version=__version__,
        csp=csp_for(script, style),
        script=Markup(script),  # the package's own file, not data
        style=Markup(style),
        data=Markup(json_for_script(script_data(view))),  # escaped for a script block above
        levels=list(Level),
        page_size=PAGE_SIZE,
        thresholds=[(level.value, minimum) for minimum, level in LEVELS],
    )
