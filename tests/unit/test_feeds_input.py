"""Text input (names a line, zone files, CT JSON lines), zone diffs, the log list and lookalike match."""

from __future__ import annotations

import base64
import gzip
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lookalike import names
from lookalike.cli import app
from lookalike.errors import LookalikeError
from lookalike.feeds import loglist, zones
from lookalike.feeds.lines import MAX_LINE, Format, InputError, names_from_lines
from lookalike.permute import generate

DATA = Path(__file__).resolve().parent.parent.parent / "lookalike" / "data"
runner = CliRunner()


def test_names_in_every_format() -> None:
    text = (
        b"# a comment\n"
        b"paypa1.com\n"
        b"  www.example.org  extra words\n"
        b'{"message_type": "certificate_update", "data": {"leaf_cert": '
        b'{"all_domains": ["a.com", "*.b.com"]}}}\n'
        b'{"names": ["c.com"], "log": "argon2026h2"}\n'
        b"$ORIGIN com.\n"
        b"foo 3600 in ns ns1.x.\n"
        b"foo 3600 in ns ns2.x.\n"
        b"bar.com.\t172800\tin\tns\tns1.y.\n"
    )
    found = [name for _, name in names_from_lines(text.splitlines())]
    assert found == ["paypa1.com", "www.example.org", "a.com", "*.b.com", "c.com", "foo.com", "bar.com."]
    zone_only = [n for _, n in names_from_lines(text.splitlines()[5:], Format.ZONE)]
    assert zone_only == ["foo.com", "bar.com."]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"{not json", ":1: not a JSON object"),
        (b"\xff\xfe", ":1: not UTF-8"),
        (b"x" * (MAX_LINE + 1), "longer"),
    ],
)
def test_bad_lines_name_their_line(line: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        list(names_from_lines([line], origin="feed"))


def _zone(names: list[str], path: Path, *, gz: bool) -> Path:
    lines = ["com.\t86400\tin\tsoa\ta.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400"]
    for name in names:
        lines += [
            f"{name}.com.\t172800\tin\tns\tns1.{name}.com.",
            f"{name}.com.\t172800\tin\tns\tns2.example.net.",
        ]
        lines.append(f"ns1.{name}.com.\t172800\tin\ta\t192.0.2.1")
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@settings(max_examples=25, deadline=None)
@given(
    st.sets(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), max_size=40),
    st.sets(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), max_size=40),
    st.booleans(),
)
def test_a_zone_diff_is_the_set_difference(old: set[str], new: set[str], gz: bool) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        before = _zone(sorted(old, key=lambda n: f"{n}.com"), Path(tmp) / "old", gz=gz)
        after = _zone(sorted(new, key=lambda n: f"{n}.com"), Path(tmp) / "new", gz=not gz)
        changes = list(zones.diff(after, before))
        assert {n for c, n in changes if c is zones.Change.ADDED} == {f"{n}.com" for n in new - old}
        assert {n for c, n in changes if c is zones.Change.REMOVED} == {f"{n}.com" for n in old - new}
        shuffled = list(new)
        random.Random(1).shuffle(shuffled)
        unsorted = _zone(shuffled, Path(tmp) / "unsorted", gz=gz)
        assert list(zones.diff(unsorted, before, sort=True)) == changes


def test_an_unsorted_zone_stops_with_one_line(tmp_path: Path) -> None:
    before = _zone(["aaa", "bbb"], tmp_path / "old", gz=True)
    after = _zone(["ccc", "abc"], tmp_path / "new", gz=False)
    with pytest.raises(LookalikeError, match=r"new:\d+: the zone file is not sorted"):
        list(zones.diff(after, before))


def test_the_shipped_log_list_parses_and_its_signature_verifies() -> None:
    logs = loglist.load()
    assert len(logs) > 100
    assert {log.kind for log in logs} == set(loglist.LogKind)
    loglist.verify_list_signature(
        (DATA / "ct-log-list.json").read_bytes(),
        (DATA / "ct-log-list.sig").read_bytes(),
        (DATA / "ct-log-list-key.pem").read_bytes(),
    )
    tiled = next(log for log in logs if log.name == "sycamore2026h2")
    assert tiled.origin == "log.sycamore.ct.letsencrypt.org/2026h2"
    assert loglist.select(logs, ["argon2026h2"])[0].url == "https://ct.googleapis.com/logs/us1/argon2026h2/"
    with pytest.raises(LookalikeError, match="no CT log named"):
        loglist.select(logs, ["nosuchlog"])


def test_a_log_whose_id_is_not_its_key_makes_the_list_unusable() -> None:
    document = json.loads((DATA / "ct-log-list.json").read_text())
    document["operators"][0]["logs"][0]["log_id"] = base64.b64encode(b"\0" * 32).decode()
    with pytest.raises(LookalikeError, match="not the SHA-256 of its key"):
        loglist.parse_log_list(json.dumps(document).encode())
    with pytest.raises(LookalikeError, match="signature does not verify"):
        loglist.verify_list_signature(
            json.dumps(document).encode(),
            (DATA / "ct-log-list.sig").read_bytes(),
            (DATA / "ct-log-list-key.pem").read_bytes(),
        )


def test_match_command_formats_and_errors(tmp_path: Path) -> None:
    feed = tmp_path / "feed.txt"
    feed.write_text("paypa1.com\nwww.example.org\npaypal-login.evil.net\n")
    result = runner.invoke(app, ["match", str(feed), "-d", "paypal.com", "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["domain"] for r in records] == ["paypa1.com", "paypal-login.evil.net"]
    assert {
        "domain",
        "unicode",
        "protected",
        "techniques",
        "plausibility",
        "name",
        "route",
        "why",
        "steps",
    } <= set(records[0])
    result = runner.invoke(app, ["match", str(feed), "-d", "paypal.com", "--format", "csv"])
    assert result.stdout.splitlines()[0].startswith("domain,unicode,protected,techniques")
    result = runner.invoke(app, ["match", "-", "-d", "paypal.com"], input="=cmd|paypa1.com\npaypa1.com\n")
    made = next(c for c in generate(names.parse("paypal.com")) if c.domain == "paypa1.com")
    assert result.stdout.splitlines()[0].split("\t")[:3] == [
        "paypa1.com",
        f"{made.plausibility:.4f}",
        "homoglyph",
    ]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"paypa1.com\n{broken\npaypa1.net\n")
    result = runner.invoke(app, ["match", str(bad), "-d", "paypal.com", "--format", "json"])
    assert result.exit_code == 2
    assert "bad.txt:2: not a JSON object" in result.stderr
    assert json.loads(result.stdout)[0]["domain"] == "paypa1.com"  # what was found is kept, the array closed
    for args in (["--format", "xml"], ["--input", "csv"], ["--depth", "3"]):
        result = runner.invoke(app, ["match", str(feed), "-d", "paypal.com", *args])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1
    result = runner.invoke(app, ["match", str(tmp_path / "missing"), "-d", "paypal.com"])
    assert result.exit_code == 2 and "cannot read" in result.stderr
    result = runner.invoke(app, ["match", str(feed)])
    assert result.exit_code == 2 and "at least one domain" in result.stderr


def test_match_reads_gzip_zone_files(tmp_path: Path) -> None:
    zone = _zone(["paypa1", "example", "paypal-secure"], tmp_path / "com.zone.gz", gz=True)
    result = runner.invoke(app, ["match", str(zone), "-d", "paypal.com", "--input", "zone", "-q"])
    assert result.exit_code == 0, result.output
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["paypa1.com", "paypal-secure.com"]
