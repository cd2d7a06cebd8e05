"""Reading a WHOIS answer: the text of any registry, as a ``Registration`` or the reason it is not one.

Pure. The client (``whois.py``) calls ``read_answer`` on each server's text. How an answer is read:

1. **Lines** (``_line``). ``key: value`` in every spelling registries use: ``Key.......: value``
   (KazNIC, .tr), ``** Key: value`` (.tr), ``[key] value`` (JPRS), ``key<TAB>value`` (SWITCH),
   ``Record expires on DATE`` with no colon (TWNIC), a value on the lines after a key that has none
   (Nominet, SWITCH, .gg), continuation lines (.pl's name servers, .kz's statuses). Comment lines
   (``%``, ``#``, ``>>>``) separate blocks; ``[Section]``, ``Registrant:``, ``Nameservers``,
   ``% Registrar:`` are headers.
2. **Sections** (``sections``). Blank lines separate blocks; a header opens a section inside its block
   that runs over its indented lines, or, when they are not indented, to the next blank line or header.
   Each section has a role: the **domain**'s own (it names the domain asked), a **registrar**'s, a
   **contact**'s, **name servers**, **foreign** (another object: the other records of an old Verisign
   answer, a name server's record), or **neutral** (belongs to nobody in particular: Nominet's "Relevant
   dates", a footer). Roles come from headers and from a block's first field (``nic-hdl:`` starts a
   contact object, AFNIC's second ``registrar:`` block is the registrar's).
3. **Fields** (``_Reader``), each from the best place that has it: the domain's sections, then neutral
   ones, then, for names that cannot belong to anybody else (``Creation Date``, ``Registry Expiry
   Date``, not ``created`` or ``changed``), any section but a foreign one. A contact's ``changed:`` is
   never the domain's update, a contact's ``State: California`` never its status.
4. **The outcome** (``read_answer``)::

       registration facts (registrar, dates, name servers, a status) ........... OK
       registration-shaped lines we cannot read (a date in an unknown format) .. ERROR (unknown)
       a "not registered" statement standing as the answer's own ............... ABSENT
       a "reserved" statement ................................................... ERROR (unknown)
       "limit exceeded" and the like ............................................ REFUSED (unknown)
       anything else ............................................................ ERROR (unknown)

   "Not registered" counts only at the start of a line ("No match for", "example.nl is free",
   ``Status: free``), never inside a disclaimer ("... does not indicate that the name is available
   for registration"), and never over facts: a registered answer is never ABSENT because of its
   footer. A rate-limit phrase in a footer changes nothing when there are facts or a statement.

The phrases and field names are data (``data/whois.toml``), loaded through ``registrytext.phrases``.

Must not: raise for any text (``parse_whois`` raises only ``ValueError``, and ``read_answer`` never),
touch the network, or keep a value it did not clean (``registrytext.clean_value``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache, lru_cache
from types import MappingProxyType

from lookalike.endpoints import HostPort
from lookalike.errors import LookalikeError
from lookalike.model import Contact, Outcome, Registration, Status
from lookalike.registrydates import parse_date, slash_order
from lookalike.registrytext import (
    HOSTNAME,
    MAX_FIELD,
    MAX_RAW,
    clean_value,
    collapse,
    dedupe,
    field_key,
    is_redacted,
    normalise_nameserver,
    normalise_status,
    phrases,
    split_statuses,
)
from lookalike.text import clean

MAX_LINES = 20_000
"""Lines of one answer read (the client caps answers at 256 KiB; this bounds the work on any text)."""
MAX_LINE = 2_000
"""Characters of one line read."""


class Role(StrEnum):
    """Whose a section of an answer is."""

    DOMAIN = "domain"
    REGISTRAR = "registrar"
    REGISTRANT = "registrant"
    CONTACT = "contact"
    NAMESERVERS = "nameservers"
    NEUTRAL = "neutral"
    FOREIGN = "foreign"


@dataclass(frozen=True, slots=True)
class Pair:
    key: str
    """The field name, reduced (``registrytext.field_key``)."""
    value: str


@dataclass(slots=True)
class Section:
    """A part of an answer: its header (reduced, "" for a block with none), role and fields."""

    header: str = ""
    role: Role | None = None
    """From the header; None for a block, whose role its fields decide."""
    values_of: str = ""
    """The field its text lines are values of (``Name servers:`` -> ``nameservers``), or ""."""
    indent: int = -1
    """The header's indent; -1 for a block (which ends only at a blank line)."""
    mode: str = ""
    """"" until the first line; "indented" (takes deeper lines) or "flat" (takes lines to a blank)."""
    flat_pairs: bool = False
    """Whether unindented ``key: value`` lines belong to it (a named section), or only text lines."""
    pairs: list[Pair] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    last_indent: int = -1
    """The indent of its last ``key: value`` line, for continuation lines."""
    last_key: str = ""


