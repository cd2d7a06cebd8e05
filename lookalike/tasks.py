"""The Celery app and the one task of a distributed scan: scan one unit through the same orchestrator.

A distributed scan (``lookalike scan --broker URL --db postgresql://...``) is split by its coordinator
(``distribute.py``) into units: a run of the scan's candidate stream, sent whole in the task's
message with the settings and the references the coordinator looked up. A worker (``lookalike
worker``) runs ``scan.run_unit`` on it with ``asyncio.run`` and writes every finding and absent name
to the history itself, as a local scan does. The task is acknowledged late and rejected when its
worker is lost, and every write is keyed by scan and name (``Store.record`` replaces,
``Store.record_absent`` is repeat-safe), so a worker killed mid-task leaves the unit in the queue for
another worker, which writes the same rows again: nothing lost, nothing counted twice.

The broker must be Redis (``redis://``): it also holds the politeness budgets every worker shares
(``budgets.py``) and the tasks' results and progress. Messages are JSON only (never pickle), so
whoever can write to the broker cannot make a worker run code.

Must not: decide what a scan finds (``scan.py``), split or wait for a scan (``distribute.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from lookalike import codec
from lookalike.budgets import SharedBudgets, url_label
from lookalike.config import Alerts, Settings
from lookalike.errors import LookalikeError
from lookalike.model import Candidate, Reference
from lookalike.queues import QUEUE, VISIBILITY_TIMEOUT
from lookalike.scan import Progress, run_unit
from lookalike.schedule import StoreSink
from lookalike.store import Store

if TYPE_CHECKING:
    import celery

log = logging.getLogger(__name__)

TASK: Final = "lookalike.scan_unit"
PROGRESS_EVERY: Final = 1.0
"""Seconds between a task's progress reports to the coordinator."""


def celery_module() -> Any:
    """Celery, or one line saying how to install it."""
    try:
        import celery
    except ImportError as exc:
        raise LookalikeError("--broker needs Celery: pip install 'lookalike[scale]'") from exc
    return celery


def check_broker(url: str) -> str:
    """A broker URL lookalike can use: Redis (it holds the shared budgets too)."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise LookalikeError(
            f"the broker must be a redis:// URL (Redis also keeps the shared budgets): {url_label(url)}"
        )
    return url


def make_app(
    broker: str,
    *,
    db: str | None = None,
    visibility_timeout: float = VISIBILITY_TIMEOUT,
    restore_every: float = 10.0,
) -> celery.Celery:
    """The Celery app for ``broker`` (Redis: queue, results and budgets). A worker's app knows its
    history (``db``); ``visibility_timeout`` and ``restore_every`` say how soon a lost worker's unit
    is handed out again (at most their sum)."""
    module = celery_module()
    check_broker(broker)
    app = module.Celery("lookalike", broker=broker, backend=broker, set_as_current=False)
    transport = {
        "visibility_timeout": visibility_timeout,
        "unacked_restore_interval": restore_every,
        "unacked_restore_throttle": 1,
        "socket_timeout": 10.0,
        "socket_connect_timeout": 10.0,
    }
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_track_started=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        broker_transport_options=transport,
        result_backend_transport_options={"socket_timeout": 10.0, "socket_connect_timeout": 10.0},
        redis_socket_timeout=10.0,
        redis_socket_connect_timeout=10.0,
        result_expires=86400,
        broker_connection_retry_on_startup=True,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.5, "interval_step": 1.0},
        worker_hijack_root_logger=True,
        # A unit whose worker lost the broker is handed out again anyway (it is not acknowledged):
        # stop working on it rather than write it twice at once.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        lookalike_db=db,
    )
    app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True)(_scan_unit)
    return app


@dataclass(frozen=True, slots=True)
class Unit:
    """One task's work: which scan, which candidates, and what the worker needs to score them."""

    scan_id: int
    key: str
    """The scan's key (``scan.scan_key``): a worker checks the history it writes to holds this scan."""
    started: datetime
    number: int
    settings: Settings
    references: tuple[Reference, ...]
    candidates: tuple[Candidate, ...]


def worker_settings(settings: Settings) -> Settings:
    """What a worker needs of the settings: no outputs, alerts, history or broker (the coordinator's)."""
    return dataclasses.replace(
        settings, db=None, report=None, json=None, csv=None, fail_on=(), alerts=Alerts(), plan_top=0
    )


def encode_unit(unit: Unit) -> dict[str, Any]:
    document: dict[str, Any] = codec.encode(unit)
    return document


def decode_unit(document: Mapping[str, Any]) -> Unit:
    try:
        unit: Unit = codec.decode(Unit, document)
    except (TypeError, ValueError, KeyError) as exc:
        raise LookalikeError(f"a task message is not a lookalike unit: {exc}") from exc
    return unit


def _scan_unit(task: celery.Task[Any, Any], document: dict[str, Any]) -> dict[str, Any]:
    """The task: run one unit and write what it finds. Returns its counts (the coordinator shows them)."""
    unit = decode_unit(document)
    db = task.app.conf.lookalike_db
    if not db:
        raise LookalikeError("this worker has no history database (lookalike worker --db URL)")
    broker = task.app.conf.broker_url
    with Store.open(db, create=False) as store:
        info = store.scan_info(unit.scan_id)
        if info.key != unit.key or info.started != unit.started:
            raise LookalikeError(
                f"scan {unit.scan_id} in {store.label} is not the coordinator's: give the worker"
                " the coordinator's --db"
            )
        if info.finished is not None:
            log.info("scan %d is finished: unit %d left alone", unit.scan_id, unit.number)
            return {"unit": unit.number, "skipped": True}
        last = [0.0]

        def progress(state: Progress) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                task.update_state(state="PROGRESS", meta=_progress_meta(state))

        counts = asyncio.run(
            run_unit(
                unit.settings,
                unit.candidates,
                sink=StoreSink(store, unit.scan_id),
                references=unit.references,
                now=unit.started,
                cache=store,
                budgets=SharedBudgets(broker),
                progress=progress,
            )
        )
    return {"unit": unit.number, **codec.encode(counts)}


def _progress_meta(state: Progress) -> dict[str, int]:
    return {
        "triaged": state.triaged,
        "exists": state.exists,
        "absent": state.absent,
        "unknown": state.unknown,
        "detailed": state.detailed,
    }


def run_worker(
    *,
    broker: str,
    db: str,
    concurrency: int | None = None,
    queues: Sequence[str] = (QUEUE,),
    loglevel: str = "INFO",
    hostname: str | None = None,
    pool: str | None = None,
    visibility_timeout: float = VISIBILITY_TIMEOUT,
    restore_every: float = 10.0,
) -> None:
    """Run a Celery worker for lookalike's units until it is stopped (SIGTERM: a warm shutdown)."""
    with Store.open(db):
        pass  # one line now, not a failed task later, when the history cannot be reached or is newer
    asyncio.run(_ping(broker))
    app = make_app(broker, db=db, visibility_timeout=visibility_timeout, restore_every=restore_every)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per registry request is not a worker's log
    argv = ["worker", "--loglevel", loglevel, "--queues", ",".join(queues)]
    argv += ["--without-gossip", "--without-mingle"]
    if concurrency is not None:
        argv += ["--concurrency", str(concurrency)]
    if hostname:
        argv += ["--hostname", hostname]
    if pool:
        argv += ["--pool", pool]
    app.worker_main(argv=argv)


async def _ping(url: str) -> None:
    from lookalike.budgets import probe

    await probe(url)
