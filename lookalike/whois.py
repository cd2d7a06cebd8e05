"""WHOIS (RFC 3912): a small asyncio port-43 client with referrals and caps, and ``parse_whois``, the
pure parser that reads the many registries' text formats into a ``Registration``.

It also holds the text rules both registration protocols share (``rdap`` imports them): cleaning
hostile text, recognising redacted values, normalising EPP status values, reading the registries'
date formats, and merging a registry's answer with its registrar's. The phrases registries use
("No match for", "Status: free", "LIMIT EXCEEDED", "REDACTED FOR PRIVACY", field names) live in
``data/whois.toml``, loaded once.

How an exchange ends::

    connection refused, reset, unreachable ........ REFUSED
    no answer within Limits.registry_timeout ...... TIMEOUT
    "limit exceeded", "quota" ..., or no answer ... REFUSED   (never a guess about the name)
    "No match for ..." and no registration facts .. ABSENT
    text with no facts and no known phrase ........ ERROR
    anything with facts ........................... OK (the raw text kept, capped, for a human)

Must not: resolve a name with the system resolver (a server's host name goes through the ``Resolve``
the caller gives), print, or raise across the I/O boundary: ``WhoisClient.lookup`` returns an
``Outcome`` for every network failure. Everything a server sends is hostile text: control and
bidirectional-override characters are removed and every field is capped before it leaves here.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tomllib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from types import MappingProxyType

from lookalike.datafiles import WHOIS_PHRASES, data_path
from lookalike.endpoints import Endpoints, HostPort, Limits
from lookalike.errors import LookalikeError
from lookalike.model import Contact, Outcome, Registration, Status
from lookalike.ratelimit import PerKeyLimits

Resolve = Callable[[str], Awaitable[Outcome[tuple[str, ...]]]]
"""The addresses of a server's host name, found through lookalike's own resolvers (never the system's).
``Resolver.addresses`` fits; ``registry.ServerAddresses`` is a small stand-alone one."""

MAX_RESPONSE = 256 * 1024
"""Bytes read from one WHOIS server before we stop listening (a server may never stop sending)."""
MAX_RAW = 64 * 1024
"""Characters of raw answer kept in ``Registration.raw``."""
MAX_FIELD = 256
"""Characters kept of any one parsed field."""
MAX_REFERRALS = 2
"""Referrals followed after the first server: registry -> registrar -> (one more, for resellers)."""

# Hostile text: C0/C1 controls (terminal escapes), zero-width and bidirectional-override characters
# (which reorder what a reader sees), the BOM and line/paragraph separators.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------
# The phrases (data/whois.toml)


@dataclass(frozen=True, slots=True)
class Phrases:
    """What ``data/whois.toml`` holds, lower-cased and ready to match."""

    no_match: tuple[str, ...]
    rate_limited: tuple[str, ...]
    redacted: tuple[str, ...]
    status_aliases: Mapping[str, str]
    fields: Mapping[str, tuple[str, ...]]


FIELDS = (
    "domain", "registrar", "registrar_iana_id", "created", "expires", "updated", "status", "nameservers",
    "registrant_name", "registrant_organization", "registrant_country", "registrant_email", "abuse_email",
    "abuse_phone", "referral",
)  # fmt: skip


@cache
def phrases() -> Phrases:
    """The phrase lists, loaded once. Raises ``LookalikeError`` when the data file is broken."""
    source = data_path(WHOIS_PHRASES)
    try:
        data = tomllib.loads(source.read_text("utf-8"))
        fields = data["fields"]
        loaded = Phrases(
            no_match=tuple(_collapse(p).lower() for p in data["no_match"]),
            rate_limited=tuple(_collapse(p).lower() for p in data["rate_limited"]),
            redacted=tuple(_collapse(p).lower() for p in data["redacted"]),
            status_aliases=MappingProxyType({k.lower(): v for k, v in data["status_aliases"].items()}),
            fields=MappingProxyType({name: tuple(_field_key(k) for k in fields[name]) for name in FIELDS}),
        )
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise LookalikeError(f"the WHOIS phrase file {source} is unreadable or incomplete: {exc}") from exc
    return loaded


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _field_key(text: str) -> str:
    """A field name as registries spell it, reduced: ``a. [Domain Name]`` -> ``domain name``."""
    key = _collapse(text).lower()
    key = re.sub(r"^[a-z]\.\s*", "", key) if re.match(r"^[a-z]\.\s*\[", key) else key
    return key.strip("[] ").rstrip(".").strip()


# ---------------------------------------------------------------------------------------------------
# Shared text rules (rdap.py uses these too)


def clean_text(text: str, limit: int = MAX_FIELD) -> str:
    """One line of hostile text made safe to show: invisible characters removed, white space
    collapsed, capped at ``limit`` characters (an ellipsis marks the cut)."""
    text = _collapse(_INVISIBLE.sub("", text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_redacted(value: str) -> bool:
    """True when ``value`` is a redaction placeholder (``REDACTED FOR PRIVACY``, ``Not Disclosed`` ...)."""
    lowered = _collapse(value).lower()
    return any(marker in lowered for marker in phrases().redacted)


def clean_value(value: object, limit: int = MAX_FIELD) -> str | None:
    """A field value ready to keep: cleaned text, or None when it is empty, not text, or redacted."""
    if not isinstance(value, str):
        return None
    text = clean_text(value, limit)
    if not text or is_redacted(text):
        return None
    return text


def clean_raw(text: str, limit: int = MAX_RAW) -> str:
    """A whole answer kept for a human: line breaks normalised, invisible characters shown as U+FFFD
    (so a terminal escape cannot act and a reader sees something was there), capped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub(lambda m: "" if m.group() in "\ufeff\u00ad" else "\N{REPLACEMENT CHARACTER}", text)
    if len(text) > limit:
        text = text[:limit] + f"\n[... cut at {limit:,} characters]"
    return text


def normalise_status(text: str) -> str | None:
    """An EPP status value in camelCase, from RDAP (``client transfer prohibited``) or WHOIS
    (``clientTransferProhibited https://icann.org/epp#clientTransferProhibited``) spelling.

    >>> normalise_status("server hold")
    'serverHold'
    """
    value = clean_text(text, 120)
    value = re.split(r"\s*(?:\(|https?://|\[)", value, maxsplit=1)[0].strip(" .,;")
    if not value:
        return None
    aliases = phrases().status_aliases
    if value.lower() in aliases:
        return aliases[value.lower()]
    words = [w for w in re.split(r"[\s_-]+", value) if w]
    if len(words) == 1:
        word = words[0]
        # Already camelCase (clientHold) or one word (inactive, connect): keep it, first letter lower.
        if word.isupper():
            word = word.lower()
        result = word[0].lower() + word[1:]
    else:
        result = words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])
    return aliases.get(result.lower(), result)


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def normalise_nameserver(text: str) -> str | None:
    """A name server host name: lower-case, no trailing dot, valid LDH; None when it is not one."""
    name = clean_text(text, 300).split(" ")[0].strip().rstrip(".").lower()
    return name if "." in name and _HOSTNAME.match(name) else None