# ---------------------------------------------------------------------------------------------------
# Lines

_RULE = re.compile(r"^\s*[-=_*~+#.]{3,}\s*$")
_COMMENT = re.compile(r"^\s*(?:%|#|>>>|\*(?!\*\s)|\[\s)")
_COMMENT_HEADER = re.compile(r"^\s*%+\s*([^:%]{2,40}?)\s*:\s*$")
_BRACKET = re.compile(r"^\s*(?:[a-z]\.\s*)?\[([^\]\s][^\]]{0,39})\]\s*(.*)$", re.IGNORECASE)
_COLON = re.compile(r"^\s*(?P<key>[^\s:%#>\[][^:]{0,59}?)\s*:(?!//)\s*(?P<value>.*)$")
_TAB = re.compile(r"^\s*(?P<key>[^\t:]{2,40}?)\t+\s*(?P<value>\S.*)$")
_HANDLE = re.compile(r"^(?=[^a-z ]*\d)[A-Z0-9]+(?:-[A-Z0-9]+)+$")
"""A contact handle (``KSG12345678-NICAT``, ``MARK-0292``) where a name was expected."""
_HANDLE_VALUE = re.compile(r"^(?=.*\d)[A-Za-z0-9][\w.-]{1,40}$")
_REGISTRAR_SUFFIX = re.compile(r"\s*(?:\[tag\s*=[^\]]*\]|\(\s*https?://[^)]*\))\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Line:
    kind: str
    """"blank", "rule" (a line of dashes: ignored), "header", "pair" or "text"."""
    indent: int
    key: str = ""
    value: str = ""
    text: str = ""
    """The whole line, stripped (for a ``key: value`` line that turns out to continue a value)."""


def _line(raw: str) -> _Line:
    """One line of an answer, classified."""
    if not raw.strip() or _RULE.match(raw):
        return _Line("blank" if not raw.strip() else "rule", 0)
    leading = raw[: len(raw) - len(raw.lstrip())]
    indent = len(leading.expandtabs(8))
    text = raw.strip()
    if text.startswith("**") and not text.strip("* "):
        return _Line("rule", indent)
    if text.startswith("** "):
        text = text[3:].strip()
    elif _COMMENT.match(text):
        header = _COMMENT_HEADER.match(text)
        if header and _header_role(field_key(header.group(1))) is not None:
            return _Line("header", indent, field_key(header.group(1)))
        return _Line("blank", indent)
    bracket = _BRACKET.match(text)
    if bracket:
        key, value = field_key(bracket.group(1)), bracket.group(2).strip()
        return _Line("pair" if value else "header", indent, key, value)
    lowered = collapse(text).lower()
    for key in phrases().spaced_keys:
        if lowered.startswith(key + " ") and not lowered[len(key) :].lstrip().startswith(":"):
            return _Line("pair", indent, key, collapse(text)[len(key) :].strip())
    colon = _COLON.match(text)
    if colon and _inside_value(colon.group("key"), colon.group("value")):
        colon = None  # "ns2.example.net  2001:db8::53", "Registered 2020-01-02 07:01": not a field
    if colon:
        key, value = field_key(colon.group("key")), colon.group("value").strip()
        if not value:
            return _Line("header" if _known(key) else "pair", indent, key, "", text)
        return _Line("pair", indent, key, value, text)
    tab = _TAB.match(raw)
    if tab and _known(field_key(tab.group("key"))):
        return _Line("pair", indent, field_key(tab.group("key")), tab.group("value").strip())
    if _header_like(text) and _header_role(field_key(text)) is not None:
        return _Line("header", indent, field_key(text))
    return _Line("text", indent, "", text)


def _inside_value(key: str, value: str) -> bool:
    """True when a line's first colon belongs to an IPv6 address or a time, not to a field name."""
    if re.search(r"(?:^|[\sT])\d{1,2}$", key) and re.match(r"\d{2}\b", value):
        return True
    return bool(re.search(r"(?:^|\s)[0-9a-f]{1,4}$", key, re.IGNORECASE)) and bool(
        re.match(r"[0-9a-f]{0,4}:", value, re.IGNORECASE)
    )


def _header_like(text: str) -> bool:
    """A line that can be a header without a colon ("Nameservers", "Technical Contacts"): short, and
    no address, URL or mail address in it (a contact's "DNS Admin  dns-admin@example.com" is not one)."""
    return len(text) <= 60 and len(text.split()) <= 6 and "@" not in text and "://" not in text


def _known(key: str) -> bool:
    """A name lookalike knows: a field's (then a key with no value opens its values) or a section's."""
    return key in _alias_fields() or _header_role(key) is not None


_ROLE_OF_SECTION = {
    "registrar": Role.REGISTRAR,
    "registrant": Role.REGISTRANT,
    "contact": Role.CONTACT,
    "nameservers": Role.NAMESERVERS,
    "domain": Role.DOMAIN,
}


_FILLER = frozenset(("contact", "contacts", "information", "info", "details", "data", "object", "of", "the"))


@lru_cache(maxsize=4096)
def _header_role(key: str) -> Role | None:
    """The role a header names (see [sections] in data/whois.toml); None when it names no section."""
    if not key or len(key) > 60:
        return None
    sections = phrases().sections
    spelled = collapse(key.replace("/", " ").replace("(s)", ""))
    words = [w for w in spelled.split() if w not in _FILLER]
    for name in ("registrar", "registrant", "contact", "nameservers", "domain"):
        listed = sections[name]
        if spelled in listed or (words and all(w in listed for w in words)):
            return _ROLE_OF_SECTION[name]
        if any(not phrase.isascii() and phrase in key for phrase in listed):
            return _ROLE_OF_SECTION[name]
        if name == "nameservers" and ("name server" in spelled or "nameserver" in spelled):
            return Role.NAMESERVERS
    return None


@cache
def _alias_fields() -> Mapping[str, str]:
    """Every field name -> the field it names (the first field listing it)."""
    found: dict[str, str] = {}
    for name, aliases in phrases().fields.items():
        for alias in aliases:
            found.setdefault(alias, name)
    return MappingProxyType(found)


# ---------------------------------------------------------------------------------------------------
# Sections


def sections(text: str) -> list[Section]:
    """An answer's sections, in order (see the module docstring); roles are not decided yet for blocks."""
    out: list[Section] = []
    stack: list[Section] = []
    merged: set[int] = set()

    def open_block() -> None:
        while len(stack) > 1:
            pop()
        stack.clear()
        block = Section()
        stack.append(block)
        out.append(block)

    def pop() -> None:
        done = stack.pop()
        if done.values_of and done.role is None and len(stack) >= 1:
            # A field's values under its own header ("Domain Status:" then indented lines) belong to
            # the part of the answer the header stands in.
            stack[-1].pairs += done.pairs
            merged.add(id(done))

    open_block()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:MAX_LINES]
    previous = ""
    for index, raw in enumerate(lines):
        line = _line(raw[:MAX_LINE])
        if line.kind == "rule":
            continue
        if line.kind == "blank":
            if not (stack and stack[-1].indent >= 0 and not stack[-1].mode):
                open_block()  # a header still waiting for its values keeps them across a blank line
            previous = "blank"
            continue
        opener = line.kind == "pair" and line.key in phrases().contact_openers
        if line.kind == "header" or opener or (line.kind == "pair" and _opens_section(line, lines, index)):
            while stack[-1].indent >= 0 and stack[-1].indent >= line.indent:
                pop()
            role = Role.CONTACT if opener else _header_role(line.key)
            section = Section(
                header=line.key,
                role=role,
                values_of=_values_of(line.key, role),
                indent=line.indent,
                flat_pairs=role is not None,
            )
            if line.kind == "pair":  # .sk: "Registrar: MARK-0292" then the registrar's fields
                section.pairs.append(Pair(line.key, line.value))
                section.mode = "flat"
            stack.append(section)
            out.append(section)
            previous = "header"
            continue
        while True:
            current = stack[-1]
            if current.indent < 0 or _belongs(current, line):
                break
            pop()
        current = stack[-1]
        if current.indent >= 0 and not current.mode:
            current.mode = "indented" if line.indent > current.indent else "flat"
        continues = previous == "pair" and bool(current.last_key) and line.indent > current.last_indent
        if continues and (line.kind == "text" or (line.text and not _known(line.key))):
            # A continuation line (.pl's name servers, an address over three lines), even when it holds
            # a colon of its own (.tr: "ARGE VE EĞİTİM MERKEZİ NO:13").
            current.pairs.append(Pair(current.last_key, line.text or line.value))
            continue
        if line.kind == "pair":
            current.pairs.append(Pair(line.key, line.value))
            current.last_indent, current.last_key = line.indent, line.key
        elif current.values_of:
            current.pairs += _values(current.values_of, line.value)
            current.texts.append(line.value)
        else:
            current.texts.append(line.value)
        previous = line.kind
    while len(stack) > 1:
        pop()
    return [s for s in out if id(s) not in merged and (s.pairs or s.texts or s.header)]


