"""Domain names in, one canonical form out: parsing, IDNA both ways, public-suffix split, validity.

Pure: reads only the package's own data files (the IANA TLD list, and the Public Suffix List that the
``publicsuffixlist`` package ships), once, on first use. Never touches the network.

Canonical form: lower-case ASCII (A-labels for IDN), no trailing dot, every label valid LDH, at most
253 octets, and a TLD that IANA delegates.

Private PSL suffixes (``github.io``, ``blogspot.com`` ...) are honoured on purpose: a name under one is
handed out by the platform, not a registry, so ``myorg.github.io``'s registrable part is the whole
name and ``myorgg.github.io`` is a lookalike anyone can claim there. ``Name.private_suffix`` says when
that happened, so callers can skip registry lookups that would only describe the platform.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import idna
from publicsuffixlist import PublicSuffixList

from lookalike.datafiles import TLDS, data_path
from lookalike.errors import LookalikeError
from lookalike.inputs import read_text

MAX_NAME = 253
MAX_LABEL = 63
MAX_INPUT_BYTES = 50_000_000
"""A file of protected names larger than this is refused rather than read into memory."""
MAX_DATA_FILE = 4 << 20
"""Bytes read of the TLD list (about 10 kB today)."""

_LDH_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Name:
    """One parsed, validated domain name."""

    ascii: str
    """Canonical ASCII form: ``xn--80ak6aa92e.com``, ``us.army.mil``."""
    unicode: str
    """The same name for display: ``аррӏе.com``."""
    suffix: str
    """The public suffix (ASCII): ``mil``, ``co.uk``, ``github.io``."""
    apex: str
    """The registrable domain (ASCII): the suffix plus one label, ``army.mil`` for ``us.army.mil``."""
    private_suffix: bool = False
    """True when ``suffix`` comes from the PSL's private section."""

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.ascii.split("."))

    @property
    def brand(self) -> str:
        """The label just left of the suffix: ``army`` in ``us.army.mil``."""
        return self.apex.split(".", 1)[0]

    @property
    def sub(self) -> str:
        """What sits left of the apex: ``us`` in ``us.army.mil``, ``""`` for the apex itself."""
        return self.ascii[: -len(self.apex) - 1] if self.ascii != self.apex else ""

    @property
    def tld(self) -> str:
        return self.ascii.rsplit(".", 1)[-1]


@cache
def tlds() -> frozenset[str]:
    """Every TLD in the root zone (lower-case ASCII, A-labels for IDN TLDs), from the shipped IANA list."""
    text = read_text(data_path(TLDS), MAX_DATA_FILE, what="the TLD list", encoding="ascii")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False)


@cache
def _icann_psl() -> PublicSuffixList:
    return PublicSuffixList(only_icann=True, accept_unknown=False)


def is_hostname(name: str) -> bool:
    """True when ``name`` is canonical ASCII: LDH labels of 1-63 octets, 253 at most, a real TLD.

    Labels with hyphens in the third and fourth positions are reserved (RFC 5891 §4.2.3.1) unless they
    are A-labels, so registries refuse them and so do we. Fast enough for the generator's hot path.
    """
    if not name or len(name) > MAX_NAME:
        return False
    labels = name.split(".")
    if len(labels) < 2 or labels[-1] not in tlds():
        return False
    for label in labels:
        if not _LDH_LABEL.match(label):
            return False
        if label[2:4] == "--" and not label.startswith("xn--"):
            return False
    return True


def to_unicode(ascii_name: str) -> str:
    """The display form of a canonical ASCII name; the input itself when a label will not decode."""
    if "xn--" not in ascii_name:
        return ascii_name
    return ".".join(_label_to_unicode(label) for label in ascii_name.split("."))


