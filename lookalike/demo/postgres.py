"""Debian's PostgreSQL as a throwaway cluster: ``initdb`` and ``pg_ctl`` in a temporary directory,
listening on 127.0.0.1 at a free port with its unix sockets in that directory. Used by the store's
tests and the store benchmark, like ``unbound.py`` is by the DNS ones.

``initdb`` refuses to run as root, and CI runs as root: then the cluster runs as ``nobody`` (through
``setpriv``) in a directory given to it. Connections are trusted (no password) and come only from
loopback. ``durable=False`` turns fsync off for speed (tests); the benchmark keeps the defaults.
It must not hold real data: it is a test fixture, removed when it stops.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from lookalike.demo.unbound import free_port
from lookalike.errors import LookalikeError

START_SECONDS = 60
USER = "lookalike"
"""The cluster's superuser, and the user of every URL it hands out."""


def find_postgres() -> Path | None:
    """The ``bin`` directory of the newest PostgreSQL Debian installed, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """A running cluster; ``url(name)`` is a URL for one of its databases, ``create_database`` a new one."""

    def __init__(self, *, durable: bool = True) -> None:
        self.durable = durable
        self.port = 0
        self.directory = Path()
        self._bin = Path()
        self._as: list[str] = []
        self._names = itertools.count(1)

    def __enter__(self) -> PostgresCluster:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        bindir = find_postgres()
        if bindir is None:
            raise LookalikeError("Debian's postgresql is not installed (apt-get install postgresql)")
        self._bin = bindir
        self.directory = Path(tempfile.mkdtemp(prefix="lookalike-pg-"))
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.directory, nobody.pw_uid, nobody.pw_gid)
            self._as = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
        data = self.directory / "data"
        initdb = ("-D", str(data), "-U", USER, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
        self._run("initdb", *initdb)
        self.port = free_port()
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.directory),
            "max_connections": "40",
            "shared_buffers": "128MB",
        }
        if not self.durable:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.writelines(f"{key} = '{value}'\n" for key, value in settings.items())
        self._run(
            "pg_ctl",
            "-D",
            str(data),
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "-t",
            str(START_SECONDS),
            "start",
        )

    def stop(self) -> None:
        """Stop the server at once (its data is thrown away) and remove the directory."""
        if self.directory == Path():
            return
        with contextlib.suppress(LookalikeError):
            self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = Path()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "lookalike") -> str:
        """A new, empty database; its URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def create_schema(self, prefix: str = "lookalike") -> str:
        """A new, empty schema in the ``postgres`` database (much quicker than a database); a URL
        whose ``search_path`` is that schema."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        self.sql(f'CREATE SCHEMA "{name}"')
        return f"{self.url()}?options=-csearch_path%3D{name}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement as the superuser (through ``psql``); its output, unaligned."""
        return self._run(
            "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url(database), "-c", statement
        )

    def _run(self, program: str, *args: str) -> str:
        done = subprocess.run(
            [*self._as, str(self._bin / program), *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.directory,
            timeout=START_SECONDS * 2,
        )
        if done.returncode != 0:
            log = self.directory / "server.log"
            tail = log.read_text("utf-8", "replace")[-2000:] if log.exists() else ""
            raise LookalikeError(
                f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]} {tail}"
            )
        return done.stdout
