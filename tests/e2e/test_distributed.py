"""Distributed scans with real parts: ``lookalike scan --broker`` and ``lookalike worker`` processes
(the loopback guard in each), Debian's redis-server as the broker and PostgreSQL as the history,
against the loopback universe.

One Redis, one history schema and four workers serve the module: worker ``a`` reads the queues
``one`` and ``four``, workers ``b``-``d`` read ``four``; a test picks its workers by the queue it
sends to. Tests that kill or lose things start workers of their own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookalike.demo.postgres import PostgresCluster
from lookalike.demo.redis import RedisServer
from lookalike.demo.universe import Universe, running
from lookalike.errors import LookalikeError
from tests.e2e.test_cli_scan import Cli
from tests.fixtures.scale import Worker, most_in_window, start_worker


@pytest.fixture(scope="module")
def universe() -> Iterator[Universe]:
    with running("now") as world:
        yield world


@pytest.fixture(scope="module")
def history(postgres_cluster: PostgresCluster) -> str:
    """The workers' history: one schema for the module."""
    return postgres_cluster.create_schema()


@pytest.fixture(scope="module")
def broker(redis_server: RedisServer) -> str:
    return redis_server.url(63)


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory, broker: str, history: str) -> Iterator[list[Worker]]:
    tmp = tmp_path_factory.mktemp("workers")
    started = [start_worker(tmp, broker=broker, db=history, name="a", queues=("one", "four"))]
    started += [start_worker(tmp, broker=broker, db=history, name=n, queues=("four",)) for n in "bcd"]
    try:
        yield [w.ready() for w in started]
    finally:
        for worker in started:
            worker.stop()
        for worker in started:
            worker.check_guard()


@pytest.fixture
def cli(tmp_path: Path, universe: Universe) -> Cli:
    universe.set_state("now")
    return Cli(tmp_path, universe)


def essence(path: Path) -> dict[str, tuple[object, ...]]:
    """What a scan found, name by name, and its plan and counts: what must not depend on the workers."""
    doc = json.loads(path.read_text("utf-8"))
    found: dict[str, tuple[object, ...]] = {
        f["domain"]: (
            f["protected"],
            f["status"],
            f["mail_route"],
            f["level"],
            f["points"],
            tuple(f["reasons"]),
            (f.get("registration") or {}).get("registrar"),
        )
        for f in doc["findings"]
    }
    found["(plan)"] = tuple(item["domain"] for item in doc["plan"])
    found["(counts)"] = tuple(
        (p["domain"], p["generated"], p["exists"], p["absent"], p["unknown"])
        for p in doc["scan"]["protected"]
    )
    return found


def distributed(cli: Cli, db: str, broker: str, *args: str) -> list[str]:
    return ["scan", "--config", str(cli.config), "--db", db, "--broker", broker, "--quiet", *args]


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory, universe: Universe) -> Path:
    """A local scan of the universe (SQLite, one process): what every distributed scan must find."""
    tmp = tmp_path_factory.mktemp("local")
    universe.set_state("now")
    cli = Cli(tmp, universe)
    proc = cli.scan("--json", "local.json", "--smtp")
    assert proc.returncode == 0, proc.stderr
    return tmp / "local.json"


def test_one_and_four_workers_find_what_a_local_scan_finds(
    cli: Cli, local: Path, workers: list[Worker], history: str, broker: str
) -> None:
    one = cli.run(
        *distributed(
            cli, history, broker, "--queue", "one", "--unit-size", "400", "--smtp", "--json", "one.json"
        )
    )
    assert one.returncode == 0, one.stderr
    assert essence(cli.tmp / "one.json") == essence(local)
    four = cli.run(
        *distributed(
            cli, history, broker, "--queue", "four", "--unit-size", "150", "--smtp", "--json", "four.json"
        )
    )
    assert four.returncode == 0, four.stderr
    assert essence(cli.tmp / "four.json") == essence(local)
    assert all("succeeded" in w.text() for w in workers), "every worker ran units"
    # The second scan compares itself with the first as a local scan does: nothing changed.
    diff = cli.run("diff", "--db", history, "--format", "json")
    assert diff.returncode == 0, diff.stderr
    changes = json.loads(diff.stdout)
    assert changes["scan"]["previous_id"] is not None
    assert changes["changes"] == []


def _schema(url: str) -> str:
    return url.rsplit("%3D", 1)[1]


def _latest_scan(cluster: PostgresCluster, url: str) -> int:
    try:
        return int(cluster.sql(f'SELECT coalesce(max(id), 0) FROM "{_schema(url)}".scans').strip())
    except LookalikeError:
        return 0  # no tables yet


def _findings(cluster: PostgresCluster, url: str, scan_id: int) -> int:
    found = cluster.sql(f'SELECT count(*) FROM "{_schema(url)}".findings WHERE scan_id = {scan_id}')
    return int(found.strip() or 0)


def _slow_registry(cli: Cli, cluster: PostgresCluster, url: str, qps: float) -> None:
    """Registry lookups at ``qps`` per server, none of them cached: a unit that lasts seconds."""
    text = cli.config.read_text("utf-8").replace("registry_qps = 200", f"registry_qps = {qps}")
    cli.config.write_text(text, "utf-8")
    cluster.sql(f'DELETE FROM "{_schema(url)}".registrations')


def _wait_for_findings(cluster: PostgresCluster, url: str, at_least: int, *, after: int) -> int:
    """Wait until a scan newer than ``after`` has written ``at_least`` findings; how many it has."""
    deadline = time.monotonic() + 60
    while True:
        assert time.monotonic() < deadline, "no unit started writing"
        scan_id = _latest_scan(cluster, url)
        if scan_id > after and (found := _findings(cluster, url, scan_id)) >= at_least:
            return found
        time.sleep(0.1)


