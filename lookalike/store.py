"""The scan history: one SQLite file holding every scan, every observation, triage marks and a
registration cache.

Holds the schema (an ordered list of migrations recorded in ``schema_version``) and the reads and
writes the orchestrator and the history commands need. It must not judge (scoring and diffing are
pure modules that take what this returns) and it never touches the network.

Layout, and why:

* ``scans``: one row per scan; the whole ``ScanInfo`` as codec JSON, plus columns to sort and filter.
  ``AUTOINCREMENT``, so an id is never reused after ``prune``.
* ``findings``: one row per name that exists or is unknown, with the ``Candidate``, ``Evidence`` and
  ``Score`` as separate codec JSON documents (facts and judgement apart, so history can be re-scored)
  and indexed columns for domain, protected, existence, level and mail route.
* Absent names are most of a scan (a million NXDOMAINs for ten thousand findings), so they are stored
  compactly: every ``(domain, protected)`` pair is interned once in ``names`` (shared by all scans),
  and a scan's absent names are chunks of sorted name ids, delta-encoded and zlib-compressed. A
  repeat scan of the same names costs well under a byte per absent name.
* ``triage`` is an append-only log; the latest row per domain is the mark in force.
* ``registrations``: the RDAP/WHOIS cache (schema version 2).

Every write runs in one ``BEGIN IMMEDIATE`` transaction; the file is in WAL mode so readers (the
history commands) never block the scan writing; foreign keys are on. SQLite's own locking keeps
single statements safe between processes; ``scan_lock`` keeps two *scans* from interleaving.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import dataclasses
import errno
import fcntl
import getpass
import itertools
import json
import os
import sqlite3
import sys
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Final

from lookalike import codec
from lookalike.errors import LookalikeError
from lookalike.model import (
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

APPLICATION_ID: Final = 0x4C4B4C4B
"""``PRAGMA application_id`` of a lookalike database ("LKLK"): how we tell our file from others."""

BUSY_TIMEOUT: Final = 30.0
"""Seconds a statement waits for another process's write transaction before giving up."""

BATCH: Final = 50_000
"""Absent names written per chunk while a scan runs."""

ID_CHUNK: Final = 50_000
"""Name ids per chunk once a scan is compacted; ``history`` decodes one chunk per scan."""

LOCK_POLL: Final = 0.1

ZLIB_LEVEL: Final = 6

PAGE_SIZE: Final = 8192

CACHE_KIB: Final = 65_536
"""SQLite's page cache per connection (64 MiB)."""

_EXISTENCE_WORST = {Existence.EXISTS: 0, Existence.UNKNOWN: 1, Existence.ABSENT: 2}