def _values(name: str, text: str) -> list[Pair]:
    """A text line under a field's header as that field's values; Dot TK's "GOOGLE.TK is Active" under
    "Domain name:" is the domain and its status."""
    stated = re.match(r"^(\S+\.\S+)\s+is\s+(\w[\w ]{0,30})$", text) if name == "domain" else None
    if stated:
        return [Pair("domain", stated.group(1)), Pair("status", stated.group(2))]
    return [Pair(name, text)]


def _values_of(key: str, role: Role | None) -> str:
    if role is Role.NAMESERVERS:
        return "nameservers"
    if role is Role.DOMAIN:
        return "domain"
    return _alias_fields().get(key, "") if role is None else ""


_DESCRIBES = ("name", "organization", "organisation", "org", "type", "company name", "contact name")
"""Fields that start describing an object (a contact, a registrar) right after its handle."""


def _opens_section(line: _Line, lines: list[str], index: int) -> bool:
    """A field whose value is a handle, naming a contact or a registrar, followed by that object's own
    fields (.sk: "Domain registrant: mmr-170347" then "Name:", "Organization:" ...)."""
    role = _header_role(line.key)
    if role not in (Role.REGISTRAR, Role.REGISTRANT, Role.CONTACT) or not _HANDLE_VALUE.match(line.value):
        return False
    for following in lines[index + 1 : index + 3]:
        after = _line(following[:MAX_LINE])
        if after.kind in ("blank", "rule"):
            continue
        return after.kind == "pair" and after.key in _DESCRIBES
    return False


