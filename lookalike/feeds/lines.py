"""Names from text input: one name a line, a zone file (CZDS), or Certificate Transparency JSON lines.

Pure: takes lines as bytes and yields ``(line number, name)``; never reads a file itself. Input is
hostile and unbounded, so it is read with bounds: a line longer than ``MAX_LINE`` bytes, text that is
not UTF-8 or JSON that does not parse is an ``InputError`` naming the line (the CLI prints one line and
exits 2 after writing what it found before); a line with more than ``MAX_NAMES_PER_LINE`` names gives
the first that many. Something that is not a host name is not an error: feeds are full of them
(``localhost``, IP addresses, wildcards of nothing); the caller counts them.

Formats (``Format.AUTO`` decides per line):

- ``lines``: the first word of each line; ``#`` comments and blank lines skipped;
- ``zone``: RFC 1035 master-file lines as ICANN's CZDS serves them (``name. ttl in ns target.``): the
  owner name of NS records, once per run of identical owners (glue and DS records are not names of
  the zone's own); ``$ORIGIN`` makes relative owners absolute;
- ``ct``: one JSON object a line: CertStream's ``data.leaf_cert.all_domains``, or any of the keys in
  ``NAME_KEYS`` (``lookalike watch ct``'s own ``names``, ``sans``, ``domains`` ...), at any depth up to
  ``MAX_DEPTH``; a JSON array written an element a line (``lookalike match --format json``) reads too.

Must not: match, resolve or judge names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from enum import StrEnum

from lookalike.errors import LookalikeError

MAX_LINE = 1 << 20
"""Bytes per line: a certificate with a thousand names fits; an endless line does not."""
MAX_NAMES_PER_LINE = 10_000
MAX_DEPTH = 6
NAME_KEYS = frozenset(
    {"all_domains", "domains", "names", "name", "domain", "sans", "dns_names", "common_name", "cn"}
)
_CLASSES = frozenset({b"in", b"ch", b"hs", b"cs"})
_ARRAY_EDGES = frozenset({b"[", b"]", b"],", b"[]"})
"""Lines that open or close a JSON array written one element a line (``lookalike match --format json``)."""


class Format(StrEnum):
    """How input lines hold names."""

    AUTO = "auto"
    LINES = "lines"
    ZONE = "zone"
    CT = "ct"


class InputError(LookalikeError):
    """A line that cannot be read: too long, not UTF-8, broken JSON."""


def _words(value: object, depth: int = 0) -> Iterator[str]:
    """Strings under ``NAME_KEYS`` anywhere in a decoded JSON document."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if key in NAME_KEYS:
                if isinstance(item, str):
                    yield item
                elif isinstance(item, list):
                    yield from (x for x in item if isinstance(x, str))
                else:
                    yield from _words(item, depth + 1)
            elif isinstance(item, dict | list):
                yield from _words(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list):
                yield from _words(item, depth + 1)


def _zone_owner(fields: list[bytes]) -> bytes | None:
    """The owner of a master-file record, or None for a line that is no record (a directive). Only
    NS records count: a zone's names are its delegations, not their glue or DS records."""
    if len(fields) < 4 or fields[0].startswith((b"$", b";")):
        return None
    # name ttl class type rdata (CZDS), name class ttl type, or name ttl type / name class type.
    lowered = [f.lower() for f in fields[1:4]]
    if lowered[1] in _CLASSES or (lowered[0] in _CLASSES and lowered[1].isdigit()):
        rtype = lowered[2]
    elif lowered[0] in _CLASSES or lowered[0].isdigit():
        rtype = lowered[1]
    else:
        return None
    return fields[0] if rtype == b"ns" else b""


def names_from_lines(
    lines: Iterable[bytes], fmt: Format = Format.AUTO, origin: str = "<input>"
) -> Iterator[tuple[int, str]]:
    """``(line number, name)`` for every name in ``lines`` (bytes, with or without line ends), in
    order. Raises ``InputError`` for a line that cannot be read (see the module docstring)."""
    zone_origin = ""
    previous_owner = b""
    for number, raw in enumerate(lines, 1):
        if len(raw) > MAX_LINE:
            raise InputError(f"{origin}:{number}: the line is longer than {MAX_LINE:,} bytes")
        line = raw.strip()
        if not line or line.startswith((b"#", b";")) or line in _ARRAY_EDGES:
            continue
        if fmt is Format.CT or (fmt is Format.AUTO and line.startswith(b"{")):
            try:
                document = json.loads(line.removesuffix(b","))  # an element of a JSON array a line
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                raise InputError(f"{origin}:{number}: not a JSON object: {str(exc)[:80]}") from None
            for count, name in enumerate(_words(document)):
                if count >= MAX_NAMES_PER_LINE:
                    break
                yield number, name
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{origin}:{number}: not UTF-8 text (byte {exc.start})") from None
        fields = line.split()
        if fmt is not Format.LINES:
            if fields[0].lower() == b"$origin" and len(fields) > 1:
                zone_origin = fields[1].decode("utf-8").strip(".").lower()
                continue
            owner = _zone_owner(fields)
            if owner is not None:
                if owner in (previous_owner, b""):
                    continue
                previous_owner = owner
                text = owner.decode("utf-8")
                if owner == b"@":
                    text = zone_origin
                elif not text.endswith(".") and zone_origin:
                    text = f"{text}.{zone_origin}"
                yield number, text
                continue
            if fmt is Format.ZONE:
                continue
        yield number, fields[0].decode("utf-8")


__all__ = ["MAX_LINE", "MAX_NAMES_PER_LINE", "NAME_KEYS", "Format", "InputError", "names_from_lines"]
