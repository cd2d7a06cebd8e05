"""The Postfix maps the blocklist writes are accepted by Debian's real ``postmap`` and answer queries.

``postmap`` runs with a configuration directory of its own (an empty main.cf in tmp), so the test does
not depend on, or touch, the machine's Postfix set-up.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lookalike import plan
from lookalike.model import BlockEntry, MailRoute, Triage, TriageMark
from lookalike.names import parse
from tests import factories as f

POSTMAP = shutil.which("postmap") or ("/usr/sbin/postmap" if Path("/usr/sbin/postmap").exists() else None)
POSTCONF = shutil.which("postconf") or "/usr/sbin/postconf"

pytestmark = [
    pytest.mark.postfix,
    pytest.mark.skipif(POSTMAP is None, reason="postmap (Debian's postfix package) is not installed"),
]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    conf = tmp_path / "postfix"
    conf.mkdir()
    (conf / "main.cf").write_text("")
    return conf


def _map_type(config_dir: Path) -> str:
    supported = subprocess.run(
        [POSTCONF, "-c", str(config_dir), "-m"], capture_output=True, text=True, check=True
    ).stdout.split()
    for kind in ("hash", "lmdb", "cdb", "btree"):
        if kind in supported:
            return kind
    pytest.skip(f"postmap supports none of hash/lmdb/cdb/btree here: {supported}")


def _entries() -> list[BlockEntry]:
    army = parse("army.mil")
    kestrel = parse(f.PROTECTED)
    findings = [
        f.finding(
            f.candidate("army.ml", protected="army.mil"), f.evidence(mail=MailRoute.MX, catch_all=True)
        ),
        f.finding(f.candidate("xn--arm-l2a.mil", protected="army.mil"), f.evidence(mail=MailRoute.IMPLICIT)),
        f.finding(f.candidate("kestrelsytems.com"), f.evidence(mail=MailRoute.MX)),
        f.finding(f.candidate("kestrelsystem.com"), f.evidence(mail=MailRoute.MX)),  # triaged benign below
        f.finding(f.candidate("kestrelsystems.co"), f.evidence(mail=MailRoute.NULL_MX)),
    ]
    triage = {"kestrelsystem.com": TriageMark("kestrelsystem.com", Triage.BENIGN)}
    return plan.blocklist(findings, protected=[army, kestrel], triage=triage, whole_tld=True)


def _postmap(config_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert POSTMAP is not None
    command = [POSTMAP, "-c", str(config_dir), *args]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("fmt", "action"),
    [("postfix-transport", "error:5.7.1 "), ("postfix-access", "REJECT ")],
)
def test_postmap_accepts_the_map(tmp_path: Path, config_dir: Path, fmt: str, action: str) -> None:
    kind = _map_type(config_dir)
    source = tmp_path / f"lookalike_{fmt.split('-')[1]}"
    source.write_text(plan.render_blocklist(_entries(), fmt), encoding="utf-8")

    built = _postmap(config_dir, f"{kind}:{source}")
    assert built.returncode == 0, built.stderr
    assert "warning" not in built.stderr.lower(), built.stderr  # e.g. "duplicate entry" or a bad line

    expected = {
        "ml": ".ml looks like .mil",
        ".ml": ".ml looks like .mil",
        "army.ml": "army.ml looks like army.mil",
        ".army.ml": "army.ml looks like army.mil",
        "xn--arm-l2a.mil": "xn--arm-l2a.mil looks like army.mil",
        "armŷ.mil": "xn--arm-l2a.mil looks like army.mil",  # the Unicode key, for SMTPUTF8 mail
        "kestrelsytems.com": "kestrelsytems.com looks like kestrelsystems.com",
        "KESTRELSYTEMS.COM": "kestrelsytems.com looks like kestrelsystems.com",  # Postfix folds case
    }
    for key, text in expected.items():
        found = _postmap(config_dir, "-q", key, f"{kind}:{source}")
        assert found.returncode == 0, (key, found.stderr)
        assert found.stdout.strip() == f"{action}{text}: check the address (lookalike blocklist)"

    for key in ("kestrelsystem.com", "kestrelsystems.co", "army.mil", "mil", "kestrelsystems.com"):
        missing = _postmap(config_dir, "-q", key, f"{kind}:{source}")
        assert missing.returncode == 1, (key, missing.stdout, missing.stderr)


def test_postmap_reads_every_entry(tmp_path: Path, config_dir: Path) -> None:
    """``postmap -s`` lists the built map: exactly the keys the renderer wrote, nothing lost to parsing."""
    kind = _map_type(config_dir)
    source = tmp_path / "lookalike_access"
    text = plan.render_blocklist(_entries(), "postfix-access")
    source.write_text(text, encoding="utf-8")
    assert _postmap(config_dir, f"{kind}:{source}").returncode == 0
    listed = _postmap(config_dir, "-s", f"{kind}:{source}")
    assert listed.returncode == 0, listed.stderr
    written = {line.split("\t", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}
    assert {line.split("\t", 1)[0] for line in listed.stdout.splitlines()} == written
