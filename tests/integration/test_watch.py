"""The watcher end to end, in process: loopback CT logs of both kinds and zone files feed the usual
pipeline (the loopback universe's DNS and registries), whose findings are stored, compared with each
name's last observation and alerted on, with their source and certificate or zone evidence."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from lookalike import export
from lookalike.config import Alerts, Settings
from lookalike.demo.background import in_background
from lookalike.demo.ct_server import CtLog, CtLogServer, TestCA
from lookalike.demo.universe import Universe, running
from lookalike.feeds.ct import Verdict
from lookalike.feeds.loglist import LogKind
from lookalike.match import Matcher
from lookalike.model import Existence, Finding
from lookalike.store import Store
from lookalike.watch import CtFeed, Pass, Watcher, ZoneFeed
from tests.fixtures.store import WebhookServer

CA: list[TestCA] = []


def ca() -> TestCA:
    if not CA:
        CA.append(TestCA())
    return CA[0]


@pytest.fixture(scope="module")
def universe() -> Iterator[Universe]:
    with running("now") as world:
        yield world


class _Receiver:
    def __init__(self) -> None:
        self.hook = WebhookServer()

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[WebhookServer]:
        server = await asyncio.start_server(self.hook.handle, "127.0.0.1", 0)
        self.hook.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
        async with server:
            yield self.hook


@pytest.fixture
def webhook() -> Iterator[WebhookServer]:
    with in_background(_Receiver().serve) as hook:
        yield hook


def settings_for(universe: Universe, webhook: WebhookServer, db: Path) -> Settings:
    return universe.settings(
        smtp=False, http=False, db=db, alerts=Alerts(webhook=webhook.url), alert_min_level="info"
    )


def filler(log: CtLog, start: int, count: int) -> None:
    log.add(ca().issue([f"host{i}.example.net"]) for i in range(start, start + count))


def stored(store: Store) -> dict[str, Finding]:
    found: dict[str, Finding] = {}
    for info in reversed(store.scans()):
        assert info.id is not None
        found.update((f.candidate.domain, f) for f in store.load_scan(info.id).findings)
    return found


def test_certificates_in_both_kinds_of_log_are_scanned_stored_diffed_and_alerted(
    universe: Universe, webhook: WebhookServer, tmp_path: Path
) -> None:
    logs = {kind: CtLog(kind) for kind in (LogKind.RFC6962, LogKind.TILED)}
    for log in logs.values():
        filler(log, 0, 300)
    logs[LogKind.RFC6962].add([ca().issue(["login.kestre1systems.com", "www.kestrelsystems.com"])])
    logs[LogKind.TILED].add([ca().issue(["kestrelsystems-login.com"], precert=True)])
    for log in logs.values():
        filler(log, 400, 10)
        log.publish()
    settings = settings_for(universe, webhook, tmp_path / "watch.db")
    matcher = Matcher(settings.names)
    with (
        in_background(lambda: CtLogServer(logs[LogKind.RFC6962])) as rfc,
        in_background(lambda: CtLogServer(logs[LogKind.TILED])) as tiled,
        Store.open(settings.db) as store,
    ):
        servers = (rfc.log_entry("rfc"), tiled.log_entry("tiled"))
        feed = CtFeed(store, matcher, servers, since=0, batch=128)
        passes: list[Pass] = []
        watcher = Watcher(settings, store, ct=feed, poll=0.1, on_pass=passes.append)
        watcher.run(once=True)

        assert sum(p.entries for one in passes for p in one.logs) == 2 * 311
        assert {f.name for f in store.feeds()} == {"ct:rfc", "ct:tiled"}
        assert [p.next for p in passes[-1].logs] == [311, 311]
        assert store.pending_hits() == []  # scanned, and gone from the queue with the scan
        found = stored(store)
        hit = found["kestre1systems.com"]
        assert hit.evidence.existence is Existence.EXISTS
        assert hit.evidence.registration.ok  # the registry asked, like any candidate
        sighting = hit.candidate.sighting
        assert (
            sighting is not None
            and sighting.source == "ct:rfc"
            and sighting.name == "login.kestre1systems.com"
        )
        assert sighting.certificate is not None and sighting.certificate.index == 300
        assert sighting.certificate.sans == ("login.kestre1systems.com", "www.kestrelsystems.com")
        assert "Lookalike Test CA" in sighting.certificate.issuer
        record = export.finding_record(hit)
        assert record["source"] == "ct:rfc" and record["certificate"]["log"] == "rfc"
        assert record["certificate"]["index"] == 300 and record["seen_at"]
        assert export.load_record(record).candidate == hit.candidate
        login = found["kestrelsystems-login.com"].candidate.sighting
        assert login is not None and login.source == "ct:tiled" and login.certificate is not None
        assert login.certificate.precert
        assert "www.kestrelsystems.com" not in found  # the organisation's own

        alerts = [r.json() for r in webhook.requests]
        new = {c["domain"]: c for a in alerts for c in a["changes"] if c["kind"] == "new"}
        assert {"kestre1systems.com", "kestrelsystems-login.com"} <= set(new)
        assert any("seen in ct:rfc" in w for w in new["kestre1systems.com"]["what"])
        assert all(a["scan"]["source"].startswith("ct:") for a in alerts)

        # The same name in another certificate: within the hour, a repeat, not scanned again ...
        logs[LogKind.TILED].add([ca().issue(["mail.kestre1systems.com"])])
        logs[LogKind.TILED].publish()
        scans_before = len(store.scans())
        passes.clear()
        watcher.run(once=True)
        assert sum(p.repeats for p in passes) >= 1 and len(store.scans()) == scans_before
        # ... and for another process, scanned but not new: it was found before.
        logs[LogKind.RFC6962].add([ca().issue(["shop.kestre1systems.com"])])
        logs[LogKind.RFC6962].publish()
        sent = len(webhook.requests)
        again = Watcher(settings, store, ct=CtFeed(store, matcher, servers), poll=0.1)
        again.run(once=True)
        assert len(store.scans()) == scans_before + 1
        assert len(webhook.requests) == sent  # nothing changed: nobody is told


@pytest.mark.parametrize("kind", [LogKind.RFC6962, LogKind.TILED])
def test_a_forked_log_is_told_once_and_skipped_never_trusted(
    kind: LogKind, universe: Universe, webhook: WebhookServer, tmp_path: Path
) -> None:
    log, other = CtLog(kind), CtLog(LogKind.RFC6962)
    for one in (log, other):
        filler(one, 0, 40)
        one.publish()
    settings = settings_for(universe, webhook, tmp_path / "fork.db")
    matcher = Matcher(settings.names)
    with (
        in_background(lambda: CtLogServer(log)) as bad,
        in_background(lambda: CtLogServer(other)) as good,
        Store.open(settings.db) as store,
    ):
        servers = (bad.log_entry("forked"), good.log_entry("fine"))
        Watcher(settings, store, ct=CtFeed(store, matcher, servers, since=0), poll=0.1).run(once=True)
        # The log signs a head over another tree of the same size: a fork.
        log.fork(20, ca().issue(["kestre1systems.com"]))
        filler(other, 40, 5)
        other.publish()
        feed = CtFeed(store, matcher, servers)
        passes: list[Pass] = []
        watcher = Watcher(settings, store, ct=feed, poll=0.1, on_pass=passes.append)
        watcher.run(once=True)
        (problem,) = passes[0].problems
        assert "ct:forked" in problem and "never trusted" in problem
        assert list(feed.skipped) and store.pending_hits() == []
        verdicts = {p.log.name: (p.verdict, p.next) for p in passes[0].logs}
        assert verdicts == {"forked": (Verdict.UNTRUSTED, 40), "fine": (Verdict.OK, 45)}  # the other goes on
        (told,) = [r.json() for r in webhook.requests]
        assert told["notes"] == [problem] and told["changes"] == []
        state = {f.name: f for f in store.feeds()}
        assert state["ct:forked"].problem.startswith("untrusted") and state["ct:fine"].problem == ""
        assert '"next": 40' in state["ct:forked"].position  # the last verified point, kept

        # Another run: still forked, still skipped, but nobody is told twice.
        again: list[Pass] = []
        Watcher(settings, store, ct=CtFeed(store, matcher, servers), poll=0.1, on_pass=again.append).run(
            once=True
        )
        assert again[0].problems == () and len(webhook.requests) == 1


def _zone(path: Path, origin: str, names: list[str]) -> Path:
    lines = [f"{origin}.\t86400\tin\tsoa\ta.nic.{origin}. hostmaster. 1 1800 900 604800 86400"]
    for name in sorted(names):
        lines += [f"{name}.\t172800\tin\tns\tns1.{name}.", f"{name}.\t172800\tin\tns\tns2.{name}."]
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def test_zone_files_feed_the_same_pipeline(
    universe: Universe, webhook: WebhookServer, tmp_path: Path
) -> None:
    noise = [f"shop{i}.com" for i in range(50)]
    previous = _zone(tmp_path / "com-1.zone.gz", "com", [*noise, "kestrelsystem.com"])
    current = _zone(tmp_path / "com-2.zone.gz", "com", [*noise, "kestre1systems.com", "kestrelsystems.com"])
    net = _zone(tmp_path / "net.zone.gz", "net", ["kestrelsystems.net", "plain.net"])
    settings = settings_for(universe, webhook, tmp_path / "zone.db")
    matcher = Matcher(settings.names)
    with Store.open(settings.db) as store:
        feed = ZoneFeed(store, matcher, current, previous=previous)
        passes: list[Pass] = []
        Watcher(settings, store, zone=feed, on_pass=passes.append).run(once=True)
        zone = passes[0].zone
        assert zone is not None
        assert (zone.origin, zone.names, zone.added, zone.removed) == ("com", 52, 2, 1)
        assert {(h.domain, h.sighting is not None and h.sighting.delegated) for h in zone.hits} == {
            ("kestre1systems.com", True),
            ("kestrelsystem.com", False),
        }
        # The same file again: already read, nothing queued or scanned.
        again: list[Pass] = []
        Watcher(settings, store, zone=feed, on_pass=again.append).run(once=True)
        assert again[0].zone is not None and again[0].zone.already and again[0].scans == ()

        # A delegated name whose servers do not answer exists all the same: the zone says so.
        Watcher(settings, store, zone=ZoneFeed(store, matcher, net)).run(once=True)
        found = stored(store)
        net_finding = found["kestrelsystems.net"]
        assert net_finding.evidence.existence is Existence.EXISTS
        assert "delegated in the zone:net zone file" in net_finding.evidence.dns.detail
        assert net_finding.candidate.source == "zone:net"
        assert found["kestre1systems.com"].candidate.source == "zone:com"
    kinds = {(c["kind"], c["domain"]) for r in webhook.requests for c in r.json()["changes"]}
    assert ("new", "kestrelsystems.net") in kinds and ("new", "kestre1systems.com") in kinds
