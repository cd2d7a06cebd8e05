"""The scan store on a real SQLite file: schema and migrations, round trips, resume, history,
triage, the registration cache, retention and the scan lock."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookalike.errors import LookalikeError
from lookalike.model import (
    Candidate,
    Evidence,
    Existence,
    Finding,
    Level,
    Outcome,
    Registration,
    Score,
    Status,
    Technique,
    Triage,
)
from lookalike.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    Store,
    default_db_path,
    label,
    pack_ids,
    pack_names,
    unpack_ids,
    unpack_names,
)
from lookalike.store import absent as absent_module
from lookalike.store import history as history_module
from tests.fixtures.store import PROTECTED, T0, V1_ABSENT, V1_FINDING, finding, reference, scan

ROOT = Path(__file__).resolve().parents[2]


def _begin(store: Store, day: int = 0, *, key: str = "k", protected: tuple[str, ...] = (PROTECTED,)) -> int:
    return store.begin_scan(scan([], day=day, protected=protected).info, key=key)


def _complete(
    store: Store, findings: list[Finding], absent: list[tuple[str, str]], day: int, key: str = "k"
) -> int:
    scan_id = _begin(store, day, key=key)
    for f in findings:
        store.record(scan_id, f)
    store.record_absent(scan_id, absent)
    store.finish_scan(scan_id, scan(findings, day=day).info)
    return scan_id


# --- opening and the schema -----------------------------------------------------------------------


def test_a_fresh_database_is_created_migrated_and_in_wal_mode(db_path: Path) -> None:
    assert not db_path.parent.exists()
    with Store.open(db_path) as store:
        assert store.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(db_path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        versions = [r[0] for r in db.execute("SELECT version FROM schema_version ORDER BY version")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
    finally:
        db.close()


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(LookalikeError, match=r"(?i)foreign key"):
        store.record(424242, finding())


def test_reopening_does_not_migrate_again(db_location: Path | str) -> None:
    Store.open(db_location).close()
    with Store.open(db_location) as store:
        scan_id = _begin(store)
    with Store.open(db_location) as store:
        assert store.scan_info(scan_id).id == scan_id


def test_schema_1_is_migrated_and_its_data_kept(v1_database: Path) -> None:
    with Store.open(v1_database) as store:
        assert store.schema_version == SCHEMA_VERSION
        loaded = store.load_scan(1)
        assert loaded.findings == (V1_FINDING,)
        assert store.absent(1) == set(V1_ABSENT)
        assert store.triage()["kestrel.ml"].state is Triage.MALICIOUS
        # schema 2's table works, and new names continue after the old ids
        store.put_registration("kestrel.ml", Outcome(Status.ABSENT, None, "404"))
        assert store.get_registration("kestrel.ml") == Outcome(Status.ABSENT, None, "404")
        scan_id = _begin(store, day=1)
        store.record_absent(scan_id, [("kestrel.xyz", PROTECTED), V1_ABSENT[0]])
        assert store.absent(scan_id) == {("kestrel.xyz", PROTECTED), V1_ABSENT[0]}


def test_a_newer_schema_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    db = sqlite3.connect(db_path)
    db.execute("INSERT INTO schema_version VALUES (?, 'later')", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()
    with pytest.raises(LookalikeError, match=rf"newer lookalike \(schema {SCHEMA_VERSION + 1}"):
        Store.open(db_path)


def test_other_files_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all, but long enough to fill a header page " * 20)
    with pytest.raises(LookalikeError, match="not a lookalike database"):
        Store.open(text)
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(LookalikeError, match="not a lookalike database"):
        Store.open(other)
    with pytest.raises(LookalikeError, match="is a directory"):
        Store.open(tmp_path)
    with pytest.raises(LookalikeError, match="no lookalike database"):
        Store.open(tmp_path / "missing.db", create=False)


def test_a_damaged_database_is_one_clear_error(db_path: Path) -> None:
    Store.open(db_path).close()
    data = bytearray(db_path.read_bytes())
    data[4000:8192] = b"\x07" * 4192  # the schema's cells, at the end of page 1
    db_path.write_bytes(bytes(data))
    with pytest.raises(LookalikeError, match="is damaged"):
        Store.open(db_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_database_is_one_clear_error(db_path: Path) -> None:
    Store.open(db_path).close()
    db_path.chmod(0)
    try:
        with pytest.raises(LookalikeError, match=str(db_path)):
            Store.open(db_path)
    finally:
        db_path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_default_path_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOOKALIKE_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"
    monkeypatch.delenv("LOOKALIKE_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_db_path() == tmp_path / "xdg" / "lookalike" / "lookalike.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_db_path() == tmp_path / "home" / ".local" / "share" / "lookalike" / "lookalike.db"


# --- round trips ----------------------------------------------------------------------------------


def test_a_scan_round_trips_exactly(store: Store) -> None:
    findings = [
        finding("kestrel.ml", mx=("mx1.kestrel.ml",), level=Level.CRITICAL, catch_all=True, login_form=True),
        finding("kestrel.co", registry=Status.TIMEOUT, web=Status.REFUSED),
        finding("kestrell.mil", existence=Existence.UNKNOWN),
        finding("kestrel.ml", protected="kestrel.com", level=Level.LOW),  # same name, another protected
    ]
    result = scan(findings, protected=(PROTECTED, "kestrel.com"))
    scan_id = store.begin_scan(result.info, key="k")
    for f in findings:
        store.record(scan_id, f)
    store.save_references(scan_id, [reference(), reference("kestrel.com")])
    store.finish_scan(scan_id, result.info)
    loaded = store.load_scan(scan_id)
    assert loaded.info == dataclasses.replace(result.info, id=scan_id)
    assert loaded.findings == tuple(findings)
    assert loaded.references == (reference(), reference("kestrel.com"))


def test_findings_are_read_in_batches_in_the_order_recorded(store: Store) -> None:
    findings = [finding(f"kestrel{i}.ml", level=(Level.LOW, Level.HIGH)[i % 2]) for i in range(7)]
    scan_id = _complete(store, findings, [("kestrel.ml", PROTECTED)], day=0)
    for batch in (1, 3, 7, 500):
        assert list(store.findings(scan_id, batch=batch)) == findings
    assert store.finding_keys(scan_id) == {(f.candidate.domain, PROTECTED) for f in findings}
    assert store.load_scan(scan_id).findings == tuple(findings)


def test_recording_a_name_again_replaces_it_in_place(store: Store) -> None:
    scan_id = _begin(store)
    first, second = finding("a.ml", level=Level.LOW), finding("b.ml")
    store.record(scan_id, first)
    store.record(scan_id, second)
    again = finding("a.ml", level=Level.HIGH)
    store.record(scan_id, again)
    assert store.load_scan(scan_id).findings == (again, second)


def test_an_absent_finding_is_stored_as_an_absent_name(store: Store) -> None:
    scan_id = _begin(store)
    store.record(scan_id, finding("gone.ml", existence=Existence.ABSENT))
    assert store.load_scan(scan_id).findings == ()
    assert store.absent(scan_id) == {("gone.ml", PROTECTED)}


_text = st.text(st.characters(codec="utf-8"), max_size=40)
_when = (
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
    | st.none()
)


@st.composite
def _findings(draw: st.DrawFn) -> Finding:
    domain = draw(st.from_regex(r"[a-z0-9]{1,12}\.(ml|com|xn--p1ai)", fullmatch=True))
    base = draw(st.sampled_from([Existence.EXISTS, Existence.UNKNOWN]))
    f = finding(domain, existence=base, level=draw(st.sampled_from(list(Level))))
    reg = Registration(
        source="whois",
        registrar=draw(_text),
        created=draw(_when),
        status=tuple(draw(st.lists(_text, max_size=3))),
        raw=draw(_text),
    )
    cand = Candidate(
        domain=domain,
        unicode=draw(_text),
        protected=draw(st.sampled_from([PROTECTED, "kestrel.com"])),
        techniques=tuple(draw(st.lists(st.sampled_from(list(Technique)), max_size=3, unique=True))),
        plausibility=draw(st.floats(0, 1)),
        note=draw(_text),
    )
    score = Score(
        level=f.score.level,
        points=draw(st.integers(-1000, 1000)),
        reasons=tuple(draw(st.lists(_text, max_size=3))),
    )
    ev = Evidence(dns=f.evidence.dns, registration=Outcome(Status.OK, reg, draw(_text)), smtp=f.evidence.smtp)
    return Finding(cand, ev, score)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    findings=st.lists(
        _findings(), max_size=6, unique_by=lambda f: (f.candidate.domain, f.candidate.protected)
    )
)
def test_any_findings_round_trip(store: Store, findings: list[Finding]) -> None:
    """Hostile text (control characters, NUL, any script) and odd values come back unchanged."""
    scan_id = _begin(store)
    for f in findings:
        store.record(scan_id, f)
    assert store.load_scan(scan_id).findings == tuple(findings)


@given(ids=st.sets(st.integers(1, 2**32 - 1), max_size=200))
def test_id_chunks_round_trip(ids: set[int]) -> None:
    assert unpack_ids(pack_ids(ids)) == sorted(ids)


@given(
    pairs=st.sets(
        st.tuples(
            st.from_regex(r"[a-z0-9.-]{1,20}", fullmatch=True),
            st.sampled_from([PROTECTED, "kestrel.com", "x.io"]),
        ),
        max_size=100,
    )
)
def test_name_chunks_round_trip(pairs: set[tuple[str, str]]) -> None:
    assert unpack_names(pack_names(pairs)) == pairs


def test_consecutive_ids_pack_to_almost_nothing() -> None:
    assert len(pack_ids(range(1, 100_001))) < 1_000


# --- resume, absent names, counts -----------------------------------------------------------------


def test_done_is_what_a_resume_skips(store: Store) -> None:
    scan_id = _begin(store)
    store.record(scan_id, finding("kestrel.ml"))
    store.record_absent(scan_id, [("kestrel.ga", PROTECTED), ("kestrel.cf", PROTECTED)])
    store.record_absent(scan_id, iter([("kestrel.ga", PROTECTED), ("kestrel.tk", "kestrel.com")]))
    assert store.done(scan_id) == {
        ("kestrel.ml", PROTECTED),
        ("kestrel.ga", PROTECTED),
        ("kestrel.cf", PROTECTED),
        ("kestrel.tk", "kestrel.com"),
    }
    assert store.done(_begin(store, 1)) == set()


def test_unfinished_scan_finds_the_one_to_resume(store: Store) -> None:
    first = _begin(store, key="a")
    assert store.unfinished_scan("a") == first
    assert store.unfinished_scan("b") is None
    info = scan([]).info
    store.finish_scan(first, dataclasses.replace(info, interrupted=True))
    assert store.unfinished_scan("a") == first, "an interrupted scan can be resumed"
    assert store.latest_scan() is None, "an interrupted scan is not complete"
    assert store.latest_scan(finished=False) == first
    store.finish_scan(first, info)
    assert store.unfinished_scan("a") is None
    assert store.latest_scan() == first


def test_a_finding_wins_over_an_earlier_absent_record(store: Store) -> None:
    scan_id = _begin(store)
    store.record_absent(scan_id, [("flip.ml", PROTECTED), ("nx.ml", PROTECTED)])
    store.record(scan_id, finding("flip.ml"))
    assert store.absent(scan_id) == {("nx.ml", PROTECTED)}
    assert store.counts(scan_id) == {"exists": 1, "absent": 1, "unknown": 0}


def test_a_batch_written_again_counts_once(store: Store) -> None:
    """A unit a worker ran again writes its absent names again: counted once, before and after the
    scan finishes."""
    scan_id = _begin(store)
    batch = [("nx.ml", PROTECTED), ("ny.ml", PROTECTED), ("nz.ml", PROTECTED)]
    store.record_absent(scan_id, batch)
    store.record_absent(scan_id, batch[1:])
    store.record(scan_id, finding("flip.ml"))
    store.record(scan_id, finding("flip.ml"))
    assert store.counts(scan_id) == {"exists": 1, "absent": 3, "unknown": 0}
    store.finish_scan(scan_id, scan([]).info)
    assert store.counts(scan_id) == {"exists": 1, "absent": 3, "unknown": 0}
    assert store.absent(scan_id) == set(batch)


def _chunks(store: Store, scan_id: int) -> list[tuple[str, int]]:
    with store.engine.transaction(write=False) as tx:
        rows = tx.execute("SELECT kind, count FROM absent_chunks WHERE scan_id = ? ORDER BY seq", (scan_id,))
        return [(r[0], r[1]) for r in rows]


def test_absent_names_are_compacted_when_the_scan_finishes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_module, "BATCH", 1000)
    monkeypatch.setattr(absent_module, "ID_CHUNK", 2000)
    names = [(f"n{i}.ml", PROTECTED) for i in range(5000)]
    scan_id = _begin(store)
    store.record_absent(scan_id, iter(names))
    assert _chunks(store, scan_id) == [("names", 1000)] * 5
    assert store.absent(scan_id) == set(names)
    assert store.history("n42.ml")[0][2] is Existence.ABSENT, "found in a running scan too"
    store.finish_scan(scan_id, scan([]).info)
    assert _chunks(store, scan_id) == [("ids", 2000), ("ids", 2000), ("ids", 1000)]
    assert store.absent(scan_id) == set(names)
    assert store.done(scan_id) == set(names)
    assert store.absent(scan_id, among=[names[7], ("n7.ml", "other.mil"), ("x.ml", PROTECTED)]) == {names[7]}
    again = _begin(store, 1)
    store.record_absent(again, names[::-1])
    store.record_absent(again, [("new.ml", PROTECTED)])
    store.finish_scan(again, scan([], day=1).info)
    assert store.absent(again) == {*names, ("new.ml", PROTECTED)}
    assert [r[0] for r in store.history("n4999.ml")] == [scan_id, again]


def test_a_resumed_scan_keeps_both_halves(store: Store) -> None:
    scan_id = _begin(store)
    store.record_absent(scan_id, [("a.ml", PROTECTED)])
    store.finish_scan(scan_id, dataclasses.replace(scan([]).info, interrupted=True))
    store.record_absent(scan_id, [("b.ml", PROTECTED)])
    store.record(scan_id, finding("c.ml"))
    assert store.done(scan_id) == {("a.ml", PROTECTED), ("b.ml", PROTECTED), ("c.ml", PROTECTED)}
    store.finish_scan(scan_id, scan([]).info)
    assert store.absent(scan_id) == {("a.ml", PROTECTED), ("b.ml", PROTECTED)}


def test_names_with_separators_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="not a domain name"):
        store.record_absent(_begin(store), [("a\nb.ml", PROTECTED)])
    with pytest.raises(ValueError, match="not a domain name"):
        store.record_absent(_begin(store), [("", PROTECTED)])


# --- history and flapping input -------------------------------------------------------------------


def test_history_of_one_name_over_scans(store: Store) -> None:
    name = ("kestrel.ml", PROTECTED)
    s1 = _complete(store, [], [name], day=0)
    s2 = _complete(store, [finding("kestrel.ml", level=Level.LOW)], [], day=1)
    s3 = _complete(store, [finding("kestrel.ml", existence=Existence.UNKNOWN, level=Level.LOW)], [], day=2)
    s4 = _complete(store, [finding("kestrel.ml", level=Level.HIGH)], [], day=3)
    _complete(store, [], [("other.ml", PROTECTED)], day=4)  # did not look at kestrel.ml
    rows = store.history("kestrel.ml")
    assert [(r[0], r[2], r[3]) for r in rows] == [
        (s1, Existence.ABSENT, None),
        (s2, Existence.EXISTS, Level.LOW),
        (s3, Existence.UNKNOWN, Level.LOW),
        (s4, Existence.EXISTS, Level.HIGH),
    ]
    assert rows[0][1] == T0
    assert store.history("never.ml") == []


def test_existence_history_covers_every_found_name(store: Store) -> None:
    a, b = ("a.ml", PROTECTED), ("b.ml", PROTECTED)
    s1 = _complete(store, [finding("a.ml")], [b], day=0)
    s2 = _complete(store, [], [a, b], day=1)
    s3 = _complete(store, [finding("a.ml"), finding("b.ml", existence=Existence.UNKNOWN)], [], day=2)
    s4 = _complete(store, [finding("c.ml")], [], day=3)  # a and b not looked at
    hist = store.existence_history([s4, s3, s2, s1])
    assert hist == {
        "a.ml": [Existence.EXISTS, Existence.ABSENT, Existence.EXISTS],
        "b.ml": [Existence.ABSENT, Existence.ABSENT, Existence.UNKNOWN],
        "c.ml": [Existence.EXISTS],
    }


def test_scans_lists_newest_first(store: Store) -> None:
    ids = [_complete(store, [], [], day=d) for d in range(3)]
    assert [i.id for i in store.scans()] == ids[::-1]
    assert [i.id for i in store.scans(limit=2)] == ids[:0:-1]
    assert store.latest_scan(before=ids[2]) == ids[1]


# --- triage ---------------------------------------------------------------------------------------


def test_triage_marks_keep_who_when_and_a_log(store: Store) -> None:
    before = datetime.now(UTC)
    mark = store.set_triage("kestrel.ml", Triage.WATCH, note="parked for now", who="alice")
    assert mark.who == "alice"
    assert mark.when is not None
    assert before <= mark.when <= datetime.now(UTC)
    store.set_triage("kestrel.ml", Triage.MALICIOUS, note="phishing")
    store.set_triage("kestrel.ga", Triage.OWNED)
    marks = store.triage()
    assert sorted(marks) == ["kestrel.ga", "kestrel.ml"]
    assert marks["kestrel.ml"].state is Triage.MALICIOUS
    assert marks["kestrel.ml"].who, "defaults to the OS user"
    assert store.clear_triage("kestrel.ml")
    assert not store.clear_triage("kestrel.ml")
    assert sorted(store.triage()) == ["kestrel.ga"]
    log = store.triage_log("kestrel.ml")
    assert [m.state if m else None for m in log] == [Triage.WATCH, Triage.MALICIOUS, None]


# --- registration cache ---------------------------------------------------------------------------


def test_registration_cache_freshness(store: Store) -> None:
    now = datetime.now(UTC)
    registered = Outcome(Status.OK, Registration(source="rdap", registrar="Evil Names", created=T0))
    store.put_registration("a.ml", registered, fetched=now - timedelta(days=6))
    store.put_registration("old.ml", registered, fetched=now - timedelta(days=8))
    store.put_registration("free.ml", Outcome(Status.ABSENT, None, "404"), fetched=now - timedelta(hours=2))
    store.put_registration("stale.ml", Outcome(Status.ABSENT, None, "404"), fetched=now - timedelta(days=2))
    store.put_registration("slow.ml", Outcome(Status.TIMEOUT, None, "timeout"))
    assert store.get_registration("a.ml") == registered
    assert store.get_registration("old.ml") is None
    assert store.get_registration("free.ml") == Outcome(Status.ABSENT, None, "404")
    assert store.get_registration("stale.ml") is None, "a 'not registered' answer ages faster"
    assert store.get_registration("slow.ml") is None, "only authoritative answers are cached"
    store.registration_max_age = timedelta(days=30)
    assert store.get_registration("old.ml") == registered
    store.put_registration("old.ml", Outcome(Status.ABSENT, None, "dropped"))
    assert store.get_registration("old.ml") == Outcome(Status.ABSENT, None, "dropped")


# --- retention ------------------------------------------------------------------------------------


def test_prune_keeps_the_latest_and_resumable_scans(store: Store) -> None:
    ids = [_complete(store, [finding("a.ml")], [("b.ml", PROTECTED)], day=d) for d in range(5)]
    running = _begin(store, 5, key="k")
    abandoned = _begin(store, 0, key="old")  # superseded below
    _complete(store, [], [], day=6, key="old")
    assert store.prune(keep=3) == 4  # keeps "old" and ids[3..4]; removes ids[0..2] and the abandoned one
    remaining = [i.id for i in store.scans()]
    assert {ids[3], ids[4], running} <= set(remaining)
    assert abandoned not in remaining
    assert store.history("a.ml")[0][0] == ids[3]
    assert store.integrity_check() == ["ok"]
    with pytest.raises(LookalikeError):
        store.load_scan(ids[0])


def test_prune_by_age_never_removes_the_latest(store: Store) -> None:
    only = _complete(store, [], [], day=-400)
    assert store.prune(older_than=timedelta(days=30), vacuum=True) == 0
    assert store.latest_scan() == only
    newer = _complete(store, [], [], day=-10)
    assert store.prune(older_than=timedelta(days=30)) == 1
    assert [i.id for i in store.scans()] == [newer]


def test_prune_with_both_rules_keeps_what_either_keeps(store: Store) -> None:
    now = datetime.now(UTC)
    days = [-100, -50, -2, -1]
    ids = [_complete(store, [], [], day=(now - T0).days + d) for d in days]
    assert store.prune(keep=1, older_than=timedelta(days=30)) == 2
    assert [i.id for i in store.scans()] == ids[:1:-1]


def test_prune_needs_a_rule(store: Store) -> None:
    with pytest.raises(LookalikeError, match="--keep"):
        store.prune()
    with pytest.raises(LookalikeError, match="at least 1"):
        store.prune(keep=0)


# --- two processes --------------------------------------------------------------------------------

_WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from lookalike.errors import LookalikeError
    from lookalike.store import Store
    from tests.fixtures.store import finding, scan

    db, go, release, label = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    while not go.exists():
        time.sleep(0.01)
    with Store.open(db) as store:
        try:
            with store.scan_lock(wait=0.0):
                scan_id = store.begin_scan(scan([]).info, key=label)
                print("locked", flush=True)
                for i in range(300):
                    store.record(scan_id, finding(f"{label}{i}.ml"))
                store.record_absent(scan_id, [(f"{label}-nx{i}.ml", "kestrel.mil") for i in range(20000)])
                while not release.exists():
                    time.sleep(0.01)
                store.finish_scan(scan_id, scan([]).info)
        except LookalikeError as exc:
            print(f"refused: {exc}", flush=True)
            sys.exit(2)
    """
)


