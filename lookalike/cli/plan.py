"""Commands: ``plan``, ``blocklist`` and ``audit``: what to register, what to block, what to fix.

Thin: ``load_scan`` decides where the facts come from (the history database's latest complete scan,
``--scan ID``, or a scan JSON file with ``--from-json``); the pure functions of ``lookalike.plan`` build
the answer; ``plan`` alone talks to the network, to confirm with the registry the few names it would
recommend (absent from the DNS is not available: held names are not delegated). Output goes to
standard output or, atomically, to ``--output``; notes go to standard error.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer

from lookalike import config
from lookalike import plan as planning
from lookalike.cli.app import EXIT_INTERRUPTED, app, err, fail
from lookalike.config import Protected, Settings
from lookalike.errors import LookalikeError
from lookalike.model import (
    BlockEntry,
    Candidate,
    Outcome,
    PlanItem,
    Registration,
    ScanResult,
    TriageMark,
)
from lookalike.names import Name, parse
from lookalike.plan import AuditFormat, BlocklistFormat, PlanFormat

CONFIRM_MARGIN = 0.25
"""Names asked about beyond ``--top`` (at least 5 more), so the budget is still filled when some of
the top names turn out to be held."""
CONFIRM_ALL = 100
"""With ``--top 0`` (everything), the registry is asked about this many names per protected domain."""


@dataclass(frozen=True, slots=True)
class ScanSource:
    """One scan's facts, and what the history database adds to them."""

    result: ScanResult
    label: str
    """How to name the source in messages: ``scan 7 in /path/db`` or the JSON file's path."""
    absent: frozenset[tuple[str, str]] | None = None
    """(domain, protected) the scan found absent; None for a scan JSON file (it lists no absent names)."""
    triage: Mapping[str, TriageMark] = field(default_factory=dict)
    db: Path | None = None
    """The database that exists and may cache registry answers; None when there is none."""


def load_scan(*, db: Path | None, scan_id: int | None, from_json: Path | None) -> ScanSource:
    """The scan to work from: ``from_json``, else ``scan_id`` in ``db``, else ``db``'s latest complete scan.
    With a JSON file, triage marks come from ``db`` when that database exists."""
    from lookalike.cli.report import read_scan_json
    from lookalike.store import Store, default_db_path

    if from_json is not None and scan_id is not None:
        raise LookalikeError("give either --from-json FILE or --scan ID, not both")
    path = db if db is not None else default_db_path()
    if from_json is not None:
        result = read_scan_json(from_json)
        if not path.is_file():
            return ScanSource(result, str(from_json))
        with Store.open(path, create=False) as store:
            return ScanSource(result, str(from_json), triage=store.triage(), db=path)
    with Store.open(path, create=False) as store:
        if scan_id is None:
            scan_id = store.latest_scan() or store.latest_scan(finished=False)
            if scan_id is None:
                raise LookalikeError(f"{store.path} holds no scans yet; run `lookalike scan` first")
        result = store.load_scan(scan_id)
        return ScanSource(
            result, f"scan {scan_id} in {store.path}", frozenset(store.absent(scan_id)), store.triage(), path
        )


def scan_protected(result: ScanResult) -> list[Name]:
    """The protected domains a scan covered, in the order it lists them."""
    domains = [p.domain for p in result.info.protected]
    domains += [r.domain for r in result.references]
    domains += [f.candidate.protected for f in result.findings]
    return [parse(d) for d in dict.fromkeys(domains)]


def _owned(settings: Settings, result: ScanResult, extra: Iterable[str]) -> set[str]:
    owned = {d for ref in result.references for d in ref.owned} | set(settings.owned())
    return owned | {parse(d).ascii for d in extra}


def _emit(text: str, output: Path | None, what: str) -> None:
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from lookalike.outputs import write_atomic

    write_atomic(output, text)
    err.print(f"wrote {what} to {output}", markup=False)


def _settings(
    *,
    config_path: Path | None,
    domains: Sequence[str] = (),
    file: Path | None = None,
    db: Path | None = None,
    **options: object,
) -> Settings:
    from lookalike.cli.scan import build_settings

    return build_settings(
        config_path=config_path,
        domains=domains,
        file=file,
        require_domains=False,
        db=db,
        **options,  # type: ignore[arg-type]
    )


def _chosen(settings: Settings, source: ScanSource, explicit: bool) -> list[Protected]:
    """The protected domains to plan for: those named (each must be in the scan), else the scan's."""
    scanned = {n.ascii: n for n in scan_protected(source.result)}
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


