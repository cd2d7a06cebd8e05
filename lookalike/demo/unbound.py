"""Debian's unbound serving the demo's (or a test's) zone files on a loopback port, started and stopped
by PID. Used by the end-to-end tests and the DNS benchmark; the same zone files ``DnsServer`` serves.

The configuration makes unbound answer *only* from local data and never send a packet anywhere:

* every zone file is an ``auth-zone`` with ``for-downstream: yes`` (answered to clients directly) and
  ``for-upstream: no`` (never a starting point for recursion), ``fallback-enabled: no``;
* ``local-zone: "." static`` answers NXDOMAIN for every name outside the loaded zones, and each loaded
  zone is ``transparent`` so its questions reach the auth-zone;
* ``module-config: "iterator"`` (no validator, so no trust-anchor fetches), and
  ``do-not-query-address`` covering all of IPv4 and IPv6 plus ``outgoing-interface: 127.0.0.1``: even
  a query that reached the iterator could not leave. ``total.num.recursivereplies`` stays 0
  (``Unbound.stats()``), which the end-to-end test checks.

It runs as the current user without chroot, with its pid file, log, control socket and zone copies
in ``work_dir``. It must not be pointed at real zone data for production use: it is a test fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import dns.asyncquery
import dns.exception
import dns.message
import dns.query
import dns.zone

from lookalike.demo.dns_server import load_zones
from lookalike.endpoints import HostPort
from lookalike.errors import LookalikeError

START_SECONDS = 10.0
STOP_SECONDS = 5.0
_CANDIDATES = ("unbound", "/usr/sbin/unbound", "/usr/local/sbin/unbound")
_CONTROL_CANDIDATES = ("unbound-control", "/usr/sbin/unbound-control", "/usr/local/sbin/unbound-control")


def find_unbound() -> str | None:
    """The path of the unbound binary, or None when it is not installed."""
    return _find(_CANDIDATES)


def _find(candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free for both UDP and TCP on ``host`` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port: int = udp.getsockname()[1]
            with socket.socket(family, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
                return port
    raise LookalikeError(f"found no free port on {host}")


class Unbound:
    """unbound on ``host:port`` (port 0: a free one) serving every ``*.zone`` file in ``zone_dir``.

    A context manager, sync or async. ``extra`` is added to the ``server:`` clause verbatim.
    """

    def __init__(
        self,
        zone_dir: Path,
        work_dir: Path,
        *,
        port: int = 0,
        extra: str = "",
        host: str = "127.0.0.1",
        threads: int = 2,
    ) -> None:
        self.zone_dir = zone_dir
        self.work_dir = work_dir
        self.host = host
        self.threads = threads
        self.extra = extra
        self._port = port
        self.address = HostPort(host, port)
        self.config_path = work_dir / "unbound.conf"
        self.log_path = work_dir / "unbound.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._probe_name = "."

    @property
    def pid(self) -> int | None:
        """The unbound process's id while it runs."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    # -- configuration -----------------------------------------------------------------------------

    def _write_zones(self) -> list[tuple[str, Path]]:
        zones = load_zones(self.zone_dir)
        target = self.work_dir / "zones"
        target.mkdir(parents=True, exist_ok=True)
        written: list[tuple[str, Path]] = []
        for zone in zones:
            assert zone.origin is not None
            origin = zone.origin.to_text()
            path = target / ("root.zone" if origin == "." else f"{origin}zone")
            # Absolute names: unbound and DnsServer then read exactly the same records.
            zone.to_file(str(path), relativize=False)
            written.append((origin, path))
        self._probe_name = written[0][0]
        return written

    def config_text(self, zones: list[tuple[str, Path]], port: int) -> str:
        """The unbound.conf for ``zones`` ((origin, path) pairs) on ``port``."""
        work = self.work_dir
        ipv6 = ":" in self.host
        lines = [
            "server:",
            "  verbosity: 1",
            f"  interface: {self.host}@{port}",
            f"  port: {port}",
            f"  do-ip4: {'no' if ipv6 else 'yes'}",
            f"  do-ip6: {'yes' if ipv6 else 'no'}",
            "  do-udp: yes",
            "  do-tcp: yes",
            "  access-control: 127.0.0.0/8 allow",
            "  access-control: ::1/128 allow",
            '  username: ""',
            '  chroot: ""',
            f'  directory: "{work}"',
            f'  pidfile: "{work / "unbound.pid"}"',
            f'  logfile: "{self.log_path}"',
            "  use-syslog: no",
            "  log-time-ascii: yes",
            f"  num-threads: {self.threads}",
            "  so-rcvbuf: 4m",
            "  so-sndbuf: 4m",
            "  so-reuseport: yes",
            "  msg-cache-size: 64m",
            "  rrset-cache-size: 128m",
            "  num-queries-per-thread: 4096",
            "  minimal-responses: yes",
            "  prefetch: no",
            "  qname-minimisation: no",
            "  statistics-cumulative: yes",
            "  extended-statistics: yes",
            # Never recurse, never send a packet: answers come from the zone files or nowhere.
            '  module-config: "iterator"',
            "  do-not-query-localhost: yes",
            "  do-not-query-address: 0.0.0.0/0",
            "  do-not-query-address: ::/0",
            f"  outgoing-interface: {'::1' if ipv6 else '127.0.0.1'}",
            "  trust-anchor-signaling: no",
            "  root-key-sentinel: no",
            '  local-zone: "." static',
        ]
        lines += [f'  local-zone: "{origin}" transparent' for origin, _ in zones if origin != "."]
        lines += [f"  {line.strip()}" for line in self.extra.splitlines() if line.strip()]
        for origin, path in zones:
            lines += [
                "auth-zone:",
                f'  name: "{origin}"',
                f'  zonefile: "{path}"',
                "  for-downstream: yes",
                "  for-upstream: no",
                "  fallback-enabled: no",
            ]
        lines += [
            "remote-control:",
            "  control-enable: yes",
            f'  control-interface: "{work / "control.sock"}"',
            "  control-use-cert: no",
        ]
        return "\n".join(lines) + "\n"

    # -- process -----------------------------------------------------------------------------------

    def _launch(self) -> int:
        binary = find_unbound()
        if binary is None:
            raise LookalikeError("unbound is not installed (apt-get install unbound)")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        zones = self._write_zones()
        port = self._port or free_port(self.host)
        self.config_path.write_text(self.config_text(zones, port))
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [binary, "-d", "-c", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C meant for us does not kill it before we stop it
        )
        self.address = HostPort(self.host, port)
        return port

    def _died(self) -> LookalikeError:
        tail = ""
        with contextlib.suppress(OSError):
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1]
        self._cleanup()
        return LookalikeError(f"unbound did not start: {tail or 'see ' + str(self.log_path)}")

    def _probe(self) -> dns.message.Message:
        return dns.message.make_query(self._probe_name, "SOA")

    def start(self) -> HostPort:
        """Start unbound and wait until it answers. Raises ``LookalikeError`` when it cannot."""
        for attempt in range(3):
            self._launch()
            deadline = time.monotonic() + START_SECONDS
            while time.monotonic() < deadline:
                if self._process is None or self._process.poll() is not None:
                    break
                try:
                    dns.query.udp(self._probe(), self.host, port=self.address.port, timeout=0.2)
                except (dns.exception.DNSException, OSError):
                    time.sleep(0.02)
                    continue
                return self.address
            error = self._died() if self._process is None or self._process.poll() is not None else None
            self.stop()
            if error is not None and (self._port or attempt == 2):
                raise error
        raise LookalikeError(f"unbound did not answer on {self.address} within {START_SECONDS:.0f} s")

    def stop(self) -> None:
        """Stop unbound by its PID: SIGTERM, then SIGKILL if it lingers."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_SECONDS)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(STOP_SECONDS)
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    async def astart(self) -> HostPort:
        """``start`` without blocking the event loop while unbound comes up."""
        for attempt in range(3):
            self._launch()
            deadline = time.monotonic() + START_SECONDS
            while time.monotonic() < deadline:
                if self._process is None or self._process.poll() is not None:
                    break
                try:
                    await dns.asyncquery.udp(self._probe(), self.host, port=self.address.port, timeout=0.2)
                except (dns.exception.DNSException, OSError):
                    await asyncio.sleep(0.02)
                    continue
                return self.address
            error = self._died() if self._process is None or self._process.poll() is not None else None
            await self.astop()
            if error is not None and (self._port or attempt == 2):
                raise error
        raise LookalikeError(f"unbound did not answer on {self.address} within {START_SECONDS:.0f} s")

    async def astop(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            deadline = time.monotonic() + STOP_SECONDS
            while process.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        self._cleanup()

    def stats(self) -> dict[str, float]:
        """unbound's counters (``unbound-control stats_noreset``): ``total.num.queries`` and so on."""
        control = _find(_CONTROL_CANDIDATES)
        if control is None:
            raise LookalikeError("unbound-control is not installed")
        result = subprocess.run(
            [control, "-c", str(self.config_path), "stats_noreset"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if result.returncode != 0:
            raise LookalikeError(f"unbound-control failed: {(result.stderr or result.stdout).strip()}")
        stats: dict[str, float] = {}
        for line in result.stdout.splitlines():
            key, _, value = line.partition("=")
            with contextlib.suppress(ValueError):
                stats[key.strip()] = float(value)
        return stats

    def __enter__(self) -> Unbound:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Unbound:
        await self.astart()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.astop()
