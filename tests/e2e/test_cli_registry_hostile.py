"""Hostile registries against the command line (issue 11): ``lookalike lookup`` and ``lookalike scan``
in a subprocess with the loopback guard installed, the servers on loopback in a background thread.

Each case ends in its documented outcome: the registration unknown (or skipped) with the reason, or a
one-line error and exit 2; nothing hangs past its timeouts and nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.zone
import pytest

from lookalike.demo.background import in_background
from lookalike.demo.dns_server import DnsServer
from lookalike.demo.rdap_server import RdapResponse, RdapServer
from lookalike.demo.whois_server import WhoisServer

ROOT = Path(__file__).resolve().parents[2]
GUARD_SITE = ROOT / "tests" / "guardsite"
DATA = ROOT / "tests" / "data" / "registry"
THIN = (DATA / "rdap" / "registry" / "kestrelsytems.com.json").read_bytes()
VERISIGN_THIN = (DATA / "whois" / "verisign-thin.txt").read_text("utf-8")
LOOKALIKES = ("kstrel.com", "kesrel.com", "kestel.com", "kestrl.com", "estrel.com")
"""Omissions of kestrel.com that exist in the test DNS: the scan asks the registry about each."""

COM_ZONE = (
    "$TTL 300\n@ IN SOA ns.com. h.com. 1 3600 600 86400 300\n@ IN NS ns.com.\nns IN A 192.0.2.53\n"
    + "".join(f"{name.split('.')[0]} IN A 192.0.2.80\n" for name in ("kestrel", *LOOKALIKES))
)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A DNS server (kestrel.com and its lookalikes exist), a hostile RDAP server for .com and .org, a
    second RDAP server elsewhere on loopback, a WHOIS server for .net that refers to 10.0.0.1."""
    zone = dns.zone.from_text(COM_ZONE, origin="com.", relativize=False)
    with (
        in_background(lambda: DnsServer([zone])) as dns_server,
        in_background(lambda: RdapServer({})) as hostile,
        in_background(lambda: RdapServer({"kestrel-moved.org": RdapResponse(body=THIN)})) as elsewhere,
        in_background(
            lambda: WhoisServer(
                {"kestrel.net": VERISIGN_THIN.replace("whois.harrier-domains.example", "10.0.0.1")}
            )
        ) as whois,
    ):
        link = f'{{"rel": "related", "type": "application/rdap+json", "href": "{elsewhere.base_url}domain/kestrel-moved.org"}},'  # noqa: E501
        linked = THIN.replace(b'"links": [', b'"links": [' + link.encode(), 1)
        hostile.update(
            {
                **{n: RdapResponse(status=429, retry_after="9999999") for n in ("kestrel.com", *LOOKALIKES)},
                "kestrel-down.org": RdapResponse(status=503, retry_after="9999999"),
                "kestrel-moved.org": RdapResponse(
                    status=302, headers={"Location": f"{elsewhere.base_url}domain/kestrel-moved.org"}
                ),
                "kestrel-linked.org": RdapResponse(body=linked),
                "kestrel-bomb.org": RdapResponse(body=b'{"objectClassName": "domain", "x": "', bomb=64 << 20),
            }
        )
        bootstrap = hostile.bootstrap_file(["com", "org"], tmp_path_factory.mktemp("rdap") / "dns.json")
        yield {
            "dns": dns_server,
            "rdap": hostile,
            "elsewhere": elsewhere,
            "whois": whois,
            "bootstrap": bootstrap,
        }


