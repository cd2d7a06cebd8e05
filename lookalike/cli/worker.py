"""Command: ``worker``, a Celery worker for the units of distributed scans.

Option handling only: ``tasks.run_worker`` runs the worker; Celery draws its own log.
"""

from __future__ import annotations

from typing import Annotated

import typer

from lookalike.cli.app import app
from lookalike.errors import LookalikeError
from lookalike.queues import QUEUE, VISIBILITY_TIMEOUT


@app.command()
def worker(  # noqa: PLR0917  (typer maps each parameter to an option)
    broker: Annotated[
        str,
        typer.Option(
            "--broker",
            metavar="URL",
            envvar="LOOKALIKE_BROKER",
            help="The Redis broker the scans send units to.",
        ),
    ],
    db: Annotated[
        str,
        typer.Option(
            "--db",
            metavar="URL",
            envvar="LOOKALIKE_DB",
            help="The scans' history (the coordinator's postgresql://).",
        ),
    ],
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", "-c", help="Units at once (processes); default: the CPU count."),
    ] = None,
    queues: Annotated[
        list[str] | None, typer.Option("--queues", "-Q", help=f"Queues to read (default {QUEUE}).")
    ] = None,
    loglevel: Annotated[str, typer.Option("--loglevel", "-l", help="DEBUG, INFO, WARNING, ERROR.")] = "INFO",
    hostname: Annotated[
        str | None, typer.Option("--hostname", "-n", help="This worker's name (default celery@HOST).")
    ] = None,
    pool: Annotated[
        str | None, typer.Option("--pool", "-P", help="Celery pool: prefork (default), solo, threads.")
    ] = None,
    visibility_timeout: Annotated[
        float,
        typer.Option(
            "--visibility-timeout",
            help="Seconds before a unit a lost worker held is handed out again; keep it above a unit's time.",
        ),
    ] = VISIBILITY_TIMEOUT,
    restore_every: Annotated[
        float, typer.Option("--restore-every", help="Seconds between looks for units lost workers held.")
    ] = 10.0,
) -> None:
    """Run a worker for distributed scans (`lookalike scan --broker URL --db postgresql://...`)."""
    from lookalike.store.location import is_url
    from lookalike.tasks import celery_module, check_broker, run_worker

    celery_module()
    check_broker(broker)
    if not is_url(db):
        raise LookalikeError(f"--db must be the scans' postgresql:// URL (workers cannot share {db})")
    if concurrency is not None and concurrency < 1:
        raise LookalikeError("--concurrency must be at least 1")
    if not visibility_timeout > 0 or not restore_every > 0:
        raise LookalikeError("--visibility-timeout and --restore-every must be more than 0 seconds")
    if pool is not None and pool not in ("prefork", "solo", "threads"):
        raise LookalikeError("--pool must be prefork, solo or threads")
    run_worker(
        broker=broker,
        db=db,
        concurrency=concurrency,
        queues=tuple(queues or (QUEUE,)),
        loglevel=loglevel.upper(),
        hostname=hostname,
        pool=pool,
        visibility_timeout=visibility_timeout,
        restore_every=restore_every,
    )
