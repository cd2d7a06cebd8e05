"""`lookalike scan --smtp` as a user runs it, against Debian's real Postfix: what the scan JSON says.

The DNS is the loopback ``DnsServer`` with one ``com.`` zone: a few omissions of kestrelsystems.com
exist, each with its MX on one of the session's Postfix listeners (``tests/fixtures/postfix.py``).
Six of them share the listener that stalls after EHLO, as a lookalike farm's names share one MX. The
CLI runs in a subprocess with the loopback guard installed, as cron would run it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dns.zone
import pytest

from lookalike.demo.background import in_background
from lookalike.demo.dns_server import DnsServer
from lookalike.endpoints import HostPort
from tests.fixtures.postfix import Postfix
from tests.guarded import run_cli

pytestmark = pytest.mark.postfix

PROTECTED = "kestrelsystems.com"
STALLED = (
    "estrelsystems",
    "kstrelsystems",
    "ketrelsystems",
    "kesrelsystems",
    "kestelsystems",
    "kestrlsystems",
)
"""Six omissions whose mail goes to one stalling Postfix."""
OTHERS = {
    "kestrelsytems": "catch-all",  # a domain the listener serves
    "kestrelsystem": "helo-check",  # served too: a relay denial would come first otherwise
    "kestrelsystms": "relay-defer",  # not served
    "kestrelsstems": "policy-block",
}


def zone_text(mta: Postfix) -> str:
    lines = [
        "$ORIGIN com.",
        "$TTL 300",
        "@ SOA ns.com. hostmaster.com. 1 3600 600 86400 300",
        "@ NS ns.com.",
        "ns A 192.0.2.53",
        "kestrelsystems A 192.0.2.10",
    ]
    for name in STALLED:
        lines += [f"{name} A 192.0.2.80", f"{name} MX 10 mx.kestrelfarm.com."]
    lines.append(f"mx.kestrelfarm A {mta.address('stall')}")
    for name, listener in OTHERS.items():
        lines += [
            f"{name} A 192.0.2.80",
            f"{name} MX 10 mx.{name}.com.",
            f"mx.{name} A {mta.address(listener)}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def farm_dns(postfix_mta: Postfix) -> Iterator[HostPort]:
    zone = dns.zone.from_text(zone_text(postfix_mta), origin="com.", relativize=False)
    with in_background(lambda: DnsServer([zone], {})) as server:
        yield server.address


def scan(tmp: Path, mta: Postfix, resolver: HostPort) -> subprocess.CompletedProcess[str]:
    config = tmp / "lookalike.toml"
    config.write_text(
        f"""
[scan]
resolvers = ["{resolver}"]
techniques = ["omission"]
allow_private = true
registry = false
plan_top = 1

[endpoints]
smtp_port = {mta.port}
helo_name = "probe.lookalike.invalid"

[limits]
timeout = 1.0
retries = 0
probe_timeout = 1.0

[[domains]]
name = "{PROTECTED}"
""",
        encoding="utf-8",
    )
    return run_cli(
        tmp, "scan", "--config", str(config), "--smtp", "--no-http", "--no-store", "--json", "scan.json",
        "--report", "scan.html", "--quiet",
    )  # fmt: skip


def test_a_scan_reads_real_postfix_and_waits_on_a_stalling_host_once(
    tmp_path: Path, postfix_mta: Postfix, farm_dns: HostPort
) -> None:
    mark = postfix_mta.mark()
    proc = scan(tmp_path, postfix_mta, farm_dns)
    assert proc.returncode == 0, proc.stderr
    found = {f["domain"]: f for f in json.loads((tmp_path / "scan.json").read_text("utf-8"))["findings"]}

    stalled = [found[f"{name}.com"]["smtp"] for name in STALLED]
    assert [s["outcome"] for s in stalled] == ["timeout"] * 6  # unknown, not an error
    waited = [s for s in stalled if "stalled earlier in the scan" not in s["detail"]]
    assert len(waited) == 1, [s["detail"] for s in stalled]  # one timeout for the farm, not six
    assert len(postfix_mta.sessions("stall", mark, count=6, closed=False, timeout=0.5)) == 1

    catch_all = found["kestrelsytems.com"]
    assert catch_all["smtp"]["accepts_any_recipient"] is True
    assert catch_all["smtp"]["verdict"] == "catch-all"
    assert any("accepts any recipient" in r for r in catch_all["reasons"])

    relay = found["kestrelsystms.com"]
    assert relay["smtp"]["accepts_any_recipient"] is None
    assert (relay["smtp"]["verdict"], relay["smtp"]["code"], relay["smtp"]["enhanced_code"]) == (
        "not-served",
        454,
        "4.7.1",
    )
    assert "Relay access denied" in relay["smtp"]["reason"]
    assert not any("catch-all is not ruled out" in r for r in relay["reasons"])

    policy = found["kestrelsstems.com"]
    assert (policy["smtp"]["accepts_any_recipient"], policy["smtp"]["verdict"]) == (None, "refused")
    assert "blocked using dnsbl.invalid" in policy["smtp"]["reason"]
    assert not any("rejects unknown recipients" in r for r in policy["reasons"])

    helo = found["kestrelsystem.com"]
    assert (helo["smtp"]["accepts_any_recipient"], helo["smtp"]["verdict"]) == (None, "helo-refused")
    assert "Helo command rejected: Host not found" in helo["smtp"]["reason"]

    for listener in ("catch-all", "relay-defer", "policy-block", "helo-check"):
        for session in postfix_mta.sessions(listener, mark):
            assert not {"data", "bdat"} & session.counts.keys()
            assert [line.split(":", 1)[0].split(" ", 1)[0] for line in session.received] == [
                "EHLO",
                "MAIL",
                "RCPT",
                "QUIT",
            ]
