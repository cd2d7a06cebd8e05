"""Commands that read and curate the scan database: ``history``, ``diff``, ``triage``, ``prune``.

Thin: each maps its options onto ``lookalike.store`` and ``lookalike.changes`` calls and prints. Read-only
commands never create a database; a missing one is an error (exit 2). Text from the outside world
(registrar names, notes, names read from the database) goes through ``text.shown`` and is never read
as rich markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from lookalike.bounds import Bound
from lookalike.choices import Triage
from lookalike.cli.app import EXIT_ERROR, SCAN_ID, app, checked, fail
from lookalike.errors import LookalikeError
from lookalike.text import escape_json, shown

if TYPE_CHECKING:
    from lookalike.model import ScanInfo, TriageMark
    from lookalike.store import Store
    from lookalike.store.history import Checkup

AGE_DAYS = Bound("a number of days", whole=False, least=0, most=36_500)
"""``prune --older-than``: from now to a hundred years back."""

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="PATH|URL",
        help="The scan database: a file, or a postgresql:// URL. Default: $LOOKALIKE_DB, else"
        " ~/.local/share/lookalike/lookalike.db.",
        show_default=False,
    ),
]


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except LookalikeError as exc:
        fail(str(exc))


def _open(db: str | None, *, create: bool = False) -> AbstractContextManager[Store]:
    """The history database; only ``triage`` creates one. Damaged rows it left out are reported on
    stderr when the command is done (``cli.database.open_db``)."""
    from lookalike.cli.database import open_db

    return open_db(db, create=create)


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
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Check the whole database and list damaged rows; change nothing. Exit 0 sound, 2 damaged.",
        ),
    ] = False,
) -> None:
    """List the stored scans, or one lookalike's history and triage state."""
    from lookalike.names import parse
    from lookalike.store import Store

    if check:
        with _user_errors():
            if domain is not None:
                raise LookalikeError("--check checks the whole database: give no DOMAIN")
            with Store.open(db, create=False, read_only=True) as store:
                found = store.checkup()
        _print_checkup(found)
        if not found.sound:
            fail(f"{found.label}: {_problems(found)} (listed above)", EXIT_ERROR)
        return
    with _user_errors(), _open(db) as store:
        if domain is None:
            _print_scans(store, limit)
        else:
            _print_domain(store, parse(domain).ascii)


def _print_scans(store: Store, limit: int) -> None:
    infos = store.scans(limit=limit)
    if not infos:
        typer.echo(f"no scans in {shown(store.label)}")
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


def _print_checkup(found: Checkup) -> None:
    from lookalike.store import SCHEMA_VERSION

    read = ", ".join(f"{n:,} {table}" for table, n in found.read) or "nothing"
    upgrade = (
        f" (migrated to {SCHEMA_VERSION} by the next command that writes)"
        if found.schema < SCHEMA_VERSION
        else ""
    )
    typer.echo(f"{found.label}: schema {found.schema}{upgrade}; read {read}")
    for line in found.structure:
        typer.echo(f"  structure: {shown(line, 300)}")
    for item in found.damage:
        typer.echo(f"  damaged: {shown(str(item), 300)}")
    if found.damaged > len(found.damage):
        typer.echo(f"  ... and {found.damaged - len(found.damage):,} more damaged rows")
    if found.sound:
        typer.echo(f"{found.label}: sound")


def _problems(found: Checkup) -> str:
    parts = []
    if found.structure:
        parts.append(f"{len(found.structure)} structural problem{'s' if len(found.structure) != 1 else ''}")
    if found.damaged:
        parts.append(
            f"{found.damaged:,} damaged row{'s' if found.damaged != 1 else ''} (reads leave them out)"
        )
    return " and ".join(parts) + "; restore the file from a backup to get them back"


def _print_domain(store: Store, domain: str) -> None:
    from lookalike.alerts import display_name

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
    from lookalike import changes
    from lookalike.alerts import alert_payload, alert_text

    with _user_errors(), _open(db) as store:
        if to_id is None:
            to_id = store.latest_scan()
            if to_id is None:
                raise LookalikeError(f"{store.label} holds no complete scan yet")
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
    from lookalike.alerts import display_name
    from lookalike.names import parse

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
        path = store.label
    typer.echo(f"removed {removed} scan{'' if removed == 1 else 's'} from {shown(path)}")
