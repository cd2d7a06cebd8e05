"""`lookalike watch` in process: bad input is one line and exit 2 before anything is read or kept,
and the line per pass shows hostile text from certificates and zone files inert."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import lookalike.cli  # noqa: F401  (registers every command)
from lookalike.cli.app import app
from lookalike.cli.watch import pass_line, since_of
from lookalike.errors import LookalikeError
from lookalike.model import Candidate, Sighting
from lookalike.store import Store
from lookalike.watch import Pass, ZonePoll


def run(*args: str, cwd: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "LOOKALIKE_DB": str(cwd / "w.db")})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["ct", "kestrel.mil", "--since", "yesterday"], "--since 'yesterday'"),
        (["ct", "kestrel.mil", "--log", "nosuchlog"], "no CT log named nosuchlog"),
        (["ct", "kestrel.mil", "--log-list", "missing.json"], "missing.json"),
        (["ct", "kestrel.mil", "--fail-on", "new"], "add --once"),
        (["ct", "kestrel.mil", "-t", "omission"], "--technique"),
        (["ct", "kestrel.mil", "--poll", "0"], "--poll"),
        (["ct", "--log", "nosuchlog"], "give at least one domain"),
        (["zone", "kestrel.mil", "--zone", "missing.zone.gz", "--once"], "cannot read missing.zone.gz"),
        (["zone", "kestrel.mil", "--once"], "--zone FILE"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], fragment: str, tmp_path: Path) -> None:
    code, out, err = run("watch", *args, cwd=tmp_path)
    assert code == 2, err
    (line,) = err.splitlines()
    assert line.startswith("lookalike: error: ") and fragment in line
    assert out == "" and not (tmp_path / "w.db").exists()  # nothing opened, nothing kept


def test_since_reads_head_an_index_or_a_count_back() -> None:
    assert since_of("head") is None and since_of(" HEAD ") is None
    assert since_of("0") == 0 and since_of("1234") == 1234 and since_of("-500") == -500
    for bad in ("", "1.5", "now", "0x10"):
        with pytest.raises(LookalikeError):
            since_of(bad)


def test_the_pass_line_shows_hostile_text_inert() -> None:
    hostile = "\x1b]0;owned\x07com\u202e"
    seen = Sighting(source=f"zone:{hostile}", seen_at=datetime.now(UTC), delegated=True)
    hit = Candidate(
        domain=f"kestre1systems.{hostile}",
        unicode=f"kestre1systems.{hostile}",
        protected="kestrelsystems.com",
        techniques=(),
        plausibility=0.5,
        sighting=seen,
    )
    zone = ZonePoll(hostile, names=3, added=1, hits=[hit, hit])
    line = pass_line(7, Pass(zone=zone))
    assert line.startswith("pass 7: zone:") and "1 matches" in line
    assert line.isprintable() and "\x1b" not in line and "\u202e" not in line
    assert "⟨U+001B⟩" in line and "⟨U+202E⟩" in line


def test_an_unsorted_zone_is_one_line_and_keeps_nothing(tmp_path: Path) -> None:
    zone = tmp_path / "com.zone.gz"
    with gzip.open(zone, "wt") as handle:
        handle.write("com.\t86400\tin\tsoa\ta.nic.com. h. 1 1 1 1 1\n")
        handle.write("zz.com.\t1\tin\tns\tns.zz.com.\naa.com.\t1\tin\tns\tns.aa.com.\n")
    previous = tmp_path / "old.zone.gz"
    with gzip.open(previous, "wt") as handle:
        handle.write("com.\t86400\tin\tsoa\ta.nic.com. h. 1 1 1 1 1\n")
    code, _, err = run(
        "watch", "zone", "kestrel.mil", "--zone", str(zone), "--previous", str(previous), "--once",
        "--resolver", "127.0.0.1:9", cwd=tmp_path,
    )  # fmt: skip
    assert code == 2, err
    (line,) = err.splitlines()
    assert line.startswith("lookalike: error: ") and "not sorted" in line and "--sort" in line
    with Store.open(tmp_path / "w.db") as store:
        assert store.feeds() == [] and store.pending_hits() == []  # tried again from the start next time
