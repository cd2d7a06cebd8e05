"""The SMTP probe against Debian's real Postfix on loopback: how each answer is read, and never a DATA.

One Postfix master serves every behaviour for the whole session (``tests/fixtures/postfix.py``). Each
test reads Postfix's own log: the commands smtpd says it received (EHLO, MAIL, RCPT, QUIT and nothing
else) and its own command counts at disconnect (no ``data``, no ``bdat``).
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime

import pytest

from lookalike import scoring
from lookalike.endpoints import Limits
from lookalike.model import Evidence, Outcome, SmtpFacts, SmtpVerdict, Status
from lookalike.smtp import SmtpProber
from tests import factories as f
from tests.fixtures.postfix import NOT_SERVED, Postfix, Session
from tests.fixtures.probes import mx_facts

pytestmark = pytest.mark.postfix

HELO = "probe.lookalike.invalid"
SERVED = "kestrelsytems.com"
PROBE = Limits(probe_timeout=10.0)
"""Roomy: the first accepted RCPT makes Postfix start its cleanup daemon, slow on a loaded machine."""
STALL = Limits(probe_timeout=1.0)


def prober(mta: Postfix, limits: Limits = PROBE) -> SmtpProber:
    return SmtpProber(port=mta.port, helo=HELO, limits=limits, allow_private=True)


async def probe(
    mta: Postfix, listener: str, domain: str, limits: Limits = PROBE
) -> Outcome[tuple[SmtpFacts, ...]]:
    return await prober(mta, limits).probe(
        domain, mx_facts((f"mx.{listener}.invalid", (mta.address(listener),)))
    )


def never_data(session: Session) -> None:
    """What smtpd logged receiving: no DATA or BDAT, by its own count and by its own record of lines."""
    assert session.closed, session
    assert not {"data", "bdat"} & session.counts.keys(), session.counts
    assert not any(line.upper().startswith(("DATA", "BDAT")) for line in session.received), session.received
    assert session.counts["commands"] == len(session.received), session


def mail_reason(domain: str, outcome: Outcome[tuple[SmtpFacts, ...]], listener: str) -> str:
    """The scoring sentence about the mail server, as the report shows it."""
    dns = mx_facts((f"mx.{listener}.invalid", ("192.0.2.25",)))
    evidence = Evidence(Outcome(Status.OK, dns), smtp=outcome)
    score = scoring.score(f.candidate(domain), evidence, None, now=datetime.now(UTC))
    words = ("mail server answers", "accepts any recipient", "mail bounces today")
    return next(r for r in score.reasons if any(w in r for w in words))


# listener, domain, verdict, accepts_any_recipient, code, enhanced code, STARTTLS, words of the score
CASES = [
    ("catch-all", SERVED, SmtpVerdict.CATCH_ALL, True, 250, "2.1.5", False, "accepts any recipient"),
    ("catch-all-tls", SERVED, SmtpVerdict.CATCH_ALL, True, 250, "2.1.5", True, "accepts any recipient"),
    ("reject-unknown", SERVED, SmtpVerdict.REJECTS_UNKNOWN, False, 550, "5.1.1", False, "rejects unknown"),
    ("reject-unknown-tls", SERVED, SmtpVerdict.REJECTS_UNKNOWN, False, 550, "5.1.1", True, "rejects unknown"),
    ("greylist", SERVED, SmtpVerdict.DEFERRED, None, 450, "4.2.0", False, "deferred the test recipient"),
    ("policy-block", SERVED, SmtpVerdict.REFUSED, None, 554, "5.7.1", False, "other than the address"),
    ("reject-unknown", NOT_SERVED, SmtpVerdict.NOT_SERVED, None, 554, "5.7.1", False, "does not serve"),
    ("relay-defer", NOT_SERVED, SmtpVerdict.NOT_SERVED, None, 454, "4.7.1", False, "does not serve"),
    ("helo-check", SERVED, SmtpVerdict.HELO_REFUSED, None, 450, "4.7.1", False, "refused our HELO name"),
    ("helo-reject", SERVED, SmtpVerdict.HELO_REFUSED, None, 554, "5.7.1", False, "refused our HELO name"),
    (
        "helo-check-early",
        SERVED,
        SmtpVerdict.HELO_REFUSED,
        None,
        450,
        "4.7.1",
        False,
        "refused our HELO name",
    ),
]


@pytest.mark.parametrize(
    ("listener", "domain", "verdict", "accepts", "code", "enhanced", "starttls", "words"),
    CASES,
    ids=[f"{c[0]}-{c[1].split('.')[0]}" for c in CASES],
)
async def test_each_answer_is_read_by_its_enhanced_code(  # noqa: PLR0917  (one case per row)
    postfix_mta: Postfix,
    listener: str,
    domain: str,
    verdict: SmtpVerdict,
    accepts: bool | None,
    code: int,
    enhanced: str,
    starttls: bool,
    words: str,
) -> None:
    mark = postfix_mta.mark()
    outcome = await probe(postfix_mta, listener, domain)
    assert outcome.status is Status.OK, outcome.detail
    assert outcome.value is not None
    (facts,) = outcome.value
    assert (facts.verdict, facts.accepts_any_recipient, facts.code) == (verdict, accepts, code), facts.reason
    assert facts.enhanced_code == enhanced
    assert facts.starttls is starttls
    assert facts.banner == "220 mx.postfix.invalid ESMTP Postfix"
    if accepts is None:
        # Unknown, with the server's own words quoted: in the facts and in the outcome's detail.
        assert f'"{code} {enhanced} ' in facts.reason
        assert facts.reason in outcome.detail
    assert words in mail_reason(domain, outcome, listener)

    (session,) = postfix_mta.sessions(listener, mark)
    never_data(session)
    assert session.received[0] == f"EHLO {HELO}"
    assert session.received[1] == "MAIL FROM:<>"
    assert session.received[2].startswith("RCPT TO:<nosuchuser-")
    assert session.received[2].endswith(f"@{domain}>")
    assert session.received[3:] == ["QUIT"]
    assert postfix_mta.queued() == []  # an accepted recipient opened a queue file; QUIT dropped it


async def test_a_helo_name_refused_at_ehlo_is_unknown_not_rejects(postfix_mta: Postfix) -> None:
    """``smtpd_delay_reject = no``: the EHLO is refused, HELO too, and no recipient is ever asked about."""
    mark = postfix_mta.mark()
    outcome = await probe(postfix_mta, "helo-reject-early", SERVED)
    assert outcome.status is Status.OK
    assert outcome.value is not None
    (facts,) = outcome.value
    assert facts.verdict is SmtpVerdict.HELO_REFUSED
    assert facts.accepts_any_recipient is None
    assert facts.code is None  # RCPT was never said
    assert facts.enhanced_code == "5.7.1"
    assert "Helo command rejected" in facts.reason
    assert "refused our HELO name" in mail_reason(SERVED, outcome, "helo-reject-early")

    (session,) = postfix_mta.sessions("helo-reject-early", mark)
    never_data(session)
    assert session.received == [f"EHLO {HELO}", f"HELO {HELO}", "QUIT"]


async def test_a_relay_denial_is_not_a_catch_all_that_is_not_ruled_out(postfix_mta: Postfix) -> None:
    outcome = await probe(postfix_mta, "relay-defer", NOT_SERVED)
    reason = mail_reason(NOT_SERVED, outcome, "relay-defer")
    assert "catch-all is not ruled out" not in reason
    assert "does not serve it (relay denied, 454 4.7.1): mail bounces today" in reason
    assert "it can receive mail" not in reason


async def test_a_stalling_postfix_is_unknown_and_costs_the_scan_once(postfix_mta: Postfix) -> None:
    """Six names share a Postfix that says 250 to EHLO and then sits on MAIL FROM."""
    mark = postfix_mta.mark()
    p = prober(postfix_mta, STALL)
    dns = mx_facts(("mx.stall.invalid", (postfix_mta.address("stall"),)))
    outcomes = await asyncio.gather(*(p.probe(f"n{i}.{SERVED}", dns) for i in range(6)))

    assert [o.status for o in outcomes] == [Status.TIMEOUT] * 6  # unknown, not an error
    first = next(o for o in outcomes if o.value)
    assert first.value is not None
    assert first.value[0].verdict is SmtpVerdict.UNFINISHED
    assert first.value[0].starttls is False  # what it said before stalling is kept
    assert first.value[0].accepts_any_recipient is None
    later = [o for o in outcomes if o is not first]
    assert all("this host stalled earlier in the scan (no answer within 1s)" in o.detail for o in later)
    # Postfix saw one connection, stuck at MAIL FROM; nobody waited on it a second time.
    (session,) = postfix_mta.sessions("stall", mark, closed=False)
    assert session.received == [f"EHLO {HELO}", "MAIL FROM:<>"]


async def test_a_postfix_that_drops_mid_dialogue_is_unknown(postfix_mta: Postfix) -> None:
    """The smtpd serving us is killed while it holds our MAIL FROM (a crash, an OOM kill)."""
    mark = postfix_mta.mark()
    task = asyncio.create_task(probe(postfix_mta, "drop", SERVED))
    session = await asyncio.to_thread(postfix_mta.waiting_at, "drop", mark, "MAIL FROM:<>")
    os.kill(session.pid, signal.SIGKILL)  # a child of the master this test session started
    outcome = await task
    assert outcome.status is Status.REFUSED  # unknown, not an error
    assert outcome.status.unknown
    assert "closed the connection" in outcome.detail
    assert outcome.value is not None
    (facts,) = outcome.value
    assert facts.verdict is SmtpVerdict.UNFINISHED
    assert facts.accepts_any_recipient is None
    assert facts.transcript[-1] == "-- closed the connection"
    assert session.received == [f"EHLO {HELO}", "MAIL FROM:<>"]
