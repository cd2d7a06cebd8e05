"""Zone files for the watcher: the names a registry's zone delegates that a previous copy did not
(every delegated name, without a previous copy) matched against the protected names; the matches and
the zone's new position written to the store in one transaction, after the whole file was read.

A name in the zone is delegated: its ``Sighting`` says so, and the scan takes that as the existence
evidence instead of asking (it still resolves the name for its mail route and the rest). Names that
disappeared are matched too and scanned without that evidence: a lookalike the history held becomes
*gone* by the usual rules.

The position is the zone file read last (its name, size and time): the same file again does nothing,
so a cron job that runs twice, or after a crash, repeats nothing. Memory stays flat in the zone's size
(``feeds.zones``); only matches are held.

Must not: scan, alert, or print.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lookalike.errors import LookalikeError
from lookalike.feeds import zones
from lookalike.match import Matcher
from lookalike.model import Candidate, Sighting
from lookalike.store import Store
from lookalike.watch.sightings import ZONE, candidates, source


@dataclass(slots=True)
class ZonePoll:
    """What reading one zone file did."""

    origin: str
    names: int = 0
    """Delegated names in the current file."""
    added: int = 0
    removed: int = 0
    hits: list[Candidate] = field(default_factory=list)
    """Matches among the names that appeared (delegated) and that disappeared (not)."""
    already: bool = False
    """The file was read before (the kept position names it): nothing was done."""

    @property
    def name(self) -> str:
        return source(ZONE, self.origin)


def identity(path: Path) -> str:
    """What the position keeps of a zone file: its name, size and modification time."""
    try:
        info = path.stat()
    except OSError as exc:
        raise LookalikeError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return json.dumps({"file": path.name, "size": info.st_size, "mtime_ns": info.st_mtime_ns}, sort_keys=True)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


class ZoneFeed:
    """One zone file (and the copy before it) for the watcher."""

    def __init__(
        self,
        store: Store,
        matcher: Matcher,
        zone: Path,
        *,
        previous: Path | None = None,
        origin: str = "",
        sort: bool = False,
    ) -> None:
        self.store = store
        self.matcher = matcher
        self.zone = zone
        self.previous = previous
        self.origin = origin.strip(".").lower()
        self.sort = sort

    def read(self) -> ZonePoll:
        """Read the file(s), match, and keep the matches with the new position (one transaction).
        Raises ``LookalikeError`` (a file that cannot be read, or is not sorted without ``sort``);
        nothing is kept then."""
        origin = self.origin or zones.origin_of(self.zone)
        if not origin:
            raise LookalikeError(f"{self.zone}: cannot tell the zone's origin; give --origin TLD")
        poll = ZonePoll(origin)
        key = source(ZONE, origin)
        state = self.store.feed(key)
        kept = state.position if state is not None else None
        position = identity(self.zone)
        if kept == position:
            poll.already = True
            return poll
        seen_at = _mtime(self.zone)
        appeared = Sighting(source=key, seen_at=seen_at, delegated=True)
        went = Sighting(source=key, seen_at=seen_at)
        for change, name in self._changes(origin, poll):
            if change is zones.Change.ADDED:
                poll.hits += candidates(self.matcher, (name,), appeared)
            else:
                poll.hits += candidates(self.matcher, (name,), went)
        self.store.advance_feed(key, name=key, position=position, expected=kept, hits=poll.hits)
        return poll

    def _changes(self, origin: str, poll: ZonePoll) -> Iterator[tuple[zones.Change, str]]:
        if self.previous is not None:
            changes = zones.diff(self.zone, self.previous, origin=origin, sort=self.sort)
            yield from changes
            poll.added, poll.removed, poll.names = changes.added, changes.removed, changes.current.count
            return
        reader = zones.ZoneReader(self.zone, origin, self.sort)
        for name in reader.names():
            poll.added += 1
            yield zones.Change.ADDED, name.decode("utf-8", "replace")
        poll.names = reader.count


__all__ = ["ZoneFeed", "ZonePoll", "identity"]
