"""Each judgement once: receives mail, catch-all, the deciding probe, ours, settled.

The model's properties decide; the summary, the report, the blocklist, the audit, the CEF export and
``--fail-on`` ask them. These tests pin what each judgement means, and check that every consumer
agrees with it on findings of every kind.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike import export, plan
from lookalike.model import (
    Evidence,
    Existence,
    Finding,
    Holding,
    Level,
    MailRoute,
    Outcome,
    Owner,
    Score,
    SmtpFacts,
    SmtpVerdict,
    Status,
    Triage,
    TriageMark,
)
from lookalike.names import parse
from lookalike.report import build_view, summaries
from lookalike.scan import ScanRun
from lookalike.schedule import fail_on_reasons
from tests import factories as fx


@pytest.mark.parametrize(
    ("route", "wildcard", "collision", "receives"),
    [
        (MailRoute.MX, False, False, True),
        (MailRoute.IMPLICIT, False, False, True),
        (MailRoute.NULL_MX, False, False, False),
        (MailRoute.DANGLING_MX, False, False, False),  # no MX host has an address: mail bounces
        (MailRoute.NONE, False, False, False),
        (MailRoute.UNKNOWN, False, False, False),
        (MailRoute.MX, True, False, False),  # only a wildcard answers: not a registered lookalike
        (MailRoute.MX, False, True, False),  # 127.0.53.53 is ICANN's warning, not a mail host
    ],
)
def test_receives_mail(route: MailRoute, wildcard: bool, collision: bool, receives: bool) -> None:
    ev = fx.evidence(mail=route, wildcard=wildcard, name_collision=collision, catch_all=True)
    assert ev.receives_mail is receives
    assert ev.catch_all is receives  # a catch-all needs a name that receives mail
    assert ev.mail_unknown is (route is MailRoute.UNKNOWN)


def _relay_denied(host: str) -> SmtpFacts:
    return replace(fx.smtp_facts(host, accepts=None, code=554), verdict=SmtpVerdict.NOT_SERVED)


def test_mail_bounces_when_no_mx_host_has_an_address_or_every_answer_denied_relaying() -> None:
    assert fx.evidence(mail=MailRoute.DANGLING_MX).mail_bounces
    denied = fx.evidence(mail=MailRoute.MX, smtp=(_relay_denied("mx1.example"), _relay_denied("mx2.example")))
    assert denied.mail_bounces and not denied.receives_mail and not denied.catch_all
    unfinished = replace(fx.smtp_facts("mx2.example", accepts=None), verdict=SmtpVerdict.UNFINISHED)
    for others in ((fx.smtp_facts("mx2.example", accepts=True),), (unfinished,)):
        # Another host took the recipient, or left the question open: mail may well be delivered.
        mixed = fx.evidence(mail=MailRoute.MX, smtp=(_relay_denied("mx1.example"), *others))
        assert not mixed.mail_bounces and mixed.receives_mail
    for route in (MailRoute.MX, MailRoute.NULL_MX, MailRoute.NONE, MailRoute.UNKNOWN):
        assert not fx.evidence(mail=route, catch_all=False).mail_bounces
    assert not fx.evidence(mail=MailRoute.DANGLING_MX, wildcard=True).mail_bounces


def test_unknown_and_absent_names_receive_nothing() -> None:
    for existence in (Existence.UNKNOWN, Existence.ABSENT):
        ev = fx.evidence(existence=existence)
        assert not ev.receives_mail
        assert not ev.catch_all
        assert not ev.mail_unknown


def test_catch_all_is_any_host_that_took_a_made_up_recipient() -> None:
    first = fx.smtp_facts("mx1.example", accepts=None)  # 4xx: no verdict
    second = fx.smtp_facts("mx2.example", accepts=True)
    ev = fx.evidence(mail=MailRoute.MX, smtp=(first, second))
    assert ev.catch_all
    assert ev.primary_smtp == second  # the first host with a verdict decides
    rejected = fx.evidence(mail=MailRoute.MX, smtp=(first, fx.smtp_facts("mx2.example", accepts=False)))
    assert not rejected.catch_all
    only_deferred = fx.evidence(mail=MailRoute.MX, smtp=(first,))
    assert only_deferred.primary_smtp == first
    assert not only_deferred.catch_all


def test_primary_web_is_the_first_probe_that_got_a_status() -> None:
    dead = fx.web_facts("https://x.example/", status=None)
    live = fx.web_facts("http://x.example/", status=200)
    assert fx.evidence(web=(dead, live)).primary_web == live
    assert fx.evidence(web=(dead,)).primary_web == dead
    assert Evidence(dns=Outcome(Status.ABSENT)).primary_web is None


def _mark(state: Triage) -> TriageMark:
    return TriageMark("kestrelsytems.com", state, who="ana", when=fx.NOW)


def test_ours_an_analyst_decides_first() -> None:
    scored_ours = fx.finding(score=Score(Level.LOW, 0, owner=Owner.OURS))
    third = fx.finding(score=Score(Level.HIGH, 60, owner=Owner.THIRD_PARTY))
    assert third.ours(_mark(Triage.OWNED)) is Holding.TRIAGED
    for state in (Triage.BENIGN, Triage.MALICIOUS, Triage.WATCH):
        assert scored_ours.ours(_mark(state)) is None  # the mark beats the scan's guess
    assert scored_ours.ours() is Holding.SCORED
    assert third.ours() is None


def test_ours_the_configuration_lists_the_name_or_a_parent() -> None:
    below = fx.finding(fx.candidate("mail.kestrelsytems.com", apex="kestrelsytems.com"))
    assert below.ours(owned=["KestrelSytems.com."]) is Holding.LISTED
    assert below.ours(owned=["mail.kestrelsytems.com"]) is Holding.LISTED
    assert below.ours(owned=["other.example"]) is not Holding.LISTED


def test_settled_is_ours_or_benign() -> None:
    third = fx.finding(score=Score(Level.HIGH, 60, owner=Owner.THIRD_PARTY))
    assert not third.settled()
    assert third.settled(_mark(Triage.BENIGN))
    assert third.settled(_mark(Triage.OWNED))
    assert not third.settled(_mark(Triage.WATCH))
    assert third.settled(owned=["kestrelsytems.com"])


# --- every consumer asks the same judgement ---------------------------------------------------------

ROUTES = st.sampled_from(list(MailRoute))


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    route = draw(ROUTES)
    existence = draw(st.sampled_from([Existence.EXISTS, Existence.EXISTS, Existence.UNKNOWN]))
    accepts = draw(st.lists(st.sampled_from([True, False, None, "relay denied"]), max_size=3))
    smtp = (
        tuple(
            fx.smtp_facts(f"mx{i}.example", accepts=a)
            if not isinstance(a, str)
            else replace(
                fx.smtp_facts(f"mx{i}.example", accepts=None, code=554), verdict=SmtpVerdict.NOT_SERVED
            )
            for i, a in enumerate(accepts)
        )
        or None
    )
    ev = fx.evidence(
        existence=existence,
        mail=route,
        wildcard=draw(st.booleans()),
        name_collision=draw(st.booleans()),
        smtp=smtp if route in (MailRoute.MX, MailRoute.IMPLICIT) else None,
    )
    owner = draw(st.sampled_from(list(Owner)))
    name = draw(st.sampled_from(["kestrelsytems.com", "kestrelsystem.com", "kestrelsystems.net"]))
    return Finding(fx.candidate(name), ev, Score(Level.HIGH, 60, owner=owner))


@settings(max_examples=150, deadline=None)
@given(st.lists(findings(), min_size=1, max_size=6, unique_by=lambda f: f.candidate.domain))
def test_report_blocklist_cef_and_fail_on_agree_with_the_model(found: list[Finding]) -> None:
    triage = {found[0].candidate.domain: _mark(Triage.BENIGN)}
    result = fx.scan_result(found)
    view = build_view(result, triage=triage)
    for row in view.rows:
        ev = row.finding.evidence
        assert row.can_receive is ev.receives_mail
        assert row.catch_all is ev.catch_all
        assert row.ours is (row.finding.ours(triage.get(row.finding.candidate.domain)) is not None)
    not_ours = [f for f in found if f.ours(triage.get(f.candidate.domain)) is None]
    (summary,) = summaries(result, None, triage)
    assert summary.can_receive == sum(1 for f in not_ours if f.evidence.receives_mail)
    assert summary.catch_all == sum(1 for f in not_ours if f.evidence.catch_all)
    assert view.counts["catch_all"] == summary.catch_all

    blocked = {e.domain for e in plan.blocklist(found, protected=[parse(fx.PROTECTED)], triage=triage)}
    for f in found:
        ev = f.evidence
        may_receive = ev.receives_mail or ev.mail_unknown or ev.mail_bounces
        listed = may_receive and not f.settled(triage.get(f.candidate.domain))
        assert (f.candidate.domain in blocked) is listed
        line = export.cef_line(f, result.info, "0")
        assert ("accepts mail for any recipient" in line) is ev.catch_all

    run = ScanRun(result=result)
    unsettled = [f for f in found if not f.settled(triage.get(f.candidate.domain))]
    reasons = fail_on_reasons(["high"], run, None, triage)
    assert bool(reasons) is bool(unsettled)


def test_the_audit_lists_what_is_ours_and_says_why() -> None:
    owned = fx.finding(fx.candidate("kestrelsystem.com"), score=Score(Level.LOW, 0, owner=Owner.THIRD_PARTY))
    scored = fx.finding(fx.candidate("kestrelsytems.com"), score=Score(Level.LOW, 0, owner=Owner.OURS))
    watched = replace(scored, candidate=fx.candidate("kestrelsystems.net"))
    mark = TriageMark("kestrelsystem.com", Triage.OWNED, who="ana", when=fx.NOW - timedelta(days=1))
    audits = plan.audit(
        [owned, scored, watched],
        triage={"kestrelsystem.com": mark, "kestrelsystems.net": _mark(Triage.WATCH)},
    )
    why = {a.domain: a.why_ours for a in audits}
    assert set(why) == {"kestrelsystem.com", "kestrelsytems.com"}
    assert why["kestrelsystem.com"].startswith("triaged owned by ana")
    assert why["kestrelsytems.com"].startswith("matches the protected domain")
