"""Commands: ``watch ct`` and ``watch zone``: follow Certificate Transparency logs or a registry's zone
file, and scan what they show that imitates the protected domains.

Option handling and the terminal only: ``lookalike.watch.Watcher`` does the passes, keeps positions and
matches in the store, scans them and alerts. This module chooses the logs, reads ``--since``, runs the
watcher in a thread so that SIGTERM and Ctrl-C stop it between batches (a second Ctrl-C stops at once:
what the batches kept is safe, as after ``kill -9``), prints one line per pass through ``text.shown``
(names come from certificates and zone files: hostile text), and gives cron its exit code: 0, 1 when a
``--fail-on`` condition held in a ``--once`` pass, 2 on an error, 130 when interrupted.

The library is imported inside the commands: ``lookalike --help`` does not pay for it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from lookalike.bounds import count, seconds
from lookalike.cli.app import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    Commands,
    app,
    checked,
    err,
    fail,
)
from lookalike.cli.options import WATCH, Options, settings_options
from lookalike.errors import LookalikeError
from lookalike.text import shown

if TYPE_CHECKING:
    from lookalike.config import Settings
    from lookalike.model import Change
    from lookalike.store import Store
    from lookalike.watch import CtFeed, Pass, ZoneFeed

watch_app = typer.Typer(
    cls=Commands,
    help="Follow Certificate Transparency logs or zone files and scan the lookalikes they show.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(watch_app, name="watch")

DAY = 86_400.0
MAX_BATCH = 65_536
"""Entries per step at most: a step's entries are held in memory until they are kept."""

