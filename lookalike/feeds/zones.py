"""Zone files (ICANN CZDS format, gzip or plain): the delegated names of a zone, and what changed
between two copies of it, in flat memory.

A name is *delegated* when the zone holds NS records for it below the zone's origin (``example.com.
172800 in ns a.iana-servers.net.`` in ``com``); glue (``ns1.example.com. in a ...``), DS records and
the origin's own records are not delegations. ``delegated`` streams the delegated names of one file;
``diff`` merges two such streams and yields the names that appeared and those that disappeared.

Order: both streams must be sorted by name as bytes (what ``LC_ALL=C sort`` gives a CZDS file, whose
lines start with the owner name). A file that is not sorted is detected at the first name out of
order and stops the read with one line naming it (the changes before it were already handed on). With
``sort=True`` the file is sorted externally first, whatever its order: names go to temporary files in
sorted runs of ``RUN_NAMES`` and are merged back, so memory stays flat either way, at the cost of disk
space about the size of the names.

Must not: match names, resolve them, or keep more than ``RUN_NAMES`` names in memory.
"""

from __future__ import annotations

import heapq
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from lookalike.errors import LookalikeError
from lookalike.feeds.files import bounded_lines, open_input

RUN_NAMES = 1_000_000
"""Names per sorted run when a file has to be sorted (about 100 MB of memory at most)."""
_CLASSES = frozenset({b"in", b"ch", b"hs", b"cs"})


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"


class _Unsorted(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _records(path: Path | str) -> Iterator[tuple[int, bytes, bytes]]:
    """(line number, owner, type) of every record line, lower case, owner without its final dot."""
    with open_input(path) as stream:
        for number, raw in enumerate(bounded_lines(stream, str(path)), 1):
            fields = raw.lower().split(None, 5)
            if len(fields) < 4 or fields[0].startswith((b";", b"$")):
                continue
            # name ttl class type rdata (CZDS), or name class ttl type, or name type without ttl/class.
            if fields[2] in _CLASSES:
                rtype = fields[3]
            elif fields[1] in _CLASSES:
                rtype = fields[3] if fields[2].isdigit() else fields[2]
            else:
                rtype = fields[2] if fields[1].isdigit() else fields[1]
            yield number, fields[0].rstrip(b"."), rtype


def _origin(path: Path | str) -> bytes:
    """The zone's origin: the owner of its SOA record, else the parent of its first delegation."""
    first = b""
    for count, (_, owner, rtype) in enumerate(_records(path)):
        if rtype == b"soa":
            return owner
        if not first and rtype == b"ns" and b"." in owner:
            first = owner.partition(b".")[2]
        if count > 1000:
            break
    return first


def _delegations(path: Path | str, origin: bytes, *, check_order: bool) -> Iterator[bytes]:
    """Delegated names in file order, consecutive repeats dropped; raises ``_Unsorted``."""
    tail = b"." + origin if origin else b""
    depth = origin.count(b".") + 1 if origin else 0
    previous = b""
    for number, owner, rtype in _records(path):
        if rtype != b"ns" or owner in (previous, origin):
            continue
        if tail and not owner.endswith(tail):
            continue
        if owner.count(b".") != depth:
            continue  # a delegation is one label below the origin; deeper NS sets are not the registry's
        if check_order and owner < previous:
            raise _Unsorted(number)
        previous = owner
        yield owner


def _sorted_runs(names: Iterable[bytes], directory: Path) -> list[Path]:
    runs: list[Path] = []
    chunk: list[bytes] = []

    def flush() -> None:
        run = directory / f"run{len(runs)}"
        run.write_bytes(b"".join(n + b"\n" for n in sorted(set(chunk))))
        runs.append(run)
        chunk.clear()

    for name in names:
        chunk.append(name)
        if len(chunk) >= RUN_NAMES:
            flush()
    if chunk:
        flush()
    return runs


def _merged(runs: list[Path]) -> Iterator[bytes]:
    handles = [run.open("rb") for run in runs]
    try:
        previous = None
        for line in heapq.merge(*handles):
            name = line.rstrip(b"\n")
            if name != previous:
                previous = name
                yield name
    finally:
        for handle in handles:
            handle.close()


@dataclass(slots=True)
class ZoneReader:
    """The delegated names of one zone file, sorted and unique. With ``sort`` the file is sorted
    externally first (any order is then fine); without it, a name out of order stops the read with a
    ``LookalikeError`` naming the line. ``count`` says how many names were read."""

    path: Path | str
    origin: str = ""
    sort: bool = False
    count: int = 0

    def names(self) -> Iterator[bytes]:
        origin = self.origin.encode().lower().strip(b".") if self.origin else _origin(self.path)
        self.origin = origin.decode("utf-8", "replace")
        if not self.sort:
            try:
                for name in _delegations(self.path, origin, check_order=True):
                    self.count += 1
                    yield name
            except _Unsorted as unsorted:
                raise LookalikeError(
                    f"{self.path}:{unsorted.line}: the zone file is not sorted by name; sort it with "
                    f"`LC_ALL=C sort`, or let lookalike sort it (--sort)"
                ) from None
            return
        with tempfile.TemporaryDirectory(prefix="lookalike-zone-") as tmp:
            runs = _sorted_runs(_delegations(self.path, origin, check_order=False), Path(tmp))
            for name in _merged(runs):
                self.count += 1
                yield name


@dataclass(slots=True)
class Diff:
    """What changed between two copies of a zone: iterate for (change, name) pairs."""

    previous: ZoneReader
    current: ZoneReader
    added: int = 0
    removed: int = 0

    def __iter__(self) -> Iterator[tuple[Change, str]]:
        old, new = self.previous.names(), self.current.names()
        a, b = next(old, None), next(new, None)
        while a is not None or b is not None:
            if b is None or (a is not None and a < b):
                self.removed += 1
                yield Change.REMOVED, a.decode("utf-8", "replace")  # type: ignore[union-attr]
                a = next(old, None)
            elif a is None or b < a:
                self.added += 1
                yield Change.ADDED, b.decode("utf-8", "replace")
                b = next(new, None)
            else:
                a, b = next(old, None), next(new, None)


def origin_of(path: Path | str) -> str:
    """A zone file's origin (``com``): the owner of its SOA record, else the parent of its first
    delegation; empty when it shows neither in its first thousand records."""
    return _origin(path).decode("utf-8", "replace")


def diff(current: Path | str, previous: Path | str, *, origin: str = "", sort: bool = False) -> Diff:
    """The names delegated in ``current`` and not in ``previous`` (ADDED), and the reverse (REMOVED).
    Raises ``LookalikeError`` (when iterated) for a file that cannot be read or is not sorted (unless
    ``sort``)."""
    return Diff(ZoneReader(previous, origin, sort), ZoneReader(current, origin, sort))


__all__ = ["RUN_NAMES", "Change", "Diff", "ZoneReader", "diff", "origin_of"]
