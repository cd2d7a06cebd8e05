"""`lookalike lookup NAME --protected P --screenshot` as a person runs it: the command line in a
subprocess (with the loopback guard), Debian's Chromium, the corpus's pages served by Debian's nginx,
and a loopback DNS server that says where the names live. One nginx and one DNS server per module;
each run starts the product's own browser, so the runs are few."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dns.zone
import pytest

from lookalike.demo.background import in_background
from lookalike.demo.dns_server import DnsServer
from lookalike.endpoints import HostPort
from tests.fixtures.nginx import Nginx, start_nginx
from tests.fixtures.pages import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.nginx]

ROOT = Path(__file__).resolve().parents[2]
GUARD_SITE = ROOT / "tests" / "guardsite"
FRONT = {
    "kestrelsystems.com": "/kestrel/signin.html",
    "kestre1systems.com": "/kestrel/clone.html",
    "kestrelsystems-login.com": "/kestrel/reskin.html",
    "kestrelsystems.net": "/other/blank.html",
}
"""What each name serves at ``/``: the protected sign-in page, a copy, a re-skin, a blank page."""


def zone(name: str, address: str) -> dns.zone.Zone:
    text = f"""
$ORIGIN {name}.
$TTL 300
@ SOA ns1.{name}. hostmaster.{name}. 1 7200 3600 1209600 300
@ NS ns1.{name}.
@ A {address}
ns1 A {address}
"""
    return dns.zone.from_text(text, origin=f"{name}.", relativize=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    from lookalike.browser.chromium import CHROMIUM

    if not CHROMIUM.is_file():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (make test installs it)")
    pytest.importorskip("imagehash", reason="the visual extra is not installed (make test installs it)")
    fronts = "".join(f"    {host} {path};\n" for host, path in FRONT.items())
    with start_nginx(
        tmp_path_factory.mktemp("screenshot-nginx"),
        PAGES,
        tls=True,
        names=tuple(FRONT),
        extra_http=f"  map $host $front {{\n    default /other/missing.html;\n{fronts}  }}\n",
        extra_server="    location = / { rewrite ^ $front last; }\n",
    ) as web:
        yield web


@pytest.fixture(scope="module")
def resolver(site: Nginx) -> Iterator[HostPort]:
    zones = [zone(name, site.address) for name in FRONT]
    with in_background(lambda: DnsServer(zones, {})) as server:
        yield server.address


def lookup(tmp: Path, site: Nginx, resolver: HostPort, name: str, *extra: str) -> dict[str, object]:
    guard = tmp / "netguard.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(GUARD_SITE), str(ROOT), env.get("PYTHONPATH", "")])
    env["LOOKALIKE_NETGUARD_LOG"] = str(guard)
    env["LOOKALIKE_DATA_DIR"] = str(tmp / "data")
    args = [
        sys.executable, "-m", "lookalike", "lookup", name, "--protected", "kestrelsystems.com",
        "--screenshot", "--allow-private", "--no-registry", "--resolver", str(resolver),
        "--http-port", str(site.http_port), "--https-port", str(site.https_port), "--format", "json", *extra,
    ]  # fmt: skip
    proc = subprocess.run(args, capture_output=True, text=True, cwd=tmp, env=env, timeout=110, check=False)
    assert not guard.exists(), f"the CLI tried to leave the machine: {guard.read_text()}"
    assert proc.returncode == 0, proc.stderr
    record: dict[str, object] = json.loads(proc.stdout)
    return record


def test_a_copy_of_the_sign_in_page_is_a_clone_and_both_pictures_are_kept(
    tmp_path: Path, site: Nginx, resolver: HostPort
) -> None:
    record = lookup(tmp_path, site, resolver, "kestre1systems.com")
    visual = record["visual"]
    assert isinstance(visual, dict)
    assert visual["outcome"] == "ok", visual
    assert visual["verdict"] == "clone", visual["reason"]
    assert visual["phash_distance"] is not None and visual["phash_distance"] <= 4
    assert visual["favicon_match"] == "exact"
    for link, sha in (("screenshot", "screenshot_sha256"), ("reference_screenshot", "reference_sha256")):
        path = tmp_path / str(visual[link])
        assert visual[link] == f"screenshots/{visual[sha]}.png"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == visual[sha]
        assert (tmp_path / "screenshots" / f"{visual[sha]}.thumb.webp").is_file()
    assert any("copy of kestrelsystems.com" in str(r) for r in record["reasons"])  # type: ignore[attr-defined]
    requests = site.requests()
    assert any(line.startswith('kestre1systems.com "GET / ') for line in requests), requests


def test_inline_images_keep_no_files_and_a_blank_page_is_unknown(
    tmp_path: Path, site: Nginx, resolver: HostPort
) -> None:
    record = lookup(tmp_path, site, resolver, "kestrelsystems.net", "--inline-images")
    visual = record["visual"]
    assert isinstance(visual, dict)
    assert visual["verdict"] == "unknown" and "blank page" in str(visual["reason"])
    assert str(visual["screenshot"]).startswith("data:image/png;base64,")
    assert str(visual["reference_screenshot"]).startswith("data:image/png;base64,")
    assert not (tmp_path / "screenshots").exists()
    assert not any("page" in str(r) and "(+" in str(r) for r in record["reasons"])  # type: ignore[attr-defined]