DomainsArg = Annotated[
    list[str] | None, typer.Argument(help="Protected domains (or --file, or a --config that lists them).")
]
OnceOpt = Annotated[
    bool,
    typer.Option(
        "--once",
        help="One full pass (every feed read to its end, every match scanned), then exit: for cron. "
        "Exit 0, 1 when a --fail-on condition held, 2 on an error.",
    ),
]
PollOpt = Annotated[
    float | None,
    typer.Option(
        "--poll",
        metavar="SECONDS",
        help="Seconds between passes once every feed is read to its end (default 30).",
        callback=checked("--poll", seconds(DAY)),
        show_default=False,
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No line per pass; problems and alerts are still told.")
]


def since_of(text: str) -> int | None:
    """``--since``: ``head`` (None), an entry index, or a negative count back from the head."""
    value = text.strip().lower()
    if value == "head":
        return None
    try:
        return int(value, 10)
    except ValueError:
        raise LookalikeError(
            f"--since {text!r}: give head, an entry index (0: the whole log), or a negative count back"
            " from the head"
        ) from None


def _refuse_unused(options: Options, once: bool) -> None:
    """Options a watch takes with a scan's groups but cannot honour: one line, not silence."""
    if options.technique:
        raise LookalikeError("--technique: a watch matches every technique (the matcher follows generate)")
    if options.plan_top is not None:
        raise LookalikeError("--plan-top: a scan of feed matches makes no registration plan")
    if options.fail_on and not once:
        raise LookalikeError("--fail-on sets the exit code of a --once pass: add --once")


@watch_app.callback()
def _watch() -> None:
    """Follow Certificate Transparency logs or zone files and scan the lookalikes they show.

    Each match is scanned like a generated lookalike (DNS, registration, probes, score), kept in the
    history with its source and evidence, compared and alerted on. Positions are kept in the history:
    a restart, even after kill -9, loses and repeats nothing. Lists of names: scan --candidates FILE."""


UNUSED = {
    "technique": "Not for a watch (one line and exit 2): the matcher follows every technique of generate.",
    "plan_top": "Not for a watch (one line and exit 2): a scan of feed matches makes no plan.",
}
"""How ``--technique`` and ``--plan-top``, which come with the scan's groups, read in a watch's help."""


@watch_app.command("ct")
@settings_options(WATCH, help=UNUSED)
def watch_ct(
    domains: DomainsArg = None,
    *,
    options: Options,
    log: Annotated[
        list[str] | None,
        typer.Option(
            "--log",
            metavar="NAME|URL",
            help="Follow this log of the log list (its short name, ID or URL); repeatable. Default: every "
            "log the list says is usable, qualified or read-only.",
            show_default=False,
        ),
    ] = None,
    log_list: Annotated[
        Path | None,
        typer.Option(
            "--log-list",
            metavar="FILE",
            help="A log list in the format of Chrome's log_list.json (v3). Default: the one "
            "`lookalike update-data` refreshed, else the bundled snapshot.",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str,
        typer.Option(
            "--since",
            metavar="head|INDEX|-COUNT",
            help="Where a log never followed starts: its head, an entry index (0: the whole log), or "
            "a negative count back from the head. A log with a kept position resumes there.",
        ),
    ] = "head",
    batch: Annotated[
        int | None,
        typer.Option(
            "--batch",
            metavar="ENTRIES",
            help="Entries read per step and kept per transaction (default 1024).",
            callback=checked("--batch", count(1, MAX_BATCH)),
            show_default=False,
        ),
    ] = None,
    once: OnceOpt = False,
    poll: PollOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Follow Certificate Transparency logs and scan the lookalikes their certificates name.

    Both kinds of log: RFC 6962 and static-ct-api (tiled). Every head and batch is verified against
    the log's key; a log that serves a forked or badly signed head is told once and skipped, never
    trusted. One line per pass on stderr; SIGTERM or Ctrl-C stops after the batch in progress."""
    start = since_of(since)
    _refuse_unused(options, once)
    settings = options.build(domains or ())
    from lookalike.feeds import loglist
    from lookalike.feeds.ct import DEFAULT_BATCH
    from lookalike.watch import CtFeed
    from lookalike.watch.sightings import matcher_for

    logs = loglist.select(loglist.load(log_list), log or ())
    if not logs:
        raise LookalikeError("the log list has no log to follow now; name one with --log")
    matcher = matcher_for(settings)

    def feeds(store: Store) -> tuple[CtFeed | None, ZoneFeed | None]:
        return CtFeed(store, matcher, logs, since=start, batch=batch or DEFAULT_BATCH), None

    _run(settings, feeds, once=once, poll=poll, quiet=quiet)


@watch_app.command("zone")
@settings_options(WATCH, help=UNUSED)
def watch_zone(
    domains: DomainsArg = None,
    *,
    options: Options,
    zone: Annotated[
        Path | None,
        typer.Option(
            "--zone",
            metavar="FILE",
            help="The zone file (CZDS format, gzip or plain), sorted by owner name.",
            show_default=False,
        ),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            metavar="FILE",
            help="The copy before it: the names that appeared are matched (and those that went). "
            "Without it, every delegated name.",
            show_default=False,
        ),
    ] = None,
    origin: Annotated[
        str | None,
        typer.Option(
            "--origin",
            metavar="TLD",
            help="The zone's origin (default: read from the file).",
            show_default=False,
        ),
    ] = None,
    sort: Annotated[
        bool, typer.Option("--sort", help="Sort the files first (in flat memory): any order is read.")
    ] = False,
    once: OnceOpt = False,
    poll: PollOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Scan the lookalikes among the names a zone file delegates that its previous copy did not.

    Names that went are matched too (a lookalike the history held becomes gone). A delegated name is
    known to exist without a DNS query. A file already read (the same name, size and time) is not
    read again: a cron job that runs twice repeats nothing."""
    if zone is None:
        raise LookalikeError("give the zone file: --zone FILE (and the copy before it: --previous FILE)")
    _refuse_unused(options, once)
    from lookalike.watch import ZoneFeed
    from lookalike.watch.sightings import matcher_for
    from lookalike.watch.zone import identity

    for path in (zone, previous):
        if path is not None:
            identity(path)  # a missing or unreadable file: one line now, before the matcher is built
    settings = options.build(domains or ())
    matcher = matcher_for(settings)

    def feeds(store: Store) -> tuple[CtFeed | None, ZoneFeed | None]:
        return None, ZoneFeed(store, matcher, zone, previous=previous, origin=origin or "", sort=sort)

    _run(settings, feeds, once=once, poll=poll, quiet=quiet)


@contextlib.contextmanager
def _stopping(stop: threading.Event) -> Iterator[list[int]]:
    """SIGTERM and Ctrl-C set ``stop`` (the watcher ends after the batch it is in); a second one
    ends the process at once. Yields the signals received."""
    received: list[int] = []

    def handle(signum: int, _frame: FrameType | None) -> None:
        if received:
            print("lookalike: stopped at once; every batch kept before is safe", file=sys.stderr)
            os._exit(EXIT_INTERRUPTED)
        received.append(signum)
        print("lookalike: stopping after this batch (again to stop at once)", file=sys.stderr)
        stop.set()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _run(
    settings: Settings,
    feeds: Callable[[Store], tuple[CtFeed | None, ZoneFeed | None]],
    *,
    once: bool,
    poll: float | None,
    quiet: bool,
) -> None:
    """Run the watcher (in a thread: this one waits for signals), then give the exit code."""
    from lookalike.store import Store, default_db_path
    from lookalike.watch import POLL, Watcher

    stop = threading.Event()
    shown_passes = _Passes(quiet)
    result: dict[str, object] = {}

    def work() -> None:
        try:
            with Store.open(settings.db or default_db_path()) as store:
                ct, zone = feeds(store)
                watcher = Watcher(
                    settings, store, ct=ct, zone=zone, poll=poll or POLL, on_pass=shown_passes.show
                )
                watcher.run(once=once, stop=stop)
                result["fail_on"] = watcher.fail_on
        except BaseException as exc:  # noqa: BLE001  (raised again in the main thread)
            result["error"] = exc

    thread = threading.Thread(target=work, name="lookalike-watch", daemon=True)
    with _stopping(stop) as received:
        thread.start()
        while thread.is_alive():
            thread.join(0.5)
    error = result.get("error")
    if isinstance(error, BaseException):
        raise error
    if received:
        # SIGTERM stops a service as asked; Ctrl-C, or a --once pass cut short, is an interruption.
        if received[0] == signal.SIGINT or once:
            raise typer.Exit(EXIT_INTERRUPTED)
        return
    if once and shown_passes.unread:
        fail(f"no CT log could be read ({'; '.join(shown_passes.unread)})")
    reasons = result.get("fail_on")
    if once and isinstance(reasons, list) and reasons:
        if not quiet:
            err.print(shown(f"--fail-on: {'; '.join(reasons)}"), markup=False)
        raise typer.Exit(EXIT_FINDINGS)


class _Passes:
    """Shows each pass: one line (unless quiet), and whatever went wrong or was told, always."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.count = 0
        self.unread: list[str] = []
        """The last pass's logs, when none of them could be read (what each said)."""

    def show(self, done: Pass) -> None:
        from lookalike.feeds.ct import Verdict

        self.count += 1
        if not self.quiet:
            err.print(pass_line(self.count, done), markup=False)
        for poll in done.logs:
            if poll.verdict is Verdict.UNTRUSTED:
                _warn(poll.new_problem or f"{poll.name} is skipped, never trusted: {poll.detail}")
            elif poll.verdict is not Verdict.OK:
                _warn(f"{poll.name} could not be read ({poll.verdict.value}): {poll.detail}")
        for note in (*done.alert_notes, *(n for job in done.scans for n in job.alert_notes)):
            err.print(shown(note), markup=False)  # a relay's or webhook's reply is hostile text
        for problem in done.errors:
            _warn(f"a scan of the matches failed, they wait for the next pass: {problem}")
        read = [p for p in done.logs if p.verdict is Verdict.OK]
        self.unread = [] if read or not done.logs else [f"{p.name}: {p.verdict.value}" for p in done.logs]


def _warn(text: str) -> None:
    err.print(shown(f"lookalike: warning: {text}"), markup=False)


def _levels(changes: Sequence[Change]) -> dict[str, str]:
    """Each lookalike once (a name may imitate two protected domains), with its first level."""
    found: dict[str, str] = {}
    for change in changes:
        found.setdefault(change.domain, change.after.value if change.after is not None else "?")
    return found


def pass_line(number: int, done: Pass) -> str:
    """One line for a pass: what each feed gave, the matches, and what their scans found."""
    from lookalike.feeds.ct import Verdict

    parts: list[str] = []
    if done.logs:
        read = [p for p in done.logs if p.verdict is Verdict.OK]
        entries = sum(p.entries for p in done.logs)
        behind = sum(max(0, p.behind) for p in read)
        state = f"{behind:,} entries behind" if behind else "at the heads"
        parts.append(f"ct: {entries:,} entries from {len(read)} of {len(done.logs)} logs, {state}")
    if done.zone is not None:
        z = done.zone
        if z.already:
            parts.append(f"{z.name}: already read")
        else:
            parts.append(f"{z.name}: {z.names:,} delegated, {z.added:,} appeared, {z.removed:,} went")
    hits = [h for p in done.logs for h in p.hits] + (done.zone.hits if done.zone is not None else [])
    matches = len({h.domain for h in hits})  # a name that imitates two protected domains is one match
    parts.append(f"{matches:,} matches" + (f", {done.repeats:,} seen a moment ago" if done.repeats else ""))
    for job in done.scans:
        result = job.run.result
        text = f"scan {result.info.id}: {len({f.candidate.domain for f in result.findings}):,} lookalikes"
        if job.changes is not None:
            new = _levels(job.changes.new)
            changed = _levels(job.changes.changed + job.changes.escalated)
            if new:
                named = ", ".join(f"{domain} ({level})" for domain, level in list(new.items())[:5])
                text += f", {len(new):,} new: {named}" + (" ..." if len(new) > 5 else "")
            if changed:
                text += f", {len(changed):,} changed"
        parts.append(text)
    return shown(f"pass {number}: " + "; ".join(parts))
