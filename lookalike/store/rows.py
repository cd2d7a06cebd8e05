"""Every row the store reads passes through here: its checksum verified, each column checked for its
type, each document decoded through the codec. A row that fails raises ``DamagedRow`` saying what is
wrong with it; ``Store`` names the row, reports it (``Damage``) and leaves it out.

Why checksums: SQLite's structural check (and PostgreSQL's page checksums) find a broken page, not a
flipped letter inside a value, and a flipped letter in a domain name or a score still decodes. Each
row written since schema 3 carries a CRC-32 of its columns; rows written before have none and are
checked by decoding alone. A checksum finds damage, not tampering: whoever can write the file can
write a matching checksum.

Must not: run SQL or decide what a damaged row means for a scan (that is ``history.py``).
"""

from __future__ import annotations

import binascii
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from lookalike import codec

T = TypeVar("T")
E = TypeVar("E", bound=Enum)

MAX_DOCUMENT = 64 * 1024 * 1024
"""The largest document a row may inflate to: a damaged length must not exhaust memory."""


class DamagedRow(Exception):
    """A row that cannot be what the store wrote: its message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Damage:
    """One damaged row, as reported to the user."""

    where: str
    """Which row: ``scan 3, finding 17 (kestrel.ml)``."""
    what: str
    """What is wrong with it: ``score is not JSON (Expecting value at 0)``."""

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


_TAG_NONE, _TAG_INT, _TAG_TEXT, _TAG_BYTES = b"\x00", b"\x01", b"\x02", b"\x03"


def crc(values: Sequence[object]) -> int:
    """The CRC-32 of a row's columns: each value tagged with its type (and length), so that moving a
    byte from one column to the next changes the sum."""
    parts: list[bytes] = []
    for value in values:
        if value is None:
            parts.append(_TAG_NONE)
        elif isinstance(value, bool):
            raise DamagedRow(f"unexpected {type(value).__name__} value")
        elif isinstance(value, int):
            parts += (_TAG_INT, str(value).encode("ascii"), b";")
        elif isinstance(value, str):
            data = value.encode("utf-8", "surrogatepass")
            parts += (_TAG_TEXT, str(len(data)).encode("ascii"), b";", data)
        elif isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
            parts += (_TAG_BYTES, str(len(data)).encode("ascii"), b";", data)
        else:
            raise DamagedRow(f"unexpected {type(value).__name__} value")
    return binascii.crc32(b"".join(parts))


def verify(values: Sequence[object], stored: object) -> None:
    """Raise ``DamagedRow`` unless ``stored`` is the checksum of ``values`` (rows written before
    schema 3 have none: None passes)."""
    if stored is None:
        return
    if not isinstance(stored, int) or isinstance(stored, bool) or crc(values) != stored:
        raise DamagedRow("its columns do not match their checksum")


def text(value: object, column: str) -> str:
    if not isinstance(value, str):
        raise DamagedRow(f"{column} is {_kind(value)}, not text")
    return value


def integer(value: object, column: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise DamagedRow(f"{column} is {_kind(value)}, not an integer")
    return value


def blob(value: object, column: str) -> bytes:
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if not isinstance(value, bytes):
        raise DamagedRow(f"{column} is {_kind(value)}, not bytes")
    return value


def timestamp(value: object, column: str) -> datetime:
    try:
        return datetime.fromisoformat(text(value, column))
    except ValueError as exc:
        raise DamagedRow(f"{column} is not a timestamp ({value!r:.40})") from exc


def member(kind: type[E], value: object, column: str) -> E:
    try:
        return kind(value)
    except ValueError as exc:
        raise DamagedRow(f"{column} {value!r:.40} is not a {kind.__name__.lower()}") from exc


def document(value: object, column: str) -> Any:
    """A JSON document stored as text."""
    try:
        return json.loads(text(value, column))
    except json.JSONDecodeError as exc:
        raise DamagedRow(f"{column} is not JSON ({exc.msg} at {exc.pos})") from exc
    except RecursionError as exc:
        raise DamagedRow(f"{column} is nested too deeply") from exc


def inflate(value: object, column: str) -> bytes:
    """zlib-compressed bytes, inflated (to at most ``MAX_DOCUMENT``)."""
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(blob(value, column), MAX_DOCUMENT)
    except zlib.error as exc:
        raise DamagedRow(f"{column} is not zlib data ({exc})") from exc
    if inflater.unconsumed_tail:
        raise DamagedRow(f"{column} inflates to more than {MAX_DOCUMENT // 2**20} MiB")
    if not inflater.eof:
        raise DamagedRow(f"{column} is cut short")
    return data


def packed_document(value: object, column: str) -> Any:
    """A JSON document stored as zlib-compressed UTF-8."""
    try:
        return document(inflate(value, column).decode("utf-8"), column)
    except UnicodeDecodeError as exc:
        raise DamagedRow(f"{column} is not UTF-8 text ({exc.reason})") from exc


def decode(kind: Any, data: Any, column: str) -> Any:
    """``codec.decode``, with a misfit reported as damage to ``column``."""
    try:
        return codec.decode(kind, data)
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise DamagedRow(f"{column} does not fit {_type_name(kind)} ({_short(exc)})") from exc


def _kind(value: object) -> str:
    if value is None:
        return "NULL"
    return {int: "an integer", float: "a number", str: "text", bytes: "bytes"}.get(
        type(value), type(value).__name__
    )


def _type_name(kind: Any) -> str:
    return getattr(kind, "__name__", None) or str(kind).replace("lookalike.model.", "")


def _short(exc: BaseException) -> str:
    message = str(exc).replace("\n", " ")
    return message if len(message) <= 120 else message[:117] + "..."
