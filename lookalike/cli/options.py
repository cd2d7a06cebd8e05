"""The command-line options that become ``Settings``: each declared once, with the setting it sets.

``Options`` is one typed object holding every such option; a field is None when the option was not
given, so the config file's value (or the default) stands. Each field says its flags and help, the
``Settings`` field it sets (``sets="limits.timeout"``), how its text becomes that setting's value
(``parse``) and the ``Group`` it belongs to. A command takes whole groups::

    @app.command()
    @settings_options(LOOKUP)
    def lookup(domain: ..., *, options: Options, fmt: ...) -> None:
        settings = options.build(require_domains=False)

``settings_options`` puts the groups' options where the ``options`` parameter stands in the
command's signature (typer sees ordinary options) and hands the command one ``Options``.
``Options.build`` reads the config file, adds the protected domains, and applies the options given
through ``config.apply``: ``Settings``, ``Limits`` and ``Endpoints`` check every value themselves, so
``--timeout inf`` is refused with the same line as ``timeout = inf`` in the file.

Adding an option is one field here (and, when the setting is new, one field in ``Settings``,
``Limits`` or ``Endpoints``; a ``Limits`` field is also a ``[limits]`` key of the config file)::

    helo: Annotated[
        str | None, option("--helo", help="The name given in EHLO.", sets="endpoints.helo_name",
                              group=Group.PROBES)
    ] = None

Every command that takes the group (``scan`` and ``lookup`` for ``PROBES``) then has it.

Must not: hold a rule about a value (the settings hold those), or print.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Flag, auto
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.models import OptionInfo

from lookalike.cli.app import protected_names, resolvers, whois_servers
from lookalike.errors import LookalikeError

if TYPE_CHECKING:
    from lookalike.config import Settings
    from lookalike.endpoints import HostPort

__all__ = [
    "ADVICE",
    "LOOKUP",
    "PLAN",
    "SCAN",
    "WATCH",
    "Group",
    "Opt",
    "Options",
    "Spec",
    "option",
    "settings_options",
    "specs",
]


class Group(Flag):
    """What an option is about; a command takes whole groups."""

    DOMAINS = auto()
    """``--file``: protected domains from a file."""
    CONFIG = auto()
    """``--config``: the ``lookalike.toml`` the other options override."""
    GENERATE = auto()
    """Which lookalikes: techniques, depth, keyboards, keywords."""
    DNS = auto()
    """Resolvers, and how hard to ask them."""
    REGISTRY = auto()
    """RDAP and WHOIS."""
    PROBES = auto()
    """SMTP and HTTP probes."""
    OUTPUTS = auto()
    """What a scan writes and when it fails: report, JSON, CSV, --fail-on, the plan's size."""
    HISTORY = auto()
    """The scan database."""
    WORKERS = auto()
    """A scan split over ``lookalike worker``s: the broker, the queue, the size of a unit."""


SCAN = Group.DOMAINS | Group.CONFIG | Group.GENERATE | Group.DNS | Group.REGISTRY | Group.PROBES
SCAN |= Group.OUTPUTS | Group.HISTORY | Group.WORKERS
LOOKUP = Group.CONFIG | Group.DNS | Group.REGISTRY | Group.PROBES
PLAN = Group.DOMAINS | Group.CONFIG | Group.HISTORY | Group.GENERATE | Group.DNS | Group.REGISTRY
ADVICE = Group.CONFIG | Group.HISTORY
"""``blocklist`` and ``audit``: the config's owned names and database."""
WATCH = SCAN & ~Group.WORKERS
"""``watch ct`` and ``watch zone``: a scan's options; the feeds' matches are scanned in the process."""

Parse = Callable[[Any, "Settings"], Any]
"""An option's value (as typer gives it) and the settings so far -> the setting's new value."""


@dataclass(frozen=True, slots=True)
class Opt:
    """What ``option`` declares: typer's option, the group, the setting it sets and how."""

    info: OptionInfo
    group: Group
    sets: str | None
    """The ``Settings`` field path it sets (``limits.timeout``); None: ``build`` uses it itself."""
    parse: Parse | None
    """Its value (as typer gives it) and the settings so far -> the setting's value; None: as given."""


