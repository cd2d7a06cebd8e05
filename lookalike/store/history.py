"""``Store``: the reads and writes the orchestrator and the history commands need, written once.

Layout, and why:

* ``scans``: one row per scan; the whole ``ScanInfo`` as codec JSON, plus columns to sort and filter.
  Ids are never reused after ``prune``.
* ``findings``: one row per name that exists or is unknown, with the ``Candidate``, ``Evidence`` and
  ``Score`` as separate codec JSON documents (facts and judgement apart, so history can be re-scored)
  and indexed columns for domain, protected, existence, level and mail route.
* Absent names are most of a scan, so they are stored compactly (``absent.py``, ``chunks.py``): a
  repeat scan of the same names costs well under a byte per absent name.
* ``triage`` is an append-only log; the latest row per domain is the mark in force.
* ``registrations``: the RDAP/WHOIS cache (schema version 2).
* Each row of those tables carries a checksum of its columns (schema version 3). Every row read is
  verified and decoded through ``rows.py``; a damaged row is reported in ``Store.damage`` and left
  out, so it costs that row, not the history. ``checkup`` reads everything and changes nothing.

Must not: judge (scoring and diffing are pure modules that take what this returns), speak a back
end's dialect (``engine.py``), or touch the network.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import getpass
import itertools
import json
import os
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Final, TypeVar

from lookalike import codec
from lookalike.errors import LookalikeError
from lookalike.model import (
    FEED_KEY,
    Candidate,
    Evidence,
    Existence,
    Finding,
    Level,
    Outcome,
    Reference,
    Registration,
    ScanInfo,
    ScanResult,
    Score,
    Status,
    Triage,
    TriageMark,
)
from lookalike.store import absent as names_db
from lookalike.store import feeds as feeds_db
from lookalike.store import rows
from lookalike.store.chunks import ZLIB_LEVEL, pack_names
from lookalike.store.engine import Engine, Tx
from lookalike.store.feeds import FeedState, Hit
from lookalike.store.location import Location, default_db_path
from lookalike.store.location import parse as parse_location
from lookalike.store.rows import Damage, DamagedRow
from lookalike.store.schema import SCHEMA_VERSION, migrate

BATCH: Final = 50_000
"""Absent names written per chunk while a scan runs."""
READ_BATCH: Final = 500
"""Findings read per statement when a scan's findings are read as a stream (``findings``)."""

_EXISTENCE_WORST = {Existence.EXISTS: 0, Existence.UNKNOWN: 1, Existence.ABSENT: 2}

T = TypeVar("T")

SCAN_COLUMNS: Final = "id, key, started, finished, complete, interrupted, info, crc"
FINDING_COLUMNS: Final = (
    "id, scan_id, domain, protected, existence, level, mail_route, candidate, evidence, score, crc"
)
REF_COLUMNS: Final = "scan_id, seq, domain, reference, crc"
TRIAGE_COLUMNS: Final = "id, domain, state, note, who, at, crc"
REGISTRATION_COLUMNS: Final = "domain, fetched, status, outcome, crc"

MAX_REPORTED: Final = 10_000
"""Damaged rows remembered per open store (``Store.damage``); ``damage_count`` counts them all."""


