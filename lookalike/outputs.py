"""Writing a scan's documents to disk: the HTML report, scan JSON, CSV.

Each file is written to a temporary sibling and renamed into place, so a reader (a web server, a
SIEM's file collector) never sees half a report, and an interrupted write leaves the old file intact.

The documents arrive as streams of pieces (``report.stream``, ``export.json_chunks`` ...), written
as they come: however many findings a scan has, no document is ever one string in memory.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lookalike import export, report
from lookalike.errors import LookalikeError
from lookalike.model import Changes, TriageMark
from lookalike.scan import ScanRun
from lookalike.screenshots import Pictures

WRITE_BUFFER = 1 << 16
"""Bytes gathered before a write to the file: the pieces are small (a table cell, a finding)."""


def write_atomic(path: Path, text: str | Iterable[str]) -> Path:
    """Write ``text`` (a string, or pieces of one, consumed once as they come) to ``path`` (UTF-8)
    atomically; create the directory. Returns the path. An error while the pieces are made leaves
    no file behind (and the old one in place)."""
    pieces = (text,) if isinstance(text, str) else text
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="", buffering=WRITE_BUFFER) as handle:
                for piece in pieces:
                    handle.write(piece)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is as readable as any file
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise LookalikeError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@dataclass(frozen=True, slots=True)
class Written:
    """Which files a scan wrote."""

    report: Path | None = None
    json: Path | None = None
    csv: Path | None = None


def write_outputs(
    run: ScanRun,
    *,
    report_path: Path | None,
    json_path: Path | None,
    csv_path: Path | None,
    changes: Changes | None = None,
    triage: Mapping[str, TriageMark] | None = None,
    synthetic: bool = False,
    pictures: Pictures | None = None,
) -> Written:
    """Write whichever of the three documents have a path, each streamed to its file; ``pictures``
    finds the screenshots the findings name (``--screenshot``): the report shows them, the scan JSON
    names or carries them."""
    html = None
    if report_path is not None:
        html = write_atomic(
            report_path,
            report.stream(
                run.result,
                changes=changes,
                triage=triage or {},
                plan=run.plan,
                audit=run.audit,
                blocklist=run.blocklist,
                synthetic=synthetic,
                pictures=pictures,
            ),
        )
    js = None
    if json_path is not None:
        links = functools.partial(pictures.link, document=json_path) if pictures is not None else None
        js = write_atomic(json_path, export.json_chunks(run.result, changes=changes, screenshots=links))
    cs = write_atomic(csv_path, export.csv_chunks(run.result.findings)) if csv_path is not None else None
    return Written(report=html, json=js, csv=cs)
