"""The second orchestrator: follow the feeds, hand their matches to the scan pipeline, keep positions.

    feeds (CT logs, a zone file)  ─> matches + positions, one transaction per batch   (ct.py, zone.py)
    matches waiting in the store  ─> one scan of feed matches (schedule.ScheduledScan with a FeedBatch):
                                     DNS, registration, probes, score, history, changes since each
                                     name's last observation, alerts               (the usual pipeline)
    a log found untrusted         ─> told once (the alerts' webhook and mail), skipped

A pass does both halves; ``run`` repeats passes every ``poll`` seconds (at once while a log is behind)
until asked to stop, which it does between batches: what a pass has kept is never half-written. The
matches wait in the store, not in memory, so a watcher killed between the two halves scans them when
it starts again; a scan of them deletes them in the transaction that finishes it.

A name scanned a moment ago by this process (``rescan_after``) is not scanned again for another
certificate (a precertificate and its certificate, the same certificate in several logs): the repeat
is dropped. It never holds the scan lock: a daily scan of the same database runs beside it.

Must not: print (each pass is handed to ``on_pass`` for the CLI to show) or read the terminal.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from lookalike import __version__
from lookalike.config import Settings
from lookalike.endpoints import system_resolvers
from lookalike.errors import LookalikeError
from lookalike.feeds.ct import Verdict
from lookalike.model import FEED_KEY, Changes, ScanInfo
from lookalike.resolver import Resolver
from lookalike.schedule import FeedBatch, JobOutcome, ScheduledScan, fail_on_reasons, send_alerts
from lookalike.store import Store
from lookalike.watch.ct import CtFeed, LogPoll, feed_key
from lookalike.watch.sightings import CT, source
from lookalike.watch.zone import ZoneFeed, ZonePoll

POLL = 30.0
"""Seconds between passes once every log is read to its head: with the scan of what a pass found,
a certificate logged now is alerted on within about a minute."""
RESCAN_AFTER = 3600.0
"""Seconds a name this process scanned is not scanned again for another sighting."""
MAX_SCAN = 5000
"""Matches per scan; more wait for the next pass."""
MIN_FOLLOW = 5.0
"""Seconds a pass spends reading logs at least, however short the poll interval."""


@dataclass(frozen=True, slots=True)
class Pass:
    """What one pass did, for the CLI to show."""

    logs: tuple[LogPoll, ...] = ()
    zone: ZonePoll | None = None
    scans: tuple[JobOutcome, ...] = ()
    repeats: int = 0
    """Matches dropped: the name was scanned a moment ago (``RESCAN_AFTER``)."""
    problems: tuple[str, ...] = ()
    """Feeds newly found untrusted (told in the alerts)."""
    alert_notes: tuple[str, ...] = ()
    """One line per alert about ``problems`` sent or failed."""
    errors: tuple[str, ...] = ()
    """A scan of matches that failed (the matches wait for the next pass)."""

    @property
    def behind(self) -> bool:
        """Some log has more entries than the pass read: the next pass starts at once."""
        return any(p.behind > 0 and p.verdict is Verdict.OK for p in self.logs)


@dataclass(slots=True)
class Watcher:
    """Follows ``ct`` and/or ``zone``, scans what they match with ``settings``, keeps all in ``store``."""

    settings: Settings
    store: Store
    ct: CtFeed | None = None
    zone: ZoneFeed | None = None
    poll: float = POLL
    rescan_after: float = RESCAN_AFTER
    max_scan: int = MAX_SCAN
    on_pass: Callable[[Pass], None] = lambda _p: None
    fail_on: list[str] = field(default_factory=list)
    """``--fail-on`` conditions that held in some scan of this watcher (what ``--once`` exits 1 for)."""
    _recent: dict[tuple[str, str], float] = field(default_factory=dict)

    def run(self, *, once: bool = False, stop: threading.Event | None = None) -> None:
        """Passes until ``stop`` is set (between passes, or between a pass's batches), or one full
        pass with ``once`` (every log read to its head, every match scanned). Raises
        ``LookalikeError`` in ``once`` mode when a scan fails; a long run tells it and goes on."""
        stop = stop or threading.Event()
        while not stop.is_set():
            began = time.monotonic()
            done = self.one_pass(stop, raise_errors=once)
            self.on_pass(done)
            if once and not done.behind:
                return
            if not done.behind:
                stop.wait(max(0.0, self.poll - (time.monotonic() - began)))

    def one_pass(self, stop: threading.Event | None = None, *, raise_errors: bool = True) -> Pass:
        """Read the feeds (for up to ``poll`` seconds), tell new problems, scan what waits."""
        stopped = stop.is_set if stop is not None else (lambda: False)
        logs: list[LogPoll] = []
        zone: ZonePoll | None = None
        if self.ct is not None:
            deadline = time.monotonic() + max(self.poll, MIN_FOLLOW)
            logs = asyncio.run(self._follow(self.ct, deadline, stopped))
        if self.zone is not None:
            zone = self.zone.read()
        problems = tuple(p.new_problem for p in logs if p.new_problem)
        alert_notes = self._tell(problems) if problems else ()
        scans: list[JobOutcome] = []
        errors: list[str] = []
        repeats = 0
        while not stopped():
            try:
                job, dropped, more = self._scan_waiting()
            except LookalikeError as exc:
                if raise_errors:
                    raise
                errors.append(str(exc))
                break
            repeats += dropped
            if job is not None:
                scans.append(job)
                self.fail_on += fail_on_reasons(self.settings.fail_on, job.run, job.changes, job.triage)
            if not more:
                break
        return Pass(tuple(logs), zone, tuple(scans), repeats, problems, alert_notes, tuple(errors))

    async def _follow(self, ct: CtFeed, deadline: float, stopped: Callable[[], bool]) -> list[LogPoll]:
        resolvers = self.settings.endpoints.resolvers or system_resolvers()
        async with (
            Resolver(resolvers, self.settings.limits) as resolver,
            httpx.AsyncClient(trust_env=False) as client,
        ):
            return await ct.poll(client, resolve=resolver.addresses, deadline=deadline, stop=stopped)

    def _scan_waiting(self) -> tuple[JobOutcome | None, int, bool]:
        """One scan of the matches waiting (at most ``max_scan``): the scan (None when there was
        nothing new to scan), how many were repeats dropped, and whether more wait."""
        hits = self.store.pending_hits(self.max_scan)
        if not hits:
            return None, 0, False
        now = time.monotonic()
        self._recent = {k: t for k, t in self._recent.items() if now - t < self.rescan_after}
        fresh = [h for h in hits if (h.candidate.domain, h.candidate.protected) not in self._recent]
        repeats = [h.id for h in hits if (h.candidate.domain, h.candidate.protected) in self._recent]
        self.store.drop_hits(repeats)
        more = len(hits) >= self.max_scan
        if not fresh:
            return None, len(repeats), more
        batch = FeedBatch(
            candidates=tuple(h.candidate for h in fresh), hits=tuple(h.id for h in fresh), notes=self._notes()
        )
        job = ScheduledScan(self.settings, feed=batch, db=self.store).run()
        if not job.run.result.info.interrupted:
            self._recent.update(((h.candidate.domain, h.candidate.protected), now) for h in fresh)
        return job, len(repeats), more

    def _notes(self) -> tuple[tuple[str, str], ...]:
        """The feeds' problems, for the scan's details."""
        if self.ct is None:
            return ()
        names = {feed_key(log): source(CT, log.name) for log in self.ct.logs}
        skipped = self.ct.skipped.items()
        return tuple((f"feed {names.get(k, k)}", f"untrusted, skipped: {why}") for k, why in skipped)

    def _tell(self, problems: Sequence[str]) -> tuple[str, ...]:
        """Alert on feeds newly found untrusted, on their own (no scan need follow)."""
        if not self.settings.alerts.any:
            return ()
        info = ScanInfo(
            id=None,
            started=datetime.now(UTC),
            version=__version__,
            settings=(("source", "ct"),),
            key=FEED_KEY,
        )
        return asyncio.run(send_alerts(self.settings, Changes(None, None), info, None, problems=problems))


__all__ = ["MAX_SCAN", "POLL", "RESCAN_AFTER", "Pass", "Watcher"]
