"""Depth 2: two techniques on one name, under a budget, best first.

Pure. Three kinds of pairs, all scored ``rank.combine(first, second)`` and tagged with the techniques
of both slips:

* a changed main label with a changed suffix (``paypa1.co``, ``paypal-login.net``);
* a second word on a label that has one already (``ebayuk`` + ``login``, ``instagramlogin`` +
  ``signin``): disputed names often stack two words on the brand;
* a second label edit on top of the best changed labels (``arnny.mil``).

The first two walk two ranked lists best-first with a heap (``best_pairs``), so whatever share of the
budget they get holds the most plausible pairs exactly. The generator splits the budget between the
kinds (a share one kind cannot fill goes to the others) and skips names depth 1 already made: those
keep their simpler explanation.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

from lookalike.permute import rank
from lookalike.permute.edits import Variant

LabelVariants = Mapping[str, tuple[float, int, str]]
"""Changed main label -> (plausibility, technique mask, A-label)."""

SuffixVariants = Mapping[str, tuple[float, int]]
"""Changed public suffix -> (plausibility, technique mask)."""

SecondEdits = Callable[[str], Iterable[tuple[Variant, int]]]
"""A label -> its changed labels with (label, factor) and the technique mask of the edit."""

WordForm = tuple[str, str, bool]
"""A word joined to a label: (word, joiner ``-`` or ``""``, before the label)."""

A = TypeVar("A")
B = TypeVar("B")


def best_pairs(
    first: Sequence[tuple[float, A]], second: Sequence[tuple[float, B]]
) -> Iterator[tuple[float, A, B]]:
    """Every pair of an item of ``first`` and one of ``second`` (each sorted most plausible first), as
    (``rank.combine`` of both, a, b), most plausible first. The caller stops when it has enough.

    A frontier over the grid of (rank in first, rank in second): each pair is pushed once, by its left
    or its upper neighbour, so the heap stays as small as the frontier."""
    if not first or not second:
        return
    heap = [(-rank.combine(first[0][0], second[0][0]), 0, 0)]
    while heap:
        neg, i, j = heapq.heappop(heap)
        yield -neg, first[i][1], second[j][1]
        if j + 1 < len(second):
            heapq.heappush(heap, (-rank.combine(first[i][0], second[j + 1][0]), i, j + 1))
        if j == 0 and i + 1 < len(first):
            heapq.heappush(heap, (-rank.combine(first[i + 1][0], second[0][0]), i + 1, 0))


def label_and_suffix(
    labels: LabelVariants, suffixes: SuffixVariants
) -> Iterator[tuple[float, str, str, str, int]]:
    """Pairs of a changed label and a changed suffix, most plausible first, as
    (plausibility, label, A-label, suffix, mask). The caller stops when it has enough."""
    ls = [(p, (label, mask, a_label)) for label, (p, mask, a_label) in _ranked_labels(labels)]
    ss = [
        (p, (suffix, mask))
        for suffix, (p, mask) in sorted(suffixes.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]
    for p, (label, ml, a_label), (suffix, ms) in best_pairs(ls, ss):
        yield p, label, a_label, suffix, ml | ms


def word_twice(
    labels: LabelVariants, forms: Sequence[tuple[float, WordForm]], mask: int
) -> Iterator[tuple[float, str, int]]:
    """A second word on each label that has one already (``labels``: the keyword and country
    variants), most plausible first, as (plausibility, label, mask); ``forms`` are the ways to add a
    word, most plausible first, and ``mask`` the technique of the second word."""
    ls = [(p, (label, m)) for label, (p, m, _a) in _ranked_labels(labels)]
    for p, (label, m), (word, joiner, before) in best_pairs(ls, forms):
        if word not in label:
            yield p, (word + joiner + label if before else label + joiner + word), m | mask


def _ranked_labels(labels: LabelVariants) -> list[tuple[str, tuple[float, int, str]]]:
    return sorted(labels.items(), key=lambda kv: (-kv[1][0], kv[0]))


def label_twice(labels: LabelVariants, second: SecondEdits, budget: int) -> list[tuple[float, str, int]]:
    """A second label edit on the best changed labels: the ``budget`` most plausible, as
    (plausibility, label, mask). Looks at more than ``budget`` so names depth 1 made can be skipped."""
    if budget <= 0:
        return []
    found: dict[str, tuple[float, int]] = {}
    for label, (p1, m1, _ascii) in _ranked_labels(labels):
        for (text, factor), m2 in second(label):
            p = rank.combine(p1, factor)
            old = found.get(text)
            if old is None or p > old[0]:
                found[text] = (p, m1 | m2 | (old[1] if old else 0))
        if len(found) >= 2 * budget:
            break
    best = heapq.nsmallest(2 * budget, found.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(p, text, mask) for text, (p, mask) in best]