def _label_to_unicode(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return idna.decode(label)
    except idna.IDNAError:
        # Not valid IDNA2008, but still punycode a browser may show: decode it for display anyway.
        try:
            return label[4:].encode("ascii").decode("punycode")
        except UnicodeError:
            return label


def to_ascii(unicode_name: str, *, strict: bool = True) -> str:
    """The A-label form of a Unicode name.

    ``strict`` applies IDNA2008 as registries do; without it, UTS #46 mapping (case folding,
    full-width dots) is applied first, as browsers do with what users type.
    Raises ``LookalikeError`` with the reason when the name cannot be encoded.
    """
    try:
        if strict:
            return idna.encode(unicode_name, uts46=False).decode("ascii")
        return idna.encode(unicode_name, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise LookalikeError(f"{unicode_name!r} is not a valid internationalised domain name: {exc}") from exc


def strip_decoration(text: str) -> str:
    """Reduce what people paste (URLs, mail addresses, ``host:port``, trailing dots) to a bare name."""
    name = text.strip()
    if _SCHEME.match(name):
        name = _SCHEME.sub("", name, count=1)
        name = re.split(r"[/?#]", name, maxsplit=1)[0]
        name = name.rsplit("@", 1)[-1]  # user:password@host
        if name.startswith("["):
            return name
        name = name.split(":", 1)[0]
    elif "@" in name:
        name = name.rsplit("@", 1)[-1]
    if name.count(":") == 1:
        host, port = name.split(":")
        if port.isdigit():
            name = host
    return name.strip().rstrip(".").strip()


def parse(text: str) -> Name:
    """Parse one protected name in any of the forms people use. Raises ``LookalikeError``.

    >>> parse("user@Army.MIL.").ascii
    'army.mil'
    """
    raw = text
    name = strip_decoration(text)
    if not name:
        raise LookalikeError(f"{raw!r} is not a domain name: it is empty")
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        pass
    else:
        raise LookalikeError(f"{raw!r} is an IP address, not a domain name")
    if any(ch.isspace() for ch in name) or "*" in name or "_" in name:
        raise LookalikeError(f"{raw!r} is not a domain name: it contains a space, '*' or '_'")
    if "." not in name.replace("。", ".").replace("．", ".").replace("｡", "."):
        raise LookalikeError(f"{raw!r} is not a domain name: it needs at least two labels, like army.mil")
    if name.isascii():
        ascii_name = name.lower()
        if ascii_name.startswith("xn--") or ".xn--" in ascii_name:
            # Round-trip A-labels so a malformed punycode label is caught now, not at query time.
            ascii_name = to_ascii(to_unicode(ascii_name), strict=False)
    else:
        ascii_name = to_ascii(name, strict=False)
    for label in ascii_name.split("."):
        if not label:
            raise LookalikeError(f"{raw!r} is not a domain name: it has an empty label")
        if len(label) > MAX_LABEL:
            raise LookalikeError(f"{raw!r}: the label {label[:20]!r}... is longer than {MAX_LABEL} octets")
        if not _LDH_LABEL.match(label):
            raise LookalikeError(
                f"{raw!r}: the label {label!r} may hold only letters, digits and inner hyphens"
            )
    if len(ascii_name) > MAX_NAME:
        raise LookalikeError(f"{raw!r} is longer than {MAX_NAME} octets")
    tld = ascii_name.rsplit(".", 1)[-1]
    if tld not in tlds():
        raise LookalikeError(f"{raw!r}: .{tld} is not a top-level domain in the IANA root zone list")
    return split(ascii_name)


def split(ascii_name: str) -> Name:
    """Split a canonical ASCII name with the Public Suffix List (no validation beyond that)."""
    psl = _psl()
    suffix = psl.publicsuffix(ascii_name) or ascii_name.rsplit(".", 1)[-1]
    if suffix == ascii_name:
        raise LookalikeError(f"{ascii_name!r} is a public suffix itself, not a registrable domain")
    apex = psl.privatesuffix(ascii_name) or ascii_name
    icann_suffix = _icann_psl().publicsuffix(ascii_name)
    return Name(
        ascii=ascii_name,
        unicode=to_unicode(ascii_name),
        suffix=suffix,
        apex=apex,
        private_suffix=icann_suffix is not None and icann_suffix != suffix,
    )


def apex_of(ascii_name: str) -> str:
    """The registrable domain holding ``ascii_name``; the name itself when the PSL has no answer."""
    return _psl().privatesuffix(ascii_name) or ascii_name


def suffix_of(ascii_name: str) -> str:
    """The public suffix of ``ascii_name`` (its TLD when the PSL has no rule)."""
    return _psl().publicsuffix(ascii_name) or ascii_name.rsplit(".", 1)[-1]


def is_public_suffix(ascii_name: str) -> bool:
    """True when ``ascii_name`` is itself a public suffix (``co.uk``, ``mil``)."""
    return _psl().publicsuffix(ascii_name) == ascii_name


def parse_many(texts: Iterable[str]) -> list[Name]:
    """Parse several names, dropping duplicates, keeping the first spelling's order."""
    seen: dict[str, Name] = {}
    for text in texts:
        name = parse(text)
        seen.setdefault(name.ascii, name)
    return list(seen.values())


def read_names_file(path: Path) -> list[str]:
    """The names in a file: one per line, ``#`` comments and blank lines ignored.

    Raises ``LookalikeError`` when the file is missing, unreadable, too large, not text, or empty.
    """
    text = read_text(path, MAX_INPUT_BYTES)
    names = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    names = [n for n in names if n]
    if not names:
        raise LookalikeError(f"{path} holds no domain names")
    return names
