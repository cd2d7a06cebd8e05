"""Commands: ``plan``, ``blocklist`` and ``audit``: what to register, what to block, what to fix.

Wiring only: ``lookalike.saved`` loads the scan (the history database's latest complete scan,
``--scan ID``, or a scan JSON file with ``--from-json``), ``lookalike.advice`` builds the answer
(the same pipeline the scan runs; ``plan`` alone talks to the network, to confirm with the registry
the few names it would recommend), ``lookalike.plan`` renders it in the chosen format. Output goes
to standard output or, atomically, to ``--output``; notes go to standard error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lookalike.bounds import Bound
from lookalike.choices import AuditFormat, BlocklistFormat, PlanFormat
from lookalike.cli.app import EXIT_INTERRUPTED, ScanIdOpt, app, err, fail
from lookalike.cli.options import ADVICE, PLAN, Options, settings_options
from lookalike.errors import LookalikeError
from lookalike.text import shown

if TYPE_CHECKING:
    from lookalike.config import Protected, Settings
    from lookalike.model import BlockEntry
    from lookalike.saved import SavedScan
    from lookalike.store import Location

TOP = Bound("a whole number", whole=True, least=1, most=1_000_000, zero="everything")
"""``plan --top``: how many names per protected domain."""


def _load(
    *, db: Location | None, scan_id: int | None, from_json: Path | None, absent: bool = False
) -> SavedScan:
    """The scan to work from: ``from_json`` (triage marks from ``db`` when it exists), else ``scan_id``
    in ``db``, else ``db``'s latest complete scan."""
    from lookalike import saved
    from lookalike.cli.database import show_damage
    from lookalike.store import default_db_path

    if from_json is not None and scan_id is not None:
        raise LookalikeError("give either --from-json FILE or --scan ID, not both")
    if from_json is not None:
        scan = saved.from_json(from_json, db=db if db is not None else default_db_path())
    else:
        scan = saved.load(None, db=db, scan_id=scan_id, with_changes=False, with_absent=absent)
    show_damage(scan)
    return scan


def _emit(text: str, output: Path | None, what: str) -> None:
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from lookalike.outputs import write_atomic

    write_atomic(output, text)
    err.print(shown(f"wrote {what} to {output}"), markup=False)


def _chosen(settings: Settings, source: SavedScan, explicit: bool) -> list[Protected]:
    """The protected domains to plan for: those named (each must be in the scan), else the scan's."""
    from lookalike import advice
    from lookalike.config import Protected

    scanned = {n.ascii: n for n in advice.protected_of(source.result)}
    if not settings.protected:
        if not scanned:
            raise LookalikeError(f"{source.label} names no protected domain")
        return [Protected(name) for name in scanned.values()]
    missing = [p.name.ascii for p in settings.protected if p.name.ascii not in scanned]
    if explicit and missing:
        raise LookalikeError(f"{missing[0]} was not part of {source.label}; scan it first")
    chosen = [p for p in settings.protected if p.name.ascii in scanned]
    if not chosen:
        raise LookalikeError(f"none of the configured domains is part of {source.label}")
    return chosen


# --- options shared by the three commands ----------------------------------------------------------

ADVICE_HELP = {
    "config_path": "A lookalike.toml: domains, owned names, endpoints, limits, db.",
    "db": "The scan database: a file, or a postgresql:// URL (default: the usual one).",
}
"""How ``plan``, ``blocklist`` and ``audit`` word the options they share with ``scan``."""
PLAN_HELP = {
    **ADVICE_HELP,
    "file": "Read protected domains from a file.",
    "resolver": "Resolver for registry server names.",
    "registry": "Confirm with RDAP/WHOIS (default); --no-registry: DNS absence only.",
    "technique": "Techniques the scan used; repeatable.",
    "depth": "The depth the scan used (1 or 2).",
    "keyboard": "The keyboard layouts the scan used.",
    "keywords": "The keywords file the scan used.",
}
FromJsonOpt = Annotated[
    Path | None,
    typer.Option(
        "--from-json", metavar="SCAN.json", help="Work from a scan JSON file instead.", show_default=False
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write here instead of standard output ('-' for it).", show_default=False
    ),
]
OwnedOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--owned", metavar="DOMAIN", help="A lookalike you hold (besides the config's); repeatable."
    ),
]


