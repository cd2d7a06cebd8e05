"""Word slips: plural and singular, sound-alikes, a keyword added, words in another order.

Pure: reads ``data/words.txt``, ``data/keywords.txt`` and ``data/soundalikes.tsv`` once. Functions
yield ``(label, factor)`` like ``edits``. ``split_words`` finds the words of a label without a big
dictionary: known words where they fit, and whatever is left between them as one unknown word
(``kestrelsystems`` -> ``kestrel`` + ``systems``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache, lru_cache

from lookalike.permute import rank, tables
from lookalike.permute.edits import Variant

MIN_WORD = 2
"""Shorter dictionary words are not used to split: every label is full of a's and i's."""

INNER_S = 0.3
"""An ``s`` inside a word (not at a word's end): a plural of a word the splitter did not see."""


@cache
def dictionary() -> frozenset[str]:
    """Known words: data/words.txt and the built-in keywords."""
    words = (*tables.lines("words.txt"), *builtin_keywords())
    return frozenset(w for w in words if len(w) >= MIN_WORD)


@cache
def builtin_keywords() -> tuple[str, ...]:
    """The words phishers add to a brand (data/keywords.txt)."""
    return tuple(keyword_weights())


@cache
def keyword_weights() -> Mapping[str, float]:
    """Each built-in keyword with how often lookalikes use it (data/keywords.txt; default
    ``rank.KEYWORD_OTHER``)."""
    rows = tables.rows("keywords.txt")
    return {row[0]: float(row[1]) if len(row) > 1 else rank.KEYWORD_OTHER for row in rows}


@cache
def countries() -> tuple[tuple[str, str], ...]:
    """(code, name or "") of every country and region (data/countries.tsv): ``uk``, ``new-zealand``."""
    return tuple((row[0], row[1] if len(row) > 1 else "") for row in tables.rows("countries.tsv"))


@cache
def soundalikes() -> tuple[tuple[str, str, float], ...]:
    """(from, to, weight) spellings that sound alike (data/soundalikes.tsv)."""
    return tuple((a, b, float(w)) for a, b, w in tables.rows("soundalikes.tsv"))


@lru_cache(maxsize=4096)
def split_words(label: str) -> tuple[str, ...]:
    """The words of a label: hyphens first, then known words, the rest as unknown words.

    Fewest unknown characters wins, then fewest words: ``bankofamerica`` -> (bank, of, america).
    """
    words: list[str] = []
    for part in label.split("-"):
        if part:
            words.extend(_segment(part))
    return tuple(words)


def _segment(text: str) -> list[str]:
    known = dictionary()
    n = len(text)
    # best[i]: (unknown characters, pieces, split) for text[:i]; an unknown run is one piece.
    nothing: tuple[tuple[int, bool], ...] = ()
    best = [(0, 0, nothing)] + [(n + 1, n + 1, nothing)] * n
    longest = min(n, 24)
    for i in range(1, n + 1):
        for j in range(max(0, i - longest), i):
            unknown, pieces, cuts = best[j]
            if text[j:i] in known:
                cand = (unknown, pieces + 1, (*cuts, (i, True)))
            elif cuts and not cuts[-1][1]:  # extend the unknown run before
                continue
            else:
                cand = (unknown + (i - j), pieces + 1, (*cuts, (i, False)))
            if cand[:2] < best[i][:2]:
                best[i] = cand
    out, start = [], 0
    for end, _known in best[n][2]:
        out.append(text[start:end])
        start = end
    return out or [text]


def boundaries(label: str) -> frozenset[int]:
    """Indexes in ``label`` where a word starts (not 0), hyphens included as their own positions."""
    found: set[int] = set()
    pos = 0
    for part in label.split("-"):
        if part:
            for word in _segment(part):
                if pos:
                    found.add(pos)
                pos += len(word)
        pos += 1  # the hyphen
    return frozenset(found)


def _word_ends(label: str) -> Iterator[int]:
    """Indexes just after each word of ``label``."""
    pos = 0
    for part in label.split("-"):
        for word in _segment(part) if part else ():
            pos += len(word)
            yield pos
        pos += 1


def plural(label: str) -> Iterator[Variant]:
    """A word made plural or singular: ``kestrelsystems`` -> ``kestrelsystem``, ``bankofamerica``
    -> ``banksofamerica``, ``company`` -> ``companies``; and an ``s`` (or, after s, x, z, ch and sh,
    an ``es``) slipped inside a word."""
    ends = set(_word_ends(label))
    for end in sorted(ends):
        head, tail = label[:end], label[end:]
        for form in _number_forms(head):
            yield form + tail, rank.WORD_BOUNDARY
    for i in range(1, len(label)):
        if label[i] == "-":
            continue
        if i not in ends:
            yield label[:i] + "s" + label[i:], INNER_S
        if label[i - 1] in "sxz" or label[i - 2 : i] in ("ch", "sh"):  # 1pass -> 1passes-word, us -> uses
            yield label[:i] + "es" + label[i:], INNER_S


def _number_forms(word: str) -> Iterator[str]:
    """The other grammatical number of the last word of ``word`` (a prefix of a label)."""
    if word.endswith("ies") and len(word) > 3:
        yield word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        yield word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        yield word[:-1]
        return
    if word.endswith(("s", "x", "z", "ch", "sh")):
        yield word + "es"
    elif len(word) > 1 and word.endswith("y") and word[-2] not in "aeiou":
        yield word[:-1] + "ies"
    yield word + "s"


def soundalike(label: str) -> Iterator[Variant]:
    """A spelling that sounds the same: ``youtube`` -> ``yewtube``, ``forever`` -> ``4ever``."""
    for src, dst, weight in soundalikes():
        start = label.find(src)
        while start != -1:
            yield label[:start] + dst + label[start + len(src) :], weight
            start = label.find(src, start + 1)


def keyword_forms(keywords: Iterable[tuple[str, float]]) -> Iterator[tuple[float, tuple[str, str, bool]]]:
    """The ways to add each keyword, with its weight: (factor, (word, joiner, before the label)):
    ``login-paypal``, ``loginpaypal``, ``paypal-login``, ``paypallogin``."""
    for word, weight in keywords:
        yield weight, (word, "-", True)
        yield weight * rank.FUSED, (word, "", True)
        yield weight, (word, "-", False)
        yield weight * rank.FUSED, (word, "", False)


def keyword(label: str, keywords: Iterable[tuple[str, float]]) -> Iterator[Variant]:
    """A keyword before or after the label, with or without a hyphen (``paypal-login``,
    ``securepaypal``, ``betterfacebook``). Each keyword comes with its own weight (how often
    lookalikes use it)."""
    for factor, (word, joiner, before) in keyword_forms(keywords):
        if word != label:
            yield (word + joiner + label if before else label + joiner + word), factor


def country(label: str) -> Iterator[Variant]:
    """A country or region code or name before or after the label, with or without a hyphen:
    ``paypal-uk``, ``ukpaypal``, ``amazon-new-zealand``. Codes that are built-in keywords as well
    (``my``, ``id``, ``hr``) are the keyword technique's names."""
    keywords = keyword_weights()
    for code, name in countries():
        for word, factor in ((code, 1.0), (name, rank.COUNTRY_NAME)):
            if not word or word == label or word in keywords:
                continue
            yield label + "-" + word, factor
            yield word + "-" + label, factor * rank.COUNTRY_BEFORE
            yield label + word, factor * rank.FUSED
            yield word + label, factor * rank.COUNTRY_BEFORE * rank.FUSED


def word_swap(label: str) -> Iterator[Variant]:
    """The label's words in another order: ``kestrelsystems`` -> ``systemskestrel``,
    ``my-bank`` -> ``bank-my``; and the label turned around at any place (``joebrand`` ->
    ``brandjoe``, ranked higher where the word list sees a word boundary)."""
    parts = [p for p in label.split("-") if p]
    if len(parts) > 1:
        swapped = parts[::-1]
        yield "-".join(swapped), 1.0
        yield "".join(swapped), 0.8
        if len(parts) > 2:
            yield "-".join([parts[-1], *parts[1:-1], parts[0]]), 0.8
        return
    words = list(split_words(label))
    if len(words) >= 2:
        yield "".join(words[::-1]), 1.0
        if len(words) > 2:
            yield "".join([words[-1], *words[1:-1], words[0]]), 0.9
            for i in range(len(words) - 1):  # each neighbouring pair swapped
                swapped = [*words[:i], words[i + 1], words[i], *words[i + 2 :]]
                yield "".join(swapped), 0.7
        yield "-".join(words[::-1]), 0.8
    # Words the list does not know: the label turned around at every other place, ranked low
    # (joebrand -> brandjoe whether or not "joe" is a known word).
    for i in range(2, len(label) - 1):
        yield label[i:] + label[:i], rank.ROTATION
