"""What the terminal shows after a scan or a lookup: a short table and the worst findings.

Every string that came from outside (names, reasons, records, banners, titles, registry fields) goes
through ``text.shown`` on its way to the terminal and into a rich ``Text``, never a markup string:
no control character or escape sequence reaches the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lookalike import export
from lookalike.model import Changes, Finding, Level, TriageMark
from lookalike.outputs import Written
from lookalike.report import summaries
from lookalike.scan import SCREENSHOTS_OFF, ScanRun
from lookalike.text import shown

LEVEL_STYLE = {
    Level.CRITICAL: "bold white on red",
    Level.HIGH: "bold red",
    Level.MEDIUM: "yellow",
    Level.LOW: "cyan",
    Level.INFO: "dim",
}


def print_summary(
    run: ScanRun,
    changes: Changes | None,
    written: Written,
    *,
    console: Console,
    triage: Mapping[str, TriageMark] | None = None,
) -> None:
    """The per-domain table (the report's summary counts), the worst findings, and where the
    documents went."""
    result = run.result
    info = result.info
    table = Table(
        title=f"lookalike scan{f' #{info.id}' if info.id is not None else ''}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    # Short headers: cron mail and pipes get 80 columns, and the domain must not be cut.
    table.add_column("protected", no_wrap=True)
    for column in ("generated", "exist", "mail", "catch-all", "3rd party", "unknown", "new"):
        table.add_column(column, justify="right", no_wrap=True)
    for summary in summaries(result, changes, triage):
        table.add_row(
            Text(shown(summary.domain)),
            "-" if summary.generated is None else f"{summary.generated:,}",
            f"{summary.exists:,}",
            f"{summary.can_receive:,}",
            f"{summary.catch_all:,}",
            f"{summary.third_party:,}",
            f"{summary.unknown:,}",
            f"{summary.new or 0:,}",
        )
    console.print(table)
    worst = [f for f in result.findings if f.score.level.rank <= Level.MEDIUM.rank][:8]
    if worst:
        console.print("Worst findings:")
        for finding in worst:
            console.print(_finding_line(finding))
    if changes:
        console.print(
            f"Since the previous scan: {len(changes.new)} new, {len(changes.escalated)} escalated, "
            f"{len(changes.changed)} changed, {len(changes.gone)} gone"
        )
    for label, path in (("report", written.report), ("json", written.json), ("csv", written.csv)):
        if path is not None:
            console.print(Text(f"{label}: {shown(str(path))}"))
    total = dict(info.timings).get("total")
    if total is not None:
        console.print(Text(f"took {total:.1f} s", style="dim"))


def _finding_line(finding: Finding) -> Text:
    level = finding.score.level
    line = Text()
    line.append(f" {level.value.upper():8} ", style=LEVEL_STYLE[level])
    line.append(" ")
    name = finding.candidate.unicode
    shown_name = (
        shown(name)
        if name == finding.candidate.domain
        else f"{shown(name)} ({shown(finding.candidate.domain)})"
    )
    line.append(shown_name)
    reason = finding.score.reasons[0] if finding.score.reasons else ""
    if reason:
        line.append(f"  {shown(reason)}", style="dim")
    return line


def print_finding(
    finding: Finding, *, console: Console, screenshots: export.Screenshots | None = None
) -> None:
    """Everything known about one name, as ``lookalike lookup`` shows it (``screenshots`` names the
    files of its pictures, ``export.visual_record``)."""
    rec = export.finding_record(finding, screenshots)
    console.print(_finding_line(finding))
    rows: list[tuple[str, str]] = [
        ("status", f"{rec['status']}" + (f" ({rec['detail']})" if rec["detail"] else "")),
        ("mail route", rec["mail_route"]),
    ]
    rows += _dns_rows(rec)
    reg = rec["registration"]
    if reg["outcome"] == "ok":
        rows += [
            ("registry", f"{reg['source']} {reg['server']}"),
            ("registrar", str(reg["registrar"] or "")),
            ("created", str(reg["created"] or "")),
            ("expires", str(reg["expires"] or "")),
            ("registry status", ", ".join(reg["status"] or [])),
            ("registrant", _contact(reg["registrant"])),
            ("abuse", _contact(reg["abuse"])),
        ]
    else:
        rows.append(("registry", f"{reg['outcome']} {reg['detail']}".strip()))
    rows += _probe_rows(rec)
    rows += [("owner", rec["owner"]), ("points", str(rec["points"]))]
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        if value:
            table.add_row(key, Text(shown(value)))
    console.print(table)
    for reason in finding.score.reasons:
        console.print(Text(f"  - {shown(reason)}"))
    for reason in finding.score.owner_reasons:
        console.print(Text(f"  ~ {shown(reason)}"))


def _dns_rows(rec: dict[str, object]) -> list[tuple[str, str]]:
    mx = rec["mx_records"]
    assert isinstance(mx, list)
    return [
        ("ns", _join(rec["ns"])),
        ("a", _join(rec["a"])),
        ("aaaa", _join(rec["aaaa"])),
        ("cname", _join(rec["cname"])),
        ("mx", ", ".join(f"{m['preference']} {m['host'] or '.'}" for m in mx)),
        ("spf", str(rec["spf"] or "")),
        ("dmarc", str(rec["dmarc"] or "")),
        ("wildcard", "yes: exists only through a wildcard" if rec["wildcard"] else ""),
        ("name collision", "yes: 127.0.53.53" if rec["name_collision"] else ""),
        ("dns problems", _join(rec["dns_problems"])),
    ]


def _probe_rows(rec: dict[str, object]) -> list[tuple[str, str]]:
    smtp = rec["smtp"]
    web = rec["web"]
    assert isinstance(smtp, dict)
    assert isinstance(web, dict)
    rows: list[tuple[str, str]] = []
    if smtp["outcome"] == "ok":
        accepts = {True: "accepts any recipient", False: "rejects unknown recipients", None: "no answer"}
        rows += [
            ("smtp", f"{smtp['host']} [{smtp['address']}]: {accepts[smtp['accepts_any_recipient']]}"),
            ("smtp banner", str(smtp["banner"] or "")),
            ("starttls", "yes" if smtp["starttls"] else "no"),
        ]
    elif smtp["outcome"] != "skipped":
        rows.append(("smtp", f"{smtp['outcome']} {smtp['detail']}"))
    if web["outcome"] == "ok":
        signals = [name for name in ("parked", "login_form", "redirects_to_protected") if web[name]]
        rows += [
            ("web", f"{web['status']} {web['final_url'] or web['url']}"),
            ("title", str(web["title"] or "")),
            ("web signals", ", ".join(signals)),
        ]
    elif web["outcome"] != "skipped":
        rows.append(("web", f"{web['outcome']} {web['detail']}"))
    return rows + _page_rows(rec)


def _page_rows(rec: dict[str, object]) -> list[tuple[str, str]]:
    visual = rec["visual"]
    assert isinstance(visual, dict)
    if visual["verdict"] is None:
        off = visual["outcome"] == "skipped" and visual["detail"] in ("", SCREENSHOTS_OFF)
        return [] if off else [("page", f"{visual['outcome']} {visual['detail']}")]
    favicon = str(visual["favicon_match"])
    if visual["favicon_mmh3"] is not None:
        favicon += f" (favicon hash {visual['favicon_mmh3']})"
    outcome = "" if visual["outcome"] == "ok" else f" ({visual['outcome']}: {visual['detail']})"
    return [
        ("page", f"{visual['verdict']}: {visual['reason']}{outcome}"),
        ("favicon", favicon),
        ("screenshot", str(visual["screenshot"] or "")),
        ("compared with", str(visual["reference_screenshot"] or "")),
    ]


def _join(value: object) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value or "")


def _contact(value: object) -> str:
    if not isinstance(value, dict):
        return ""
    return ", ".join(
        str(v) for k, v in value.items() if v and k in ("name", "organization", "email", "phone", "country")
    )
