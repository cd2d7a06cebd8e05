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
from collections.abc import Iterable, Iterator, Sequence
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
from lookalike.store import absent as names_db
from lookalike.store.chunks import ZLIB_LEVEL, pack_names, unpack_ids, unpack_names
from lookalike.store.engine import Engine, Tx
from lookalike.store.schema import migrate

BATCH: Final = 50_000
"""Absent names written per chunk while a scan runs."""

_EXISTENCE_WORST = {Existence.EXISTS: 0, Existence.UNKNOWN: 1, Existence.ABSENT: 2}


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


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


class Store:
    """One open lookalike database. Not for sharing between processes (open one per process);
    calls from several threads are serialised."""

    registration_max_age: timedelta = timedelta(days=7)
    """How long a cached registration (RDAP/WHOIS "registered") answer is trusted."""
    registration_absent_max_age: timedelta = timedelta(days=1)
    """How long a cached "not registered" answer is trusted: names get registered any day."""

    def __init__(self, engine: Engine) -> None:
        """Use ``Store.open``."""
        self.engine = engine
        self._lock = threading.RLock()

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
        """Open (and create, unless ``create`` is False) the database at ``path``, migrating it to
        the current schema. Raises ``LookalikeError`` with one line when it cannot be used."""
        from lookalike.store.sqlite import SqliteEngine

        engine = SqliteEngine.open(Path(path), create=create)
        try:
            with engine.transaction(write=True) as tx:
                migrate(engine, tx)
        except BaseException:
            engine.close()
            raise
        return cls(engine)

    @property
    def path(self) -> Path:
        from lookalike.store.sqlite import SqliteEngine

        assert isinstance(self.engine, SqliteEngine)
        return self.engine.path

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
            return int(tx.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    # -- transactions ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[Tx]:
        with self._lock, self.engine.transaction(write=True) as tx:
            yield tx

    @contextlib.contextmanager
    def _read(self) -> Iterator[Tx]:
        """A consistent snapshot for several SELECTs."""
        with self._lock, self.engine.transaction(write=False) as tx:
            yield tx

    # -- the scan lock ---------------------------------------------------------------------------

    def scan_lock(self, *, wait: float = 0.0) -> AbstractContextManager[None]:
        """An exclusive lock on this database for one scan. Waits up to ``wait`` seconds, then raises
        ``LookalikeError``. A killed scan never leaves it stale."""
        return self.engine.scan_lock(wait)

    # -- scans -----------------------------------------------------------------------------------

    def begin_scan(self, info: ScanInfo, *, key: str) -> int:
        """Record a new scan; ``key`` identifies "the same scan" (names and settings) for resume."""
        info = dataclasses.replace(info, id=None)
        with self._write() as tx:
            scan_id = tx.execute(
                "INSERT INTO scans (key, started, info) VALUES (?, ?, ?) RETURNING id",
                (key, _iso(info.started), _dumps(info)),
            ).fetchone()[0]
        return int(scan_id)

    def unfinished_scan(self, key: str) -> int | None:
        """The latest scan with ``key`` that did not complete (never finished, or interrupted), if
        it is also the latest scan with that key: a completed rerun supersedes it."""
        with self._read() as tx:
            row = tx.execute(
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
        with self._write() as tx:
            cur = tx.execute(
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
                raise LookalikeError(f"no scan {scan_id} in {self.engine.label}")
            names_db.compact(tx, self.engine.dialect, scan_id)

    def scan_info(self, scan_id: int) -> ScanInfo:
        """One scan's description (with its id)."""
        with self._read() as tx:
            row = tx.execute("SELECT info FROM scans WHERE id = ?", (scan_id,)).fetchone()
        if row is None:
            raise LookalikeError(f"no scan {scan_id} in {self.engine.label}")
        return self._info(scan_id, row[0])

    @staticmethod
    def _info(scan_id: int, text: str) -> ScanInfo:
        info: ScanInfo = codec.decode(ScanInfo, json.loads(text))
        return dataclasses.replace(info, id=scan_id)

    def load_scan(self, scan_id: int) -> ScanResult:
        """A stored scan: its description, references, and findings in the order first recorded."""
        with self._read() as tx:
            row = tx.execute("SELECT info FROM scans WHERE id = ?", (scan_id,)).fetchone()
            if row is None:
                raise LookalikeError(f"no scan {scan_id} in {self.engine.label}")
            refs = tx.execute(
                "SELECT reference FROM refs WHERE scan_id = ? ORDER BY seq", (scan_id,)
            ).fetchall()
            rows = tx.execute(
                "SELECT candidate, evidence, score FROM findings WHERE scan_id = ? ORDER BY id", (scan_id,)
            ).fetchall()
        return ScanResult(
            info=self._info(scan_id, row[0]),
            references=tuple(codec.decode(Reference, json.loads(r[0])) for r in refs),
            findings=tuple(_finding(*r) for r in rows),
        )

    def save_references(self, scan_id: int, references: Sequence[Reference]) -> None:
        """Replace the scan's references (the protected domains, probed like candidates)."""
        with self._write() as tx:
            tx.execute("DELETE FROM refs WHERE scan_id = ?", (scan_id,))
            tx.executemany(
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
        with self._read() as tx:
            row = tx.execute(f"SELECT MAX(id) FROM scans {where}", params).fetchone()
        return int(row[0]) if row[0] is not None else None

    def scans(self, *, limit: int = 50) -> list[ScanInfo]:
        """The latest scans, newest first."""
        with self._read() as tx:
            rows = tx.execute("SELECT id, info FROM scans ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
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
        with self._write() as tx:
            tx.execute(
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
            with self._write() as tx:
                tx.execute(
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
        with self._read() as tx:
            names = names_db.chunk_names(tx, scan_id)
            ids = names_db.chunk_ids(tx, scan_id)
            if wanted is None:
                names |= names_db.names_of(tx, ids)
            else:
                names &= wanted
                names |= {
                    key for key, name_id in names_db.ids_of(tx, sorted(wanted)).items() if name_id in ids
                }
            names -= names_db.finding_keys(tx, scan_id)
        return names

    def done(self, scan_id: int) -> set[tuple[str, str]]:
        """Every (domain, protected) the scan recorded, finding or absent: what a resume skips."""
        with self._read() as tx:
            names = names_db.chunk_names(tx, scan_id)
            names |= names_db.names_of(tx, names_db.chunk_ids(tx, scan_id))
            names |= names_db.finding_keys(tx, scan_id)
        return names

    def counts(self, scan_id: int) -> dict[str, int]:
        """How many names the scan stored per existence (``absent`` counts stored chunks' names,
        so a name written twice counts twice)."""
        with self._read() as tx:
            out = {e.value: 0 for e in Existence}
            for existence, n in tx.execute(
                "SELECT existence, COUNT(*) FROM findings WHERE scan_id = ? GROUP BY existence", (scan_id,)
            ):
                out[existence] += n
            out["absent"] += tx.execute(
                "SELECT COALESCE(SUM(count), 0) FROM absent_chunks WHERE scan_id = ?", (scan_id,)
            ).fetchone()[0]
        return out

    # -- history ---------------------------------------------------------------------------------

    def history(self, domain: str) -> list[tuple[int, datetime, Existence, Level | None]]:
        """One lookalike's existence and level in every scan that looked at it, oldest first.
        Scans that did not look at it (other settings, interrupted first) are left out."""
        with self._read() as tx:
            seen: dict[int, tuple[datetime, Existence, Level | None]] = {}
            rows = tx.execute(
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
            name_ids = [r[0] for r in tx.execute("SELECT id FROM names WHERE domain = ?", (domain,))]
            for name_id in name_ids:
                for scan_id, started, blob in tx.execute(
                    """SELECT c.scan_id, s.started, c.data
                       FROM absent_chunks c JOIN scans s ON s.id = c.scan_id
                       WHERE c.kind = 'ids' AND c.first_id <= ? AND c.last_id >= ?""",
                    (name_id, name_id),
                ).fetchall():
                    if scan_id in seen:
                        continue
                    ids = unpack_ids(blob)
                    i = bisect.bisect_left(ids, name_id)
                    if i < len(ids) and ids[i] == name_id:
                        seen[scan_id] = (datetime.fromisoformat(started), Existence.ABSENT, None)
            # Scans not compacted yet (running, or interrupted) still hold names.
            for scan_id, started, blob in tx.execute(
                """SELECT c.scan_id, s.started, c.data
                   FROM absent_chunks c JOIN scans s ON s.id = c.scan_id WHERE c.kind = 'names'"""
            ).fetchall():
                if scan_id not in seen and any(d == domain for d, _ in unpack_names(blob)):
                    seen[scan_id] = (datetime.fromisoformat(started), Existence.ABSENT, None)
        return [(scan_id, *seen[scan_id]) for scan_id in sorted(seen)]

    def existence_history(self, scan_ids: Sequence[int]) -> dict[str, list[Existence]]:
        """For every name found (exists or unknown) in any of the scans: its existence in each of
        them, oldest scan first. A scan that did not look at the name adds nothing to its list.
        This is what ``diff.flapping`` reads."""
        ordered = sorted(set(scan_ids))
        with self._read() as tx:
            found: dict[int, dict[tuple[str, str], Existence]] = {s: {} for s in ordered}
            for scan_id in ordered:
                for domain, protected, existence in tx.execute(
                    "SELECT domain, protected, existence FROM findings WHERE scan_id = ?", (scan_id,)
                ):
                    found[scan_id][(domain, protected)] = Existence(existence)
            keys = sorted({k for per_scan in found.values() for k in per_scan})
            name_ids = names_db.ids_of(tx, keys)
            history: dict[str, list[Existence]] = {}
            for scan_id in ordered:
                absent_ids = names_db.chunk_ids(tx, scan_id) if name_ids else set()
                absent_names = names_db.chunk_names(tx, scan_id)
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
        with self._write() as tx:
            tx.execute(
                "INSERT INTO triage (domain, state, note, who, at) VALUES (?, ?, ?, ?, ?)",
                (mark.domain, mark.state.value, mark.note, mark.who, _iso(mark.when)),
            )
        return mark

    def clear_triage(self, domain: str, *, who: str = "") -> bool:
        """Withdraw the mark on ``domain`` (logged like a mark). False when it had none."""
        with self._write() as tx:
            current = _current_marks(tx, domain)
            if domain not in current:
                return False
            tx.execute(
                "INSERT INTO triage (domain, state, note, who, at) VALUES (?, NULL, '', ?, ?)",
                (domain, who or _os_user(), _iso(_now())),
            )
        return True

    def triage(self) -> dict[str, TriageMark]:
        """The mark in force for every triaged domain."""
        with self._read() as tx:
            return _current_marks(tx, None)

    def triage_log(self, domain: str) -> list[TriageMark | None]:
        """Every mark ever set on ``domain``, oldest first; None where it was cleared."""
        with self._read() as tx:
            rows = tx.execute(
                "SELECT domain, state, note, who, at FROM triage WHERE domain = ? ORDER BY id", (domain,)
            ).fetchall()
        return [_mark(*r) if r[1] is not None else None for r in rows]

    # -- registration cache ----------------------------------------------------------------------

    def get_registration(self, domain: str) -> Outcome[Registration] | None:
        """The cached registry answer for ``domain`` when it is fresh enough, else None."""
        with self._read() as tx:
            row = tx.execute(
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
        with self._write() as tx:
            tx.execute(
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
        with self._write() as tx:
            rows = tx.execute("SELECT id, key, started, complete FROM scans ORDER BY id DESC").fetchall()
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
            tx.executemany("DELETE FROM scans WHERE id = ?", [(i,) for i in doomed])
            oldest_fresh = _iso(_now() - max(self.registration_max_age, self.registration_absent_max_age))
            tx.execute("DELETE FROM registrations WHERE fetched < ?", (oldest_fresh,))
        if vacuum:
            with self._lock:
                self.engine.vacuum()
        return len(doomed)

    def integrity_check(self) -> list[str]:
        """The back end's own structural check: ``["ok"]`` when the database is sound."""
        with self._lock:
            return self.engine.check(full=True) or ["ok"]


def _finding(candidate: str, evidence: bytes, score: str) -> Finding:
    return Finding(
        candidate=codec.decode(Candidate, json.loads(candidate)),
        evidence=codec.decode(Evidence, _unpack(evidence)),
        score=codec.decode(Score, json.loads(score)),
    )


def _mark(domain: str, state: str, note: str, who: str, at: str) -> TriageMark:
    return TriageMark(domain=domain, state=Triage(state), note=note, who=who, when=datetime.fromisoformat(at))


def _current_marks(tx: Tx, domain: str | None) -> dict[str, TriageMark]:
    where, params = ("WHERE domain = ?", (domain,)) if domain is not None else ("", ())
    rows = tx.execute(
        f"""SELECT domain, state, note, who, at FROM triage
            WHERE id IN (SELECT MAX(id) FROM triage {where} GROUP BY domain) ORDER BY domain""",
        params,
    ).fetchall()
    return {r[0]: _mark(*r) for r in rows if r[1] is not None}
