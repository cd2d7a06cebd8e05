#!/usr/bin/env python3
"""Build lookalike's glyph tables from Unicode data: ``confusables.tsv`` and ``latin-variants.tsv``.

Run by a maintainer when the Unicode data changes, never at install or run time; the generated TSVs
are committed under ``lookalike/permute/data/``. Nothing here touches the network.

Sources (all given as paths):

* UTS #39 confusables, either an official ``confusables.txt`` (``--confusables-txt``) or the JSON
  re-encoding shipped inside the PyPI package ``confusable-homoglyphs`` (``--confusables-json``;
  ``pip download --no-deps confusable-homoglyphs`` and unzip it somewhere outside the project);
* ``Scripts.txt``, ``UnicodeData.txt`` and ``DerivedAge.txt`` from the Unicode Character Database (Debian's
  ``unicode-data`` package installs them under ``/usr/share/unicode``);
* IDNA2008 code point classes (RFC 5892) from the ``idna`` package in this virtualenv.

``confusables.tsv``: for each ASCII letter and digit, every single code point that UTS #39 lists as
confusable with it. UTS #39 maps each character to a *prototype*; two characters are confusable when
they share one. Some prototypes are ASCII look-alikes of each other (``1`` and ``I`` have the
prototype ``l``, ``m`` has ``rn``), so a character's group is closed over one ASCII step. A capital
that is confusable (Cyrillic ``Ӏ`` PALOCHKA for ``l``) cannot appear in a domain name, but its lower
case can (``ӏ``): those rows say ``uts39-lower``.

``latin-variants.tsv``: every Latin letter that is an ASCII letter with marks (``é``, ``ṛ``), a small
capital (``ʀ``) or a dotless form (``ı``), from the character names in ``UnicodeData.txt``.

Usage::

    .venv/bin/python scripts/build_confusables.py \
        --confusables-json /tmp/ch/confusable_homoglyphs/confusables.json
"""

from __future__ import annotations

import argparse
import json
import re
import string
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import idna
from idna import idnadata

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "lookalike" / "permute" / "data"
UCD = Path("/usr/share/unicode")
TARGETS = string.ascii_lowercase + string.digits

_RANGE = re.compile(r"^([0-9A-F]+)(?:\.\.([0-9A-F]+))?\s*;\s*([A-Za-z0-9_.]+)")
_LATIN_NAME = re.compile(
    r"^LATIN (?:SMALL LETTER ([A-Z]) WITH (.+)|LETTER SMALL CAPITAL ([A-Z])|SMALL LETTER DOTLESS ([A-Z]))$"
)


def read_ranges(path: Path) -> tuple[dict[int, str], str]:
    """Code point -> value from a UCD ranges file; and the file's version line."""
    table: dict[int, str] = {}
    version = ""
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("# ") and not version and line.endswith(".txt"):
            version = line[2:]
        m = _RANGE.match(line)
        if not m:
            continue
        lo = int(m.group(1), 16)
        hi = int(m.group(2), 16) if m.group(2) else lo
        for cp in range(lo, hi + 1):
            table[cp] = m.group(3)
    return table, version


def read_unicode_data(path: Path) -> dict[int, str]:
    """Code point -> character name (ranges such as CJK ideographs are skipped: none matter here)."""
    names: dict[int, str] = {}
    for line in path.read_text("utf-8").splitlines():
        fields = line.split(";")
        if len(fields) > 2 and not fields[1].startswith("<"):
            names[int(fields[0], 16)] = fields[1]
    return names


def pvalid(ch: str) -> bool:
    """IDNA2008 (RFC 5892) PVALID, from the ``idna`` package's tables."""
    return idna.intranges_contain(ord(ch), idnadata.codepoint_classes["PVALID"])


def groups_from_json(path: Path) -> dict[str, set[str]]:
    """Prototype-ish key -> confusable strings, from confusable-homoglyphs' JSON.

    The JSON lists, for each character (or sequence), the characters sharing its UTS #39 prototype.
    Bidi marks (U+200E) that the package wraps around right-to-left characters are stripped.
    """
    raw = json.loads(path.read_text("utf-8"))
    groups: dict[str, set[str]] = {}
    for key, entries in raw.items():
        k = key.replace("\u200e", "")
        groups.setdefault(k, set()).update(e["c"].replace("\u200e", "") for e in entries)
    return groups


def groups_from_txt(path: Path) -> dict[str, set[str]]:
    """The same grouping from an official ``confusables.txt``: members per prototype, both ways."""
    by_proto: dict[str, set[str]] = {}
    for line in path.read_text("utf-8-sig").splitlines():
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        src, proto, _kind = (f.strip() for f in body.split(";")[:3])
        s = "".join(chr(int(h, 16)) for h in src.split())
        p = "".join(chr(int(h, 16)) for h in proto.split())
        by_proto.setdefault(p, set()).add(s)
    groups: dict[str, set[str]] = {}
    for proto, members in by_proto.items():
        everyone = members | {proto}
        for m in everyone:
            groups.setdefault(m, set()).update(everyone - {m})
    return groups