@dataclass(frozen=True, slots=True)
class Spec:
    """One field of ``Options``: its name, its type, and its ``Opt``."""

    name: str
    hint: Any
    opt: Opt

    @property
    def flags(self) -> tuple[str, ...]:
        """The option's names as declared: ``("--registry/--no-registry",)``, ``("--file", "-f")``."""
        first = self.opt.info.default  # in ``Annotated``, typer keeps the first name here
        rest = tuple(self.opt.info.param_decls or ())
        return (first, *rest) if isinstance(first, str) else rest

    def declaration(self, help_text: str | None = None) -> Any:
        """The parameter annotation typer reads: ``Annotated[hint, typer.Option(...)]``."""
        info = self.opt.info
        if help_text is not None:
            info = copy.copy(info)
            info.help = help_text
        return Annotated[self.hint, info]


def option(
    *flags: str,
    help: str,
    group: Group,
    sets: str | None = None,
    parse: Parse | None = None,
    metavar: str | None = None,
) -> Opt:
    """Declare an ``Options`` field (in its ``Annotated``): the option's ``flags`` and ``help``, its
    ``group``, the setting it ``sets`` and how its value is parsed (default: as typer gives it)."""
    info = typer.Option(*flags, help=help, metavar=metavar, show_default=False)
    return Opt(info, group, sets, parse)


# Each ``parse`` is a named function: the annotations holding them are evaluated with the class's
# namespace as globals (``typing.get_type_hints``), where a lambda would not find this module's names.


def _resolvers(values: Sequence[str], _settings: Settings) -> tuple[HostPort, ...]:
    return resolvers(values)


def _keyboards(values: Sequence[str], _settings: Settings) -> tuple[str, ...]:
    return tuple(values)


def _fail_on(values: Sequence[str], _settings: Settings) -> tuple[str, ...]:
    from lookalike import config

    return config.check_fail_on(values)


def _location(text: str, _settings: Settings) -> Path | str:
    """``--db``: a path, or a ``postgresql://`` URL kept as text (``store.location.parse``)."""
    from lookalike.store.location import parse

    return parse(text)


def _techniques(values: Sequence[str], _settings: Settings) -> Any:
    from lookalike import config

    return config.techniques_from(values, "--technique")


def _keywords(path: Path, _settings: Settings) -> tuple[str, ...]:
    from lookalike.permute import load_keywords

    return load_keywords(path)


def _whois_servers(values: Sequence[str], settings: Settings) -> Mapping[str, HostPort]:
    """``--whois-server`` values on top of the config file's."""
    return MappingProxyType({**settings.endpoints.whois_servers, **whois_servers(values)})


def _or_none(text: str, _settings: Settings) -> str | None:
    """A text option where "" means "not set" (``--broker ""`` scans in this process)."""
    return text.strip() or None


def _whois_iana(text: str, _settings: Settings) -> HostPort | None:
    """``--whois-iana HOST[:PORT]``; ``none`` (or ``off``, ``""``) asks no IANA server."""
    from lookalike.endpoints import HostPort

    return None if text.strip().lower() in ("", "none", "off") else HostPort.parse(text, 43)


