"""A scan with history: the store, resume, changes since the last scan, alerts and ``--fail-on``.

``scan.run`` does one scan; this module wraps it the way a cron job needs: take the database lock,
begin (or resume) a stored scan, hand every finding to the store as it completes, compare with the
previous scan, re-check each change once so a resolver hiccup does not become an alert, write the
documents, send the alerts, and say which ``--fail-on`` conditions hold. It never prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path

from lookalike import __version__, alerts, diff
from lookalike.changes import since_previous
from lookalike.config import Settings
from lookalike.endpoints import system_resolvers
from lookalike.errors import LookalikeError
from lookalike.model import (
    FEED_KEY,
    Candidate,
    Change,
    ChangeKind,
    Changes,
    Existence,
    Finding,
    Level,
    Reference,
    ScanInfo,
    ScanResult,
    Status,
    TriageMark,
)
from lookalike.names import apex_of
from lookalike.outputs import Written, write_outputs
from lookalike.ratelimit import LOCAL, Budgets
from lookalike.resolver import Resolver
from lookalike.scan import (
    Collector,
    Progress,
    ProgressCallback,
    Scanner,
    ScanRun,
    advise,
    check_resolvers,
    generated,
    run,
    run_sync,
    scan_key,
    settings_summary,
    validate,
)
from lookalike.screenshots import Pictures, Shelf, shelf_for
from lookalike.store import Store, default_db_path
from lookalike.store.location import Location, is_url
from lookalike.store.rows import Damage


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What a scheduled scan did."""

    run: ScanRun
    changes: Changes | None
    written: Written
    triage: Mapping[str, TriageMark]
    alert_notes: tuple[str, ...] = ()
    """One line per alert sent or failed, for the CLI to print."""
    damage: tuple[Damage, ...] = ()
    """Damaged rows of the history the scan met and left out (``Store.damage``), for the CLI to print."""


@dataclass(frozen=True, slots=True)
class FeedBatch:
    """Names feeds showed, scanned as one scan instead of what ``generate`` makes (``lookalike
    watch``, ``scan --candidates``). Its key starts with ``FEED_KEY`` (``ScanInfo.of_feeds``): its
    changes are each name's since its last observation, it makes no registration plan, it is scanned
    in this process (never split over workers), and it writes a report only when one is asked for."""

    candidates: tuple[Candidate, ...]
    """Each with its ``Sighting`` (source, when, the certificate or the zone)."""
    hits: tuple[int, ...] = ()
    """The store's ids of the matches they came from (``Store.pending_hits``): deleted in the
    transaction that finishes the scan, so a watcher killed before then scans them again."""
    notes: tuple[tuple[str, str], ...] = ()
    """The feeds' state, for the scan's details: ``("feed ct:argon2026h2", "untrusted: ...")``."""

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({c.source for c in self.candidates}))


class StoreSink:
    """Forwards findings to the store under one scan id, as they complete."""

    def __init__(self, store: Store, scan_id: int) -> None:
        self.store = store
        self.scan_id = scan_id

    def record(self, finding: Finding) -> None:
        self.store.record(self.scan_id, finding)

    def record_absent(self, names: Sequence[tuple[str, str]]) -> None:
        self.store.record_absent(self.scan_id, names)


def default_report_path(now: datetime, directory: Path = Path("reports")) -> Path:
    return directory / f"lookalike-{now.strftime('%Y%m%d-%H%M%S')}.html"


