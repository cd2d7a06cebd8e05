"""The scheduling files in contrib/ are tested as written: they are in the README verbatim, the
systemd units pass ``systemd-analyze verify``, the cron line parses, and every option they give
``lookalike scan`` exists."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lookalike.cli import app

ROOT = Path(__file__).resolve().parents[2]
CONTRIB = ROOT / "contrib"
SERVICE = CONTRIB / "systemd" / "lookalike-scan.service"
TIMER = CONTRIB / "systemd" / "lookalike-scan.timer"
CRON = CONTRIB / "cron" / "lookalike"
FILES = (SERVICE, TIMER, CRON)

INSTALLED = "/usr/local/bin/lookalike"
"""Where the documented units expect the command (``pip install`` into /usr/local)."""
COMMAND = (
    "scan --config /etc/lookalike/lookalike.toml --db /var/lib/lookalike/lookalike.db --fail-on new --quiet"
)
"""What both schedules run, after the executable."""


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_readme_holds_each_file_verbatim(path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8").strip() in readme, (
        f"paste {path.relative_to(ROOT)} into README.md"
    )


def _service_setting(key: str) -> str:
    for line in SERVICE.read_text().splitlines():
        if line.startswith(f"{key}="):
            return line.split("=", 1)[1]
    raise AssertionError(f"{key}= missing from {SERVICE.name}")


def test_both_schedules_run_the_same_command() -> None:
    assert _service_setting("ExecStart") == f"{INSTALLED} {COMMAND}"
    (job,) = _cron_jobs()
    assert job.command.startswith(f"{INSTALLED} {COMMAND} || ")


def test_every_option_of_the_command_exists() -> None:
    help_text = CliRunner().invoke(app, ["scan", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}).output
    words = set(re.split(r"[\s,\[\]=]+", help_text))
    options = [w for w in shlex.split(COMMAND) if w.startswith("--")]
    assert options == ["--config", "--db", "--fail-on", "--quiet"]
    assert not [o for o in options if o not in words]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (Debian: systemd)")
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """``verify`` insists that ExecStart names an existing executable, so the test points it at this
    checkout's ``lookalike`` instead of /usr/local/bin; everything else is checked as written."""
    executable = shutil.which("lookalike", path=str(ROOT / ".venv" / "bin")) or shutil.which("lookalike")
    assert executable, "lookalike is not installed"
    for unit in (SERVICE, TIMER):
        text = unit.read_text()
        if unit is SERVICE:
            text = text.replace(f"ExecStart={INSTALLED} ", f"ExecStart={executable} ")
            assert executable in text
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / SERVICE.name), str(tmp_path / TIMER.name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Unknown keys and bad values are only warnings: any line about our units is a failure.
    ours = [line for line in result.stderr.splitlines() if "lookalike-scan" in line]
    assert ours == []


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (Debian: systemd)")
def test_the_timer_calendar_is_valid() -> None:
    (spec,) = [
        line.split("=", 1)[1] for line in TIMER.read_text().splitlines() if line.startswith("OnCalendar=")
    ]
    result = subprocess.run(
        ["systemd-analyze", "calendar", spec], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Next elapse:" in result.stdout


# --- the cron line ----------------------------------------------------------------------------------

_RANGES = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12), "weekday": (0, 7)}
_NAMES = {
    "month": ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    "weekday": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
}


class CronJob:
    def __init__(self, fields: list[str], user: str, command: str) -> None:
        self.fields, self.user, self.command = fields, user, command


def _cron_value(field: str, text: str) -> int:
    low, high = _RANGES[field]
    names = _NAMES.get(field, [])
    value = names.index(text.lower()) + (1 if field == "month" else 0) if text.lower() in names else int(text)
    assert low <= value <= high, f"{field} {text} is outside {low}-{high}"
    return value


def _check_cron_field(field: str, text: str) -> None:
    """Vixie cron syntax: ``*`` or lists of values and ranges, each with an optional ``/step``."""
    for part in text.split(","):
        base, _, step = part.partition("/")
        if step:
            assert step.isdigit(), f"bad step in {text!r}"
            assert int(step) > 0, f"zero step in {text!r}"
        if base == "*":
            continue
        low, dash, high = base.partition("-")
        first = _cron_value(field, low)
        if dash:
            assert first <= _cron_value(field, high), f"backwards range {base!r}"


def _cron_jobs() -> list[CronJob]:
    jobs = []
    for line in CRON.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", line):
            continue  # an environment setting
        parts = line.split(None, 6)
        assert len(parts) == 7, f"a cron.d line needs 5 time fields, a user and a command: {line!r}"
        jobs.append(CronJob(parts[:5], parts[5], parts[6]))
    return jobs


def test_the_cron_line_parses() -> None:
    text = CRON.read_text()
    assert text.endswith("\n"), "cron ignores a last line without a newline"
    assert "%" not in text, "cron turns % into a newline"
    (job,) = _cron_jobs()
    for field, value in zip(_RANGES, job.fields, strict=True):
        _check_cron_field(field, value)
    assert re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", job.user)
    assert job.user == _service_setting("User")
    argv = shlex.split(job.command)
    assert argv[0] == INSTALLED
    assert argv[1] == "scan"


def test_the_cron_checker_rejects_bad_lines() -> None:
    for field, value in (
        ("minute", "60"),
        ("hour", "*/0"),
        ("month", "13"),
        ("day", "5-1"),
        ("weekday", "x"),
    ):
        with pytest.raises((AssertionError, ValueError)):
            _check_cron_field(field, value)
    _check_cron_field("weekday", "mon-fri")
    _check_cron_field("minute", "*/15,7")


# --- the worker unit --------------------------------------------------------------------------------

WORKER = CONTRIB / "systemd" / "lookalike-worker@.service"


def test_docs_scale_holds_the_worker_unit_verbatim() -> None:
    scale = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    assert WORKER.read_text(encoding="utf-8").strip() in scale, "paste the worker unit into docs/scale.md"


def test_every_option_of_the_worker_command_exists() -> None:
    (start,) = [line for line in WORKER.read_text().splitlines() if line.startswith("ExecStart=")]
    command = shlex.split(start.split("=", 1)[1])
    assert command[:2] == [INSTALLED, "worker"]
    help_text = CliRunner().invoke(app, ["worker", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}).output
    words = set(re.split(r"[\s,\[\]=]+", help_text))
    options = [w for w in command if w.startswith("--")]
    assert options == ["--hostname", "--loglevel"]
    assert not [o for o in options if o not in words]
    # --broker and --db come from the environment file
    assert "LOOKALIKE_BROKER" in help_text
    assert "LOOKALIKE_DB" in help_text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (Debian: systemd)")
def test_the_worker_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    executable = shutil.which("lookalike", path=str(ROOT / ".venv" / "bin")) or shutil.which("lookalike")
    assert executable, "lookalike is not installed"
    env = tmp_path / "worker.env"
    env.write_text(
        "LOOKALIKE_BROKER=redis://127.0.0.1:6379/0\nLOOKALIKE_DB=postgresql://lookalike@127.0.0.1/x\n"
    )
    text = WORKER.read_text()
    text = text.replace(f"ExecStart={INSTALLED} ", f"ExecStart={executable} ")
    text = text.replace("EnvironmentFile=/etc/lookalike/worker.env", f"EnvironmentFile={env}")
    instance = tmp_path / "lookalike-worker@1.service"
    instance.write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(instance)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    ours = [line for line in result.stderr.splitlines() if "lookalike-worker" in line]
    assert ours == []