@dataclass(frozen=True, slots=True)
class Options:
    """Every command-line option that becomes a setting; None when not given."""

    file: Annotated[
        Path | None,
        option("--file", "-f", help="Read protected domains from a file, one per line.", group=Group.DOMAINS),
    ] = None
    config_path: Annotated[
        Path | None,
        option("--config", "-c", help="A lookalike.toml (see `lookalike init`).", group=Group.CONFIG),
    ] = None
    resolver: Annotated[
        list[str] | None,
        option(
            "--resolver",
            "-r",
            help="Resolver ADDR[:PORT]; repeat for several. Default: /etc/resolv.conf.",
            group=Group.DNS,
            sets="endpoints.resolvers",
            parse=_resolvers,
        ),
    ] = None
    technique: Annotated[
        list[str] | None,
        option(
            "--technique",
            "-t",
            help="Only this technique; repeatable (see `techniques`).",
            group=Group.GENERATE,
            sets="generate.techniques",
            parse=_techniques,
        ),
    ] = None
    depth: Annotated[
        int | None,
        option(
            "--depth",
            help="1, or 2 for two-technique combinations.",
            group=Group.GENERATE,
            sets="generate.depth",
        ),
    ] = None
    keyboard: Annotated[
        list[str] | None,
        option(
            "--keyboard",
            help="qwerty, qwertz, azerty.",
            group=Group.GENERATE,
            sets="generate.keyboards",
            parse=_keyboards,
        ),
    ] = None
    keywords: Annotated[
        Path | None,
        option(
            "--keywords",
            help="Extra brand keywords, one per line.",
            group=Group.GENERATE,
            sets="generate.keywords",
            parse=_keywords,
        ),
    ] = None
    concurrency: Annotated[
        int | None,
        option(
            "--concurrency",
            help="Most DNS queries in flight (the window's ceiling).",
            group=Group.DNS,
            sets="limits.concurrency",
        ),
    ] = None
    fixed_window: Annotated[
        bool | None,
        option(
            "--fixed-window/--adaptive-window",
            help="Keep --concurrency queries in flight instead of adapting to each resolver.",
            group=Group.DNS,
            sets="limits.fixed_window",
        ),
    ] = None
    qps: Annotated[
        float | None,
        option("--qps", help="Queries/s per resolver (0: no limit).", group=Group.DNS, sets="limits.qps"),
    ] = None
    timeout: Annotated[
        float | None, option("--timeout", help="Seconds per DNS try.", group=Group.DNS, sets="limits.timeout")
    ] = None
    retries: Annotated[
        int | None,
        option(
            "--retries", help="DNS retries after a timeout/SERVFAIL.", group=Group.DNS, sets="limits.retries"
        ),
    ] = None
    registry: Annotated[
        bool | None,
        option(
            "--registry/--no-registry",
            help="RDAP/WHOIS lookups (default on).",
            group=Group.REGISTRY,
            sets="registry",
        ),
    ] = None
    rdap_bootstrap: Annotated[
        Path | None,
        option(
            "--rdap-bootstrap",
            help="An IANA RDAP bootstrap file (dns.json) to use.",
            group=Group.REGISTRY,
            sets="endpoints.rdap_bootstrap",
        ),
    ] = None
    whois_server: Annotated[
        list[str] | None,
        option(
            "--whois-server",
            help="WHOIS server for a TLD: TLD=HOST[:PORT]; repeatable.",
            group=Group.REGISTRY,
            sets="endpoints.whois_servers",
            parse=_whois_servers,
        ),
    ] = None
    whois_iana: Annotated[
        str | None,
        option(
            "--whois-iana",
            help="HOST[:PORT] asked for a TLD's WHOIS server; 'none' to skip.",
            group=Group.REGISTRY,
            sets="endpoints.whois_iana",
            parse=_whois_iana,
        ),
    ] = None
    smtp: Annotated[
        bool | None,
        option(
            "--smtp/--no-smtp",
            help="Probe mail servers (never sends a message).",
            group=Group.PROBES,
            sets="smtp",
        ),
    ] = None
    http: Annotated[
        bool | None, option("--http/--no-http", help="Probe web servers.", group=Group.PROBES, sets="http")
    ] = None
    allow_private: Annotated[
        bool | None,
        option(
            "--allow-private/--no-allow-private",
            help="Let probes connect to private/loopback addresses.",
            group=Group.PROBES,
            sets="allow_private",
        ),
    ] = None
    smtp_port: Annotated[
        int | None,
        option(
            "--smtp-port",
            help="SMTP port to probe (default 25).",
            group=Group.PROBES,
            sets="endpoints.smtp_port",
        ),
    ] = None
    helo: Annotated[
        str | None,
        option(
            "--helo",
            help="Name the SMTP probe gives in EHLO; one with an address record gets past servers that "
            "refuse unknown names (default lookalike.invalid).",
            group=Group.PROBES,
            sets="endpoints.helo_name",
        ),
    ] = None
    http_port: Annotated[
        int | None,
        option(
            "--http-port",
            help="HTTP port to probe (default 80).",
            group=Group.PROBES,
            sets="endpoints.http_port",
        ),
    ] = None
    https_port: Annotated[
        int | None,
        option(
            "--https-port", help="HTTPS port (default 443).", group=Group.PROBES, sets="endpoints.https_port"
        ),
    ] = None
    screenshot: Annotated[
        bool | None,
        option(
            "--screenshot/--no-screenshot",
            help="Render live pages in headless Chromium and compare them with yours (implies --http).",
            group=Group.PROBES,
            sets="screenshot",
        ),
    ] = None
    inline_images: Annotated[
        bool | None,
        option(
            "--inline-images/--no-inline-images",
            help="Screenshots inside the report and JSON (data: URIs), not as files in screenshots/.",
            group=Group.PROBES,
            sets="inline_images",
        ),
    ] = None
    report: Annotated[
        Path | None,
        option(
            "--report",
            help="HTML report path (default reports/lookalike-<time>.html).",
            group=Group.OUTPUTS,
            sets="report",
        ),
    ] = None
    json_path: Annotated[
        Path | None, option("--json", help="Write the scan JSON here.", group=Group.OUTPUTS, sets="json")
    ] = None
    csv_path: Annotated[
        Path | None, option("--csv", help="Write findings as CSV here.", group=Group.OUTPUTS, sets="csv")
    ] = None
    db: Annotated[
        str | None,
        option(
            "--db",
            metavar="PATH|URL",
            help="The scan database: an SQLite file, or a postgresql:// URL. Default: $LOOKALIKE_DB, else"
            " ~/.local/share/lookalike/lookalike.db.",
            group=Group.HISTORY,
            sets="db",
            parse=_location,
        ),
    ] = None
    fail_on: Annotated[
        list[str] | None,
        option(
            "--fail-on",
            help="Exit 1 on: new, changed, escalated, critical, high, medium, unknown.",
            group=Group.OUTPUTS,
            sets="fail_on",
            parse=_fail_on,
        ),
    ] = None
    plan_top: Annotated[
        int | None,
        option(
            "--plan-top",
            help="Absent names per domain to confirm for the plan (0: no plan).",
            group=Group.OUTPUTS,
            sets="plan_top",
        ),
    ] = None

    broker: Annotated[
        str | None,
        option(
            "--broker",
            metavar="URL",
            help="Split the scan over `lookalike worker`s through this Redis broker (needs --db postgresql://).",
            group=Group.WORKERS,
            sets="broker",
            parse=_or_none,
        ),
    ] = None
    unit_size: Annotated[
        int | None,
        option(
            "--unit-size",
            help="Candidates per unit of work for the workers.",
            group=Group.WORKERS,
            sets="unit_size",
        ),
    ] = None
    queue: Annotated[
        str | None,
        option(
            "--queue",
            help="The queue the workers read (default lookalike).",
            group=Group.WORKERS,
            sets="queue",
        ),
    ] = None

    def build(self, domains: Sequence[str] = (), *, require_domains: bool = True) -> Settings:
        """Settings from the config file (if any), the protected ``domains`` and ``--file``, and the
        options given on top. Raises ``LookalikeError`` (one line) for any value out of bounds."""
        from lookalike import config
        from lookalike.config import Settings

        settings = config.load(self.config_path) if self.config_path is not None else Settings()
        if domains or self.file is not None:
            settings = config.merge_protected(settings, protected_names(domains, self.file))
        if require_domains and not settings.protected:
            raise LookalikeError("give at least one domain, --file PATH, or --config with [[domains]]")
        changes: dict[str, Any] = {}
        for spec in specs():
            value = getattr(self, spec.name)
            opt = spec.opt
            if opt.sets is None or value is None or (isinstance(value, list | tuple) and not value):
                continue
            changes[opt.sets] = opt.parse(value, settings) if opt.parse is not None else value
        return config.apply(settings, changes)


