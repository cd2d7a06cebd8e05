"""Exports: the scan JSON contract, formula-safe CSV, JSON Lines and CEF, with hostile values."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike import export
from lookalike.errors import LookalikeError
from lookalike.model import Level
from lookalike.text import csv_cell
from tests import factories as fx

FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%", "＝", "＋", "－", "＠")


def hostile_scan() -> Any:
    return fx.scan_result(
        fx.sample_findings()
        + [fx.hostile_finding(p, domain=f"kestre1systems{i}.com") for i, p in enumerate(fx.HOSTILE)]
    )


# --- scan JSON -----------------------------------------------------------------------------------

FINDING_KEYS = {
    "domain", "unicode", "protected", "techniques", "plausibility", "status", "wildcard", "mail_route", "mx",
    "a", "aaaa", "ns", "spf", "dmarc", "detail", "registration", "smtp", "web", "level", "points", "reasons",
    "owner", "owner_reasons",
}  # fmt: skip
REGISTRATION_KEYS = {
    "source", "registrar", "created", "expires", "updated", "status", "nameservers", "registrant", "abuse",
}  # fmt: skip
SMTP_KEYS = {"host", "banner", "starttls", "accepts_any_recipient", "code"}
WEB_KEYS = {"url", "final_url", "status", "title", "parked", "login_form", "redirects_to_protected", "tls"}


def test_scan_json_keeps_its_contract() -> None:
    doc = json.loads(export.export(hostile_scan(), "json"))
    assert doc["schema_version"] == 1
    assert doc["tool"] == "lookalike"
    for rec in doc["findings"]:
        assert rec.keys() >= FINDING_KEYS
        assert rec["registration"].keys() >= REGISTRATION_KEYS
        assert rec["smtp"].keys() >= SMTP_KEYS
        assert rec["web"].keys() >= WEB_KEYS
    first = doc["findings"][0]
    assert first["domain"] == "kestrelsytems.com"
    assert first["smtp"]["accepts_any_recipient"] is True
    assert first["level"] == "critical"


def test_scan_json_round_trips() -> None:
    result = hostile_scan()
    again = export.load_document(json.loads(export.dumps(result)))
    assert again.findings == result.findings
    assert again.info == result.info
    assert again.references == result.references


def test_every_documented_finding_field_exists() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "report.md").read_text("utf-8")
    rec = export.finding_record(fx.sample_findings()[0])
    table = doc[doc.index("Each finding:") :]
    documented = set(re.findall(r"^\| `([a-z_]+)`", table, re.MULTILINE))
    documented |= {"a", "aaaa"}
    assert set(rec) <= documented, set(rec) - documented


# --- CSV -----------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_no_cell_starts_a_formula(text: str) -> None:
    cell = csv_cell(text)
    assert cell == text or cell == "'" + text
    if cell[:1] != "'":
        assert not cell.lstrip(" \u00a0\u3000").startswith(FORMULA)
        assert not cell.startswith(FORMULA)


@pytest.mark.parametrize(
    "value",
    ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =1+1", "　=1", "＝1+1",
     '=HYPERLINK("http://evil.example/","x")', "%0A=1", "|calc"],
)  # fmt: skip
def test_formula_payloads_are_quoted(value: str) -> None:
    assert csv_cell(value) == "'" + value


def test_csv_cell_types() -> None:
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true"
    assert csv_cell(0.5) == "0.5"
    assert csv_cell(fx.NOW) == "2026-11-27T08:00:00+00:00"
    assert csv_cell("kestrel.com") == "kestrel.com"


def test_csv_with_hostile_values_reads_back_inert() -> None:
    text = export.export(hostile_scan(), "csv")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert tuple(header) == export.CSV_COLUMNS
    assert len(body) == len(fx.sample_findings()) + len(fx.HOSTILE)
    for row in body:
        assert len(row) == len(header)
        for cell in row:
            assert not cell.startswith(FORMULA), cell
    registrars = {row[header.index("registrar")] for row in body}
    assert '\'=HYPERLINK("http://evil.example/","x")' in registrars


# --- JSON Lines ----------------------------------------------------------------------------------


def test_jsonl_is_one_object_per_finding() -> None:
    result = hostile_scan()
    lines = export.export(result, "jsonl").splitlines()
    assert len(lines) == len(result.findings)
    for line, finding in zip(lines, result.findings, strict=True):
        obj = json.loads(line)
        assert obj["event"] == "lookalike.finding"
        assert obj["domain"] == finding.candidate.domain
        assert obj["scan_id"] == 7
        assert "hosts" not in obj["smtp"]
        assert "probes" not in obj["web"]
    assert export.export(fx.scan_result([]), "jsonl") == ""


# --- CEF -----------------------------------------------------------------------------------------


def parse_cef(line: str) -> tuple[list[str], dict[str, str]]:
    """Split a CEF line the way a SIEM does: 8 header fields on unescaped pipes, then key=value pairs
    where a key is a run of word characters before an unescaped '='."""
    assert line.startswith("CEF:0|")
    fields: list[str] = []
    current: list[str] = []
    i = 0
    while len(fields) < 7:
        ch = line[i]
        if ch == "\\":
            current.append(line[i + 1])
            i += 2
            continue
        if ch == "|":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    extension = line[i:]
    pairs: dict[str, str] = {}
    starts = [
        m for m in re.finditer(r"(?:^| )([A-Za-z0-9_]+)=", extension) if not _escaped(extension, m.end() - 1)
    ]
    for k, m in enumerate(starts):
        end = starts[k + 1].start() if k + 1 < len(starts) else len(extension)
        raw = extension[m.end() : end]
        pairs[m.group(1)] = _unescape_value(raw)
    return fields, pairs


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index > 0 and text[index - 1] == "\\":
        backslashes += 1
        index -= 1
    return backslashes % 2 == 1


def _unescape_value(raw: str) -> str:
    out = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            out.append({"n": "\n", "r": "\r"}.get(nxt, nxt))
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def test_cef_lines() -> None:
    result = hostile_scan()
    lines = export.export(result, "cef").splitlines()
    assert len(lines) == len(result.findings)
    fields, ext = parse_cef(lines[0])
    assert fields == [
        "CEF:0",
        "lookalike",
        "lookalike",
        "0.1.0",
        "finding-critical",
        "Lookalike domain accepts mail for any recipient",
        "10",
    ]
    assert ext["dhost"] == "kestrelsytems.com"
    assert ext["cs1Label"] == "protected"
    assert ext["cs1"] == fx.PROTECTED
    assert ext["cs2"] == "mx"
    assert ext["cs3"] == "third-party"
    assert ext["cn1"] == str(result.findings[0].score.points)
    assert ext["rt"] == str(int(result.info.started.timestamp() * 1000))
    assert ext["flexString2"] == "true"
    assert "MX accepts any recipient" in ext["msg"]


@pytest.mark.parametrize(
    "payload", [*fx.HOSTILE, "a=b c=d", "x\\y|z", "line\nbreak\r\n cs1=forged", "tail\\"]
)
def test_cef_escapes_hostile_values(payload: str) -> None:
    finding = fx.hostile_finding(payload)
    line = export.cef_line(finding, fx.scan_info(), "1.0|x")
    assert "\n" not in line
    assert "\r" not in line
    fields, ext = parse_cef(line)
    assert len(fields) == 7
    assert fields[3] == "1.0|x"
    expected = payload.replace("\r\n", "\n")  # CEF has one escape for a line break
    assert ext["cs4"] == expected  # the registrar, exactly as received
    assert ext["cs1"] == fx.PROTECTED  # not overwritten by a forged key
    assert ext["request"].endswith(expected)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_cef_value_round_trips(text: str) -> None:
    escaped = export.cef_value(text)
    assert "\n" not in escaped
    assert "\r" not in escaped
    assert not re.search(r"(?<!\\)=", escaped.replace("\\\\", "")), escaped
    assert _unescape_value(escaped) == text.replace("\r\n", "\n")


def test_cef_header_escapes_pipes_and_backslashes() -> None:
    assert export.cef_header("a|b\\c\nd") == "a\\|b\\\\c d"


@pytest.mark.parametrize(
    ("level", "severity"),
    [(Level.CRITICAL, 10), (Level.HIGH, 8), (Level.MEDIUM, 5), (Level.LOW, 3), (Level.INFO, 1)],
)
def test_cef_severity(level: Level, severity: int) -> None:
    assert export.CEF_SEVERITY[level] == severity


def test_cef_names_the_situation() -> None:
    names = {
        f.candidate.domain: parse_cef(export.cef_line(f, fx.scan_info(), "1"))[0][5]
        for f in fx.sample_findings()
    }
    assert names["kestrelsytems.com"] == "Lookalike domain accepts mail for any recipient"
    assert names["kestrelsystem.com"] == "Lookalike domain can receive mail"
    assert names["kestrelsystems.cm"] == "Lookalike domain could not be checked"
    assert names["kestrelsystems.ws"] == "Lookalike domain exists through a wildcard"
    assert names["mail-kestrelsystems.com"] == "Lookalike domain exists"


# --- export() ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_every_format_exports(fmt: str) -> None:
    text = export.export(hostile_scan(), fmt)
    assert text.endswith("\n")
    assert export.export(hostile_scan(), fmt.upper()) == text


def test_unknown_format_is_a_user_error() -> None:
    with pytest.raises(LookalikeError, match="unknown export format 'xml'"):
        export.export(fx.scan_result([]), "xml")


def test_empty_scan_exports() -> None:
    empty = fx.scan_result([])
    assert export.export(empty, "cef") == ""
    assert export.export(empty, "csv").count("\n") == 1
    assert json.loads(export.export(empty, "json"))["findings"] == []
