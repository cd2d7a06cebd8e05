"""Where the reviewable data files live: the package's snapshots, or a user's refreshed copy.

``lookalike update-data`` writes fresh copies to ``user_data_dir()``; every loader asks
``data_path(name)`` and so prefers a refreshed copy over the snapshot shipped in the package.
Nothing here touches the network; ``lookalike.rdap.update_data`` fetches and validates, then calls
``install`` to put a file in place.
"""

from __future__ import annotations

import os
import tempfile
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from lookalike.errors import LookalikeError

TLDS = "tlds-alpha-by-domain.txt"
RDAP_BOOTSTRAP = "rdap-dns.json"
WHOIS_PHRASES = "whois.toml"
CT_LOG_LIST = "ct-log-list.json"
CT_LOG_LIST_SIG = "ct-log-list.sig"
CT_LOG_LIST_KEY = "ct-log-list-key.pem"
IANA_RDAP_URL = "https://data.iana.org/rdap/dns.json"
IANA_TLDS_URL = "https://data.iana.org/TLD/tlds-alpha-by-domain.txt"
CT_LOG_LIST_URL = "https://www.gstatic.com/ct/log_list/v3/all_logs_list.json"
"""Chrome's list of every CT log (v3); its signature is at the same URL ending ``.sig``."""


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


def install(name: str, data: bytes, dest: Path | None = None) -> Path:
    """Write ``data`` as data file ``name`` in ``dest`` (default ``user_data_dir()``), atomically.

    The bytes go to a temporary file in the same directory first and are renamed over the old copy,
    so a reader never sees half a file and a failed write leaves the old copy in place.
    Raises ``LookalikeError`` when the directory cannot be created or written.
    """
    directory = dest if dest is not None else user_data_dir()
    target = directory / name
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise LookalikeError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target
