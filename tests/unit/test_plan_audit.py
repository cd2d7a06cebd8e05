"""The hygiene audit of lookalikes the organisation holds: refuse mail, cannot send, web goes home."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookalike import plan
from lookalike.model import (
    Existence,
    Finding,
    HygieneAudit,
    Level,
    MailRoute,
    Owner,
    Score,
    Status,
    Triage,
    TriageMark,
    WebFacts,
)
from lookalike.plan import hygiene
from tests import factories as f

OURS = Score(Level.INFO, 0, (), Owner.OURS, ("same registrant organisation as kestrelsystems.com",))
PARKED_RIGHT = {"spf": "v=spf1 -all", "dmarc": "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s"}


def owned_finding(domain: str = "kestrelsytems.com", *, score: Score = OURS, **evidence: object) -> Finding:
    defaults: dict[str, object] = {"mail": MailRoute.NULL_MX, **PARKED_RIGHT, "redirects_to_protected": True}
    defaults.update(evidence)
    return f.finding(f.candidate(domain), f.evidence(**defaults), score=score)  # type: ignore[arg-type]


def only(audits: list[HygieneAudit]) -> HygieneAudit:
    assert len(audits) == 1
    return audits[0]


def checks(a: HygieneAudit) -> list[str]:
    return [fix.check for fix in a.fixes]


def test_a_well_parked_lookalike_passes() -> None:
    a = only(plan.audit([owned_finding()]))
    assert a.ok
    assert a.domain == "kestrelsytems.com"
    assert a.protected == f.PROTECTED
    assert a.why_ours.startswith("matches the protected domain (same registrant organisation")


def test_no_mail_route_at_all_also_refuses_mail() -> None:
    assert only(plan.audit([owned_finding(mail=MailRoute.NONE, web=())])).ok


def test_missing_null_mx_with_an_address_is_flagged() -> None:
    a = only(plan.audit([owned_finding(mail=MailRoute.IMPLICIT)]))
    assert checks(a) == ["null-mx"]
    fix = a.fixes[0]
    assert fix.record == "kestrelsytems.com. 3600 IN MX 0 ."
    assert "implicit MX" in fix.problem
    assert "192.0.2.10" in fix.problem


def test_mx_records_are_flagged_with_the_catch_all() -> None:
    a = only(plan.audit([owned_finding(mail=MailRoute.MX, mx=("mx1.parking.example",), catch_all=True)]))
    assert checks(a) == ["null-mx"]
    assert "accepts mail at mx1.parking.example; its mail server accepts any recipient" in a.fixes[0].problem
    assert "replace every MX record" in a.fixes[0].problem


def test_null_mx_next_to_other_mx_is_invalid() -> None:
    finding = owned_finding(mail=MailRoute.MX, mx=("", "mx1.parking.example"))
    a = only(plan.audit([finding]))
    assert checks(a) == ["null-mx"]
    assert "RFC 7505 section 3" in a.fixes[0].problem


def test_unknown_mail_route_cannot_pass() -> None:
    finding = owned_finding(mail=MailRoute.UNKNOWN)
    dns = finding.evidence.dns.value
    assert dns is not None
    finding = replace(
        finding,
        evidence=replace(
            finding.evidence, dns=replace(finding.evidence.dns, value=replace(dns, problems=("MX: timeout",)))
        ),
    )
    a = only(plan.audit([finding]))
    assert checks(a) == ["null-mx"]
    assert "could not check where its mail goes (MX: timeout)" in a.fixes[0].problem


@pytest.mark.parametrize(
    ("spf", "problem"),
    [
        (None, "no SPF record"),
        ("v=spf1 ~all", "~all only soft-fails"),
        ("v=spf1 ?all", "?all is neutral"),
        ("v=spf1 +all", "+all lets anyone send"),
        ("v=spf1 include:_spf.parking.example -all", "SPF authorises senders (include:_spf.parking.example)"),
        ("v=spf1 mx a ip4:192.0.2.0/24 -all", "SPF authorises senders (mx a ip4:192.0.2.0/24)"),
        ("v=spf1 redirect=_spf.parking.example", "SPF authorises senders (redirect=_spf.parking.example)"),
        ("v=spf1", "SPF has no -all"),
    ],
)
def test_spf_must_authorise_nobody(spf: str | None, problem: str) -> None:
    a = only(plan.audit([owned_finding(spf=spf)]))
    assert checks(a) == ["spf"]
    assert problem in a.fixes[0].problem
    assert a.fixes[0].record == 'kestrelsytems.com. 3600 IN TXT "v=spf1 -all"'


@pytest.mark.parametrize(
    "spf",
    [
        "v=spf1 -all",
        "V=SPF1 -ALL",
        "v=spf1 -all exp=explain._spf.kestrelsystems.com",
        "v=spf1 -ip4:192.0.2.1 -all",
    ],
)
def test_spf_that_authorises_nobody_passes(spf: str) -> None:
    assert only(plan.audit([owned_finding(spf=spf)])).ok


@pytest.mark.parametrize(
    ("dmarc", "problem"),
    [
        (None, "no DMARC record"),
        ("v=DMARC1; p=none; rua=mailto:d@kestrelsystems.com", "p=none: it must be p=reject"),
        ("v=DMARC1; p=quarantine", "p=quarantine"),
        ("v=DMARC1; p=reject; sp=none", "sp=none lets forged mail from its subdomains through"),
        ("v=DMARC1; p=reject; pct=50", "pct=50"),
        ("p=reject", "does not start with v=DMARC1"),
    ],
)
def test_dmarc_must_reject(dmarc: str | None, problem: str) -> None:
    a = only(plan.audit([owned_finding(dmarc=dmarc)]))
    assert checks(a) == ["dmarc"]
    assert problem in a.fixes[0].problem
    assert a.fixes[0].record.startswith(
        '_dmarc.kestrelsytems.com. 3600 IN TXT "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s'
    )


def test_dmarc_fix_keeps_safe_report_addresses_only() -> None:
    a = only(plan.audit([owned_finding(dmarc="v=DMARC1; p=none; rua=mailto:dmarc@kestrelsystems.com")]))
    assert a.fixes[0].record.endswith('aspf=s; rua=mailto:dmarc@kestrelsystems.com"')
    hostile = 'v=DMARC1; p=none; rua=mailto:x@y.example" IN TXT "evil'
    a = only(plan.audit([owned_finding(dmarc=hostile)]))
    assert (
        a.fixes[0].record
        == '_dmarc.kestrelsytems.com. 3600 IN TXT "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s"'
    )


def test_dmarc_without_sp_inherits_reject() -> None:
    assert only(plan.audit([owned_finding(dmarc="v=DMARC1; p=reject")])).ok


def test_web_must_redirect_home_or_serve_nothing() -> None:
    parked = only(plan.audit([owned_finding(redirects_to_protected=False, parked=True, title="For sale")]))
    assert checks(parked) == ["web"]
    assert "serves a parking page ('For sale')" in parked.fixes[0].problem
    assert parked.fixes[0].record.endswith("to https://kestrelsystems.com/")
    elsewhere = WebFacts(
        url="http://kestrelsytems.com/",
        final_url="https://ads.example/",
        status=302,
        redirects=("https://ads.example/",),
    )
    a = only(plan.audit([owned_finding(web=(elsewhere,))]))
    assert "a redirect to https://ads.example/" in a.fixes[0].problem
    nothing = (
        WebFacts(url="http://kestrelsytems.com/"),
        WebFacts(url="https://kestrelsytems.com/", status=404),
    )
    assert only(plan.audit([owned_finding(web=nothing)])).ok
    # One scheme redirecting home does not excuse the other serving a page.
    home = WebFacts(url="http://kestrelsytems.com/", status=301, redirects_to_protected=True)
    page = WebFacts(url="https://kestrelsytems.com/", status=200, title="Hello")
    assert checks(only(plan.audit([owned_finding(web=(home, page))]))) == ["web"]


def test_everything_missing_gives_every_record() -> None:
    finding = owned_finding(mail=MailRoute.MX, spf=None, dmarc=None, redirects_to_protected=False)
    a = only(plan.audit([finding]))
    assert checks(a) == ["null-mx", "spf", "dmarc", "web"]
    assert [fix.record for fix in a.fixes[:3]] == list(plan.parked_records("kestrelsytems.com")[:3])


def test_unknown_dns_is_never_ok() -> None:
    a = only(plan.audit([owned_finding(existence=Existence.UNKNOWN)]))
    assert checks(a) == ["dns"]
    assert a.fixes[0].record == ""
    assert "did not answer (timeout)" in a.fixes[0].problem


def test_who_is_ours() -> None:
    third = f.finding(f.candidate("kestrelsystem.com"), f.evidence(mail=MailRoute.MX))
    assert third.score.owner is not Owner.OURS
    ours = owned_finding("kestrelsytems.com")
    configured = owned_finding("kestrelsystems.co", score=replace(OURS, owner=Owner.THIRD_PARTY))
    triaged = owned_finding("kestrelsystems.cm", score=replace(OURS, owner=Owner.UNKNOWN))
    benign = owned_finding("kestrelsystems.net")  # scoring says ours, an analyst says benign: not ours
    when = f.NOW
    triage = {
        "kestrelsystems.cm": TriageMark(
            "kestrelsystems.cm", Triage.OWNED, note="bought 2019", who="alice", when=when
        ),
        "kestrelsystems.net": TriageMark("kestrelsystems.net", Triage.BENIGN),
    }
    audits = plan.audit(
        [third, ours, configured, triaged, benign], triage=triage, owned=["KESTRELSYSTEMS.CO."]
    )
    why = {a.domain: a.why_ours for a in audits}
    assert why == {
        "kestrelsystems.cm": "triaged owned by alice on 2026-11-27: bought 2019",
        "kestrelsystems.co": "listed as owned in the configuration",
        "kestrelsytems.com": (
            "matches the protected domain (same registrant organisation as kestrelsystems.com)"
        ),
    }
    assert [a.domain for a in audits] == sorted(why)


def test_each_domain_is_audited_once() -> None:
    a = owned_finding()
    b = f.finding(replace(a.candidate, protected="kestrelsystems.co"), a.evidence, score=OURS)
    assert len(plan.audit([a, b])) == 1


def test_render_audit_zone_is_ready_to_publish() -> None:
    good = owned_finding("kestrelsystems.co")
    bad = owned_finding(
        mail=MailRoute.IMPLICIT, spf=None, redirects_to_protected=False, title="x\n$ORIGIN evil."
    )
    zone = plan.render_audit(plan.audit([good, bad]), "zone")
    records = [line for line in zone.splitlines() if line and not line.startswith(";")]
    assert records == [
        '*._domainkey.kestrelsystems.co. 3600 IN TXT "v=DKIM1; p="',
        "kestrelsytems.com. 3600 IN MX 0 .",
        'kestrelsytems.com. 3600 IN TXT "v=spf1 -all"',
        '*._domainkey.kestrelsytems.com. 3600 IN TXT "v=DKIM1; p="',
    ]
    assert "; kestrelsystems.co: lookalike of kestrelsystems.com" in zone
    assert "; nothing missing" in zone
    assert "\n$ORIGIN" not in zone  # hostile page titles stay inside comments


def test_render_audit_text_and_json() -> None:
    audits = plan.audit([owned_finding("kestrelsystems.co"), owned_finding(mail=MailRoute.MX)])
    text = plan.render_audit(audits, "text")
    assert text.startswith("Hygiene audit: 2 lookalikes you hold, 1 to fix")
    assert "kestrelsystems.co  (lookalike of kestrelsystems.com;" in text
    assert "ok: refuses mail, cannot send" in text
    assert "  [null-mx] accepts mail at" in text
    assert "      kestrelsytems.com. 3600 IN MX 0 ." in text
    data = json.loads(plan.render_audit(audits, "json"))
    assert [(d["domain"], d["ok"]) for d in data] == [
        ("kestrelsystems.co", True),
        ("kestrelsytems.com", False),
    ]
    assert data[1]["fixes"][0] == {
        "check": "null-mx",
        "problem": audits[1].fixes[0].problem,
        "record": "kestrelsytems.com. 3600 IN MX 0 .",
    }
    assert plan.render_audit([], "text").startswith("Hygiene audit: no lookalike is known to be yours")
    with pytest.raises(ValueError, match="unknown audit format"):
        plan.render_audit(audits, "bind")


def test_parked_records_follow_the_guidance() -> None:
    assert plan.parked_records("kestrelsytems.com") == (
        "kestrelsytems.com. 3600 IN MX 0 .",
        'kestrelsytems.com. 3600 IN TXT "v=spf1 -all"',
        '_dmarc.kestrelsytems.com. 3600 IN TXT "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s"',
        '*._domainkey.kestrelsytems.com. 3600 IN TXT "v=DKIM1; p="',
    )


MECHANISMS = st.sampled_from(
    ["a", "mx", "ip4:192.0.2.0/24", "ip6:2001:db8::/32", "include:spf.example", "ptr"]
)


@given(st.lists(st.tuples(st.sampled_from(["", "+", "-", "~", "?"]), MECHANISMS), max_size=5))
def test_spf_passes_only_when_nothing_is_authorised(terms: list[tuple[str, str]]) -> None:
    record = "v=spf1 " + " ".join(q + m for q, m in terms) + " -all"
    authorises = any(q in ("", "+") for q, _ in terms)
    assert (hygiene._spf_problem(record) is None) == (not authorises)


def test_dns_status_outcomes_of_the_audit() -> None:
    finding = owned_finding(existence=Existence.UNKNOWN, dns_status=Status.REFUSED, dns_detail="SERVFAIL")
    assert "refused: SERVFAIL" in only(plan.audit([finding])).fixes[0].problem