def _belongs(section: Section, line: _Line) -> bool:
    """Whether ``line`` continues the header section ``section`` (else the section ends before it)."""
    if section.mode == "indented" or (not section.mode and line.indent > section.indent):
        return line.indent > section.indent
    if line.indent < section.indent:
        return False
    if line.kind == "text":
        return True
    if not section.flat_pairs:
        return False
    # A field only the domain has ends a named section that runs without indentation (HKIRC writes
    # "Domain Name Commencement Date" right after the registrant's fields).
    return not _domain_level(line.key)


def _domain_level(key: str) -> bool:
    name = _alias_fields().get(key)
    return name in ("domain", "created", "expires", "updated", "status", "nameservers") and (
        key not in phrases().generic
    )


# ---------------------------------------------------------------------------------------------------
# Roles


def _domain_values(section: Section) -> Iterator[str]:
    aliases = set(phrases().fields["domain"])
    for pair in section.pairs:
        if pair.key in aliases or (section.role is Role.DOMAIN and pair.key == "name"):
            token = pair.value.strip().split(" ")[0].strip("\"'").rstrip(".").lower()
            if token:
                yield token


def _same_name(value: str, domain: str) -> bool:
    if value == domain:
        return True
    if not value.isascii():
        try:
            return value.encode("idna").decode("ascii") == domain
        except UnicodeError:
            return False
    return False


