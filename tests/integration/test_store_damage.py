"""A damaged history through the CLI: flipped bytes, tampered rows, wrong types, a hostile file.

Every command that reads the history (``history``, ``diff``, ``report --db``, ``triage``, ``plan``)
either leaves a damaged row out and names it on stderr, or stops with one line and exit 2; never a
traceback, never exit 0 with garbage. ``history --check`` lists the damage and changes nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
import typer.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lookalike.cli import app
from lookalike.errors import LookalikeError
from lookalike.model import Level, Outcome, Registration, Status, Technique, Triage
from lookalike.names import parse
from lookalike.permute import GenerateOptions, generate
from lookalike.store import Store
from lookalike.store.schema import SCHEMA_VERSION
from tests.fixtures.store import PROTECTED, finding, reference, scan

runner = CliRunner()

COMMANDS: tuple[tuple[str, ...], ...] = (
    ("history",),
    ("history", "kestrel.ml"),
    ("history", "kesrel.mil"),
    ("diff",),
    ("diff", "--from", "1", "--to", "2"),
    ("report", "--format", "json", "-o", "-"),
    ("triage",),
    ("plan", "kestrel.mil", "--technique", "omission", "--no-registry", "--top", "0", "--format", "json"),
)


OMISSIONS = tuple(
    (c.domain, PROTECTED)
    for c in generate(parse(PROTECTED), GenerateOptions(techniques=frozenset({Technique.OMISSION})))
)
"""Absent in every scan: what ``plan --technique omission`` recommends registering."""


@pytest.fixture(scope="module", autouse=True)
def _one_command_object() -> Iterator[None]:
    """Build the click command once: typer's runner rebuilds it per call (0.2 s), and this module
    runs a few hundred commands."""
    built = typer.main.get_command(app)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", lambda _app: built)
        yield


@dataclass(frozen=True)
class Ran:
    """A command's outcome as ``lookalike.cli.main`` ends it (a ``LookalikeError`` is one line, exit 2)."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(db: Path, *args: str) -> Ran:
    result = runner.invoke(app, [*args, "--db", str(db)], env={"COLUMNS": "200", "NO_COLOR": "1"})
    if isinstance(result.exception, LookalikeError):
        return Ran(2, result.stdout, f"{result.stderr}lookalike: error: {result.exception}\n", None)
    return Ran(result.exit_code, result.stdout, result.stderr, result.exception)


def said(result: Ran, db: Path) -> tuple[str, str]:
    """What a command printed, with the database's path (which differs per copy) as ``DB``."""
    return result.stdout.replace(str(db), "DB"), result.stderr.replace(str(db), "DB")


def build(path: Path) -> Path:
    """Three daily scans of kestrel.mil (findings, references, absent names), a triage mark and a
    cached registration; the write-ahead log folded in, so the file holds everything."""
    with Store.open(path) as store:
        for day in range(3):
            found = [
                finding("kestrel.ml", mx=("mx1.kestrel.ml",), level=Level.HIGH, catch_all=True),
                finding("kestrel.ga"),
                finding(f"day{day}.ml"),
            ]
            result = scan(found, day=day)
            scan_id = store.begin_scan(result.info, key="k")
            for f in found:
                store.record(scan_id, f)
            store.save_references(scan_id, [reference()])
            store.record_absent(scan_id, [*OMISSIONS, *((f"nx{i}.ml", PROTECTED) for i in range(300))])
            store.finish_scan(scan_id, result.info)
        store.set_triage("kestrel.ga", Triage.BENIGN, note="a bakery", who="alice")
        store.put_registration("kestrel.ml", Outcome(Status.OK, Registration(source="rdap", registrar="X")))
    _checkpoint(path)
    return path


def _checkpoint(path: Path) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


Sound = tuple[Path, dict[tuple[str, ...], tuple[str, str]]]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Sound:
    """The sound database, and what each command prints from it (stdout, stderr)."""
    path = build(tmp_path_factory.mktemp("pristine") / "history.db")
    outputs = {}
    for command in COMMANDS:
        copy = tmp_path_factory.mktemp("run") / "history.db"
        shutil.copy(path, copy)
        result = run(copy, *command)
        assert result.exit_code == 0, (command, result.output)
        assert "lookalike:" not in result.stderr, (command, result.stderr)
        outputs[command] = said(result, copy)
    assert '"domain": "kesrel.mil"' in outputs[COMMANDS[-1]][0], "the plan lists the absent names"
    return path, outputs


