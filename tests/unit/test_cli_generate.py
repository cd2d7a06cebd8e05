"""`lookalike generate` and `lookalike techniques` through the real command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lookalike.cli import app
from lookalike.model import Technique

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_lists_army_ml_near_the_top() -> None:
    code, out, _ = run("generate", "army.mil", "--format", "json")
    assert code == 0
    records = json.loads(out)
    domains = [r["domain"] for r in records[:50]]
    assert "army.ml" in domains
    first = records[0]
    assert {
        "domain",
        "unicode",
        "protected",
        "techniques",
        "plausibility",
        "apex",
        "registrable",
        "note",
    } <= set(first)
    assert first["protected"] == "army.mil"
    assert all(isinstance(t, str) for t in first["techniques"])
    plausibility = [r["plausibility"] for r in records]
    assert plausibility == sorted(plausibility, reverse=True)


def test_text_is_plain_lines_when_piped() -> None:
    code, out, _ = run("generate", "army.mil", "--limit", "5")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 5
    domain, plausibility, techniques, *_ = lines[1].split("\t")
    assert domain == "army.ml"
    assert float(plausibility) > 0.8
    assert techniques == "tld-typo"


def test_text_table_on_a_terminal() -> None:
    from lookalike.cli.generate import text_lines
    from lookalike.names import parse
    from lookalike.permute import GenerateOptions, generate

    found = generate(parse("apple.com"), GenerateOptions(techniques=frozenset({Technique.WHOLE_SCRIPT})))
    lines = list(text_lines(found, terminal=True, several=False))
    assert lines[0].split() == ["DOMAIN", "PLAUSIBILITY", "TECHNIQUES", "UNICODE"]
    assert "аррӏе.com" in lines[1]
    assert "xn--80ak6aa92e.com" in lines[1]


def test_csv_is_formula_safe() -> None:
    code, out, _ = run(
        "generate", "my-bank.com", "--format", "csv", "-t", "word-swap", "-t", "hyphen-removal"
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:5] == ["domain", "unicode", "protected", "techniques", "plausibility"]
    assert {r[0] for r in rows[1:]} >= {"bank-my.com", "mybank.com"}
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_several_domains_file_and_options(tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("# ours\narmy.mil\nhttps://www.example.co.uk/login\n")
    keywords = tmp_path / "kw.txt"
    keywords.write_text("intranet\n")
    code, out, _ = run(
        "generate", "--file", str(names), "--keywords", str(keywords), "-t", "keyword", "-k", "qwertz",
        "--depth", "2", "--limit", "3000", "--format", "json",
    )  # fmt: skip
    assert code == 0
    records = json.loads(out)
    assert {r["protected"] for r in records} == {"army.mil", "www.example.co.uk"}
    assert "army-intranet.mil" in {r["domain"] for r in records}


def test_techniques_lists_every_technique() -> None:
    code, out, _ = run("techniques")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(Technique)
    assert lines[0].split()[0] == "omission"
    assert any("army.mil -> army.ml" in line for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate"], "at least one domain"),
        (["generate", "exa mple.com"], "not a domain name"),
        (["generate", "bad_label.com"], "not a domain name"),
        (["generate", "--", "-bad.com"], "letters, digits and inner hyphens"),
        (["generate", "bad-.com"], "letters, digits and inner hyphens"),
        (["generate", "army.notatld"], "not a top-level domain"),
        (["generate", "192.0.2.1"], "IP address"),
        (
            ["generate", "army.mil", "--technique", "nonsense"],
            "unknown technique 'nonsense'; choose from omission",
        ),
        (["generate", "army.mil", "--depth", "3"], "--depth must be 1 or 2"),
        (["generate", "army.mil", "--depth", "two"], "--depth must be 1 or 2"),
        (["generate", "army.mil", "--keyboard", "dvorak"], "unknown --keyboard 'dvorak'"),
        (["generate", "army.mil", "--limit", "0"], "--limit must be at least 1"),
        (["generate", "army.mil", "--limit", "many"], "--limit must be a whole number"),
        (["generate", "army.mil", "--format", "xml"], "--format must be text, json or csv"),
        (["generate", "army.mil", "--keywords", "/nonexistent/kw.txt"], "cannot read"),
        (["generate", "--file", "/nonexistent/names.txt"], "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("lookalike: error: ")
    assert message in err


def test_empty_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n\n")
    code, _, err = run("generate", "--file", str(empty))
    assert code == 2
    assert "holds no domain names" in err
    assert len(err.strip().splitlines()) == 1
    keywords = tmp_path / "kw.txt"
    keywords.write_text("\n")
    code, _, err = run("generate", "army.mil", "--keywords", str(keywords))
    assert code == 2
    assert "holds no keywords" in err


def test_the_installed_command() -> None:
    """The real entry point, as a user runs it: exit codes and streams from a separate process."""
    exe = Path(sys.executable).with_name("lookalike")
    bad = subprocess.run(
        [str(exe), "generate", "army.mil", "-t", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert len(bad.stderr.splitlines()) == 1
    head = subprocess.run(
        f"{exe} generate army.mil -t tld-typo | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert head.stdout.startswith("army.")
    assert "Traceback" not in head.stderr
    assert "BrokenPipe" not in head.stderr
