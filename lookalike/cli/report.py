"""The ``report`` command: re-render a saved scan as the HTML report or an export format.

Wiring only: ``lookalike.saved`` loads the scan (a scan JSON file written by ``scan --json``, or a
scan in the history database, with the changes since its previous scan computed as the scan itself
computed them), ``lookalike.advice`` adds the audit and the blocklist, ``lookalike.report`` and
``lookalike.export`` write the document. A file that is missing, unreadable or not a lookalike scan
is a user error: one line on stderr, exit 2.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lookalike.cli.app import ScanIdOpt, app, fail, out
from lookalike.errors import LookalikeError
from lookalike.text import shown

if TYPE_CHECKING:
    from lookalike.saved import SavedScan
    from lookalike.screenshots import Pictures


class ReportFormat(StrEnum):
    HTML = "html"
    JSON = "json"
    CSV = "csv"
    JSONL = "jsonl"
    CEF = "cef"


def render_as(
    scan: SavedScan, fmt: ReportFormat, pictures: Pictures | None = None, output: Path | None = None
) -> Iterator[str]:
    """The document in ``fmt``, in pieces made as they are written: the report with the scan's plan,
    changes, audit and blocklist, or an export (the scan JSON with its plan and changes). ``pictures``
    has the screenshots the findings name: the report shows them, the scan JSON names them relative
    to ``output``."""
    from lookalike import advice, export, report

    if fmt is ReportFormat.HTML:
        return report.stream(
            scan.result,
            changes=scan.changes,
            triage=scan.triage,
            plan=scan.plan,
            audit=advice.audit_for(scan.result, triage=scan.triage),
            blocklist=advice.blocklist_for(scan.result, triage=scan.triage),
            synthetic=scan.synthetic,
            pictures=pictures,
        )
    if fmt is ReportFormat.JSON:
        links = functools.partial(pictures.link, document=output) if pictures is not None else None
        return export.json_chunks(scan.result, changes=scan.changes, screenshots=links)
    return export.chunks(scan.result, fmt.value, changes=scan.changes)


def default_output(scan: SavedScan, fmt: ReportFormat, directory: Path = Path("reports")) -> Path:
    from lookalike import export

    return directory / f"{scan.name}.{export.EXTENSIONS[fmt.value]}"


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
    scan_id: ScanIdOpt = None,
) -> None:
    """Re-render a saved scan as the HTML report, or export it (JSON, CSV, JSON Lines, CEF)."""
    from lookalike import saved
    from lookalike.cli.database import show_damage
    from lookalike.outputs import write_atomic
    from lookalike.screenshots import saved_pictures

    try:
        if source is not None and (scan_id is not None or db is not None):
            raise LookalikeError("give either a scan JSON file or --db/--scan, not both")
        scan = saved.load(source, db=db, scan_id=scan_id)
        show_damage(scan)
        to_stdout = output is not None and str(output) == "-"
        path = output if output is not None else default_output(scan, fmt)
        near = [] if to_stdout else [path]
        pictures = saved_pictures(scan.screenshots, scan.source, near)
        pieces = render_as(scan, fmt, pictures, None if to_stdout else path)
        if to_stdout:
            sys.stdout.writelines(pieces)
            sys.stdout.flush()
            return
        if source is not None and path.resolve() == source.resolve():
            raise LookalikeError(f"{path} is the scan being read; give --output another path")
        written = write_atomic(path, pieces)
    except LookalikeError as exc:
        fail(str(exc))
    out.print(shown(str(written)), markup=False)