# Dates. Registries write them in dozens of ways; these cover the common ones exactly, with their zone.
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_TRAILING_ZONE = re.compile(
    r"^(?P<rest>.*\d:\d{2}(?::\d{2})?(?:\.\d+)?)\s*\(?\s*"
    r"(?P<zone>z|ut|utc|gmt|jst|kst|(?:utc|gmt)?\s*[+-]\s*\d{1,2}(?::?\d{2})?)\s*\)?$",
    re.IGNORECASE,
)
_NAMED_ZONES = {"z": 0, "ut": 0, "utc": 0, "gmt": 0, "jst": 9 * 60, "kst": 9 * 60}
_FORMATS = (
    "%d-%b-%Y", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y %H:%M", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y",
    "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y.%m.%d", "%Y.%m.%d %H:%M:%S", "%Y. %m. %d.",
    "%Y%m%d", "%Y%m%d %H:%M:%S", "%Y%m%d%H%M%S", "%d.%m.%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M",
    "%d-%m-%Y", "%d-%m-%Y %H:%M:%S", "%a %b %d %H:%M:%S %Y", "%a %b %d %Y", "%Y-%b-%d",
)  # fmt: skip
_EARLIEST, _LATEST = 1985, 2200


def parse_date(text: str) -> datetime | None:
    """A registry's date as a timezone-aware datetime (UTC when the text gives no zone); None when it
    is empty, not a date, or outside 1985-2200.

    The common formats are read here, exactly, with their zone. What is left goes to the ``whois``
    module's parser (python-whois), whose results are local wall-clock time and are converted back.
    """
    value = _collapse(text).strip()
    value = re.sub(r"\s*\((?:yyyy|dd)[^)]*\)$", "", value, flags=re.IGNORECASE)  # "2001/02/03 (YYYY/MM/DD)"
    value = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", value)
    if not value or value.lower() in ("n/a", "none", "not defined", "-", "unknown"):
        return None
    result = _iso_date(value) or _formatted_date(value) or _library_date(value)
    if result is None or not _EARLIEST <= result.year <= _LATEST:
        return None
    return result