def assign_roles(found: list[Section], domain: str | None) -> None:
    """Decide each section's role; the domain's own are those naming ``domain`` (or, when none does or
    ``domain`` is None, the first that names any domain)."""
    record_keys = phrases().record_keys
    named = [(s, list(_domain_values(s))) for s in found]
    matching = [s for s, values in named if domain is not None and any(_same_name(v, domain) for v in values)]
    if not matching:
        first = next((s for s, values in named if values and s.role in (None, Role.DOMAIN)), None)
        matching = [first] if first is not None else []
    for section, values in named:
        if section in matching:
            section.role = Role.DOMAIN
        elif any(p.key in record_keys for p in section.pairs) or (
            values and section.role in (None, Role.DOMAIN) and domain is not None and matching
        ):
            section.role = Role.FOREIGN  # another object's record
        elif section.role is None:
            section.role = _block_role(section)
    _follow_holder(found)
    if not matching:
        # No part names a domain (some registries never repeat it): blocks that belong to nobody are
        # the domain's.
        for section in found:
            if section.role is Role.NEUTRAL and not section.header:
                section.role = Role.DOMAIN


def _follow_holder(found: list[Section]) -> None:
    """RIPE style: the domain names its holder by handle ("registrant: KSG1-NICAT", "holder-c:"); the
    contact object with that handle ("nic-hdl: KSG1-NICAT") is the registrant's."""
    keys = set(phrases().fields["registrant_organization"]) | {"holder c", "holder", "registrant c"}
    handles = {
        p.value.strip().lower()
        for s in found
        if s.role is Role.DOMAIN
        for p in s.pairs
        if p.key in keys and _HANDLE_VALUE.match(p.value.strip())
    }
    if not handles:
        return
    for section in found:
        if section.role in (Role.CONTACT, Role.NEUTRAL) and any(
            p.key in phrases().contact_handles and p.value.strip().lower() in handles for p in section.pairs
        ):
            section.role = Role.REGISTRANT


def _block_role(section: Section) -> Role:
    if not section.pairs:
        return Role.NEUTRAL
    first = section.pairs[0].key
    if first in phrases().contact_keys or any(p.key in phrases().contact_handles for p in section.pairs):
        return Role.CONTACT
    if first == "registrar":
        return Role.REGISTRAR
    return Role.NEUTRAL


# ---------------------------------------------------------------------------------------------------
# Fields


