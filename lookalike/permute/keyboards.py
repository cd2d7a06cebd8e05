"""Keyboard layouts: which keys sit next to which, and how far apart two keys are.

Pure: reads ``data/keyboards.txt`` once. Holds geometry only; how much a distance matters for a
slip's plausibility is ``rank``'s business.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from lookalike.errors import LookalikeError
from lookalike.permute import tables

NEIGHBOUR_DISTANCE = 1.3
"""Keys whose centres are at most this many key widths apart are neighbours (the six around a key)."""

FAR = 99.0
"""The distance reported for keys that are not on the same layout."""


@dataclass(frozen=True, slots=True, eq=False)
class Layout:
    """One keyboard layout: each usable key's position, in key widths."""

    name: str
    positions: Mapping[str, tuple[float, float]]

    def distance(self, a: str, b: str) -> float:
        """Centre-to-centre distance between two keys; ``FAR`` when either is missing."""
        pa, pb = self.positions.get(a), self.positions.get(b)
        if pa is None or pb is None:
            return FAR
        return math.hypot(pa[0] - pb[0], pa[1] - pb[1])


@dataclass(frozen=True, slots=True, eq=False)
class Keyboard:
    """One or several layouts used together: a key's neighbours on any of them, the shortest distance.

    ``others`` holds the neighbours a key has only on the layouts not chosen: slips the chosen
    keyboards cannot make but a reader on another keyboard can (the generator ranks them low rather
    than leaving them out).
    """

    layouts: tuple[Layout, ...]
    neighbours: Mapping[str, tuple[tuple[str, float], ...]]
    """key -> ((neighbour, distance) ...), nearest first, then alphabetical."""
    others: Mapping[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)
    """key -> ((neighbour, distance) ...) on the other layouts only, nearest first."""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(layout.name for layout in self.layouts)

    def distance(self, a: str, b: str) -> float:
        return min((layout.distance(a, b) for layout in self.layouts), default=FAR)


@cache
def layouts() -> Mapping[str, Layout]:
    """Every layout in ``data/keyboards.txt`` by name."""
    found: dict[str, Layout] = {}
    name = ""
    positions: dict[str, tuple[float, float]] = {}
    row = 0

    def close() -> None:
        if name:
            found[name] = Layout(name, dict(positions))

    for line in tables.lines("keyboards.txt"):
        if line.startswith("[") and line.endswith("]"):
            close()
            name, positions, row = line[1:-1], {}, 0
            continue
        offset, keys = line.split()
        for index, key in enumerate(keys):
            if key != ".":
                positions[key] = (float(offset) + index, float(row))
        row += 1
    close()
    return found


def layout_names() -> list[str]:
    return sorted(layouts())


@cache
def keyboard(names: tuple[str, ...]) -> Keyboard:
    """The combined keyboard for the given layout names. Raises ``LookalikeError`` for an unknown one."""
    known = layouts()
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise LookalikeError(
            f"unknown keyboard {', '.join(unknown) or '(none)'}; choose from {', '.join(layout_names())}"
        )
    chosen = tuple(known[n] for n in dict.fromkeys(names))
    rest = tuple(layout for name, layout in sorted(known.items()) if layout not in chosen)
    neighbours = _neighbours(chosen)
    others = {
        key: tuple(kd for kd in near if kd[0] not in {k for k, _ in neighbours.get(key, ())})
        for key, near in _neighbours(rest).items()
    }
    return Keyboard(chosen, neighbours, {k: v for k, v in others.items() if v})


def _neighbours(chosen: tuple[Layout, ...]) -> dict[str, tuple[tuple[str, float], ...]]:
    keys: set[str] = set()
    for layout in chosen:
        keys.update(layout.positions)
    neighbours: dict[str, tuple[tuple[str, float], ...]] = {}
    for key in sorted(keys):
        near = []
        for other in sorted(keys):
            if other != key:
                d = min(layout.distance(key, other) for layout in chosen)
                if d <= NEIGHBOUR_DISTANCE:
                    near.append((other, d))
        near.sort(key=lambda kd: (kd[1], kd[0]))
        neighbours[key] = tuple(near)
    return neighbours


def neighbours_of(kb: Keyboard, key: str) -> Iterable[tuple[str, float]]:
    """(neighbour, distance) pairs of ``key`` on ``kb``; none for characters that are not keys."""
    return kb.neighbours.get(key, ())