def _zone(token: str) -> timezone | None:
    token = token.strip().lower().replace(" ", "")
    if token in _NAMED_ZONES:
        return timezone(timedelta(minutes=_NAMED_ZONES[token]))
    match = re.fullmatch(r"(?:utc|gmt)?([+-])(\d{1,2}):?(\d{2})?", token)
    if not match:
        return None
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _iso_date(value: str) -> datetime | None:
    match = _ISO.match(value)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = _zone(zone) if zone else UTC
    if tz is None:
        return None
    try:
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tz
        )
    except ValueError:
        return None


def _formatted_date(value: str) -> datetime | None:
    tz: timezone | None = UTC
    match = _TRAILING_ZONE.match(value)
    if match:
        tz = _zone(match.group("zone"))
        value = match.group("rest").strip()
    if tz is None:
        return None
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=tz)
    return None


@cache
def _library_parser() -> Callable[[str], datetime | None] | None:
    """python-whois' ``str_to_date``, imported once. The package configures the root logger when
    imported; undo that, so lookalike's own output stays its own."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        from whois.exceptions import UnknownDateFormat
        from whois.handleDateStrings import str_to_date
    except (ImportError, ValueError):  # ValueError: a bad $LOGLEVEL breaks its import
        return None
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)

    def parse(text: str) -> datetime | None:
        try:
            result: datetime | None = str_to_date(text)
        except (UnknownDateFormat, ValueError, OverflowError):
            return None
        return result

    return parse


def _library_date(value: str) -> datetime | None:
    parser = _library_parser()
    if parser is None:
        return None
    local = parser(value)
    if local is None:
        return None
    # The library turns a numeric offset into naive *local* wall-clock time; anything else it leaves as
    # written (a zone name such as GMT is matched and dropped). Undo the first, read the second as UTC.
    if re.search(r"\d:\d{2}(?::\d{2})?(?:\.\d+)?\s*\(?\s*(?:[+-]\d{2}:?\d{2}|jst\b)", value, re.IGNORECASE):
        return local.astimezone(UTC)
    return local.replace(tzinfo=UTC)


def merge_registrations(registry: Registration, registrar: Registration) -> Registration:
    """A registry's answer completed by its registrar's: the registry is authoritative for the
    registrar, dates, status and name servers; the registrar's data wins for the contacts."""
    raw = registry.raw
    if registrar.raw:
        raw = clean_raw(f"{registry.raw}\n\n--- {registrar.server} ---\n{registrar.raw}")
    return replace(
        registry,
        registrar=registry.registrar or registrar.registrar,
        registrar_iana_id=registry.registrar_iana_id or registrar.registrar_iana_id,
        created=registry.created or registrar.created,
        expires=registry.expires or registrar.expires,
        updated=registry.updated or registrar.updated,
        status=registry.status or registrar.status,
        nameservers=registry.nameservers or registrar.nameservers,
        registrant=registrar.registrant or registry.registrant,
        abuse=registrar.abuse or registry.abuse,
        raw=raw,
    )


