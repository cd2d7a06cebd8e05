"""Debian's ``redis-server`` as a throwaway broker: a temporary directory, 127.0.0.1 on a free port, no
persistence (no RDB snapshot, no append-only file). Used by the distributed-scan tests and
``bench/scale.py``, like ``postgres.py`` by the store's.

``stop`` and ``start`` may be called again on the same port: a broker that goes away mid-scan and
comes back empty, as a restarted Redis without persistence does. It must not hold real data: it is
a test fixture, removed when it stops.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from lookalike.demo.unbound import free_port
from lookalike.errors import LookalikeError

START_SECONDS = 20.0


def find_redis() -> Path | None:
    """Debian's ``redis-server``, or None."""
    found = shutil.which("redis-server")
    return Path(found) if found else None


class RedisServer:
    """A running ``redis-server``; ``url(db)`` is a URL for one of its numbered databases."""

    def __init__(self) -> None:
        self.port = 0
        self.directory = Path()
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        """Start the server (again, on the same port, when it was stopped)."""
        binary = find_redis()
        if binary is None:
            raise LookalikeError("Debian's redis-server is not installed (apt-get install redis-server)")
        if self.directory == Path():
            self.directory = Path(tempfile.mkdtemp(prefix="lookalike-redis-"))
        if not self.port:
            self.port = free_port()
        args = [
            str(binary),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--databases", "64",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + START_SECONDS
        while not self._answers():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                log = self.directory / "redis.log"
                tail = log.read_text("utf-8", "replace")[-1000:] if log.exists() else ""
                self.stop()
                raise LookalikeError(f"redis-server did not start on port {self.port}: {tail}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server at once (SIGKILL: everything it held is gone, as in a crash)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout=10)
