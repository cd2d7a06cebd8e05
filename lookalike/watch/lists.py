"""Lists of names as a feed (``lookalike scan --candidates FILE``): a newly-registered-names list, a
zone file, CT JSON lines, or ``lookalike match``'s own output, read the way ``lookalike match`` reads
them, each name matched again against the protected domains (so technique and plausibility come from
the one model, whatever wrote the file) and handed on as a candidate whose source is ``list:<file>``.

Must not: scan, or keep anything (a list is read once; its scan is the record).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lookalike.feeds.files import STDIN, bounded_lines, open_input
from lookalike.feeds.lines import Format, names_from_lines
from lookalike.match import Matcher
from lookalike.model import Candidate, Sighting
from lookalike.watch.sightings import LIST, candidates, source


@dataclass(slots=True)
class ListRead:
    """What reading lists found: the matches, and how many names were read."""

    candidates: list[Candidate]
    names: int = 0
    matched: int = 0


def list_source(path: str) -> str:
    """``list:new-names.txt`` (the file's name, not its directory), ``list:stdin`` for ``-``."""
    return source(LIST, "stdin" if path == STDIN else Path(path).name)


def read_lists(matcher: Matcher, paths: list[str], fmt: Format = Format.AUTO) -> ListRead:
    """Every lookalike in the files (plain or gzip; ``-`` is standard input). Raises
    ``LookalikeError`` (``InputError``) for a file that cannot be read."""
    found = ListRead([])
    for path in paths:
        seen = Sighting(source=list_source(path), seen_at=datetime.now(UTC))
        for name in _names(path, fmt, found):
            hits = candidates(matcher, (name,), seen)
            found.matched += bool(hits)
            found.candidates += hits
    return found


def _names(path: str, fmt: Format, found: ListRead) -> Iterator[str]:
    origin = "<stdin>" if path == STDIN else path
    with open_input(path) as stream:
        for _, name in names_from_lines(bounded_lines(stream, origin), fmt, origin):
            found.names += 1
            yield name


__all__ = ["ListRead", "list_source", "read_lists"]
