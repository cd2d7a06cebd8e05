"""The codec and the scan JSON: what goes out comes back exactly."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lookalike import codec, export
from lookalike.model import (
    Availability,
    Candidate,
    Change,
    ChangeKind,
    Changes,
    Contact,
    DnsFacts,
    Evidence,
    Existence,
    Finding,
    Level,
    MailRoute,
    MxHost,
    Outcome,
    Owner,
    PlanItem,
    ProtectedSummary,
    Reference,
    Registration,
    ScanInfo,
    ScanResult,
    Score,
    SmtpFacts,
    SmtpVerdict,
    Status,
    Technique,
    TlsFacts,
    WebFacts,
)
from lookalike.text import csv_cell

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def full_finding() -> Finding:
    cand = Candidate(
        domain="kestrel.ml",
        unicode="kestrel.ml",
        protected="kestrel.mil",
        techniques=(Technique.TLD_TYPO, Technique.TLD_SWAP),
        plausibility=0.93,
        apex="kestrel.ml",
    )
    dns = DnsFacts(
        existence=Existence.EXISTS,
        ns=("ns1.kestrel.ml",),
        soa="ns1.kestrel.ml",
        a=("192.0.2.10",),
        aaaa=("2001:db8::10",),
        cname=(),
        mx=(MxHost(10, "mx.kestrel.ml", ("192.0.2.25",)),),
        mail_route=MailRoute.MX,
        spf="v=spf1 +all",
        dmarc=None,
        problems=("AAAA: timeout",),
    )
    reg = Registration(
        source="whois",
        server="whois.example:43",
        registrar="Example Registrar",
        registrar_iana_id="9999",
        created=NOW - timedelta(days=3),
        expires=NOW + timedelta(days=362),
        updated=datetime(2026, 11, 25, 8, 0, tzinfo=timezone(timedelta(hours=1))),
        status=("clientTransferProhibited",),
        nameservers=("ns1.kestrel.ml",),
        registrant=Contact(organization="<script>alert(1)</script>", country="ML"),
        abuse=Contact(email="abuse@example", phone="+1.5555550100"),
        raw="Domain Name: kestrel.ml\n",
    )
    smtp = SmtpFacts(
        host="mx.kestrel.ml",
        address="192.0.2.25",
        port=25,
        banner="220 mx ESMTP",
        starttls=True,
        size_limit=1000,
        accepts_any_recipient=True,
        code=250,
        transcript=("< 220 mx ESMTP", "> EHLO x"),
        verdict=SmtpVerdict.CATCH_ALL,
        enhanced_code="2.1.5",
        reason='accepted a made-up recipient (250 2.1.5): "250 2.1.5 Ok"',
    )
    web = WebFacts(
        url="https://kestrel.ml/",
        final_url="https://kestrel.ml/login",
        status=200,
        redirects=("https://kestrel.ml/",),
        title="Sign in",
        login_form=True,
        visible_text=42,
        script_redirect="https://kestrel.ml/login",
        tls=TlsFacts(
            subject="CN=kestrel.ml", issuer="CN=CA", not_before=NOW, not_after=NOW, names=("kestrel.ml",)
        ),
    )
    evidence = Evidence(
        dns=Outcome(Status.OK, dns),
        registration=Outcome(Status.OK, reg),
        smtp=Outcome(Status.OK, (smtp,)),
        web=Outcome(Status.OK, (web,)),
    )
    score = Score(
        Level.CRITICAL, 120, ("MX accepts any recipient (+60)",), Owner.THIRD_PARTY, ("no shared NS",)
    )
    return Finding(cand, evidence, score)


def unknown_finding() -> Finding:
    cand = Candidate("kestrel.om", "kestrel.om", "kestrel.mil", (Technique.TLD_SWAP,), 0.4, apex="kestrel.om")
    evidence = Evidence(
        dns=Outcome(Status.TIMEOUT, DnsFacts(Existence.UNKNOWN), "no answer from 127.0.0.1:53 x3")
    )
    return Finding(cand, evidence, Score(Level.MEDIUM, 10, ("DNS did not answer",)))


def test_codec_round_trips_nested_generics() -> None:
    finding = full_finding()
    data = json.loads(json.dumps(codec.encode(finding)))
    assert codec.decode(Finding, data) == finding


def test_codec_rejects_wrong_shapes() -> None:
    with pytest.raises((TypeError, ValueError)):
        codec.decode(MxHost, {"preference": "ten", "host": "x"})


def test_scan_document_round_trips() -> None:
    info = ScanInfo(
        id=7,
        started=NOW,
        finished=NOW + timedelta(seconds=5),
        version="0.1.0",
        settings=(("depth", "1"),),
        resolvers=("127.0.0.1:53",),
        timings=(("total", 5.0),),
        protected=(ProtectedSummary("kestrel.mil", 100, 2, 97, 1),),
    )
    ref = Reference("kestrel.mil", Outcome(Status.OK, DnsFacts(Existence.EXISTS, ns=("ns1.kestrel.mil",))))
    result = ScanResult(info, (ref,), (full_finding(), unknown_finding()))
    text = export.dumps(result)
    doc = json.loads(text)
    assert doc["schema_version"] == export.SCHEMA_VERSION
    first = doc["findings"][0]
    for key in ("domain", "unicode", "protected", "techniques", "plausibility", "status", "wildcard",
                "mail_route", "mx", "a", "aaaa", "ns", "spf", "dmarc", "detail"):  # fmt: skip
        assert key in first
    assert first["mx"] == ["mx.kestrel.ml"]
    assert first["registration"]["source"] == "whois"
    assert first["smtp"]["accepts_any_recipient"] is True
    assert first["web"]["login_form"] is True
    assert doc["findings"][1]["status"] == "unknown"
    assert doc["findings"][1]["detail"].startswith("no answer")
    assert export.load_document(doc) == result


def test_scan_document_carries_the_plan_and_the_changes() -> None:
    info = ScanInfo(id=3, started=NOW)
    plan = (
        PlanItem(
            1,
            "kestrel.il",
            "kestrel.il",
            "kestrel.mil",
            (Technique.TLD_TYPO,),
            0.9,
            0.9,
            Availability.AVAILABLE,
        ),
    )
    changes = Changes(
        2, 3, new=(Change("kestrel.ml", "kestrel.mil", ChangeKind.NEW, ("MX: mx.kestrel.ml",)),)
    )
    doc = json.loads(export.dumps(ScanResult(replace(info, plan=plan)), changes=changes))
    assert "plan" not in doc["scan"]  # the plan is the document's own field, not repeated
    assert export.load_document(doc).info.plan == plan
    assert export.load_changes(doc) == changes
    empty = json.loads(export.dumps(ScanResult(info)))
    assert (export.load_document(empty).info.plan, export.load_changes(empty)) == ((), None)


def test_load_document_refuses_other_json() -> None:
    with pytest.raises(ValueError, match="not a lookalike scan"):
        export.load_document({"hello": 1})
    with pytest.raises(ValueError, match="newer"):
        export.load_document({"tool": "lookalike", "findings": [], "schema_version": 99})


@pytest.mark.parametrize(
    "hostile", ["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "|x", "%x"]
)
def test_csv_cells_cannot_start_a_formula(hostile: str) -> None:
    assert csv_cell(hostile).startswith("'")


def test_csv_export_is_formula_safe() -> None:
    finding = full_finding()
    reg = finding.evidence.registration.value
    assert reg is not None
    text = export.to_csv([finding])
    assert text.splitlines()[0].startswith("domain,unicode,protected")
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "@"))