class ScheduledScan:
    """One run of ``lookalike scan``, with or without the store."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: bool = True,
        resume: bool = False,
        synthetic: bool = False,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        feed: FeedBatch | None = None,
        db: Store | None = None,
    ) -> None:
        """``feed``: scan these names instead of generating (see ``FeedBatch``). ``db``: an open
        store to use as it is, without the scan lock (a watcher's scans of a few names run beside a
        daily scan; the back end orders their writes)."""
        if resume and not store:
            raise LookalikeError("--resume needs the history database (drop --no-store)")
        if resume and feed is not None:
            raise LookalikeError("--resume finishes a scan of generated names; a list is scanned again")
        # A feed's few names are scanned here: the workers' units are slices of what ``generate`` makes.
        self.settings = (
            dataclasses.replace(settings, plan_top=0, broker=None) if feed is not None else settings
        )
        if self.settings.broker is not None and not store:
            raise LookalikeError("--broker needs the history database the workers write (drop --no-store)")
        self.use_store = store
        self.resume = resume
        self.synthetic = synthetic
        self.now = now
        self.feed = feed
        self.db = db
        self.shelf: Shelf | None = None
        """Where this run's screenshots go: ``screenshots/`` next to the report, or a temporary
        directory when they travel inside the documents (``inline_images``)."""

    def run(self, progress: ProgressCallback | None = None) -> JobOutcome:
        with contextlib.ExitStack() as stack:
            if self.settings.screenshot and self.settings.inline_images:
                kept = stack.enter_context(tempfile.TemporaryDirectory(prefix="lookalike-screenshots-"))
                self.shelf = Shelf(Path(kept))
            candidates = self.feed.candidates if self.feed is not None else None
            if not self.use_store:
                started = self.now()
                self._shelve(started)
                outcome = self._mark(
                    run_sync(
                        run(
                            self.settings,
                            progress=progress,
                            now=started,
                            candidates=candidates,
                            shelf=self.shelf,
                        )
                    )
                )
                changes = diff.compare(None, outcome.result)
                return self._finish(outcome, changes, {})
            if self.db is not None:
                return self._run_stored(self.db, progress)
            db_path = self.settings.db or default_db_path()
            if self.settings.broker is not None:
                check_distributed(self.settings.broker, db_path)
            with Store.open(db_path) as db, db.scan_lock(wait=0.0):
                job = self._run_stored(db, progress)
                return dataclasses.replace(job, damage=tuple(db.damage)) if db.damage else job

    def _report_path(self, started: datetime) -> Path | None:
        """The report's path: the one set, else a scan of generated names writes one under reports/
        (a scan of feed matches writes one only when asked)."""
        if self.settings.report is not None or self.feed is not None:
            return self.settings.report
        return default_report_path(started)

    def _shelve(self, started: datetime) -> None:
        """A scan with screenshots keeps them next to its report (unless they go inline)."""
        if self.settings.screenshot and self.shelf is None:
            report = self._report_path(started)
            if report is not None:
                self.shelf = shelf_for(report)

    def _run_stored(self, db: Store, progress: ProgressCallback | None) -> JobOutcome:
        settings = self.settings
        validate(settings)  # before anything is asked or written to the history
        asyncio.run(check_resolvers(settings))
        key = scan_key(settings) if self.feed is None else FEED_KEY + scan_key(settings)
        started = self.now()
        skip: set[tuple[str, str]] = set()
        skipped_absent: set[tuple[str, str]] = set()
        if self.resume:
            scan_id = db.unfinished_scan(key)
            if scan_id is None:
                raise LookalikeError("there is no interrupted scan of these domains and settings to resume")
            skip = db.done(scan_id)
            skipped_absent = db.absent(scan_id)
            started = db.scan_info(scan_id).started  # a resumed scan keeps its first start
        else:
            resolvers = settings.endpoints.resolvers or system_resolvers()
            info = ScanInfo(
                id=None,
                started=started,
                version=__version__,
                settings=settings_summary(settings, resolvers) + self._feed_notes(),
                resolvers=tuple(str(r) for r in resolvers),
                key=key,
            )
            scan_id = db.begin_scan(info, key=key)
        self._shelve(started)
        triage = db.triage()
        sink = Collector(forward=StoreSink(db, scan_id))
        references: tuple[Reference, ...] | None = None
        budgets: Budgets = LOCAL
        if settings.broker is not None:
            from lookalike.budgets import SharedBudgets

            budgets = SharedBudgets(settings.broker)
            try:
                references, progress = self._distribute(
                    db, scan_id=scan_id, done=skip, budgets=budgets, progress=progress
                )
            except KeyboardInterrupt:
                return self._finish(_interrupted(db, scan_id, triage), None, triage)
            skip, skipped_absent = db.done(scan_id), db.absent(scan_id)
        if skip:
            # The plan weighs an absent name against what its parent domain turned out to be: the
            # findings written before this run (earlier attempts, or the workers) count too.
            sink.findings.extend(db.load_scan(scan_id).findings)
        outcome = run_sync(
            run(
                settings,
                sink=sink,
                progress=progress,
                skip=skip,
                skipped_absent=skipped_absent,
                cache=db,
                scan_id=scan_id,
                triage_marks=triage,
                now=started,
                preflight=False,
                candidates=self.feed.candidates if self.feed is not None else None,
                shelf=self.shelf,
                references=references,
                budgets=budgets,
            )
        )
        outcome = self._mark(outcome)
        if outcome.result.references:  # an interrupt before the references were done keeps the old ones
            db.save_references(scan_id, outcome.result.references)
        if skip:
            # Resumed: the findings of the earlier attempts are in the store, not in this run's memory.
            stored = db.load_scan(scan_id)
            merged = dataclasses.replace(
                outcome.result,
                references=outcome.result.references or stored.references,
                findings=tuple(sorted(stored.findings, key=attrgetter("worst_first"))),
                info=_merge_counts(outcome.result.info, stored, db, scan_id),
            )
            outcome = advise(merged, triage)
        if outcome.result.info.interrupted:
            # Left unfinished on purpose, so `--resume` picks it up; the partial documents are still written.
            return self._finish(outcome, None, triage)

        # Compared with the previous complete scan of the same domains and generator settings, as
        # `report --db` and `diff` compare it (lookalike.changes).
        changes = since_previous(db, outcome.result, triage=triage)
        to_check = diff.recheck_needed(changes)
        if changes.previous_id is not None and to_check:
            confirmed = asyncio.run(recheck(settings, to_check, outcome.result))
            changes = diff.drop_unconfirmed(changes, confirmed)
        # Finished only once the documents are written and the alerts sent: a failure before that
        # leaves the scan resumable, and its changes are not silently compared away next time.
        job = self._finish(outcome, changes, triage)
        db.finish_scan(scan_id, outcome.result.info, hits=self.feed.hits if self.feed is not None else ())
        return job

    def _distribute(
        self,
        db: Store,
        *,
        scan_id: int,
        done: set[tuple[str, str]],
        budgets: Budgets,
        progress: ProgressCallback | None,
    ) -> tuple[tuple[Reference, ...], ProgressCallback | None]:
        """Look the references up (once, here), hand the scan's missing names to the workers and
        wait for them. Returns the references and a progress callback that keeps the workers' counts
        on the bar while the coordinator finishes."""
        from lookalike import distribute

        settings = self.settings
        assert settings.broker is not None
        stored = db.load_scan(scan_id).references if done else ()
        if len(stored) == len(settings.protected):
            references = tuple(stored)  # a resumed scan scores against the references it began with
        else:
            references = asyncio.run(_references(settings, budgets))
            db.save_references(scan_id, references)
        total = sum(1 for _ in generated(settings))
        totals = distribute.run_units(
            broker=settings.broker,
            db=db,
            settings=settings,
            scan_id=scan_id,
            key=db.scan_info(scan_id).key,
            started=db.scan_info(scan_id).started,
            references=references,
            done=done,
            generated_total=total,
            size=settings.unit_size,
            progress=progress,
        )
        if progress is None:
            return references, None
        shown = totals.progress("", total)
        notify = progress

        def finishing(state: Progress) -> None:
            notify(
                dataclasses.replace(
                    state,
                    triaged=max(state.triaged, shown.triaged),
                    exists=max(state.exists, shown.exists),
                    absent=max(state.absent, shown.absent),
                    unknown=max(state.unknown, shown.unknown),
                )
            )

        return references, finishing

    def _feed_notes(self) -> tuple[tuple[str, str], ...]:
        """What a scan of feed matches says about them in its settings: the sources, the feeds' state."""
        if self.feed is None:
            return ()
        return (("source", ", ".join(self.feed.sources) or "none"), *self.feed.notes)

    def _mark(self, outcome: ScanRun) -> ScanRun:
        """Demo scans say so in their settings, so a re-rendered report keeps the synthetic banner;
        a scan of feed matches names its sources and its key says what it is (``ScanInfo.of_feeds``)."""
        info = outcome.result.info
        if self.feed is not None and not info.of_feeds:
            info = dataclasses.replace(
                info, key=FEED_KEY + info.key, settings=(*info.settings, *self._feed_notes())
            )
        if self.synthetic:
            info = dataclasses.replace(info, settings=(*info.settings, ("synthetic", "yes")))
        return dataclasses.replace(outcome, result=dataclasses.replace(outcome.result, info=info))

    def _finish(
        self, outcome: ScanRun, changes: Changes | None, triage: Mapping[str, TriageMark]
    ) -> JobOutcome:
        settings = self.settings
        report_path = self._report_path(outcome.result.info.started)
        shelves = [self.shelf] if self.shelf is not None else [shelf_for(report_path)] if report_path else []
        written = write_outputs(
            outcome,
            report_path=report_path,
            json_path=settings.json,
            csv_path=settings.csv,
            changes=changes,
            triage=triage,
            synthetic=self.synthetic,
            pictures=Pictures(shelves, inline=settings.inline_images),
        )
        notes: tuple[str, ...] = ()
        if changes is not None and settings.alerts.any and not outcome.result.info.interrupted:
            worth = alertable(changes, settings.alert_min_level)
            if worth:
                notes = asyncio.run(send_alerts(settings, worth, outcome.result.info, written.report))
        return JobOutcome(run=outcome, changes=changes, written=written, triage=triage, alert_notes=notes)


