"""`lookalike scan --smtp --http` and `lookalike lookup` against Debian's real Postfix and nginx (issue 13).

The DNS is the loopback ``DnsServer`` with one ``com.`` zone. Each lookalike of kestrelsystems.com
stands for one of issue 13's cases:

* ``kestrelsytems.com``: a third party's catch-all (Postfix's ``catch-all`` listener) whose website
  301s to the protected site (nginx): critical, in the blocklist and in the headline count;
* ``kestrelsystem.com``: the same with a meta refresh home;
* ``kestrelsstems.com``: an MX that denies relaying for it (``reject-unknown``: 554 5.7.1): mail
  bounces today;
* ``kestrelsystms.com``: an MX whose host has no address (``dangling-mx``);
* ``kestrlsystems.com``: a null MX (``"mx": []``), whose website 301s to its own path; looked up
  without ``--protected``, it is nobody's (issue 11), not ours;
* ``kestre1systems.com`` (looked up only): an MX that refuses HELO names in ``.invalid``
  (``helo-reject``): ``helo-refused`` without ``--helo``, a definite answer with one.

The CLI runs in subprocesses with the loopback guard installed, as cron would run it.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.zone
import pytest

from lookalike.demo.background import in_background
from lookalike.demo.dns_server import DnsServer
from lookalike.endpoints import HostPort
from tests.fixtures.nginx import Nginx, start_nginx
from tests.fixtures.postfix import Postfix
from tests.guarded import run_cli

pytestmark = [pytest.mark.postfix, pytest.mark.nginx]

PROTECTED = "kestrelsystems.com"
WEB = "127.0.0.1"
"""Where nginx listens: every lookalike's A record."""
MAIL = {
    "kestrelsytems": "catch-all",
    "kestrelsystem": "catch-all",
    "kestrelsstems": "reject-unknown",  # not a domain it serves: relay access denied
    "kestre1systems": "helo-reject",
}
"""Lookalikes whose MX is one of the Postfix listeners."""
REDIRECTS = {"kestrelsytems.com": f"https://{PROTECTED}/", "kestrlsystems.com": "/home/"}
META_HOME = f'<html><head><meta http-equiv="refresh" content="0; url=https://{PROTECTED}/"></head></html>'
"""What kestrelsystem.com serves."""


