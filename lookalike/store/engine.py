"""The back-end interface: what a database must do for the store, and nothing more.

``Store`` (``history.py``) writes its SQL once; a back end (``sqlite.py``, ``postgres.py``) supplies
the connection, transactions, bulk copy, the scan lock, its structural check, and the few words in
which its SQL dialect differs (``Dialect``). Adding a back end means one module implementing
``Engine``; the queries, migrations and row checks stay where they are.

Must not: know about scans, findings or the model (that is ``history.py``), print, or touch the
network beyond the database it was given.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from lookalike.errors import LookalikeError

LOCK_POLL: Final = 0.1


class Cursor(Protocol):
    """What a statement returns: rows as tuples (``sqlite3.Cursor`` and ``psycopg.Cursor`` both fit)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Tx(Protocol):
    """One open transaction. Statements use ``?`` placeholders; a back end translates them."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Append many rows to ``table`` the fastest way the back end knows (PostgreSQL's ``COPY``)."""
        ...

    def analyze(self, table: str) -> None:
        """Statistics for a table just filled, where the back end plans by them (PostgreSQL)."""
        ...


@dataclass(frozen=True, slots=True)
class Dialect:
    """The SQL a back end spells differently, kept to a few named words.

    ``words`` fill the ``{placeholders}`` of the migrations (``schema.py``): ``{autoid}`` a
    never-reused generated key, ``{rowid}`` a generated key, ``{int}`` a 64-bit integer, ``{blob}``
    bytes, ``{without_rowid}`` a table clause SQLite understands and others need not.
    """

    name: str
    words: Mapping[str, str]
    for_update: str = ""
    """Appended to a SELECT that must lock the rows it reads until the transaction ends (PostgreSQL's
    `` FOR UPDATE``); empty where a write transaction already excludes every other writer."""
    on_create: tuple[str, ...] = field(default=())
    """Statements run once, when the schema is first created (SQLite marks the file as lookalike's)."""
    migration_lock: str = ""
    """A statement that makes processes opening the store at once take turns at creating or
    upgrading it (PostgreSQL's transaction-scoped advisory lock: workers starting together on an
    empty schema); empty where a write transaction already excludes every other writer."""


class Engine(ABC):
    """One open database. Not shared between processes; ``Store`` serialises calls from threads."""

    dialect: Dialect
    label: str
    """Where the database is, for messages (a path, or a URL without its password)."""

    @abstractmethod
    def transaction(self, *, write: bool, bulk: bool = False) -> AbstractContextManager[Tx]:
        """A transaction: a consistent snapshot for reads; for writes, committed when the block ends
        and rolled back when it raises. ``bulk``: it will ``copy`` (a back end may batch small writes
        in a way bulk copies cannot share). Database failures become ``LookalikeError``, one line."""

    @abstractmethod
    def tables(self, tx: Tx) -> set[str]:
        """The names of the tables the store can see."""

    @abstractmethod
    def scan_lock(self, wait: float) -> AbstractContextManager[None]:
        """Exclusive use of this database for one scan, whatever path or URL reached it; waits up to
        ``wait`` seconds, then raises ``LookalikeError`` naming the holder. Released when the holder
        ends, even by ``kill -9``."""

    @abstractmethod
    def check(self, *, full: bool) -> list[str]:
        """The database's own structural check: problems found, one line each (empty: sound).
        ``full`` is the slow, thorough variant; without it, the quick one run on every open."""

    @abstractmethod
    def vacuum(self) -> None:
        """Give space freed by deletions back to the file system."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection; never raises (the database may already be gone)."""


def acquire(try_once: Callable[[], bool], holder: Callable[[], str], label: str, wait: float) -> None:
    """Call ``try_once`` until it takes the scan lock, for up to ``wait`` seconds; then raise the one
    message every back end gives, naming the ``holder`` (``pid 4242``, ``pid 4242 on scanner-2``)."""
    deadline = time.monotonic() + max(wait, 0.0)
    while not try_once():
        if time.monotonic() >= deadline:
            waited = f" after waiting {wait:g}s" if wait > 0 else ""
            raise LookalikeError(
                f"another scan ({holder()}) is using {label}{waited}; wait for it to finish,"
                " or use another --db"
            )
        time.sleep(min(LOCK_POLL, max(deadline - time.monotonic(), 0.0)))