@functools.cache
def specs() -> tuple[Spec, ...]:
    """Every field of ``Options``, in declaration order."""
    hints = typing.get_type_hints(Options, include_extras=True)
    found = []
    for f in dataclasses.fields(Options):
        hint, opt = typing.get_args(hints[f.name])
        found.append(Spec(f.name, hint, opt))
    return tuple(found)


Command = Callable[..., None]


def settings_options(groups: Group, *, help: Mapping[str, str] | None = None) -> Callable[[Command], Command]:
    """Give a command the options of ``groups``: they take the place of its keyword-only ``options``
    parameter in the signature typer reads, and the command receives them as one ``Options``.
    ``help`` rewords an option's help for this command (``{"depth": "The depth the scan used."}``)."""
    chosen = [s for s in specs() if s.opt.group & groups]
    reworded = dict(help or {})
    unknown = set(reworded) - {s.name for s in chosen}
    if unknown:
        raise ValueError(f"help for options the command does not take: {sorted(unknown)}")

    def wrap(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        params = list(signature.parameters.values())
        at = next(i for i, p in enumerate(params) if p.name == "options")
        if params[at].kind is not inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"{command.__name__}: options must be a keyword-only parameter")
        added = [
            inspect.Parameter(
                s.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=s.declaration(reworded.get(s.name)),
            )
            for s in chosen
        ]
        params[at : at + 1] = added

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> None:
            given = {s.name: kwargs.pop(s.name, None) for s in chosen}
            command(*args, options=Options(**given), **kwargs)

        run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
        return run

    return wrap
