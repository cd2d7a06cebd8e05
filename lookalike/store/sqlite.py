"""The SQLite back end: one file, in WAL mode, marked as lookalike's with ``PRAGMA application_id``.

Every write runs in one ``BEGIN IMMEDIATE`` transaction (the write lock taken up front, so a busy
database waits ``BUSY_TIMEOUT`` here instead of failing half-way); readers (the history commands)
never block the scan writing; foreign keys are on. SQLite's own locking keeps single statements
safe between processes; ``scan_lock`` (an ``flock`` on the file itself, ``lock.py``) keeps two
*scans* from interleaving. Opening runs ``PRAGMA quick_check`` (about 0.06 s per 50 MB): a file
with broken pages is refused with one line before anything reads or writes it.

Must not: hold queries of the store (they are in ``history.py``) or judge anything.
"""

from __future__ import annotations

import contextlib
import sqlite3
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from lookalike.errors import LookalikeError
from lookalike.store.engine import Cursor, Dialect, Engine, Tx
from lookalike.store.lock import FileHandle

APPLICATION_ID: Final = 0x4C4B4C4B
"""``PRAGMA application_id`` of a lookalike database ("LKLK"): how we tell our file from others."""

BUSY_TIMEOUT: Final = 30.0
"""Seconds a statement waits for another process's write transaction before giving up."""

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

    def analyze(self, table: str) -> None:
        """SQLite plans the interning join well without statistics."""


class SqliteEngine(Engine):
    """One SQLite file."""

    dialect = DIALECT

    def __init__(self, path: Path, db: sqlite3.Connection, handle: FileHandle) -> None:
        """Use ``SqliteEngine.open``."""
        self.path = path
        self.label = str(path)
        self._db = db
        self._handle = handle

    @classmethod
    def open(cls, path: Path, *, create: bool, read_only: bool = False, check: bool = True) -> SqliteEngine:
        """Connect to the file at ``path`` (created, with its directory, when ``create``), check it is
        lookalike's (or empty), run the quick structural check unless ``check`` is False, and set
        the connection up. ``read_only`` changes nothing in the file. Raises ``LookalikeError``
        with one line."""
        path = Path(path).expanduser()
        if path.is_dir():
            raise LookalikeError(f"{path} is a directory, not a lookalike database")
        if not path.exists():
            if not create or read_only:
                raise LookalikeError(f"no lookalike database at {path}; run a scan with --db {path} first")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LookalikeError(f"cannot create {path.parent}: {exc.strerror or exc}") from exc
        try:
            if read_only:
                uri = f"file:{urllib.parse.quote(str(path.absolute()))}?mode=ro"
                db = sqlite3.connect(
                    uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
                )
            else:
                db = sqlite3.connect(
                    path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
                )
        except sqlite3.Error as exc:
            raise LookalikeError(f"cannot open {path}: {exc}") from exc
        try:
            _prepare(db, path, read_only=read_only)
            problems = _quick_check(db) if check else []
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            db.close()
            raise _one_line(path, exc, opening=True) from exc
        except LookalikeError:
            db.close()
            raise
        if problems:
            db.close()
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise LookalikeError(
                f"{path} is damaged: {problems[0]}{more}; `lookalike history --check` lists the damage;"
                " restore the file from a backup"
            )
        try:
            handle = FileHandle(path)
        except LookalikeError:
            db.close()
            raise
        return cls(path, db, handle)

    @contextlib.contextmanager
    def transaction(self, *, write: bool, bulk: bool = False) -> Iterator[Tx]:
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

    def scan_lock(self, wait: float) -> contextlib.AbstractContextManager[None]:
        """``flock`` on the database file itself (``lock.py``)."""
        return self._handle.exclusive(self.label, wait)

    def check(self, *, full: bool) -> list[str]:
        with _sqlite_errors(self.path):
            if not full:
                return _quick_check(self._db)
            rows = [str(r[0]) for r in self._db.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    def vacuum(self) -> None:
        with _sqlite_errors(self.path):
            self._db.execute("VACUUM")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        self._handle.release()


def _quick_check(db: sqlite3.Connection) -> list[str]:
    rows = [str(r[0]) for r in db.execute("PRAGMA quick_check")]
    return [] if rows == ["ok"] else rows


def _one_line(
    path: Path, exc: sqlite3.Error | UnicodeDecodeError, *, opening: bool = False
) -> LookalikeError:
    if isinstance(exc, UnicodeDecodeError):
        # Python could not decode SQLite's message: it quotes damaged bytes of the schema.
        message = exc.object.decode("utf-8", "replace") if isinstance(exc.object, bytes) else str(exc)
        return LookalikeError(f"{path} is damaged ({message[:120]!r}); restore the file from a backup")
    if "not a database" in str(exc):
        return LookalikeError(f"{path} is not a lookalike database (not an SQLite file)")
    if "malformed" in str(exc):
        return LookalikeError(
            f"{path} is damaged ({exc}); `lookalike history --check` lists the damage; restore the file"
            " from a backup"
        )
    return LookalikeError(f"cannot open {path}: {exc}" if opening else f"database {path}: {exc}")


@contextlib.contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    """SQLite failures (disk full, a lock held too long, a damaged file) become one-line errors."""
    try:
        yield
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise _one_line(path, exc) from exc


def _prepare(db: sqlite3.Connection, path: Path, *, read_only: bool) -> None:
    """Check the file is ours (or empty) and set the connection up."""
    app_id = db.execute("PRAGMA application_id").fetchone()[0]
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if app_id not in (0, APPLICATION_ID) or (app_id == 0 and tables):
        raise LookalikeError(f"{path} is an SQLite file but not a lookalike database")
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
    db.execute("PRAGMA foreign_keys = ON")
    if read_only:
        db.execute("PRAGMA query_only = ON")
        return
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
