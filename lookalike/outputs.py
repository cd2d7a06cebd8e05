"""Writing a scan's documents to disk: the HTML report, scan JSON, CSV.

Each file is written to a temporary sibling and renamed into place, so a reader (a web server, a
SIEM's file collector) never sees half a report, and an interrupted write leaves the old file intact.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lookalike import export, report
from lookalike.errors import LookalikeError
from lookalike.model import Changes, TriageMark
from lookalike.scan import ScanRun
from lookalike.screenshots import Pictures


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (UTF-8) atomically; create the directory. Returns the path."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
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
    """Write whichever of the three documents have a path; ``pictures`` finds the screenshots the
    findings name (``--screenshot``): the report shows them, the scan JSON names or carries them."""
    html = None
    if report_path is not None:
        html = write_atomic(
            report_path,
            report.render(
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
        js = write_atomic(json_path, export.dumps(run.result, changes=changes, screenshots=links))
    cs = write_atomic(csv_path, export.to_csv(run.result.findings)) if csv_path is not None else None
    return Written(report=html, json=js, csv=cs)
