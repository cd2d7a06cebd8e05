"""Absent names in the database: interning, compaction and lookups, in SQL every back end runs.

Every ``(domain, protected)`` pair is interned once in ``names`` (shared by all scans); a running
scan appends chunks of names (``chunks.pack_names``), and ``compact`` turns them into chunks of
sorted name ids when it finishes. Each function works inside the caller's transaction; a chunk or a
name that does not decode is reported through ``report`` and left out.

Must not: open transactions, decide what a scan means, or touch the network.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Final

from lookalike.store import rows
from lookalike.store.chunks import ids_from_raw, names_from_text, pack_ids
from lookalike.store.engine import Dialect, Tx
from lookalike.store.rows import Damage, DamagedRow

ID_CHUNK: Final = 50_000
"""Name ids per chunk once a scan is compacted; ``history`` decodes one chunk per scan."""

Report = Callable[[Damage], None]

CHUNK_COLUMNS: Final = "scan_id, seq, kind, first_id, last_id, count, data, crc"


def chunk_crc(values: tuple[int, str, int | None, int | None, int, bytes]) -> int:
    """The checksum of a chunk row, from its ``scan_id, kind, first_id, last_id, count, data`` (``seq``
    is left out: it only orders the chunks)."""
    return rows.crc(values)


def decode_chunk(row: Sequence[object]) -> tuple[str, set[tuple[str, str]] | list[int]]:
    """A row of ``CHUNK_COLUMNS``: its kind and its names or sorted ids. Raises ``DamagedRow``."""
    scan_id, _, kind, first, last, count, data, stored = row
    raw = rows.inflate(data, "data")
    payload: set[tuple[str, str]] | list[int]
    if kind == "names":
        try:
            payload = names_from_text(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise DamagedRow(f"data is not UTF-8 text ({exc.reason})") from exc
    elif kind == "ids":
        if len(raw) % 4:
            raise DamagedRow("data is not a list of ids")
        payload = ids_from_raw(raw)
        if payload and (payload[0] != first or payload[-1] != last or len(payload) != count):
            raise DamagedRow("its ids do not match its first_id, last_id and count")
    else:
        raise DamagedRow(f"kind {kind!r:.20} is neither names nor ids")
    rows.verify((scan_id, kind, first, last, count, data), stored)
    return kind, payload


def _where(row: Sequence[object]) -> str:
    return f"scan {row[0]!r}, absent chunk {row[1]!r}"


def chunks(tx: Tx, scan_id: int, kind: str, report: Report) -> Iterable[set[tuple[str, str]] | list[int]]:
    """The decoded chunks of one kind of a scan; damaged ones reported and skipped."""
    for row in tx.execute(
        f"SELECT {CHUNK_COLUMNS} FROM absent_chunks WHERE scan_id = ? AND kind = ? ORDER BY seq",
        (scan_id, kind),
    ).fetchall():
        try:
            yield decode_chunk(row)[1]
        except DamagedRow as exc:
            report(Damage(_where(row), str(exc)))


def finding_keys(tx: Tx, scan_id: int, report: Report) -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for finding_id, domain, protected in tx.execute(
        "SELECT id, domain, protected FROM findings WHERE scan_id = ?", (scan_id,)
    ):
        if isinstance(domain, str) and isinstance(protected, str):
            keys.add((domain, protected))
        else:
            report(Damage(f"scan {scan_id}, finding {finding_id!r}", "domain or protected is not text"))
    return keys


def chunk_names(tx: Tx, scan_id: int, report: Report) -> set[tuple[str, str]]:
    """The absent names of a scan's chunks that are not compacted yet."""
    names: set[tuple[str, str]] = set()
    for part in chunks(tx, scan_id, "names", report):
        assert isinstance(part, set)
        names |= part
    return names


def chunk_ids(tx: Tx, scan_id: int, report: Report) -> set[int]:
    """The absent name ids of a scan's compacted chunks."""
    ids: set[int] = set()
    for part in chunks(tx, scan_id, "ids", report):
        assert isinstance(part, list)
        ids.update(part)
    return ids


def compact(tx: Tx, dialect: Dialect, scan_id: int, report: Report) -> None:
    """Replace a scan's chunks of names by chunks of name ids. Interning every name of the scan at
    once, in sorted order, touches each page of ``names`` once; interning batch by batch as the scan
    ran would rewrite most of it every time. Damaged chunks are reported and dropped."""
    size = ID_CHUNK
    names = chunk_names(tx, scan_id, report)
    if not names:
        return
    ids = sorted(set(intern(tx, dialect, names)) | chunk_ids(tx, scan_id, report))
    tx.execute("DELETE FROM absent_chunks WHERE scan_id = ?", (scan_id,))
    parts = [ids[i : i + size] for i in range(0, len(ids), size)]
    tx.executemany(
        f"INSERT INTO absent_chunks ({CHUNK_COLUMNS}) VALUES (?, ?, 'ids', ?, ?, ?, ?, ?)",
        [
            (
                scan_id,
                seq,
                part[0],
                part[-1],
                len(part),
                data,
                chunk_crc((scan_id, "ids", part[0], part[-1], len(part), data)),
            )
            for seq, part in enumerate(parts, 1)
            for data in (pack_ids(part),)
        ],
    )


