"""Opening input files: plain or gzip (by its magic bytes, not its name), a path or standard input,
read a line at a time with a bound on each line so that a file without line ends cannot fill memory.

Must not: parse what the lines hold (``lines`` and ``zones`` do).
"""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from lookalike.errors import LookalikeError
from lookalike.feeds.lines import MAX_LINE, InputError

GZIP_MAGIC = b"\x1f\x8b"


class Readable(Protocol):
    """What the readers need of a stream: a bounded ``readline``."""

    def readline(self, size: int = -1, /) -> bytes: ...


STDIN = "-"


@contextmanager
def open_input(source: str | Path) -> Iterator[Readable]:
    """A binary stream of ``source`` (a path, or ``-`` for standard input), decompressed when it is
    gzip. Raises ``LookalikeError`` when it cannot be opened."""
    try:
        if str(source) == STDIN:
            raw = sys.stdin.buffer
            close = False
        else:
            raw = Path(source).open("rb")  # noqa: SIM115 - closed below
            close = True
    except OSError as exc:
        raise LookalikeError(f"cannot read {source}: {exc.strerror or exc}") from exc
    try:
        if not isinstance(raw, io.BufferedReader):  # pragma: no cover - a replaced sys.stdin
            raw = io.BufferedReader(raw)
        if raw.peek(2)[:2] == GZIP_MAGIC:
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped
        else:
            yield raw
    except (OSError, EOFError) as exc:
        raise LookalikeError(f"cannot read {source}: {exc}") from exc
    finally:
        if close:
            raw.close()


def bounded_lines(stream: Readable, origin: str, limit: int = MAX_LINE) -> Iterator[bytes]:
    """The lines of ``stream`` (line ends kept); raises ``InputError`` at a line over ``limit`` bytes."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            raise InputError(f"{origin}:{number}: the line is longer than {limit:,} bytes")
        yield line


__all__ = ["STDIN", "bounded_lines", "open_input"]
