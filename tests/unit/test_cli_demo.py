"""`lookalike demo` without the demo extra: one clear line and exit 2, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("missing", ["aiosmtpd", "trustme"])
def test_demo_without_its_tools_is_one_line_and_exit_2(missing: str, tmp_path: Path) -> None:
    # A module set to None in sys.modules cannot be imported: as if the package were not installed.
    program = (
        f"import sys; sys.modules[{missing!r}] = None; sys.argv = ['lookalike', 'demo', '--quiet']; "
        "from lookalike.cli import main; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"lookalike: error: the demo needs {missing}, which is not installed: pip install 'lookalike[demo]'"
    ]
    assert not (tmp_path / "reports").exists()  # nothing was started or written