async def confirm(
    names: Sequence[str], settings: Settings, cache_db: Path | None
) -> dict[str, Outcome[Registration]]:
    """Ask the registry (RDAP, else WHOIS) about ``names``; cache definite answers in ``cache_db``."""
    from lookalike.registry import Registry
    from lookalike.store import Store

    if not names:
        return {}
    with ExitStack() as stack:
        cache = stack.enter_context(Store.open(cache_db, create=False)) if cache_db is not None else None
        async with Registry(settings.endpoints, settings.limits, cache=cache) as registry:
            answers = await asyncio.gather(*(registry.lookup(n) for n in names))
    return dict(zip(names, answers, strict=True))


def build_plan(
    settings: Settings,
    source: ScanSource,
    chosen: Sequence[Protected],
    *,
    top: int,
    presence: Sequence[str],
) -> tuple[list[PlanItem], int, int]:
    """The merged plan of every chosen domain (``top`` per domain), with how many generated names the
    scan did not cover and how many names the registry was asked about."""
    from lookalike.permute import generate

    ours = {p.name.ascii for p in chosen}
    per_domain: list[list[Candidate]] = []
    for protected in chosen:
        options = config.domain_options(settings, protected)
        per_domain.append([c for c in generate(protected.name, options) if c.domain not in ours])
    every = [c for cands in per_domain for c in cands]
    existence = planning.scan_existence(source.result, every, absent=source.absent)
    not_scanned = len({c.domain for c in every if c.domain not in existence})

    ask: list[str] = []
    if settings.registry:
        budget = top + max(5, round(top * CONFIRM_MARGIN)) if top else CONFIRM_ALL
        for cands in per_domain:
            ask += planning.plan_candidates_to_confirm(cands, existence=existence, top=budget)
        ask = list(dict.fromkeys(ask))
    availability: Mapping[str, Outcome[Registration]] = {}
    if ask:
        err.print(f"asking the registry about {len(ask)} names ...", markup=False)
        availability = asyncio.run(confirm(ask, settings, source.db))

    items: list[PlanItem] = []
    for cands in per_domain:
        items += planning.plan(
            cands, existence=existence, availability=availability, top=top or None, presence=presence
        )
    return planning.rank(_dedupe(items)), not_scanned, len(ask)


def _dedupe(items: Iterable[PlanItem]) -> list[PlanItem]:
    """One item per name when two protected domains share a lookalike: the higher priority wins."""
    best: dict[str, PlanItem] = {}
    for item in items:
        if item.domain not in best or item.priority > best[item.domain].priority:
            best[item.domain] = item
    return list(best.values())


# --- options shared by the three commands ----------------------------------------------------------

DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db", metavar="PATH", help="The scan database (default: the usual one).", show_default=False
    ),
]
ScanOpt = Annotated[
    int | None,
    typer.Option(
        "--scan", metavar="ID", help="A stored scan's id (default: the latest).", min=1, show_default=False
    ),
]
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
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="A lookalike.toml: domains, owned names, endpoints, limits, db."),
]
OwnedOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--owned", metavar="DOMAIN", help="A lookalike you hold (besides the config's); repeatable."
    ),
]


