"""Feeds in the database (``lookalike watch``): each feed's position, and the matches waiting to be
scanned, in SQL every back end runs.

A feed (``ct:<log ID>``, ``zone:<origin>``) has one row in ``feed_positions``: where its watcher is
(a text only the feed's reader understands), the problem that stopped it last (empty when none), and
when it was written. Its matches wait in ``feed_hits`` until a scan has looked at them; the scan's
``finish_scan`` deletes them in its own transaction.

``advance`` writes a feed's new position together with the matches of the entries before it, in the
caller's transaction, and only when the stored position is still the one the watcher started from
(compare and set): a watcher killed at any moment loses and repeats nothing, and two watchers of one
feed cannot both hand on the same entries (the second gets ``FeedMoved`` and reads again).

Must not: open transactions, match names, decide what a position means, or touch the network.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lookalike import codec
from lookalike.errors import LookalikeError
from lookalike.model import Candidate
from lookalike.store import rows
from lookalike.store.engine import Dialect, Tx

POSITION_COLUMNS = "feed, name, position, problem, updated, crc"
HIT_COLUMNS = "id, feed, domain, protected, seen_at, candidate, crc"


class FeedMoved(LookalikeError):
    """The feed's stored position is not the one the watcher started from: another watcher moved it."""


@dataclass(frozen=True, slots=True)
class FeedState:
    """One feed's row: where its watcher is, and what stopped it last."""

    feed: str
    """The key: ``ct:<log ID, base64>``, ``zone:<origin>``."""
    name: str
    """For people: ``ct:argon2026h2``, ``zone:com``."""
    position: str
    """What the feed's reader keeps (``feeds.ct.Position.to_json()``); empty before it has one."""
    problem: str
    """Why the feed was skipped last time (a log that served a forked head ...); empty when none."""
    updated: datetime


@dataclass(frozen=True, slots=True)
class Hit:
    """A match waiting to be scanned."""

    id: int
    feed: str
    candidate: Candidate
    """The match as a candidate, with its ``Sighting``."""


def _dumps(obj: object) -> str:
    return json.dumps(codec.encode(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="microseconds")


def state_where(row: Sequence[object]) -> str:
    return f"feed {row[0]!r:.80}"


def state_row(row: Sequence[object]) -> FeedState:
    """A ``POSITION_COLUMNS`` row; raises ``DamagedRow``."""
    feed, name, position, problem, updated, stored = row
    state = FeedState(
        feed=rows.text(feed, "feed"),
        name=rows.text(name, "name"),
        position=rows.text(position, "position"),
        problem=rows.text(problem, "problem"),
        updated=rows.timestamp(updated, "updated"),
    )
    rows.verify(row[:5], stored)
    return state


def hit_where(row: Sequence[object]) -> str:
    return f"feed hit {row[0]!r} ({row[2]!r:.80})"


def hit_row(row: Sequence[object]) -> Hit:
    """A ``HIT_COLUMNS`` row; raises ``DamagedRow``."""
    hit_id, feed, domain, protected, seen_at, candidate, stored = row
    rows.timestamp(seen_at, "seen_at")
    cand: Candidate = rows.decode(Candidate, rows.document(candidate, "candidate"), "candidate")
    if (cand.domain, cand.protected) != (rows.text(domain, "domain"), rows.text(protected, "protected")):
        raise rows.DamagedRow("its domain and protected columns disagree with its candidate")
    rows.verify(row[1:6], stored)
    return Hit(rows.integer(hit_id, "id"), rows.text(feed, "feed"), cand)


def select_state(tx: Tx, dialect: Dialect, feed: str, *, lock: bool = False) -> Sequence[object] | None:
    """The raw row of ``feed`` (locked until the transaction ends with ``lock``)."""
    row: Sequence[object] | None = tx.execute(
        f"SELECT {POSITION_COLUMNS} FROM feed_positions WHERE feed = ?{dialect.for_update if lock else ''}",
        (feed,),
    ).fetchone()
    return row


def advance(
    tx: Tx,
    *,
    feed: str,
    name: str,
    position: str,
    expected: str | None,
    hits: Sequence[Candidate],
    now: datetime,
    problem: str = "",
) -> None:
    """Move ``feed`` from ``expected`` (None: the feed has no row yet) to ``position`` and queue its
    ``hits``, in the caller's transaction. Raises ``FeedMoved`` when the stored position is not
    ``expected``; the caller's transaction then rolls back, hits and all."""
    values = (feed, name, position, problem, _iso(now))
    crc = rows.crc(values)
    if expected is None:
        moved = tx.execute(
            f"INSERT INTO feed_positions ({POSITION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (feed) DO NOTHING RETURNING feed",
            (*values, crc),
        ).fetchone()
    else:
        moved = tx.execute(
            "UPDATE feed_positions SET name = ?, position = ?, problem = ?, updated = ?, crc = ?"
            " WHERE feed = ? AND position = ? RETURNING feed",
            (name, position, problem, values[4], crc, feed, expected),
        ).fetchone()
    if moved is None:
        raise FeedMoved(f"another watcher moved {name} on; reading it again from where it is")
    queue(tx, feed, hits)


def queue(tx: Tx, feed: str, hits: Sequence[Candidate]) -> None:
    """Add matches waiting to be scanned."""
    values = []
    for cand in hits:
        seen = cand.sighting.seen_at if cand.sighting is not None else None
        row = (feed, cand.domain, cand.protected, _iso(seen) if seen else "", _dumps(cand))
        values.append((*row, rows.crc(row)))
    if values:
        tx.executemany(
            "INSERT INTO feed_hits (feed, domain, protected, seen_at, candidate, crc)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            values,
        )


def set_problem(tx: Tx, dialect: Dialect, *, feed: str, name: str, problem: str, now: datetime) -> str:
    """Record why ``feed`` was skipped (empty: it is fine again), keeping its position. Returns the
    problem recorded before (empty when there was none). A damaged row is left as it is, for
    ``history --check`` to name: writing over it would give its damaged position a good checksum."""
    row = select_state(tx, dialect, feed, lock=True)
    position, before = "", ""
    if row is not None:
        try:
            state = state_row(row)
        except rows.DamagedRow:
            return ""
        position, before = state.position, state.problem
    values = (feed, name, position, problem, _iso(now))
    tx.execute(
        f"""INSERT INTO feed_positions ({POSITION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (feed) DO UPDATE SET name = excluded.name, problem = excluded.problem,
               updated = excluded.updated, crc = excluded.crc""",
        (*values, rows.crc(values)),
    )
    return before


def pending(tx: Tx, limit: int) -> list[Sequence[object]]:
    """The oldest ``limit`` raw hit rows."""
    found: list[Sequence[object]] = tx.execute(
        f"SELECT {HIT_COLUMNS} FROM feed_hits ORDER BY id LIMIT ?", (limit,)
    ).fetchall()
    return found


def drop(tx: Tx, ids: Sequence[int]) -> None:
    """Delete hits that were scanned (or judged repeats of a recent scan)."""
    tx.executemany("DELETE FROM feed_hits WHERE id = ?", [(i,) for i in ids])


__all__ = ["FeedMoved", "FeedState", "Hit", "advance", "drop", "pending", "queue", "set_problem"]
