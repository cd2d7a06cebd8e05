"""`lookalike watch` as cron and systemd run it: real subprocesses against loopback CT logs of both
kinds (RFC 6962 and static-ct-api), zone files, and the loopback universe's DNS and registries.

Each run goes through the installed command line with the loopback guard in the child
(tests/guardsite). The logs are small and the universe is shared by the module: the tests are few.
"""

from __future__ import annotations

import json
import queue
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookalike.demo.background import in_background
from lookalike.demo.ct_server import CtLog, CtLogServer, TestCA
from lookalike.demo.universe import Universe, running
from lookalike.feeds.loglist import LogKind
from lookalike.store import Store
from tests.e2e.test_cli_scan import Cli
from tests.integration.test_watch import _zone

PLANTED = ("kestre1systems.com", "kestrelsystems-login.com")
"""Lookalikes of the universe's protected kestrelsystems.com that its DNS and registries know."""


@pytest.fixture(scope="module")
def universe() -> Iterator[Universe]:
    with running("now") as world:
        yield world


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture
def cli(tmp_path: Path, universe: Universe) -> Cli:
    universe.set_state("now")
    return Cli(tmp_path, universe)


def fill(log: CtLog, ca: TestCA, start: int, count: int) -> None:
    log.add(ca.issue([f"host{i}.example.net"]) for i in range(start, start + count))


def log_list(path: Path, servers: dict[str, CtLogServer]) -> Path:
    """A v3 log list (Chrome's format) naming the loopback logs, as `--log-list` reads it."""
    entries = {name: server.log_list_entry(name) for name, server in servers.items()}
    kinds = {name: server.ct.kind for name, server in servers.items()}
    operator = {
        "name": "lookalike tests",
        "logs": [e for n, e in entries.items() if kinds[n] is LogKind.RFC6962],
        "tiled_logs": [e for n, e in entries.items() if kinds[n] is LogKind.TILED],
    }
    path.write_text(json.dumps({"version": "1.0", "operators": [operator]}), encoding="utf-8")
    return path


def watch(cli: Cli, *args: str, db: str = "watch.db") -> list[str]:
    return ["watch", *args, "--config", str(cli.config), "--db", str(cli.tmp / db)]


