"""Skeletons: a label with every look-alike replaced by the letter it imitates, so that ``paypa1``,
``pаypal`` (Cyrillic а) and ``paypal`` all read ``paypal``.

The idea is UTS #39's skeleton (confusable strings have equal skeletons); the tables are the ones
``permute`` generates homoglyphs from, so the matcher and the generator agree on what looks alike:
``confusables.tsv`` (UTS #39 confusables with an ASCII prototype), ``latin-variants.tsv`` (Latin letters
with marks, mapped to the bare letter) and ``glyphs.tsv`` (ASCII look-alikes such as ``rn``/``m``,
``0``/``o``, ``1``/``l``; only the pairs at least ``SKELETON_MIN`` alike, so that weak pairs such as
``e``/``c`` stay single edits that the edit route finds).

Pure: reads the package's data files once. Must not: decide whether a name is a lookalike (a skeleton
is only a key for an index; the matcher checks every hit against what ``generate`` makes).
"""

from __future__ import annotations

import unicodedata
from functools import cache

from lookalike.permute import glyphs, tables

SKELETON_MIN = 0.6
"""ASCII look-alike pairs at least this alike (``glyphs.tsv``) share a skeleton letter."""


@cache
def _maps() -> tuple[dict[int, str], tuple[tuple[str, str], ...]]:
    """(code point -> the ASCII letter it reads as, (two-letter sequence, the letter it reads as))."""
    parent: dict[str, str] = {}

    def find(ch: str) -> str:
        while parent.get(ch, ch) != ch:
            ch = parent[ch]
        return ch

    multi: set[tuple[str, str]] = set()
    for src, alternatives in glyphs.ascii_glyphs().items():
        for dst, similarity in alternatives:
            if similarity < SKELETON_MIN:
                continue
            if len(src) == 1 and len(dst) == 1:
                a, b = find(src), find(dst)
                if a != b:
                    # The class is named by a letter rather than a digit, then alphabetically.
                    keep, drop = sorted((a, b), key=lambda c: (c.isdigit(), c))
                    parent[drop] = keep
            elif len(src) == 2 and len(dst) == 1:
                multi.add((src, dst))
            elif len(src) == 1 and len(dst) == 2:
                multi.add((dst, src))
    table: dict[int, str] = {}
    for ch in list(parent):
        if find(ch) != ch:
            table[ord(ch)] = find(ch)
    for name in ("confusables.tsv", "latin-variants.tsv"):
        for row in tables.rows(name):
            base, ch = row[0], row[1]
            if len(ch) == 1 and not ch.isascii() and len(base) == 1:
                table.setdefault(ord(ch), find(base))
    # The Unicode rows of glyphs.tsv: look-alikes UTS #39 files under another letter (ӏ reads as l).
    for row in tables.rows("glyphs.tsv"):
        src, dst = row[0], row[1]
        if len(src) == 1 and len(dst) == 1 and not dst.isascii():
            table[ord(dst)] = find(src)
    translated = sorted({(two.translate(table), find(one)) for two, one in multi})
    return table, tuple(translated)


def skeleton(label: str) -> str:
    """The skeleton of a label (lower case, Unicode or ASCII): what a reader takes it for."""
    table, multi = _maps()
    text = label.translate(table)
    for two, one in multi:
        if two in text:
            text = text.replace(two, one)
    return text


@cache
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for name in ("confusables.tsv", "latin-variants.tsv"):
        for row in tables.rows(name):
            base, ch = row[0], row[1]
            if len(ch) == 1 and not ch.isascii() and len(base) == 1:
                table.setdefault(ord(ch), base)
    for row in tables.rows("glyphs.tsv"):
        src, dst = row[0], row[1]
        if len(src) == 1 and len(dst) == 1 and not dst.isascii():
            table[ord(dst)] = src
    return table


def fold(label: str) -> str:
    """Each non-ASCII letter of ``label`` replaced by the ASCII one it imitates (``ӏcеstrеl`` ->
    ``lcestrel``); ASCII letters are kept as they are, unlike ``skeleton``."""
    return label.translate(_fold_table())


def bare(label: str) -> str:
    """``label`` without its combining marks (``army̲`` -> ``army``; decomposed first, so ``é`` -> ``e``):
    what a reader sees under the marks. The skeleton keeps marks (it maps letters); a label whose
    marks are all that sets it apart from a protected one is found by this instead."""
    return "".join(ch for ch in unicodedata.normalize("NFD", label) if unicodedata.category(ch) not in _MARKS)


_MARKS = frozenset({"Mn", "Me"})


def skeleton_spans(text: str) -> tuple[str, tuple[int, ...]]:
    """``skeleton(text)`` with, for each of its characters, where it starts in ``text``: slower, for
    the rare name in which a protected skeleton was found and its words must be cut out."""
    table, multi = _maps()
    chars = [(ch.translate(table), i) for i, ch in enumerate(text)]
    for two, one in multi:
        merged: list[tuple[str, int]] = []
        k = 0
        while k < len(chars):
            if k + 1 < len(chars) and chars[k][0] + chars[k + 1][0] == two:
                merged.append((one, chars[k][1]))
                k += 2
            else:
                merged.append(chars[k])
                k += 1
        chars = merged
    return "".join(c for c, _ in chars), tuple(i for _, i in chars)


__all__ = ["SKELETON_MIN", "bare", "fold", "skeleton", "skeleton_spans"]
