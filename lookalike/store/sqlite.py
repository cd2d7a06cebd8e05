"""The SQLite back end: one file, in WAL mode, marked as lookalike's with ``PRAGMA application_id``.

Every write runs in one ``BEGIN IMMEDIATE`` transaction (the write lock taken up front, so a busy
database waits ``BUSY_TIMEOUT`` here instead of failing half-way); readers (the history commands)
never block the scan writing; foreign keys are on. SQLite's own locking keeps single statements
safe between processes; ``scan_lock`` keeps two *scans* from interleaving.

Must not: hold queries of the store (they are in ``history.py``) or judge anything.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from lookalike.errors import LookalikeError
from lookalike.store.engine import Cursor, Dialect, Engine, Tx

APPLICATION_ID: Final = 0x4C4B4C4B
"""``PRAGMA application_id`` of a lookalike database ("LKLK"): how we tell our file from others."""

BUSY_TIMEOUT: Final = 30.0
"""Seconds a statement waits for another process's write transaction before giving up."""

LOCK_POLL: Final = 0.1

PAGE_SIZE: Final = 8192

CACHE_KIB: Final = 65_536
"""SQLite's page cache per connection (64 MiB)."""

DIALECT: Final = Dialect(
    name="sqlite",
    words={
        "autoid": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "rowid": "INTEGER PRIMARY KEY",
        "int": "INTEGER",
        "blob": "BLOB",
        "without_rowid": " WITHOUT ROWID",
    },
    on_create=(f"PRAGMA application_id = {APPLICATION_ID}",),
)


class _Tx:
    """A transaction on one sqlite3 connection; ``copy`` is ``executemany``."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.executemany(sql, rows)

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


class SqliteEngine(Engine):
    """One SQLite file."""

    dialect = DIALECT

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        """Use ``SqliteEngine.open``."""
        self.path = path
        self.label = str(path)
        self._db = db

    @classmethod
    def open(cls, path: Path, *, create: bool) -> SqliteEngine:
        """Connect to the file at ``path`` (created, with its directory, when ``create``), check it is
        lookalike's (or empty) and set the connection up. Raises ``LookalikeError`` with one line."""
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
            raise _one_line(path, exc) from exc
        except LookalikeError:
            db.close()
            raise
        return cls(path, db)

    @contextlib.contextmanager
    def transaction(self, *, write: bool) -> Iterator[Tx]:
        db = self._db
        with _sqlite_errors(self.path):
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _Tx(db)
            except BaseException:
                if db.in_transaction:  # SQLite may have rolled back already (disk full)
                    db.execute("ROLLBACK")
                raise
            if db.in_transaction:
                db.execute("COMMIT")

    def tables(self, tx: Tx) -> set[str]:
        return {r[0] for r in tx.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def scan_lock(self, wait: float) -> contextlib.AbstractContextManager[None]:
        """``flock`` on ``<db>.lock``, which holds the holder's pid. The kernel drops the lock when
        the process dies, so a killed scan never leaves it stale."""
        return _scan_lock(self.lock_path, self.path, wait)

    def check(self, *, full: bool) -> list[str]:
        with _sqlite_errors(self.path):
            rows = [
                r[0] for r in self._db.execute("PRAGMA integrity_check" if full else "PRAGMA quick_check")
            ]
        return [] if rows == ["ok"] else rows

    def vacuum(self) -> None:
        with _sqlite_errors(self.path):
            self._db.execute("VACUUM")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()


def _one_line(path: Path, exc: sqlite3.Error) -> LookalikeError:
    if "not a database" in str(exc):
        return LookalikeError(f"{path} is not a lookalike database (not an SQLite file)")
    if "malformed" in str(exc):
        return LookalikeError(f"{path} is damaged ({exc}); restore it from a backup")
    return LookalikeError(f"cannot open {path}: {exc}")


@contextlib.contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    """SQLite failures (disk full, a lock held too long, a damaged file) become one-line errors."""
    try:
        yield
    except sqlite3.Error as exc:
        raise LookalikeError(f"database {path}: {exc}") from exc


def _prepare(db: sqlite3.Connection, path: Path) -> None:
    """Check the file is ours (or empty) and set the connection up."""
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