def positions(db: Path) -> dict[str, int]:
    """Each feed's kept ``next`` entry, read from the store as a second process sees it."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        rows = conn.execute("SELECT name, position FROM feed_positions").fetchall()
    except sqlite3.OperationalError:  # not made yet
        return {}
    finally:
        conn.close()
    return {name: json.loads(position)["next"] for name, position in rows}


def observed(db: Path) -> Counter[str]:
    """How many finished scans hold each lookalike."""
    seen: Counter[str] = Counter()
    with Store.open(db) as store:
        for info in store.scans():
            if info.id is not None and info.finished is not None and not info.interrupted:
                seen.update({f.candidate.domain for f in store.load_scan(info.id).findings})
    return seen


def test_both_kinds_of_log_a_forked_head_and_cron_exit_codes(cli: Cli, ca: TestCA) -> None:
    logs = {"rfc": CtLog(LogKind.RFC6962), "tiled": CtLog(LogKind.TILED)}
    for log in logs.values():
        fill(log, ca, 0, 300)
    logs["rfc"].add([ca.issue(["login.kestre1systems.com"])])
    logs["tiled"].add([ca.issue(["kestrelsystems-login.com"], precert=True)])
    for log in logs.values():
        fill(log, ca, 400, 9)
        log.publish()
    with (
        in_background(lambda: CtLogServer(logs["rfc"])) as rfc,
        in_background(lambda: CtLogServer(logs["tiled"])) as tiled,
    ):
        listed = log_list(cli.tmp / "logs.json", {"rfc": rfc, "tiled": tiled})
        args = watch(cli, "ct", "--log-list", str(listed), "--once", "--fail-on", "new", "--batch", "100")

        first = cli.run(*args, "--since", "0")
        assert first.returncode == 1, first.stderr  # new lookalikes: cron hears of them
        (line,) = [x for x in first.stderr.splitlines() if x.startswith("pass 1:")]
        assert "ct: 620 entries from 2 of 2 logs, at the heads" in line
        assert "2 new: " in line and all(name in line for name in PLANTED)
        assert positions(cli.tmp / "watch.db") == {"ct:rfc": 310, "ct:tiled": 310}
        with Store.open(cli.tmp / "watch.db") as store:
            (scan,) = store.scans()
            assert scan.id is not None
            found = {f.candidate.domain: f for f in store.load_scan(scan.id).findings}
        sighting = found["kestre1systems.com"].candidate.sighting
        assert sighting is not None and sighting.source == "ct:rfc" and sighting.certificate is not None
        assert sighting.certificate.index == 300 and sighting.name == "login.kestre1systems.com"
        precert = found["kestrelsystems-login.com"].candidate.sighting
        assert precert is not None and precert.source == "ct:tiled" and precert.certificate is not None
        assert precert.certificate.precert

        # The tiled log signs a head over another tree of the same size: told, skipped, never trusted;
        # the other log goes on. Nothing new was found: exit 0.
        logs["tiled"].fork(20, ca.issue(["kestre1systems.com"]))
        fill(logs["rfc"], ca, 500, 5)
        logs["rfc"].publish()
        second = cli.run(*args)
        assert second.returncode == 0, second.stderr
        warnings = [x for x in second.stderr.splitlines() if x.startswith("lookalike: warning:")]
        assert len(warnings) == 1 and "ct:tiled" in warnings[0] and "never trusted" in warnings[0]
        assert "ct: 5 entries from 1 of 2 logs" in second.stderr
        assert positions(cli.tmp / "watch.db") == {"ct:rfc": 315, "ct:tiled": 310}


def _lines(stream: Iterator[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))


def _wait_for(lines: queue.Queue[str], fragment: str, timeout: float = 120) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            line = lines.get(timeout=max(0.0, end - time.monotonic()))
        except queue.Empty:
            break
        if fragment in line:
            return line
    pytest.fail(f"no line with {fragment!r} within {timeout} s")


def test_kill_9_then_a_restart_loses_and_repeats_nothing(cli: Cli, ca: TestCA) -> None:
    log = CtLog(LogKind.TILED)
    names = ["kestre1systems.com", "kestrelsystems-login.com", "kestrel-systems.com", "kestrelsystem.com"]
    for i, name in enumerate(names):
        fill(log, ca, i * 300, 299)
        log.add([ca.issue([name])])
    log.publish()
    size = log.head.size
    db = cli.tmp / "watch.db"
    with in_background(lambda: CtLogServer(log)) as server:
        listed = log_list(cli.tmp / "logs.json", {"tiled": server})
        args = watch(cli, "ct", "--log-list", str(listed), "--batch", "16", "--since", "0", "--poll", "1")
        with cli.start(*args) as first:
            try:
                deadline = time.monotonic() + 120
                while first.poll() is None and time.monotonic() < deadline:
                    if db.exists() and positions(db).get("ct:tiled", 0) > 0:
                        break
                    time.sleep(0.02)
            finally:
                first.send_signal(signal.SIGKILL)
        assert first.returncode == -signal.SIGKILL
        kept = positions(db)["ct:tiled"]
        assert 0 < kept <= size

        # A long-running watcher again: it reads from where the killed one stopped, scans what was
        # matched before and after, and stops cleanly on SIGTERM (as systemd stops it).
        with cli.start(*args) as again:
            lines: queue.Queue[str] = queue.Queue()
            assert again.stderr is not None
            threading.Thread(target=_lines, args=(again.stderr, lines), daemon=True).start()
            read = 0
            try:
                while True:  # the first pass may stop reading at its time limit: the next goes on at once
                    line = _wait_for(lines, "pass ")
                    read += int(line.split("ct: ", 1)[1].split(" entries", 1)[0].replace(",", ""))
                    if "at the heads" in line:
                        break
                again.send_signal(signal.SIGTERM)
                again.wait(60)
            finally:
                if again.poll() is None:
                    again.kill()
        cli.check_guard()
    assert again.returncode == 0
    assert read == size - kept  # none read twice
    assert positions(db) == {"ct:tiled": size}  # none lost
    seen = observed(db)
    assert {name: seen[name] for name in names} == dict.fromkeys(names, 1)  # each scanned once
    with Store.open(db) as store:
        assert store.pending_hits() == []


def test_watch_zone_once_and_scan_candidates(cli: Cli) -> None:
    noise = [f"shop{i}.com" for i in range(40)]
    previous = _zone(cli.tmp / "com-1.zone.gz", "com", [*noise, "kestrelsystem.com"])
    current = _zone(cli.tmp / "com-2.zone.gz", "com", [*noise, "kestre1systems.com"])
    args = watch(
        cli, "zone", "--zone", str(current), "--previous", str(previous), "--once", "--fail-on", "new"
    )
    first = cli.run(*args)
    assert first.returncode == 1, first.stderr
    assert "zone:com: 41 delegated, 1 appeared, 1 went; 2 matches" in first.stderr
    assert "kestre1systems.com (" in first.stderr  # new, at its level
    again = cli.run(*args)  # cron ran it twice: the same file is not read again
    assert again.returncode == 0, again.stderr
    assert "zone:com: already read; 0 matches" in again.stderr

    listed = cli.tmp / "new-names.txt"
    listed.write_text("plain.example\nlogin.kestrelsystems-login.com\n", encoding="utf-8")
    scan = cli.scan("--candidates", str(listed), "--json", "list.json")
    assert scan.returncode == 0, scan.stderr
    found = {
        (f["domain"], f["source"]) for f in json.loads((cli.tmp / "list.json").read_text("utf-8"))["findings"]
    }
    assert found == {
        ("kestrelsystems-login.com", "list:new-names.txt")
    }  # once per protected domain it imitates


def test_a_log_given_by_url_is_taken_from_the_list(cli: Cli, ca: TestCA) -> None:
    log = CtLog(LogKind.RFC6962)
    fill(log, ca, 0, 3)
    log.publish()
    with in_background(lambda: CtLogServer(log)) as server:
        listed = log_list(cli.tmp / "logs.json", {"one": server})
        proc = cli.run(
            *watch(cli, "ct", "--log-list", str(listed), "--log", server.url.rstrip("/"), "--once")
        )
    assert proc.returncode == 0, proc.stderr
    assert "ct: 0 entries from 1 of 1 logs, at the heads" in proc.stderr  # --since head: from now on
    assert positions(cli.tmp / "watch.db") == {"ct:one": 3}
