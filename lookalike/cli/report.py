"""The ``report`` command: re-render a saved scan as the HTML report or an export format.

Thin: ``load_inputs`` is the one place that decides where the scan comes from (a scan JSON file
written by ``scan --json``, or a scan in the history database), and returns everything the renderer
takes; the command only picks the format and the output path. A file that is missing, unreadable or
not a lookalike scan is a user error: one line on stderr, exit 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from lookalike import export, report
from lookalike.cli.app import app, fail, out
from lookalike.datafiles import read_user_file
from lookalike.errors import LookalikeError
from lookalike.model import BlockEntry, Changes, HygieneAudit, PlanItem, ScanInfo, ScanResult, TriageMark

MAX_SCAN_JSON = 2_000_000_000
"""A scan JSON file larger than this is refused rather than read into memory."""


class ReportFormat(StrEnum):
    HTML = "html"
    JSON = "json"
    CSV = "csv"
    JSONL = "jsonl"
    CEF = "cef"


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """A saved scan and what the report shows beside it."""

    result: ScanResult
    name: str
    """Base name for the default output file (``reports/<name>.html``)."""
    changes: Changes | None = None
    triage: Mapping[str, TriageMark] = field(default_factory=dict)
    audit: tuple[HygieneAudit, ...] = ()
    blocklist: tuple[BlockEntry, ...] = ()
    plan: tuple[PlanItem, ...] = ()
    synthetic: bool = False


def read_scan_document(path: Path) -> Mapping[str, Any]:
    """A scan JSON document from disk, parsed. Raises ``LookalikeError`` with one line when it is
    not JSON (whether it is a lookalike scan is ``export.load_document``'s question)."""
    if path.is_dir():
        raise LookalikeError(f"{path} is a directory, not a scan JSON file")
    text = read_user_file(path, limit=MAX_SCAN_JSON)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LookalikeError(
            f"{path} is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise LookalikeError(f"{path} is not a lookalike scan JSON document (nested too deep)") from exc
    if not isinstance(data, Mapping):
        raise LookalikeError(f"{path}: not a lookalike scan JSON document")
    return data


def read_scan_json(path: Path) -> ScanResult:
    """A scan JSON document from disk. Raises ``LookalikeError`` with one line when it is not one."""
    try:
        return export.load_document(read_scan_document(path))
    except ValueError as exc:
        raise LookalikeError(f"{path}: {exc}") from exc


def is_synthetic(info: ScanInfo) -> bool:
    """True when the scan says it ran against the offline demo universe (a ``synthetic`` setting)."""
    return any(
        name.strip().lower() == "synthetic" and value.strip().lower() in ("yes", "true", "1", "on")
        for name, value in info.settings
    )


def _derived(
    result: ScanResult, triage: Mapping[str, TriageMark]
) -> tuple[tuple[HygieneAudit, ...], tuple[BlockEntry, ...]]:
    """The hygiene audit and the blocklist: pure functions of the findings, so a re-render has them."""
    from lookalike import plan
    from lookalike.names import parse

    owned = {d for ref in result.references for d in ref.owned}
    domains = [p.domain for p in result.info.protected] or [r.domain for r in result.references]
    protected = [parse(d) for d in dict.fromkeys(domains)]
    audit = plan.audit(result.findings, triage=triage, owned=owned)
    blocks = plan.blocklist(result.findings, protected=protected, triage=triage, owned=owned)
    return tuple(audit), tuple(blocks)


def _from_json(path: Path) -> ReportInputs:
    data = read_scan_document(path)
    try:
        result = export.load_document(data)
        plan, changes = export.load_advice(data)
    except ValueError as exc:
        raise LookalikeError(f"{path}: {exc}") from exc
    audit, blocks = _derived(result, {})
    return ReportInputs(
        result=result,
        name=path.stem,
        changes=changes,
        audit=audit,
        blocklist=blocks,
        plan=plan,
        synthetic=is_synthetic(result.info),
    )


def _from_store(db: str | Path | None, scan_id: int | None) -> ReportInputs:
    from lookalike import diff
    from lookalike.cli.database import open_db

    with open_db(db) as store:
        if scan_id is None:
            # The latest complete scan; an unfinished or interrupted one only when there is no other.
            scan_id = store.latest_scan() or store.latest_scan(finished=False)
            if scan_id is None:
                raise LookalikeError(f"{store.label} holds no scans yet")
        result = store.load_scan(scan_id)
        triage = store.triage()
        previous_id = store.latest_scan(before=scan_id)
        previous = store.load_scan(previous_id) if previous_id is not None else None
        changes = diff.compare(previous, result, triage=triage, absent=store.absent(scan_id))
    audit, blocks = _derived(result, triage)
    return ReportInputs(
        result=result,
        name=f"lookalike-scan-{scan_id}",
        changes=changes,
        triage=triage,
        audit=audit,
        blocklist=blocks,
        synthetic=is_synthetic(result.info),
    )


def load_inputs(
    source: Path | None, *, db: str | Path | None = None, scan_id: int | None = None
) -> ReportInputs:
    """Where the scan comes from: a scan JSON file, else a stored scan (the latest without ``--scan``)."""
    if source is not None and (scan_id is not None or db is not None):
        raise LookalikeError("give either a scan JSON file or --db/--scan, not both")
    if source is not None:
        return _from_json(source)
    return _from_store(db, scan_id)


def render_as(inputs: ReportInputs, fmt: ReportFormat) -> str:
    """The document in ``fmt``."""
    if fmt is ReportFormat.HTML:
        return report.render(
            inputs.result,
            changes=inputs.changes,
            triage=inputs.triage,
            audit=inputs.audit,
            blocklist=inputs.blocklist,
            plan=inputs.plan,
            synthetic=inputs.synthetic,
        )
    return export.export(inputs.result, fmt.value)


def default_output(inputs: ReportInputs, fmt: ReportFormat, directory: Path = Path("reports")) -> Path:
    return directory / f"{inputs.name}.{export.EXTENSIONS[fmt.value]}"


@app.command("report")
def report_command(
    source: Annotated[
        Path | None,
        typer.Argument(
            help="A scan JSON file written by 'scan --json'. Without it: a scan from the database.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write it ('-' for standard output). Default: reports/<name>.<format>.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="html (the report), or an export: json, csv, jsonl, cef."),
    ] = ReportFormat.HTML,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH|URL",
            help="The scan database: a file, or a postgresql:// URL (default: the usual one).",
            show_default=False,
        ),
    ] = None,
    scan_id: Annotated[
        int | None,
        typer.Option(
            "--scan",
            metavar="ID",
            help="A stored scan's id (default: the latest).",
            min=1,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Re-render a saved scan as the HTML report, or export it (JSON, CSV, JSON Lines, CEF)."""
    from lookalike.outputs import write_atomic

    try:
        inputs = load_inputs(source, db=db, scan_id=scan_id)
        text = render_as(inputs, fmt)
        if output is not None and str(output) == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        path = output if output is not None else default_output(inputs, fmt)
        if source is not None and path.resolve() == source.resolve():
            raise LookalikeError(f"{path} is the scan being read; give --output another path")
        written = write_atomic(path, text)
    except LookalikeError as exc:
        fail(str(exc))
    out.print(str(written), markup=False)