def check_distributed(broker: str, db: Location) -> None:
    """A distributed scan needs a history every worker reaches (PostgreSQL) and a Redis broker."""
    from lookalike.tasks import celery_module, check_broker

    celery_module()
    check_broker(broker)
    if not is_url(db):
        raise LookalikeError(
            f"--broker needs a history every worker can write: --db postgresql://... (not {db})"
        )


async def _references(settings: Settings, budgets: Budgets) -> tuple[Reference, ...]:
    """The protected domains, looked up once by the coordinator of a distributed scan."""
    resolvers = settings.endpoints.resolvers or system_resolvers()
    async with Scanner(settings, resolvers, None, budgets=budgets) as scanner:
        return tuple(await asyncio.gather(*(scanner.reference(p) for p in settings.protected)))


def _interrupted(db: Store, scan_id: int, triage: Mapping[str, TriageMark]) -> ScanRun:
    """Ctrl-C while the workers ran: what they wrote so far, as an interrupted scan (left resumable)."""
    stored = db.load_scan(scan_id)
    info = dataclasses.replace(stored.info, interrupted=True, finished=datetime.now(UTC))
    findings = tuple(sorted(stored.findings, key=attrgetter("worst_first")))
    result = dataclasses.replace(stored, info=info, findings=findings)
    return advise(result, triage)