@app.command("plan")
def plan_command(  # typer passes every option by name
    *,
    domains: Annotated[
        list[str] | None, typer.Argument(help="Protected domains of the scan to plan for (default: all).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read protected domains from a file.")
    ] = None,
    config_path: ConfigOpt = None,
    db: DbOpt = None,
    scan_id: ScanOpt = None,
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
    no_registry: Annotated[
        bool, typer.Option("--no-registry", help="Do not confirm with RDAP/WHOIS: DNS absence only.")
    ] = False,
    resolver: Annotated[
        list[str] | None, typer.Option("--resolver", "-r", help="Resolver for registry server names.")
    ] = None,
    rdap_bootstrap: Annotated[
        Path | None, typer.Option("--rdap-bootstrap", help="An IANA RDAP bootstrap file (dns.json) to use.")
    ] = None,
    whois_server: Annotated[
        list[str] | None, typer.Option("--whois-server", help="WHOIS server for a TLD: TLD=HOST[:PORT].")
    ] = None,
    whois_iana: Annotated[
        str | None, typer.Option("--whois-iana", help="HOST[:PORT] asked for a TLD's WHOIS server; 'none'.")
    ] = None,
    presence: Annotated[
        list[str] | None,
        typer.Option("--presence", metavar="TLD", help="A local-presence TLD you qualify for (ca, eu ...)."),
    ] = None,
    technique: Annotated[
        list[str] | None, typer.Option("--technique", "-t", help="Techniques the scan used; repeatable.")
    ] = None,
    depth: Annotated[int | None, typer.Option("--depth", help="The depth the scan used (1 or 2).")] = None,
    keywords: Annotated[
        Path | None, typer.Option("--keywords", help="The keywords file the scan used.")
    ] = None,
) -> None:
    """The defensive-registration plan: absent lookalikes worth registering, most urgent first.

    DNS facts come from a stored scan (or --from-json); names it did not cover are left out.

    The top of the plan is confirmed with the registry (RDAP, else WHOIS) unless --no-registry.
    """
    try:
        if top is not None and top < 0:
            raise LookalikeError("--top must be 0 (everything) or more")
        settings = _settings(
            config_path=config_path,
            domains=domains or (),
            file=file,
            db=db,
            resolver=resolver,
            technique=technique,
            depth=depth,
            keywords=keywords,
            registry=False if no_registry else None,
            rdap_bootstrap=rdap_bootstrap,
            whois_server=whois_server,
            whois_iana=whois_iana,
        )
        source = load_scan(db=settings.db, scan_id=scan_id, from_json=from_json)
        chosen = _chosen(settings, source, explicit=bool(domains or file))
        for tld in presence or ():
            if not tld.strip(" ."):
                raise LookalikeError("--presence needs a TLD, like ca or eu")
        budget = settings.plan_top if top is None else top
        items, not_scanned, _asked = build_plan(
            settings, source, chosen, top=budget, presence=[t.strip(" .").lower() for t in presence or ()]
        )
        if not_scanned:
            err.print(
                f"{not_scanned} generated names were not covered by {source.label} (not scanned): left out",
                markup=False,
            )
        _emit(planning.render_plan(items, fmt), output, f"the plan ({_count(len(items), 'name')})")
    except LookalikeError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)


@app.command("blocklist")
def blocklist_command(  # typer passes every option by name
    *,
    config_path: ConfigOpt = None,
    db: DbOpt = None,
    scan_id: ScanOpt = None,
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
    try:
        settings = _settings(config_path=config_path, db=db)
        source = load_scan(db=settings.db, scan_id=scan_id, from_json=from_json)
        protected = scan_protected(source.result)
        if not protected:
            raise LookalikeError(f"{source.label} names no protected domain")
        mine = _owned(settings, source.result, owned or ())
        entries = planning.blocklist(
            source.result.findings, protected=protected, triage=source.triage, owned=mine, whole_tld=whole_tld
        )
        if block_tld:
            extra = planning.blocklist([], protected=protected, whole_tld=block_tld)
            known = {e.domain for e in entries}
            entries = sorted(
                [*entries, *(e for e in extra if e.domain not in known)],
                key=lambda e: (not e.whole_tld, e.domain),
            )
        _emit(planning.render_blocklist(entries, fmt), output, f"the blocklist ({_summary(entries)})")
    except LookalikeError as exc:
        fail(str(exc))


def _summary(entries: Sequence[BlockEntry]) -> str:
    tlds = sum(1 for e in entries if e.whole_tld)
    return f"{_count(len(entries) - tlds, 'domain')}, {_count(tlds, 'whole TLD')}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@app.command("audit")
def audit_command(  # typer passes every option by name
    *,
    config_path: ConfigOpt = None,
    db: DbOpt = None,
    scan_id: ScanOpt = None,
    from_json: FromJsonOpt = None,
    fmt: Annotated[
        AuditFormat, typer.Option("--format", help="text, zone (records to publish) or json.")
    ] = AuditFormat.TEXT,
    output: OutputOpt = None,
    owned: OwnedOpt = None,
) -> None:
    """Check that the lookalikes you hold refuse mail, cannot send it, and redirect home."""
    try:
        settings = _settings(config_path=config_path, db=db)
        source = load_scan(db=settings.db, scan_id=scan_id, from_json=from_json)
        mine = _owned(settings, source.result, owned or ())
        audits = planning.audit(source.result.findings, triage=source.triage, owned=mine)
        bad = sum(1 for a in audits if not a.ok)
        _emit(
            planning.render_audit(audits, fmt),
            output,
            f"the audit ({_count(len(audits), 'name')}, {bad} to fix)",
        )
    except LookalikeError as exc:
        fail(str(exc))


__all__ = [
    "AuditFormat",
    "BlocklistFormat",
    "PlanFormat",
    "ScanSource",
    "audit_command",
    "blocklist_command",
    "build_plan",
    "confirm",
    "load_scan",
    "plan_command",
    "scan_protected",
]
