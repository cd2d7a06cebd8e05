"""The scan lock of an SQLite database: ``flock`` on the database file itself.

The lock belongs to the file (its device and inode), not to the path: a symlink, a hard link, a
relative path or a bind mount all reach the same lock, and the kernel drops it when the holder dies
(``kill -9`` included), so it is never stale. ``flock`` and SQLite's own POSIX locks do not interact
on a local file system.

One subtlety: closing *any* descriptor of a file drops every POSIX lock the process holds on it,
SQLite's included. So the descriptor taken here is closed only when no connection of this process
uses the file any more (``FileHandles`` counts them). Keep the database on a local file system:
over NFS, ``flock`` is emulated with POSIX locks and would collide with SQLite's.

Must not: know about scans or SQL.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from lookalike.errors import LookalikeError
from lookalike.store.engine import acquire

_guard = threading.Lock()
_users: dict[tuple[int, int], int] = {}
_to_close: dict[tuple[int, int], list[int]] = {}


class FileHandle:
    """A descriptor of the database file, for its lock; ``release`` hands it back."""

    def __init__(self, path: Path) -> None:
        try:
            self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise LookalikeError(f"cannot open {path}: {exc.strerror or exc}") from exc
        st = os.fstat(self.fd)
        self.key = (st.st_dev, st.st_ino)
        self.path = path
        with _guard:
            _users[self.key] = _users.get(self.key, 0) + 1

    def release(self) -> None:
        """Give the descriptor back; it is closed once no handle of this process uses the file."""
        with _guard:
            _to_close.setdefault(self.key, []).append(self.fd)
            _users[self.key] -= 1
            if _users[self.key] == 0:
                del _users[self.key]
                for fd in _to_close.pop(self.key):
                    with contextlib.suppress(OSError):
                        os.close(fd)

    @contextlib.contextmanager
    def exclusive(self, label: str, wait: float) -> Iterator[None]:
        """Hold ``flock(LOCK_EX)`` on the file for the block; wait up to ``wait`` seconds for it."""

        def try_once() -> bool:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise LookalikeError(f"cannot lock {label}: {exc.strerror or exc}") from exc
                return False
            return True

        def holder() -> str:
            pid = holder_pid(self.key)
            return f"pid {pid}" if pid else "another process"

        acquire(try_once, holder, label, wait)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)


def holder_pid(key: tuple[int, int], locks: Path = Path("/proc/locks")) -> int | None:
    """The pid holding an exclusive ``flock`` on the file ``key`` (device, inode), from Linux's
    ``/proc/locks``; None where that is not known."""
    dev, ino = key
    try:
        text = locks.read_text("ascii", "replace")
    except OSError:
        return None
    for line in text.splitlines():
        # "3: FLOCK  ADVISORY  WRITE 4242 08:01:131090 0 EOF"; waiters have "->" after the number.
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK" or fields[3] != "WRITE" or "->" in fields[:2]:
            continue
        parts = fields[5].split(":")
        try:
            same = (
                len(parts) == 3
                and int(parts[0], 16) == os.major(dev)
                and int(parts[1], 16) == os.minor(dev)
                and int(parts[2]) == ino
            )
            if same:
                return int(fields[4])
        except ValueError:
            continue
    return None
