"""How a scan's absent names are packed: pure encoding, no database.

Absent names are most of a scan (a million NXDOMAINs for ten thousand findings), so they are stored
compactly. While a scan runs they are appended as zlib-compressed blocks of names (``pack_names``);
once it finishes they become sorted name ids, delta-encoded and compressed (``pack_ids``). Must not
touch a database or the network.
"""

from __future__ import annotations

import array
import itertools
import sys
import zlib
from collections.abc import Iterable
from typing import Final

ZLIB_LEVEL: Final = 6


def pack_ids(ids: Iterable[int]) -> bytes:
    """Sorted unique name ids as zlib-compressed little-endian uint32 deltas. Ids of one scan are
    mostly consecutive, so the deltas are mostly 1 and compress to almost nothing."""
    ordered = sorted(set(ids))
    deltas = array.array("I", (b - a for a, b in zip(itertools.chain((0,), ordered), ordered, strict=False)))
    if sys.byteorder == "big":
        deltas.byteswap()
    return zlib.compress(deltas.tobytes(), 6)


def unpack_ids(blob: bytes) -> list[int]:
    """The inverse of ``pack_ids``: the sorted ids."""
    return ids_from_raw(zlib.decompress(blob))


def ids_from_raw(raw: bytes) -> list[int]:
    """The sorted ids of an inflated ``pack_ids`` chunk (a whole number of uint32 deltas)."""
    deltas = array.array("I")
    deltas.frombytes(raw)
    if sys.byteorder == "big":
        deltas.byteswap()
    return list(itertools.accumulate(deltas))


def pack_names(pairs: Iterable[tuple[str, str]]) -> bytes:
    """(domain, protected) pairs, zlib-compressed: per protected domain, a block of lines (the
    protected name, then its lookalikes, sorted), blocks separated by an empty line."""
    groups: dict[str, set[str]] = {}
    for domain, protected in pairs:
        groups.setdefault(protected, set()).add(domain)
    blocks = []
    for protected in sorted(groups):
        lines = [protected, *sorted(groups[protected])]
        if any(not line or "\n" in line for line in lines):
            raise ValueError(f"not a domain name among the names of {protected!r}")
        blocks.append("\n".join(lines))
    return zlib.compress("\n\n".join(blocks).encode("utf-8"), ZLIB_LEVEL)


def unpack_names(blob: bytes) -> set[tuple[str, str]]:
    """The inverse of ``pack_names``."""
    return names_from_text(zlib.decompress(blob).decode("utf-8"))


def names_from_text(text: str) -> set[tuple[str, str]]:
    """The pairs of an inflated, decoded ``pack_names`` chunk."""
    out: set[tuple[str, str]] = set()
    for block in text.split("\n\n") if text else ():
        protected, *domains = block.split("\n")
        out.update(zip(domains, itertools.repeat(sys.intern(protected))))
    return out
