"""The cron-facing rules of a scheduled scan: --fail-on, which changes alert, what a URL shows."""

from __future__ import annotations

import pytest

from lookalike.errors import LookalikeError
from lookalike.model import (
    Change,
    ChangeKind,
    Changes,
    Existence,
    Finding,
    Level,
    MailRoute,
    Owner,
    Score,
    Triage,
    TriageMark,
)
from lookalike.scan import ScanRun
from lookalike.schedule import alertable, fail_on_reasons, redact_url
from tests import factories as fx


def run_of(*findings: Finding) -> ScanRun:
    return ScanRun(result=fx.scan_result(list(findings)))


def critical(domain: str, owner: Owner = Owner.THIRD_PARTY) -> Finding:
    return fx.finding(
        fx.candidate(domain), fx.evidence(mail=MailRoute.MX), score=Score(Level.CRITICAL, 120, (), owner)
    )


def test_level_conditions_leave_out_ours_and_settled_triage() -> None:
    run = run_of(critical("kestrelsytems.com"), critical("kestrelsystem.com", Owner.OURS))
    assert fail_on_reasons(["high"], run, None, {}) == ["1 at high or above: kestrelsytems.com"]
    owned = {"kestrelsytems.com": TriageMark("kestrelsytems.com", Triage.OWNED)}
    assert fail_on_reasons(["critical"], run, None, owned) == []
    watched = {"kestrelsytems.com": TriageMark("kestrelsytems.com", Triage.WATCH)}
    assert fail_on_reasons(["critical"], run, None, watched) != []


def test_change_conditions() -> None:
    changes = Changes(1, 2, new=(Change("kestrel.ml", "kestrel.mil", ChangeKind.NEW, after=Level.HIGH),))
    run = run_of()
    assert fail_on_reasons(["new"], run, changes, {}) == ["1 new: kestrel.ml"]
    assert fail_on_reasons(["escalated", "changed"], run, changes, {}) == []
    assert fail_on_reasons(["new"], run, None, {}) == []


def test_unknown_condition() -> None:
    unknown = fx.finding(fx.candidate("kestrelsystems.net"), fx.evidence(existence=Existence.UNKNOWN))
    assert fail_on_reasons(["unknown"], run_of(unknown), None, {})


def test_alertable_keeps_escalations_and_what_reaches_the_floor() -> None:
    low = Change("a.com", "x.com", ChangeKind.NEW, after=Level.LOW)
    high = Change("b.com", "x.com", ChangeKind.NEW, after=Level.HIGH)
    up = Change("c.com", "x.com", ChangeKind.ESCALATED, before=Level.INFO, after=Level.LOW)
    kept = alertable(Changes(1, 2, new=(low, high), escalated=(up,)), "high")
    assert kept.new == (high,)
    assert kept.escalated == (up,)
    with pytest.raises(LookalikeError):
        alertable(Changes(1, 2), "loud")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T000/B000/SECRET", "https://hooks.slack.com/..."),
        ("http://user:pw@127.0.0.1:8080/hook", "http://127.0.0.1:8080/..."),
        ("not a url", "the webhook"),
    ],
)
def test_webhook_urls_are_shown_without_their_secret(url: str, shown: str) -> None:
    assert redact_url(url) == shown