class _Reader:
    """The fields of one answer, each from the best section that has it."""

    def __init__(self, found: list[Section]) -> None:
        self.sections = found
        self.by_role: dict[Role, list[Section]] = {}
        for section in found:
            assert section.role is not None
            self.by_role.setdefault(section.role, []).append(section)
        self.generic = phrases().generic
        dates = [p.value for s in found for p in s.pairs if _alias_fields().get(p.key) in _DATE_FIELDS]
        self.day_first = slash_order(dates)

    def tiers(self, name: str) -> Iterator[list[Pair]]:
        """The pairs to look in for field ``name``, best first, each tier restricted to what may hold it."""
        roles = [Role.DOMAIN, Role.NEUTRAL]
        if name == "nameservers":
            roles.insert(0, Role.NAMESERVERS)  # an explicit list of the domain's name servers comes first
        for role in roles:
            yield [p for s in self.by_role.get(role, ()) for p in s.pairs]
        anywhere = [Role.REGISTRAR, Role.REGISTRANT, Role.CONTACT, Role.NAMESERVERS]
        yield [
            p
            for role in anywhere
            for s in self.by_role.get(role, ())
            for p in s.pairs
            if p.key not in self.generic
        ]

    def values(self, name: str) -> Iterator[str]:
        """Every value of field ``name`` in the best tier that has one, aliases in priority order."""
        aliases = phrases().fields[name]
        for pairs in self.tiers(name):
            found = False
            for alias in aliases:
                for pair in pairs:
                    if pair.key == alias and pair.value.strip():
                        found = True
                        yield pair.value
            if found:
                return

    def first(self, name: str, limit: int = MAX_FIELD) -> str | None:
        """The first usable value: if the first value present is redacted, the field is unknown."""
        for value in self.values(name):
            if _HANDLE.match(value.strip()) and name in ("registrar", "registrant_organization"):
                continue
            return clean_value(value, limit)
        return None

    def date(self, name: str) -> datetime | None:
        for value in self.values(name):
            when = parse_date(value, day_first=self.day_first)
            if when is not None:
                return when
        return None

    def registrar(self) -> str | None:
        handles: list[str] = []
        for tier, pairs in enumerate(self.tiers("registrar")):
            if tier == 1:  # after the domain's own sections: the registrar's section names it
                named = self.registrar_section(handles)
                if named:
                    return named
            for alias in phrases().fields["registrar"]:
                for pair in pairs:
                    if pair.key != alias or not pair.value.strip():
                        continue
                    if _HANDLE.match(pair.value.strip()):
                        handles.append(pair.value)
                        continue
                    return _registrar_name(pair.value)
        return clean_value(handles[0]) if handles else None

    def registrar_section(self, handles: list[str]) -> str | None:
        for section in self.by_role.get(Role.REGISTRAR, ()):
            for key in phrases().name_keys:
                for pair in section.pairs:
                    if pair.key == key and pair.value.strip():
                        if _HANDLE.match(pair.value.strip()) or _HANDLE_VALUE.match(pair.value.strip()):
                            handles.append(pair.value)
                            continue
                        return _registrar_name(pair.value)
            if section.texts:
                return _registrar_name(section.texts[0])
        return None

    def statuses(self) -> tuple[str, ...]:
        values = (s for v in self.values("status") for s in split_statuses(v))
        kept = (v for v in values if not _states_absence(v) and not is_redacted(v))
        return dedupe(s for v in kept if (s := normalise_status(v)))

    def nameservers(self) -> tuple[str, ...]:
        found = list(self.values("nameservers"))
        if not found:
            found = [t for s in self.by_role.get(Role.NAMESERVERS, ()) for t in s.texts]
        names = (
            n for v in found for part in re.split(r"[\s,]+", v.strip()) if (n := normalise_nameserver(part))
        )
        return dedupe(names)

    def registrant(self) -> Contact | None:
        """The holder: ICANN-style "Registrant ..." fields, else the holder's own section or object."""
        holder = next(iter(self.by_role.get(Role.REGISTRANT, ())), None)

        def own(keys: Iterable[str], limit: int = MAX_FIELD) -> str | None:
            if holder is None:
                return None
            for key in keys:
                for pair in holder.pairs:
                    if pair.key == key and pair.value.strip() and not _HANDLE.match(pair.value.strip()):
                        return clean_value(pair.value, limit)
            return None

        organization = self.first("registrant_organization")
        name = self.first("registrant_name")
        if organization is None and name is None and holder is not None:
            organization = own(phrases().name_keys)
            if organization is None and holder.texts:
                organization = clean_value(holder.texts[0])
        return _contact(
            name=name,
            organization=organization,
            email=self.first("registrant_email") or own(("email", "e mail")),
            country=self.first("registrant_country", 64) or own(("country", "country code"), 64),
        )


_DATE_FIELDS = frozenset(("created", "expires", "updated"))


def _registrar_name(value: str) -> str | None:
    # Keep the name: Nominet adds "[Tag = EXAMPLE]", nic.at and .gg "( https://... )".
    cleaned = clean_value(value)
    if cleaned is None:
        return None
    return _REGISTRAR_SUFFIX.sub("", cleaned) or cleaned


