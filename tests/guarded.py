"""The CLI in a subprocess, as cron runs it, with the loopback guard installed (``tests/guardsite``).

``run_cli(tmp, "scan", ...)`` runs ``python -m lookalike`` in ``tmp`` with this checkout first on the
path, data files kept in ``tmp`` (never a user's refreshed copy), and fails the test when the CLI
tried to reach anything off the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUARD_SITE = ROOT / "tests" / "guardsite"


def run_cli(tmp: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``lookalike ARGS`` in ``tmp``; its exit code and output, for the test to read."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(GUARD_SITE), str(ROOT), env.get("PYTHONPATH", "")])
    env["LOOKALIKE_NETGUARD_LOG"] = str(tmp / "netguard.log")
    env["LOOKALIKE_DATA_DIR"] = str(tmp / "data")
    env["COLUMNS"] = "200"
    proc = subprocess.run(
        [sys.executable, "-m", "lookalike", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=tmp,
    )
    guard_log = tmp / "netguard.log"
    assert not guard_log.exists(), f"the CLI tried to leave the machine: {guard_log.read_text()}"
    return proc
