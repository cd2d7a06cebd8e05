"""Settings: what to protect, where to ask, how hard, what to do with the results.

``Settings`` is built from a ``lookalike.toml`` file (``load``) and then from command-line options
(``apply``, or ``override`` with keyword arguments): a flag the user gives beats the file, the file
beats the defaults. ``EXAMPLE`` is the commented file ``lookalike init`` writes; a test loads it, so
it cannot drift from the loader.

``Settings``, ``Limits``, ``Endpoints`` and ``Alerts`` check themselves when they are built (bounds
from ``lookalike.bounds``): the file, the command line and a library caller are refused the same
values with the same line; ``load`` adds the file and the table in front of it.

The file is read through ``inputs`` (at most ``MAX_CONFIG`` bytes) and nests at most ``MAX_NESTING``
arrays or tables deep: a damaged or hostile file is one line, never a traceback.

No I/O beyond reading the file; no network.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from lookalike.bounds import bounded, check_fields, count
from lookalike.endpoints import Endpoints, HostPort, Limits, check_server
from lookalike.errors import LookalikeError
from lookalike.inputs import read_text
from lookalike.model import Technique
from lookalike.names import Name, parse
from lookalike.permute import GenerateOptions, check_options, load_keywords
from lookalike.store.location import is_url as is_db_url

LEVELS = ("critical", "high", "medium", "low", "info")
"""Alert thresholds ``[alerts] min_level`` accepts."""
FAIL_ON = ("new", "changed", "escalated", "critical", "high", "medium", "unknown")
"""Conditions ``--fail-on`` accepts; any that holds makes the scan exit 1."""
MAX_CONFIG = 1 << 20
"""Bytes of ``lookalike.toml`` read; a larger file is refused (the example is 3 kB)."""
MAX_NESTING = 8
"""Arrays and tables nested deeper than this in ``lookalike.toml`` are refused (the loader needs 3)."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Protected:
    """One protected domain and what is particular to it."""

    name: Name
    keywords: tuple[str, ...] = ()
    """Extra keywords for brand+keyword candidates (``careers``, a product name ...)."""
    techniques: frozenset[Technique] | None = None
    """Techniques for this domain only; None: the scan's choice."""
    owned: tuple[str, ...] = ()
    """Lookalikes the organisation already holds (ASCII), so they count as ours."""


@dataclass(frozen=True, slots=True)
class Alerts:
    """Where to tell people what changed."""

    webhook: str | None = None
    """A URL that receives a JSON POST with a Slack-compatible ``text`` field."""
    mail_relay: HostPort | None = None
    mail_from: str = ""
    mail_to: tuple[str, ...] = ()
    mail_starttls: bool = False
    mail_username: str | None = None
    mail_password_env: str | None = None
    """The name of an environment variable holding the relay password (never the password itself)."""

    def __post_init__(self) -> None:
        if self.webhook and not self.webhook.startswith(("http://", "https://")):
            raise LookalikeError("webhook must be an http:// or https:// URL")
        if self.mail_relay is not None:
            check_server("mail_relay", self.mail_relay)

    @property
    def any(self) -> bool:
        return bool(self.webhook or (self.mail_relay and self.mail_to))


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a scan needs to know."""

    protected: tuple[Protected, ...] = ()
    generate: GenerateOptions = field(default_factory=GenerateOptions)
    endpoints: Endpoints = field(default_factory=Endpoints)
    limits: Limits = field(default_factory=Limits)
    registry: bool = True
    """Look up registration data (RDAP, WHOIS) for names that exist."""
    smtp: bool = False
    http: bool = False
    allow_private: bool = False
    """Let the probes connect to private, loopback and other non-public addresses."""
    screenshot: bool = False
    """Render each live lookalike and the protected site in headless Chromium and compare them
    (``--screenshot``; implies ``http``: only a page the web probe found is rendered)."""
    inline_images: bool = False
    """Carry the screenshots inside the documents (``data:`` URIs) instead of as files next to them."""
    plan_top: int = bounded(25, count(0, 1_000_000))
    """How many of the most plausible absent candidates per domain to confirm with the registry
    (0: make no plan)."""
    db: Path | str | None = None
    """The history: an SQLite file, or a ``postgresql://`` URL (text); None: the default
    (``store.default_db_path``)."""
    report: Path | None = None
    json: Path | None = None
    csv: Path | None = None
    fail_on: tuple[str, ...] = ()
    alerts: Alerts = field(default_factory=Alerts)
    alert_min_level: str = "high"
    """Alert on new or changed findings at or above this level (and on every escalation)."""
    broker: str | None = None
    """A Celery broker (``redis://``): split the scan into units for ``lookalike worker``s, which
    share their politeness budgets through the same Redis. None: scan in this process."""
    unit_size: int = bounded(20_000, count(1, 100_000_000))
    """Candidates per unit of a distributed scan."""
    queue: str = "lookalike"
    """The broker's queue a distributed scan sends its units to (``lookalike worker --queues``)."""

    def __post_init__(self) -> None:
        check_fields(self)
        check_options(self.generate)  # depth 3, an unknown keyboard: one line now, not an empty scan
        check_fail_on(self.fail_on)
        if self.alert_min_level not in LEVELS:
            raise LookalikeError(f"min_level {self.alert_min_level!r}: choose from {', '.join(LEVELS)}")

    @property
    def names(self) -> tuple[Name, ...]:
        return tuple(p.name for p in self.protected)

    def owned(self) -> tuple[str, ...]:
        return tuple(d for p in self.protected for d in p.owned)


# --- loading ---------------------------------------------------------------------------------------


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise LookalikeError(f"{where}: [{key}] must be a table")
    return value


def _check_keys(table: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise LookalikeError(f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(allowed))})")