def _merge_counts(info: ScanInfo, stored: ScanResult, db: Store, scan_id: int) -> ScanInfo:
    """Per-domain counts over both attempts of a resumed scan."""
    absent = db.absent(scan_id)
    summaries = []
    for summary in info.protected:
        mine = [f for f in stored.findings if f.candidate.protected == summary.domain]
        summaries.append(
            dataclasses.replace(
                summary,
                exists=sum(1 for f in mine if f.evidence.existence is Existence.EXISTS),
                unknown=sum(1 for f in mine if f.evidence.existence is Existence.UNKNOWN),
                absent=sum(1 for _, p in absent if p == summary.domain),
            )
        )
    return dataclasses.replace(info, protected=tuple(summaries))


async def recheck(settings: Settings, names: Sequence[str], current: ScanResult) -> set[str]:
    """Ask the DNS once more about each changed name; return those whose answer agrees with the scan."""
    if not names:
        return set()
    now_state = {f.candidate.domain: f.evidence.existence for f in current.findings}
    # A name its zone file delegates exists whether or not its servers answer (scan.delegated_facts).
    delegated = {
        f.candidate.domain
        for f in current.findings
        if f.candidate.sighting and f.candidate.sighting.delegated
    }
    resolvers = settings.endpoints.resolvers or system_resolvers()
    confirmed: set[str] = set()
    async with Resolver(resolvers, settings.limits) as resolver:
        answers = await asyncio.gather(*(resolver.triage(n, apex=n == apex_of(n)) for n in names))
    for name, answer in zip(names, answers, strict=True):
        expected = now_state.get(name, Existence.ABSENT)
        if answer.status is Status.OK:
            seen = Existence.EXISTS
        elif answer.status is Status.ABSENT:
            seen = Existence.ABSENT
        else:
            seen = Existence.EXISTS if name in delegated else Existence.UNKNOWN
        if seen is expected:
            confirmed.add(name)
    return confirmed