def _contact(**values: str | None) -> Contact | None:
    if not any(values.values()):
        return None
    return Contact(**values)


# ---------------------------------------------------------------------------------------------------
# Statements: "not registered", "reserved", "too many queries"


def _statement(line: str, domain: str | None) -> str:
    """A line reduced to what it states: comment marks, an error code and the name asked removed."""
    text = collapse(line).lower()
    text = re.sub(r"^[%#>*\s]+", "", text)
    text = re.sub(r"^error:\s*\d+:\s*", "", text)
    name = re.escape(domain) if domain else r"[a-z0-9.-]+\.[a-z0-9-]+"
    text = re.sub(rf"^(?:the\s+)?(?:domain(?:\s+name)?\s+)?[\"']?{name}[\"']?\s*", "", text)
    return text.replace("_", " ")


def _states(text: str, needles: Iterable[str], domain: str | None) -> bool:
    needles = tuple(needles)
    for line in text.split("\n")[:MAX_LINES]:
        statement = _statement(line[:MAX_LINE], domain)
        if statement and statement.startswith(needles):
            return True
    return False


def _states_absence(value: str) -> bool:
    """A status value that says the name is not registered ("No Object Found", "free", "AVAILABLE")."""
    lowered = collapse(value).lower()
    return lowered in ("free", "available", "220 available") or lowered.startswith(phrases().no_match)


def says_no_match(text: str, domain: str | None = None) -> bool:
    """True when ``text`` states, as its own statement, that the name is not registered."""
    return _states(text, phrases().no_match, domain)


def says_reserved(text: str, domain: str | None = None) -> bool:
    """True when ``text`` states that the name is reserved or blocked by the registry."""
    return _states(text, phrases().reserved, domain)


def says_rate_limited(text: str) -> bool:
    """True when a line of ``text`` holds one of the registries' "you asked too often" phrases."""
    needles = phrases().rate_limited
    for line in text.split("\n")[:MAX_LINES]:
        lowered = collapse(line[:MAX_LINE]).lower()
        if any(n in lowered for n in needles):
            return True
    return False


def _quote_phrase(text: str) -> str:
    """The line of a refusal that says why, for the outcome's detail."""
    lines = [line for line in text.split("\n")[:MAX_LINES] if line.strip()]
    for line in lines:
        if says_rate_limited(line):
            return repr(clean(line, 120))
    return repr(clean(lines[0], 120)) if lines else "(empty)"


# ---------------------------------------------------------------------------------------------------
# The parser


@dataclass(frozen=True, slots=True)
class Reading:
    """What an answer holds: the registration when it has facts, and the evidence for the outcome."""

    registration: Registration | None
    shaped: bool
    """Registration-shaped lines (a registrar, dates, name servers) whose values could not be read."""


