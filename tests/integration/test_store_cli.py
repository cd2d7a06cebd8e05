"""The history commands on a real database: history, diff, triage, prune."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lookalike.cli import app
from lookalike.model import Existence, Finding, Level, Triage
from lookalike.store import Store
from tests.fixtures.store import PROTECTED, finding, scan

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})


def _store_scan(store: Store, findings: list[Finding], absent: list[str], day: int) -> int:
    result = scan(findings, day=day)
    scan_id = store.begin_scan(result.info, key="k")
    for f in findings:
        store.record(scan_id, f)
    store.record_absent(scan_id, [(d, PROTECTED) for d in absent])
    store.finish_scan(scan_id, result.info)
    return scan_id


@pytest.fixture
def db(db_location: Path | str) -> Path | str:
    """Four daily scans: kestrel.ml appears with an MX on day 2, kestrel.ga goes on day 3, flappy.ml
    comes and goes, kestrel.tk stays the same (and is triaged benign)."""
    with Store.open(db_location) as store:
        _store_scan(
            store, [finding("kestrel.ga"), finding("kestrel.tk"), finding("flappy.ml")], ["kestrel.ml"], 0
        )
        _store_scan(store, [finding("kestrel.ga"), finding("kestrel.tk")], ["kestrel.ml", "flappy.ml"], 1)
        _store_scan(
            store,
            [
                finding("kestrel.ga"),
                finding("kestrel.tk"),
                finding("flappy.ml"),
                finding("kestrel.ml", mx=("mx1.kestrel.ml",), level=Level.HIGH),
            ],
            [],
            2,
        )
        _store_scan(
            store,
            [
                finding("kestrel.tk", level=Level.HIGH),
                finding("kestrel.ml", mx=("mx1.kestrel.ml",), level=Level.HIGH),
            ],
            ["kestrel.ga", "flappy.ml"],
            3,
        )
        store.set_triage("kestrel.tk", Triage.BENIGN, note="a bakery", who="alice")
    return db_location


def test_history_lists_the_scans(db: Path | str) -> None:
    result = run("history", "--db", str(db))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "started", "(UTC)"]
    assert [line.split()[0] for line in lines[1:]] == ["4", "3", "2", "1"]
    assert "2026-03-05 06:15" in lines[1]
    assert "complete" in lines[1]
    assert lines[1].endswith(PROTECTED)


def test_history_of_one_lookalike(db: Path | str) -> None:
    result = run("history", "KESTREL.ML", "--db", str(db))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["kestrel.ml", "  triage: not triaged"]
    rows = [line.split() for line in lines[3:]]
    assert [(r[0], r[3], r[4]) for r in rows] == [
        ("1", "absent", "-"),
        ("2", "absent", "-"),
        ("3", "exists", "high"),
        ("4", "exists", "high"),
    ]
    triaged = run("history", "kestrel.tk", "--db", str(db)).stdout
    assert "triage: benign (by alice, " in triaged
    assert "UTC): a bakery" in triaged


def test_diff_defaults_to_the_two_latest_scans(db: Path | str) -> None:
    result = run("diff", "--db", str(db))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("lookalike: 1 gone since scan 3 (scan 4, started 2026-03-05 06:15 UTC).")
    assert "  kestrel.ga  (lookalike of kestrel.mil, medium)" in text
    assert "Left out (2: flapping, unconfirmed, or triaged and unchanged): flappy.ml, kestrel.tk" in text


def test_diff_between_chosen_scans_as_json(db: Path | str) -> None:
    result = run("diff", "--from", "2", "--to", "3", "--format", "json", "--db", str(db))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["scan"]["id"] == 3
    assert payload["scan"]["previous_id"] == 2
    assert [(c["kind"], c["domain"]) for c in payload["changes"]] == [("new", "kestrel.ml")]
    assert payload["changes"][0]["what"][0] == "MX: mx1.kestrel.ml"
    assert payload["suppressed"] == ["flappy.ml", "kestrel.tk"]


def test_diff_with_only_one_scan_is_an_error(db_path: Path) -> None:
    with Store.open(db_path) as store:
        _store_scan(store, [finding()], [], 0)
    result = run("diff", "--db", str(db_path))
    assert result.exit_code == 2
    assert "is the first complete scan" in result.output


def test_an_unknown_scan_is_an_error(db: Path | str) -> None:
    result = run("diff", "--from", "1", "--to", "99", "--db", str(db))
    assert result.exit_code == 2
    assert "no scan 99 in" in result.output


def test_read_commands_never_create_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    for command in (["history"], ["diff"], ["triage"], ["prune", "--keep", "3"]):
        result = run(*command, "--db", str(missing))
        assert result.exit_code == 2, command
        assert result.output.count("\n") == 1, "one line"
        assert "no lookalike database at" in result.output
    assert not missing.exists()


def test_triage_marks_a_name_and_lists_the_marks(db: Path | str) -> None:
    result = run("triage", "késtrel.ml", "--as", "malicious", "--note", "phishing kit", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("xn--kstrel-bva.ml (késtrel.ml): malicious (by ")
    assert result.stdout.rstrip().endswith("UTC): phishing kit")
    with Store.open(db) as store:
        mark = store.triage()["xn--kstrel-bva.ml"]
    assert mark.state is Triage.MALICIOUS
    assert mark.who
    listed = run("triage", "--db", str(db)).stdout.splitlines()
    assert [line.split(":")[0] for line in listed] == ["kestrel.tk", "xn--kstrel-bva.ml (késtrel.ml)"]


def test_triage_clear_and_mistakes(db: Path | str) -> None:
    assert run("triage", "kestrel.tk", "--clear", "--db", str(db)).stdout == "kestrel.tk: mark withdrawn\n"
    assert run("triage", "kestrel.tk", "--clear", "--db", str(db)).stdout == "kestrel.tk: was not triaged\n"
    missing = run("triage", "kestrel.ml", "--db", str(db))
    assert missing.exit_code == 2
    assert "--as owned|benign|malicious|watch" in missing.output
    wrong = run("triage", "kestrel.ml", "--as", "evil", "--db", str(db))
    assert wrong.exit_code == 2
    bad_name = run("triage", "not a domain", "--as", "watch", "--db", str(db))
    assert bad_name.exit_code == 2
    assert "not a domain name" in bad_name.output


def test_a_triaged_name_is_left_out_of_the_next_diff(db: Path | str) -> None:
    assert run("triage", "kestrel.ga", "--as", "owned", "--db", str(db)).exit_code == 0
    text = run("diff", "--db", str(db)).stdout
    assert "kestrel.ga  (lookalike" in text, "gone is still reported for a triaged name"
    assert "triaged owned by" in text


def test_prune(db: Path | str) -> None:
    result = run("prune", "--keep", "2", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"removed 2 scans from {db}\n"
    assert [line.split()[0] for line in run("history", "--db", str(db)).stdout.splitlines()[1:]] == ["4", "3"]
    assert (
        run("prune", "--older-than", "36500", "--vacuum", "--db", str(db)).stdout
        == f"removed 0 scans from {db}\n"
    )
    nothing = run("prune", "--db", str(db))
    assert nothing.exit_code == 2
    assert "--keep N and/or --older-than DAYS" in nothing.output


def test_history_reads_hostile_notes_as_text(db: Path | str) -> None:
    note = "[bold red]x[/] \x1b[2J <script>"
    assert run("triage", "kestrel.ml", "--as", "watch", "--note", note, "--db", str(db)).exit_code == 0
    text = run("history", "kestrel.ml", "--db", str(db)).stdout
    assert "[bold red]x[/] ⟨U+001B⟩[2J <script>" in text
    assert "\x1b" not in text


def test_existence_is_reported_per_scan_in_order(db: Path | str) -> None:
    with Store.open(db) as store:
        assert [row[2] for row in store.history("flappy.ml")] == [
            Existence.EXISTS,
            Existence.ABSENT,
            Existence.EXISTS,
            Existence.ABSENT,
        ]


def test_report_renders_the_latest_stored_scan(db: Path | str) -> None:
    result = run("report", "--db", str(db), "--format", "json", "-o", "-")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["scan"]["id"] == 4
    assert sorted(f["domain"] for f in payload["findings"]) == ["kestrel.ml", "kestrel.tk"]
    assert run("report", "--db", str(db), "--scan", "2", "--format", "csv", "-o", "-").exit_code == 0


def test_history_check_of_a_sound_database(db: Path | str) -> None:
    result = run("history", "--check", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith(": sound")
    assert "read 4 scans, 0 references, 11 findings, 3 absent chunks" in result.stdout
