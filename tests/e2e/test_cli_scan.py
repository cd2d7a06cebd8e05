"""`lookalike scan` as cron runs it: a real subprocess against the loopback universe.

Each run goes through the installed command line with the loopback guard installed in the child
(tests/guardsite), and every test checks that the child never tried to leave the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from lookalike.demo.background import in_background
from lookalike.demo.dns_server import DnsServer, Fault
from lookalike.demo.postgres import PostgresCluster
from lookalike.demo.universe import Universe, running, zones
from lookalike.endpoints import HostPort
from lookalike.errors import LookalikeError
from tests.fixtures.store import WebhookServer

ROOT = Path(__file__).resolve().parents[2]
GUARD_SITE = ROOT / "tests" / "guardsite"
# Techniques that produce every lookalike of the universe the tests look at, and few others.
QUICK = ("tld-typo", "omission", "repetition", "keyword", "homoglyph", "tld-swap")


@pytest.fixture(scope="module")
def universe() -> Iterator[Universe]:
    with running("now") as world:
        yield world


@pytest.fixture(scope="module")
def slow_dns(universe: Universe) -> Iterator[HostPort]:
    """The universe's zones behind a server that holds every answer 50 ms: a scan that takes long
    enough to be interrupted, whatever the machine's speed."""
    with in_background(lambda: DnsServer(zones("now"), {"*.": Fault("slow", seconds=0.05)})) as server:
        yield server.address


@pytest.fixture
def world(universe: Universe) -> Universe:
    """The shared universe, reset to today's state for each test."""
    universe.set_state("now")
    return universe


class Cli:
    """Runs ``python -m lookalike`` with the guard, and checks the guard's log after each run."""

    def __init__(self, tmp: Path, universe: Universe) -> None:
        self.tmp = tmp
        self.universe = universe
        self.guard_log = tmp / "netguard.log"
        self.config = tmp / "lookalike.toml"
        self.write_config()

    def write_config(self, *, webhook: str = "") -> None:
        u = self.universe
        whois = ", ".join(f'{tld} = "{u.whois.address}"' for tld in u.whois_tlds)
        self.config.write_text(
            f"""
[scan]
resolvers = ["{u.dns.address}"]
techniques = {json.dumps(list(QUICK))}
allow_private = true
plan_top = 3

[endpoints]
rdap_bootstrap = "{u.bootstrap}"
whois_iana = ""
whois_servers = {{ {whois} }}
smtp_port = {u.smtp.port}
http_port = {u.web.http_port}
https_port = {u.web.https_port}

[limits]
concurrency = 48
timeout = 1.0
retries = 1
registry_qps = 200
registry_per_server = 4
probe_timeout = 3.0

{f'[alerts]{chr(10)}webhook = "{webhook}"{chr(10)}min_level = "info"' if webhook else ""}

[[domains]]
name = "kestrelsystems.com"
owned = ["kestrelsytems.com"]

[[domains]]
name = "kestrel.mil"
""",
            encoding="utf-8",
        )

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(GUARD_SITE), str(ROOT), env.get("PYTHONPATH", "")])
        env["LOOKALIKE_NETGUARD_LOG"] = str(self.guard_log)
        env["LOOKALIKE_DATA_DIR"] = str(self.tmp / "data")  # never a user's refreshed copy
        env["COLUMNS"] = "200"
        return env

    def command(self, args: Sequence[str]) -> list[str]:
        return [sys.executable, "-m", "lookalike", *args]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self.command(args),
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
            cwd=self.tmp,
        )
        self.check_guard()
        return proc

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
            cwd=self.tmp,
        )

    def check_guard(self) -> None:
        if self.guard_log.exists():
            pytest.fail(f"the CLI tried to leave the machine: {self.guard_log.read_text()}")

    def scan(self, *args: str, db: str = "history.db") -> subprocess.CompletedProcess[str]:
        return self.run("scan", "--config", str(self.config), "--db", str(self.tmp / db), "--quiet", *args)


@pytest.fixture
def cli(tmp_path: Path, world: Universe) -> Cli:
    return Cli(tmp_path, world)


def findings(path: Path) -> dict[str, dict[str, object]]:
    return {f["domain"]: f for f in json.loads(path.read_text("utf-8"))["findings"]}


