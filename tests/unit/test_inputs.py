"""Bounded reading: every file and stream lookalike reads is capped as it is read, so a pipe, a FIFO or
/dev/zero (where ``stat`` says 0 bytes) is one line at the limit, never a MemoryError."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookalike import saved
from lookalike.cli import main
from lookalike.endpoints import HostPort, system_resolvers
from lookalike.errors import LookalikeError
from lookalike.inputs import CHUNK, read_bytes, read_text


@given(st.binary(max_size=3000), st.integers(0, 4000))
def test_read_bytes_is_the_file_or_one_line(data: bytes, limit: int) -> None:
    stream = io.BytesIO(data)
    if len(data) <= limit:
        assert read_bytes(stream, limit) == data
    else:
        with pytest.raises(LookalikeError, match=f"larger than {limit:,} bytes"):
            read_bytes(stream, limit)
        assert stream.tell() <= limit + 1  # it stopped reading just past the limit


def test_dev_zero_stops_at_the_limit() -> None:
    with pytest.raises(LookalikeError, match=r"^/dev/zero is larger than 3,000,000 bytes; refusing it$"):
        read_bytes(Path("/dev/zero"), 3_000_000)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO with a writer that never stops (until the reader goes away)."""
    path = tmp_path / "names.fifo"
    os.mkfifo(path)

    def write() -> None:
        try:
            with path.open("wb") as out:
                while True:
                    out.write(b"kestrel.mil\n" * 4096)
        except (BrokenPipeError, OSError):
            return

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    yield path
    writer.join(timeout=10)


def test_an_endless_fifo_stops_at_the_limit(fifo: Path) -> None:
    with pytest.raises(LookalikeError, match="is larger than 2,097,152 bytes"):
        read_bytes(fifo, 2 * CHUNK)


def test_a_pipe_on_stdin_of_the_cli_stops_at_the_limit() -> None:
    yes = subprocess.Popen(["yes", "kestrel.mil"], stdout=subprocess.PIPE)
    assert yes.stdout is not None
    with yes, yes.stdout:
        proc = subprocess.run(
            [Path(sys.executable).parent / "lookalike", "generate", "--file", "/dev/stdin"],
            stdin=yes.stdout,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        yes.kill()
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "lookalike: error: /dev/stdin is larger than 50,000,000 bytes; refusing it"
    ]


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("missing.txt", "cannot read missing.txt: No such file or directory"),
        (".", "cannot read .: Is a directory"),
    ],
)
def test_what_cannot_be_read_is_one_line(
    source: str, fragment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LookalikeError, match=fragment):
        read_text(Path(source), 100)


def test_text_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"caf\xe9\n")
    with pytest.raises(LookalikeError, match=r"latin1.txt is not UTF-8 text \(byte 3\)"):
        read_text(path, 100)
    assert read_text(path, 100, encoding="latin-1") == "café\n"
    path.write_bytes(b"\xef\xbb\xbfkestrel.mil\n")
    assert read_text(path, 100) == "kestrel.mil\n"  # the byte-order mark goes


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--file", "/dev/zero"],
        ["generate", "kestrel.mil", "--keywords", "/dev/zero"],
        ["scan", "--file", "/dev/zero", "--no-store", "--resolver", "127.0.0.1:9"],
        ["scan", "kestrel.mil", "--keywords", "/dev/zero", "--no-store", "--resolver", "127.0.0.1:9"],
        ["scan", "--config", "/dev/zero", "--no-store"],
        ["match", "/dev/null", "--file", "/dev/zero"],
        ["plan", "--file", "/dev/zero", "--db", "none.db"],
    ],
)
def test_dev_zero_anywhere_on_the_command_line_is_one_line(
    args: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("lookalike: error: ") and "/dev/zero is larger than" in err[0], err


@pytest.mark.parametrize("command", ["report", "plan"])
def test_a_scan_json_from_dev_zero_or_too_large_is_one_line(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def run(source: Path) -> str:
        args = ["report", str(source), "-o", str(tmp_path / "x.html")]
        if command == "plan":
            args = ["plan", "--from-json", str(source), "--no-registry", "--db", str(tmp_path / "x.db")]
        with pytest.raises(SystemExit) as done:
            main(args)
        assert done.value.code == 2
        return capsys.readouterr().err.strip()

    # /dev/zero is refused on its first chunk: a JSON object starts with {.
    said = run(Path("/dev/zero"))
    assert (
        said == "lookalike: error: /dev/zero: not a lookalike scan JSON document (it does not start with {)"
    )
    monkeypatch.setattr(saved, "MAX_SCAN_JSON", 4 * CHUNK)  # the real limit is 1 GiB
    big = tmp_path / "big.json"
    big.write_bytes(b"{" + b" " * (5 * CHUNK) + b"}")
    assert run(big) == f"lookalike: error: {big} is larger than 4,194,304 bytes; refusing it"


def test_first_refuses_on_the_first_chunk() -> None:
    seen: list[int] = []

    def refuse(head: bytes) -> None:
        seen.append(len(head))
        raise LookalikeError("no")

    with pytest.raises(LookalikeError, match=r"^no$"):
        read_bytes(Path("/dev/zero"), 1 << 30, first=refuse)
    assert seen == [CHUNK]


def test_resolv_conf_is_read_bounded(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_bytes(b"# comment\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\nsearch example\xff\n")
    assert system_resolvers(conf) == (HostPort("192.0.2.53", 53), HostPort("fe80::1", 53))
    with pytest.raises(LookalikeError, match=r"^no --resolver given, and /dev/zero is larger than"):
        system_resolvers(Path("/dev/zero"))
    with pytest.raises(LookalikeError, match="no --resolver given, and cannot read"):
        system_resolvers(tmp_path / "missing")