def alertable(changes: Changes, min_level: str) -> Changes:
    """The changes worth telling people about: escalations, and new or changed findings at or above
    ``min_level``; names that went away are reported too (a takedown worked, or a name lapsed)."""
    try:
        floor = Level(min_level)
    except ValueError as exc:
        raise LookalikeError(f"alert min_level {min_level!r}: choose from {', '.join(Level)}") from exc

    def high_enough(change: Change) -> bool:
        return change.after is not None and change.after.rank <= floor.rank

    return dataclasses.replace(
        changes,
        new=tuple(c for c in changes.new if high_enough(c)),
        changed=tuple(c for c in changes.changed if high_enough(c)),
    )


async def send_alerts(
    settings: Settings, changes: Changes, info: ScanInfo, report: Path | None, *, problems: Sequence[str] = ()
) -> tuple[str, ...]:
    """Send the webhook and the mail; return one line per attempt for the CLI to show. ``problems``:
    the feeds' (``lookalike watch``), told with the changes or alone."""
    conf = settings.alerts
    report_text = str(report.resolve()) if report is not None else None
    notes: list[str] = []
    if conf.webhook:
        payload = alerts.alert_payload(changes, scan=info, report=report_text, notes=problems)
        import httpx  # only a scan that alerts by webhook needs it

        async with httpx.AsyncClient(trust_env=False) as client:
            sent = await alerts.post_webhook(conf.webhook, payload, client=client)
        notes.append(_note("webhook", redact_url(conf.webhook), sent.status, sent.detail))
    if conf.mail_relay is not None and conf.mail_to:
        password = os.environ.get(conf.mail_password_env) if conf.mail_password_env else None
        mailed = await alerts.send_mail(
            conf.mail_relay,
            sender=conf.mail_from or "lookalike@localhost",
            recipients=conf.mail_to,
            subject=alerts.alert_subject(changes, scan=info, notes=problems),
            body=alerts.alert_text(changes, scan=info, report=report_text, notes=problems),
            starttls=conf.mail_starttls,
            username=conf.mail_username,
            password=password,
        )
        notes.append(_note("mail", str(conf.mail_relay), mailed.status, mailed.detail))
    return tuple(notes)


def _note(kind: str, target: str, status: Status, detail: str) -> str:
    if status is Status.OK:
        return f"alert sent by {kind} to {target}"
    return f"lookalike: warning: the {kind} alert to {target} failed ({status.value}): {detail}"


def redact_url(url: str) -> str:
    """A webhook URL for display: its path is usually the secret (Slack, Teams), so only the origin."""
    origin = url.split("://", 1)
    if len(origin) != 2:
        return "the webhook"
    host = origin[1].split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{origin[0]}://{host}/..."


def fail_on_reasons(
    conditions: Sequence[str],
    outcome: ScanRun,
    changes: Changes | None,
    triage: Mapping[str, TriageMark],
) -> list[str]:
    """Which ``--fail-on`` conditions hold. Level conditions count findings at or above the level that
    are not settled (``Finding.settled``: not the organisation's own, not triaged benign)."""
    reasons: list[str] = []
    owned = [d for ref in outcome.result.references for d in ref.owned]

    def open_findings() -> list[Finding]:
        return [f for f in outcome.result.findings if not f.settled(triage.get(f.candidate.domain), owned)]

    for condition in conditions:
        if condition in ("new", "changed", "escalated"):
            kind = ChangeKind(condition)
            found = {
                ChangeKind.NEW: changes.new if changes else (),
                ChangeKind.CHANGED: changes.changed if changes else (),
                ChangeKind.ESCALATED: changes.escalated if changes else (),
            }[kind]
            if found:
                reasons.append(f"{len(found)} {condition}: {', '.join(c.domain for c in found[:5])}")
        elif condition == "unknown":
            unknown = [f for f in outcome.result.findings if f.evidence.existence is Existence.UNKNOWN]
            if unknown:
                reasons.append(f"{len(unknown)} unknown (the resolver did not answer)")
        else:
            floor = Level(condition)
            hits = [f for f in open_findings() if f.score.level.rank <= floor.rank]
            if hits:
                reasons.append(
                    f"{len(hits)} at {condition} or above: {', '.join(f.candidate.domain for f in hits[:5])}"
                )
    return reasons