def run(tmp: Path, servers: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m lookalike ARGS`` against the loopback servers, with the guard; fails the test if the
    child tried to leave the machine, and (by its timeout) if it hangs."""
    log = tmp / "netguard.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(GUARD_SITE), str(ROOT), env.get("PYTHONPATH", "")])
    env["LOOKALIKE_NETGUARD_LOG"] = str(log)
    env["LOOKALIKE_DATA_DIR"] = str(tmp / "data")
    endpoints = [
        "--resolver", str(servers["dns"].address), "--rdap-bootstrap", str(servers["bootstrap"]),
        "--whois-server", f"net={servers['whois'].address}", "--whois-iana", "none",
    ]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "lookalike", *args[:2], *endpoints, *args[2:]],
        check=False,
        capture_output=True,
        text=True,
        timeout=180,  # a hang check: every registry wait is bounded by the deadlines
        env=env,
        cwd=tmp,
    )
    if log.exists():
        pytest.fail(f"the CLI tried to leave the machine: {log.read_text()}")
    return proc


def registration(tmp: Path, servers: dict[str, Any], name: str, *extra: str) -> dict[str, Any]:
    proc = run(tmp, servers, "lookup", name, "--format", "json", *extra)
    assert proc.returncode == 0, proc.stderr
    found: dict[str, Any] = json.loads(proc.stdout)["registration"]
    return found


def test_a_scan_under_retry_after_of_days_finishes(tmp_path: Path, servers: dict[str, Any]) -> None:
    """Every .com answer is 429 with Retry-After: 9999999 (at the default 1 request per second per
    server). Before: the scan was still waiting after one request. Now it finishes, each registration
    unknown with the reason."""
    args = ("--technique", "omission", "--no-store", "--json", "scan.json")
    proc = run(tmp_path, servers, "scan", "kestrel.com", *args)
    assert proc.returncode == 0, proc.stderr
    found = {f["domain"]: f for f in json.loads((tmp_path / "scan.json").read_text("utf-8"))["findings"]}
    assert set(LOOKALIKES) <= set(found)
    for name in LOOKALIKES:
        reg = found[name]["registration"]
        assert reg["outcome"] == "refused", reg
        assert "9999999" in reg["detail"] or "(Retry-After); not waiting" in reg["detail"], reg


def test_503_with_retry_after_of_days(tmp_path: Path, servers: dict[str, Any]) -> None:
    reg = registration(tmp_path, servers, "kestrel-down.org")
    assert reg["outcome"] == "refused"
    assert "HTTP 503" in reg["detail"]
    assert "Retry-After 9999999 s" in reg["detail"]


def test_whois_referral_to_a_private_address(tmp_path: Path, servers: dict[str, Any]) -> None:
    reg = registration(tmp_path, servers, "kestrel.net")
    assert reg["outcome"] == "ok"
    assert reg["registrar"] == "Harrier Domains, Inc."  # the registry's answer stands
    assert "referral 10.0.0.1:43: skipped" in reg["detail"]
    assert "use --allow-private" in reg["detail"]


def test_rdap_redirect_to_loopback(tmp_path: Path, servers: dict[str, Any]) -> None:
    before = servers["elsewhere"].count("kestrel-moved.org")
    refused = registration(tmp_path, servers, "kestrel-moved.org")
    assert refused["outcome"] == "skipped"
    assert "an RDAP redirect to 127.0.0.1 points at a private address" in refused["detail"]
    assert servers["elsewhere"].count("kestrel-moved.org") == before
    allowed = registration(tmp_path, servers, "kestrel-moved.org", "--allow-private")
    assert allowed["outcome"] == "ok"
    assert servers["elsewhere"].count("kestrel-moved.org") == before + 1


def test_rdap_related_link_to_loopback(tmp_path: Path, servers: dict[str, Any]) -> None:
    before = servers["elsewhere"].count("kestrel-moved.org")
    reg = registration(tmp_path, servers, "kestrel-linked.org")
    assert reg["outcome"] == "ok"
    assert "the registry's RDAP related link to 127.0.0.1 points at a private address" in reg["detail"]
    assert servers["elsewhere"].count("kestrel-moved.org") == before


def test_rdap_gzip_bomb(tmp_path: Path, servers: dict[str, Any]) -> None:
    reg = registration(tmp_path, servers, "kestrel-bomb.org")
    assert reg["outcome"] == "error"
    assert "sent more than 2,097,152 bytes" in reg["detail"]


@pytest.mark.parametrize("path", ["/dev/zero", "directory"])
def test_a_bootstrap_that_is_not_a_file_is_one_line_and_exit_2(
    tmp_path: Path, servers: dict[str, Any], path: str
) -> None:
    bootstrap = str(tmp_path) if path == "directory" else path
    proc = run(tmp_path, servers, "lookup", "kestrel.org", "--rdap-bootstrap", bootstrap)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "RDAP bootstrap" in proc.stderr
