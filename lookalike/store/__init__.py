"""The scan history: every scan, every observation, triage marks and a registration cache, in one
database behind one interface.

    history.py   ``Store``: what the orchestrator and the history commands call (one class, its SQL
                 written once)
    engine.py    ``Engine``: what a back end must do for it (transactions, bulk copy, the scan lock,
                 its structural check) and the few ``Dialect`` words its SQL spells differently
    sqlite.py    the SQLite back end (the embedded default: one file, WAL, ``flock`` in lock.py)
    postgres.py  the PostgreSQL back end (psycopg 3: ``COPY``, an advisory lock)
    location.py  where a database is: a path or a ``postgresql://`` URL
    rows.py      the checksum and the decoding every row read passes through
    schema.py    the migrations, one list for every back end
    feeds.py     feed positions and the matches waiting to be scanned (``lookalike watch``)
    absent.py    absent names: interning, compaction, lookups
    chunks.py    the pure encoding of absent names

Must not: judge (scoring and diffing take what this returns) or touch the network.
"""

from __future__ import annotations

from lookalike.store.chunks import pack_ids, pack_names, unpack_ids, unpack_names
from lookalike.store.engine import Dialect, Engine
from lookalike.store.history import Checkup, Observed, Store
from lookalike.store.location import Location, default_db_path, is_url, label
from lookalike.store.rows import Damage
from lookalike.store.schema import MIGRATIONS, SCHEMA_VERSION
from lookalike.store.sqlite import APPLICATION_ID

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Checkup",
    "Damage",
    "Dialect",
    "Engine",
    "Location",
    "Observed",
    "Store",
    "default_db_path",
    "is_url",
    "label",
    "pack_ids",
    "pack_names",
    "unpack_ids",
    "unpack_names",
]
