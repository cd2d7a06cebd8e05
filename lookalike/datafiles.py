"""Where the reviewable data files live: the package's snapshots, or a user's refreshed copy.

``lookalike update-data`` writes fresh copies to ``user_data_dir()``; every loader asks
``data_path(name)`` and so prefers a refreshed copy over the snapshot shipped in the package.
"""

from __future__ import annotations

import os
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

TLDS = "tlds-alpha-by-domain.txt"
RDAP_BOOTSTRAP = "rdap-dns.json"


def user_data_dir() -> Path:
    """``$LOOKALIKE_DATA_DIR``, else ``$XDG_DATA_HOME/lookalike/data``, else ``~/.local/share/...``."""
    if env := os.environ.get("LOOKALIKE_DATA_DIR"):
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lookalike" / "data"


def data_path(name: str) -> Traversable:
    """The refreshed copy of data file ``name`` when there is one, else the packaged snapshot."""
    fresh = user_data_dir() / name
    if fresh.is_file():
        return fresh
    return resources.files("lookalike").joinpath("data", name)
