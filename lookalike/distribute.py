"""The coordinator's side of a distributed scan: split the candidates into units, send them to the
workers, and wait for them with progress.

``schedule.ScheduledScan`` does everything else once, as for a local scan: the lock, the stored scan,
the references (looked up here first, so every worker scores against the same ones), then, after the
units, the plan, the diff and re-check, the documents and the alerts. A unit is a run of
``UNIT_SIZE`` candidates of the scan's deterministic candidate stream (``scan.generated``), sent
whole in its message, so a worker generates nothing; ``--resume`` sends only the names the history
does not hold yet.

While it waits, the coordinator asks its own database every few seconds (its session holds the
scan lock) and reads every unit's state from the broker. A failed unit, a lost broker or a lost
database is one ``LookalikeError`` line; what the workers wrote is kept, and ``--resume`` finishes.

Must not: scan anything itself, or decide what a finding is.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from lookalike.budgets import url_label
from lookalike.config import Settings
from lookalike.errors import LookalikeError
from lookalike.model import Candidate, Reference
from lookalike.scan import Progress, ProgressCallback, generated
from lookalike.store import Store
from lookalike.tasks import TASK, Unit, encode_unit, make_app, worker_settings

UNIT_SIZE: Final = 20_000
"""Candidates per unit: seconds of a worker's time on a loopback resolver, minutes with registry
lookups; many units per worker, so a slow or lost one holds little back."""
POLL: Final = 0.5
"""Seconds between looks at the units' states."""
DB_CHECK: Final = 5.0
"""Seconds between checks that the coordinator's database session (and its scan lock) is alive."""


def units(
    settings: Settings, *, done: set[tuple[str, str]], size: int = UNIT_SIZE
) -> Iterator[list[Candidate]]:
    """The scan's candidates not in ``done``, in runs of ``size``."""
    batch: list[Candidate] = []
    for cand in generated(settings):
        if (cand.domain, cand.protected) in done:
            continue
        batch.append(cand)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Totals:
    """What the units did so far (finished units, plus the latest report of each running one)."""

    sent: int = 0
    finished: int = 0
    candidates: int = 0
    triaged: int = 0
    exists: int = 0
    absent: int = 0
    unknown: int = 0
    running: dict[str, dict[str, int]] = field(default_factory=dict)

    def progress(self, stage: str, generated_total: int) -> Progress:
        live = self.running.values()
        return Progress(
            stage=stage,
            generated=generated_total,
            triaged=self.triaged + sum(r.get("triaged", 0) for r in live),
            exists=self.exists + sum(r.get("exists", 0) for r in live),
            absent=self.absent + sum(r.get("absent", 0) for r in live),
            unknown=self.unknown + sum(r.get("unknown", 0) for r in live),
        )


def _broker_errors() -> tuple[type[BaseException], ...]:
    import kombu.exceptions
    import redis.exceptions

    return (OSError, kombu.exceptions.KombuError, redis.exceptions.RedisError)


def run_units(
    *,
    broker: str,
    db: Store,
    settings: Settings,
    scan_id: int,
    key: str,
    started: datetime,
    references: Sequence[Reference],
    done: set[tuple[str, str]],
    generated_total: int,
    size: int = UNIT_SIZE,
    progress: ProgressCallback | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Totals:
    """Send the scan's missing units to ``broker`` and wait until every one is written. Raises
    ``LookalikeError`` (one line) when a unit fails, the broker goes away or ``db`` does; on
    ``KeyboardInterrupt`` the units not yet started are revoked (best effort) and it goes on up."""
    notify = progress or (lambda _p: None)
    app = make_app(broker)
    errors = _broker_errors()
    where = url_label(broker)
    totals = Totals()
    pending: dict[str, int] = {}
    lean = worker_settings(settings)
    try:
        try:
            notify(totals.progress("sending units", generated_total))
            for number, batch in enumerate(units(settings, done=done, size=size), 1):
                unit = Unit(scan_id, key, started, number, lean, tuple(references), tuple(batch))
                sent = app.send_task(
                    TASK,
                    args=[encode_unit(unit)],
                    queue=settings.queue,
                    compression="zlib",
                    serializer="json",
                )
                pending[sent.id] = number
                totals.sent += 1
                totals.candidates += len(batch)
            _wait(
                app,
                db=db,
                scan_id=scan_id,
                pending=pending,
                totals=totals,
                generated_total=generated_total,
                notify=notify,
                clock=clock,
            )
        except errors as exc:
            raise LookalikeError(
                f"lost the broker at {where} ({_first_line(exc)}); what was written is kept:"
                " `--resume` finishes a scan"
            ) from exc
    except BaseException:
        _revoke(app, list(pending), errors)
        raise
    finally:
        app.close()
    return totals


def _wait(
    app: Any,
    *,
    db: Store,
    scan_id: int,
    pending: dict[str, int],
    totals: Totals,
    generated_total: int,
    notify: ProgressCallback,
    clock: Callable[[], float],
) -> None:
    checked = clock()
    while pending:
        started_any = False
        for task_id, number in list(pending.items()):
            result = app.AsyncResult(task_id)
            state = result.state
            if state == "SUCCESS":
                del pending[task_id]
                totals.running.pop(task_id, None)
                _add(totals, result.result)
            elif state in ("FAILURE", "REVOKED"):
                why = result.result if state == "FAILURE" else "revoked"
                raise LookalikeError(
                    f"unit {number} of scan {scan_id} failed on a worker: {_first_line(why)};"
                    " what was written is kept: `--resume` finishes the scan"
                )
            elif state == "PROGRESS" and isinstance(result.info, dict):
                totals.running[task_id] = {k: int(v) for k, v in result.info.items() if isinstance(v, int)}
                started_any = True
            elif state == "STARTED":
                started_any = True
        if clock() - checked >= DB_CHECK:
            db.scan_info(scan_id)  # the session that holds the scan lock is alive
            checked = clock()
        busy = started_any or totals.finished
        stage = f"units {totals.finished}/{totals.sent}" if busy else "units queued, waiting for a worker"
        notify(totals.progress(stage, generated_total))
        if pending:
            time.sleep(POLL)


def _add(totals: Totals, counts: object) -> None:
    totals.finished += 1
    if not isinstance(counts, dict):
        return
    totals.triaged += int(counts.get("triaged", 0))
    for kind in ("exists", "absent", "unknown"):
        per_domain = counts.get(kind, {})
        if isinstance(per_domain, dict):
            setattr(totals, kind, getattr(totals, kind) + sum(int(v) for v in per_domain.values()))


def _revoke(app: Any, task_ids: list[str], errors: tuple[type[BaseException], ...]) -> None:
    """Ask the workers to drop units not started yet (those running finish; their writes are kept)."""
    if not task_ids:
        return
    with contextlib.suppress(*errors):  # the broker is gone: nothing to revoke from
        app.control.revoke(task_ids)


def _first_line(exc: object) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