def default_db_path() -> Path:
    """``$LOOKALIKE_DB``, else ``$XDG_DATA_HOME/lookalike/lookalike.db``, else
    ``~/.local/share/lookalike/lookalike.db``."""
    if env := os.environ.get("LOOKALIKE_DB"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lookalike" / "lookalike.db"


# --- schema -------------------------------------------------------------------------------------


def _migrate_1(db: sqlite3.Connection) -> None:
    """Scans, findings, interned names, absent chunks, references, triage."""
    # One statement at a time: executescript() would commit the migration's transaction half-way.
    for statement in _V1:
        db.execute(statement)


_V1: Final = (
    """CREATE TABLE scans (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        key         TEXT NOT NULL,
        started     TEXT NOT NULL,
        finished    TEXT,
        complete    INTEGER NOT NULL DEFAULT 0,
        interrupted INTEGER NOT NULL DEFAULT 0,
        info        TEXT NOT NULL
    )""",
    "CREATE INDEX scans_key ON scans (key, id)",
    """CREATE TABLE refs (
        scan_id   INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        domain    TEXT NOT NULL,
        reference TEXT NOT NULL,
        PRIMARY KEY (scan_id, seq)
    )""",
    """CREATE TABLE findings (
        id         INTEGER PRIMARY KEY,
        scan_id    INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
        domain     TEXT NOT NULL,
        protected  TEXT NOT NULL,
        existence  TEXT NOT NULL CHECK (existence IN ('exists', 'absent', 'unknown')),
        level      TEXT NOT NULL,
        mail_route TEXT NOT NULL,
        candidate  TEXT NOT NULL,
        evidence   BLOB NOT NULL,
        score      TEXT NOT NULL,
        UNIQUE (scan_id, domain, protected)
    )""",
    "CREATE INDEX findings_domain ON findings (domain)",
    "CREATE INDEX findings_protected ON findings (protected)",
    "CREATE INDEX findings_existence ON findings (scan_id, existence)",
    "CREATE INDEX findings_level ON findings (scan_id, level)",
    "CREATE INDEX findings_mail_route ON findings (scan_id, mail_route)",
    "CREATE TABLE protected (id INTEGER PRIMARY KEY, domain TEXT NOT NULL UNIQUE)",
    """CREATE TABLE names (
        domain    TEXT NOT NULL,
        protected INTEGER NOT NULL REFERENCES protected (id),
        id        INTEGER NOT NULL,
        PRIMARY KEY (domain, protected)
    ) WITHOUT ROWID""",
    """CREATE TABLE absent_chunks (
        scan_id  INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
        seq      INTEGER NOT NULL,
        kind     TEXT NOT NULL CHECK (kind IN ('names', 'ids')),
        first_id INTEGER,
        last_id  INTEGER,
        count    INTEGER NOT NULL,
        data     BLOB NOT NULL,
        PRIMARY KEY (scan_id, seq)
    )""",
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT INTO counters (name, value) VALUES ('name_id', 0)",
    """CREATE TABLE triage (
        id     INTEGER PRIMARY KEY,
        domain TEXT NOT NULL,
        state  TEXT,
        note   TEXT NOT NULL,
        who    TEXT NOT NULL,
        at     TEXT NOT NULL
    )""",
    "CREATE INDEX triage_domain ON triage (domain, id)",
)


def _migrate_2(db: sqlite3.Connection) -> None:
    """The registration cache: RDAP/WHOIS answers are slow and rate-limited, and change rarely."""
    db.execute(
        """CREATE TABLE registrations (
            domain  TEXT PRIMARY KEY,
            fetched TEXT NOT NULL,
            status  TEXT NOT NULL,
            outcome TEXT NOT NULL
        )"""
    )


MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = (_migrate_1, _migrate_2)
"""Migration ``i`` takes the schema from version ``i`` to ``i + 1``. Append only; never edit one
that has shipped."""

SCHEMA_VERSION: Final = len(MIGRATIONS)


# --- encoding helpers ---------------------------------------------------------------------------


def _dumps(obj: object) -> str:
    return json.dumps(codec.encode(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _pack(obj: object) -> bytes:
    """Codec JSON, zlib-compressed: evidence (WHOIS text, SMTP transcripts) is kilobytes of
    repetitive text, and shrinks four- to sixfold."""
    return zlib.compress(_dumps(obj).encode("utf-8"), ZLIB_LEVEL)


def _unpack(blob: bytes) -> object:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def _utc(when: datetime) -> datetime:
    """Naive datetimes are taken to be UTC (what ``datetime.utcnow`` callers mean)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _iso(when: datetime) -> str:
    """A sortable UTC timestamp for an indexed column."""
    return _utc(when).isoformat(timespec="microseconds")


def _now() -> datetime:
    return datetime.now(UTC)


def pack_ids(ids: Iterable[int]) -> bytes:
    """Sorted unique name ids as zlib-compressed little-endian uint32 deltas. Ids of one scan are
    mostly consecutive, so the deltas are mostly 1 and compress to almost nothing."""
    ordered = sorted(set(ids))
    deltas = array.array("I", (b - a for a, b in zip(itertools.chain((0,), ordered), ordered, strict=False)))
    if sys.byteorder == "big":
        deltas.byteswap()
    return zlib.compress(deltas.tobytes(), 6)


def unpack_ids(blob: bytes) -> list[int]:
    """The inverse of ``pack_ids``: the sorted ids."""
    deltas = array.array("I")
    deltas.frombytes(zlib.decompress(blob))
    if sys.byteorder == "big":
        deltas.byteswap()
    return list(itertools.accumulate(deltas))


def pack_names(pairs: Iterable[tuple[str, str]]) -> bytes:
    """(domain, protected) pairs, zlib-compressed: per protected domain, a block of lines (the
    protected name, then its lookalikes, sorted), blocks separated by an empty line."""
    groups: dict[str, set[str]] = {}
    for domain, protected in pairs:
        groups.setdefault(protected, set()).add(domain)
    blocks = []
    for protected in sorted(groups):
        lines = [protected, *sorted(groups[protected])]
        if any(not line or "\n" in line for line in lines):
            raise ValueError(f"not a domain name among the names of {protected!r}")
        blocks.append("\n".join(lines))
    return zlib.compress("\n\n".join(blocks).encode("utf-8"), ZLIB_LEVEL)


def unpack_names(blob: bytes) -> set[tuple[str, str]]:
    """The inverse of ``pack_names``."""
    out: set[tuple[str, str]] = set()
    text = zlib.decompress(blob).decode("utf-8")
    for block in text.split("\n\n") if text else ():
        protected, *domains = block.split("\n")
        out.update(zip(domains, itertools.repeat(sys.intern(protected))))
    return out


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


# --- the store ----------------------------------------------------------------------------------


class Store:
    """One open lookalike database. Not for sharing between processes (open one per process);
    calls from several threads are serialised."""

    registration_max_age: timedelta = timedelta(days=7)
    """How long a cached registration (RDAP/WHOIS "registered") answer is trusted."""
    registration_absent_max_age: timedelta = timedelta(days=1)
    """How long a cached "not registered" answer is trusted: names get registered any day."""

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        """Use ``Store.open``."""
        self.path = path
        self._db = db
        self._lock = threading.RLock()

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
        """Open (and create, unless ``create`` is False) the database at ``path``, migrating it to
        the current schema. Raises ``LookalikeError`` with one line when it cannot be used."""
        path = Path(path).expanduser()
        if path.is_dir():
            raise LookalikeError(f"{path} is a directory, not a lookalike database")
        if not path.exists():
            if not create:
                raise LookalikeError(f"no lookalike database at {path}; run a scan with --db {path} first")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LookalikeError(f"cannot create {path.parent}: {exc.strerror or exc}") from exc
        try:
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise LookalikeError(f"cannot open {path}: {exc}") from exc
        try:
            _prepare(db, path)
        except sqlite3.DatabaseError as exc:
            db.close()
            if "not a database" in str(exc):
                raise LookalikeError(f"{path} is not a lookalike database (not an SQLite file)") from exc
            if "malformed" in str(exc):
                raise LookalikeError(f"{path} is damaged ({exc}); restore it from a backup") from exc
            raise LookalikeError(f"cannot open {path}: {exc}") from exc
        except LookalikeError:
            db.close()
            raise
        return cls(path, db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._read() as db:
            return int(db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    # -- transactions ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; ``IMMEDIATE`` takes the write lock up front so a busy database
        waits here (``BUSY_TIMEOUT``) instead of failing half-way."""
        with self._lock, _sqlite_errors(self.path):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back already (disk full)
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs."""
        with self._lock, _sqlite_errors(self.path):
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                if self._db.in_transaction:
                    self._db.execute("COMMIT")

    # -- the scan lock ---------------------------------------------------------------------------

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def scan_lock(self, *, wait: float = 0.0) -> AbstractContextManager[None]:
        """An exclusive lock on this database for one scan (``flock`` on ``<db>.lock``, which holds
        the holder's pid). Waits up to ``wait`` seconds, then raises ``LookalikeError``. The kernel
        drops the lock when the process dies, so a killed scan never leaves it stale."""
        return _scan_lock(self.lock_path, self.path, wait)

    # -- scans -----------------------------------------------------------------------------------

    def begin_scan(self, info: ScanInfo, *, key: str) -> int:
        """Record a new scan; ``key`` identifies "the same scan" (names and settings) for resume."""
        info = dataclasses.replace(info, id=None)
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO scans (key, started, info) VALUES (?, ?, ?)",
                (key, _iso(info.started), _dumps(info)),
            )
            scan_id = cur.lastrowid
        assert scan_id is not None
        return scan_id

    def unfinished_scan(self, key: str) -> int | None:
        """The latest scan with ``key`` that did not complete (never finished, or interrupted), if
        it is also the latest scan with that key: a completed rerun supersedes it."""
        with self._read() as db:
            row = db.execute(
                "SELECT id, complete FROM scans WHERE key = ? ORDER BY id DESC LIMIT 1", (key,)
            ).fetchone()
        return int(row[0]) if row is not None and not row[1] else None

    def finish_scan(self, scan_id: int, info: ScanInfo) -> None:
        """Store the scan's final description. ``finished`` defaults to now; a scan is *complete*
        when it finished and was not interrupted (only complete scans are diffed by default).
        The scan's absent names are compacted here, in one transaction: each is interned once in
        ``names`` and the scan keeps only sorted chunks of ids (a few seconds for a million)."""
        if info.finished is None:
            info = dataclasses.replace(info, finished=_now())
        info = dataclasses.replace(info, id=None)
        assert info.finished is not None
        with self._write() as db:
            cur = db.execute(
                "UPDATE scans SET finished = ?, complete = ?, interrupted = ?, info = ?, started = ?"
                " WHERE id = ?",
                (
                    _iso(info.finished),
                    int(not info.interrupted),
                    int(info.interrupted),
                    _dumps(info),
                    _iso(info.started),
                    scan_id,
                ),
            )
            if cur.rowcount != 1:
                raise LookalikeError(f"no scan {scan_id} in {self.path}")
            _compact(db, scan_id)

    def scan_info(self, scan_id: int) -> ScanInfo:
        """One scan's description (with its id)."""
        with self._read() as db:
            row = db.execute("SELECT info FROM scans WHERE id = ?", (scan_id,)).fetchone()
        if row is None:
            raise LookalikeError(f"no scan {scan_id} in {self.path}")
        return self._info(scan_id, row[0])

    @staticmethod
    def _info(scan_id: int, text: str) -> ScanInfo:
        info: ScanInfo = codec.decode(ScanInfo, json.loads(text))
        return dataclasses.replace(info, id=scan_id)

    def load_scan(self, scan_id: int) -> ScanResult:
        """A stored scan: its description, references, and findings in the order first recorded."""
        with self._read() as db:
            row = db.execute("SELECT info FROM scans WHERE id = ?", (scan_id,)).fetchone()
            if row is None:
                raise LookalikeError(f"no scan {scan_id} in {self.path}")
            refs = db.execute(
                "SELECT reference FROM refs WHERE scan_id = ? ORDER BY seq", (scan_id,)
            ).fetchall()
            rows = db.execute(
                "SELECT candidate, evidence, score FROM findings WHERE scan_id = ? ORDER BY id", (scan_id,)
            ).fetchall()
        return ScanResult(
            info=self._info(scan_id, row[0]),
            references=tuple(codec.decode(Reference, json.loads(r[0])) for r in refs),
            findings=tuple(_finding(*r) for r in rows),
        )

    def save_references(self, scan_id: int, references: Sequence[Reference]) -> None:
        """Replace the scan's references (the protected domains, probed like candidates)."""
        with self._write() as db:
            db.execute("DELETE FROM refs WHERE scan_id = ?", (scan_id,))
            db.executemany(
                "INSERT INTO refs (scan_id, seq, domain, reference) VALUES (?, ?, ?, ?)",
                [(scan_id, i, ref.domain, _dumps(ref)) for i, ref in enumerate(references)],
            )

    def latest_scan(
        self, *, finished: bool = True, before: int | None = None, key: str | None = None
    ) -> int | None:
        """The newest scan id (below ``before`` when given; with ``key``, only scans of the same
        domains and generator settings); with ``finished``, complete scans only (finished and not
        interrupted)."""
        clauses: list[str] = []
        params: list[object] = []
        if finished:
            clauses.append("complete = 1")
        if before is not None:
            clauses.append("id < ?")
            params.append(before)
        if key is not None:
            clauses.append("key = ?")
            params.append(key)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._read() as db:
            row = db.execute(f"SELECT MAX(id) FROM scans {where}", params).fetchone()
        return int(row[0]) if row[0] is not None else None

    def scans(self, *, limit: int = 50) -> list[ScanInfo]:
        """The latest scans, newest first."""
        with self._read() as db:
            rows = db.execute("SELECT id, info FROM scans ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [self._info(r[0], r[1]) for r in rows]

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
        with self._write() as db:
            db.execute(
                """INSERT INTO findings
                       (scan_id, domain, protected, existence, level, mail_route, candidate, evidence, score)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (scan_id, domain, protected) DO UPDATE SET
                       existence = excluded.existence, level = excluded.level,
                       mail_route = excluded.mail_route, candidate = excluded.candidate,
                       evidence = excluded.evidence, score = excluded.score""",
                (
                    scan_id,
                    cand.domain,
                    cand.protected,
                    existence.value,
                    finding.score.level.value,
                    route,
                    _dumps(cand),
                    _pack(finding.evidence),
                    _dumps(finding.score),
                ),
            )

    def record_absent(self, scan_id: int, names: Iterable[tuple[str, str]]) -> None:
        """Store (domain, protected) pairs that got NXDOMAIN. While the scan runs they are appended
        as compressed chunks of names (cheap, and safe against a crash); ``finish_scan`` turns
        them into chunks of name ids. Writing a name twice is harmless; a name also recorded as
        a finding counts as that finding."""
        it = iter(names)
        while batch := list(itertools.islice(it, BATCH)):
            data = pack_names(batch)
            with self._write() as db:
                db.execute(
                    """INSERT INTO absent_chunks (scan_id, seq, kind, count, data)
                       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM absent_chunks WHERE scan_id = ?),
                               'names', ?, ?)""",
                    (scan_id, scan_id, len(batch), data),
                )

    def absent(self, scan_id: int, *, among: Iterable[tuple[str, str]] | None = None) -> set[tuple[str, str]]:
        """The (domain, protected) pairs the scan found absent (and did not record as findings).
        ``among`` limits the answer to those pairs, which is much faster on a large scan when only
        a few names matter (the previous scan's findings, for a diff)."""
        wanted = set(among) if among is not None else None
        with self._read() as db:
            names = _chunk_names(db, scan_id)
            ids = _chunk_ids(db, scan_id)
            if wanted is None:
                names |= _names_of(db, ids)
            else:
                names &= wanted
                names |= {key for key, name_id in _ids_of(db, sorted(wanted)).items() if name_id in ids}
            names -= _finding_keys(db, scan_id)
        return names

    def done(self, scan_id: int) -> set[tuple[str, str]]:
        """Every (domain, protected) the scan recorded, finding or absent: what a resume skips."""
        with self._read() as db:
            names = _chunk_names(db, scan_id)
            names |= _names_of(db, _chunk_ids(db, scan_id))
            names |= _finding_keys(db, scan_id)
        return names

    def counts(self, scan_id: int) -> dict[str, int]:
        """How many names the scan stored per existence (``absent`` counts stored chunks' names,
        so a name written twice counts twice)."""
        with self._read() as db:
            out = {e.value: 0 for e in Existence}
            for existence, n in db.execute(
                "SELECT existence, COUNT(*) FROM findings WHERE scan_id = ? GROUP BY existence", (scan_id,)
            ):
                out[existence] += n
            out["absent"] += db.execute(
                "SELECT COALESCE(SUM(count), 0) FROM absent_chunks WHERE scan_id = ?", (scan_id,)
            ).fetchone()[0]
        return out

    # -- history ---------------------------------------------------------------------------------

    def history(self, domain: str) -> list[tuple[int, datetime, Existence, Level | None]]:
        """One lookalike's existence and level in every scan that looked at it, oldest first.
        Scans that did not look at it (other settings, interrupted first) are left out."""
        with self._read() as db:
            seen: dict[int, tuple[datetime, Existence, Level | None]] = {}
            rows = db.execute(
                """SELECT f.scan_id, s.started, f.existence, f.level FROM findings f
                   JOIN scans s ON s.id = f.scan_id WHERE f.domain = ? ORDER BY f.scan_id""",
                (domain,),
            ).fetchall()
            for scan_id, started, existence, level in rows:
                ex = Existence(existence)
                lv = Level(level) if ex is not Existence.ABSENT else None
                prev = seen.get(scan_id)
                if prev is None or _EXISTENCE_WORST[ex] < _EXISTENCE_WORST[prev[1]]:
                    seen[scan_id] = (datetime.fromisoformat(started), ex, lv)
                elif lv is not None and prev[2] is not None and lv.rank < prev[2].rank:
                    seen[scan_id] = (prev[0], prev[1], lv)
            name_ids = [r[0] for r in db.execute("SELECT id FROM names WHERE domain = ?", (domain,))]
            for name_id in name_ids:
                for scan_id, started, blob in db.execute(
                    """SELECT c.scan_id, s.started, c.data
                       FROM absent_chunks c JOIN scans s ON s.id = c.scan_id
                       WHERE c.kind = 'ids' AND c.first_id <= ? AND c.last_id >= ?""",
                    (name_id, name_id),
                ):
                    if scan_id in seen:
                        continue
                    ids = unpack_ids(blob)
                    i = bisect.bisect_left(ids, name_id)
                    if i < len(ids) and ids[i] == name_id:
                        seen[scan_id] = (datetime.fromisoformat(started), Existence.ABSENT, None)
            # Scans not compacted yet (running, or interrupted) still hold names.
            for scan_id, started, blob in db.execute(
                """SELECT c.scan_id, s.started, c.data
                   FROM absent_chunks c JOIN scans s ON s.id = c.scan_id WHERE c.kind = 'names'"""
            ):
                if scan_id not in seen and any(d == domain for d, _ in unpack_names(blob)):
                    seen[scan_id] = (datetime.fromisoformat(started), Existence.ABSENT, None)
        return [(scan_id, *seen[scan_id]) for scan_id in sorted(seen)]

    def existence_history(self, scan_ids: Sequence[int]) -> dict[str, list[Existence]]:
        """For every name found (exists or unknown) in any of the scans: its existence in each of
        them, oldest scan first. A scan that did not look at the name adds nothing to its list.
        This is what ``diff.flapping`` reads."""
        ordered = sorted(set(scan_ids))
        with self._read() as db:
            found: dict[int, dict[tuple[str, str], Existence]] = {s: {} for s in ordered}
            for scan_id in ordered:
                for domain, protected, existence in db.execute(
                    "SELECT domain, protected, existence FROM findings WHERE scan_id = ?", (scan_id,)
                ):
                    found[scan_id][(domain, protected)] = Existence(existence)
            keys = sorted({k for per_scan in found.values() for k in per_scan})
            name_ids = _ids_of(db, keys)
            history: dict[str, list[Existence]] = {}
            for scan_id in ordered:
                absent_ids = _chunk_ids(db, scan_id) if name_ids else set()
                absent_names = _chunk_names(db, scan_id)
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

    # -- triage ----------------------------------------------------------------------------------

    def set_triage(self, domain: str, state: Triage, *, note: str = "", who: str = "") -> TriageMark:
        """Record an analyst's decision about ``domain`` (canonical ASCII); ``who`` defaults to the
        OS user, the time is now (UTC). Earlier marks stay in the log."""
        mark = TriageMark(domain=domain, state=Triage(state), note=note, who=who or _os_user(), when=_now())
        assert mark.when is not None
        with self._write() as db:
            db.execute(
                "INSERT INTO triage (domain, state, note, who, at) VALUES (?, ?, ?, ?, ?)",
                (mark.domain, mark.state.value, mark.note, mark.who, _iso(mark.when)),
            )
        return mark

    def clear_triage(self, domain: str, *, who: str = "") -> bool:
        """Withdraw the mark on ``domain`` (logged like a mark). False when it had none."""
        with self._write() as db:
            current = _current_marks(db, domain)
            if domain not in current:
                return False
            db.execute(
                "INSERT INTO triage (domain, state, note, who, at) VALUES (?, NULL, '', ?, ?)",
                (domain, who or _os_user(), _iso(_now())),
            )
        return True

    def triage(self) -> dict[str, TriageMark]:
        """The mark in force for every triaged domain."""
        with self._read() as db:
            return _current_marks(db, None)

    def triage_log(self, domain: str) -> list[TriageMark | None]:
        """Every mark ever set on ``domain``, oldest first; None where it was cleared."""
        with self._read() as db:
            rows = db.execute(
                "SELECT domain, state, note, who, at FROM triage WHERE domain = ? ORDER BY id", (domain,)
            ).fetchall()
        return [_mark(*r) if r[1] is not None else None for r in rows]

    # -- registration cache ----------------------------------------------------------------------

    def get_registration(self, domain: str) -> Outcome[Registration] | None:
        """The cached registry answer for ``domain`` when it is fresh enough, else None."""
        with self._read() as db:
            row = db.execute(
                "SELECT fetched, status, outcome FROM registrations WHERE domain = ?", (domain,)
            ).fetchone()
        if row is None:
            return None
        fetched, status, text = row
        max_age = self.registration_absent_max_age if status == Status.ABSENT else self.registration_max_age
        if datetime.fromisoformat(fetched) < _now() - max_age:
            return None
        outcome: Outcome[Registration] = codec.decode(Outcome[Registration], json.loads(text))
        return outcome

    def put_registration(
        self, domain: str, outcome: Outcome[Registration], *, fetched: datetime | None = None
    ) -> None:
        """Cache a registry answer. Only authoritative ones (OK, ABSENT) are kept: a timeout says
        nothing worth remembering. ``fetched`` defaults to now."""
        if outcome.status not in (Status.OK, Status.ABSENT):
            return
        when = _iso(fetched or _now())
        with self._write() as db:
            db.execute(
                """INSERT INTO registrations (domain, fetched, status, outcome) VALUES (?, ?, ?, ?)
                   ON CONFLICT (domain) DO UPDATE SET
                       fetched = excluded.fetched, status = excluded.status, outcome = excluded.outcome""",
                (domain, when, outcome.status.value, _dumps(outcome)),
            )

    # -- retention -------------------------------------------------------------------------------

    def prune(
        self, *, keep: int | None = None, older_than: timedelta | None = None, vacuum: bool = False
    ) -> int:
        """Delete old scans and return how many went. ``keep``: keep the N newest complete scans;
        ``older_than``: delete scans started longer ago than that; with both, a scan goes only when
        neither keeps it. Never deleted: the newest complete scan, and an incomplete scan that is
        the newest of its key (it may be running, or waiting for ``--resume``). Expired
        registration cache entries go too. ``vacuum`` gives the space back to the file system."""
        if keep is None and older_than is None:
            raise LookalikeError("say what to prune: --keep N and/or --older-than DAYS")
        if keep is not None and keep < 1:
            raise LookalikeError("--keep must be at least 1: the latest scan is always kept")
        cutoff = _iso(_now() - older_than) if older_than is not None else None
        with self._write() as db:
            rows = db.execute("SELECT id, key, started, complete FROM scans ORDER BY id DESC").fetchall()
            latest_of_key: dict[str, int] = {}
            for scan_id, key, _, _ in rows:
                latest_of_key.setdefault(key, scan_id)
            complete = [r[0] for r in rows if r[3]]
            protected_ids = set(complete[:1])
            protected_ids |= {r[0] for r in rows if not r[3] and latest_of_key[r[1]] == r[0]}
            kept_by_count = set(complete[:keep]) if keep is not None else set()
            doomed = []
            for scan_id, _, started, _ in rows:
                if scan_id in protected_ids:
                    continue
                too_many = keep is not None and scan_id not in kept_by_count
                too_old = cutoff is not None and started < cutoff
                if keep is not None and cutoff is not None:
                    remove = too_many and too_old
                else:
                    remove = too_many or too_old
                if remove:
                    doomed.append(scan_id)
            db.executemany("DELETE FROM scans WHERE id = ?", [(i,) for i in doomed])
            oldest_fresh = _iso(_now() - max(self.registration_max_age, self.registration_absent_max_age))
            db.execute("DELETE FROM registrations WHERE fetched < ?", (oldest_fresh,))
        if vacuum:
            with self._lock, _sqlite_errors(self.path):
                self._db.execute("VACUUM")
        return len(doomed)

    def integrity_check(self) -> list[str]:
        """SQLite's own check: ``["ok"]`` when the file is sound."""
        with self._read() as db:
            return [r[0] for r in db.execute("PRAGMA integrity_check")]


# --- module-private helpers ---------------------------------------------------------------------


@contextlib.contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    """SQLite failures (disk full, a lock held too long, a damaged file) become one-line errors."""
    try:
        yield
    except sqlite3.Error as exc:
        raise LookalikeError(f"database {path}: {exc}") from exc


def _prepare(db: sqlite3.Connection, path: Path) -> None:
    """Check the file is ours (or empty), set the connection up and migrate it."""
    app_id = db.execute("PRAGMA application_id").fetchone()[0]
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables):
        raise LookalikeError(f"{path} is an SQLite file but not a lookalike database")
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
    db.execute("PRAGMA foreign_keys = ON")
    if not tables:
        # Only an empty file takes a page size (and not once in WAL mode). Findings are a few
        # kilobytes each; in 4 KiB pages a third of every page would stay empty.
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    db.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL cannot corrupt the file; a power cut may lose the last transactions, which
    # a resumed scan redoes.
    db.execute("PRAGMA synchronous = NORMAL")
    # Interning a million names touches a B-tree at random places: give it room to stay in memory.
    db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    db.execute("PRAGMA temp_store = MEMORY")
    db.execute("BEGIN IMMEDIATE")
    try:
        has_version = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if has_version:
            version = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
        else:
            db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            version = 0
        if version > SCHEMA_VERSION:
            raise LookalikeError(
                f"{path} was written by a newer lookalike (schema {version}; this one reads up to "
                f"{SCHEMA_VERSION}): upgrade lookalike"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[target - 1](db)
            db.execute("INSERT INTO schema_version (version, applied) VALUES (?, ?)", (target, _iso(_now())))
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _finding(candidate: str, evidence: bytes, score: str) -> Finding:
    return Finding(
        candidate=codec.decode(Candidate, json.loads(candidate)),
        evidence=codec.decode(Evidence, _unpack(evidence)),
        score=codec.decode(Score, json.loads(score)),
    )


def _finding_keys(db: sqlite3.Connection, scan_id: int) -> set[tuple[str, str]]:
    return {
        (r[0], r[1])
        for r in db.execute("SELECT domain, protected FROM findings WHERE scan_id = ?", (scan_id,))
    }


def _chunk_names(db: sqlite3.Connection, scan_id: int) -> set[tuple[str, str]]:
    """The absent names of a scan's chunks that are not compacted yet."""
    names: set[tuple[str, str]] = set()
    for (blob,) in db.execute(
        "SELECT data FROM absent_chunks WHERE scan_id = ? AND kind = 'names'", (scan_id,)
    ):
        names |= unpack_names(blob)
    return names


def _chunk_ids(db: sqlite3.Connection, scan_id: int) -> set[int]:
    """The absent name ids of a scan's compacted chunks."""
    ids: set[int] = set()
    for (blob,) in db.execute(
        "SELECT data FROM absent_chunks WHERE scan_id = ? AND kind = 'ids'", (scan_id,)
    ):
        ids.update(unpack_ids(blob))
    return ids


def _compact(db: sqlite3.Connection, scan_id: int) -> None:
    """Replace a scan's chunks of names by chunks of name ids (inside the caller's transaction).
    Interning every name of the scan at once, in sorted order, touches each page of ``names``
    once; interning batch by batch as the scan ran would rewrite most of it every time."""
    names = _chunk_names(db, scan_id)
    if not names:
        return
    ids = sorted(set(_intern(db, names)) | _chunk_ids(db, scan_id))
    db.execute("DELETE FROM absent_chunks WHERE scan_id = ?", (scan_id,))
    db.executemany(
        "INSERT INTO absent_chunks (scan_id, seq, kind, first_id, last_id, count, data)"
        " VALUES (?, ?, 'ids', ?, ?, ?, ?)",
        [
            (scan_id, seq, part[0], part[-1], len(part), pack_ids(part))
            for seq, part in enumerate((ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)), 1)
        ],
    )


def _protected_ids(db: sqlite3.Connection, domains: Iterable[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for domain in sorted(set(domains)):
        db.execute("INSERT OR IGNORE INTO protected (domain) VALUES (?)", (domain,))
        ids[domain] = db.execute("SELECT id FROM protected WHERE domain = ?", (domain,)).fetchone()[0]
    return ids


def _intern(db: sqlite3.Connection, pairs: Collection[tuple[str, str]]) -> list[int]:
    """The name ids of distinct (domain, protected) pairs, giving new names the next free ids.
    Set-based through a temporary table: a few statements, not one per name, and new names go
    into ``names`` in key order."""
    protected = _protected_ids(db, {p for _, p in pairs})
    db.execute("CREATE TEMP TABLE IF NOT EXISTS batch (domain TEXT NOT NULL, protected INTEGER NOT NULL)")
    db.execute("DELETE FROM temp.batch")
    db.executemany(
        "INSERT INTO temp.batch (domain, protected) VALUES (?, ?)", ((d, protected[p]) for d, p in pairs)
    )
    base = db.execute("SELECT value FROM counters WHERE name = 'name_id'").fetchone()[0]
    added = db.execute(
        """INSERT INTO names (domain, protected, id)
           SELECT b.domain, b.protected, ? + row_number() OVER (ORDER BY b.domain, b.protected)
           FROM temp.batch b
           WHERE NOT EXISTS
               (SELECT 1 FROM names n WHERE n.domain = b.domain AND n.protected = b.protected)
           ORDER BY b.domain, b.protected""",
        (base,),
    ).rowcount
    if added:
        db.execute("UPDATE counters SET value = value + ? WHERE name = 'name_id'", (added,))
    ids = [
        r[0]
        for r in db.execute(
            "SELECT n.id FROM temp.batch b JOIN names n ON n.domain = b.domain AND n.protected = b.protected"
        )
    ]
    db.execute("DELETE FROM temp.batch")
    return ids


def _ids_of(db: sqlite3.Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The name ids of names already interned (others are left out)."""
    out: dict[tuple[str, str], int] = {}
    for domain, protected in keys:
        row = db.execute(
            "SELECT n.id FROM names n JOIN protected p ON p.id = n.protected"
            " WHERE n.domain = ? AND p.domain = ?",
            (domain, protected),
        ).fetchone()
        if row is not None:
            out[(domain, protected)] = row[0]
    return out


def _names_of(db: sqlite3.Connection, ids: Collection[int]) -> set[tuple[str, str]]:
    """The (domain, protected) pairs of a set of name ids. One pass over ``names``: a scan's absent
    names are most of the table, so reading it whole beats looking each id up."""
    if not ids:
        return set()
    wanted = ids if isinstance(ids, set | frozenset) else set(ids)
    protected = {r[0]: r[1] for r in db.execute("SELECT id, domain FROM protected")}
    return {
        (domain, protected[pid])
        for domain, pid, name_id in db.execute("SELECT domain, protected, id FROM names")
        if name_id in wanted
    }


def _mark(domain: str, state: str, note: str, who: str, at: str) -> TriageMark:
    return TriageMark(domain=domain, state=Triage(state), note=note, who=who, when=datetime.fromisoformat(at))


def _current_marks(db: sqlite3.Connection, domain: str | None) -> dict[str, TriageMark]:
    where, params = ("WHERE domain = ?", (domain,)) if domain is not None else ("", ())
    rows = db.execute(
        f"""SELECT domain, state, note, who, at FROM triage
            WHERE id IN (SELECT MAX(id) FROM triage {where} GROUP BY domain) ORDER BY domain""",
        params,
    ).fetchall()
    return {r[0]: _mark(*r) for r in rows if r[1] is not None}


@contextlib.contextmanager
def _scan_lock(lock_path: Path, db_path: Path, wait: float) -> Iterator[None]:
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise LookalikeError(f"cannot create the lock file {lock_path}: {exc.strerror or exc}") from exc
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise LookalikeError(f"cannot lock {lock_path}: {exc.strerror or exc}") from exc
            if time.monotonic() >= deadline:
                holder = _read_pid(fd)
                who = f"pid {holder}" if holder else "another process"
                waited = f" after waiting {wait:g}s" if wait > 0 else ""
                raise LookalikeError(
                    f"another scan ({who}) is using {db_path}{waited}; wait for it to finish, or use "
                    "another --db"
                )
            time.sleep(min(LOCK_POLL, max(deadline - time.monotonic(), 0.0)))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
