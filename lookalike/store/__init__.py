"""The scan history: every scan, every observation, triage marks and a registration cache, in one
database behind one interface.

    history.py   ``Store``: what the orchestrator and the history commands call (one class, its SQL
                 written once)
    engine.py    ``Engine``: what a back end must do for it (transactions, bulk copy, the scan lock,
                 its structural check) and the few ``Dialect`` words its SQL spells differently
    sqlite.py    the SQLite back end (the embedded default: one file, WAL, ``flock``)
    schema.py    the migrations, one list for every back end
    absent.py    absent names: interning, compaction, lookups
    chunks.py    the pure encoding of absent names

Must not: judge (scoring and diffing take what this returns) or touch the network.
"""

from __future__ import annotations

import os
from pathlib import Path

from lookalike.store.chunks import pack_ids, pack_names, unpack_ids, unpack_names
from lookalike.store.engine import Dialect, Engine
from lookalike.store.history import Store
from lookalike.store.schema import MIGRATIONS, SCHEMA_VERSION
from lookalike.store.sqlite import APPLICATION_ID

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Dialect",
    "Engine",
    "Store",
    "default_db_path",
    "pack_ids",
    "pack_names",
    "unpack_ids",
    "unpack_names",
]


def default_db_path() -> Path:
    """``$LOOKALIKE_DB``, else ``$XDG_DATA_HOME/lookalike/lookalike.db``, else
    ``~/.local/share/lookalike/lookalike.db``."""
    if env := os.environ.get("LOOKALIKE_DB"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lookalike" / "lookalike.db"
