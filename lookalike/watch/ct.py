"""Following Certificate Transparency logs for the watcher: each log's verified entries matched against
the protected names, the matches and the log's new position written to the store in one transaction.

Per log, per poll: read the kept position (or start one at ``since`` for a log never followed), then
step until the log has nothing new, the poll's time is up, or the watcher is asked to stop. After
each batch, ``Store.advance_feed`` keeps the position after it with the matches of its entries, only
if the kept position is still the one read (so a ``kill -9`` at any moment loses and repeats nothing,
and a second watcher of the same log cannot hand the same entries on twice).

A log that fails verification (a forked or badly signed head, entries or tiles that do not hash to
it) is ``untrusted``: nothing it served after the last verified point is used, the problem is kept
with its position (``Store.feed_problem``) and told once (``LogPoll.new_problem``), and the log is
skipped for the rest of the process; a later run tries it again from its last verified position, and
tells nothing new while the problem is the same. A log that cannot be reached or answers garbage is
tried again at the next poll.

Must not: scan, alert, or print (the watcher and the CLI do).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from lookalike.feeds.ct import DEFAULT_BATCH, Follower, Position, Verdict
from lookalike.feeds.loglist import Log
from lookalike.match import Matcher
from lookalike.model import Candidate
from lookalike.store import Store
from lookalike.store.feeds import FeedMoved
from lookalike.watch.sightings import CT, ct_candidates, source
from lookalike.whois import Resolve

UNTRUSTED = "untrusted"


def feed_key(log: Log) -> str:
    """The store's key for a log: its ID (names change between log lists; IDs are the key's hash)."""
    return f"ct:{log.log_id_b64}"


@dataclass(slots=True)
class LogPoll:
    """What one poll of one log did."""

    log: Log
    entries: int = 0
    """Entries read, verified and matched."""
    hits: list[Candidate] = field(default_factory=list)
    """The matches found in them (kept in the store, waiting to be scanned)."""
    next: int | None = None
    """The next entry to read after this poll; None when the log has no position yet."""
    size: int | None = None
    """The size of the log's last verified head."""
    verdict: Verdict = Verdict.OK
    detail: str = ""
    new_problem: str = ""
    """A problem to tell people about: the log was found untrusted, and was not already."""

    @property
    def name(self) -> str:
        return source(CT, self.log.name)

    @property
    def behind(self) -> int:
        return (self.size or 0) - (self.next or 0)


class CtFeed:
    """The logs a watcher follows, each through a verified ``Follower``, positions in ``store``."""

    def __init__(
        self,
        store: Store,
        matcher: Matcher,
        logs: Sequence[Log],
        *,
        since: int | None = None,
        batch: int = DEFAULT_BATCH,
        timeout: float = 30.0,
    ) -> None:
        """``since``: where a log never followed starts (None: its head; an index; negative: back
        from the head). A log with a kept position always resumes there."""
        self.store = store
        self.matcher = matcher
        self.logs = tuple(logs)
        self.since = since
        self.batch = batch
        self.timeout = timeout
        self.skipped: dict[str, str] = {}
        """Logs found untrusted by this process (by feed key), with why: not asked again."""

    async def poll(
        self,
        client: httpx.AsyncClient,
        *,
        resolve: Resolve | None = None,
        deadline: float,
        stop: Callable[[], bool] = lambda: False,
    ) -> list[LogPoll]:
        """One poll of every log at once, until each has nothing new or ``time.monotonic()`` passes
        ``deadline`` or ``stop()``; what each did, in the logs' order."""
        todo = [log for log in self.logs if feed_key(log) not in self.skipped]
        polls = await asyncio.gather(
            *(self._follow(log, client, resolve=resolve, deadline=deadline, stop=stop) for log in todo)
        )
        return list(polls)

    async def _follow(
        self,
        log: Log,
        client: httpx.AsyncClient,
        *,
        resolve: Resolve | None,
        deadline: float,
        stop: Callable[[], bool],
    ) -> LogPoll:
        poll = LogPoll(log)
        key, name = feed_key(log), source(CT, log.name)
        follower = Follower(log, client, resolve=resolve, batch=self.batch, timeout=self.timeout)
        state = self.store.feed(key)
        kept = state.position if state is not None else None
        problem = state.problem if state is not None else ""
        position: Position | None = None
        if kept:
            try:
                position = Position.from_json(kept)
            except ValueError as exc:
                return self._trouble(poll, Verdict.MALFORMED, f"its kept position is damaged: {exc}")
        if position is None:
            started = await follower.start(self.since)
            if started.verdict is not Verdict.OK or started.position is None:
                return self._trouble(poll, started.verdict, started.detail)
            position = started.position
            try:
                self.store.advance_feed(key, name=name, position=position.to_json(), expected=kept)
            except FeedMoved:
                # Another watcher started it first, or its row is damaged: only a readable kept
                # position is ever followed from.
                state = self.store.feed(key)
                try:
                    position = Position.from_json(state.position if state is not None else "")
                except ValueError:
                    return self._trouble(
                        poll,
                        Verdict.MALFORMED,
                        "its kept position cannot be read (`lookalike history --check`)",
                    )
            problem = ""
        while True:
            poll.next, poll.size = position.next, position.head.size
            if stop() or time.monotonic() >= deadline:
                return poll
            step = await follower.step(position)
            if step.verdict is not Verdict.OK or step.position is None:
                return self._trouble(poll, step.verdict, step.detail)
            if problem:  # it answers well again: what stopped it is no longer the case
                self.store.feed_problem(key, name=name, problem="")
                problem = ""
            if not step.entries and step.position == position:
                return poll  # nothing new: the same head
            hits = [hit for entry in step.entries for hit in ct_candidates(self.matcher, entry, log.name)]
            try:
                self.store.advance_feed(
                    key, name=name, position=step.position.to_json(), expected=position.to_json(), hits=hits
                )
            except FeedMoved:
                state = self.store.feed(key)
                try:
                    position = Position.from_json(state.position if state is not None else "")
                except ValueError as exc:
                    return self._trouble(poll, Verdict.MALFORMED, f"its kept position is damaged: {exc}")
                continue
            poll.entries += len(step.entries)
            poll.hits += hits
            position = step.position
            if not step.entries:
                poll.next, poll.size = position.next, position.head.size
                return poll  # a newer head with nothing more in it yet

    def _trouble(self, poll: LogPoll, verdict: Verdict, detail: str) -> LogPoll:
        poll.verdict, poll.detail = verdict, detail
        if verdict is Verdict.UNREACHABLE:
            return poll  # the network's trouble, not the log's: try again at the next poll
        key = feed_key(poll.log)
        problem = f"{verdict.value}: {detail}"
        before = self.store.feed_problem(key, name=poll.name, problem=problem)
        if verdict is Verdict.UNTRUSTED:
            self.skipped[key] = detail
            if before != problem:
                poll.new_problem = (
                    f"{poll.name} served what does not verify and is skipped, never trusted: {detail}"
                )
        return poll


__all__ = ["UNTRUSTED", "CtFeed", "LogPoll", "feed_key"]
