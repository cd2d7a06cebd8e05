"""Depth 2: two techniques on one name, under a budget, best first.

Pure. Two kinds of pairs, both scored ``rank.combine(first, second)`` and tagged with the techniques
of both slips:

* a changed main label with a changed suffix (``paypa1.co``, ``paypal-login.net``): the two lists are
  walked best-first with a heap, so whatever share of the budget they get holds the most plausible
  pairs exactly;
* a second label edit on top of the best changed labels (``arnny.mil``).

The generator gives each kind half the budget (a share one kind cannot fill goes to the other) and
skips names depth 1 already made: those keep their simpler explanation.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping

from lookalike.permute import rank
from lookalike.permute.edits import Variant

LabelVariants = Mapping[str, tuple[float, int, str]]
"""Changed main label -> (plausibility, technique mask, A-label)."""

SuffixVariants = Mapping[str, tuple[float, int]]
"""Changed public suffix -> (plausibility, technique mask)."""

SecondEdits = Callable[[str], Iterable[tuple[Variant, int]]]
"""A label -> its changed labels with (label, factor) and the technique mask of the edit."""


def label_and_suffix(
    labels: LabelVariants, suffixes: SuffixVariants
) -> Iterator[tuple[float, str, str, str, int]]:
    """Pairs of a changed label and a changed suffix, most plausible first, as
    (plausibility, label, A-label, suffix, mask). The caller stops when it has enough."""
    ls = sorted(labels.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ss = sorted(suffixes.items(), key=lambda kv: (-kv[1][0], kv[0]))
    if not ls or not ss:
        return
    # A frontier over the grid of (label rank, suffix rank): each pair is pushed once, by its left
    # or its upper neighbour, so the heap stays as small as the frontier.
    heap = [(-rank.combine(ls[0][1][0], ss[0][1][0]), 0, 0)]
    while heap:
        neg, i, j = heapq.heappop(heap)
        label, (_pl, ml, ascii_label) = ls[i]
        suffix, (_ps, ms) = ss[j]
        yield -neg, label, ascii_label, suffix, ml | ms
        if j + 1 < len(ss):
            heapq.heappush(heap, (-rank.combine(ls[i][1][0], ss[j + 1][1][0]), i, j + 1))
        if j == 0 and i + 1 < len(ls):
            heapq.heappush(heap, (-rank.combine(ls[i + 1][1][0], ss[0][1][0]), i + 1, 0))


def label_twice(labels: LabelVariants, second: SecondEdits, budget: int) -> list[tuple[float, str, int]]:
    """A second label edit on the best changed labels: the ``budget`` most plausible, as
    (plausibility, label, mask). Looks at more than ``budget`` so names depth 1 made can be skipped."""
    if budget <= 0:
        return []
    found: dict[str, tuple[float, int]] = {}
    for label, (p1, m1, _ascii) in sorted(labels.items(), key=lambda kv: (-kv[1][0], kv[0])):
        for (text, factor), m2 in second(label):
            p = rank.combine(p1, factor)
            old = found.get(text)
            if old is None or p > old[0]:
                found[text] = (p, m1 | m2 | (old[1] if old else 0))
        if len(found) >= 2 * budget:
            break
    best = heapq.nsmallest(2 * budget, found.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(p, text, mask) for text, (p, mask) in best]
