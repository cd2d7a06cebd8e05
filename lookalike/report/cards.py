"""The data behind the report's script: each row's evidence cards and what the table sorts by.

The evidence behind each row travels as data, and the script builds the view with ``textContent``
when a row is opened (``detail_cards``): 10,000 findings would otherwise be a million hidden DOM
nodes. ``script_data`` adds, per row, the values the script sorts and filters by (``sort_values``);
``script_items`` gives the same document as ``(key, value)`` pieces, a row at a time, for a report
written as a stream.

Pure: plain data from the view-model; outside text through ``display`` (``text.shown``). It must
not produce markup (the script never parses data as HTML) nor escape for the script block
(``render.json_for_script`` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from lookalike.model import Owner, Status
from lookalike.report.view import (
    MAX_RAW,
    MAX_SHORT,
    OWNER_LABELS,
    ROUTE_LABELS,
    VERDICT_ORDER,
    ReportView,
    Row,
    date,
    date_time,
    display,
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
    text = display(value, limit)
    return text if text else DASH


def _vs(values: Iterable[object], limit: int = 300) -> Value:
    items = [display(v, limit) for v in values]
    return items if items else DASH


def _code(value: str | None, limit: int = 4000) -> Value:
    return {"c": display(value, limit)} if value is not None else "none"


def _card(
    title: str, items: list[list[Any]], *, status: str = "", note: str = "", wide: bool = False
) -> dict[str, Any]:
    card: dict[str, Any] = {"t": title, "i": items}
    if status:
        card["s"] = status
    if note:
        card["n"] = display(note, 300)
    if wide:
        card["w"] = 1
    return card


def _why_card(row: Row) -> dict[str, Any]:
    score = row.finding.score
    items: list[list[Any]] = [["ul", [display(r, 400) for r in score.reasons]]]
    # Ownership's first reason is the link that decided it (for "ours", one its holder could not
    # make alone); the rest are further links or hints, which never decide.
    decided = "decided by: " if score.owner is Owner.OURS else ""
    items += [
        ["h", f"Owner: {OWNER_LABELS[score.owner.value]}"],
        ["ul", [(decided if i == 0 else "") + display(r, 400) for i, r in enumerate(score.owner_reasons)]],
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
                    ["When", date_time(mark.when) or DASH],
                ],
            ],
        ]
    if row.change:
        items += [
            ["h", f"Since the previous scan: {row.change.kind.value}"],
            ["ul", [display(w, 300) for w in row.change.what]],
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
    registrable = ("yes" if cand.registrable else "no") + (
        f": {display(cand.note, 300)}" if cand.note else ""
    )
    pairs += [
        ["Imitates", _v(cand.protected, 300)],
        ["Techniques", ", ".join(t.value for t in cand.techniques) or DASH],
        ["Plausibility", f"{cand.plausibility:.2f}"],
        ["Registrable domain", _v(cand.apex, 300)],
        ["Registrable", registrable],
    ]
    return _card("Name", [["kv", pairs]])


def _seen_card(row: Row) -> dict[str, Any] | None:
    """Where a feed showed the name: the source, when, as what, and the certificate or the zone."""
    seen = row.finding.candidate.sighting
    if seen is None:
        return None
    pairs: list[list[Any]] = [
        ["Source", _v(seen.source, 300)],
        ["Seen", date_time(seen.seen_at) or DASH],
        ["As", _v(seen.name, 300)],
    ]
    if seen.delegated:
        pairs.append(["Zone", "delegates it: it exists without a DNS question"])
    cert = seen.certificate
    if cert is not None:
        pairs += [
            [
                "Log entry",
                _v(f"{cert.log} #{cert.index:,}" + (" (precertificate)" if cert.precert else ""), 300),
            ],
            ["Issuer", _v(cert.issuer, 600)],
            ["Valid", f"{date(cert.not_before) or '?'} → {date(cert.not_after) or '?'}"],
            ["Serial", _v(cert.serial, 100)],
            ["Names", _vs(cert.sans)],
        ]
    return _card("Seen in a feed", [["kv", pairs]])


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
    return " · ".join(display(p, 300) for p in parts if p) or DASH


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
            ["Created", date_time(reg.created) or DASH],
            ["Updated", date_time(reg.updated) or DASH],
            ["Expires", date_time(reg.expires) or DASH],
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
        if host.verdict is not None:
            reading = host.verdict.value + (f" ({host.enhanced_code})" if host.enhanced_code else "")
            pairs += [["Reading", reading], ["Why", _v(host.reason, 600)]]
        items.append(["kv", pairs])
        if host.transcript:
            items.append(["pre", display("\n".join(host.transcript), MAX_RAW)])
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
                ["TLS valid", f"{date(tls.not_before) or '?'} → {date(tls.not_after) or '?'}"],
                ["TLS names", _vs(tls.names)],
            ]
        items.append(["kv", pairs])
    return _card("Web", items, status=outcome.status.value, note=outcome.detail)


def _page_card(row: Row) -> dict[str, Any] | None:
    """The rendered page against the protected site's; None when no render was asked for."""
    outcome = row.finding.evidence.visual
    facts = outcome.value
    if facts is None and outcome.status is Status.SKIPPED:
        return None
    items: list[list[Any]] = []
    if facts is not None:
        similarity = facts.text_similarity
        pairs: list[list[Any]] = [
            ["Verdict", facts.verdict.value],
            ["Why", _v(facts.reason, 400)],
            [
                "Screenshots",
                f"pHash {_bits(facts.phash_distance)} · dHash {_bits(facts.dhash_distance)} apart",
            ],
            ["Favicon", facts.favicon_match.value],
            ["Favicon hash", {"c": str(facts.favicon_mmh3)} if facts.favicon_mmh3 is not None else DASH],
            ["Words in common", f"{similarity:.0%}" if similarity is not None else DASH],
            ["Our name on it", "yes" if facts.brand else "no"],
            ["Password field", "yes" if facts.password else "no"],
        ]
        if facts.screenshot:
            pairs.append(["Screenshot file", {"c": f"screenshots/{facts.screenshot}.png"}])
        items.append(["kv", pairs])
    return _card("Page", items, status=outcome.status.value, note=outcome.detail)


