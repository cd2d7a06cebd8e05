"""Commands that read and curate the scan database: ``history``, ``diff``, ``triage``, ``prune``.

Thin: each maps its options onto ``lookalike.store`` and ``lookalike.changes`` calls and prints. Read-only
commands never create a database; a missing one is an error (exit 2). Text from the outside world
(registrar names, notes, names read from the database) goes through ``text.shown`` and is never read
as rich markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lookalike import changes
from lookalike.alerts import alert_payload, alert_text, display_name
from lookalike.bounds import Bound
from lookalike.cli.app import SCAN_ID, app, checked, fail
from lookalike.errors import LookalikeError
from lookalike.model import ScanInfo, Triage, TriageMark
from lookalike.names import parse
from lookalike.saved import open_store
from lookalike.store import Store, default_db_path
from lookalike.text import escape_json, shown

AGE_DAYS = Bound("a number of days", whole=False, least=0, most=36_500)
"""``prune --older-than``: from now to a hundred years back."""

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        metavar="PATH",
        help="The scan database. Default: $LOOKALIKE_DB, else ~/.local/share/lookalike/lookalike.db.",
        show_default=False,
    ),
]


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except LookalikeError as exc:
        fail(str(exc))


def _open(db: Path | None, *, create: bool = False) -> Store:
    """The history database; only ``triage`` creates one (``saved.open_store`` never does)."""
    return Store.open(db if db is not None else default_db_path(), create=True) if create else open_store(db)


def _when(value: datetime | None) -> str:
    if value is None:
        return "-"
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M")


def _state(info: ScanInfo) -> str:
    if info.finished is None:
        return "unfinished"
    return "interrupted" if info.interrupted else "complete"


# --- history ------------------------------------------------------------------------------------


@app.command()
def history(
    domain: Annotated[
        str | None, typer.Argument(help="A lookalike: show its existence and level in every scan.")
    ] = None,
    db: DbOption = None,
    limit: Annotated[
        int, typer.Option(help="Scans to list, newest first.", callback=checked("--limit", SCAN_ID))
    ] = 50,
) -> None:
    """List the stored scans, or one lookalike's history and triage state."""
    with _user_errors(), _open(db) as store:
        if domain is None:
            _print_scans(store, limit)
        else:
            _print_domain(store, parse(domain).ascii)


def _print_scans(store: Store, limit: int) -> None:
    infos = store.scans(limit=limit)
    if not infos:
        typer.echo(f"no scans in {shown(str(store.path))}")
        return
    typer.echo(
        f"{'id':>6}  {'started (UTC)':16}  {'finished':16}  {'state':11}  "
        f"{'exists':>7}  {'unknown':>7}  {'absent':>9}  protected"
    )
    for info in infos:
        assert info.id is not None
        if info.protected and info.finished is not None:
            exists = sum(p.exists for p in info.protected)
            unknown = sum(p.unknown for p in info.protected)
            absent = sum(p.absent for p in info.protected)
        else:
            counts = store.counts(info.id)
            exists, unknown, absent = counts["exists"], counts["unknown"], counts["absent"]
        protected = shown(", ".join(p.domain for p in info.protected)) or "-"
        typer.echo(
            f"{info.id:>6}  {_when(info.started):16}  {_when(info.finished):16}  {_state(info):11}  "
            f"{exists:>7,}  {unknown:>7,}  {absent:>9,}  {protected}"
        )


def _print_domain(store: Store, domain: str) -> None:
    rows = store.history(domain)
    mark = store.triage().get(domain)
    typer.echo(display_name(domain))
    typer.echo(f"  triage: {_mark_text(mark) if mark else 'not triaged'}")
    if not rows:
        typer.echo("  no stored scan looked at this name")
        return
    typer.echo(f"  {'scan':>6}  {'started (UTC)':16}  {'existence':9}  level")
    for scan_id, started, existence, level in rows:
        typer.echo(f"  {scan_id:>6}  {_when(started):16}  {existence.value:9}  {level or '-'}")


def _mark_text(mark: TriageMark) -> str:
    text = f"{mark.state.value} (by {shown(mark.who, 60)}, {_when(mark.when)} UTC)"
    return f"{text}: {shown(mark.note, 300)}" if mark.note else text


# --- diff ---------------------------------------------------------------------------------------


class DiffFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@app.command("diff")
def diff_command(
    from_id: Annotated[
        int | None,
        typer.Option(
            "--from",
            metavar="ID",
            help="The earlier scan. Default: the complete scan before --to.",
            callback=checked("--from", SCAN_ID),
        ),
    ] = None,
    to_id: Annotated[
        int | None,
        typer.Option(
            "--to",
            metavar="ID",
            help="The later scan. Default: the latest complete scan.",
            callback=checked("--to", SCAN_ID),
        ),
    ] = None,
    output: Annotated[
        DiffFormat,
        typer.Option("--format", help="text, or json (the alert webhook's payload).", case_sensitive=False),
    ] = DiffFormat.TEXT,
    db: DbOption = None,
) -> None:
    """Show what changed between two scans: new, escalated, changed and gone lookalikes.

    By default the latest complete scan is compared with the complete scan before it of the same
    domains and settings, as the scan itself compared them. Triaged names appear only when a fact
    about them changed; names that flap are left out.
    """
    with _user_errors(), _open(db) as store:
        if to_id is None:
            to_id = store.latest_scan()
            if to_id is None:
                raise LookalikeError(f"{store.path} holds no complete scan yet")
        current = store.load_scan(to_id)
        if from_id is None:
            from_id = changes.previous_id(store, current.info)
            if from_id is None:
                raise LookalikeError(
                    f"scan {to_id} is the first complete scan of its domains and settings: "
                    "there is nothing to compare"
                )
        found = changes.between(store, current, from_id)
    if output is DiffFormat.JSON:
        payload = alert_payload(found, scan=current.info, report=None)
        typer.echo(escape_json(json.dumps(payload, indent=2, ensure_ascii=False)))
    else:
        typer.echo(alert_text(found, scan=current.info, report=None), nl=False)


# --- triage -------------------------------------------------------------------------------------


@app.command()
def triage(
    domain: Annotated[
        str | None, typer.Argument(help="The lookalike to mark. Without it: list the marks.")
    ] = None,
    state: Annotated[
        Triage | None,
        typer.Option("--as", help="What the lookalike is.", case_sensitive=False, show_default=False),
    ] = None,
    note: Annotated[str, typer.Option("--note", metavar="TEXT", help="Why, for the next person.")] = "",
    clear: Annotated[bool, typer.Option("--clear", help="Withdraw the mark on DOMAIN.")] = False,
    db: DbOption = None,
) -> None:
    """Mark a lookalike as owned, benign, malicious or watch (with who and when), or list the marks.

    A triaged name is shown as such and alerts again only when a fact about it changes.
    """
    with _user_errors():
        if domain is None:
            if state is not None or note or clear:
                raise LookalikeError("--as, --note and --clear need a DOMAIN")
            with _open(db) as store:
                marks = store.triage()
            if not marks:
                typer.echo("no triaged names")
            for name in sorted(marks):
                typer.echo(f"{display_name(name)}: {_mark_text(marks[name])}")
            return
        name = parse(domain).ascii
        if clear:
            if state is not None:
                raise LookalikeError("give either --as or --clear, not both")
            with _open(db) as store:
                cleared = store.clear_triage(name)
            typer.echo(f"{display_name(name)}: {'mark withdrawn' if cleared else 'was not triaged'}")
            return
        if state is None:
            raise LookalikeError("say what it is: --as owned|benign|malicious|watch")
        with _open(db, create=True) as store:
            mark = store.set_triage(name, state, note=note)
        typer.echo(f"{display_name(name)}: {_mark_text(mark)}")


# --- prune --------------------------------------------------------------------------------------


@app.command()
def prune(
    keep: Annotated[
        int | None,
        typer.Option(
            "--keep",
            metavar="N",
            help="Keep the N newest complete scans.",
            callback=checked("--keep", SCAN_ID),
        ),
    ] = None,
    older_than: Annotated[
        float | None,
        typer.Option(
            "--older-than",
            metavar="DAYS",
            help="Delete scans started more than DAYS ago.",
            callback=checked("--older-than", AGE_DAYS),
        ),
    ] = None,
    vacuum: Annotated[
        bool, typer.Option("--vacuum", help="Give the freed space back to the file system.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Delete old scans; the latest complete scan and a resumable one are always kept.

    With both --keep and --older-than, a scan goes only if neither keeps it.
    """
    with _user_errors(), _open(db) as store:
        removed = store.prune(
            keep=keep,
            older_than=timedelta(days=older_than) if older_than is not None else None,
            vacuum=vacuum,
        )
        path = store.path
    typer.echo(f"removed {removed} scan{'' if removed == 1 else 's'} from {shown(str(path))}")