def test_four_workers_keep_one_registry_budget(  # noqa: PLR0917  (fixtures)
    cli: Cli, local: Path, workers: list[Worker], history: str, broker: str, postgres_cluster: PostgresCluster
) -> None:
    budget = 3
    _slow_registry(cli, postgres_cluster, history, budget)
    since = time.monotonic()
    proc = cli.run(
        *distributed(
            cli, history, broker, "--queue", "four", "--unit-size", "100", "--smtp", "--json", "p.json"
        )
    )
    assert proc.returncode == 0, proc.stderr
    assert essence(cli.tmp / "p.json") == essence(local)
    universe = cli.universe
    for server, times in (
        ("RDAP", [r.at for r in universe.rdap.requests if r.at >= since]),
        ("WHOIS", [q.at for q in universe.whois.queries if q.at >= since]),
    ):
        assert len(times) > budget, f"{server}: too few requests to test a budget"
        # No second with more than the budget (a 150 ms margin for the client's own scheduling);
        # four workers with budgets of their own would have sent up to four times as many.
        assert most_in_window(times, 1.0 - 0.15) <= budget, server


def test_a_worker_killed_mid_unit_loses_nothing_and_counts_nothing_twice(  # noqa: PLR0917  (fixtures)
    cli: Cli, local: Path, tmp_path: Path, history: str, broker: str, postgres_cluster: PostgresCluster
) -> None:
    victim = start_worker(tmp_path, broker=broker, db=history, name="victim", queues=("kill",)).ready()
    _slow_registry(cli, postgres_cluster, history, 2)
    before = _latest_scan(postgres_cluster, history)
    proc = cli.start(*distributed(cli, history, broker, "--queue", "kill", "--smtp", "--json", "killed.json"))
    written = _wait_for_findings(postgres_cluster, history, 3, after=before)
    victim.kill()  # kill -9, the worker and its pool: the unit it held is neither finished nor acknowledged
    whole = len(json.loads(local.read_text("utf-8"))["findings"])
    assert written < whole, "the unit was finished before the kill"
    assert "succeeded" not in victim.text()
    rescuer = start_worker(tmp_path, broker=broker, db=history, name="rescuer", queues=("kill",))
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        rescuer.stop()
    cli.check_guard()
    victim.check_guard()
    rescuer.check_guard()
    assert proc.returncode == 0, err
    assert "succeeded" in rescuer.text()
    assert essence(cli.tmp / "killed.json") == essence(local)  # the same findings and the same counts
    schema = _schema(history)
    scan = f'(SELECT max(id) FROM "{schema}".scans)'
    twice = postgres_cluster.sql(
        f'SELECT count(*) FROM (SELECT domain, protected FROM "{schema}".findings WHERE scan_id = {scan}'
        " GROUP BY domain, protected HAVING count(*) > 1) AS d"
    )
    assert int(twice) == 0
    stored_absent = postgres_cluster.sql(
        f'SELECT sum(count) FROM "{schema}".absent_chunks WHERE scan_id = {scan}'
    )
    counts = json.loads((cli.tmp / "killed.json").read_text("utf-8"))["scan"]["protected"]
    assert int(stored_absent) == sum(p["absent"] for p in counts)


def test_a_broker_that_goes_away_is_one_line_and_resume_finishes(
    cli: Cli, local: Path, tmp_path: Path, history: str, postgres_cluster: PostgresCluster
) -> None:
    with RedisServer() as lost:
        worker = start_worker(tmp_path, broker=lost.url(), db=history, name="lonely").ready()
        try:
            _slow_registry(cli, postgres_cluster, history, 2)
            base = distributed(cli, history, lost.url(), "--smtp", "--unit-size", "1000")
            before = _latest_scan(postgres_cluster, history)
            proc = cli.start(*base)
            _wait_for_findings(postgres_cluster, history, 3, after=before)
            lost.stop()  # gone, and everything it held with it (no persistence)
            _, err = proc.communicate(timeout=120)
            cli.check_guard()
            assert proc.returncode == 2, err
            assert err.count("\n") == 1, err
            assert f"lookalike: error: lost the broker at {lost.url()} (" in err
            assert "`--resume` finishes a scan" in err
            lost.start()  # back, empty: the worker reconnects
            resumed = cli.run(*base, "--resume", "--json", "resumed.json", timeout=180)
            assert resumed.returncode == 0, resumed.stderr
        finally:
            worker.stop()
        worker.check_guard()
    assert essence(cli.tmp / "resumed.json") == essence(local)


def test_a_database_that_goes_away_is_one_line_and_resume_finishes(  # noqa: PLR0917  (fixtures)
    cli: Cli, local: Path, workers: list[Worker], history: str, broker: str, postgres_cluster: PostgresCluster
) -> None:
    _slow_registry(cli, postgres_cluster, history, 2)
    base = distributed(cli, history, broker, "--queue", "four", "--smtp", "--unit-size", "300")
    before = _latest_scan(postgres_cluster, history)
    proc = cli.start(*base)
    _wait_for_findings(postgres_cluster, history, 3, after=before)
    postgres_cluster.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'lookalike pid %'"
    )
    _, err = proc.communicate(timeout=120)
    cli.check_guard()
    assert proc.returncode == 2, err
    assert err.count("\n") == 1, err
    assert err.startswith("lookalike: error: ")
    assert f"lost the connection to {history} (" in err
    resumed = cli.run(*base, "--resume", "--json", "resumed.json", timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    assert essence(cli.tmp / "resumed.json") == essence(local)
