"""What ``lookalike version`` and ``lookalike --help`` import: none of the scan machinery.

The commands a person runs to see what lookalike is must start quickly (issue 16: under 150 ms of
imports, measured in ``bench/startup.py``). This test holds what makes that possible, never a time:
each command's process (``python -X importtime``, under the loopback guard) must not import the
protocol libraries, the templates, the database drivers, Celery or Pillow, nor lookalike's
orchestrator, store, resolver, report or model. Each of those is imported by the command that uses
it, when it runs. Likewise a scan's own path leaves the registry and probe modules (httpx, the TLS
parsing) to the scans that use them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.guarded import GUARD_SITE, ROOT

HEAVY = (
    "dns",
    "httpx",
    "jinja2",
    "psycopg",
    "celery",
    "kombu",
    "redis",
    "PIL",
    "playwright",
    "cryptography",
    "idna",
    "publicsuffixlist",
    "asyncio",
    "sqlite3",
    "lookalike.scan",
    "lookalike.store",
    "lookalike.resolver",
    "lookalike.registry",
    "lookalike.web",
    "lookalike.smtp",
    "lookalike.report",
    "lookalike.permute",
    "lookalike.match",
    "lookalike.config",
    "lookalike.model",
    "lookalike.names",
    "lookalike.plan",
    "lookalike.tasks",
)
"""Modules (and their submodules) the quick commands must leave alone."""

_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \| +(\S+)$")


def imported(tmp: Path, *args: str) -> set[str]:
    """The modules ``lookalike ARGS`` imported, as ``-X importtime`` lists them."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{GUARD_SITE}:{ROOT}",
        "LOOKALIKE_NETGUARD_LOG": str(tmp / "netguard.log"),
        "LOOKALIKE_DATA_DIR": str(tmp / "data"),
        "HOME": str(tmp),
        "COLUMNS": "100",
    }
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "lookalike", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=tmp,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert not (tmp / "netguard.log").exists()
    modules = {m[1] for line in done.stderr.splitlines() if (m := _IMPORTED.match(line))}
    assert "lookalike.cli" in modules  # the listing is what it claims to be
    return modules


def heavy_among(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY))


@pytest.mark.parametrize("args", [("version",), ("--help",)])
def test_quick_commands_import_nothing_heavy(tmp_path: Path, args: tuple[str, ...]) -> None:
    modules = imported(tmp_path, *args)
    assert heavy_among(modules) == [], f"lookalike {' '.join(args)} imports them"


def test_the_check_sees_a_heavy_import(tmp_path: Path) -> None:
    """The same listing of a command that scans does show the machinery (the test above can fail)."""
    modules = imported(tmp_path, "generate", "army.mil", "--limit", "1")
    assert {"lookalike.permute", "lookalike.names", "lookalike.model"} <= set(heavy_among(modules))


SCAN_PATH = (
    "lookalike.schedule",
    "lookalike.cli.progress",
    "lookalike.cli.summary",
    "lookalike.cli.database",
)
"""What ``lookalike scan`` imports before it scans (``cli/scan.py``)."""
PROTOCOLS = ("httpx", "cryptography", "lookalike.registry", "lookalike.web", "lookalike.smtp", "PIL")
"""What only a scan with the registry or probes needs; imported where the scan opens them."""


def test_the_scan_path_leaves_the_protocols_it_does_not_use(tmp_path: Path) -> None:
    code = f"import sys\nimport {', '.join(SCAN_PATH)}\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    modules = set(done.stdout.split())
    assert "lookalike.scan" in modules and "lookalike.resolver" in modules
    assert sorted(m for m in modules if any(m == p or m.startswith(f"{p}.") for p in PROTOCOLS)) == []
