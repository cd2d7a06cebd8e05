"""Commands: ``scan``, ``lookup``, ``demo`` and ``init``.

Option handling only: the options that become ``Settings`` are declared once, in ``cli.options``
(``scan`` takes every group, ``lookup`` the network ones); the library does the work, and this module
draws the progress bar, the summary and the exit code.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lookalike.cli.app import EXIT_FINDINGS, EXIT_INTERRUPTED, app, err, fail, out, protected_names
from lookalike.cli.options import LOOKUP, SCAN, Options, settings_options
from lookalike.errors import LookalikeError
from lookalike.text import escape_json, shown

if TYPE_CHECKING:
    from lookalike.config import Settings
    from lookalike.schedule import FeedBatch

# Each command imports the library it drives when it runs: `lookalike --help` and `lookalike version`
# load none of it (tests/unit/test_startup.py).

DEMO_TOOLS = ("aiosmtpd", "trustme")
"""What the demo universe's mail and TLS servers need: the ``demo`` extra, not a scan's dependency."""

DomainsArg = Annotated[
    list[str] | None, typer.Argument(help="Protected domains (army.mil, mail.example.org ...).")
]


@app.command()
@settings_options(SCAN)
def scan(
    domains: DomainsArg = None,
    *,
    options: Options,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Keep no history: no resume, and every run is a first scan.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish the last interrupted scan of these domains.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    candidates: Annotated[
        list[str] | None,
        typer.Option(
            "--candidates",
            metavar="FILE",
            help="Scan the lookalikes among these names instead of generating: a newly-registered list, "
            "a zone file or CT JSON lines (gzip too; - is standard input); repeatable. Source list:FILE.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Generate lookalikes, resolve them, and report who can receive your mail there."""
    from lookalike.cli.database import print_damage
    from lookalike.cli.progress import ScanProgress
    from lookalike.cli.summary import print_summary
    from lookalike.schedule import ScheduledScan, fail_on_reasons
    from lookalike.store import default_db_path
    from lookalike.store.location import label as location_label

    settings = options.build(domains or ())
    feed = listed(settings, candidates, quiet=quiet) if candidates else None
    job = ScheduledScan(settings, store=not no_store, resume=resume, feed=feed)
    progress = ScanProgress(enabled=not quiet)
    with progress:
        outcome = job.run(progress=progress.update)
    if not quiet:
        print_summary(outcome.run, outcome.changes, outcome.written, console=err, triage=outcome.triage)
    for line in outcome.alert_notes:
        err.print(shown(line), markup=False)  # a relay's or webhook's reply is hostile text
    if outcome.damage:
        print_damage(location_label(settings.db or default_db_path()), outcome.damage)
    if outcome.run.result.info.interrupted:
        err.print(
            "lookalike: interrupted: what was found so far is written above; --resume finishes the scan"
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    reasons = fail_on_reasons(settings.fail_on, outcome.run, outcome.changes, outcome.triage)
    if reasons:
        if not quiet:
            err.print(shown(f"--fail-on: {'; '.join(reasons)}"), markup=False)
        raise typer.Exit(EXIT_FINDINGS)


def listed(settings: Settings, paths: list[str], *, quiet: bool) -> FeedBatch:
    """``--candidates``: the lookalikes among the names of the files, as a feed's batch to scan."""
    from lookalike.schedule import FeedBatch
    from lookalike.watch.lists import read_lists
    from lookalike.watch.sightings import matcher_for

    if settings.broker is not None:
        raise LookalikeError("--candidates are scanned in this process: drop --broker")
    found = read_lists(matcher_for(settings), paths)
    if not quiet:
        err.print(f"{found.names:,} names read, {found.matched:,} matched", markup=False)
    return FeedBatch(tuple(found.candidates))


@app.command()
@settings_options(LOOKUP)
def lookup(
    domain: Annotated[str, typer.Argument(help="The name to look at (any form: URL, address, Unicode).")],
    *,
    protected: Annotated[
        str | None, typer.Option("--protected", "-p", help="Compare with this protected domain (ownership).")
    ] = None,
    options: Options,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Show everything known about one name: DNS, registration and (opt-in) probes.

    With --screenshot its page and the protected site's (--protected) are kept as files in
    screenshots/ in the current directory, or carried in the JSON with --inline-images."""
    import asyncio

    from lookalike import config, export
    from lookalike.cli.summary import print_finding
    from lookalike.scan import lookup as lookup_one
    from lookalike.screenshots import DIRECTORY, Pictures, Shelf

    if fmt not in ("text", "json"):
        raise LookalikeError("--format must be text or json")
    settings = options.build(require_domains=False)
    reference = None
    if protected is not None:
        settings = config.merge_protected(settings, protected_names([protected], None))
        wanted = protected_names([protected], None)[0].ascii
        reference = next(p for p in settings.protected if p.name.ascii == wanted)
    with contextlib.ExitStack() as stack:
        shelf = None
        if settings.screenshot:
            here = (
                Path(stack.enter_context(tempfile.TemporaryDirectory())) if settings.inline_images else Path()
            )
            shelf = Shelf(here / DIRECTORY)
        finding, _ = asyncio.run(lookup_one(domain, settings, protected=reference, shelf=shelf))
        pictures = Pictures([shelf] if shelf is not None else [], inline=settings.inline_images)
        links = functools.partial(pictures.link, document=Path("lookup"))  # files named from here
        if fmt == "json":
            document = json.dumps(export.finding_record(finding, links), indent=2, ensure_ascii=False)
            out.print(escape_json(document), markup=False)
        else:
            print_finding(finding, console=out, screenshots=None if settings.inline_images else links)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the example.")] = Path("lookalike.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example lookalike.toml to start from."""
    from lookalike import config

    if path.exists() and not force:
        raise LookalikeError(f"{path} exists; use --force to overwrite it")
    try:
        path.write_text(config.EXAMPLE, encoding="utf-8")
    except OSError as exc:
        raise LookalikeError(f"cannot write {path}: {exc.strerror or exc}") from exc
    err.print(
        f"wrote {path}: edit [[domains]] and [scan] resolvers, then run `lookalike scan --config {path}`"
    )


def screenshot_problem() -> str:
    """Why screenshots cannot be taken here (the visual extra or Debian's chromium is missing), or ""."""
    from lookalike import visual
    from lookalike.browser import chromium

    try:
        visual.require()
        chromium.require()
    except LookalikeError as exc:
        return str(exc)
    return ""


@app.command()
def demo(
    report: Annotated[Path, typer.Option("--report", help="Where to write the HTML report.")] = Path(
        "reports/demo.html"
    ),
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the scan JSON.")] = Path(
        "reports/demo.json"
    ),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    screenshot: Annotated[
        bool,
        typer.Option(
            "--screenshot/--no-screenshot", help="Render the live pages in headless Chromium (default on)."
        ),
    ] = True,
) -> None:
    """Scan the bundled offline universe (synthetic data, loopback only) and write a report."""
    for tool in DEMO_TOOLS:
        try:
            importlib.import_module(tool)
        except ImportError:
            fail(f"the demo needs {tool}, which is not installed: pip install 'lookalike[demo]'")
    from lookalike.cli.progress import ScanProgress
    from lookalike.cli.summary import print_summary
    from lookalike.demo.universe import run_demo

    status: Callable[[str], None] = (lambda _m: None) if quiet else err.print
    if screenshot:
        missing = screenshot_problem()
        if missing:
            screenshot = False
            err.print(shown(f"lookalike: note: the demo goes without screenshots: {missing}"), markup=False)
    progress = ScanProgress(enabled=not quiet)
    with progress:
        outcome = run_demo(
            report=report,
            json_path=json_path,
            progress=progress.update,
            status=status,
            screenshot=screenshot,
        )
    if not quiet:
        print_summary(outcome.run, outcome.changes, outcome.written, console=err, triage=outcome.triage)