def _spawn(db: Path | str, go: Path, release: Path, label: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(db), str(go), str(release), label],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_scans_at_once_one_refuses_cleanly(db_location: Path | str, tmp_path: Path) -> None:
    db_path = db_location
    Store.open(db_path).close()
    go, release = tmp_path / "go", tmp_path / "release"
    workers = [_spawn(db_path, go, release, label) for label in ("a", "b")]
    go.touch()
    # The loser exits by itself; the winner holds the lock until released.
    deadline = time.monotonic() + 60
    while all(w.poll() is None for w in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    loser = next(w for w in workers if w.poll() is not None)
    winner = next(w for w in workers if w is not loser)
    out, err = loser.communicate(timeout=30)
    assert loser.returncode == 2, err
    assert "refused: another scan (pid" in out
    assert f"pid {winner.pid})" in out
    assert label(db_path) in out
    # Meanwhile this process reads and writes the same database without trouble.
    with Store.open(db_path) as store:
        store.set_triage("kestrel.ml", Triage.WATCH)
        with pytest.raises(LookalikeError, match=f"pid {winner.pid}"), store.scan_lock(wait=0.3):
            pass
    release.touch()
    out, err = winner.communicate(timeout=60)
    assert winner.returncode == 0, err
    assert out.startswith("locked")
    with Store.open(db_path) as store:
        assert store.integrity_check() == ["ok"]
        (only,) = store.scans()
        assert only.id is not None
        assert len(store.load_scan(only.id).findings) == 300
        assert len(store.absent(only.id)) == 20000
        with store.scan_lock():
            pass  # free again


def test_a_waiting_scan_gets_the_lock_when_the_first_ends(db_location: Path | str, tmp_path: Path) -> None:
    db_path = db_location
    Store.open(db_path).close()
    go, release = tmp_path / "go", tmp_path / "release"
    go.touch()
    holder = _spawn(db_path, go, release, "a")
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    with Store.open(db_path) as store:
        release.touch()
        started = time.monotonic()
        with store.scan_lock(wait=60):
            waited = time.monotonic() - started
            assert store.latest_scan() is not None, "the first scan finished before we got the lock"
        assert waited < 60
    holder.communicate(timeout=10)
    assert holder.returncode == 0


def test_a_killed_scan_leaves_no_stale_lock(db_location: Path | str, tmp_path: Path) -> None:
    db_path = db_location
    Store.open(db_path).close()
    go, release = tmp_path / "go", tmp_path / "release"
    go.touch()
    holder = _spawn(db_path, go, release, "a")
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.communicate(timeout=10)
    with Store.open(db_path) as store:
        with store.scan_lock(wait=5):
            pass
        assert store.integrity_check() == ["ok"]
        assert store.unfinished_scan("a") is not None, "the killed scan can be resumed"


def test_the_lock_belongs_to_the_file_whatever_path_reaches_it(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store.open(db_path).close()
    (tmp_path / "elsewhere.db").symlink_to(db_path)
    os.link(db_path, tmp_path / "linked.db")
    (tmp_path / "alias").symlink_to(db_path.parent)
    monkeypatch.chdir(db_path.parent.parent)
    routes = {
        "symlink": tmp_path / "elsewhere.db",
        "hard link": tmp_path / "linked.db",
        "relative path": Path(db_path.parent.name) / ".." / db_path.parent.name / db_path.name,
        "symlinked directory": tmp_path / "alias" / db_path.name,
    }
    go, release = tmp_path / "go", tmp_path / "release"
    go.touch()
    holder = _spawn(db_path, go, release, "a")
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    try:
        for route, other in routes.items():
            with Store.open(other) as store:
                with (
                    pytest.raises(LookalikeError, match=f"another scan \\(pid {holder.pid}\\)"),
                    store.scan_lock(),
                ):
                    pytest.fail(f"a second scan through a {route} got the lock")
                store.set_triage("kestrel.ml", Triage.WATCH)  # the data stays open to everyone else
    finally:
        release.touch()
        holder.communicate(timeout=60)
    assert holder.returncode == 0


def test_two_stores_in_one_process_exclude_each_other_and_close_safely(db_path: Path) -> None:
    first, second = Store.open(db_path), Store.open(db_path)
    with first.scan_lock():
        with pytest.raises(LookalikeError, match=f"pid {os.getpid()}"), second.scan_lock():
            pass
        second.close()  # must not drop the first store's locks or descriptor
        scan_id = _begin(first)
        first.record(scan_id, finding())
    with first.scan_lock():
        assert len(first.load_scan(scan_id).findings) == 1
    first.close()
    with Store.open(db_path) as again, again.scan_lock():
        assert again.integrity_check() == ["ok"]


def test_writers_of_one_scan_can_run_side_by_side(db_location: Path | str) -> None:
    """What distributed workers do: several connections record findings and absent names of one scan
    at once; nothing is lost or refused, and the scan then compacts as usual."""
    with Store.open(db_location) as first:
        scan_id = _begin(first)
    names = [(f"n{i}.ml", PROTECTED) for i in range(600)]
    errors: list[LookalikeError] = []

    def work(part: int) -> None:
        try:
            with Store.open(db_location) as store:
                for i in range(part, 600, 3):
                    store.record_absent(scan_id, [names[i]])
                    if i % 60 == 0:
                        store.record(scan_id, finding(f"found{i}.ml"))
        except LookalikeError as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(part,)) for part in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with Store.open(db_location) as store:
        store.finish_scan(scan_id, scan([]).info)
        assert store.absent(scan_id) == set(names)
        assert len(store.load_scan(scan_id).findings) == 10
        assert not store.damage