def _dumps(obj: object) -> str:
    return json.dumps(codec.encode(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _pack(obj: object) -> bytes:
    """Codec JSON, zlib-compressed: evidence (WHOIS text, SMTP transcripts) is kilobytes of
    repetitive text, and shrinks four- to sixfold."""
    return zlib.compress(_dumps(obj).encode("utf-8"), ZLIB_LEVEL)


def _utc(when: datetime) -> datetime:
    """Naive datetimes are taken to be UTC (what ``datetime.utcnow`` callers mean)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _iso(when: datetime) -> str:
    """A sortable UTC timestamp for an indexed column."""
    return _utc(when).isoformat(timespec="microseconds")


def _now() -> datetime:
    return datetime.now(UTC)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


@dataclass(frozen=True, slots=True)
class ScanRow:
    """A verified ``scans`` row."""

    id: int
    key: str
    complete: bool
    info: ScanInfo


@dataclass(frozen=True, slots=True)
class Observed:
    """A name's finding in one stored scan (``Store.observed``)."""

    scan_id: int
    started: datetime
    finding: Finding


@dataclass(frozen=True, slots=True)
class Checkup:
    """What ``Store.checkup`` found: the back end's structural complaints and every damaged row."""

    label: str
    schema: int
    structure: tuple[str, ...]
    damage: tuple[Damage, ...]
    damaged: int
    """Damaged rows in all (``damage`` keeps the first ``MAX_REPORTED``)."""
    read: tuple[tuple[str, int], ...]
    """Rows read per table."""

    @property
    def sound(self) -> bool:
        return not self.structure and not self.damaged


class Store:
    """One open lookalike database. Not for sharing between processes (open one per process);
    calls from several threads are serialised.

    Rows that are damaged are left out of every answer and listed in ``damage`` (the caller shows
    them); a damaged scan row asked for by id is a ``LookalikeError``."""

    registration_max_age: timedelta = timedelta(days=7)
    """How long a cached registration (RDAP/WHOIS "registered") answer is trusted."""
    registration_absent_max_age: timedelta = timedelta(days=1)
    """How long a cached "not registered" answer is trusted: names get registered any day."""

    def __init__(self, engine: Engine, *, version: int = SCHEMA_VERSION) -> None:
        """Use ``Store.open``."""
        self.engine = engine
        self._lock = threading.RLock()
        self._version = version
        self._crc = "crc" if version >= 3 else "NULL"  # schema 3 added the checksums
        self.damage: list[Damage] = []
        """Damaged rows met so far, each once, in the order met."""
        self.damage_count = 0
        self._seen: set[str] = set()

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, location: Location | None = None, *, create: bool = True, read_only: bool = False) -> Store:
        """Open the database at ``location`` (a path, a ``postgresql://`` URL, or None: the default
        path), creating it unless ``create`` is False, and migrating it to the current schema.
        ``read_only`` (for ``checkup``) migrates nothing, writes nothing and skips the quick check on
        open (``checkup`` runs the full one). Raises ``LookalikeError`` with one line when the
        database cannot be used."""
        where = parse_location(location) if location is not None else default_db_path()
        engine: Engine
        if isinstance(where, str):
            from lookalike.store.postgres import PostgresEngine

            engine = PostgresEngine.open(where, create=create, read_only=read_only, check=not read_only)
        else:
            from lookalike.store.sqlite import SqliteEngine

            engine = SqliteEngine.open(where, create=create, read_only=read_only, check=not read_only)
        try:
            with engine.transaction(write=not read_only) as tx:
                version = _schema_version(engine, tx) if read_only else migrate(engine, tx)
        except BaseException:
            engine.close()
            raise
        return cls(engine, version=version if read_only else SCHEMA_VERSION)

    @property
    def label(self) -> str:
        """Where the database is, for messages (a path, or a URL without its password)."""
        return self.engine.label

    @property
    def path(self) -> Path | str:
        """The database file (a URL for a server's database)."""
        return getattr(self.engine, "path", self.engine.label)

    def close(self) -> None:
        with self._lock:
            self.engine.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._read() as tx:
            return _schema_version(self.engine, tx)

    # -- transactions and damage -----------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self, *, bulk: bool = False) -> Iterator[Tx]:
        with self._lock, self.engine.transaction(write=True, bulk=bulk) as tx:
            yield tx

    @contextlib.contextmanager
    def _read(self) -> Iterator[Tx]:
        """A consistent snapshot for several SELECTs."""
        with self._lock, self.engine.transaction(write=False) as tx:
            yield tx

    def _report(self, damage: Damage) -> None:
        key = damage.where
        if key in self._seen:
            return
        self._seen.add(key)
        self.damage_count += 1
        if len(self.damage) < MAX_REPORTED:
            self.damage.append(damage)

    def _valid(
        self, found: Iterable[Any], where: Callable[[Any], str], decode: Callable[[Any], T]
    ) -> Iterator[T]:
        """The rows of ``found`` that decode; the others reported and skipped."""
        for row in found:
            try:
                yield decode(row)
            except DamagedRow as exc:
                self._report(Damage(where(row), str(exc)))

    def _scan_rows(
        self, tx: Tx, where: str = "", params: Sequence[object] = (), limit: int | None = None
    ) -> Iterator[ScanRow]:
        """Verified scan rows, newest first (damaged ones reported and skipped)."""
        sql = f"SELECT {self._columns(SCAN_COLUMNS)} FROM scans {where} ORDER BY id DESC"
        found = tx.execute(sql, params).fetchall()
        for count, row in enumerate(self._valid(found, _scan_where, _scan_row), 1):
            yield row
            if limit is not None and count >= limit:
                return

    def _columns(self, columns: str) -> str:
        """A column list, with ``crc`` read as NULL from a database older than schema 3."""
        return columns if self._crc == "crc" else columns.replace("crc", "NULL")

    def _scan(self, tx: Tx, scan_id: int) -> ScanRow:
        """One scan row by id; missing or damaged is an error."""
        row = tx.execute(
            f"SELECT {self._columns(SCAN_COLUMNS)} FROM scans WHERE id = ?", (scan_id,)
        ).fetchone()
        if row is None:
            raise LookalikeError(f"no scan {scan_id} in {self.label}")
        try:
            return _scan_row(row)
        except DamagedRow as exc:
            raise LookalikeError(
                f"scan {scan_id} in {self.label} is damaged: {exc};"
                " `lookalike history --check` lists the damage"
            ) from exc

    # -- the scan lock ---------------------------------------------------------------------------

    def scan_lock(self, *, wait: float = 0.0) -> AbstractContextManager[None]:
        """An exclusive lock on this database for one scan, whatever path or URL reached it. Waits up
        to ``wait`` seconds, then raises ``LookalikeError``. A killed scan never leaves it stale."""
        return self.engine.scan_lock(wait)

    # -- scans -----------------------------------------------------------------------------------

    def begin_scan(self, info: ScanInfo, *, key: str) -> int:
        """Record a new scan; ``key`` identifies "the same scan" (names and settings) for resume."""
        info = dataclasses.replace(info, id=None)
        started, text = _iso(info.started), _dumps(info)
        with self._write() as tx:
            scan_id = int(
                tx.execute(
                    "INSERT INTO scans (key, started, info) VALUES (?, ?, ?) RETURNING id",
                    (key, started, text),
                ).fetchone()[0]
            )
            crc = rows.crc((scan_id, key, started, None, 0, 0, text))
            tx.execute("UPDATE scans SET crc = ? WHERE id = ?", (crc, scan_id))
        return scan_id

    def unfinished_scan(self, key: str) -> int | None:
        """The latest scan with ``key`` that did not complete (never finished, or interrupted), if
        it is also the latest scan with that key: a completed rerun supersedes it."""
        with self._read() as tx:
            latest = next(self._scan_rows(tx, "WHERE key = ?", (key,)), None)
        return latest.id if latest is not None and not latest.complete else None

    def finish_scan(self, scan_id: int, info: ScanInfo, *, hits: Sequence[int] = ()) -> None:
        """Store the scan's final description. ``finished`` defaults to now; a scan is *complete*
        when it finished and was not interrupted (only complete scans are diffed by default).
        The scan's absent names are compacted here, in one transaction: each is interned once in
        ``names`` and the scan keeps only sorted chunks of ids (a few seconds for a million).
        ``hits``: the feed matches (``pending_hits``) the scan looked at, deleted in the same
        transaction, so a watcher killed before this point scans them again."""
        if info.finished is None:
            info = dataclasses.replace(info, finished=_now())
        info = dataclasses.replace(info, id=None)
        assert info.finished is not None
        values = (_iso(info.started), _iso(info.finished), int(not info.interrupted), int(info.interrupted))
        text = _dumps(info)
        with self._write(bulk=True) as tx:
            row = tx.execute(
                f"SELECT key FROM scans WHERE id = ?{self.engine.dialect.for_update}", (scan_id,)
            ).fetchone()
            if row is None:
                raise LookalikeError(f"no scan {scan_id} in {self.label}")
            try:
                crc = rows.crc((scan_id, rows.text(row[0], "key"), *values, text))
            except DamagedRow as exc:
                raise LookalikeError(f"scan {scan_id} in {self.label} is damaged: {exc}") from exc
            tx.execute(
                "UPDATE scans SET started = ?, finished = ?, complete = ?, interrupted = ?, info = ?, crc = ?"
                " WHERE id = ?",
                (*values, text, crc, scan_id),
            )
            names_db.compact(tx, self.engine.dialect, scan_id, self._report)
            feeds_db.drop(tx, hits)

    def scan_info(self, scan_id: int) -> ScanInfo:
        """One scan's description (with its id)."""
        with self._read() as tx:
            return self._scan(tx, scan_id).info

    def load_scan(self, scan_id: int) -> ScanResult:
        """A stored scan: its description, references, and findings in the order first recorded.
        Damaged references and findings are left out (and reported in ``damage``)."""
        with self._read() as tx:
            scan = self._scan(tx, scan_id)
            refs = tx.execute(
                f"SELECT {self._columns(REF_COLUMNS)} FROM refs WHERE scan_id = ? ORDER BY seq", (scan_id,)
            ).fetchall()
        return ScanResult(
            info=scan.info,
            references=tuple(self._valid(refs, _ref_where, _ref_row)),
            findings=tuple(self.findings(scan_id)),
        )

    def findings(self, scan_id: int, *, batch: int = READ_BATCH) -> Iterator[Finding]:
        """A stored scan's findings in the order first recorded, read ``batch`` at a time (each
        batch in its own short read), so a large scan is never in memory twice: its rows' text and
        its findings. Damaged findings are left out (and reported in ``damage``)."""
        last: object = -1
        while True:
            with self._read() as tx:
                found = tx.execute(
                    f"SELECT {self._columns(FINDING_COLUMNS)} FROM findings"
                    " WHERE scan_id = ? AND id > ? ORDER BY id LIMIT ?",
                    (scan_id, last, batch),
                ).fetchall()
            yield from self._valid(found, _finding_where, _finding_row)
            if len(found) < batch:
                return
            last = found[-1][0]

    def finding_keys(self, scan_id: int) -> set[tuple[str, str]]:
        """The (domain, protected) pairs of a stored scan's findings, without reading the findings."""
        with self._read() as tx:
            return names_db.finding_keys(tx, scan_id, self._report)

    def save_references(self, scan_id: int, references: Sequence[Reference]) -> None:
        """Replace the scan's references (the protected domains, probed like candidates)."""
        values = [(scan_id, i, ref.domain, _dumps(ref)) for i, ref in enumerate(references)]
        with self._write() as tx:
            tx.execute("DELETE FROM refs WHERE scan_id = ?", (scan_id,))
            tx.executemany(
                f"INSERT INTO refs ({REF_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                [(*v, rows.crc(v)) for v in values],
            )

    def latest_scan(
        self,
        *,
        finished: bool = True,
        before: int | None = None,
        key: str | None = None,
        feeds: bool | None = None,
    ) -> int | None:
        """The newest scan id (below ``before`` when given; with ``key``, only scans of the same
        domains and generator settings; with ``feeds`` True or False, only scans of feed matches or
        only the others: ``ScanInfo.of_feeds``); with ``finished``, complete scans only (finished and
        not interrupted). A damaged scan is passed over (and reported)."""
        clauses: list[str] = []
        params: list[object] = []
        if feeds is not None:
            clauses.append(f"key {'' if feeds else 'NOT '}LIKE ?")
            params.append(FEED_KEY + "%")
        if finished:
            clauses.append("complete = 1")
        if before is not None:
            clauses.append("id < ?")
            params.append(before)
        if key is not None:
            clauses.append("key = ?")
            params.append(key)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._read() as tx:
            latest = next(self._scan_rows(tx, where, params), None)
        return latest.id if latest is not None else None

    def scans(self, *, limit: int = 50) -> list[ScanInfo]:
        """The latest scans, newest first (damaged ones left out)."""
        with self._read() as tx:
            return [row.info for row in self._scan_rows(tx, limit=limit)]

    # -- observations ----------------------------------------------------------------------------

    def record(self, scan_id: int, finding: Finding) -> None:
        """Store one finding (a name that exists or is unknown); recording the same
        (domain, protected) again in a scan replaces it in place. An absent finding is recorded
        as an absent name, since an NXDOMAIN carries no facts worth keeping."""
        cand = finding.candidate
        existence = finding.evidence.existence
        if existence is Existence.ABSENT:
            self.record_absent(scan_id, [(cand.domain, cand.protected)])
            return
        dns = finding.evidence.dns.value
        route = dns.mail_route.value if dns is not None else "unknown"
        values = (
            scan_id,
            cand.domain,
            cand.protected,
            existence.value,
            finding.score.level.value,
            route,
            _dumps(cand),
            _pack(finding.evidence),
            _dumps(finding.score),
        )
        with self._write() as tx:
            tx.execute(
                """INSERT INTO findings
                       (scan_id, domain, protected, existence, level, mail_route,
                        candidate, evidence, score, crc)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (scan_id, domain, protected) DO UPDATE SET
                       existence = excluded.existence, level = excluded.level,
                       mail_route = excluded.mail_route, candidate = excluded.candidate,
                       evidence = excluded.evidence, score = excluded.score, crc = excluded.crc""",
                (*values, rows.crc(values)),
            )

    def record_absent(self, scan_id: int, names: Iterable[tuple[str, str]]) -> None:
        """Store (domain, protected) pairs that got NXDOMAIN. While the scan runs they are appended
        as compressed chunks of names (cheap, and safe against a crash); ``finish_scan`` turns
        them into chunks of name ids. Writing a name twice is harmless; a name also recorded as
        a finding counts as that finding."""
        it = iter(names)
        while batch := list(itertools.islice(it, BATCH)):
            data = pack_names(batch)
            crc = names_db.chunk_crc((scan_id, "names", None, None, len(batch), data))
            with self._write() as tx:
                # Writers of one scan take turns here where the back end lets them run side by side.
                tx.execute(f"SELECT id FROM scans WHERE id = ?{self.engine.dialect.for_update}", (scan_id,))
                tx.execute(
                    """INSERT INTO absent_chunks (scan_id, seq, kind, count, data, crc)
                       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM absent_chunks WHERE scan_id = ?),
                               'names', ?, ?, ?)""",
                    (scan_id, scan_id, len(batch), data, crc),
                )

    def absent(self, scan_id: int, *, among: Iterable[tuple[str, str]] | None = None) -> set[tuple[str, str]]:
        """The (domain, protected) pairs the scan found absent (and did not record as findings).
        ``among`` limits the answer to those pairs, which is much faster on a large scan when only
        a few names matter (the previous scan's findings, for a diff)."""
        wanted = set(among) if among is not None else None
        report = self._report
        with self._read() as tx:
            names = names_db.chunk_names(tx, scan_id, report)
            ids = names_db.chunk_ids(tx, scan_id, report)
            if wanted is None:
                names |= names_db.names_of(tx, ids, report)
            else:
                names &= wanted
                interned = names_db.ids_of(tx, sorted(wanted), report)
                names |= {key for key, name_id in interned.items() if name_id in ids}
            names -= names_db.finding_keys(tx, scan_id, report)
        return names

    def done(self, scan_id: int) -> set[tuple[str, str]]:
        """Every (domain, protected) the scan recorded, finding or absent: what a resume skips."""
        report = self._report
        with self._read() as tx:
            names = names_db.chunk_names(tx, scan_id, report)
            names |= names_db.names_of(tx, names_db.chunk_ids(tx, scan_id, report), report)
            names |= names_db.finding_keys(tx, scan_id, report)
        return names

    def counts(self, scan_id: int) -> dict[str, int]:
        """How many names the scan stored per existence. A name written twice (a unit a worker ran
        again) counts once: a running scan's chunks of names are read and their names counted apart
        (a finding's name not at all); a finished scan's chunks of ids are distinct already."""
        out = {e.value: 0 for e in Existence}
        with self._read() as tx:
            for existence, n in tx.execute(
                "SELECT existence, COUNT(*) FROM findings WHERE scan_id = ? GROUP BY existence", (scan_id,)
            ):
                if existence in out:
                    out[existence] += int(n)
                else:
                    self._report(
                        Damage(f"scan {scan_id}, findings", f"existence {existence!r:.40} is unknown")
                    )
            total = tx.execute(
                "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM absent_chunks"
                " WHERE scan_id = ? AND kind = 'ids'",
                (scan_id,),
            ).fetchone()[0]
            running = names_db.chunk_names(tx, scan_id, self._report)
            if running:
                running -= names_db.finding_keys(tx, scan_id, self._report)
        if isinstance(total, int):
            out["absent"] += total + len(running)
        else:
            self._report(Damage(f"scan {scan_id}, absent chunks", "a count is not an integer"))
        return out

    # -- history ---------------------------------------------------------------------------------

    def history(self, domain: str) -> list[tuple[int, datetime, Existence, Level | None]]:
        """One lookalike's existence and level in every scan that looked at it, oldest first.
        Scans that did not look at it (other settings, interrupted first) are left out."""
        seen: dict[int, tuple[datetime, Existence, Level | None]] = {}
        with self._read() as tx:
            found = tx.execute(
                """SELECT f.id, f.scan_id, s.started, f.existence, f.level FROM findings f
                   JOIN scans s ON s.id = f.scan_id WHERE f.domain = ? ORDER BY f.scan_id""",
                (domain,),
            ).fetchall()
            for scan_id, started, ex, lv in self._valid(found, _observation_where, _observation):
                prev = seen.get(scan_id)
                if prev is None or _EXISTENCE_WORST[ex] < _EXISTENCE_WORST[prev[1]]:
                    seen[scan_id] = (started, ex, lv)
                elif lv is not None and prev[2] is not None and lv.rank < prev[2].rank:
                    seen[scan_id] = (prev[0], prev[1], lv)
            interned = tx.execute(
                f"SELECT n.id, {self._columns('n.crc')}, p.domain FROM names n"
                " JOIN protected p ON p.id = n.protected WHERE n.domain = ?",
                (domain,),
            ).fetchall()
            name_ids = list(
                self._valid(
                    interned,
                    lambda r: f"absent name {r[0]!r}",
                    lambda r: names_db.verified_name(domain, r[2], r[0], r[1]),
                )
            )
            columns = ", ".join(f"c.{c}" for c in names_db.CHUNK_COLUMNS.split(", "))
            for name_id in name_ids:
                chunks = tx.execute(
                    f"""SELECT {self._columns(columns)}, s.started
                        FROM absent_chunks c JOIN scans s ON s.id = c.scan_id
                        WHERE c.kind = 'ids' AND c.first_id <= ? AND c.last_id >= ?""",
                    (name_id, name_id),
                ).fetchall()
                for scan_id, started, ids in self._valid(chunks, _chunk_where, _chunk_with_start):
                    i = bisect.bisect_left(ids, name_id)
                    if scan_id not in seen and i < len(ids) and ids[i] == name_id:
                        seen[scan_id] = (started, Existence.ABSENT, None)
            # Scans not compacted yet (running, or interrupted) still hold names.
            chunks = tx.execute(
                f"""SELECT {self._columns(columns)}, s.started
                    FROM absent_chunks c JOIN scans s ON s.id = c.scan_id WHERE c.kind = 'names'"""
            ).fetchall()
            for scan_id, started, pairs in self._valid(chunks, _chunk_where, _chunk_with_start):
                if scan_id not in seen and any(d == domain for d, _ in pairs):
                    seen[scan_id] = (started, Existence.ABSENT, None)
        return [(scan_id, *seen[scan_id]) for scan_id in sorted(seen)]

    def existence_history(self, scan_ids: Sequence[int]) -> dict[str, list[Existence]]:
        """For every name found (exists or unknown) in any of the scans: its existence in each of
        them, oldest scan first. A scan that did not look at the name adds nothing to its list.
        This is what ``diff.flapping`` reads."""
        ordered = sorted(set(scan_ids))
        report = self._report
        with self._read() as tx:
            found: dict[int, dict[tuple[str, str], Existence]] = {s: {} for s in ordered}
            for scan_id in ordered:
                rows_ = tx.execute(
                    "SELECT id, scan_id, domain, protected, existence FROM findings WHERE scan_id = ?",
                    (scan_id,),
                ).fetchall()
                for key, seen in self._valid(rows_, _finding_where, _existence):
                    found[scan_id][key] = seen
            keys = sorted({k for per_scan in found.values() for k in per_scan})
            name_ids = names_db.ids_of(tx, keys, report)
            history: dict[str, list[Existence]] = {}
            for scan_id in ordered:
                absent_ids = names_db.chunk_ids(tx, scan_id, report) if name_ids else set()
                absent_names = names_db.chunk_names(tx, scan_id, report)
                done_domains: set[str] = set()
                for key in keys:
                    domain = key[0]
                    if domain in done_domains:
                        continue  # one entry per domain and scan, whichever protected name found it
                    existence = found[scan_id].get(key)
                    if existence is None and (key in absent_names or name_ids.get(key) in absent_ids):
                        existence = Existence.ABSENT
                    if existence is not None:
                        history.setdefault(domain, []).append(existence)
                        done_domains.add(domain)
        return history

    def observed(self, keys: Iterable[tuple[str, str]], *, before: int) -> dict[tuple[str, str], Observed]:
        """The latest finding of each (domain, protected) in the complete scans before scan
        ``before``, whatever their settings: what a feed's scan is compared with (a name seen in a
        certificate today is not new when last night's scan found it). Names no complete scan found
        are left out."""
        wanted = set(keys)
        domains = sorted({domain for domain, _ in wanted})
        columns = ", ".join(f"f.{c}" for c in FINDING_COLUMNS.split(", "))
        columns = columns if self._crc == "crc" else columns.replace("f.crc", "NULL")
        out: dict[tuple[str, str], Observed] = {}
        with self._read() as tx:
            for start in range(0, len(domains), names_db.LOOKUP_CHUNK):
                part = domains[start : start + names_db.LOOKUP_CHUNK]
                found = tx.execute(
                    f"SELECT {columns}, s.started FROM findings f JOIN scans s ON s.id = f.scan_id"
                    " WHERE s.complete = 1 AND f.scan_id < ?"
                    f" AND f.domain IN ({', '.join(['?'] * len(part))})"
                    " ORDER BY f.scan_id DESC, f.id DESC",
                    (before, *part),
                ).fetchall()
                for row in found:
                    key = (row[2], row[3])
                    if key not in wanted or key in out:
                        continue
                    seen = next(self._valid([row], _finding_where, _observed_row), None)
                    if seen is not None:
                        out[key] = seen
        return out

    # -- feeds (lookalike watch) -----------------------------------------------------------------

    def feed(self, feed: str) -> FeedState | None:
        """One feed's position and last problem; None when it has none (or its row is damaged)."""
        with self._read() as tx:
            row = feeds_db.select_state(tx, self.engine.dialect, feed)
        if row is None:
            return None
        return next(self._valid([row], feeds_db.state_where, feeds_db.state_row), None)

    def feeds(self) -> list[FeedState]:
        """Every feed's position and last problem, by name."""
        with self._read() as tx:
            found = tx.execute(f"SELECT {feeds_db.POSITION_COLUMNS} FROM feed_positions").fetchall()
        return sorted(self._valid(found, feeds_db.state_where, feeds_db.state_row), key=lambda f: f.name)

    def advance_feed(
        self,
        feed: str,
        *,
        name: str,
        position: str,
        expected: str | None,
        hits: Sequence[Candidate] = (),
        problem: str = "",
    ) -> None:
        """Keep ``feed``'s new ``position`` and the matches of the entries before it, in one
        transaction, if its stored position is still ``expected`` (None: it has none yet); else raise
        ``FeedMoved`` and keep nothing. Clears the feed's problem unless one is given."""
        with self._write() as tx:
            feeds_db.advance(
                tx,
                feed=feed,
                name=name,
                position=position,
                expected=expected,
                hits=hits,
                now=_now(),
                problem=problem,
            )

    def feed_problem(self, feed: str, *, name: str, problem: str) -> str:
        """Record why ``feed`` is skipped (empty: it is fine again), keeping its position; return the
        problem recorded before, so a caller alerts once per new problem."""
        with self._write() as tx:
            return feeds_db.set_problem(
                tx, self.engine.dialect, feed=feed, name=name, problem=problem, now=_now()
            )

    def queue_hits(self, feed: str, hits: Sequence[Candidate]) -> None:
        """Queue matches to be scanned, without a position (a list read once)."""
        with self._write() as tx:
            feeds_db.queue(tx, feed, hits)

    def pending_hits(self, limit: int = 10_000) -> list[Hit]:
        """The oldest matches waiting to be scanned (damaged ones reported, and deleted: they cannot
        be scanned, and would otherwise come back every time)."""
        with self._read() as tx:
            found = feeds_db.pending(tx, limit)
        hits = list(self._valid(found, feeds_db.hit_where, feeds_db.hit_row))
        if len(hits) < len(found):
            good = {h.id for h in hits}
            self.drop_hits([r for r in (row[0] for row in found) if isinstance(r, int) and r not in good])
        return hits

    def drop_hits(self, ids: Sequence[int]) -> None:
        """Forget matches that need no scan (repeats of a name scanned a moment ago)."""
        if ids:
            with self._write() as tx:
                feeds_db.drop(tx, ids)

    # -- triage ----------------------------------------------------------------------------------

    def set_triage(self, domain: str, state: Triage, *, note: str = "", who: str = "") -> TriageMark:
        """Record an analyst's decision about ``domain`` (canonical ASCII); ``who`` defaults to the
        OS user, the time is now (UTC). Earlier marks stay in the log."""
        mark = TriageMark(domain=domain, state=Triage(state), note=note, who=who or _os_user(), when=_now())
        assert mark.when is not None
        with self._write() as tx:
            _log_mark(tx, (mark.domain, mark.state.value, mark.note, mark.who, _iso(mark.when)))
        return mark

    def clear_triage(self, domain: str, *, who: str = "") -> bool:
        """Withdraw the mark on ``domain`` (logged like a mark). False when it had none."""
        with self._write() as tx:
            if domain not in self._current_marks(tx, domain):
                return False
            _log_mark(tx, (domain, None, "", who or _os_user(), _iso(_now())))
        return True

    def triage(self) -> dict[str, TriageMark]:
        """The mark in force for every triaged domain."""
        with self._read() as tx:
            return self._current_marks(tx, None)

    def triage_log(self, domain: str) -> list[TriageMark | None]:
        """Every mark ever set on ``domain``, oldest first; None where it was cleared."""
        with self._read() as tx:
            return [m for _, m in self._marks(tx, domain)]

    def _marks(self, tx: Tx, domain: str | None) -> list[tuple[str, TriageMark | None]]:
        where, params = ("WHERE domain = ?", (domain,)) if domain is not None else ("", ())
        found = tx.execute(
            f"SELECT {self._columns(TRIAGE_COLUMNS)} FROM triage {where} ORDER BY id", params
        ).fetchall()
        return list(self._valid(found, _triage_where, _triage_row))

    def _current_marks(self, tx: Tx, domain: str | None) -> dict[str, TriageMark]:
        """The latest undamaged mark per domain; a withdrawal removes it."""
        current: dict[str, TriageMark | None] = {}
        for name, mark in self._marks(tx, domain):
            current[name] = mark
        return {name: mark for name, mark in sorted(current.items()) if mark is not None}

    # -- registration cache ----------------------------------------------------------------------

    def get_registration(self, domain: str) -> Outcome[Registration] | None:
        """The cached registry answer for ``domain`` when it is fresh enough, else None (a damaged
        entry is reported and counts as none)."""
        with self._read() as tx:
            row = tx.execute(
                f"SELECT {self._columns(REGISTRATION_COLUMNS)} FROM registrations WHERE domain = ?", (domain,)
            ).fetchone()
        if row is None:
            return None
        entry = next(self._valid([row], _registration_where, _registration_row), None)
        if entry is None:
            return None
        fetched, outcome = entry
        max_age = (
            self.registration_absent_max_age if outcome.status is Status.ABSENT else self.registration_max_age
        )
        return outcome if fetched >= _now() - max_age else None

    def put_registration(
        self, domain: str, outcome: Outcome[Registration], *, fetched: datetime | None = None
    ) -> None:
        """Cache a registry answer. Only authoritative ones (OK, ABSENT) are kept: a timeout says
        nothing worth remembering. ``fetched`` defaults to now."""
        if outcome.status not in (Status.OK, Status.ABSENT):
            return
        values = (domain, _iso(fetched or _now()), outcome.status.value, _dumps(outcome))
        with self._write() as tx:
            tx.execute(
                f"""INSERT INTO registrations ({REGISTRATION_COLUMNS}) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (domain) DO UPDATE SET fetched = excluded.fetched, status = excluded.status,
                       outcome = excluded.outcome, crc = excluded.crc""",
                (*values, rows.crc(values)),
            )

    # -- retention -------------------------------------------------------------------------------

    def prune(
        self, *, keep: int | None = None, older_than: timedelta | None = None, vacuum: bool = False
    ) -> int:
        """Delete old scans and return how many went. ``keep``: keep the N newest complete scans;
        ``older_than``: delete scans started longer ago than that; with both, a scan goes only when
        neither keeps it. Never deleted: the newest complete scan, an incomplete scan that is the
        newest of its key (it may be running, or waiting for ``--resume``), and a damaged scan row
        (its dates cannot be trusted; ``history --check`` lists it). Expired registration cache
        entries go too. ``vacuum`` gives the space back to the file system."""
        if keep is None and older_than is None:
            raise LookalikeError("say what to prune: --keep N and/or --older-than DAYS")
        if keep is not None and keep < 1:
            raise LookalikeError("--keep must be at least 1: the latest scan is always kept")
        cutoff = _now() - older_than if older_than is not None else None
        with self._write() as tx:
            scans = list(self._scan_rows(tx))
            latest_of_key: dict[str, int] = {}
            for scan in scans:
                latest_of_key.setdefault(scan.key, scan.id)
            complete = [s.id for s in scans if s.complete]
            kept = set(complete[:1]) | {
                s.id for s in scans if not s.complete and latest_of_key[s.key] == s.id
            }
            kept_by_count = set(complete[:keep]) if keep is not None else set()
            doomed = []
            for scan in scans:
                if scan.id in kept:
                    continue
                too_many = keep is not None and scan.id not in kept_by_count
                too_old = cutoff is not None and _utc(scan.info.started) < cutoff
                if keep is not None and cutoff is not None:
                    remove = too_many and too_old
                else:
                    remove = too_many or too_old
                if remove:
                    doomed.append(scan.id)
            tx.executemany("DELETE FROM scans WHERE id = ?", [(i,) for i in doomed])
            oldest_fresh = _iso(_now() - max(self.registration_max_age, self.registration_absent_max_age))
            tx.execute("DELETE FROM registrations WHERE fetched < ?", (oldest_fresh,))
        if vacuum:
            with self._lock:
                self.engine.vacuum()
        return len(doomed)

    # -- checking --------------------------------------------------------------------------------

    def integrity_check(self) -> list[str]:
        """The back end's own structural check: ``["ok"]`` when the database is sound."""
        with self._lock:
            return self.engine.check(full=True) or ["ok"]

    def checkup(self) -> Checkup:
        """Read every row and run the back end's full structural check; change nothing. Rows that
        carry a checksum are verified by it; older rows are decoded through the codec."""
        structure: list[str] = []
        read: dict[str, int] = {}
        before = self.damage_count
        with self._lock:
            try:
                structure += self.engine.check(full=True)
            except LookalikeError as exc:
                structure.append(str(exc))
            for table, check in (
                ("scans", self._check_scans),
                ("triage", self._check_triage),
                ("registrations", self._check_registrations),
                ("names", self._check_names),
                ("feeds", self._check_feeds),
            ):
                try:
                    with self._read() as tx:
                        check(tx, read)
                except LookalikeError as exc:
                    structure.append(f"{table}: {exc}")
        return Checkup(
            label=self.label,
            schema=self._version,
            structure=tuple(structure),
            damage=tuple(self.damage[before:]) if before < len(self.damage) else (),
            damaged=self.damage_count - before,
            read=tuple(read.items()),
        )

    def _count(self, read: dict[str, int], table: str, n: int) -> None:
        read[table] = read.get(table, 0) + n

    def _check_scans(self, tx: Tx, read: dict[str, int]) -> None:
        ids = []
        found = tx.execute(f"SELECT {self._columns(SCAN_COLUMNS)} FROM scans ORDER BY id").fetchall()
        self._count(read, "scans", len(found))
        for row in found:
            ids.append(row[0])
            list(self._valid([row], _scan_where, _scan_row))
        for scan_id in ids:
            refs = tx.execute(
                f"SELECT {self._columns(REF_COLUMNS)} FROM refs WHERE scan_id = ?", (scan_id,)
            ).fetchall()
            self._count(read, "references", len(refs))
            list(self._valid(refs, _ref_where, _ref_row))
            found = tx.execute(
                f"SELECT {self._columns(FINDING_COLUMNS)} FROM findings WHERE scan_id = ?", (scan_id,)
            ).fetchall()
            self._count(read, "findings", len(found))
            list(self._valid(found, _finding_where, _finding_checked))
            chunks = tx.execute(
                f"SELECT {self._columns(names_db.CHUNK_COLUMNS)} FROM absent_chunks WHERE scan_id = ?",
                (scan_id,),
            ).fetchall()
            self._count(read, "absent chunks", len(chunks))
            list(self._valid(chunks, _chunk_where, names_db.decode_chunk))

    def _check_triage(self, tx: Tx, read: dict[str, int]) -> None:
        found = tx.execute(f"SELECT {self._columns(TRIAGE_COLUMNS)} FROM triage").fetchall()
        self._count(read, "triage marks", len(found))
        list(self._valid(found, _triage_where, _triage_row))

    def _check_registrations(self, tx: Tx, read: dict[str, int]) -> None:
        if "registrations" not in self.engine.tables(tx):
            return  # schema 1: no cache yet
        found = tx.execute(f"SELECT {self._columns(REGISTRATION_COLUMNS)} FROM registrations").fetchall()
        self._count(read, "cached registrations", len(found))
        list(self._valid(found, _registration_where, _registration_row))

    def _check_feeds(self, tx: Tx, read: dict[str, int]) -> None:
        if "feed_positions" not in self.engine.tables(tx):
            return  # before schema 4: no feeds yet
        found = tx.execute(f"SELECT {feeds_db.POSITION_COLUMNS} FROM feed_positions").fetchall()
        self._count(read, "feed positions", len(found))
        list(self._valid(found, feeds_db.state_where, feeds_db.state_row))
        found = tx.execute(f"SELECT {feeds_db.HIT_COLUMNS} FROM feed_hits").fetchall()
        self._count(read, "feed matches waiting", len(found))
        list(self._valid(found, feeds_db.hit_where, feeds_db.hit_row))

    def _check_names(self, tx: Tx, read: dict[str, int]) -> None:
        protected = {r[0]: r[1] for r in tx.execute("SELECT id, domain FROM protected")}
        found = tx.execute(f"SELECT domain, protected, id, {self._columns('crc')} FROM names")
        n = 0
        for domain, pid, name_id, stored in found:
            n += 1
            try:
                names_db.verified_name(domain, protected.get(pid), name_id, stored)
            except DamagedRow as exc:
                self._report(Damage(f"absent name {name_id!r} ({domain!r:.80})", str(exc)))
        self._count(read, "absent names", n)


# --- row decoders (each raises DamagedRow) ---------------------------------------------------------


def _schema_version(engine: Engine, tx: Tx) -> int:
    if "schema_version" not in engine.tables(tx):
        return 0
    value = tx.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    if not isinstance(value, int):
        raise LookalikeError(f"{engine.label} is damaged: its schema version is {value!r:.40}")
    return value


def _scan_where(row: Sequence[object]) -> str:
    return f"scan {row[0]!r}"


def _flag(value: object, column: str) -> bool:
    number = rows.integer(value, column)
    if number not in (0, 1):
        raise DamagedRow(f"{column} is {number}, not 0 or 1")
    return bool(number)


def _scan_row(row: Sequence[object]) -> ScanRow:
    scan_id, key, started, finished, complete, interrupted, info, stored = row
    number = rows.integer(scan_id, "id")
    _flag(interrupted, "interrupted")
    rows.timestamp(started, "started")
    if finished is not None:
        rows.timestamp(finished, "finished")
    decoded: ScanInfo = rows.decode(ScanInfo, rows.document(info, "info"), "info")
    scan = ScanRow(
        id=number,
        key=rows.text(key, "key"),
        complete=_flag(complete, "complete"),
        info=dataclasses.replace(decoded, id=number),
    )
    rows.verify(row[:7], stored)
    return scan


def _ref_where(row: Sequence[object]) -> str:
    return f"scan {row[0]!r}, reference {row[1]!r} ({row[2]!r:.80})"


def _ref_row(row: Sequence[object]) -> Reference:
    ref: Reference = rows.decode(Reference, rows.document(row[3], "reference"), "reference")
    rows.verify(row[:4], row[4])
    return ref


def _finding_where(row: Sequence[object]) -> str:
    return f"scan {row[1]!r}, finding {row[0]!r} ({row[2]!r:.80})"


def _finding_row(row: Sequence[object]) -> Finding:
    """A full findings row (``FINDING_COLUMNS``) as a ``Finding``, its columns cross-checked."""
    _, _, domain, protected, existence, level, route, cand, evidence, score, stored = row
    rows.member(Existence, existence, "existence")
    rows.member(Level, level, "level")
    rows.text(route, "mail_route")
    finding = Finding(
        candidate=rows.decode(Candidate, rows.document(cand, "candidate"), "candidate"),
        evidence=rows.decode(Evidence, rows.packed_document(evidence, "evidence"), "evidence"),
        score=rows.decode(Score, rows.document(score, "score"), "score"),
    )
    if (finding.candidate.domain, finding.candidate.protected) != (domain, protected):
        raise DamagedRow("its domain and protected columns disagree with its candidate")
    if finding.evidence.existence.value != existence or finding.score.level.value != level:
        raise DamagedRow("its existence and level columns disagree with its evidence and score")
    rows.verify(row[1:10], stored)
    return finding


def _observed_row(row: Sequence[object]) -> Observed:
    """A findings row (``FINDING_COLUMNS``) with its scan's start."""
    return Observed(
        rows.integer(row[1], "scan_id"), rows.timestamp(row[-1], "started"), _finding_row(row[:-1])
    )


def _finding_checked(row: Sequence[object]) -> None:
    """For ``checkup``: a row with a checksum is sound when the sum matches (decoding ten thousand
    findings per scan would take minutes); a row without one, or that fails its sum, is decoded, so
    the report says what is wrong with it where it can."""
    if row[-1] is not None:
        try:
            rows.verify(row[1:10], row[-1])
        except DamagedRow:
            _finding_row(row)
            raise
        return
    _finding_row(row)


def _observation_where(row: Sequence[object]) -> str:
    return f"scan {row[1]!r}, finding {row[0]!r}"


def _observation(row: Sequence[object]) -> tuple[int, datetime, Existence, Level | None]:
    """``id, scan_id, started, existence, level`` of a finding, for ``history``."""
    _, scan_id, started, existence, level = row
    ex = rows.member(Existence, existence, "existence")
    lv = rows.member(Level, level, "level") if ex is not Existence.ABSENT else None
    return rows.integer(scan_id, "scan_id"), rows.timestamp(started, "the scan's start"), ex, lv


def _existence(row: Sequence[object]) -> tuple[tuple[str, str], Existence]:
    """``id, scan_id, domain, protected, existence`` of a finding, for ``existence_history``."""
    key = (rows.text(row[2], "domain"), rows.text(row[3], "protected"))
    return key, rows.member(Existence, row[4], "existence")


def _chunk_where(row: Sequence[object]) -> str:
    return f"scan {row[0]!r}, absent chunk {row[1]!r}"


def _chunk_with_start(row: Sequence[object]) -> tuple[int, datetime, Any]:
    """An absent chunk with its scan's start (``CHUNK_COLUMNS, started``)."""
    _, payload = names_db.decode_chunk(row[:-1])
    return rows.integer(row[0], "scan_id"), rows.timestamp(row[-1], "the scan's start"), payload


def _triage_where(row: Sequence[object]) -> str:
    return f"triage mark {row[0]!r} ({row[1]!r:.80})"


def _triage_row(row: Sequence[object]) -> tuple[str, TriageMark | None]:
    _, domain, state, note, who, at, stored = row
    name = rows.text(domain, "domain")
    when = rows.timestamp(at, "at")
    mark = None
    if state is not None:
        mark = TriageMark(
            domain=name,
            state=rows.member(Triage, state, "state"),
            note=rows.text(note, "note"),
            who=rows.text(who, "who"),
            when=when,
        )
    rows.verify(row[:6], stored)
    return name, mark


def _log_mark(tx: Tx, values: tuple[str, str | None, str, str, str]) -> None:
    """Append ``domain, state, note, who, at`` to the triage log, with its checksum."""
    mark_id = int(
        tx.execute(
            "INSERT INTO triage (domain, state, note, who, at) VALUES (?, ?, ?, ?, ?) RETURNING id", values
        ).fetchone()[0]
    )
    tx.execute("UPDATE triage SET crc = ? WHERE id = ?", (rows.crc((mark_id, *values)), mark_id))


def _registration_where(row: Sequence[object]) -> str:
    return f"cached registration {row[0]!r:.80}"


def _registration_row(row: Sequence[object]) -> tuple[datetime, Outcome[Registration]]:
    fetched = _utc(rows.timestamp(row[1], "fetched"))
    outcome: Outcome[Registration] = rows.decode(
        Outcome[Registration], rows.document(row[3], "outcome"), "outcome"
    )
    if outcome.status.value != row[2]:
        raise DamagedRow("its status column disagrees with its outcome")
    rows.verify(row[:4], row[4])
    return fetched, outcome