def copy_of(pristine: Path, tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    target = tmp_path / "history.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(pristine, target)
    return target


def outcome_is_honest(result: Ran, db: Path, sound: tuple[str, str]) -> None:
    """The invariant: exit 2 with one error line (after any warnings), or exit 0 with either the
    sound output or a warning that names what was left out. Never a traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    stdout, stderr = said(result, db)
    assert "Traceback" not in stderr
    usual = set(sound[1].splitlines())
    lines = [line for line in stderr.splitlines() if line not in usual and line.startswith("lookalike: ")]
    warnings = [line for line in lines if line.startswith("lookalike: warning: ")]
    errors = [line for line in lines if line.startswith("lookalike: error: ")]
    assert len(warnings) + len(errors) == len(lines), stderr
    if result.exit_code == 2:
        assert len(errors) == 1, stderr
        return
    assert result.exit_code == 0, result.output
    assert not errors
    if stdout != sound[0]:
        assert warnings, "a different answer with no warning: garbage read as data"
        assert all(line.endswith(("(left out)", "lists them all")) for line in warnings)


def execute(path: Path, statement: str, *params: object) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute(statement, params)
        db.commit()
    finally:
        db.close()
    _checkpoint(path)


def flip(path: Path, table: str, where: Callable[[int], int], count: int = 16) -> None:
    """XOR ``count`` bytes of the last leaf page of ``table``, from the offset ``where(page_size)``."""
    db = sqlite3.connect(path)
    try:
        (page,) = db.execute(
            "SELECT MAX(pageno) FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (table,)
        ).fetchone()
        size = db.execute("PRAGMA page_size").fetchone()[0]
    finally:
        db.close()
    data = bytearray(path.read_bytes())
    start = (page - 1) * size + where(size)
    for i in range(count):
        data[start + i] ^= 0x55
    path.write_bytes(bytes(data))


def on_scan2(column: str, value: object) -> Callable[[Path], None]:
    return lambda p: execute(
        p, f"UPDATE findings SET {column} = ? WHERE domain = 'kestrel.ml' AND scan_id = 2", value
    )


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "flipped bytes in a finding's evidence": (lambda p: flip(p, "findings", lambda s: s - 700), "finding"),
    "flipped bytes in a page header": (lambda p: flip(p, "findings", lambda s: 0, 8), "is damaged"),
    "flipped bytes in a scan row": (lambda p: flip(p, "scans", lambda s: s - 300), "scan 1: info"),
    "flipped bytes in a triage mark": (lambda p: flip(p, "triage", lambda s: s - 40, 6), "triage mark 1"),
    "info row not JSON": (
        lambda p: execute(p, "UPDATE scans SET info = 'garbage{' WHERE id = 2"),
        "scan 2: info is not JSON",
    ),
    "info row of the wrong shape": (
        lambda p: execute(p, """UPDATE scans SET info = '{"started": 12345}' WHERE id = 2"""),
        "scan 2: info does not fit ScanInfo",
    ),
    "info row valid but tampered": (
        lambda p: execute(p, "UPDATE scans SET info = replace(info, '\"exists\":3', '\"exists\":9')"),
        "do not match their checksum",
    ),
    "score not JSON": (on_scan2("score", "not json"), "score is not JSON"),
    "evidence not zlib": (on_scan2("evidence", b"\x00\xff\x00\xff"), "evidence is not zlib data"),
    "evidence not JSON": (
        on_scan2("evidence", __import__("zlib").compress(b"{oops")),
        "evidence is not JSON",
    ),
    "candidate of wrong types": (
        on_scan2("candidate", '{"domain": 5, "plausibility": "x"}'),
        "candidate does not fit Candidate",
    ),
    "level of the wrong type": (on_scan2("level", 42), "level '42' is not a level"),
    "evidence stored as text": (on_scan2("evidence", "plain text"), "evidence is text, not bytes"),
    "a start that is not a time": (
        lambda p: execute(p, "UPDATE scans SET started = 12345 WHERE id = 1"),
        "scan 1: started is not a timestamp",
    ),
    "absent chunk not zlib": (
        lambda p: execute(p, "UPDATE absent_chunks SET data = x'1234' WHERE scan_id = 3"),
        "scan 3, absent chunk 1: data is not zlib data",
    ),
    "absent name renamed": (
        lambda p: execute(p, "UPDATE names SET domain = 'kesrel.mi' WHERE domain = 'kesrel.mil'"),
        "do not match their checksum",
    ),
    "triage state unknown": (
        lambda p: execute(p, "UPDATE triage SET state = 'evil'"),
        "state 'evil' is not a triage",
    ),
    "cached registration not JSON": (
        lambda p: execute(p, "UPDATE registrations SET outcome = '['"),
        "cached registration 'kestrel.ml': outcome is not JSON",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_command_survives_the_damage(case: str, pristine: Sound, tmp_path: Path) -> None:
    sound, outputs = pristine
    damage, named = CASES[case]
    damaged = copy_of(sound, tmp_path / "d")
    damage(damaged)
    told = []
    for command in COMMANDS:
        if case == "absent name renamed" and command == ("history", "kesrel.mil"):
            # A name looked up by itself is found by its key: one renamed in place is simply not
            # there. Reading the scan (report, plan, diff, --check) finds it by its checksum.
            continue
        work = copy_of(damaged, tmp_path / "w")
        result = run(work, *command)
        outcome_is_honest(result, work, outputs[command])
        told.append(result.stderr)
    if case != "cached registration not JSON":  # only scans and `plan` with the registry read the cache
        assert named in "".join(told), f"no command named the damage: {told}"


@pytest.mark.parametrize("case", list(CASES))
def test_check_lists_the_damage_and_changes_nothing(case: str, pristine: Sound, tmp_path: Path) -> None:
    damage, named = CASES[case]
    db = copy_of(pristine[0], tmp_path)
    damage(db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = run(db, "history", "--check")
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "restore the file from a backup" in result.stderr
    if named != "is damaged":
        assert named in result.stdout
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0


def test_check_of_a_sound_database(pristine: Sound, tmp_path: Path) -> None:
    db = copy_of(pristine[0], tmp_path)
    result = run(db, "history", "--check")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        f"{db}: schema {SCHEMA_VERSION}; read 3 scans, 3 references, 9 findings, 3 absent chunks"
    )
    assert lines[-1] == f"{db}: sound"
    assert run(db, "history", "kestrel.ml", "--check").exit_code == 2
    assert run(tmp_path / "missing.db", "history", "--check").exit_code == 2


def test_an_old_database_is_checked_without_migrating(v1_database: Path) -> None:
    before = hashlib.sha256(v1_database.read_bytes()).hexdigest()
    result = run(v1_database, "history", "--check")
    assert result.exit_code == 0, result.output
    assert f"schema 1 (migrated to {SCHEMA_VERSION} by the next command that writes)" in result.stdout
    assert hashlib.sha256(v1_database.read_bytes()).hexdigest() == before


def test_rows_written_before_checksums_are_checked_by_decoding(v1_database: Path) -> None:
    execute(v1_database, 'UPDATE findings SET score = \'{"level": "bogus"}\'')
    result = run(v1_database, "history", "--check")
    assert result.exit_code == 2
    assert "scan 1, finding 1 ('kestrel.ml'): score does not fit Score" in result.stdout
    report = run(v1_database, "report", "--format", "json", "-o", "-")
    assert report.exit_code == 0
    assert "score does not fit Score" in report.stderr
    assert '"findings": []' in report.stdout


def test_hostile_text_in_a_damaged_row_is_shown_inert(pristine: Sound, tmp_path: Path) -> None:
    db = copy_of(pristine[0], tmp_path)
    execute(db, "UPDATE findings SET domain = ?, score = 'x' WHERE domain = 'kestrel.ml'", "\x1b[2J<b>evil")
    result = run(db, "report", "--format", "json", "-o", "-")
    assert result.exit_code == 0
    assert "\x1b" not in result.stderr
    assert "'\\x1b[2J<b>evil'" in result.stderr
    assert "\x1b" not in run(db, "history", "--check").stdout


def test_not_a_lookalike_file_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40)
    for command in COMMANDS:
        result = run(junk, *command)
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.count("\n") == 1


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flipped_bytes_are_found_or_harmless(
    data: st.DataObject, pristine: Sound, tmp_path: Path
) -> None:
    """Flip a few bytes anywhere in the file: each command answers as before, or says what it left
    out, or stops with one line."""
    sound, outputs = pristine
    blob = bytearray(sound.read_bytes())
    at = data.draw(st.integers(0, len(blob) - 1), label="offset")
    for i, mask in enumerate(data.draw(st.lists(st.integers(1, 255), min_size=1, max_size=8), label="xor")):
        if at + i < len(blob):
            blob[at + i] ^= mask
    damaged = tmp_path / f"flip-{at}.db"
    damaged.write_bytes(bytes(blob))
    command = data.draw(st.sampled_from(COMMANDS), label="command")
    result = run(damaged, *command)
    outcome_is_honest(result, damaged, outputs[command])
    damaged.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{damaged}{suffix}").unlink(missing_ok=True)