def confusable_rows(groups: dict[str, set[str]]) -> Iterator[tuple[str, str, str]]:
    """(ascii, character, source) for every single code point confusable with an ASCII letter/digit."""
    for target in TARGETS:
        members = set(groups.get(target, ()))
        for member in list(members):
            if member.isascii():  # one ASCII step: 1 ~ l, 0 ~ O, m ~ rn
                members |= groups.get(member, set())
        seen: set[str] = set()
        singles = sorted((m for m in members if len(m) == 1 and not m.isascii()), key=ord)
        for ch in singles:
            if ch not in seen:
                seen.add(ch)
                yield target, ch, "uts39"
        for ch in singles:
            low = ch.lower()
            if low != ch and len(low) == 1 and not low.isascii() and low not in seen and pvalid(low):
                seen.add(low)
                yield target, low, "uts39-lower"


def latin_rows(names: dict[int, str]) -> Iterator[tuple[str, str, str]]:
    """(ascii, character, mark) for Latin letters that are an ASCII letter with marks or in small capitals."""
    for cp in sorted(names):
        m = _LATIN_NAME.match(names[cp])
        if not m:
            continue
        if m.group(1):
            base, mark = m.group(1), m.group(2)
        elif m.group(3):
            base, mark = m.group(3), "SMALL CAPITAL"
        else:
            base, mark = m.group(4), "DOTLESS"
        yield base.lower(), chr(cp), mark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--confusables-json", type=Path, help="confusable_homoglyphs/confusables.json")
    src.add_argument("--confusables-txt", type=Path, help="an official UTS #39 confusables.txt")
    parser.add_argument("--ucd", type=Path, default=UCD, help="directory with Scripts.txt, UnicodeData.txt")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)

    scripts, scripts_version = read_ranges(args.ucd / "Scripts.txt")
    ages, _ = read_ranges(args.ucd / "DerivedAge.txt")
    names = read_unicode_data(args.ucd / "UnicodeData.txt")

    if args.confusables_txt:
        groups = groups_from_txt(args.confusables_txt)
        first = args.confusables_txt.read_text("utf-8-sig").splitlines()[:2]
        source = f"{args.confusables_txt.name}: {' '.join(first)}"
    else:
        groups = groups_from_json(args.confusables_json)
        version = "unknown"
        meta = list(args.confusables_json.parent.parent.glob("confusable_homoglyphs-*.dist-info"))
        if meta:
            version = meta[0].name.split("-")[1].removesuffix(".dist")
        source = (
            f"UTS #39 confusables.txt as re-encoded in JSON by the PyPI package confusable-homoglyphs "
            f"{version} (the package does not record which confusables.txt it encoded)"
        )

    def script_of(ch: str) -> str:
        return scripts.get(ord(ch), "Unknown")

    def name_of(ch: str) -> str:
        return names.get(ord(ch)) or str(unicodedata.name(ch, f"U+{ord(ch):04X}"))

    rows = list(confusable_rows(groups))
    newest = max(
        (ages.get(ord(ch), "0") for _, ch, _ in rows),
        key=lambda a: tuple(int(p) for p in a.split(".")),
        default="",
    )
    header = [
        "# confusables.tsv: single code points that Unicode UTS #39 lists as confusable with an ASCII letter",
        "# or digit. GENERATED by scripts/build_confusables.py; do not edit by hand, rebuild.",
        f"# Source: {source}.",
        f"# Newest character in these rows: Unicode {newest} (DerivedAge.txt).",
        f"# Scripts: {scripts_version} (Unicode Character Database, Debian unicode-data).",
        f"# PVALID: IDNA2008 code point classes (RFC 5892) from the idna package {idna.__version__}, "
        f"Unicode {idnadata.__version__}.",
        "# source: uts39 = listed by UTS #39; uts39-lower = the lower case of a listed capital (a domain",
        "# name is case-folded, so only the lower case can appear in one).",
        "# age: the Unicode version that added the character (DerivedAge.txt); new letters lack fonts.",
        "# Columns: ascii, char, codepoint, script, pvalid (1/0), source, age, name",
    ]
    lines = [
        f"{target}\t{ch}\tU+{ord(ch):04X}\t{script_of(ch)}\t{int(pvalid(ch))}\t{src}\t"
        f"{ages.get(ord(ch), '')}\t{name_of(ch)}"
        for target, ch, src in rows
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "confusables.tsv").write_text("\n".join(header + lines) + "\n", "utf-8")

    latin = list(latin_rows(names))
    header = [
        "# latin-variants.tsv: Latin letters that are an ASCII letter with marks, a small capital or a",
        "# dotless form, read from the character names in UnicodeData.txt.",
        "# GENERATED by scripts/build_confusables.py; do not edit by hand, rebuild.",
        f"# Source: UnicodeData.txt and {scripts_version} (Unicode Character Database, Debian unicode-data).",
        f"# PVALID: IDNA2008 code point classes (RFC 5892) from the idna package {idna.__version__}.",
        "# mark: what the name says is added to the letter (ACUTE, DOT BELOW, CIRCUMFLEX AND ACUTE ...).",
        "# age: the Unicode version that added the character (DerivedAge.txt); new letters lack fonts.",
        "# Columns: ascii, char, codepoint, script, pvalid (1/0), age, mark",
    ]
    lines = [
        f"{base}\t{ch}\tU+{ord(ch):04X}\t{script_of(ch)}\t{int(pvalid(ch))}\t{ages.get(ord(ch), '')}\t{mark}"
        for base, ch, mark in latin
        if not ch.isascii()
    ]
    (args.out / "latin-variants.tsv").write_text("\n".join(header + lines) + "\n", "utf-8")
    print(f"wrote {len(rows)} confusables and {len(lines)} Latin variants to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
