"""The plan, the audit and the blocklist as documents: one format enum per output, one renderer each.

``render_plan`` (``PlanFormat``: text, csv, json), ``render_audit`` (``AuditFormat``: text, zone,
json) and ``render_blocklist`` (``BlocklistFormat``: plain, postfix-transport, postfix-access,
json). The CLI's ``--format`` options are these enums.

Outside text is shown through ``text.shown`` (one line, every control and bidi character marked),
CSV cells through ``text.csv_cell``, JSON (the model's plain dataclasses: strings, numbers,
string enums) through ``text.escape_json``; an entry that is not a host
name (or ``.tld``) is refused with ``ValueError``, so nothing hostile can break a line of a Postfix
map or a zone file. Pure: builds strings; it must not build the advice itself, read files or print.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from enum import StrEnum
from typing import TypeVar

from lookalike.choices import AuditFormat, BlocklistFormat, PlanFormat
from lookalike.model import Availability, BlockEntry, HygieneAudit, PlanItem
from lookalike.names import is_hostname, tlds, to_unicode
from lookalike.plan.hygiene import dkim_revocation_record
from lookalike.plan.registration import TIER
from lookalike.text import csv_cell, escape_json, shown

F = TypeVar("F", bound=StrEnum)


def _format(kind: type[F], value: F | str, what: str) -> F:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(f.value for f in kind)
        raise ValueError(f"unknown {what} format {value!r}: expected one of {choices}") from None


def render_plan(items: Sequence[PlanItem], fmt: PlanFormat | str) -> str:
    """The plan as ``text`` (aligned, for people), ``csv`` (formula-safe cells) or ``json``."""
    fmt = _format(PlanFormat, fmt, "plan")
    if fmt is PlanFormat.JSON:
        return escape_json(json.dumps([asdict(i) for i in items], indent=2, ensure_ascii=False)) + "\n"
    if fmt is PlanFormat.CSV:
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
                f"{i.plausibility:.4f}", ";".join(t.value for t in i.techniques), shown(i.tld_policy),
                i.registrable, shown(i.reason, 1000),
            )  # fmt: skip
            writer.writerow([csv_cell(v) for v in row])
        return buf.getvalue()
    return _plan_text(items)


def _plan_text(items: Sequence[PlanItem]) -> str:
    if not items:
        return "Defensive registration plan: nothing to register (no absent candidate in this scan).\n"
    counts: dict[Availability, int] = {}
    for i in items:
        counts[i.availability] = counts.get(i.availability, 0) + 1
    recommended = sum(n for a, n in counts.items() if TIER[a] == 0)
    summary = ", ".join(f"{n} {a.value}" for a, n in sorted(counts.items(), key=lambda kv: TIER[kv[0]]))
    lines = [f"Defensive registration plan: {recommended} to register ({summary})", ""]
    rows = [
        (
            str(i.rank),
            i.domain if i.unicode == i.domain else f"{i.domain} ({shown(i.unicode, 80)})",
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
        lines.append(f"{indent}{shown(item.reason, 400)}")
    return "\n".join(lines) + "\n"


def render_audit(audits: Sequence[HygieneAudit], fmt: AuditFormat | str) -> str:
    """The audit as ``text`` (per domain, for people), ``zone`` (the records to publish, ready for a
    zone file, with the wildcard DKIM revocation as advice) or ``json``."""
    fmt = _format(AuditFormat, fmt, "audit")
    if fmt is AuditFormat.JSON:
        return (
            escape_json(json.dumps([{**asdict(a), "ok": a.ok} for a in audits], indent=2, ensure_ascii=False))
            + "\n"
        )
    if fmt is AuditFormat.ZONE:
        return _audit_zone(audits)
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
        lines.append(f"{a.domain}  (lookalike of {a.protected}; {shown(a.why_ours, 200)})  {state}")
        for fix in a.fixes:
            lines.append(f"  [{fix.check}] {shown(fix.problem, 400)}")
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
        lines.append(f"; {a.domain}: lookalike of {a.protected}; {shown(a.why_ours, 200)}")
        if a.ok:
            lines.append("; nothing missing")
        for fix in a.fixes:
            lines.append(f"; {fix.check}: {shown(fix.problem, 400)}")
            if fix.record and fix.check != "web":
                lines.append(fix.record)
            elif fix.record:
                lines.append(f"; {fix.record}")
        lines.append("; advice (not checked): revoke every DKIM key it may ever have had")
        lines.append(dkim_revocation_record(a.domain))
        lines.append("")
    return "\n".join(lines)


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


def render_blocklist(entries: Sequence[BlockEntry], fmt: BlocklistFormat | str) -> str:
    """The blocklist as ``plain`` (a name per line; ``.tld`` for a whole TLD), ``postfix-transport``
    (``transport_maps``: mail bounced by the error transport), ``postfix-access``
    (``check_recipient_access``: the recipient refused at submission) or ``json``. Raises ValueError
    when an entry is not a host name (or ``.tld``), so nothing hostile reaches a mail gateway."""
    for entry in entries:
        _check_entry(entry)
    fmt = _format(BlocklistFormat, fmt, "blocklist")
    if fmt is BlocklistFormat.JSON:
        objects = [
            {
                "domain": e.domain,
                "protected": e.protected,
                "reason": shown(e.reason),
                "whole_tld": e.whole_tld,
            }
            for e in entries
        ]
        return escape_json(json.dumps(objects, indent=2, ensure_ascii=False)) + "\n"
    tld_count = sum(1 for e in entries if e.whole_tld)
    protected = sorted({shown(e.protected, 100) for e in entries})
    header = [
        f"# lookalike outbound blocklist ({fmt}): {_count(len(entries) - tld_count, 'domain')}, "
        f"{_count(tld_count, 'whole TLD')}",
        f"# protected: {shown(', '.join(protected), 2000) or '-'}",
    ]
    if fmt is BlocklistFormat.PLAIN:
        header.append("# one name per line; a name starting with '.' stands for every name under that TLD")
        return "\n".join([*header, *(e.domain for e in entries)]) + "\n"
    if fmt is BlocklistFormat.POSTFIX_TRANSPORT:
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
        text = shown(f"{entry.domain} looks like {like}: check the address (lookalike blocklist)", 200)
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