def zone_text(mta: Postfix) -> str:
    lines = [
        "$ORIGIN com.",
        "$TTL 300",
        "@ SOA ns.com. hostmaster.com. 1 3600 600 86400 300",
        "@ NS ns.com.",
        "ns A 192.0.2.53",
        f"{PROTECTED.split('.', maxsplit=1)[0]} A {WEB}",
        f"{PROTECTED.split('.', maxsplit=1)[0]} MX 10 mx1.{PROTECTED}.",
        f"mx1.{PROTECTED.split('.', maxsplit=1)[0]} A 192.0.2.25",
        f"kestrelsystms A {WEB}",
        "kestrelsystms MX 10 mail.kestrelsystms.com.",  # a host with no address at all
        f"kestrlsystems A {WEB}",
        "kestrlsystems MX 0 .",
    ]
    for name, listener in MAIL.items():
        lines += [f"{name} A {WEB}", f"{name} MX 10 mx.{name}.com.", f"mx.{name} A {mta.address(listener)}"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class World:
    mta: Postfix
    web: Nginx
    resolver: HostPort


@pytest.fixture(scope="module")
def world(postfix_mta: Postfix, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("mail-web")
    root = base / "www"
    root.mkdir()
    (root / "index.html").write_text(
        "<html><head><title>A lookalike</title></head><body><p>Welcome.</p></body></html>", "utf-8"
    )
    meta = base / "meta"
    meta.mkdir()
    (meta / "index.html").write_text(META_HOME, "utf-8")
    redirect_map = "".join(f"    {host} {target};\n" for host, target in REDIRECTS.items())
    zone = dns.zone.from_text(zone_text(postfix_mta), origin="com.", relativize=False)
    with (
        start_nginx(
            base / "nginx",
            root,
            address=WEB,
            tls=True,
            sites={"kestrelsystem.com": meta},
            extra_http=f'  map $host $lookalike_redirect {{\n    default "";\n{redirect_map}  }}',
            extra_server="    if ($lookalike_redirect) { return 301 $lookalike_redirect; }",
        ) as web,
        in_background(lambda: DnsServer([zone], {})) as server,
    ):
        yield World(postfix_mta, web, server.address)


def run(tmp: Path, world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp, *args)


def endpoints(world: World) -> list[str]:
    return [
        "--resolver",
        str(world.resolver),
        "--allow-private",
        "--no-registry",
        "--smtp-port",
        str(world.mta.port),
        "--http-port",
        str(world.web.http_port),
        "--https-port",
        str(world.web.https_port),
        "--timeout",
        "1",
    ]


@pytest.fixture(scope="module")
def scanned(world: World, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("scan")
    proc = run(
        tmp,
        world,
        "scan",
        PROTECTED,
        *endpoints(world),
        "--technique",
        "omission",
        "--technique",
        "transposition",
        "--smtp",
        "--http",
        "--plan-top",
        "1",
        "--no-store",
        "--json",
        "scan.json",
        "--report",
        "scan.html",
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    document = json.loads((tmp / "scan.json").read_text("utf-8"))
    return tmp, {f["domain"]: f for f in document["findings"]}


@pytest.mark.parametrize(("name", "status"), [("kestrelsytems.com", 301), ("kestrelsystem.com", 200)])
def test_a_third_party_catch_all_that_redirects_home_is_critical(
    world: World, scanned: tuple[Path, dict[str, Any]], name: str, status: int
) -> None:
    tmp, found = scanned
    catch_all = found[name]
    assert (catch_all["smtp"]["verdict"], catch_all["smtp"]["accepts_any_recipient"]) == ("catch-all", True)
    assert catch_all["web"]["redirects_to_protected"] is True
    assert catch_all["web"]["status"] == status  # a 301, or a page whose meta refresh sends visitors home
    assert catch_all["owner"] == "third-party"
    assert catch_all["level"] == "critical", catch_all["reasons"]
    assert any("passes for the organisation's own (+10)" in r for r in catch_all["reasons"])
    assert any(f"its website redirects to {PROTECTED}, but" in r for r in catch_all["owner_reasons"])
    # Our own site never heard from the probe: the chain stops at the protected domain.
    assert not any(line.startswith(f"{PROTECTED} ") for line in world.web.requests())

    blocklist = run(tmp, world, "blocklist", "--from-json", "scan.json", "--no-whole-tld")
    assert blocklist.returncode == 0, blocklist.stderr
    assert name in blocklist.stdout.split()
    audit = run(tmp, world, "audit", "--from-json", "scan.json", "--format", "json")
    assert audit.returncode == 0, audit.stderr
    assert name not in audit.stdout  # not listed among the lookalikes the organisation holds

    page = html.unescape((tmp / "scan.html").read_text("utf-8"))
    headline = re.search(r'<h2 class="headline">([^<]*)</h2>', page)
    assert headline is not None
    assert headline.group(1) == "2 lookalikes can receive your mail; 2 accept any recipient"


def test_mail_that_bounces_today_is_its_own_state(scanned: tuple[Path, dict[str, Any]]) -> None:
    _, found = scanned
    relay = found["kestrelsstems.com"]
    assert (relay["mail_route"], relay["smtp"]["verdict"], relay["smtp"]["code"]) == ("mx", "not-served", 554)
    dangling = found["kestrelsystms.com"]
    assert dangling["mail_route"] == "dangling-mx"
    assert dangling["mx"] == ["mail.kestrelsystms.com"]
    assert dangling["smtp"]["outcome"] == "skipped"
    for finding in (relay, dangling):
        assert any("mail bounces today" in r and r.endswith("(+15)") for r in finding["reasons"])
        assert not any("it can receive mail" in r for r in finding["reasons"])
        assert finding["points"] < found["kestrelsytems.com"]["points"]
        assert finding["owner"] == "third-party"


def test_a_null_mx_names_no_host(scanned: tuple[Path, dict[str, Any]]) -> None:
    _, found = scanned
    null = found["kestrlsystems.com"]
    assert (null["mail_route"], null["mx"]) == ("null-mx", [])
    assert null["mx_records"] == [{"preference": 0, "host": "", "addresses": []}]


def test_lookup_without_protected_redirecting_to_its_own_path_is_not_ours(
    world: World, tmp_path: Path
) -> None:
    proc = run(
        tmp_path, world, "lookup", "kestrlsystems.com", *endpoints(world), "--http", "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["web"]["status"] == 301
    assert record["web"]["redirects_to_protected"] is False
    assert record["owner"] == "unknown"
    assert any("no protected domain was given" in r for r in record["owner_reasons"])
    assert not any("redirect" in r for r in record["reasons"])


def test_helo_names_the_probe_to_servers_that_check_it(world: World, tmp_path: Path) -> None:
    def lookup(*extra: str) -> dict[str, Any]:
        args = ("lookup", "kestre1systems.com", "--protected", PROTECTED, *endpoints(world), "--smtp", *extra)
        proc = run(tmp_path, world, *args, "--format", "json")
        assert proc.returncode == 0, proc.stderr
        smtp: dict[str, Any] = json.loads(proc.stdout)["smtp"]
        return smtp

    mark = world.mta.mark()
    refused = lookup()  # lookalike.invalid: a name that can never resolve, refused by this server
    assert (refused["verdict"], refused["accepts_any_recipient"]) == ("helo-refused", None)
    named = lookup("--helo", "probe.kestrel.test")
    assert (named["verdict"], named["accepts_any_recipient"], named["enhanced_code"]) == (
        "rejects-unknown",
        False,
        "5.1.1",
    )
    said = [s.received[0] for s in world.mta.sessions("helo-reject", mark, count=2)]
    assert said == ["EHLO lookalike.invalid", "EHLO probe.kestrel.test"]


@pytest.mark.parametrize("command", ["scan", "lookup"])
def test_a_bad_helo_name_is_one_line_and_exit_2(world: World, tmp_path: Path, command: str) -> None:
    args = ["--no-store"] if command == "scan" else []
    proc = run(tmp_path, world, command, PROTECTED, *endpoints(world), *args, "--smtp", "--helo", "a..b")
    assert proc.returncode == 2
    assert proc.stderr == "lookalike: error: the HELO name 'a..b' is not a host name or an address literal\n"
