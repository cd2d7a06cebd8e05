"""``lookalike report``: re-render a scan JSON file (or a stored scan) as HTML or an export."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lookalike import advice, export, saved
from lookalike.cli import app
from lookalike.cli.report import ReportFormat
from lookalike.errors import LookalikeError
from lookalike.model import MailRoute, ScanResult
from lookalike.saved import is_synthetic
from tests import factories as fx


@pytest.fixture
def scan_json(tmp_path: Path) -> Path:
    path = tmp_path / "weekly.json"
    path.write_text(export.dumps(fx.scan_result(fx.sample_findings())), "utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["report", *args])
    return result.exit_code, result.stdout, result.stderr


def test_renders_a_scan_json_file_to_reports(
    scan_json: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(str(scan_json))
    assert (code, err) == (0, "")
    written = Path("reports/weekly.html")
    assert out.strip() == str(written)
    html = written.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "lookalikes can receive your mail" in html
    assert "Synthetic data" not in html


@pytest.mark.parametrize("fmt", [f for f in ReportFormat if f is not ReportFormat.HTML])
def test_exports_each_format(fmt: ReportFormat, scan_json: Path, tmp_path: Path) -> None:
    target = tmp_path / f"out.{fmt.value}"
    code, out, _ = run(str(scan_json), "--format", fmt.value, "--output", str(target))
    assert code == 0
    assert out.strip() == str(target)
    result = saved.from_json(scan_json).result
    assert target.read_text("utf-8") == export.export(result, fmt.value)


def test_output_dash_writes_to_stdout(scan_json: Path) -> None:
    code, out, _ = run(str(scan_json), "-f", "cef", "-o", "-")
    assert code == 0
    assert out.startswith("CEF:0|lookalike|lookalike|")
    assert len(out.splitlines()) == len(fx.sample_findings())


def test_refuses_to_overwrite_its_source(scan_json: Path) -> None:
    code, _, err = run(str(scan_json), "--format", "json", "--output", str(scan_json))
    assert code == 2
    assert err.startswith("lookalike: error: ")
    assert "is the scan being read" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"{not json", "is not JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
        (b'{"hello": 1}', "not a lookalike scan JSON document"),
        (b"\xff\xfe\x00garbage", "does not start with {"),
        (b'{"a": "\xff\xfe"}', "is not UTF-8 text"),
        (b'{"tool": "lookalike", "schema_version": 99, "findings": []}', "newer than this lookalike reads"),
        (b'{"tool": "lookalike", "schema_version": 1, "scan": {}, "findings": [{}]}', "scan.id: missing"),
        (b"[" * 100_000, "not"),
    ],
)
def test_bad_sources_are_one_line_and_exit_2(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "scan.json"
    if content is not None:
        path.write_bytes(content)
    code, out, err = run(str(path), "-o", str(tmp_path / "x.html"))
    assert code == 2
    assert out == ""
    assert err.startswith("lookalike: error: ")
    assert message in err
    assert err.count("\n") == 1


def test_a_directory_is_not_a_scan(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path))
    assert code == 2
    assert "is a directory" in err


def test_file_and_store_options_exclude_each_other(scan_json: Path) -> None:
    code, _, err = run(str(scan_json), "--scan", "3")
    assert code == 2
    assert "not both" in err


def test_unknown_format_is_a_usage_error(scan_json: Path) -> None:
    code, _, _ = run(str(scan_json), "--format", "xml")
    assert code == 2


def test_missing_database_is_a_user_error(tmp_path: Path) -> None:
    code, _, err = run("--db", str(tmp_path / "none.db"))
    assert code == 2
    assert "no lookalike database" in err


def test_synthetic_setting_shows_the_banner(tmp_path: Path) -> None:
    result = fx.scan_result(fx.sample_findings())
    result = replace(result, info=replace(result.info, settings=(("synthetic", "yes"),)))
    assert is_synthetic(result.info)
    path = tmp_path / "demo.json"
    path.write_text(export.dumps(result), "utf-8")
    code, _, _ = run(str(path), "-o", str(tmp_path / "demo.html"))
    assert code == 0
    assert "Synthetic data: the offline demo universe" in (tmp_path / "demo.html").read_text("utf-8")


def test_json_source_recomputes_audit_and_blocklist(scan_json: Path) -> None:
    inputs = saved.load(scan_json)
    assert inputs.name == "weekly"
    assert inputs.changes is None
    audit = advice.audit_for(inputs.result, triage=inputs.triage)
    assert [a.domain for a in audit] == ["kestrelsystems.co"]  # the lookalike that is ours
    blocked = {b.domain for b in advice.blocklist_for(inputs.result, triage=inputs.triage)}
    assert "kestrelsytems.com" in blocked  # a third party's catch-all
    assert "kestrelsystems.co" not in blocked


def test_renders_a_stored_scan_with_its_changes(tmp_path: Path) -> None:
    from lookalike.store import Store

    db = tmp_path / "lookalike.db"
    first = fx.scan_result(fx.sample_findings()[1:3])
    second_findings = fx.sample_findings()[:3]
    second = fx.scan_result(second_findings)
    with Store.open(db) as store:
        for result, offset in ((first, 0), (second, 1)):
            info = replace(result.info, started=fx.NOW.replace(day=20 + offset), finished=None)
            scan_id = store.begin_scan(info, key="k")
            store.save_references(scan_id, result.references)
            for finding in result.findings:
                store.record(scan_id, finding)
            store.finish_scan(scan_id, replace(info, finished=info.started.replace(hour=9)))
    inputs = saved.load(None, db=db)
    assert inputs.name == "lookalike-scan-2"
    assert inputs.changes is not None
    assert [c.domain for c in inputs.changes.new] == ["kestrelsytems.com"]
    code, _out, err = run("--db", str(db), "--scan", "2", "-o", str(tmp_path / "r.html"))
    assert (code, err) == (0, "")
    html = (tmp_path / "r.html").read_text("utf-8")
    assert "What changed since the previous scan" in html
    assert '<span class="change new">new</span>' in html
    code, _, err = run("--db", str(db), "--scan", "99")
    assert code == 2
    assert "no scan 99" in err


def test_read_scan_json_round_trips(scan_json: Path) -> None:
    result = saved.from_json(scan_json).result
    assert isinstance(result, ScanResult)
    assert len(result.findings) == len(fx.sample_findings())
    assert result.findings[0].evidence.dns.value is not None
    assert result.findings[0].evidence.dns.value.mail_route is MailRoute.MX


def test_read_scan_json_errors_are_lookalike_errors(tmp_path: Path) -> None:
    with pytest.raises(LookalikeError, match="cannot read"):
        saved.from_json(tmp_path / "missing.json")
    (tmp_path / "a.json").write_text(json.dumps({"tool": "other"}), "utf-8")
    with pytest.raises(LookalikeError, match="not a lookalike scan JSON document"):
        saved.from_json(tmp_path / "a.json")
