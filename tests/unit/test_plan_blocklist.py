"""The outbound blocklist: lookalikes that can receive mail and are not ours, and whole TLDs."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookalike import plan
from lookalike.errors import LookalikeError
from lookalike.model import BlockEntry, Existence, Finding, Level, MailRoute, Owner, Score, Triage, TriageMark
from lookalike.names import parse, tlds
from tests import factories as f

KESTREL = parse(f.PROTECTED)
ARMY = parse("army.mil")


def receiving(
    domain: str,
    mail: MailRoute = MailRoute.MX,
    *,
    protected: str = f.PROTECTED,
    catch_all: bool | None = None,
) -> Finding:
    return f.finding(f.candidate(domain, protected=protected), f.evidence(mail=mail, catch_all=catch_all))


def domains(entries: list[BlockEntry]) -> list[str]:
    return [e.domain for e in entries]


def test_lookalikes_that_can_receive_mail_are_blocked() -> None:
    findings = [
        receiving("kestrelsytems.com", MailRoute.MX, catch_all=True),
        receiving("kestrelsystem.com", MailRoute.IMPLICIT),
        receiving("kestrelsystems.co", MailRoute.UNKNOWN),
        receiving("kestrelsystems.cm", MailRoute.NULL_MX),
        receiving("kestrelsystems.om", MailRoute.NONE),
        f.finding(f.candidate("kestrelsystems.net"), f.evidence(existence=Existence.UNKNOWN)),
    ]
    entries = plan.blocklist(findings, protected=[KESTREL])
    assert domains(entries) == ["kestrelsystem.com", "kestrelsystems.co", "kestrelsytems.com"]
    reasons = {e.domain: e.reason for e in entries}
    assert reasons["kestrelsytems.com"] == (
        "lookalike of kestrelsystems.com (transposition); receives mail (MX mx.parkingdns.example); "
        "accepts any recipient"
    )
    assert "implicit MX" in reasons["kestrelsystem.com"]
    assert "blocked to be safe" in reasons["kestrelsystems.co"]
    assert not any(e.whole_tld for e in entries)


def test_ours_and_triaged_owned_or_benign_are_left_out() -> None:
    ours = replace(receiving("kestrelsystems.co"), score=Score(Level.INFO, 0, (), Owner.OURS))
    owned = receiving("kestrelsystems.cm")
    benign = receiving("kestrelsystems.net")
    triaged_owned = receiving("kestrelsystems.org")
    malicious_but_scored_ours = replace(
        receiving("kestrelsytems.com"), score=Score(Level.INFO, 0, (), Owner.OURS)
    )
    watch = receiving("kestrelsystem.com")
    triage = {
        "kestrelsystems.net": TriageMark("kestrelsystems.net", Triage.BENIGN),
        "kestrelsystems.org": TriageMark("kestrelsystems.org", Triage.OWNED),
        "kestrelsytems.com": TriageMark("kestrelsytems.com", Triage.MALICIOUS),
        "kestrelsystem.com": TriageMark("kestrelsystem.com", Triage.WATCH),
    }
    findings = [ours, owned, benign, triaged_owned, malicious_but_scored_ours, watch]
    entries = plan.blocklist(findings, protected=[KESTREL], triage=triage, owned=["kestrelsystems.cm"])
    assert domains(entries) == ["kestrelsystem.com", "kestrelsytems.com"]


def test_the_protected_domain_and_names_under_it_are_never_blocked() -> None:
    us_army = parse("us.army.mil")
    findings = [
        receiving("army.mil", protected="us.army.mil"),
        receiving("uss.army.mil", protected="us.army.mil"),
        receiving("us.armyy.mil", protected="us.army.mil"),
    ]
    entries = plan.blocklist(findings, protected=[us_army], whole_tld=False)
    assert domains(entries) == ["us.armyy.mil"]


def test_whole_tld_for_a_mil_organisation() -> None:
    findings = [receiving("army.ml", protected="army.mil")]
    entries = plan.blocklist(findings, protected=[ARMY])
    assert domains(entries) == [".ml", "army.ml"]
    whole = entries[0]
    assert whole.whole_tld
    assert whole.protected == "army.mil"
    assert "US DoD blocks .ml" in whole.reason
    assert domains(plan.blocklist(findings, protected=[ARMY], whole_tld=False)) == ["army.ml"]
    # The reviewed table has nothing to say about .com: no whole TLD for a .com organisation by default.
    assert not any(e.whole_tld for e in plan.blocklist([], protected=[KESTREL]))


def test_whole_tld_is_never_one_of_our_own() -> None:
    """An organisation that protects a .ml name too must not block its own mail."""
    kestrel_ml = parse("kestrel.ml")
    assert plan.blocklist([], protected=[ARMY, kestrel_ml]) == []
    with pytest.raises(LookalikeError, match=r"refusing to block \.ml whole"):
        plan.blocklist([], protected=[ARMY, kestrel_ml], whole_tld=["ml"])


def test_explicit_whole_tlds() -> None:
    entries = plan.blocklist([], protected=[KESTREL, ARMY], whole_tld=[".CM", "om", "ml"])
    assert [(e.domain, e.protected, e.reason) for e in entries] == [
        (".cm", "kestrelsystems.com", "whole TLD, as asked: one slip from .com"),
        (".ml", "army.mil", "whole TLD, as asked: one slip from .mil"),
        (".om", "kestrelsystems.com", "whole TLD, as asked: one slip from .com"),
    ]
    with pytest.raises(LookalikeError, match="not a top-level domain"):
        plan.blocklist([], protected=[KESTREL], whole_tld=["notatld"])


def test_each_domain_once() -> None:
    a = receiving("kestrelsytems.com")
    b = receiving("kestrelsytems.com", protected="kestrelsystems.co")
    assert domains(plan.blocklist([b, a], protected=[KESTREL, parse("kestrelsystems.co")])) == [
        "kestrelsytems.com"
    ]


def _entries() -> list[BlockEntry]:
    findings = [
        receiving("army.ml", protected="army.mil"),
        receiving("xn--arm-l2a.mil", MailRoute.IMPLICIT, protected="army.mil"),  # armŷ.mil
    ]
    return plan.blocklist(findings, protected=[ARMY])


def test_render_plain() -> None:
    text = plan.render_blocklist(_entries(), "plain")
    lines = text.splitlines()
    assert lines[0] == "# lookalike outbound blocklist (plain): 2 domains, 1 whole TLD"
    assert [line for line in lines if not line.startswith("#")] == [".ml", "army.ml", "xn--arm-l2a.mil"]


@pytest.mark.parametrize(
    ("fmt", "action"), [("postfix-transport", "error:5.7.1"), ("postfix-access", "REJECT")]
)
def test_render_postfix_maps(fmt: str, action: str) -> None:
    text = plan.render_blocklist(_entries(), fmt)
    rows = [line.split("\t", 1) for line in text.splitlines() if not line.startswith("#")]
    keys = [k for k, _ in rows]
    assert keys == [
        "ml",
        ".ml",
        "army.ml",
        ".army.ml",
        "xn--arm-l2a.mil",
        ".xn--arm-l2a.mil",
        "armŷ.mil",
        ".armŷ.mil",
    ]
    assert len(set(keys)) == len(keys)
    assert all(value.startswith(action + " ") for _, value in rows)
    assert dict(rows)["ml"] == f"{action} .ml looks like .mil: check the address (lookalike blocklist)"
    assert (
        dict(rows)["army.ml"]
        == f"{action} army.ml looks like army.mil: check the address (lookalike blocklist)"
    )


def test_render_json() -> None:
    data = json.loads(plan.render_blocklist(_entries(), "json"))
    assert data[0] == {
        "domain": ".ml",
        "protected": "army.mil",
        "reason": plan.whole_tld_slips()[0].why and data[0]["reason"],
        "whole_tld": True,
    }
    assert [d["domain"] for d in data] == [".ml", "army.ml", "xn--arm-l2a.mil"]
    assert {d["whole_tld"] for d in data[1:]} == {False}


@pytest.mark.parametrize(
    "entry",
    [
        BlockEntry("evil.example\n* error:", f.PROTECTED, "x"),
        BlockEntry("evil example", f.PROTECTED, "x"),
        BlockEntry(".notatld", f.PROTECTED, "x", whole_tld=True),
        BlockEntry("ml", f.PROTECTED, "x", whole_tld=True),
        BlockEntry("*", f.PROTECTED, "x"),
    ],
)
def test_renderers_refuse_what_is_not_a_name(entry: BlockEntry) -> None:
    for fmt in plan.BlocklistFormat:
        with pytest.raises(ValueError, match="refusing"):
            plan.render_blocklist([entry], fmt)
    with pytest.raises(ValueError, match="unknown blocklist format"):
        plan.render_blocklist([], "sendmail")


def test_hostile_text_stays_on_its_line() -> None:
    entry = BlockEntry("kestrelsytems.com", "kestrelsystems.com\n.com\tOK", "reason\nwith lines")
    for fmt in ("postfix-transport", "postfix-access", "plain"):
        text = plan.render_blocklist([entry], fmt)
        assert "\n.com" not in text
        assert "\tOK" not in text


LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20)


@given(st.lists(st.tuples(LABEL, st.sampled_from(sorted(tlds())[:50])), max_size=20))
def test_maps_are_well_formed_for_any_names(names: list[tuple[str, str]]) -> None:
    entries = [BlockEntry(f"{label}.{tld}", f.PROTECTED, "r") for label, tld in names]
    for fmt in ("postfix-transport", "postfix-access"):
        for line in plan.render_blocklist(entries, fmt).splitlines():
            if line.startswith("#"):
                continue
            key, value = line.split("\t")
            assert key
            assert not any(ch.isspace() for ch in key)
            assert value.split(" ", 1)[0] in ("error:5.7.1", "REJECT")


def test_wildcard_and_name_collision_names_are_not_blocked() -> None:
    wildcard = f.finding(f.candidate("kestrelsystems.ws"), f.evidence(mail=MailRoute.IMPLICIT, wildcard=True))
    collision = f.finding(
        f.candidate("kestrelsystems.cam"),
        f.evidence(mail=MailRoute.MX, mx=["your-dns-needs-immediate-attention.cam"], name_collision=True),
    )
    assert plan.blocklist([wildcard, collision], protected=[KESTREL], whole_tld=False) == []
