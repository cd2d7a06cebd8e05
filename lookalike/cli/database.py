"""Opening the history database for a command, and telling the user about damaged rows.

The store leaves a damaged row out of every answer and lists it in ``Store.damage``; the commands
show that list on stderr when they are done, so nothing is silently missing. Must not: query the
store itself (the commands do) or decide exit codes beyond a failed ``history --check``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from lookalike.saved import SavedScan
from lookalike.store import Damage, Location, Store
from lookalike.store import label as db_label

SHOWN = 10
"""Damaged rows listed one per line; beyond that, a count."""


@contextmanager
def open_db(db: Location | None, *, create: bool = False) -> Iterator[Store]:
    """The database ``db`` (the default one when None), closed and its damage reported on exit."""
    with Store.open(db, create=create) as store:
        try:
            yield store
        finally:
            print_damage(store.label, store.damage, store.damage_count)


def show_damage(scan: SavedScan) -> None:
    """The damaged rows left out while a saved scan was read, if any."""
    if scan.damage:
        print_damage(db_label(scan.db) if scan.db is not None else scan.label, scan.damage)


def print_damage(label: str, damage: Sequence[Damage], count: int | None = None) -> None:
    """One warning line per damaged row (hostile-safe: rows are shown through ``repr``)."""
    total = len(damage) if count is None else count
    for item in damage[:SHOWN]:
        print(f"lookalike: warning: {label}: {item} (left out)", file=sys.stderr)
    if total > SHOWN:
        print(
            f"lookalike: warning: {label}: {total - SHOWN} more damaged rows left out;"
            " `lookalike history --check` lists them all",
            file=sys.stderr,
        )
