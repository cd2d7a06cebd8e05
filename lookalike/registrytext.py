"""The text rules both registration protocols share: redactions recognised, EPP statuses and name servers
normalised, a registry's answer merged with its registrar's, and the phrase file (``data/whois.toml``)
loaded once. Hostile text is kept through ``text.clean`` (one line) and ``text.clean(..., lines=True)``
(a raw answer): the one character policy every module keeps, not one of the registry's own.

Pure. ``rdap`` and ``whoisparse`` import these; neither protocol has rules of its own for them.

Must not: touch the network, print, or raise for any text a server sent (only ``phrases()`` raises, for a
broken data file, which is the installation's fault, not a server's).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any

from lookalike.datafiles import WHOIS_PHRASES, data_path
from lookalike.errors import LookalikeError
from lookalike.inputs import read_bytes
from lookalike.model import Registration
from lookalike.text import clean

MAX_RAW = 64 * 1024
"""Characters of raw answer kept in ``Registration.raw``."""
MAX_FIELD = 256
"""Characters kept of any one parsed field."""
MAX_DATA_FILE = 4 * 1024 * 1024
"""Bytes read of the phrase file; a larger one is refused."""

_SPACES = re.compile(r"\s+")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")
"""A host name as registries list name servers and WHOIS servers: LDH labels (underscores tolerated)."""


# ---------------------------------------------------------------------------------------------------
# The phrase file


@dataclass(frozen=True, slots=True)
class Phrases:
    """What ``data/whois.toml`` holds, reduced and ready to match (see the file for what each means)."""

    no_match: tuple[str, ...]
    reserved: tuple[str, ...]
    rate_limited: tuple[str, ...]
    redacted: tuple[str, ...]
    status_aliases: Mapping[str, str]
    fields: Mapping[str, tuple[str, ...]]
    generic: frozenset[str]
    spaced_keys: tuple[str, ...]
    sections: Mapping[str, tuple[str, ...]]
    contact_keys: frozenset[str]
    record_keys: frozenset[str]
    contact_openers: frozenset[str]
    contact_handles: frozenset[str]
    name_keys: tuple[str, ...]


FIELDS = (
    "domain", "registrar", "registrar_iana_id", "created", "expires", "updated", "status", "nameservers",
    "registrant_name", "registrant_organization", "registrant_country", "registrant_email", "abuse_email",
    "abuse_phone", "referral",
)  # fmt: skip
SECTIONS = ("registrar", "registrant", "contact", "nameservers", "domain")


@cache
def phrases() -> Phrases:
    """The phrase lists, loaded once. Raises ``LookalikeError`` when the data file is broken."""
    source = data_path(WHOIS_PHRASES)
    try:
        data = tomllib.loads(read_bytes(source, MAX_DATA_FILE, what="the WHOIS phrase file").decode("utf-8"))
        loaded = _phrases(data)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise LookalikeError(f"the WHOIS phrase file {source} is unreadable or incomplete: {exc}") from exc
    return loaded


def _phrases(data: Mapping[str, Any]) -> Phrases:
    fields, layout, sections = data["fields"], data["layout"], data["sections"]
    return Phrases(
        no_match=tuple(collapse(p).lower() for p in data["no_match"]),
        reserved=tuple(collapse(p).lower() for p in data["reserved"]),
        rate_limited=tuple(collapse(p).lower() for p in data["rate_limited"]),
        redacted=tuple(collapse(p).lower() for p in data["redacted"]),
        status_aliases=MappingProxyType({k.lower(): v for k, v in data["status_aliases"].items()}),
        fields=MappingProxyType({name: tuple(field_key(k) for k in fields[name]) for name in FIELDS}),
        generic=frozenset(field_key(k) for k in layout["generic"]),
        spaced_keys=tuple(field_key(k) for k in layout["spaced_keys"]),
        sections=MappingProxyType({name: tuple(field_key(k) for k in sections[name]) for name in SECTIONS}),
        contact_keys=frozenset(field_key(k) for k in layout["contact_keys"]),
        record_keys=frozenset(field_key(k) for k in layout["record_keys"]),
        contact_openers=frozenset(field_key(k) for k in layout["contact_openers"]),
        contact_handles=frozenset(field_key(k) for k in layout["contact_handles"]),
        name_keys=tuple(field_key(k) for k in layout["name_keys"]),
    )


def collapse(text: str) -> str:
    """Runs of white space as one space, trimmed."""
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=8192)
def field_key(text: str) -> str:
    """A field name as registries spell it, reduced: ``a. [Domain Name]`` -> ``domain name``,
    ``Domain Name.........`` -> ``domain name``, ``ns_name_01`` -> ``ns name``, ``last-update`` ->
    ``last update``."""
    key = collapse(text).lower()
    key = re.sub(r"^[a-z]\.\s*(?=\[)", "", key)
    key = key.strip("[]*% ")
    key = re.sub(r"[_-]+", " ", key)
    key = re.sub(r"[\s.]+$", "", key)
    key = re.sub(r"\s+\d{1,2}$", "", key)  # numbered repeats: ns_name_01, ns_name_02
    return collapse(key)


# ---------------------------------------------------------------------------------------------------
# Hostile text


def is_redacted(value: str) -> bool:
    """True when ``value`` is a redaction placeholder (``REDACTED FOR PRIVACY``, ``Not Disclosed`` ...)."""
    lowered = collapse(value).lower()
    return any(marker in lowered for marker in phrases().redacted)


def clean_value(value: object, limit: int = MAX_FIELD) -> str | None:
    """A field value ready to keep: cleaned text, or None when it is empty, not text, or redacted."""
    if not isinstance(value, str):
        return None
    text = clean(value, limit)
    if not text or is_redacted(text):
        return None
    return text


def decode(data: bytes) -> str:
    """WHOIS bytes as text: UTF-8 when they are, else latin-1 (which never fails)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# ---------------------------------------------------------------------------------------------------
