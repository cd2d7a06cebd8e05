"""diff.compare and friends: every change kind, what is said about it, and what is left out."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike.diff import compare, drop_unconfirmed, flapping, is_fact, recheck_needed
from lookalike.model import (
    Change,
    ChangeKind,
    Changes,
    Existence,
    Finding,
    Level,
    MailRoute,
    Status,
    Triage,
    TriageMark,
    Verdict,
    skipped,
)
from tests import factories as fx
from tests.fixtures.store import PROTECTED, T0, finding, scan

E, A, U = Existence.EXISTS, Existence.ABSENT, Existence.UNKNOWN
NAME = "kestrel.ml"
KEY = (NAME, PROTECTED)


def one(before: Finding | None, after: Finding | None, **kwargs: Any) -> Changes:
    """Compare two scans holding (at most) one finding each; the later one is a day later."""
    previous = scan([before] if before else [], scan_id=1)
    current = scan([after] if after else [], scan_id=2, day=1)
    return compare(previous, current, **kwargs)


def only(changes: Changes) -> Change:
    assert len(changes.all) == 1, changes
    return changes.all[0]


# --- existence --------------------------------------------------------------------------------------


def test_a_name_that_appears_is_new_with_a_summary() -> None:
    change = only(
        one(None, finding(mx=("mx1.kestrel.ml",), catch_all=True, login_form=True, level=Level.HIGH))
    )
    assert change.kind is ChangeKind.NEW
    assert (change.before, change.after) == (None, Level.HIGH)
    assert change.what == (
        "MX: mx1.kestrel.ml",
        "registrar: Cheap Names LLC",
        "created: 2025-01-26",
        "catch-all: accepts mail for any address",
        "login form",
    )


def test_unknown_before_and_existing_now_is_new_but_noted() -> None:
    change = only(one(finding(existence=U), finding()))
    assert change.kind is ChangeKind.NEW
    assert change.what[0] == "was unknown in the previous scan"


def test_a_name_that_went_away_is_gone() -> None:
    changes = one(finding(level=Level.HIGH), None, absent={KEY})
    change = only(changes)
    assert change.kind is ChangeKind.GONE
    assert (change.before, change.after) == (Level.HIGH, None)
    assert changes.gone == (change,)


@pytest.mark.parametrize(
    ("after", "absent", "interrupted"),
    [
        pytest.param(finding(existence=U), None, False, id="unknown now"),
        pytest.param(finding(existence=U), {KEY}, False, id="unknown now, even if listed absent"),
        pytest.param(None, set(), False, id="not looked at (absent list given)"),
        pytest.param(None, None, True, id="missing from an interrupted scan"),
    ],
)
def test_unknown_or_unseen_is_never_gone(
    after: Finding | None, absent: set[tuple[str, str]] | None, interrupted: bool
) -> None:
    previous = scan([finding()], scan_id=1)
    current = scan([after] if after else [], scan_id=2, day=1, interrupted=interrupted)
    assert not compare(previous, current, absent=absent)


def test_missing_from_a_complete_scan_counts_as_absent() -> None:
    assert only(one(finding(), None)).kind is ChangeKind.GONE


def test_unknown_before_and_absent_now_is_nothing() -> None:
    assert not one(finding(existence=U), None, absent={KEY})


def test_first_scan_everything_existing_is_new() -> None:
    current = scan([finding("a.ml"), finding("b.ml", existence=U)], scan_id=1)
    changes = compare(None, current)
    assert [c.domain for c in changes.new] == ["a.ml"]
    assert changes.previous_id is None
    assert changes.current_id == 1


def test_a_newly_protected_domain_is_new_and_a_dropped_one_is_not_gone() -> None:
    previous = scan([finding("old.ml", protected="old.mil")], scan_id=1, protected=("old.mil",))
    current = scan(
        [finding("kestrel.com.ml", protected="kestrel.com")], scan_id=2, protected=("kestrel.com",)
    )
    changes = compare(previous, current)
    (change,) = changes.all
    assert change.kind is ChangeKind.NEW
    assert change.what[0] == "first scan of kestrel.com"


# --- changed facts ------------------------------------------------------------------------------------

MX1: dict[str, Any] = {"mx": ("mx1.kestrel.ml",)}

CHANGED_CASES = [
    ("MX added", {"a": ("192.0.2.1",)}, {"mx": ("mx1.kestrel.ml",)},
     ["MX added: mx1.kestrel.ml", "mail route implicit -> mx"]),
    ("MX removed", {"mx": ("mx1.kestrel.ml", "mx2.kestrel.ml")}, {"mx": ("mx1.kestrel.ml",)},
     ["MX removed: mx2.kestrel.ml"]),
    ("null MX", {"mx": ("mx1.kestrel.ml",)}, {"mx": ("",), "mail": MailRoute.NULL_MX},
     ["MX added: null MX (0 .)", "MX removed: mx1.kestrel.ml", "mail route mx -> null-mx"]),
    ("name servers", {}, {"ns": ("ns1.evil.example",)},
     ["name servers changed: ns1.parking.example, ns2.parking.example -> ns1.evil.example"]),
    ("address appears", {"a": (), "mail": MailRoute.NONE},
     {"a": ("192.0.2.7",), "mail": MailRoute.NONE, "web": Status.TIMEOUT},
     ["now resolves to an address: 192.0.2.7"]),
    ("SPF added", {}, {"spf": "v=spf1 a -all"}, ["SPF added: v=spf1 a -all"]),
    ("SPF changed", {"spf": "v=spf1 -all"}, {"spf": "v=spf1 include:mail.evil ~all"},
     ["SPF changed: v=spf1 -all -> v=spf1 include:mail.evil ~all"]),
    ("SPF removed", {"spf": "v=spf1 -all"}, {}, ["SPF removed"]),
    ("DMARC added", {}, {"dmarc": "v=DMARC1; p=none"}, ["DMARC added: v=DMARC1; p=none"]),
    ("registrar", {}, {"registrar": "Evil Names Ltd"},
     ["registrar changed: Cheap Names LLC -> Evil Names Ltd"]),
    ("re-registered", {}, {"created": T0}, ["re-registered: created 2025-01-26 -> 2026-03-02"]),
    ("pendingDelete", {}, {"epp": ("clientTransferProhibited", "pendingDelete")},
     ["registry status added: pendingDelete"]),
    ("expires soon", {}, {"expires": T0 + timedelta(days=10)}, ["registration expires soon: 2026-03-12"]),
    ("catch-all started", {**MX1, "catch_all": False}, {**MX1, "catch_all": True},
     ["catch-all started: accepts mail for any address at kestrel.ml"]),
    ("catch-all stopped", {**MX1, "catch_all": True}, {**MX1, "catch_all": False},
     ["catch-all stopped: refuses unknown recipients"]),
    ("mail server from nothing", {"a": (), "mail": MailRoute.NONE}, {"a": (), **MX1, "catch_all": True},
     ["MX added: mx1.kestrel.ml", "mail route none -> mx",
      "mail server now answering: mx1.kestrel.ml (192.0.2.25)",
      "catch-all started: accepts mail for any address at kestrel.ml"]),
    ("login form", {}, {"login_form": True}, ["login form appeared"]),
    ("login form removed", {"login_form": True}, {}, ["login form removed"]),
    ("parked", {}, {"parked": True}, ["now parked"]),
    ("unparked", {"parked": True}, {}, ["no longer parked"]),
    ("redirect target", {}, {"final_url": "https://login.evil.example/kestrel"},
     ["web redirect target changed: kestrel.ml -> login.evil.example"]),
    ("website appears", {"a": (), "mail": MailRoute.NONE},
     {"a": ("192.0.2.9",), "mail": MailRoute.NONE, "login_form": True},
     ["now resolves to an address: 192.0.2.9", "website appeared: HTTP 200 at https://kestrel.ml/",
      "login form appeared"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("before", "after", "lines"),
    [pytest.param(b, a, lines, id=name) for name, b, a, lines in CHANGED_CASES],
)
def test_changed_facts_are_named(before: dict[str, Any], after: dict[str, Any], lines: list[str]) -> None:
    change = only(one(finding(**before), finding(**after)))
    assert change.kind is ChangeKind.CHANGED
    assert list(change.what) == lines
    assert (change.before, change.after) == (Level.MEDIUM, Level.MEDIUM)


NOT_COMPARABLE = [
    ("MX question failed now", MX1, {"problems": ("MX: timeout",), "mail": MailRoute.UNKNOWN}),
    ("NS question failed", {}, {"ns": (), "problems": ("NS: SERVFAIL",)}),
    ("registry timed out now", {}, {"registry": Status.TIMEOUT}),
    ("registry refused before", {"registry": Status.REFUSED}, {"registrar": "Someone Else"}),
    ("smtp probe timed out", {"mx": ("mx1.kestrel.ml",), "catch_all": False},
     {"mx": ("mx1.kestrel.ml",), "catch_all": True, "smtp": Status.TIMEOUT}),
    ("smtp probe not run before", MX1, {**MX1, "catch_all": True}),
    ("web probe failed now", {}, {"login_form": True, "web": Status.REFUSED}),
    ("expiry already soon last time", {"expires": T0 + timedelta(days=12)},
     {"expires": T0 + timedelta(days=12)}),
    ("renewal is routine", {}, {"expires": T0 + timedelta(days=700)}),
    ("case and spacing of a registrar", {"registrar": "Cheap  Names LLC"}, {"registrar": "cheap names llc"}),
]  # fmt: skip


@pytest.mark.parametrize(("before", "after"), [pytest.param(b, a, id=name) for name, b, a in NOT_COMPARABLE])
def test_facts_one_scan_could_not_establish_are_not_changes(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    assert not one(finding(**before), finding(**after))


def test_hostile_text_is_flattened_and_bounded() -> None:
    nasty = "Evil\x1b[31m\nRegistrar\u0000 " + "x" * 500
    change = only(one(finding(), finding(registrar=nasty)))
    (line,) = change.what
    assert "\x1b" not in line
    assert "\n" not in line
    assert "\x00" not in line
    assert line.startswith("registrar changed: Cheap Names LLC -> Evil [31m Registrar x")
    assert len(line) < 200


# --- levels -----------------------------------------------------------------------------------------


def test_a_level_rise_with_a_cause_is_escalated_and_says_what_changed() -> None:
    change = only(one(finding(level=Level.MEDIUM), finding(level=Level.CRITICAL, login_form=True)))
    assert change.kind is ChangeKind.ESCALATED
    assert change.what == ("login form appeared", "level medium -> critical")
    assert (change.before, change.after) == (Level.MEDIUM, Level.CRITICAL)


def test_a_level_rise_alone_is_escalated() -> None:
    change = only(one(finding(level=Level.LOW), finding(level=Level.HIGH)))
    assert change.kind is ChangeKind.ESCALATED
    assert change.what == ("level low -> high",)


def test_a_level_fall_is_a_change() -> None:
    change = only(one(finding(level=Level.HIGH), finding(level=Level.LOW, parked=True)))
    assert change.kind is ChangeKind.CHANGED
    assert change.what == ("now parked", "level high -> low")


def test_nothing_changed_is_nothing() -> None:
    changes = one(
        finding(mx=("mx1.kestrel.ml",), catch_all=True), finding(mx=("mx1.kestrel.ml",), catch_all=True)
    )
    assert not changes
    assert changes.suppressed == ()


# --- triage and flapping --------------------------------------------------------------------------------

MARK = TriageMark(NAME, Triage.MALICIOUS, "phishing kit", "alice", T0)


@pytest.mark.parametrize(
    ("state", "before", "after"),
    [
        pytest.param(Triage.OWNED, None, finding(), id="new"),
        pytest.param(Triage.BENIGN, finding(), finding(), id="unchanged"),
        pytest.param(Triage.WATCH, finding(level=Level.LOW), finding(level=Level.HIGH), id="level only"),
        pytest.param(Triage.MALICIOUS, finding(existence=U), finding(), id="new after unknown"),
    ],
)
def test_triaged_names_without_a_changed_fact_are_suppressed(
    state: Triage, before: Finding | None, after: Finding
) -> None:
    changes = one(before, after, triage={NAME: dataclasses.replace(MARK, state=state)})
    assert not changes
    assert changes.suppressed == (NAME,)


def test_a_triaged_name_whose_facts_change_is_reported_as_triaged() -> None:
    changes = one(
        finding(level=Level.LOW), finding(level=Level.HIGH, mx=("mx1.kestrel.ml",)), triage={NAME: MARK}
    )
    change = only(changes)
    assert change.kind is ChangeKind.ESCALATED
    assert change.what == (
        "MX added: mx1.kestrel.ml",
        "mail route implicit -> mx",
        "level low -> high",
        "triaged malicious by alice on 2026-03-02",
    )


def test_a_triaged_name_that_goes_away_is_reported() -> None:
    owned = dataclasses.replace(MARK, state=Triage.OWNED)
    change = only(one(finding(), None, triage={NAME: owned}))
    assert change.kind is ChangeKind.GONE
    assert change.what[-1].startswith("triaged owned")


def test_flapping_names_are_suppressed_whatever_happened() -> None:
    for before, after in ((None, finding()), (finding(), None), (finding(), finding(login_form=True))):
        changes = one(before, after, flapping={NAME})
        assert not changes
        assert changes.suppressed == (NAME,)


@pytest.mark.parametrize(
    ("seq", "flaps"),
    [
        ([A, E, A, E], True),
        ([E, A, E], True),
        ([A, E], False),
        ([E, E, E, A], False),
        ([E, U, E, U], False),
        ([E, U, A, E], True),
        ([E, U, A, U, E], False),  # the window counts scans, unknown ones included
        ([E, A, E, E, E, E], False),  # the flips are older than the window
        ([], False),
    ],
)
def test_flapping(seq: list[Existence], flaps: bool) -> None:
    assert flapping({NAME: seq}) == ({NAME} if flaps else set())


def test_flapping_window_and_threshold() -> None:
    seq = [E, A, E, E, E, E]
    assert flapping({NAME: seq}, window=6) == {NAME}
    assert flapping({NAME: seq}, window=6, flips=3) == set()


# --- re-checks ----------------------------------------------------------------------------------------


def _mixed() -> Changes:
    previous = scan(
        [
            finding("gone.ml"),
            finding("mail.ml", a=("192.0.2.1",)),
            finding("mailweb.ml", a=("192.0.2.1",)),
            finding("web.ml"),
        ],
        scan_id=1,
    )
    current = scan(
        [
            finding("new.ml"),
            finding("mail.ml", mx=("mx.mail.ml",)),
            finding("mailweb.ml", mx=("mx.mailweb.ml",), login_form=True),
            finding("web.ml", parked=True),
        ],
        scan_id=2,
        day=1,
    )
    return compare(previous, current)


def test_recheck_needed_lists_new_gone_and_mail_route_changes() -> None:
    assert recheck_needed(_mixed()) == ["gone.ml", "mail.ml", "mailweb.ml", "new.ml"]


def test_drop_unconfirmed_keeps_what_the_recheck_confirmed() -> None:
    changes = drop_unconfirmed(_mixed(), {"new.ml"})
    assert [c.domain for c in changes.new] == ["new.ml"]
    assert changes.gone == ()
    assert {c.domain: c.what for c in changes.changed} == {
        "mailweb.ml": ("login form appeared",),
        "web.ml": ("now parked",),
    }
    assert changes.suppressed == ("gone.ml", "mail.ml")
    everything = drop_unconfirmed(_mixed(), recheck_needed(_mixed()))
    assert everything == _mixed()


# --- whole-scan properties ---------------------------------------------------------------------------

_facts = st.fixed_dictionaries(
    {},
    optional={
        "existence": st.sampled_from([E, U]),
        "level": st.sampled_from(list(Level)),
        "mx": st.lists(st.sampled_from(["mx1.x.ml", "mx2.x.ml"]), max_size=2, unique=True).map(tuple),
        "registrar": st.sampled_from(["A", "B", None]),
        "catch_all": st.booleans(),
        "login_form": st.booleans(),
        "parked": st.booleans(),
        "spf": st.sampled_from(["v=spf1 -all", None]),
    },
)
_scans = st.lists(
    st.tuples(st.sampled_from(["a.ml", "b.ml", "c.ml", "d.ml", "e.ml"]), _facts), unique_by=lambda t: t[0]
).map(lambda items: [finding(domain, **cast(dict[str, Any], facts)) for domain, facts in items])


@settings(max_examples=50)
@given(_scans)
def test_a_scan_compared_with_itself_has_no_changes(findings: list[Finding]) -> None:
    result = scan(findings, scan_id=1)
    assert not compare(result, dataclasses.replace(result, info=dataclasses.replace(result.info, id=2)))


@settings(max_examples=50)
@given(_scans, _scans, st.randoms(use_true_random=False))
def test_compare_is_deterministic_and_unknown_is_never_gone(
    before: list[Finding], after: list[Finding], rnd: Any
) -> None:
    previous, current = scan(before, scan_id=1), scan(after, scan_id=2, day=1)
    changes = compare(previous, current)
    shuffled_before, shuffled_after = list(before), list(after)
    rnd.shuffle(shuffled_before)
    rnd.shuffle(shuffled_after)
    again = compare(scan(shuffled_before, scan_id=1), scan(shuffled_after, scan_id=2, day=1))
    assert again == changes
    unknown_now = {f.candidate.domain for f in after if f.evidence.existence is U}
    assert not unknown_now & {c.domain for c in changes.gone}
    for change in changes.all:
        assert change.what or change.kind is ChangeKind.NEW
    levels = [(c.after.rank if c.after else 9, c.domain) for c in changes.new]
    assert levels == sorted(levels)


def test_is_fact_tells_notes_from_facts() -> None:
    assert is_fact("MX added: mx1.x")
    assert not is_fact("level low -> high")
    assert not is_fact("triaged owned by bob")


def _without_addresses(found: Finding, route: MailRoute) -> Finding:
    dns = found.evidence.dns.value
    assert dns is not None
    hosts = tuple(dataclasses.replace(mx, addresses=()) for mx in dns.mx)
    facts = dataclasses.replace(dns, mx=hosts, mail_route=route)
    return dataclasses.replace(
        found,
        evidence=dataclasses.replace(
            found.evidence, dns=dataclasses.replace(found.evidence.dns, value=facts)
        ),
    )


def test_mx_hosts_losing_their_addresses_is_a_dangling_mx_once() -> None:
    working = finding(**MX1)
    dangling = _without_addresses(finding(**MX1), MailRoute.DANGLING_MX)
    change = only(one(working, dangling))
    assert "mail route mx -> dangling-mx" in change.what
    # A scan stored before dangling-mx existed called the same facts "mx": not a change.
    stored_before = _without_addresses(finding(**MX1), MailRoute.MX)
    assert not one(stored_before, dangling)


# --- the page (--screenshot) ------------------------------------------------------------------------


def _page(verdict: Verdict | None) -> Finding:
    """The default finding, its page judged ``verdict`` (None: not rendered)."""
    base = finding()
    visual = fx.visual_facts(verdict) if verdict is not None else skipped()
    return dataclasses.replace(base, evidence=dataclasses.replace(base.evidence, visual=visual))


@pytest.mark.parametrize(
    ("before", "after", "lines"),
    [
        (Verdict.DIFFERENT, Verdict.CLONE, [f"page now a copy of {PROTECTED}'s (it was different)"]),
        (Verdict.SIMILAR, Verdict.CLONE, [f"page now a copy of {PROTECTED}'s (it was similar)"]),
        (Verdict.CLONE, Verdict.DIFFERENT, [f"page no longer a copy of {PROTECTED}'s (now different)"]),
        (Verdict.SIMILAR, Verdict.DIFFERENT, []),
        (Verdict.UNKNOWN, Verdict.CLONE, []),  # the page could not be judged last time
        (Verdict.CLONE, Verdict.UNKNOWN, []),  # ... or this time: not a change
        (None, Verdict.CLONE, []),  # not rendered last time (no --screenshot)
        (Verdict.CLONE, Verdict.CLONE, []),
    ],
)
def test_a_page_that_became_a_copy_is_a_change(
    before: Verdict | None, after: Verdict | None, lines: list[str]
) -> None:
    changes = one(_page(before), _page(after))
    assert [w for c in changes.all for w in c.what] == lines


def test_a_new_name_says_its_page_is_a_copy() -> None:
    change = only(one(None, _page(Verdict.CLONE)))
    assert f"page: a copy of {PROTECTED}'s" in change.what