def read(text: str, server: str, domain: str | None = None) -> Reading:
    """The registration an answer describes, if any, and whether it looked like one. Pure; never raises."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = sections(text)
    assign_roles(found, domain.lower().rstrip(".") if domain else None)
    reader = _Reader(found)
    registrar = reader.registrar()
    iana_id = reader.first("registrar_iana_id", 16)
    created, expires, updated = reader.date("created"), reader.date("expires"), reader.date("updated")
    nameservers = reader.nameservers()
    statuses = reader.statuses()
    # An update date alone is no fact: registries print their database's own time ("Last updated on").
    if not (registrar or created or expires or nameservers or statuses):
        return Reading(None, _shaped(found))
    abuse = _contact(email=reader.first("abuse_email"), phone=reader.first("abuse_phone", 64))
    registration = Registration(
        source="whois",
        server=server,
        registrar=registrar,
        registrar_iana_id=iana_id if iana_id and iana_id.isdigit() else None,
        created=created,
        expires=expires,
        updated=updated,
        status=statuses,
        nameservers=nameservers,
        registrant=reader.registrant(),
        abuse=abuse,
        raw=clean(text, MAX_RAW, lines=True),
    )
    return Reading(registration, True)


def _shaped(found: list[Section]) -> bool:
    """Lines that give a registrar, a date or a name server, with a value that is not redacted and does
    not itself say the name is free: a registration we failed to read, not an absence."""
    aliases = _alias_fields()
    for section in found:
        if section.role is Role.FOREIGN:
            continue
        for pair in section.pairs:
            name = aliases.get(pair.key)
            if name not in ("registrar", "created", "expires", "updated", "nameservers"):
                continue
            if section.role not in (Role.DOMAIN, Role.NEUTRAL) and pair.key in phrases().generic:
                continue
            value = pair.value.strip()
            if (
                value
                and not is_redacted(value)
                and not _states_absence(value)
                and any(c.isalnum() for c in value)
            ):
                return True
    return False


def parse_whois(text: str, server: str, domain: str | None = None) -> Registration | None:
    """A WHOIS answer as a ``Registration``; None when it states the name is not registered.

    Pure. Raises ``ValueError`` when it is neither (a refusal, an error, a reserved name, a format we
    cannot read): the caller must treat that as unknown. ``read_answer`` says which.
    """
    outcome = read_answer(text, server, domain or "")
    if outcome.status is Status.OK:
        return outcome.value
    if outcome.status is Status.ABSENT:
        return None
    raise ValueError(outcome.detail)


def read_answer(text: str, server: str, domain: str) -> Outcome[Registration]:
    """One WHOIS answer as an outcome (the table in the module docstring). Pure; never raises."""
    if not text.strip():
        return Outcome(Status.REFUSED, None, f"{server} closed the connection without an answer")
    name = domain.strip().lower().rstrip(".") or None
    reading = read(text, server, name)
    shown = (name or "the name")[:253]
    if reading.registration is not None:
        return Outcome(Status.OK, reading.registration)
    if reading.shaped:
        return Outcome(Status.ERROR, None, f"{server}: a registration for {shown} we cannot read")
    if says_no_match(text, name):
        return Outcome(Status.ABSENT, None, f"{server}: no match for {shown}")
    if says_reserved(text, name):
        return Outcome(Status.ERROR, None, f"{server}: {shown} is reserved by the registry")
    if says_rate_limited(text):
        return Outcome(Status.REFUSED, None, f"{server} refused: {_quote_phrase(text)}")
    return Outcome(Status.ERROR, None, f"{server}: unrecognised WHOIS answer for {shown}")


# ---------------------------------------------------------------------------------------------------
# Referrals


def pairs(text: str) -> Iterator[Pair]:
    """Every ``key: value`` line of an answer, in order, whatever its section."""
    for section in sections(text):
        yield from section.pairs


def referral(text: str) -> str | None:
    """The server a WHOIS answer refers to (``Registrar WHOIS Server:``, ``refer:``, ``ReferralServer:``),
    as ``host`` or ``host:port``; None when there is none or it is not a WHOIS server (a web URL)."""
    aliases = phrases().fields["referral"]
    found = [p for p in pairs(text) if p.key in aliases and p.value.strip()]
    for alias in aliases:
        for pair in found:
            if pair.key != alias:
                continue
            target = clean(pair.value, 300)
            if re.match(r"^(?:https?|rwhois)://", target, re.IGNORECASE):
                continue
            target = re.sub(r"^whois://", "", target, flags=re.IGNORECASE).split("/", 1)[0].strip()
            if not target:
                continue
            try:
                host = HostPort.parse(target, 43)
            except LookalikeError:
                continue
            if host.is_ip or HOSTNAME.match(host.host.lower().rstrip(".")):
                return target.lower().rstrip(".")
    return None


def iana_referral(text: str) -> str | None:
    """The WHOIS server IANA names for a TLD (``refer:``, else ``whois:``); None when it names none."""
    found = list(pairs(text))
    for key in ("refer", "whois"):
        for pair in found:
            if pair.key != key:
                continue
            target = clean(pair.value, 300).lower().rstrip(".")
            if target and (HOSTNAME.match(target.split(":")[0]) or _is_hostport(target)):
                return target
    return None


def _is_hostport(text: str) -> bool:
    try:
        return HostPort.parse(text, 43).is_ip
    except LookalikeError:
        return False
