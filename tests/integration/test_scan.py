"""The orchestrator against the whole loopback universe: every stage, real servers, no mocks."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import pytest

from lookalike import scan
from lookalike.demo.universe import Universe, running
from lookalike.model import Availability, Existence, Finding, Level, MailRoute, Owner, Status, Technique
from lookalike.scan import Collector, ScanRun

TECHNIQUES = frozenset(
    {
        Technique.TLD_TYPO,
        Technique.TLD_SWAP,
        Technique.OMISSION,
        Technique.HOMOGLYPH,
        Technique.REPLACEMENT,
        Technique.KEYWORD,
        Technique.TLD_FUSION,
        Technique.HYPHENATION,
    }
)


@pytest.fixture(scope="module")
def universe() -> Iterator[Universe]:
    """The universe in a background thread, shared by the module: the scan below runs once."""
    with running("now") as world:
        yield world


@pytest.fixture(scope="module")
def result(universe: Universe) -> ScanRun:
    settings = universe.settings()
    settings = dataclasses.replace(
        settings, generate=dataclasses.replace(settings.generate, techniques=TECHNIQUES)
    )
    return asyncio.run(scan.run(settings))


def by_name(run: ScanRun) -> dict[str, Finding]:
    return {f.candidate.domain: f for f in run.result.findings}


def test_mail_routes_are_told_apart(result: ScanRun) -> None:
    found = by_name(result)
    routes = {name: facts.mail_route for name, f in found.items() if (facts := f.evidence.dns.value)}
    assert routes["kestrel.ml"] is MailRoute.MX
    assert routes["kestrelsystems.co"] is MailRoute.IMPLICIT
    assert routes["kestrelsystems.om"] is MailRoute.NULL_MX
    assert routes["kestrelsystems.cm"] is MailRoute.MX


def test_failures_are_unknown_never_absent(result: ScanRun) -> None:
    found = by_name(result)
    servfail = found["kestrelsystems.net"]
    dropped = found["kestrelsystems.org"]
    assert servfail.evidence.existence is Existence.UNKNOWN
    assert servfail.evidence.dns.status is Status.REFUSED
    assert dropped.evidence.existence is Existence.UNKNOWN
    assert dropped.evidence.dns.status is Status.TIMEOUT
    for summary in result.result.info.protected:
        assert summary.generated == summary.exists + summary.absent + summary.unknown


def test_wildcards_and_name_collisions_are_marked(result: ScanRun) -> None:
    found = by_name(result)
    ws = found["kestrelsystems.ws"].evidence.dns.value
    cam = found["kestrelsystems.cam"].evidence.dns.value
    assert ws is not None and ws.wildcard
    assert cam is not None and cam.name_collision
    assert found["kestrelsystems.ws"].score.level is Level.INFO
    assert found["kestrelsystems.ws"].evidence.registration.status is Status.SKIPPED


def test_catch_all_mail_is_critical_and_no_message_is_sent(result: ScanRun, universe: Universe) -> None:
    found = by_name(result)
    ml = found["kestrel.ml"]
    assert ml.score.level is Level.CRITICAL
    smtp = ml.evidence.smtp.value
    assert smtp is not None and smtp[0].accepts_any_recipient is True
    reject = found["kestrel-systems.com"].evidence.smtp.value
    assert reject is not None and reject[0].accepts_any_recipient is False
    assert found["kestrelsystems.om"].evidence.smtp.status is Status.SKIPPED  # a null MX is never probed
    assert universe.smtp.received_data == 0


def test_registration_from_rdap_and_whois(result: ScanRun) -> None:
    found = by_name(result)
    rdap = found["kestre1systems.com"].evidence.registration.value
    whois = found["kestrel.ml"].evidence.registration.value
    assert rdap is not None and rdap.source == "rdap" and rdap.registrar == "Offshore Names Ltd"
    assert rdap.created is not None and rdap.created.tzinfo is not None
    assert whois is not None and whois.source == "whois" and whois.registrar == "Sahel Names SARL"
    assert whois.abuse is not None and whois.abuse.email


def test_ours_and_theirs(result: ScanRun) -> None:
    found = by_name(result)
    assert found["kestrelsytems.com"].score.owner is Owner.OURS  # listed as owned, same NS
    assert found["kestrelsystens.com"].score.owner is Owner.OURS  # same registrar and registrant
    assert found["kestre1systems.com"].score.owner is Owner.THIRD_PARTY
    audits = {a.domain: a for a in result.audit}
    assert audits["kestrelsytems.com"].ok
    assert not audits["kestrelsystens.com"].ok
    blocked = {b.domain for b in result.blocklist}
    assert "kestrel.ml" in blocked and "kestrelsytems.com" not in blocked


def test_web_signals(result: ScanRun) -> None:
    found = by_name(result)
    login = found["kestre1systems.com"].evidence.web.value
    ours = found["kestrelsytems.com"].evidence.web.value
    parked = found["kestrelsystems.co"].evidence.web.value
    assert login is not None and any(w.login_form for w in login)
    assert ours is not None and any(w.redirects_to_protected for w in ours)
    assert parked is not None and any(w.parked for w in parked)


def test_plan_confirms_with_the_registry(result: ScanRun) -> None:
    plan = {item.domain: item for item in result.plan}
    assert plan, "the plan is empty"
    assert plan["kesrelsystems.com"].availability is Availability.REGISTERED  # held, not delegated
    assert any(item.availability is Availability.AVAILABLE for item in result.plan)
    assert [item.rank for item in result.plan] == list(range(1, len(result.plan) + 1))


def test_findings_stream_to_the_sink(universe: Universe) -> None:
    settings = universe.settings(registry=False, smtp=False, http=False)
    settings = dataclasses.replace(
        settings, generate=dataclasses.replace(settings.generate, techniques=frozenset({Technique.TLD_TYPO}))
    )
    sink = Collector()
    run = asyncio.run(scan.run(settings, sink=sink))
    assert {f.candidate.domain for f in sink.findings} == {f.candidate.domain for f in run.result.findings}
    assert sum(sink.absent.values()) == sum(s.absent for s in run.result.info.protected)
