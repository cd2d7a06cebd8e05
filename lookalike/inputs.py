"""Reading what lookalike is given to read: a file or a stream, never more than a stated number of bytes.

Every file the user names (protected names, keywords, ``lookalike.toml``, a scan JSON) and every data
file (the RDAP bootstrap, the TLD list, the WHOIS phrase file, the CT log list, the TLD policy table,
``resolv.conf``) is read through ``read_bytes`` or ``read_text``. Bytes are taken as they come, a
chunk at a time, until the limit is passed: a pipe, a FIFO, ``/dev/stdin`` or ``/dev/zero`` (where
``stat`` says 0 bytes) is refused at the limit instead of filling memory, and a small file costs no
more than its size.

Every failure is one ``LookalikeError`` line naming what was read: missing, unreadable, a directory,
larger than the limit, or (``read_text``) not text in the encoding asked for.

Must not: parse what it reads, guess an encoding, or touch the network.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.abc import Traversable
from pathlib import Path
from typing import BinaryIO, Protocol

from lookalike.errors import LookalikeError

__all__ = ["CHUNK", "First", "Source", "read_bytes", "read_text"]

CHUNK = 1 << 20
"""Bytes asked for per read: a small file is read in one, a large one never costs twice its limit."""

Source = Path | Traversable | BinaryIO
"""A path, a packaged data file, or an open binary stream (which is read, never closed)."""


def _name(source: Source, what: str) -> str:
    label = source if isinstance(source, Path | Traversable) else getattr(source, "name", "a stream")
    return f"{what} {label}" if what else str(label)


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


First = Callable[[bytes], None]
"""Called with the first chunk read, before the rest is: it raises ``LookalikeError`` to refuse a
source that cannot be what it should (a JSON document that does not start with ``{``) at once."""


def _take(handle: _Readable, limit: int, first: First | None) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = handle.read(min(CHUNK, limit + 1 - size))
        if not chunk:
            break
        if first is not None and not chunks:
            first(chunk)
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_bytes(source: Source, limit: int, *, what: str = "", first: First | None = None) -> bytes:
    """At most ``limit`` bytes of ``source``. ``what`` names it in errors ("the RDAP bootstrap");
    ``first`` may refuse it on its first chunk.

    Raises ``LookalikeError`` when it cannot be opened or read, holds more than ``limit`` bytes, or
    does not fit in memory.
    """
    name = _name(source, what)
    try:
        if isinstance(source, Path | Traversable):
            with source.open("rb") as handle:
                data = _take(handle, limit, first)
        else:
            data = _take(source, limit, first)
    except OSError as exc:
        raise LookalikeError(f"cannot read {name}: {exc.strerror or exc}") from exc
    except MemoryError:
        raise LookalikeError(f"{name} does not fit in memory; refusing it") from None
    if len(data) > limit:
        raise LookalikeError(f"{name} is larger than {limit:,} bytes; refusing it")
    return data


def read_text(
    source: Source, limit: int, *, what: str = "", encoding: str = "utf-8-sig", first: First | None = None
) -> str:
    """``read_bytes`` decoded (UTF-8 by default, a leading byte-order mark dropped).

    Raises ``LookalikeError`` as ``read_bytes`` does, and when the bytes are not text in ``encoding``.
    """
    data = read_bytes(source, limit, what=what, first=first)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        label = "UTF-8" if encoding.lower().startswith("utf-8") else encoding
        raise LookalikeError(f"{_name(source, what)} is not {label} text (byte {exc.start})") from exc
