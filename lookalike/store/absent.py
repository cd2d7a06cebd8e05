"""Absent names in the database: interning, compaction and lookups, in SQL every back end runs.

Every ``(domain, protected)`` pair is interned once in ``names`` (shared by all scans); a running
scan appends chunks of names (``chunks.pack_names``), and ``compact`` turns them into chunks of
sorted name ids when it finishes. Each function works inside the caller's transaction.

Must not: open transactions, decide what a scan means, or touch the network.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Final

from lookalike.store.chunks import pack_ids, unpack_ids, unpack_names
from lookalike.store.engine import Dialect, Tx

ID_CHUNK: Final = 50_000
"""Name ids per chunk once a scan is compacted; ``history`` decodes one chunk per scan."""


def finding_keys(tx: Tx, scan_id: int) -> set[tuple[str, str]]:
    return {
        (r[0], r[1])
        for r in tx.execute("SELECT domain, protected FROM findings WHERE scan_id = ?", (scan_id,))
    }


def chunk_names(tx: Tx, scan_id: int) -> set[tuple[str, str]]:
    """The absent names of a scan's chunks that are not compacted yet."""
    names: set[tuple[str, str]] = set()
    for (blob,) in tx.execute(
        "SELECT data FROM absent_chunks WHERE scan_id = ? AND kind = 'names'", (scan_id,)
    ):
        names |= unpack_names(blob)
    return names


def chunk_ids(tx: Tx, scan_id: int) -> set[int]:
    """The absent name ids of a scan's compacted chunks."""
    ids: set[int] = set()
    for (blob,) in tx.execute(
        "SELECT data FROM absent_chunks WHERE scan_id = ? AND kind = 'ids'", (scan_id,)
    ):
        ids.update(unpack_ids(blob))
    return ids


def compact(tx: Tx, dialect: Dialect, scan_id: int) -> None:
    """Replace a scan's chunks of names by chunks of name ids. Interning every name of the scan at
    once, in sorted order, touches each page of ``names`` once; interning batch by batch as the scan
    ran would rewrite most of it every time."""
    size = ID_CHUNK
    names = chunk_names(tx, scan_id)
    if not names:
        return
    ids = sorted(set(intern(tx, dialect, names)) | chunk_ids(tx, scan_id))
    tx.execute("DELETE FROM absent_chunks WHERE scan_id = ?", (scan_id,))
    tx.executemany(
        "INSERT INTO absent_chunks (scan_id, seq, kind, first_id, last_id, count, data)"
        " VALUES (?, ?, 'ids', ?, ?, ?, ?)",
        [
            (scan_id, seq, part[0], part[-1], len(part), pack_ids(part))
            for seq, part in enumerate((ids[i : i + size] for i in range(0, len(ids), size)), 1)
        ],
    )


def protected_ids(tx: Tx, domains: Iterable[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for domain in sorted(set(domains)):
        tx.execute("INSERT INTO protected (domain) VALUES (?) ON CONFLICT DO NOTHING", (domain,))
        ids[domain] = tx.execute("SELECT id FROM protected WHERE domain = ?", (domain,)).fetchone()[0]
    return ids


def intern(tx: Tx, dialect: Dialect, pairs: Collection[tuple[str, str]]) -> list[int]:
    """The name ids of distinct (domain, protected) pairs, giving new names the next free ids.
    Set-based through a temporary table: a few statements, not one per name, and new names go
    into ``names`` in key order."""
    # The counter row first, locked where the back end lets writers run side by side: two scans
    # finishing at once must not hand out the same ids.
    base = tx.execute(f"SELECT value FROM counters WHERE name = 'name_id'{dialect.for_update}").fetchone()[0]
    protected = protected_ids(tx, {p for _, p in pairs})
    tx.execute(
        "CREATE TEMP TABLE IF NOT EXISTS intern_batch (domain TEXT NOT NULL, protected BIGINT NOT NULL)"
    )
    tx.execute("DELETE FROM intern_batch")
    tx.copy("intern_batch", ("domain", "protected"), ((d, protected[p]) for d, p in pairs))
    added = tx.execute(
        """INSERT INTO names (domain, protected, id)
           SELECT b.domain, b.protected, ? + row_number() OVER (ORDER BY b.domain, b.protected)
           FROM intern_batch b
           WHERE NOT EXISTS
               (SELECT 1 FROM names n WHERE n.domain = b.domain AND n.protected = b.protected)
           ORDER BY b.domain, b.protected""",
        (base,),
    ).rowcount
    if added:
        tx.execute("UPDATE counters SET value = value + ? WHERE name = 'name_id'", (added,))
    ids = [
        r[0]
        for r in tx.execute(
            "SELECT n.id FROM intern_batch b"
            " JOIN names n ON n.domain = b.domain AND n.protected = b.protected"
        )
    ]
    tx.execute("DELETE FROM intern_batch")
    return ids


def ids_of(tx: Tx, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The name ids of names already interned (others are left out)."""
    out: dict[tuple[str, str], int] = {}
    for domain, protected in keys:
        row = tx.execute(
            "SELECT n.id FROM names n JOIN protected p ON p.id = n.protected"
            " WHERE n.domain = ? AND p.domain = ?",
            (domain, protected),
        ).fetchone()
        if row is not None:
            out[(domain, protected)] = row[0]
    return out


def names_of(tx: Tx, ids: Collection[int]) -> set[tuple[str, str]]:
    """The (domain, protected) pairs of a set of name ids. One pass over ``names``: a scan's absent
    names are most of the table, so reading it whole beats looking each id up."""
    if not ids:
        return set()
    wanted = ids if isinstance(ids, set | frozenset) else set(ids)
    protected = {r[0]: r[1] for r in tx.execute("SELECT id, domain FROM protected")}
    return {
        (domain, protected[pid])
        for domain, pid, name_id in tx.execute("SELECT domain, protected, id FROM names")
        if name_id in wanted
    }
