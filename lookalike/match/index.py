"""The matcher's indexes: what it looks a name's parts up in, built once from the protected names.

Each index is a dict whose size depends on the protected names only; a lookup costs the same whatever
their number (nothing here loops over the protected names at match time):

- ``labels``: the protected label itself (under another suffix);
- ``skeletons``: the label's skeleton (``skeleton.py``) for glyph swaps;
- ``deletions``: the deletion neighbourhood of each protected label (every string left by deleting up
  to one character, two for labels of ``EDIT2_MIN`` characters or more). A name's label is looked up
  with up to one character deleted, which finds every label one edit away (omission, insertion,
  replacement, transposition) and, for long protected labels, two edits where the name has at most one
  character more than the protected label (two omissions, omission and replacement, insertion and
  omission, a swap and an omission);
- ``hamming``: for labels of ``EDIT2_MIN`` or more, their three thirds keyed by length and place: a
  label of the same length with two characters replaced keeps one third intact;
- ``prefixes``: the first ``PREFIX`` characters of each skeleton, to find a protected label inside a
  longer one (``paypal-login``) by one lookup per position; ``raw_prefixes`` the same for the labels
  as written, ``raw_shorts`` the labels shorter than that;
- ``dotless``: the protected name with its dots removed (``amazoncom``).

Pure. Must not: decide what is a match (``match`` does, with ``explain``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from lookalike.match.explain import Protected

EDIT_MIN = 4
"""Protected labels shorter than this get no edit route: one edit from ``ibm`` is a thousand words.
(``generate``'s own edits of them are in the exact index all the same.)"""
EDIT2_MIN = 8
"""Two edits only for protected labels this long or longer."""
PREFIX = 4

Postings = tuple[int, ...]


def deletions(text: str, depth: int) -> set[str]:
    """Every string left by deleting up to ``depth`` (1 or 2) characters of ``text``, ``text`` included."""
    found = {text}
    ones = {text[:i] + text[i + 1 :] for i in range(len(text))}
    found |= ones
    if depth >= 2:
        for one in ones:
            found.update(one[:i] + one[i + 1 :] for i in range(len(one)))
    return found


def thirds(text: str) -> list[str]:
    """The ``hamming`` keys of ``text``: each third, with the length and which third."""
    n = len(text)
    a, b = n // 3, 2 * n // 3
    return [f"{n}|0|{text[:a]}", f"{n}|1|{text[a:b]}", f"{n}|2|{text[b:]}"]


def _trie(words: Iterable[str]) -> str:
    """A regular expression matching exactly ``words``, as a trie (a branch per first letter, and so
    on), so the engine never tries the words one by one."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + walk(sub) for ch, sub in sorted(node.items()) if ch]
        if "" in node or not branches:
            return "" if not branches else "(?:" + "|".join(branches) + ")?"
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return walk(tree)


def _scanner(prefixes: Iterable[str]) -> Callable[[str], Iterator[re.Match[str]]]:
    """``finditer`` of a lookahead for every prefix (they are all ``PREFIX`` long: none holds another)."""
    words = sorted(prefixes)
    if not words:
        return lambda _text: iter(())
    return re.compile(f"(?=({_trie(words)}))").finditer


def _add(index: dict[str, Postings], key: str, pid: int) -> None:
    old = index.get(key, ())
    if pid not in old:
        index[key] = (*old, pid)


class Index:
    """Every index of one set of protected names."""

    def __init__(self, protected: Sequence[Protected]) -> None:
        self.labels: dict[str, Postings] = {}
        self.skeletons: dict[str, Postings] = {}
        self.deletions: dict[str, Postings] = {}
        self.hamming: dict[str, Postings] = {}
        self.prefixes: dict[str, Postings] = {}
        self.raw_prefixes: dict[str, Postings] = {}
        self.raw_shorts: dict[str, Postings] = {}
        self.dotless: dict[str, Postings] = {}
        self.brands: dict[str, Postings] = {}
        """Unicode protected label -> its names, to tell a brand itself from a lookalike of it."""
        lengths: set[int] = set()
        self._brands = tuple(p.brand for p in protected)
        for pid, p in enumerate(protected):
            _add(self.labels, p.label, pid)
            _add(self.brands, p.brand, pid)
            _add(self.skeletons, p.skeleton, pid)
            if len(p.brand) >= EDIT_MIN:
                lengths.add(len(p.brand))
                for key in deletions(p.brand, 2 if len(p.brand) >= EDIT2_MIN else 1):
                    _add(self.deletions, key, pid)
            if len(p.brand) >= EDIT2_MIN:
                for key in thirds(p.brand):
                    _add(self.hamming, key, pid)
            if len(p.skeleton) >= PREFIX:
                _add(self.prefixes, p.skeleton[:PREFIX], pid)
            if len(p.brand) >= PREFIX:
                _add(self.raw_prefixes, p.brand[:PREFIX], pid)
            else:
                _add(self.raw_shorts, p.brand, pid)
            for dotted in {p.name.ascii, p.apex.ascii}:
                _add(self.dotless, dotted.replace(".", ""), pid)
        self.edit_lengths = range(min(lengths, default=0) - 1, max(lengths, default=-2) + 2)
        """Label lengths worth an edit lookup: one more or fewer than some protected label."""
        self.dotless_lengths = frozenset(len(k) for k in self.dotless)
        self.short_lengths = tuple(sorted({len(k) for k in self.raw_shorts}))
        self.hamming_lengths = frozenset(len(p.brand) for p in protected if len(p.brand) >= EDIT2_MIN)
        self._scan = _scanner(self.prefixes)
        self._raw_scan = _scanner(self.raw_prefixes)

    def edits(self, label: str) -> set[int]:
        """Protected labels that may be one or two edits from ``label`` (to be checked)."""
        found: set[int] = set()
        if len(label) not in self.edit_lengths:
            return found
        keys = [label[:i] + label[i + 1 :] for i in range(len(label))]
        keys.append(label)
        for hit in filter(None, map(self.deletions.get, keys)):
            found.update(hit)
        if len(label) in self.hamming_lengths:
            for key in thirds(label):
                for pid in self.hamming.get(key, ()):
                    # A third of a short label is two or three letters: check the other two thirds.
                    brand = self._brands[pid]
                    if pid not in found and sum(a != b for a, b in zip(label, brand, strict=True)) <= 2:
                        found.add(pid)
        return found

    def tokens(self, text: str, *, raw: bool) -> list[tuple[int, int]]:
        """(position, protected id) for every place a protected label (``raw``) or skeleton of
        ``PREFIX`` characters or more may start in ``text`` (to be checked with ``startswith``).
        One pass of a regular expression over ``text`` (every prefix, as a trie, in a lookahead so
        that overlapping starts are all found): the scan runs in C, a dict lookup per hit."""
        prefixes, scan = (self.raw_prefixes, self._raw_scan) if raw else (self.prefixes, self._scan)
        return [(m.start(), pid) for m in scan(text) for pid in prefixes[m.group(1)]]


__all__ = ["EDIT2_MIN", "EDIT_MIN", "PREFIX", "Index", "deletions", "thirds"]