def _bits(distance: int | None) -> str:
    return f"{distance} of 64 bits" if distance is not None else DASH


def detail_cards(row: Row) -> list[dict[str, Any]]:
    """The evidence behind one row, as the cards the script shows when the row is opened."""
    seen = _seen_card(row)
    cards = [
        _why_card(row),
        _name_card(row),
        *([seen] if seen is not None else []),
        _dns_card(row),
        _registration_card(row),
        _smtp_card(row),
        _web_card(row),
    ]
    page = _page_card(row)
    if page is not None:
        cards.append(page)
    reg = row.finding.evidence.registration.value
    if reg is not None and reg.raw:
        cards.append(
            _card(f"Raw {reg.source.upper()} response", [["pre", display(reg.raw, MAX_RAW)]], wide=True)
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
    seen = f.candidate.sighting
    if seen is not None:
        parts += [seen.source, seen.name]
    if row.page is not None:
        parts.append(row.page.verdict.value)
    return " ".join(dict.fromkeys(p for p in parts if p)).casefold()


COLUMNS = (
    "level", "points", "domain", "protected", "route", "smtp", "age", "web", "owner", "triage",
    "change", "techniques", "registrar", "search", "catchall", "source", "visual",
)  # fmt: skip
"""What ``sort_values`` lists per row, in order: the script finds each by name."""


def sort_values(row: Row) -> list[Any]:
    """What the script sorts and filters one row by (``COLUMNS``)."""
    return [
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
        row.finding.candidate.source,
        VERDICT_ORDER.index(row.page.verdict) if row.page is not None else len(VERDICT_ORDER),
    ]


def script_items(view: ReportView) -> Iterator[tuple[str, Iterator[Any] | list[str]]]:
    """The script's data as its keys with their values, each list made a row at a time as it is
    read: what ``script_data`` holds, for a report written as a stream."""
    yield "columns", list(COLUMNS)
    yield "rows", (sort_values(row) for row in view.rows)
    yield "details", (detail_cards(row) for row in view.rows)


def script_data(view: ReportView) -> dict[str, Any]:
    """What the script sorts and filters by, per row, in row order, and each row's evidence."""
    return {key: list(values) for key, values in script_items(view)}