def test_a_scan_writes_every_document(cli: Cli) -> None:
    proc = cli.scan(
        "--smtp", "--http", "--json", "scan.json", "--csv", "scan.csv", "--report", "scan.html"
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((cli.tmp / "scan.json").read_text("utf-8"))
    assert doc["schema_version"] == 1
    found = {f["domain"]: f for f in doc["findings"]}
    ml = found["kestrel.ml"]
    assert ml["status"] == "exists"
    assert ml["mail_route"] == "mx"
    assert ml["mx"] == ["mx.kestrel.ml"]
    assert ml["smtp"]["accepts_any_recipient"] is True
    assert ml["registration"]["source"] == "whois"
    assert ml["level"] == "critical"
    assert found["kestrelsystems.net"]["status"] == "unknown"  # SERVFAIL is never "not registered"
    assert found["kestrelsystems.net"]["detail"]
    assert "kesrelsystems.com" not in found  # absent names are counted, not listed
    details = dict(doc["scan"]["settings"])
    assert details["concurrency"] == "48 (ceiling of an adaptive window)"
    assert details["DNS window"].startswith(f"{cli.universe.dns.address}: settled at ")
    assert details["DNS queries"].endswith("over TCP")
    csv_text = (cli.tmp / "scan.csv").read_text("utf-8")
    assert csv_text.startswith("domain,unicode,protected")
    html = (cli.tmp / "scan.html").read_text("utf-8")
    assert "DNS window" in html  # the scan details show where the window settled
    assert "Content-Security-Policy" in html
    assert "\\u003cscript\\u003ealert(document.domain)" in html  # the hostile registrant, as inert data
    assert "<script>alert(document.domain)" not in html


def test_fail_on_new_tells_cron_what_changed(cli: Cli) -> None:
    first = cli.scan("--fail-on", "new")
    assert first.returncode == 1, first.stderr  # the first scan: every lookalike is new
    again = cli.scan("--fail-on", "new", "--fixed-window", "--json", "again.json")
    assert again.returncode == 0, again.stderr  # nothing new since (the window is not a setting that counts)
    details = dict(json.loads((cli.tmp / "again.json").read_text("utf-8"))["scan"]["settings"])
    assert details["DNS window"] == f"{cli.universe.dns.address}: fixed at 48"
    high = cli.scan("--fail-on", "high")
    assert high.returncode == 1  # but there are high findings, every day until triaged


class _Webhook:
    """A loopback webhook receiver for a background loop."""

    def __init__(self) -> None:
        self.hook = WebhookServer()

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[WebhookServer]:
        server = await asyncio.start_server(self.hook.handle, "127.0.0.1", 0)
        self.hook.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
        async with server:
            yield self.hook


def test_changes_are_diffed_confirmed_alerted_and_flaps_suppressed(cli: Cli, world: Universe) -> None:
    receiver = _Webhook()
    with in_background(receiver.serve) as hook:
        cli.write_config(webhook=hook.url)

        world.set_state("previous")
        assert cli.scan("--smtp", "--fail-on", "new").returncode == 1  # week 1: everything is new
        hook.requests.clear()

        world.set_state("now")
        week2 = cli.scan("--smtp", "--fail-on", "new", "--json", "week2.json")
        assert week2.returncode == 1, week2.stderr
        payload = hook.requests[-1].json()
        kinds = {(c["kind"], c["domain"]) for c in payload["changes"]}
        assert ("new", "kestrelsystems-login.com") in kinds  # a name registered
        assert ("gone", "kestrelsystemss.com") in kinds  # a name dropped
        changed = {
            c["domain"]: c["what"] for c in payload["changes"] if c["kind"] in ("changed", "escalated")
        }
        assert "MX added: mx.kestrelsystem.com" in changed["kestrelsystem.com"]  # an MX added
        assert "catch-all started" in " ".join(changed["kestre1systems.com"])
        assert payload["report"].endswith(".html")
        assert "kestrelsystems-login.com" in payload["text"]

        world.set_state("previous")
        cli.scan("--smtp")  # week 3: the new name vanishes again ...
        world.set_state("now")
        hook.requests.clear()
        week4 = cli.scan("--smtp", "--fail-on", "new")  # ... and is back: a flapping name, not news
        assert week4.returncode == 0, week4.stderr
        payload = hook.requests[-1].json()  # the login page and catch-all are back: that is news
        assert ("escalated", "kestre1systems.com") in {(c["kind"], c["domain"]) for c in payload["changes"]}
        assert not [c for c in payload["changes"] if c["kind"] in ("new", "gone")]
        assert {"kestrelsystems-login.com", "kestrelsystemss.com"} <= set(payload["suppressed"])


def test_changes_compare_scans_of_the_same_settings(cli: Cli) -> None:
    assert cli.scan("--fail-on", "new").returncode == 1  # the first scan: everything is new
    assert cli.scan("--technique", "tld-typo").returncode == 0  # another choice of techniques ...
    again = cli.scan("--fail-on", "new")  # ... is not what this one is compared with
    assert again.returncode == 0, again.stderr


def test_a_dead_resolver_is_one_line_and_exit_2(cli: Cli) -> None:
    proc = cli.run("scan", "kestrel.mil", "--resolver", "127.0.0.1:9", "--no-store", "--timeout", "0.3")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "no resolver answered" in proc.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["scan", "bad..name.com", "--no-store"], "empty label"),
        (["scan", "kestrel.notatld", "--no-store"], "not a top-level domain"),
        (["scan", "1.2.3.4", "--no-store"], "IP address"),
        (["scan", "kestrel.mil", "--resolver", "dns.example", "--no-store"], "IP address"),
        (["scan", "kestrel.mil", "--fail-on", "sometimes", "--no-store"], "--fail-on"),
        (["scan", "--config", "missing.toml"], "cannot read the config file"),
        (["scan", "--file", "empty.txt", "--no-store"], "holds no domain names"),
        (["scan", "kestrel.mil", "--technique", "teleport", "--no-store"], "unknown technique"),
        (["scan", "kestrel.mil", "--keyboard", "dvorak", "--no-store"], "unknown keyboard"),
        (["lookup", "not a name"], "not a domain name"),
        (["report", "missing.json"], "missing.json"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli: Cli, args: list[str], fragment: str) -> None:
    (cli.tmp / "empty.txt").write_text("# nothing\n", encoding="utf-8")
    proc = cli.run(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert fragment in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_ctrl_c_keeps_what_was_found(cli: Cli, slow_dns: HostPort) -> None:
    proc = cli.start(
        "scan", "--config", str(cli.config), "--resolver", str(slow_dns), "--technique", "diacritic",
        "--no-store", "--json", "partial.json", "--quiet",
    )  # fmt: skip
    time.sleep(2.5)  # the whole scan would take about a minute
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    cli.check_guard()
    assert proc.returncode == 130, err
    doc = json.loads((cli.tmp / "partial.json").read_text("utf-8"))
    assert doc["scan"]["interrupted"] is True
    summary = doc["scan"]["protected"]
    assert sum(p["exists"] + p["absent"] + p["unknown"] for p in summary) > 0
    for p in summary:  # the counts describe exactly what was written, interrupted or not
        written = [f for f in doc["findings"] if f["protected"] == p["domain"]]
        assert p["exists"] + p["unknown"] == len(written)


def test_a_killed_scan_resumes_to_the_same_result(cli: Cli, slow_dns: HostPort) -> None:
    many = ("--technique", "diacritic", "--technique", "tld-typo", "--technique", "omission")
    whole = cli.scan(*many, "--json", "whole.json", db="whole.db")
    assert whole.returncode == 0, whole.stderr

    # The same zones, answered slowly, so the kill lands mid-scan; the resume uses the fast server.
    db = cli.tmp / "killed.db"
    proc = cli.start(
        "scan", "--config", str(cli.config), "--db", str(db), "--quiet", "--resolver", str(slow_dns), *many
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until some findings are stored, then kill -9
        time.sleep(0.2)
        if db.exists() and _stored_findings(db) >= 3:
            break
    proc.kill()
    proc.communicate(timeout=30)
    resumed = cli.scan(*many, "--resume", "--json", "resumed.json", db="killed.db")
    assert resumed.returncode == 0, resumed.stderr

    def essence(path: Path) -> dict[str, tuple[object, ...]]:
        return {
            name: (f["status"], f["mail_route"], f["level"], tuple(f["mx"]))  # type: ignore[arg-type]
            for name, f in findings(path).items()
        }

    assert essence(cli.tmp / "resumed.json") == essence(cli.tmp / "whole.json")
    doc = json.loads((cli.tmp / "resumed.json").read_text("utf-8"))
    whole_doc = json.loads((cli.tmp / "whole.json").read_text("utf-8"))
    assert doc["scan"]["protected"] == whole_doc["scan"]["protected"]
    assert [p["domain"] for p in doc["plan"]] == [p["domain"] for p in whole_doc["plan"]]
    assert [f["domain"] for f in doc["findings"]] == [f["domain"] for f in whole_doc["findings"]]


def _stored_findings(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM findings").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("route", ["the same path", "a symlink"])
def test_two_scans_on_one_database(cli: Cli, slow_dns: HostPort, route: str) -> None:
    db = cli.tmp / "shared.db"
    args = ("scan", "--config", str(cli.config), "--quiet")
    first = cli.start(*args, "--db", str(db), "--resolver", str(slow_dns))  # slow: still scanning
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _stored_findings(db) < 1:
        time.sleep(0.2)
    other = db
    if route == "a symlink":
        other = cli.tmp / "elsewhere" / "alias.db"
        other.parent.mkdir()
        other.symlink_to(db)
    second = cli.run(*args, "--db", str(other))
    assert second.returncode == 2, second.stderr
    assert f"another scan (pid {first.pid}) is using {other}" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    first.send_signal(signal.SIGINT)
    _, first_err = first.communicate(timeout=60)
    assert first.returncode == 130, first_err
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_lookup_shows_one_name(cli: Cli) -> None:
    proc = cli.run(
        "lookup",
        "https://kestrel.ml/login",
        "--config",
        str(cli.config),
        "--smtp",
        "--http",
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert rec["domain"] == "kestrel.ml"
    assert rec["registration"]["registrar"] == "Sahel Names SARL"
    assert rec["smtp"]["accepts_any_recipient"] is True
    text = cli.run(
        "lookup", "kestrelsystems.om", "--config", str(cli.config), "--protected", "kestrelsystems.com"
    )
    assert text.returncode == 0, text.stderr
    assert "null-mx" in text.stdout


def test_init_writes_an_example_once(cli: Cli) -> None:
    target = cli.tmp / "new.toml"
    assert cli.run("init", str(target)).returncode == 0
    assert "[[domains]]" in target.read_text("utf-8")
    again = cli.run("init", str(target))
    assert again.returncode == 2
    assert "--force" in again.stderr


def test_report_rerenders_a_scan_json(cli: Cli) -> None:
    assert cli.scan("--json", "scan.json").returncode == 0
    proc = cli.run("report", "scan.json", "--output", "again.html")
    assert proc.returncode == 0, proc.stderr
    html = (cli.tmp / "again.html").read_text("utf-8")
    assert "kestrel.ml" in html
    plan = json.loads((cli.tmp / "scan.json").read_text("utf-8"))["plan"]
    assert plan, "the scan confirmed no plan"
    assert plan[0]["domain"] in html  # the plan survives the round trip through the JSON


def test_a_damaged_history_costs_its_rows_not_the_scan(cli: Cli) -> None:
    assert cli.scan().returncode == 0
    db = cli.tmp / "history.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE findings SET score = 'not json' WHERE domain = 'kestrel.ml'")
        conn.execute("UPDATE triage SET state = 'evil'")  # none yet: harmless
    again = cli.scan("--json", "again.json")
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert f"lookalike: warning: {db}: scan 1, finding" in again.stderr
    assert "('kestrel.ml'): score is not JSON" in again.stderr
    assert "kestrel.ml" in findings(cli.tmp / "again.json"), "today's scan is whole"

    data = bytearray(db.read_bytes())  # now break a page of the file's structure
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (page,) = conn.execute("SELECT MAX(pageno) FROM dbstat WHERE name = 'findings'").fetchone()
    data = bytearray(db.read_bytes())
    data[(page - 1) * 8192 : (page - 1) * 8192 + 8] = b"\xff" * 8
    db.write_bytes(bytes(data))
    broken = cli.scan()
    assert broken.returncode == 2, broken.stderr
    assert broken.stderr.count("\n") == 1, broken.stderr
    assert f"lookalike: error: {db} is damaged" in broken.stderr


def _postgres_findings(cluster: PostgresCluster, url: str) -> int:
    schema = url.rsplit("%3D", 1)[1]
    try:
        return int(cluster.sql(f'SELECT count(*) FROM "{schema}".findings').strip() or 0)
    except LookalikeError:
        return 0  # not created yet


def test_history_in_postgresql_works_like_sqlite(cli: Cli, postgres_cluster: PostgresCluster) -> None:
    url = postgres_cluster.create_schema()
    base = ("scan", "--config", str(cli.config), "--db", url, "--quiet")
    first = cli.run(*base, "--fail-on", "new", "--json", "pg.json")
    assert first.returncode == 1, first.stderr  # the first scan: everything is new
    local = cli.scan("--json", "sqlite.json")
    assert local.returncode == 0, local.stderr
    assert findings(cli.tmp / "pg.json") == findings(cli.tmp / "sqlite.json")
    report = cli.run("report", "--db", url, "--format", "json", "-o", "-")
    assert report.returncode == 0, report.stderr
    assert {f["domain"] for f in json.loads(report.stdout)["findings"]} == set(findings(cli.tmp / "pg.json"))
    # history, diff, triage and prune on both back ends: tests/integration/test_store_cli.py


def test_a_database_that_goes_away_mid_scan_is_one_line_and_resume_finishes(
    cli: Cli, slow_dns: HostPort, postgres_cluster: PostgresCluster
) -> None:
    many = ("--technique", "diacritic", "--technique", "tld-typo", "--technique", "omission")
    whole = cli.scan(*many, "--json", "whole.json", db="whole.db")
    assert whole.returncode == 0, whole.stderr
    url = postgres_cluster.create_schema()
    base = ("scan", "--config", str(cli.config), "--db", url, "--quiet", *many)
    proc = cli.start(*base, "--resolver", str(slow_dns))  # slow: the server goes while it scans
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _postgres_findings(postgres_cluster, url) < 3:
        time.sleep(0.2)
    postgres_cluster.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'lookalike pid %'"
    )
    _, err = proc.communicate(timeout=60)
    cli.check_guard()
    assert proc.returncode == 2, err
    assert err.count("\n") == 1, err
    assert f"lookalike: error: lost the connection to {url} (" in err
    assert "`--resume` finishes a scan" in err
    resumed = cli.run(*base, "--resume", "--json", "resumed.json")
    assert resumed.returncode == 0, resumed.stderr

    def essence(path: Path) -> dict[str, tuple[object, ...]]:
        return {n: (f["status"], f["mail_route"], f["level"]) for n, f in findings(path).items()}

    assert essence(cli.tmp / "resumed.json") == essence(cli.tmp / "whole.json")


GENERATED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


def test_report_db_shows_what_the_scan_reported(cli: Cli, world: Universe) -> None:
    """`report --db` renders a stored scan as the scan wrote it: the same changes (compared with the
    previous scan of the same settings, flapping names left out), counts and plan."""
    for state in ("previous", "now", "previous"):  # kestrelsystems-login.com comes, goes ...
        world.set_state(state)
        assert cli.scan("--smtp").returncode == 0
    world.set_state("now")
    assert cli.scan("--technique", "tld-typo").returncode == 0  # other settings: not the comparison
    scan = cli.scan("--smtp", "--report", "scan.html", "--json", "scan.json")  # ... and comes back
    assert scan.returncode == 0, scan.stderr
    db = str(cli.tmp / "history.db")
    for args in (("--output", "again.html"), ("--format", "json", "--output", "again.json")):
        proc = cli.run("report", "--db", db, *args)
        assert proc.returncode == 0, proc.stderr

    by_scan = json.loads((cli.tmp / "scan.json").read_text("utf-8"))
    again = json.loads((cli.tmp / "again.json").read_text("utf-8"))
    assert again["changes"] == by_scan["changes"]
    assert by_scan["changes"]["previous_id"] == 3  # the scan of the same settings, not scan 4
    assert "kestrelsystems-login.com" in by_scan["changes"]["suppressed"]  # flapping
    assert by_scan["changes"]["changed"] or by_scan["changes"]["escalated"]
    assert again["plan"] == by_scan["plan"]
    assert by_scan["plan"], "the scan made no plan"
    assert again["scan"] == by_scan["scan"]  # counts per protected domain, key, settings
    assert _keyed(again["findings"]) == _keyed(by_scan["findings"])

    def page(name: str) -> str:
        return GENERATED.sub("(time)", (cli.tmp / name).read_text("utf-8"))

    assert page("again.html") == page("scan.html")


def _keyed(findings: list[dict[str, object]]) -> dict[tuple[object, object], dict[str, object]]:
    return {(f["domain"], f["protected"]): f for f in findings}
