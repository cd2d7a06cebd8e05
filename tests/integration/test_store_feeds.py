"""Feeds in the store, on both back ends: a position moves only from the one a watcher read, together
with its matches (so a second watcher or a killed one repeats nothing); problems are kept with the
position; matches wait until the scan that looked at them finishes; a feed scan's names are compared
with their last observation; damaged feed rows are found and left out."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from lookalike.changes import since_previous
from lookalike.model import FEED_KEY, Candidate, Certificate, Existence, Level, Sighting
from lookalike.saved import latest_id
from lookalike.store import Store
from lookalike.store.feeds import FeedMoved
from tests.fixtures.store import T0, finding, scan


def _hit(domain: str, index: int = 7) -> Candidate:
    cand = finding(domain).candidate
    cert = Certificate(
        issuer="C=ZZ, CN=<b>Test CA</b>",
        not_before=T0,
        sans=(f"login.{domain}", "x.example"),
        log="argon",
        index=index,
        precert=True,
    )
    return dataclasses.replace(
        cand, sighting=Sighting(source="ct:argon", seen_at=T0, name=f"login.{domain}", certificate=cert)
    )


def test_a_position_moves_only_from_where_the_watcher_read_it(store: Store) -> None:
    assert store.feed("ct:abc") is None
    store.advance_feed("ct:abc", name="ct:argon", position="p1", expected=None)
    with pytest.raises(FeedMoved):
        store.advance_feed("ct:abc", name="ct:argon", position="p1", expected=None)  # a second start
    store.advance_feed("ct:abc", name="ct:argon", position="p2", expected="p1", hits=[_hit("kestrel.ml")])
    with pytest.raises(FeedMoved):  # another watcher read p1 too: its batch is refused, matches and all
        store.advance_feed(
            "ct:abc", name="ct:argon", position="p2'", expected="p1", hits=[_hit("kestrel.cm")]
        )
    state = store.feed("ct:abc")
    assert state is not None and (state.name, state.position, state.problem) == ("ct:argon", "p2", "")
    (hit,) = store.pending_hits()
    assert hit.feed == "ct:abc" and hit.candidate == _hit("kestrel.ml")  # the certificate round-trips


def test_problems_are_kept_with_the_position_and_cleared_by_the_next_batch(store: Store) -> None:
    assert store.feed_problem("ct:x", name="ct:xenon", problem="untrusted: a fork") == ""
    assert store.feed_problem("ct:x", name="ct:xenon", problem="untrusted: a fork") == "untrusted: a fork"
    store.feed_problem("ct:y", name="ct:yeti", problem="")
    store.advance_feed("ct:y", name="ct:yeti", position="p1", expected="")
    assert store.feed_problem("ct:y", name="ct:yeti", problem="malformed: junk") == ""
    state = store.feed("ct:y")
    assert state is not None and state.position == "p1" and state.problem == "malformed: junk"
    store.advance_feed("ct:y", name="ct:yeti", position="p2", expected="p1")
    assert [(f.name, f.problem) for f in store.feeds()] == [
        ("ct:xenon", "untrusted: a fork"),
        ("ct:yeti", ""),
    ]


def test_matches_wait_until_their_scan_finishes_and_feed_scans_compare_with_each_names_last_look(
    store: Store,
) -> None:
    # Last night's scan of generated names found kestrel.ml.
    daily = store.begin_scan(scan([], day=0).info, key="daily")
    store.record(daily, finding("kestrel.ml", level=Level.MEDIUM))
    store.finish_scan(daily, scan([], day=0).info)
    store.advance_feed(
        "ct:a", name="ct:argon", position="p", expected=None, hits=[_hit("kestrel.ml"), _hit("kestrel.cm")]
    )
    hits = store.pending_hits()
    # A feed scan of both: kestrel.cm is new, kestrel.ml was seen before and is escalated.
    info = dataclasses.replace(scan([], day=1).info, key=FEED_KEY + "x")
    feed_scan = store.begin_scan(info, key=info.key)
    current = [
        dataclasses.replace(finding("kestrel.ml", level=Level.HIGH), candidate=hits[0].candidate),
        dataclasses.replace(finding("kestrel.cm"), candidate=hits[1].candidate),
    ]
    for f in current:
        store.record(feed_scan, f)
    assert len(store.pending_hits()) == 2  # a watcher killed now scans them again
    store.finish_scan(feed_scan, info, hits=[h.id for h in hits])
    assert store.pending_hits() == []
    loaded = store.load_scan(feed_scan)
    assert loaded.info.of_feeds
    changes = since_previous(store, loaded)
    assert [c.domain for c in changes.new] == ["kestrel.cm"]
    assert [c.domain for c in changes.escalated] == ["kestrel.ml"]
    assert changes.previous_id == daily
    assert any(w.startswith("seen in ct:argon: a precertificate") for w in changes.new[0].what)
    # `report --db` and the other readers still open the daily scan by default.
    assert latest_id(store) == daily
    assert store.latest_scan(feeds=True) == feed_scan


def test_a_feed_scan_names_gone_and_unseen_names_say_nothing(store: Store) -> None:
    daily = store.begin_scan(scan([], day=0).info, key="daily")
    store.record(daily, finding("kestrel.ml"))
    store.record(daily, finding("kestrel.cm"))
    store.finish_scan(daily, scan([], day=0).info)
    info = dataclasses.replace(scan([], day=1).info, key=FEED_KEY + "x")
    feed_scan = store.begin_scan(info, key=info.key)
    store.record(feed_scan, finding("kestrel.ml", existence=Existence.ABSENT))
    store.finish_scan(feed_scan, info)
    changes = since_previous(store, store.load_scan(feed_scan))
    assert [c.domain for c in changes.gone] == ["kestrel.ml"] and not changes.new  # kestrel.cm: not looked at
    assert (
        store.observed([("kestrel.cm", "kestrel.mil")], before=feed_scan + 1)[
            "kestrel.cm", "kestrel.mil"
        ].scan_id
        == daily
    )


def test_unfinished_scans_are_no_observation(store: Store) -> None:
    """A watcher killed after recording a finding, before its alert: the finding is no baseline, so
    the scan that follows still finds the name new."""
    killed = store.begin_scan(dataclasses.replace(scan([], day=0).info, key=FEED_KEY), key=FEED_KEY)
    store.record(killed, finding("kestrel.ml"))
    assert store.observed([("kestrel.ml", "kestrel.mil")], before=killed + 5) == {}


def test_damaged_feed_rows_are_named_and_left_out(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.advance_feed("ct:a", name="ct:argon", position="p", expected=None, hits=[_hit("kestrel.ml")])
        store.advance_feed("ct:b", name="ct:boreal", position="q", expected=None, hits=[_hit("kestrel.cm")])
    db = sqlite3.connect(db_path)
    db.execute("UPDATE feed_positions SET position = 'moved' WHERE feed = 'ct:a'")
    db.execute("UPDATE feed_hits SET candidate = '{' WHERE domain = 'kestrel.cm'")
    db.commit()
    db.close()
    with Store.open(db_path) as store:
        checkup = store.checkup()
        assert {d.where for d in checkup.damage} == {"feed 'ct:a'", "feed hit 2 ('kestrel.cm')"}
        assert dict(checkup.read)["feed positions"] == 2
        assert store.feed("ct:a") is None  # a damaged position is no position: never trusted
        assert [h.candidate.domain for h in store.pending_hits()] == ["kestrel.ml"]
    with Store.open(db_path) as store:
        assert len(store.pending_hits()) == 1 and not store.damage  # the damaged match was dropped
