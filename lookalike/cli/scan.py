"""Commands: ``scan``, ``lookup``, ``demo`` and ``init``.

Option handling only: options become ``Settings`` (over a ``--config`` file), the library does the
work, and this module draws the progress bar, the summary and the exit code.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer

from lookalike import config, export
from lookalike.cli.app import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    app,
    err,
    fail,
    out,
    protected_names,
    resolvers,
    whois_servers,
)
from lookalike.cli.database import print_damage
from lookalike.cli.progress import ScanProgress
from lookalike.cli.summary import print_finding, print_summary
from lookalike.config import Settings
from lookalike.endpoints import HostPort
from lookalike.errors import LookalikeError
from lookalike.scan import lookup as lookup_one
from lookalike.schedule import ScheduledScan, fail_on_reasons
from lookalike.smtp import check_helo
from lookalike.store import default_db_path
from lookalike.store.location import label as location_label
from lookalike.store.location import parse as parse_location
from lookalike.text import escape_json, shown

DEMO_TOOLS = ("aiosmtpd", "trustme")
"""What the demo universe's mail and TLS servers need: the ``demo`` extra, not a scan's dependency."""

DomainsArg = Annotated[
    list[str] | None, typer.Argument(help="Protected domains (army.mil, mail.example.org ...).")
]
FileOpt = Annotated[
    Path | None, typer.Option("--file", "-f", help="Read protected domains from a file, one per line.")
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="A lookalike.toml (see `lookalike init`).")
]
ResolverOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--resolver", "-r", help="Resolver ADDR[:PORT]; repeat for several. Default: /etc/resolv.conf."
    ),
]
TechniqueOpt = Annotated[
    list[str] | None,
    typer.Option("--technique", "-t", help="Only this technique; repeatable (see `techniques`)."),
]
HeloOpt = Annotated[
    str | None,
    typer.Option(
        "--helo",
        help="Name the SMTP probe gives in EHLO; one with an address record gets past servers that "
        "refuse unknown names (default lookalike.invalid).",
    ),
]
WhoisOpt = Annotated[
    list[str] | None,
    typer.Option("--whois-server", help="WHOIS server for a TLD: TLD=HOST[:PORT]; repeatable."),
]


def build_settings(
    *,
    config_path: Path | None,
    domains: Sequence[str] = (),
    file: Path | None = None,
    require_domains: bool = True,
    resolver: Sequence[str] | None = None,
    technique: Sequence[str] | None = None,
    depth: int | None = None,
    keyboard: Sequence[str] | None = None,
    keywords: Path | None = None,
    concurrency: int | None = None,
    fixed_window: bool | None = None,
    qps: float | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    registry: bool | None = None,
    rdap_bootstrap: Path | None = None,
    whois_server: Sequence[str] | None = None,
    whois_iana: str | None = None,
    smtp: bool | None = None,
    http: bool | None = None,
    allow_private: bool | None = None,
    smtp_port: int | None = None,
    http_port: int | None = None,
    https_port: int | None = None,
    helo: str | None = None,
    db: str | None = None,
    report: Path | None = None,
    json_path: Path | None = None,
    csv_path: Path | None = None,
    fail_on: Sequence[str] | None = None,
    plan_top: int | None = None,
    broker: str | None = None,
    unit_size: int | None = None,
    queue: str | None = None,
) -> Settings:
    """Settings from the config file (if any) with the command line's values on top."""
    from lookalike.permute import check_options, load_keywords

    settings = config.load(config_path) if config_path is not None else Settings()
    names = list(domains)
    if names or file is not None:
        settings = config.merge_protected(settings, protected_names(names, file))
    if require_domains and not settings.protected:
        raise LookalikeError("give at least one domain, --file PATH, or --config with [[domains]]")
    for value, name in ((concurrency, "--concurrency"), (depth, "--depth"), (retries, "--retries")):
        if value is not None and value < (0 if name == "--retries" else 1):
            raise LookalikeError(f"{name} must be at least {0 if name == '--retries' else 1}")
    if timeout is not None and timeout <= 0:
        raise LookalikeError("--timeout must be more than 0 seconds")
    if qps is not None and qps < 0:
        raise LookalikeError("--qps must be 0 (no limit) or more")
    for port, name in ((smtp_port, "--smtp-port"), (http_port, "--http-port"), (https_port, "--https-port")):
        if port is not None and not 0 < port < 65536:
            raise LookalikeError(f"{name} must be a port number from 1 to 65535")
    if unit_size is not None and unit_size < 1:
        raise LookalikeError("--unit-size must be at least 1")
    if depth is not None and depth not in (1, 2):
        raise LookalikeError("--depth must be 1 or 2")
    whois = dict(settings.endpoints.whois_servers)
    if whois_server:
        whois.update(whois_servers(whois_server))
    settings = config.override(
        settings,
        endpoints__resolvers=resolvers(resolver) if resolver else None,
        endpoints__rdap_bootstrap=rdap_bootstrap,
        endpoints__whois_servers=whois if whois_server else None,
        endpoints__smtp_port=smtp_port,
        endpoints__http_port=http_port,
        endpoints__https_port=https_port,
        endpoints__helo_name=check_helo(helo) if helo is not None else None,
        generate__techniques=config.techniques_from(technique, "--technique") if technique else None,
        generate__depth=depth,
        generate__keyboards=tuple(keyboard) if keyboard else None,
        generate__keywords=load_keywords(keywords) if keywords is not None else None,
        limits__concurrency=concurrency,
        limits__fixed_window=fixed_window,
        limits__qps=qps,
        limits__timeout=timeout,
        limits__retries=retries,
        registry=registry,
        smtp=smtp,
        http=http,
        allow_private=allow_private,
        db=parse_location(db) if db is not None else None,
        report=report,
        json=json_path,
        csv=csv_path,
        fail_on=config.check_fail_on(fail_on) if fail_on else None,
        plan_top=plan_top,
        broker=broker or None,
        unit_size=unit_size,
        queue=queue or None,
    )
    check_options(settings.generate)  # an unknown --keyboard: one line now, not an empty scan later
    if whois_iana is not None:  # "none" must clear the server, which override() reads as "not given"
        iana = None if whois_iana.lower() in ("", "none", "off") else HostPort.parse(whois_iana, 43)
        settings = dataclasses.replace(
            settings, endpoints=dataclasses.replace(settings.endpoints, whois_iana=iana)
        )
    return settings


