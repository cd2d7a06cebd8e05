"""Label edits: the slips of a finger on a keyboard, one small function per technique.

Pure. Each function takes one label (ASCII, or Unicode for an IDN name) and yields ``(label, factor)``
pairs: a changed label and the part of its plausibility that depends on where and how the slip
happened (``rank.at`` for the position, ``rank.key`` for the keys). The results may repeat, may be
invalid as host names (``-abc``) and may equal the input: the generator validates and deduplicates
them once, which is cheaper than every function doing it.
"""

from __future__ import annotations

import string
from collections.abc import Iterator

from lookalike.permute import rank
from lookalike.permute.keyboards import Keyboard

Variant = tuple[str, float]
"""A changed label and its slip factor (0..1)."""

LDH = string.ascii_lowercase + string.digits + "-"
ALNUM = string.ascii_lowercase + string.digits
VOWELS = "aeiou"


def omission(label: str) -> Iterator[Variant]:
    """One character left out: ``army`` -> ``amy``."""
    n = len(label)
    for i in range(n):
        yield label[:i] + label[i + 1 :], rank.at(i, n)


def _near(kb: Keyboard, ch: str) -> Iterator[tuple[str, float]]:
    """The keys next to ``ch`` with their keyboard factor: on the chosen layouts, then (far lower) on
    the other layouts only, so a slip no chosen keyboard makes is still listed."""
    for near, distance in kb.neighbours.get(ch, ()):
        yield near, rank.key(distance)
    for near, distance in kb.others.get(ch, ()):
        yield near, rank.key(distance) * rank.OTHER_LAYOUT


def insertion(label: str, kb: Keyboard) -> Iterator[Variant]:
    """A neighbouring key pressed as well, just before or after the intended one: ``army`` -> ``arnmy``."""
    n = len(label)
    for i, ch in enumerate(label):
        position = rank.at(i, n)
        for near, factor in _near(kb, ch):
            yield label[:i] + near + label[i:], position * factor
            yield label[: i + 1] + near + label[i + 1 :], position * factor


def replacement(label: str, kb: Keyboard) -> Iterator[Variant]:
    """A neighbouring key pressed instead: ``paypal`` -> ``paypak``."""
    n = len(label)
    for i, ch in enumerate(label):
        position = rank.at(i, n)
        for near, factor in _near(kb, ch):
            yield label[:i] + near + label[i + 1 :], position * factor


def transposition(label: str) -> Iterator[Variant]:
    """Two neighbouring characters swapped: ``army`` -> ``rmay``."""
    n = len(label)
    for i in range(n - 1):
        if label[i] != label[i + 1]:
            yield label[:i] + label[i + 1] + label[i] + label[i + 2 :], rank.at(i, n)


def repetition(label: str) -> Iterator[Variant]:
    """A character typed twice: ``army`` -> ``armmy``."""
    n = len(label)
    for i, ch in enumerate(label):
        if ch != "-":
            yield label[:i] + ch + label[i:], rank.at(i, n)


def addition(label: str) -> Iterator[Variant]:
    """A letter or digit added at the end of the label, or of a hyphenated part: ``army1``, ``my1-bank``."""
    ends = [i for i, ch in enumerate(label) if ch == "-"] + [len(label)]
    for end in ends:
        factor = rank.POSITION_LAST if end == len(label) else 1.0
        for ch in ALNUM:
            yield label[:end] + ch + label[end:], factor


def bitflip(label: str) -> Iterator[Variant]:
    """One bit of one character flipped, giving another host-name character: ``army`` -> ``arm9``.

    Flipping the case bit gives the same name (DNS ignores case), so it never appears.
    """
    for i, ch in enumerate(label):
        code = ord(ch)
        if code > 0x7F:
            continue
        for bit in range(8):
            flipped = chr(code ^ (1 << bit))
            if flipped in LDH:
                yield label[:i] + flipped + label[i + 1 :], 1.0


def vowel_swap(label: str) -> Iterator[Variant]:
    """A vowel written as another: ``army`` -> ``ermy``."""
    n = len(label)
    for i, ch in enumerate(label):
        if ch in VOWELS:
            for other in VOWELS:
                if other != ch:
                    yield label[:i] + other + label[i + 1 :], rank.at(i, n)


def hyphenation(label: str, boundaries: frozenset[int] = frozenset()) -> Iterator[Variant]:
    """A hyphen inserted between two characters: ``bankofamerica`` -> ``bank-ofamerica``.

    ``boundaries`` are the indexes where a word starts; a hyphen there reads naturally.
    """
    for i in range(1, len(label)):
        if label[i - 1] != "-" and label[i] != "-":
            factor = rank.WORD_BOUNDARY if i in boundaries else rank.WORD_INSIDE
            yield label[:i] + "-" + label[i:], factor
        else:  # a hyphen doubled: t--mobile (the registry refuses it in the third and fourth places)
            yield label[:i] + "-" + label[i:], rank.HYPHEN_DOUBLED


def hyphen_removal(label: str) -> Iterator[Variant]:
    """A hyphen left out (each one, then all): ``my-bank`` -> ``mybank``."""
    hyphens = [i for i, ch in enumerate(label) if ch == "-"]
    for i in hyphens:
        yield label[:i] + label[i + 1 :], 1.0
    if len(hyphens) > 1:
        yield label.replace("-", ""), 0.9


def double_slip(label: str) -> Iterator[Variant]:
    """A doubled letter doubled on its neighbour instead: ``apple`` -> ``aaple``, ``aplle``."""
    n = len(label)
    for i in range(n - 1):
        ch = label[i]
        if ch != label[i + 1] or ch == "-":
            continue
        before, after = label[:i], label[i + 2 :]
        # The neighbour must be a single letter: doubling a doubled one gives a triple nobody types.
        if before and before[-1] not in ("-", ch) and before[-2:-1] != before[-1]:
            yield before + before[-1] + ch + after, rank.at(i - 1, n)
        if after and after[0] not in ("-", ch) and after[1:2] != after[0]:
            yield before + ch + after[0] + after, rank.at(i + 1, n)