def protected_ids(tx: Tx, domains: Iterable[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for domain in sorted(set(domains)):
        tx.execute("INSERT INTO protected (domain) VALUES (?) ON CONFLICT DO NOTHING", (domain,))
        ids[domain] = tx.execute("SELECT id FROM protected WHERE domain = ?", (domain,)).fetchone()[0]
    return ids


def name_crc(domain: str, protected: str, name_id: int) -> int:
    """The checksum of a ``names`` row, over the protected domain's name (not its id), so a damaged
    ``protected`` row is found too. Simpler than ``rows.crc`` (a million names are summed at once):
    a domain name cannot hold the separator."""
    return binascii.crc32(f"{domain}\x1f{protected}\x1f{name_id}".encode("utf-8", "surrogatepass"))


def intern(tx: Tx, dialect: Dialect, pairs: Collection[tuple[str, str]]) -> list[int]:
    """The name ids of distinct (domain, protected) pairs, giving new names the next free ids.
    Set-based: the batch is bulk-copied into a temporary table and joined with ``names`` once, and
    the new names are bulk-copied into ``names`` in key order, each with its checksum."""
    # The counter row first, locked where the back end lets writers run side by side: two scans
    # finishing at once must not hand out the same ids.
    base = tx.execute(f"SELECT value FROM counters WHERE name = 'name_id'{dialect.for_update}").fetchone()[0]
    protected = protected_ids(tx, {p for _, p in pairs})
    tx.execute(
        "CREATE TEMP TABLE IF NOT EXISTS intern_batch (domain TEXT NOT NULL, protected BIGINT NOT NULL)"
    )
    tx.execute("DELETE FROM intern_batch")
    tx.copy("intern_batch", ("domain", "protected"), ((d, protected[p]) for d, p in pairs))
    tx.analyze("intern_batch")
    known = tx.execute(
        "SELECT b.domain, b.protected, n.id FROM intern_batch b"
        " JOIN names n ON n.domain = b.domain AND n.protected = b.protected"
    ).fetchall()
    tx.execute("DELETE FROM intern_batch")
    ids = [r[2] for r in known]
    have = {(r[0], r[1]) for r in known}
    owner = {pid: domain for domain, pid in protected.items()}
    new = sorted({(d, protected[p]) for d, p in pairs} - have)
    tx.copy(
        "names",
        ("domain", "protected", "id", "crc"),
        ((d, pid, base + i, name_crc(d, owner[pid], base + i)) for i, (d, pid) in enumerate(new, 1)),
    )
    if new:
        tx.execute("UPDATE counters SET value = value + ? WHERE name = 'name_id'", (len(new),))
    return ids + list(range(base + 1, base + len(new) + 1))


LOOKUP_CHUNK: Final = 500
"""Domains looked up per statement (well under every back end's parameter limit)."""


def ids_of(tx: Tx, keys: Sequence[tuple[str, str]], report: Report) -> dict[tuple[str, str], int]:
    """The name ids of names already interned (others are left out; damaged ones reported). A few
    hundred domains per statement, found through the ``names`` key: a diff asks about ten thousand."""
    wanted = set(keys)
    domains = sorted({domain for domain, _ in wanted})
    out: dict[tuple[str, str], int] = {}
    for start in range(0, len(domains), LOOKUP_CHUNK):
        part = domains[start : start + LOOKUP_CHUNK]
        found = tx.execute(
            "SELECT n.domain, p.domain, n.id, n.crc FROM names n JOIN protected p ON p.id = n.protected"
            f" WHERE n.domain IN ({', '.join(['?'] * len(part))})",
            part,
        ).fetchall()
        for domain, protected, name_id, stored in found:
            if (domain, protected) not in wanted:
                continue
            try:
                out[(domain, protected)] = verified_name(domain, protected, name_id, stored)
            except DamagedRow as exc:
                report(Damage(f"absent name {name_id!r} ({domain!r:.80})", str(exc)))
    return out


def verified_name(domain: object, protected: object, name_id: object, stored: object) -> int:
    """The id of a ``names`` row whose columns are text and match its checksum; else ``DamagedRow``."""
    number = rows.integer(name_id, "id")
    text = rows.text(domain, "domain")
    owner = rows.text(protected, "its protected domain")
    if stored is not None and stored != name_crc(text, owner, number):
        raise DamagedRow("its columns do not match their checksum")
    return number


def names_of(tx: Tx, ids: Collection[int], report: Report) -> set[tuple[str, str]]:
    """The (domain, protected) pairs of a set of name ids. One pass over ``names``: a scan's absent
    names are most of the table, so reading it whole beats looking each id up. A damaged row, or an
    id no row answers for, is reported."""
    if not ids:
        return set()
    wanted = ids if isinstance(ids, set | frozenset) else set(ids)
    protected = {r[0]: r[1] for r in tx.execute("SELECT id, domain FROM protected")}
    out: set[tuple[str, str]] = set()
    seen: set[int] = set()
    for domain, pid, name_id, stored in tx.execute("SELECT domain, protected, id, crc FROM names"):
        if name_id not in wanted:
            continue
        seen.add(name_id)
        owner = protected.get(pid)
        try:
            verified_name(domain, owner, name_id, stored)
        except DamagedRow as exc:
            report(Damage(f"absent name {name_id!r} ({domain!r:.80})", str(exc)))
            continue
        out.add((str(domain), str(owner)))
    if missing := wanted - seen:
        report(Damage(f"absent names {min(missing)}..{max(missing)}", f"{len(missing)} ids have no name"))
    return out