# ---------------------------------------------------------------------------------------------------
# The pure parser


def decode(data: bytes) -> str:
    """WHOIS bytes as text: UTF-8 when they are, else latin-1 (which never fails)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_HANDLE = re.compile(r"^(?=[^a-z ]*\d)[A-Z0-9]+(?:-[A-Z0-9]+)+$")
"""A contact handle (``KSG12345678-NICAT``) standing where RIPE-style registries put a reference."""
_REGISTRAR_SUFFIX = re.compile(r"\s*(?:\[tag\s*=[^\]]*\]|\(\s*https?://[^)]*\))\s*$", re.IGNORECASE)
_BRACKET_PAIR = re.compile(r"^\s*(?:[a-z]\.\s*)?\[([^\]]{1,40})\]\s*(.*)$", re.IGNORECASE)
_COLON_PAIR = re.compile(r"^(?P<indent>\s*)(?P<key>[^\s:%#>\[][^:]{0,59}?)\s*:(?!//)\s*(?P<value>.*)$")


def fields(text: str) -> dict[str, list[str]]:
    """Every ``key: value`` (and JPRS ``[key] value``) pair in a WHOIS answer, keys reduced, values in
    order. A key with no value followed by indented lines (Nominet's sections) takes those lines as
    its values, and each of them is read as a pair too."""
    found: dict[str, list[str]] = {}
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def add(key: str, value: str) -> None:
        key = _field_key(key)
        if key:
            found.setdefault(key, []).append(value.strip())

    def pair(line: str) -> tuple[str, str, str] | None:
        if line.lstrip().startswith(("%", "#")):
            return None
        bracket = _BRACKET_PAIR.match(line)
        if bracket:
            return "", bracket.group(1), bracket.group(2)
        colon = _COLON_PAIR.match(line)
        if colon:
            return colon.group("indent"), colon.group("key"), colon.group("value")
        return None

    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        parsed = pair(line)
        if parsed is None:
            continue
        indent, key, value = parsed
        if value.strip():
            add(key, value)
            continue
        # A section header: take the following, more indented, non-blank lines.
        while index < len(lines) and lines[index].strip():
            sub = lines[index]
            if len(sub) - len(sub.lstrip()) <= len(indent.expandtabs()):
                break
            add(key, sub)
            inner = pair(sub)
            if inner is not None and inner[2].strip():
                add(inner[1], inner[2])
            index += 1
    return found


def _first(
    found: Mapping[str, list[str]], field: str, limit: int = MAX_FIELD, skip: re.Pattern[str] | None = None
) -> str | None:
    """The first usable value of ``field``: the first alias present with a non-empty value decides,
    and if that value is redacted the field is unknown (no falling back to a looser alias). Values
    matching ``skip`` (contact handles where a name was expected) are passed over."""
    for alias in phrases().fields[field]:
        for value in found.get(alias, ()):
            if not value.strip() or (skip is not None and skip.match(value.strip())):
                continue
            return clean_value(value, limit)
    return None


def _all(found: Mapping[str, list[str]], field: str) -> list[str]:
    """Every value of the first alias of ``field`` that has any."""
    for alias in phrases().fields[field]:
        values = [v for v in found.get(alias, ()) if v.strip()]
        if values:
            return values
    return []


def _lines(text: str) -> Iterable[str]:
    for line in text.replace("\r", "\n").split("\n"):
        collapsed = _collapse(line).lower()
        if collapsed:
            yield collapsed


def says_no_match(text: str) -> bool:
    """True when a line of ``text`` holds one of the registries' "not registered" phrases."""
    needles = phrases().no_match
    return any(needle in line for line in _lines(text) for needle in needles)


def says_rate_limited(text: str) -> bool:
    """True when a line of ``text`` holds one of the registries' "you asked too often" phrases."""
    needles = phrases().rate_limited
    return any(needle in line for line in _lines(text) for needle in needles)


def parse_whois(text: str, server: str) -> Registration | None:
    """A WHOIS answer as a ``Registration``; None when it says the name is not registered.

    Pure. Raises ``ValueError`` when the text holds neither registration facts (registrar, dates,
    name servers, status) nor a "no match" phrase: a refusal, an error page, or a format we do not
    know, which the caller must treat as unknown.
    """
    found = fields(text)
    registrar = _first(found, "registrar", skip=_HANDLE)
    if registrar is not None:
        # Keep the name: Nominet adds "[Tag = EXAMPLE]", nic.at "( https://... )".
        registrar = _REGISTRAR_SUFFIX.sub("", registrar) or registrar
    iana_id = _first(found, "registrar_iana_id", 16)
    created = _date(found, "created")
    expires = _date(found, "expires")
    updated = _date(found, "updated")
    nameservers = _dedupe(n for v in _all(found, "nameservers") if (n := normalise_nameserver(v)))
    statuses = _dedupe(s for v in _all(found, "status") if (s := normalise_status(v)))
    substantial = bool(registrar or created or expires or nameservers)
    if not substantial and says_no_match(text):
        return None
    if not substantial and not statuses:
        raise ValueError("the WHOIS answer holds no registration facts and no known 'no match' phrase")
    registrant = _contact(
        name=_first(found, "registrant_name"),
        organization=_first(found, "registrant_organization", skip=_HANDLE),
        email=_first(found, "registrant_email"),
        country=_first(found, "registrant_country", 64),
    )
    abuse = _contact(email=_first(found, "abuse_email"), phone=_first(found, "abuse_phone", 64))
    return Registration(
        source="whois",
        server=server,
        registrar=registrar,
        registrar_iana_id=iana_id if iana_id and iana_id.isdigit() else None,
        created=created,
        expires=expires,
        updated=updated,
        status=statuses,
        nameservers=nameservers,
        registrant=registrant,
        abuse=abuse,
        raw=clean_raw(text),
    )


def _date(found: Mapping[str, list[str]], field: str) -> datetime | None:
    value = _first(found, field)
    return parse_date(value) if value else None


def _contact(**values: str | None) -> Contact | None:
    if not any(values.values()):
        return None
    return Contact(**values)


def read_answer(text: str, server: str, domain: str) -> Outcome[Registration]:
    """One WHOIS answer as an outcome, pure: OK with the facts, ABSENT for a "no match", REFUSED for
    a refusal (or an empty answer), ERROR for text we cannot read."""
    if not text.strip():
        return Outcome(Status.REFUSED, None, f"{server} closed the connection without an answer")
    try:
        registration = parse_whois(text, server)
    except ValueError:
        if says_rate_limited(text):
            return Outcome(Status.REFUSED, None, f"{server} refused: {_quote_phrase(text)}")
        return Outcome(Status.ERROR, None, f"{server}: unrecognised WHOIS answer for {domain}")
    if registration is None:
        if says_rate_limited(text):
            return Outcome(Status.REFUSED, None, f"{server} refused: {_quote_phrase(text)}")
        return Outcome(Status.ABSENT, None, f"{server}: no match for {domain}")
    return Outcome(Status.OK, registration)


def referral(text: str) -> str | None:
    """The server a WHOIS answer refers to (``Registrar WHOIS Server:``, ``refer:``, ``ReferralServer:``),
    as ``host`` or ``host:port``; None when there is none or it is not a WHOIS server (a web URL)."""
    found = fields(text)
    for value in _all(found, "referral"):
        target = clean_text(value, 300)
        if re.match(r"^(?:https?|rwhois)://", target, re.IGNORECASE):
            continue
        target = re.sub(r"^whois://", "", target, flags=re.IGNORECASE).split("/", 1)[0].strip()
        if not target:
            continue
        try:
            host = HostPort.parse(target, 43)
        except LookalikeError:
            continue
        if host.is_ip or _HOSTNAME.match(host.host.lower().rstrip(".")):
            return target.lower().rstrip(".")
    return None


def iana_referral(text: str) -> str | None:
    """The WHOIS server IANA names for a TLD (``refer:``, else ``whois:``); None when it names none."""
    found = fields(text)
    for key in ("refer", "whois"):
        for value in found.get(key, ()):
            target = clean_text(value, 300).lower().rstrip(".")
            if target and (_HOSTNAME.match(target.split(":")[0]) or _is_hostport(target)):
                return target
    return None


def _is_hostport(text: str) -> bool:
    try:
        return HostPort.parse(text, 43).is_ip
    except LookalikeError:
        return False


# ---------------------------------------------------------------------------------------------------
# The client


@dataclass(frozen=True, slots=True)
class Answer:
    """What one WHOIS server said, as text, and whether we stopped listening early."""

    server: str
    text: str
    truncated: bool = False


class WhoisClient:
    """Port-43 lookups: the TLD's server (configured, or IANA's referral, cached per TLD), then the
    referral chain to the registrar, each request under the per-server concurrency and rate limits."""

    def __init__(
        self,
        endpoints: Endpoints,
        limits: Limits,
        *,
        resolve: Resolve | None = None,
        gate: PerKeyLimits | None = None,
        max_bytes: int = MAX_RESPONSE,
        max_referrals: int = MAX_REFERRALS,
    ) -> None:
        self._endpoints = endpoints
        self._limits = limits
        self._resolve = resolve
        self._gate = gate or PerKeyLimits(limits.registry_per_server, limits.registry_qps)
        self._max_bytes = max_bytes
        self._max_referrals = max_referrals
        self._tld_servers: dict[str, HostPort | None] = {}
        self._tld_locks: dict[str, asyncio.Lock] = {}
        self.requests: Counter[str] = Counter()
        """Requests sent, per server (``host:port``)."""
        self.rate_limited = 0
        """Answers that said we asked too often."""

    async def lookup(self, domain: str) -> Outcome[Registration]:
        """What the WHOIS servers say about ``domain`` (ASCII, lower case)."""
        domain = domain.strip().lower().rstrip(".")
        start = await self.server_for(domain)
        if start.value is None:
            return Outcome(start.status, None, start.detail)
        server: HostPort = start.value
        result: Registration | None = None
        notes: list[str] = []
        visited: set[HostPort] = set()
        for _hop in range(1 + self._max_referrals):
            visited.add(server)
            answer = await self.query(server, domain)
            outcome = self._read(answer, domain)
            if outcome.status is not Status.OK or outcome.value is None:
                if result is None:
                    return outcome
                notes.append(f"referral {server}: {outcome.status.value}: {outcome.detail}".rstrip(": "))
                break
            if outcome.detail:
                notes.append(outcome.detail)
            result = outcome.value if result is None else merge_registrations(result, outcome.value)
            answer_text = answer.value.text if answer.value is not None else ""
            next_server = self._referral_target(referral(answer_text))
            if next_server is None or next_server in visited:
                break
            server = next_server
        return Outcome(Status.OK, result, "; ".join(notes))

    def _read(self, answer: Outcome[Answer], domain: str) -> Outcome[Registration]:
        """One server's answer as an outcome: facts, no match, a refusal, or something unreadable."""
        if answer.value is None:
            return Outcome(answer.status, None, answer.detail)
        got = answer.value
        outcome = read_answer(got.text, got.server, domain)
        if outcome.status is Status.REFUSED and got.text.strip():
            self.rate_limited += 1
        if outcome.status is Status.OK and got.truncated:
            return replace(outcome, detail=f"answer from {got.server} cut at {self._max_bytes:,} bytes")
        return outcome

    def _referral_target(self, target: str | None) -> HostPort | None:
        """Where a referral points: the address configured for that host name (``--whois-server
        whois.registrar.example=127.0.0.1:4343``), else the host itself."""
        if target is None:
            return None
        try:
            named = HostPort.parse(target, 43)
        except LookalikeError:
            return None
        return self._endpoints.whois_servers.get(named.host.lower()) or named

    async def server_for(self, domain: str) -> Outcome[HostPort]:
        """The WHOIS server for ``domain``'s TLD: configured (longest suffix wins), else IANA's referral
        (asked once per TLD and remembered). SKIPPED when there is none or referrals are off."""
        labels = domain.split(".")
        for i in range(len(labels)):
            configured = self._endpoints.whois_servers.get(".".join(labels[i:]))
            if configured is not None:
                return Outcome(Status.OK, configured)
        tld = labels[-1]
        iana = self._endpoints.whois_iana
        if tld not in self._tld_servers:
            if iana is None:
                return Outcome(Status.SKIPPED, None, f"no WHOIS server configured for .{tld}")
            lock = self._tld_locks.setdefault(tld, asyncio.Lock())
            async with lock:
                if tld not in self._tld_servers:
                    answer = await self.query(iana, tld)
                    if answer.value is None:
                        return Outcome(answer.status, None, f"IANA WHOIS {iana}: {answer.detail}")
                    text = answer.value.text
                    target = iana_referral(text)
                    if not text.strip() or (target is None and says_rate_limited(text)):
                        return Outcome(Status.REFUSED, None, f"IANA WHOIS {iana} gave no usable answer")
                    self._tld_servers[tld] = self._referral_target(target)
        server = self._tld_servers[tld]
        if server is None:
            return Outcome(Status.SKIPPED, None, f"IANA lists no WHOIS server for .{tld}")
        return Outcome(Status.OK, server)

    @asynccontextmanager
    async def _turn(self, key: str) -> AsyncIterator[None]:
        """Wait for this server's concurrency slot and rate token; count the request."""
        async with self._gate.semaphore(key):
            await self._gate.bucket(key).acquire()
            self.requests[key] += 1
            yield

    async def query(self, server: HostPort, query: str) -> Outcome[Answer]:
        """Send one query line to ``server`` and read the answer (capped in size and time)."""
        address = await self._address(server)
        if address.value is None:
            return Outcome(address.status, None, address.detail)
        key = str(server)
        async with self._turn(key):
            try:
                async with asyncio.timeout(self._limits.registry_timeout):
                    data, truncated = await self._exchange(address.value, server.port, query)
            except TimeoutError:
                limit = self._limits.registry_timeout
                return Outcome(Status.TIMEOUT, None, f"{key} did not answer in {limit:g} s")
            except ConnectionRefusedError:
                return Outcome(Status.REFUSED, None, f"{key} refused the connection")
            except OSError as exc:
                return Outcome(Status.REFUSED, None, f"{key}: {exc.strerror or exc}")
        return Outcome(Status.OK, Answer(key, decode(bytes(data)), truncated))

    async def _exchange(self, address: str, port: int, query: str) -> tuple[bytearray, bool]:
        reader, writer = await asyncio.open_connection(address, port, limit=self._max_bytes)
        data = bytearray()
        truncated = False
        try:
            writer.write(query.encode("ascii", "replace") + b"\r\n")
            await writer.drain()
            while chunk := await reader.read(65536):
                data += chunk
                if len(data) >= self._max_bytes:
                    truncated = True
                    del data[self._max_bytes :]
                    break
        finally:
            # abort(): never wait on a peer that keeps sending or has stopped reading.
            writer.transport.abort()
        return data, truncated

    async def _address(self, server: HostPort) -> Outcome[str]:
        if server.is_ip:
            return Outcome(Status.OK, server.host)
        if server.host.lower() in ("localhost", "localhost."):
            return Outcome(Status.OK, "127.0.0.1")
        if self._resolve is None:
            return Outcome(Status.ERROR, None, f"no resolver to find the address of {server.host}")
        found = await self._resolve(server.host)
        if found.value:
            return Outcome(Status.OK, found.value[0])
        status = found.status if found.status.unknown else Status.ERROR
        why = found.detail or found.status.value
        return Outcome(status, None, f"cannot find the address of {server.host}: {why}")


def _quote_phrase(text: str) -> str:
    """The line of a refusal that says why, for the outcome's detail."""
    lines = [line for line in text.replace("\r", "\n").split("\n") if line.strip()]
    for line in lines:
        if says_rate_limited(line):
            return repr(clean_text(line, 120))
    return repr(clean_text(lines[0], 120)) if lines else "(empty)"