@app.command("plan")
@settings_options(PLAN, help=PLAN_HELP)
def plan_command(  # typer passes every option by name
    *,
    domains: Annotated[
        list[str] | None, typer.Argument(help="Protected domains of the scan to plan for (default: all).")
    ] = None,
    options: Options,
    scan_id: ScanIdOpt = None,
    from_json: FromJsonOpt = None,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            help="Names to recommend per protected domain (default: the config's plan_top, 25; 0: all).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[PlanFormat, typer.Option("--format", help="text, csv or json.")] = PlanFormat.TEXT,
    output: OutputOpt = None,
    presence: Annotated[
        list[str] | None,
        typer.Option("--presence", metavar="TLD", help="A local-presence TLD you qualify for (ca, eu ...)."),
    ] = None,
) -> None:
    """The defensive-registration plan: absent lookalikes worth registering, most urgent first.

    DNS facts come from a stored scan (or --from-json); names it did not cover are left out.

    The top of the plan is confirmed with the registry (RDAP, else WHOIS) unless --no-registry.
    """
    import asyncio

    from lookalike import advice

    try:
        if top is not None:
            TOP.check("--top", top)
        settings = options.build(domains or (), require_domains=False)
        source = _load(db=settings.db, scan_id=scan_id, from_json=from_json, absent=True)
        chosen = _chosen(settings, source, explicit=bool(domains or options.file))
        for tld in presence or ():
            if not tld.strip(" ."):
                raise LookalikeError("--presence needs a TLD, like ca or eu")
        budget = settings.plan_top if top is None else top
        made = asyncio.run(
            advice.plan_saved(
                source.result,
                settings,
                chosen,
                absent=source.absent,
                top=budget or None,
                presence=[t.strip(" .").lower() for t in presence or ()],
                cache_db=source.db,
                notify=lambda n: err.print(f"asking the registry about {n} names ...", markup=False),
            )
        )
        if made.not_scanned:
            err.print(
                f"{made.not_scanned} generated names were not covered by {shown(source.label)} "
                "(not scanned): left out",
                markup=False,
            )
        items = made.items
        from lookalike.plan import render_plan

        _emit(render_plan(items, fmt), output, f"the plan ({_count(len(items), 'name')})")
    except LookalikeError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)


@app.command("blocklist")
@settings_options(ADVICE, help=ADVICE_HELP)
def blocklist_command(  # typer passes every option by name
    *,
    options: Options,
    scan_id: ScanIdOpt = None,
    from_json: FromJsonOpt = None,
    fmt: Annotated[
        BlocklistFormat,
        typer.Option("--format", help="plain, postfix-transport, postfix-access or json."),
    ] = BlocklistFormat.PLAIN,
    output: OutputOpt = None,
    whole_tld: Annotated[
        bool,
        typer.Option(
            "--whole-tld/--no-whole-tld",
            help="Add the reviewed whole-TLD blocks for your TLDs (.ml for .mil).",
        ),
    ] = True,
    block_tld: Annotated[
        list[str] | None,
        typer.Option("--block-tld", metavar="TLD", help="Also block this whole TLD; repeatable."),
    ] = None,
    owned: OwnedOpt = None,
) -> None:
    """Lookalikes that can receive mail and are not yours, for your outbound mail gateway."""
    from lookalike import advice

    try:
        settings = options.build(require_domains=False)
        source = _load(db=settings.db, scan_id=scan_id, from_json=from_json)
        if not advice.protected_of(source.result):
            raise LookalikeError(f"{source.label} names no protected domain")
        entries = advice.blocklist_for(
            source.result,
            triage=source.triage,
            owned=[*settings.owned(), *advice.owned_of(source.result, owned or ())],
            whole_tld=whole_tld,
            also_block=block_tld or (),
        )
        from lookalike.plan import render_blocklist

        _emit(render_blocklist(entries, fmt), output, f"the blocklist ({_summary(entries)})")
    except LookalikeError as exc:
        fail(str(exc))


def _summary(entries: Sequence[BlockEntry]) -> str:
    tlds = sum(1 for e in entries if e.whole_tld)
    return f"{_count(len(entries) - tlds, 'domain')}, {_count(tlds, 'whole TLD')}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@app.command("audit")
@settings_options(ADVICE, help=ADVICE_HELP)
def audit_command(  # typer passes every option by name
    *,
    options: Options,
    scan_id: ScanIdOpt = None,
    from_json: FromJsonOpt = None,
    fmt: Annotated[
        AuditFormat, typer.Option("--format", help="text, zone (records to publish) or json.")
    ] = AuditFormat.TEXT,
    output: OutputOpt = None,
    owned: OwnedOpt = None,
) -> None:
    """Check that the lookalikes you hold refuse mail, cannot send it, and redirect home."""
    from lookalike import advice

    try:
        settings = options.build(require_domains=False)
        source = _load(db=settings.db, scan_id=scan_id, from_json=from_json)
        audits = advice.audit_for(
            source.result,
            triage=source.triage,
            owned=[*settings.owned(), *advice.owned_of(source.result, owned or ())],
        )
        bad = sum(1 for a in audits if not a.ok)
        from lookalike.plan import render_audit

        _emit(
            render_audit(audits, fmt),
            output,
            f"the audit ({_count(len(audits), 'name')}, {bad} to fix)",
        )
    except LookalikeError as exc:
        fail(str(exc))