# EPP statuses and name servers

_STATUS_CUT = re.compile(r"\s*(?:\(|https?://|\[|\s-(?:\s|$))")
_EPP_WORD = re.compile(r"^(?:client|server)[a-z]+prohibited$|^(?:ok|inactive|pending[a-z]+|[a-z]+period)$")


def normalise_status(text: str) -> str | None:
    """An EPP status value in camelCase, from RDAP (``client transfer prohibited``) or WHOIS
    (``clientTransferProhibited https://icann.org/epp#clientTransferProhibited``, ``ok - Normal
    state``) spelling. None when nothing of it is left (empty, or only separators and punctuation:
    ``-``, `` _ ``, ``/``).

    >>> normalise_status("server hold")
    'serverHold'
    """
    value = clean(text, 120)
    value = _STATUS_CUT.split(value, maxsplit=1)[0].strip(" .,;:-_")
    words = [w for w in re.split(r"[\s_-]+", value) if w]
    if not words or not any(c.isalnum() for c in value):
        return None
    aliases = phrases().status_aliases
    if value.lower() in aliases:
        return aliases[value.lower()]
    if len(words) == 1:
        word = words[0]
        # Already camelCase (clientHold) or one word (inactive, connect): keep it, first letter lower.
        if word.isupper():
            word = word.lower()
        result = word[0].lower() + word[1:]
    else:
        result = words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])
    return aliases.get(result.lower(), result)


def split_statuses(text: str) -> list[str]:
    """One status line as its values: ``a, b, c`` (.ru, .tw, .sk) and ``clientHold serverHold`` (EPP
    words run together) are several; ``Registered until expiry date.`` is one."""
    text = re.sub(r"^\d{3}\s+(?=\D)", "", text.strip())  # .nz: "200 Active" (a result code, then the status)
    parts = [p for p in re.split(r"\s*[,;]\s*", text) if p.strip()]
    values: list[str] = []
    for part in parts:
        words = part.split()
        if len(words) > 1 and all(_EPP_WORD.match(w.lower()) for w in words):
            values += words
        else:
            values.append(part)
    return values


def normalise_nameserver(text: str) -> str | None:
    """A name server host name: lower-case, no trailing dot, valid LDH, not an address; None otherwise."""
    name = clean(text, 300).split(" ")[0].strip().rstrip(".,;").lower()
    if "." not in name or not HOSTNAME.match(name) or re.fullmatch(r"[\d.]+", name):
        return None
    return name


def dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def merge_registrations(registry: Registration, registrar: Registration) -> Registration:
    """A registry's answer completed by its registrar's: the registry is authoritative for the
    registrar, dates, status and name servers; the registrar's data wins for the contacts."""
    raw = registry.raw
    if registrar.raw:
        raw = clean(f"{registry.raw}\n\n--- {registrar.server} ---\n{registrar.raw}", MAX_RAW, lines=True)
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