@app.command()
def scan(  # noqa: PLR0917  (typer maps each parameter to an option)
    domains: DomainsArg = None,
    file: FileOpt = None,
    config_path: ConfigOpt = None,
    resolver: ResolverOpt = None,
    technique: TechniqueOpt = None,
    depth: Annotated[
        int | None, typer.Option("--depth", help="1, or 2 for two-technique combinations.")
    ] = None,
    keyboard: Annotated[list[str] | None, typer.Option("--keyboard", help="qwerty, qwertz, azerty.")] = None,
    keywords: Annotated[
        Path | None, typer.Option("--keywords", help="Extra brand keywords, one per line.")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", help="Most DNS queries in flight (the window's ceiling).")
    ] = None,
    fixed_window: Annotated[
        bool | None,
        typer.Option(
            "--fixed-window/--adaptive-window",
            help="Keep --concurrency queries in flight instead of adapting to each resolver.",
        ),
    ] = None,
    qps: Annotated[float | None, typer.Option("--qps", help="Queries/s per resolver (0: no limit).")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Seconds per DNS try.")] = None,
    retries: Annotated[
        int | None, typer.Option("--retries", help="DNS retries after a timeout/SERVFAIL.")
    ] = None,
    registry: Annotated[
        bool | None, typer.Option("--registry/--no-registry", help="RDAP/WHOIS lookups (default on).")
    ] = None,
    rdap_bootstrap: Annotated[
        Path | None, typer.Option("--rdap-bootstrap", help="An IANA RDAP bootstrap file (dns.json) to use.")
    ] = None,
    whois_server: WhoisOpt = None,
    whois_iana: Annotated[
        str | None,
        typer.Option("--whois-iana", help="HOST[:PORT] asked for a TLD's WHOIS server; 'none' to skip."),
    ] = None,
    smtp: Annotated[
        bool | None, typer.Option("--smtp/--no-smtp", help="Probe mail servers (never sends a message).")
    ] = None,
    http: Annotated[bool | None, typer.Option("--http/--no-http", help="Probe web servers.")] = None,
    allow_private: Annotated[
        bool | None,
        typer.Option(
            "--allow-private/--no-allow-private", help="Let probes connect to private/loopback addresses."
        ),
    ] = None,
    smtp_port: Annotated[
        int | None, typer.Option("--smtp-port", help="SMTP port to probe (default 25).")
    ] = None,
    http_port: Annotated[
        int | None, typer.Option("--http-port", help="HTTP port to probe (default 80).")
    ] = None,
    https_port: Annotated[int | None, typer.Option("--https-port", help="HTTPS port (default 443).")] = None,
    helo: HeloOpt = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="HTML report path (default reports/lookalike-<time>.html)."),
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the scan JSON here.")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write findings as CSV here.")] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH|URL",
            help="The history: an SQLite file, or a postgresql:// URL (default ~/.local/share/...).",
        ),
    ] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Keep no history: no resume, and every run is a first scan.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish the last interrupted scan of these domains.")
    ] = False,
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on", help="Exit 1 on: new, changed, escalated, critical, high, medium, unknown."
        ),
    ] = None,
    plan_top: Annotated[
        int | None, typer.Option("--plan-top", help="Absent names per domain to confirm for the plan.")
    ] = None,
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker",
            metavar="URL",
            help="Split the scan over `lookalike worker`s through this Redis broker (needs --db postgresql://).",
        ),
    ] = None,
    unit_size: Annotated[
        int | None, typer.Option("--unit-size", help="Candidates per unit of work for the workers.")
    ] = None,
    queue: Annotated[
        str | None, typer.Option("--queue", help="The queue the workers read (default lookalike).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Generate lookalikes, resolve them, and report who can receive your mail there."""
    settings = build_settings(
        config_path=config_path,
        domains=domains or (),
        file=file,
        resolver=resolver,
        technique=technique,
        depth=depth,
        keyboard=keyboard,
        keywords=keywords,
        concurrency=concurrency,
        fixed_window=fixed_window,
        qps=qps,
        timeout=timeout,
        retries=retries,
        registry=registry,
        rdap_bootstrap=rdap_bootstrap,
        whois_server=whois_server,
        whois_iana=whois_iana,
        smtp=smtp,
        http=http,
        allow_private=allow_private,
        smtp_port=smtp_port,
        http_port=http_port,
        https_port=https_port,
        helo=helo,
        db=db,
        report=report,
        json_path=json_path,
        csv_path=csv_path,
        fail_on=fail_on,
        plan_top=plan_top,
        broker=broker,
        unit_size=unit_size,
        queue=queue,
    )
    job = ScheduledScan(settings, store=not no_store, resume=resume)
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


@app.command()
def lookup(  # noqa: PLR0917  (typer maps each parameter to an option)
    domain: Annotated[str, typer.Argument(help="The name to look at (any form: URL, address, Unicode).")],
    protected: Annotated[
        str | None, typer.Option("--protected", "-p", help="Compare with this protected domain (ownership).")
    ] = None,
    config_path: ConfigOpt = None,
    resolver: ResolverOpt = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Seconds per DNS try.")] = None,
    registry: Annotated[
        bool | None, typer.Option("--registry/--no-registry", help="RDAP/WHOIS lookups.")
    ] = None,
    rdap_bootstrap: Annotated[
        Path | None, typer.Option("--rdap-bootstrap", help="RDAP bootstrap file.")
    ] = None,
    whois_server: WhoisOpt = None,
    whois_iana: Annotated[str | None, typer.Option("--whois-iana", help="'none' to skip referrals.")] = None,
    smtp: Annotated[bool | None, typer.Option("--smtp/--no-smtp", help="Probe its mail servers.")] = None,
    http: Annotated[bool | None, typer.Option("--http/--no-http", help="Probe its web server.")] = None,
    allow_private: Annotated[
        bool | None, typer.Option("--allow-private/--no-allow-private", help="Allow private addresses.")
    ] = None,
    smtp_port: Annotated[int | None, typer.Option("--smtp-port", help="SMTP port.")] = None,
    http_port: Annotated[int | None, typer.Option("--http-port", help="HTTP port.")] = None,
    https_port: Annotated[int | None, typer.Option("--https-port", help="HTTPS port.")] = None,
    helo: HeloOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Show everything known about one name: DNS, registration and (opt-in) probes."""
    if fmt not in ("text", "json"):
        raise LookalikeError("--format must be text or json")
    settings = build_settings(
        config_path=config_path,
        require_domains=False,
        resolver=resolver,
        timeout=timeout,
        registry=registry,
        rdap_bootstrap=rdap_bootstrap,
        whois_server=whois_server,
        whois_iana=whois_iana,
        smtp=smtp,
        http=http,
        allow_private=allow_private,
        smtp_port=smtp_port,
        http_port=http_port,
        https_port=https_port,
        helo=helo,
    )
    reference = None
    if protected is not None:
        settings = config.merge_protected(settings, protected_names([protected], None))
        wanted = protected_names([protected], None)[0].ascii
        reference = next(p for p in settings.protected if p.name.ascii == wanted)
    finding, _ = asyncio.run(lookup_one(domain, settings, protected=reference))
    if fmt == "json":
        document = json.dumps(export.finding_record(finding), indent=2, ensure_ascii=False)
        out.print(escape_json(document), markup=False)
    else:
        print_finding(finding, console=out)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the example.")] = Path("lookalike.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example lookalike.toml to start from."""
    if path.exists() and not force:
        raise LookalikeError(f"{path} exists; use --force to overwrite it")
    try:
        path.write_text(config.EXAMPLE, encoding="utf-8")
    except OSError as exc:
        raise LookalikeError(f"cannot write {path}: {exc.strerror or exc}") from exc
    err.print(
        f"wrote {path}: edit [[domains]] and [scan] resolvers, then run `lookalike scan --config {path}`"
    )


@app.command()
def demo(
    report: Annotated[Path, typer.Option("--report", help="Where to write the HTML report.")] = Path(
        "reports/demo.html"
    ),
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the scan JSON.")] = Path(
        "reports/demo.json"
    ),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Scan the bundled offline universe (synthetic data, loopback only) and write a report."""
    for tool in DEMO_TOOLS:
        try:
            importlib.import_module(tool)
        except ImportError:
            fail(f"the demo needs {tool}, which is not installed: pip install 'lookalike[demo]'")
    from lookalike.demo.universe import run_demo

    progress = ScanProgress(enabled=not quiet)
    status: Callable[[str], None] = (lambda _m: None) if quiet else err.print
    with progress:
        outcome = run_demo(report=report, json_path=json_path, progress=progress.update, status=status)
    if not quiet:
        print_summary(outcome.run, outcome.changes, outcome.written, console=err, triage=outcome.triage)