def _typed(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = table[key]
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise LookalikeError(f"{where}: {key} must be a number, not {value!r}")
    if not isinstance(value, kind):
        raise LookalikeError(f"{where}: {key} has the wrong type ({type(value).__name__})")
    return value


def _strings(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LookalikeError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def techniques_from(names: Sequence[str], where: str) -> frozenset[Technique] | None:
    """Technique names to a set; empty means all (None). Raises on an unknown name."""
    if not names:
        return None
    chosen = set()
    valid = {t.value: t for t in Technique}
    for name in names:
        if name not in valid:
            raise LookalikeError(f"{where}: unknown technique {name!r} (see `lookalike techniques`)")
        chosen.add(valid[name])
    return frozenset(chosen)


def _path(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


SCAN_KEYS = (
    "resolvers", "techniques", "depth", "keyboards", "keywords_file", "registry", "smtp", "http",
    "allow_private", "plan_top", "db", "report", "json", "csv", "fail_on", "screenshot", "inline_images",
    "broker", "unit_size", "queue",
)  # fmt: skip
ENDPOINT_KEYS = (
    "rdap_bootstrap", "whois_iana", "whois_servers", "smtp_port", "http_port", "https_port", "helo_name",
    "user_agent",
)  # fmt: skip
LIMIT_KEYS = tuple(f.name for f in dataclasses.fields(Limits))
ALERT_KEYS = (
    "webhook", "mail_relay", "mail_from", "mail_to", "mail_starttls", "mail_username", "mail_password_env",
    "min_level",
)  # fmt: skip
DOMAIN_KEYS = ("name", "keywords", "techniques", "owned")


def load(path: Path) -> Settings:
    """Read a ``lookalike.toml``. Relative paths in it are relative to the file's directory.

    Raises ``LookalikeError`` (one line) when the file is unreadable, larger than ``MAX_CONFIG``
    bytes, not TOML, nested deeper than ``MAX_NESTING``, or holds a setting that is not valid.
    """
    where = str(path)
    text = read_text(path, MAX_CONFIG, what="the config file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LookalikeError(f"{path} is not valid TOML: {exc}") from exc
    except (RecursionError, MemoryError) as exc:
        raise LookalikeError(f"{path} nests arrays or tables more than {MAX_NESTING} deep") from exc
    if _depth(data) > MAX_NESTING:
        raise LookalikeError(f"{path} nests arrays or tables more than {MAX_NESTING} deep")
    return from_mapping(data, where=where, base=path.parent)


def _depth(data: object) -> int:
    """How deep arrays and tables nest in parsed TOML (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping):
            children: Sequence[object] = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth + 1)
        if depth + 1 <= MAX_NESTING:
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _built(where: str, make: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``make(*args, **kwargs)``, with ``where`` (the file and table) in front of the line it
    refuses with."""
    try:
        return make(*args, **kwargs)
    except LookalikeError as exc:
        raise LookalikeError(f"{where}: {exc}") from None


def from_mapping(data: Mapping[str, Any], *, where: str = "config", base: Path = Path()) -> Settings:
    """Settings from parsed TOML."""
    _check_keys(data, ("scan", "endpoints", "limits", "alerts", "domains"), where)
    scan = _table(data, "scan", where)
    _check_keys(scan, SCAN_KEYS, f"{where} [scan]")
    endpoints_t = _table(data, "endpoints", where)
    _check_keys(endpoints_t, ENDPOINT_KEYS, f"{where} [endpoints]")
    limits_t = _table(data, "limits", where)
    _check_keys(limits_t, LIMIT_KEYS, f"{where} [limits]")
    alerts_t = _table(data, "alerts", where)
    _check_keys(alerts_t, ALERT_KEYS, f"{where} [alerts]")

    protected = []
    domains = data.get("domains", [])
    if not isinstance(domains, list):
        raise LookalikeError(f"{where}: [[domains]] must be an array of tables")
    for i, entry in enumerate(domains, 1):
        at = f"{where} [[domains]] #{i}"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise LookalikeError(f'{at}: each domain needs name = "example.com"')
        _check_keys(entry, DOMAIN_KEYS, at)
        protected.append(
            Protected(
                name=parse(entry["name"]),
                keywords=_strings(entry, "keywords", at),
                techniques=techniques_from(_strings(entry, "techniques", at), at),
                owned=tuple(parse(d).ascii for d in _strings(entry, "owned", at)),
            )
        )

    gen_kwargs: dict[str, Any] = {}
    if "techniques" in scan:
        gen_kwargs["techniques"] = techniques_from(_strings(scan, "techniques", where), where)
    if "depth" in scan:
        gen_kwargs["depth"] = _typed(scan, "depth", int, where)
    if "keyboards" in scan:
        gen_kwargs["keyboards"] = _strings(scan, "keyboards", where)
    if "keywords_file" in scan:
        gen_kwargs["keywords"] = load_keywords(_path(_typed(scan, "keywords_file", str, where), base))

    ep_kwargs: dict[str, Any] = {}
    if "resolvers" in scan:
        ep_kwargs["resolvers"] = tuple(HostPort.parse(t, 53) for t in _strings(scan, "resolvers", where))
    if "rdap_bootstrap" in endpoints_t:
        ep_kwargs["rdap_bootstrap"] = _path(_typed(endpoints_t, "rdap_bootstrap", str, where), base)
    if "whois_iana" in endpoints_t:
        value = _typed(endpoints_t, "whois_iana", str, where)
        ep_kwargs["whois_iana"] = HostPort.parse(value, 43) if value else None
    if "whois_servers" in endpoints_t:
        servers = _table(endpoints_t, "whois_servers", where)
        ep_kwargs["whois_servers"] = MappingProxyType(
            {str(tld).lower().lstrip("."): HostPort.parse(str(v), 43) for tld, v in servers.items()}
        )
    for key in ("smtp_port", "http_port", "https_port"):
        if key in endpoints_t:
            ep_kwargs[key] = _typed(endpoints_t, key, int, where)
    for key in ("helo_name", "user_agent"):
        if key in endpoints_t:
            ep_kwargs[key] = _typed(endpoints_t, key, str, where)

    lim_kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(Limits):
        if f.name in limits_t:
            if f.type in ("bool", bool):
                lim_kwargs[f.name] = _typed(limits_t, f.name, bool, where)
                continue
            kind = (int, float) if f.type in ("float", float) else int
            value = _typed(limits_t, f.name, kind, where)
            lim_kwargs[f.name] = value if kind is int else float(value)

    at = f"{where} [alerts]"
    text = {
        k: _typed(alerts_t, k, str, at)
        for k in ALERT_KEYS
        if k in alerts_t and k not in ("mail_to", "mail_starttls")
    }
    alerts = _built(
        at,
        Alerts,
        webhook=text.get("webhook") or None,
        mail_relay=HostPort.parse(text["mail_relay"], 25) if text.get("mail_relay") else None,
        mail_from=text.get("mail_from", ""),
        mail_to=_strings(alerts_t, "mail_to", at),
        mail_starttls=_typed(alerts_t, "mail_starttls", bool, at) if "mail_starttls" in alerts_t else False,
        mail_username=text.get("mail_username") or None,
        mail_password_env=text.get("mail_password_env") or None,
    )
    settings = _built(
        f"{where} [scan]",
        Settings,
        protected=tuple(protected),
        generate=GenerateOptions(**gen_kwargs),
        endpoints=_built(f"{where} [endpoints]", Endpoints, **ep_kwargs),
        limits=_built(f"{where} [limits]", Limits, **lim_kwargs),
        alerts=alerts,
    )
    flags: dict[str, Any] = {}
    for key in ("registry", "smtp", "http", "allow_private", "screenshot", "inline_images"):
        if key in scan:
            flags[key] = _typed(scan, key, bool, where)
    if "plan_top" in scan:
        flags["plan_top"] = _typed(scan, "plan_top", int, where)
    if "broker" in scan:
        flags["broker"] = _typed(scan, "broker", str, where) or None
    if "queue" in scan:
        flags["queue"] = _typed(scan, "queue", str, where) or "lookalike"
    if "unit_size" in scan:
        flags["unit_size"] = _typed(scan, "unit_size", int, where)
        if flags["unit_size"] < 1:
            raise LookalikeError(f"{where}: unit_size must be at least 1")
    for key in ("db", "report", "json", "csv"):
        if key in scan:
            value = _typed(scan, key, str, where)
            flags[key] = value if key == "db" and is_db_url(value) else _path(value, base)
    if "fail_on" in scan:
        flags["fail_on"] = check_fail_on(_strings(scan, "fail_on", where))
    if "min_level" in alerts_t:
        level = str(alerts_t["min_level"]).lower()
        if level not in LEVELS:
            raise LookalikeError(f"{at}: min_level {level!r}: choose from {', '.join(LEVELS)}")
        flags["alert_min_level"] = level
    done: Settings = _built(f"{where} [scan]", dataclasses.replace, settings, **flags)
    return done


def check_fail_on(values: Sequence[str]) -> tuple[str, ...]:
    """Validate ``--fail-on`` conditions (comma-separated values allowed)."""
    out: list[str] = []
    for value in values:
        for raw in value.split(","):
            part = raw.strip().lower()
            if not part:
                continue
            if part not in FAIL_ON:
                raise LookalikeError(f"--fail-on {part!r}: choose from {', '.join(FAIL_ON)}")
            out.append(part)
    return tuple(dict.fromkeys(out))


def apply(settings: Settings, changes: Mapping[str, Any]) -> Settings:
    """``settings`` with ``changes`` set: keys are field paths (``plan_top``, ``limits.timeout``,
    ``endpoints.whois_iana``), values are set as given (None too). Each group changed is rebuilt once,
    so it checks itself once; a value out of bounds raises ``LookalikeError``."""
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in changes.items():
        group, dot, name = key.partition(".")
        if dot:
            nested.setdefault(group, {})[name] = value
        else:
            top[key] = value
    for group, values in nested.items():
        top[group] = dataclasses.replace(getattr(settings, group), **values)
    return dataclasses.replace(settings, **top)


def override(settings: Settings, **changes: Any) -> Settings:
    """``apply`` for keyword arguments, where ``None`` means "not given" and keeps the file's value.

    Nested fields are addressed with a prefix: ``endpoints__resolvers``, ``limits__timeout``,
    ``generate__depth``.
    """
    return apply(settings, {k.replace("__", ".", 1): v for k, v in changes.items() if v is not None})


def merge_protected(settings: Settings, names: Sequence[Name]) -> Settings:
    """Add names given on the command line to those from the file (file entries keep their options)."""
    known = {p.name.ascii for p in settings.protected}
    extra = tuple(Protected(name=n) for n in names if n.ascii not in known)
    return dataclasses.replace(settings, protected=settings.protected + extra)


def domain_options(settings: Settings, protected: Protected) -> GenerateOptions:
    """The generator options for one protected domain: the scan's, plus its own keywords/techniques."""
    options = settings.generate
    if protected.keywords:
        options = dataclasses.replace(options, keywords=options.keywords + protected.keywords)
    if protected.techniques is not None:
        options = dataclasses.replace(options, techniques=protected.techniques)
    return options


EXAMPLE = """\
# lookalike.toml: what `lookalike scan --config lookalike.toml` protects and how.
# Every setting is optional; command-line flags override what is written here.
# Relative paths are relative to this file.

[scan]
# Recursive resolvers to ask, as "ADDRESS[:PORT]". Empty: the system's /etc/resolv.conf.
resolvers = ["127.0.0.1:53"]
# Techniques to use (see `lookalike techniques`); empty means all of them.
techniques = []
depth = 1                      # 2 adds combinations of two techniques (a much larger scan)
keyboards = ["qwerty"]         # qwerty, qwertz, azerty
# keywords_file = "keywords.txt"   # extra brand+keyword words, one per line
registry = true                # RDAP/WHOIS lookups for names that exist
smtp = false                   # probe mail servers: banner, STARTTLS, catch-all (never sends a message)
http = false                   # probe web servers: status, redirects, title, parking, login forms
allow_private = false          # let the probes connect to private/loopback addresses
screenshot = false             # render live lookalikes in Chromium, compare them with yours (implies http)
inline_images = false          # screenshots inside the report and JSON instead of files in screenshots/
plan_top = 25                  # absent candidates per domain to confirm for the plan (0: no plan)
db = "lookalike.db"            # scan history: an SQLite file, or postgresql://user@host/dbname
# broker = "redis://scanner-1:6379/0"   # split scans over `lookalike worker`s (needs a postgresql:// db)
# unit_size = 20000                     # candidates per unit of work for the workers
# queue = "lookalike"                   # the queue the workers read (lookalike worker --queues)
report = "reports/lookalike.html"
# json = "reports/lookalike.json"
# csv = "reports/lookalike.csv"
fail_on = ["new"]              # exit 1 when: new, changed, escalated, critical, high, medium, unknown

[endpoints]
# rdap_bootstrap = "rdap-dns.json"     # default: the IANA snapshot shipped with lookalike
whois_iana = "whois.iana.org:43"       # where to ask which WHOIS server a TLD has ("" to disable)
# whois_servers = { ml = "whois.example.ml:43" }
smtp_port = 25                         # ports: 1 to 65535
http_port = 80
https_port = 443
# helo_name = "scanner.example.org"    # the name given in EHLO: a host name or [address literal]

[limits]
# Each is checked when the file is read: a value out of its bounds is a one-line error.
concurrency = 4096             # most DNS queries in flight (1 to 65,536): each resolver's window's ceiling
fixed_window = false           # true: keep `concurrency` in flight instead of adapting to the resolver
qps = 0                        # queries per second per resolver; 0: no limit
timeout = 2.0                  # seconds per DNS try (above 0, at most 3,600)
retries = 2                    # DNS tries after a timeout or SERVFAIL (0 to 10)
registry_per_server = 2        # RDAP/WHOIS questions in flight per server (1 to 100)
registry_qps = 1.0             # ... and per second per server; 0: no limit
registry_timeout = 10.0        # seconds per RDAP/WHOIS answer
registry_deadline = 300.0      # seconds one name's registration lookup may take in all (waits too)
registry_scan_deadline = 21600.0   # seconds of registration lookups per scan; past it: unknown
probe_concurrency = 32         # SMTP/HTTP probes in flight (1 to 10,000)
probe_timeout = 10.0           # seconds per step of an SMTP or HTTP probe
screenshot_pages = 4           # pages Chromium renders at once (1 to 64)
screenshot_timeout = 15.0      # seconds per page, then it is a timeout

[alerts]
# webhook = "https://hooks.slack.com/services/..."   # JSON POST with a Slack-compatible "text"
# mail_relay = "smtp.example.org:587"
# mail_from = "lookalike@example.org"
# mail_to = ["soc@example.org"]
# mail_starttls = true
# mail_username = "lookalike"
# mail_password_env = "LOOKALIKE_SMTP_PASSWORD"
min_level = "high"             # alert on new/changed findings at or above this level

[[domains]]
name = "example.com"
keywords = []                  # extra words for this brand: product names, "careers" ...
techniques = []                # empty: the [scan] choice
owned = []                     # lookalikes you already hold, e.g. ["examp1e.com"]

# [[domains]]
# name = "mail.example.org"    # subdomains work too: mail domains often are
"""
