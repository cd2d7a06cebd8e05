"""Where a history database is: a file (SQLite, the embedded default) or a PostgreSQL URL.

``--db`` and the config key ``db`` take either; ``$LOOKALIKE_DB`` too. A URL is kept as text (a
``Path`` would fold its ``//``) and shown without its password. Must not: connect to anything.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Final

SCHEMES: Final = ("postgresql", "postgres")

Location = Path | str
"""A file path, or a ``postgresql://`` URL (as text)."""


def is_url(value: object) -> bool:
    """A ``postgresql://`` (or ``postgres://``) URL."""
    return isinstance(value, str) and value.split("://", 1)[0].lower() in SCHEMES and "://" in value


def parse(value: str | Path) -> Location:
    """A URL stays text; anything else is a path (``~`` expanded)."""
    if is_url(value):
        return str(value)
    return Path(value).expanduser()


def label(value: Location) -> str:
    """How to name the database in messages: the path, or the URL without its password."""
    if not is_url(value):
        return str(value)
    parts = urllib.parse.urlsplit(str(value))
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}"
    query = urllib.parse.urlencode(
        [(k, "***" if k.lower() == "password" else v) for k, v in urllib.parse.parse_qsl(parts.query)]
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def default_db_path() -> Location:
    """``$LOOKALIKE_DB`` (a path or a URL), else ``$XDG_DATA_HOME/lookalike/lookalike.db``, else
    ``~/.local/share/lookalike/lookalike.db``."""
    if env := os.environ.get("LOOKALIKE_DB"):
        return parse(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lookalike" / "lookalike.db"
