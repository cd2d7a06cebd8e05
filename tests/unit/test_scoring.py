"""The scoring model: a table of situations with their expected level and reasons, ownership rules,
and properties that must hold for any evidence."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike import scoring
from lookalike.model import (
    Candidate,
    Evidence,
    Existence,
    Level,
    MailRoute,
    Outcome,
    Owner,
    Reference,
    SmtpVerdict,
    Status,
)
from lookalike.scoring import LEVELS, WEIGHTS, level_for, ownership, score
from tests import factories as fx

REF = fx.reference()


def scored(ev: Evidence, *, cand: Candidate | None = None, ref: Reference | None = REF) -> Any:
    return score(cand or fx.candidate(), ev, ref, now=fx.NOW)


# situation -> (expected level, substrings that must appear among the reasons, expected owner)
TABLE: list[tuple[str, Evidence, Level, tuple[str, ...], Owner]] = [
    (
        "catch-all MX, new, login form, permissive SPF",
        fx.evidence(
            mail=MailRoute.MX,
            catch_all=True,
            created_days_ago=12,
            login_form=True,
            spf="v=spf1 ip4:192.0.2.0/24 +all",
        ),
        Level.CRITICAL,
        (
            "MX accepts any recipient: mail sent to a typo would be collected (+50)",
            "registered 12 days ago (+15)",
            "login form (+20)",
            "SPF ends in +all",
            "held by a third party",
        ),
        Owner.THIRD_PARTY,
    ),
    (
        "catch-all MX held by a third party, old",
        fx.evidence(mail=MailRoute.MX, catch_all=True),
        Level.CRITICAL,
        ("accepts any recipient", "no SPF record", "no DMARC policy"),
        Owner.THIRD_PARTY,
    ),
    (
        "MX that rejects unknown recipients, parked",
        fx.evidence(mail=MailRoute.MX, catch_all=False, parked=True),
        Level.HIGH,
        (
            "has MX records (mx.parkingdns.example): it can receive mail (+30)",
            "rejects unknown recipients, but takes mail for real addresses (+10)",
            "parked page",
        ),
        Owner.THIRD_PARTY,
    ),
    (
        "MX never probed",
        fx.evidence(mail=MailRoute.MX),
        Level.HIGH,
        ("has MX records",),
        Owner.THIRD_PARTY,
    ),
    (
        "MX that defers the test recipient",
        fx.evidence(mail=MailRoute.MX, deferred=True),
        Level.HIGH,
        ("deferred the test recipient (451)",),
        Owner.THIRD_PARTY,
    ),
    (
        "implicit MX only",
        fx.evidence(mail=MailRoute.IMPLICIT, web=()),
        Level.MEDIUM,
        ("no MX, but an address record", "(+10)"),
        Owner.THIRD_PARTY,
    ),
    (
        "catch-all on the address of an implicit route",
        fx.evidence(mail=MailRoute.IMPLICIT, catch_all=True),
        Level.CRITICAL,
        ("its address (no MX, so mail goes to the A record) accepts any recipient",),
        Owner.THIRD_PARTY,
    ),
    (
        "no mail, parked",
        fx.evidence(mail=MailRoute.NONE, parked=True),
        Level.LOW,
        ("a parked page: monetised by its holder, and it can be switched on any day (+3)",),
        Owner.THIRD_PARTY,
    ),
    (
        "no mail, login form, new",
        fx.evidence(mail=MailRoute.NONE, login_form=True, created_days_ago=5),
        Level.HIGH,
        ("login form", "registered 5 days ago (+15)"),
        Owner.THIRD_PARTY,
    ),
    (
        "null MX",
        fx.evidence(mail=MailRoute.NULL_MX, web=()),
        Level.LOW,
        ("null MX (RFC 7505): it declares that it accepts no mail (-10)",),
        Owner.THIRD_PARTY,
    ),
    (
        "catch-all MX on our own name servers",
        fx.evidence(mail=MailRoute.MX, catch_all=True, ns=fx.PROTECTED_NS),
        Level.LOW,
        ("probably ours: uses the same name servers as kestrelsystems.com", "(-40)", "accepts any recipient"),
        Owner.OURS,
    ),
    (
        "ours by its name servers, redirects to us, locked down",
        fx.evidence(
            mail=MailRoute.NULL_MX,
            ns=fx.PROTECTED_NS,
            redirects_to_protected=True,
            spf="v=spf1 -all",
            dmarc="v=DMARC1; p=reject",
        ),
        Level.INFO,
        ("its website redirects to the protected domain (-10)", "SPF -all and DMARC p=reject", "(-5)"),
        Owner.OURS,
    ),
    (
        "a third party's catch-all whose website redirects to us",
        fx.evidence(mail=MailRoute.MX, catch_all=True, redirects_to_protected=True),
        Level.CRITICAL,
        (
            "accepts any recipient: mail sent to a typo would be collected (+50)",
            "held by a third party",
            "while its mail goes to a third party: it passes for the organisation's own (+10)",
        ),
        Owner.THIRD_PARTY,
    ),
    (
        "a third party's name without mail whose website redirects to us",
        fx.evidence(mail=MailRoute.NULL_MX, redirects_to_protected=True),
        Level.LOW,
        ("held by a third party",),
        Owner.THIRD_PARTY,
    ),
    (
        "MX whose hosts have no address",
        fx.evidence(mail=MailRoute.DANGLING_MX, mx=("mx.gone.example",), web=()),
        Level.MEDIUM,
        (
            "has MX records (mx.gone.example), but none of their hosts has an address: mail bounces today, "
            "and its holder can change that any minute (+15)",
        ),
        Owner.THIRD_PARTY,
    ),
    (
        "DNS timeout",
        fx.evidence(existence=Existence.UNKNOWN),
        Level.LOW,
        ("the DNS did not answer (timeout): existence unknown, not safe (+20)",),
        Owner.UNKNOWN,
    ),
    (
        "DNS SERVFAIL",
        fx.evidence(existence=Existence.UNKNOWN, dns_status=Status.REFUSED, dns_detail="SERVFAIL"),
        Level.LOW,
        ("the DNS did not answer (SERVFAIL)",),
        Owner.UNKNOWN,
    ),
    (
        "exists only through a wildcard, even with a catch-all",
        fx.evidence(mail=MailRoute.MX, catch_all=True, wildcard=True),
        Level.INFO,
        ("wildcard",),
        Owner.UNKNOWN,
    ),
    (
        "absent",
        fx.evidence(existence=Existence.ABSENT),
        Level.INFO,
        ("NXDOMAIN",),
        Owner.UNKNOWN,
    ),
    (
        "on hold at the registry",
        fx.evidence(mail=MailRoute.MX, reg_status=("serverHold",)),
        Level.MEDIUM,
        ("on hold at the registry", "(-15)"),
        Owner.THIRD_PARTY,
    ),
    (
        "pending delete",
        fx.evidence(mail=MailRoute.MX, reg_status=("pendingDelete", "redemptionPeriod")),
        Level.HIGH,
        ("pending deletion at the registry (-10)",),
        Owner.THIRD_PARTY,
    ),
    (
        "registry timed out",
        fx.evidence(mail=MailRoute.MX, registry=Status.TIMEOUT),
        Level.HIGH,
        ("the registry did not answer: its holder and age are unknown (+5)",),
        Owner.THIRD_PARTY,
    ),
    (
        "name collision answer",
        fx.evidence(mail=MailRoute.IMPLICIT, name_collision=True, web=()),
        Level.INFO,
        ("127.0.53.53", "(-30)"),
        Owner.THIRD_PARTY,
    ),
    (
        "MX question unanswered",
        fx.evidence(mail=MailRoute.UNKNOWN),
        Level.MEDIUM,
        ("mail route unknown: the MX question was not answered (+5)",),
        Owner.THIRD_PARTY,
    ),
    (
        "SPF authorises senders, DMARC p=none",
        fx.evidence(
            mail=MailRoute.MX, spf="v=spf1 include:_spf.mailer.example ~all", dmarc="v=DMARC1; p=none"
        ),
        Level.HIGH,
        (
            "its SPF record authorises servers to send: its mail would pass SPF (+10)",
            "DMARC p=none: receivers will not reject",
        ),
        Owner.THIRD_PARTY,
    ),
]


@pytest.mark.parametrize(("situation", "ev", "level", "reasons", "owner"), TABLE, ids=[t[0] for t in TABLE])
def test_situation(
    situation: str, ev: Evidence, level: Level, reasons: tuple[str, ...], owner: Owner
) -> None:
    result = scored(ev)
    text = "\n".join(result.reasons)
    assert result.level is level, f"{situation}: {result.points} points\n{text}"
    for fragment in reasons:
        assert fragment in text, f"{situation}: {fragment!r} missing from\n{text}"
    assert result.owner is owner, result.owner_reasons


def test_absent_scores_nothing() -> None:
    result = scored(fx.evidence(existence=Existence.ABSENT))
    assert (result.level, result.points) == (Level.INFO, 0)


def test_reasons_add_up_to_the_points() -> None:
    result = scored(fx.evidence(mail=MailRoute.MX, catch_all=True, created_days_ago=40, login_form=True))
    numbers = [int(m.group(1)) for r in result.reasons if (m := re.search(r"\(([+-]\d+)\)$", r))]
    assert len(numbers) == len(result.reasons)
    assert sum(numbers) == result.points


def test_plausibility_scales_linearly() -> None:
    ev = fx.evidence(mail=MailRoute.MX)
    low = scored(ev, cand=fx.candidate(plausibility=0.0))
    high = scored(ev, cand=fx.candidate(plausibility=1.0))
    assert high.points - low.points == WEIGHTS["plausibility"]
    assert not any("plausib" in r for r in low.reasons)


@pytest.mark.parametrize(
    ("days", "weight"), [(0, "new-30d"), (29, "new-30d"), (30, "new-90d"), (364, "new-365d"), (365, None)]
)
def test_age_brackets(days: int, weight: str | None) -> None:
    base = scored(fx.evidence(mail=MailRoute.MX, created_days_ago=None))
    aged = scored(fx.evidence(mail=MailRoute.MX, created_days_ago=days))
    assert aged.points - base.points == (WEIGHTS[weight] if weight else 0)


def test_future_creation_date_counts_as_new() -> None:
    result = scored(fx.evidence(mail=MailRoute.MX, created_days_ago=-3))
    assert "registered 0 days ago (+15)" in result.reasons


def test_levels_are_ordered_and_cover_zero() -> None:
    minimums = [m for m, _ in LEVELS]
    assert minimums == sorted(minimums, reverse=True)
    assert [lvl for _, lvl in LEVELS] == list(Level)
    assert level_for(0) is Level.INFO
    assert level_for(10_000) is Level.CRITICAL
    for minimum, level in LEVELS:
        assert level_for(minimum) is level


def test_score_is_pure_and_does_not_read_the_clock() -> None:
    ev = fx.evidence(mail=MailRoute.MX, created_days_ago=10)
    assert scored(ev) == scored(ev)
    later = score(fx.candidate(), ev, REF, now=fx.NOW.replace(year=2030))
    assert later.points < scored(ev).points  # only the passed-in now moved


# --- ownership -----------------------------------------------------------------------------------

OWNERSHIP: list[tuple[str, Evidence, Reference | None, Owner, str]] = [
    (
        "listed as owned",
        fx.evidence(mail=MailRoute.MX),
        fx.reference(owned=("kestrelsytems.com",)),
        Owner.OURS,
        "listed as owned in the configuration (kestrelsytems.com)",
    ),
    (
        "same name servers",
        fx.evidence(ns=("NS1.KestrelSystems.com.",)),
        REF,
        Owner.OURS,
        "uses the same name servers as kestrelsystems.com (ns1.kestrelsystems.com)",
    ),
    (
        "name servers inside the protected domain",
        fx.evidence(ns=("ns9.kestrelsystems.com",)),
        REF,
        Owner.OURS,
        "its name servers are inside kestrelsystems.com",
    ),
    (
        "same private DNS provider is a hint",
        fx.evidence(ns=("a.ns.kestrel-dns.net",)),
        fx.reference(ns=("b.ns.kestrel-dns.net",)),
        Owner.THIRD_PARTY,
        "the same DNS provider as kestrelsystems.com (not a mass-market host), but anyone can be",
    ),
    (
        "the same name servers at a mass-market host",
        fx.evidence(ns=("kate.ns.cloudflare.com", "bob.ns.cloudflare.com")),
        fx.reference(ns=("kate.ns.cloudflare.com", "bob.ns.cloudflare.com")),
        Owner.THIRD_PARTY,
        "at a mass-market DNS host (bob.ns.cloudflare.com, kate.ns.cloudflare.com)",
    ),
    (
        "only some of its name servers are ours",
        fx.evidence(ns=("ns1.kestrelsystems.com", "ns.evil.example")),
        REF,
        Owner.THIRD_PARTY,
        "but not all (ns.evil.example)",
    ),
    (
        "our name servers in its zone, the registry not asked",
        replace(fx.evidence(ns=fx.PROTECTED_NS), registration=Outcome(Status.SKIPPED)),
        REF,
        Owner.THIRD_PARTY,
        "the registry's delegation was not seen",
    ),
    (
        "same mass-market DNS provider is not enough",
        fx.evidence(ns=("kate.ns.cloudflare.com",)),
        fx.reference(ns=("bob.ns.cloudflare.com",)),
        Owner.THIRD_PARTY,
        "nothing links it",
    ),
    (
        "same mass-market NS provider with a numbered domain",
        fx.evidence(ns=("ns-1.awsdns-01.com",)),
        fx.reference(ns=("ns-2.awsdns-01.com",)),
        Owner.THIRD_PARTY,
        "nothing links it",
    ),
    (
        "same MX hosts",
        fx.evidence(mail=MailRoute.MX, mx=("kestrel-com.mail.protection.outlook.com",)),
        fx.reference(mx=("kestrel-com.mail.protection.outlook.com",)),
        Owner.OURS,
        "same MX hosts",
    ),
    (
        "only some of its MX hosts are ours",
        fx.evidence(mail=MailRoute.MX, mx=("mx1.kestrelsystems.com", "mx.evil.example")),
        REF,
        Owner.THIRD_PARTY,
        "mail may go to the others",
    ),
    (
        "our MX host, which refuses to relay for it",
        fx.evidence(
            mail=MailRoute.MX,
            mx=fx.PROTECTED_MX,
            smtp=(
                replace(
                    fx.smtp_facts(fx.PROTECTED_MX[0], accepts=None, code=554), verdict=SmtpVerdict.NOT_SERVED
                ),
            ),
        ),
        REF,
        Owner.THIRD_PARTY,
        "but mx1.kestrelsystems.com said it does not serve the name (relay denied)",
    ),
    (
        "shared mail service is not enough",
        fx.evidence(mail=MailRoute.MX, mx=("aspmx.l.google.com",)),
        fx.reference(mx=("aspmx.l.google.com",)),
        Owner.THIRD_PARTY,
        "nothing links it",
    ),
    (
        "same registrar and organisation",
        fx.evidence(registrar="MarkMonitor, Inc.", organization="KESTREL SYSTEMS LTD"),
        REF,
        Owner.OURS,
        "same registrar (MarkMonitor, Inc.) and registrant organisation",
    ),
    (
        "same registrar, privacy placeholder on both",
        fx.evidence(registrar="MarkMonitor Inc.", organization="REDACTED FOR PRIVACY"),
        fx.reference(organization="Redacted for privacy"),
        Owner.THIRD_PARTY,
        "nothing links it",
    ),
    (
        "same organisation, other registrar",
        fx.evidence(registrar="Cheap Names LLC", organization="Kestrel Systems Ltd"),
        REF,
        Owner.THIRD_PARTY,
        "nothing links it",
    ),
    (
        "a redirect to us alone is a hint",
        fx.evidence(redirects_to_protected=True),
        REF,
        Owner.THIRD_PARTY,
        "its website redirects to kestrelsystems.com, but whoever holds a name decides",
    ),
    (
        "a redirect to us beside a deciding link",
        fx.evidence(
            redirects_to_protected=True, registrar="MarkMonitor Inc.", organization="Kestrel Systems Ltd"
        ),
        REF,
        Owner.OURS,
        "its website redirects to kestrelsystems.com",
    ),
    ("DNS unknown", fx.evidence(existence=Existence.UNKNOWN), REF, Owner.UNKNOWN, "DNS did not answer"),
    (
        "reference unresolved",
        fx.evidence(mail=MailRoute.MX),
        fx.reference(resolved=False),
        Owner.UNKNOWN,
        "could not be resolved",
    ),
    (
        "no reference at all",
        fx.evidence(mail=MailRoute.MX),
        None,
        Owner.UNKNOWN,
        "no protected domain was given",
    ),
    ("wildcard", fx.evidence(wildcard=True), REF, Owner.UNKNOWN, "wildcard"),
    (
        "registry down",
        fx.evidence(registry=Status.REFUSED),
        REF,
        Owner.THIRD_PARTY,
        "the registry did not answer",
    ),
]


@pytest.mark.parametrize(("case", "ev", "ref", "owner", "fragment"), OWNERSHIP, ids=[t[0] for t in OWNERSHIP])
def test_ownership(case: str, ev: Evidence, ref: Reference | None, owner: Owner, fragment: str) -> None:
    got, reasons = ownership(fx.candidate(), ev, ref)
    assert got is owner, reasons
    assert any(fragment in r for r in reasons), reasons
    if got is Owner.OURS:  # the reason that comes first is the link that decided, never a hint
        assert not any(hint in reasons[0] for hint in ("redirects", "hint", "not all", "anyone can"))


def test_a_catch_all_that_is_not_ours_is_never_cancelled_by_hints() -> None:
    """Issue 13: a redirect home, the same DNS provider and a share of our servers together are still
    no proof; a third party's catch-all stays a third party's and critical."""
    ev = fx.evidence(
        mail=MailRoute.MX,
        mx=("mx1.kestrelsystems.com", "mx.collector.example"),
        ns=("ns1.kestrelsystems.com", "a.ns.kestrel-dns.net"),
        catch_all=True,
        redirects_to_protected=True,
    )
    ref = fx.reference(ns=(*fx.PROTECTED_NS, "b.ns.kestrel-dns.net"))
    result = scored(ev, ref=ref)
    assert result.owner is Owner.THIRD_PARTY, result.owner_reasons
    assert result.level is Level.CRITICAL, result.reasons
    assert len(result.owner_reasons) >= 3  # every hint is said, and none decided


def test_lookup_without_a_protected_domain_is_nobodys() -> None:
    """Issue 11: a name compared with itself (``lookup`` without ``--protected``) whose website
    redirects to its own path is not ours, and the redirect lowers nothing."""
    cand = fx.candidate("kestrelsytems.com", protected="kestrelsytems.com")
    ev = fx.evidence(mail=MailRoute.MX, redirects_to_protected=True)
    result = score(cand, ev, None, now=fx.NOW)
    assert result.owner is Owner.UNKNOWN
    assert not any("redirect" in r for r in result.reasons + result.owner_reasons)
    assert scoring.redirects_home(cand, ev) is False


def test_owned_parent_covers_subdomains() -> None:
    cand = fx.candidate("army.mil.ml", apex="mil.ml")
    got, reasons = ownership(cand, fx.evidence(), fx.reference("army.mil", owned=("mil.ml",)))
    assert got is Owner.OURS
    assert "(mil.ml)" in reasons[0]


@pytest.mark.parametrize(
    ("organisation", "placeholder"),
    [
        ("REDACTED FOR PRIVACY", True),
        ("Domains By Proxy, LLC", True),
        ("WhoisGuard, Inc.", True),
        ("Withheld for Privacy ehf", True),
        ("Privacy service provided by Withheld for Privacy ehf", True),
        ("Data Protected", True),
        ("Contact Privacy Inc. Customer 0123", True),
        ("", True),
        (None, True),
        ("---", True),
        ("Kestrel Systems Ltd", False),
        ("Acme Inc Oregon", False),  # "c/o" must not match across words
        ("Proxima Centauri GmbH", False),
    ],
)
def test_privacy_placeholders(organisation: str | None, placeholder: bool) -> None:
    assert scoring.is_privacy_placeholder(organisation) is placeholder


@pytest.mark.parametrize(
    ("spf", "qualifier"),
    [
        ("v=spf1 -all", "-"),
        ("v=spf1 mx ALL", "+"),
        ("v=spf1 ?all", "?"),
        ("v=spf1 include:x ~all", "~"),
        ("v=spf1 mx", None),
    ],
)
def test_spf_all(spf: str, qualifier: str | None) -> None:
    assert scoring.spf_all(spf) == qualifier


@pytest.mark.parametrize(
    ("dmarc", "policy"),
    [
        ("v=DMARC1; p=reject; rua=mailto:x@y", "reject"),
        ("v=DMARC1;P=None", "none"),
        ("v=DMARC1", None),
        (None, None),
    ],
)
def test_dmarc_policy(dmarc: str | None, policy: str | None) -> None:
    assert scoring.dmarc_policy(dmarc) == policy


# --- properties ----------------------------------------------------------------------------------

situations = st.fixed_dictionaries(
    {
        "existence": st.sampled_from(list(Existence)),
        "mail": st.sampled_from(list(MailRoute)),
        "catch_all": st.sampled_from([None, False, True]),
        "ns": st.sampled_from([("ns1.parkingdns.example",), fx.PROTECTED_NS]),
        "spf": st.sampled_from([None, "v=spf1 -all", "v=spf1 mx ~all", "v=spf1 +all"]),
        "dmarc": st.sampled_from([None, "v=DMARC1; p=none", "v=DMARC1; p=reject"]),
        "wildcard": st.booleans(),
        "name_collision": st.booleans(),
        "created_days_ago": st.one_of(st.none(), st.integers(-10, 20_000)),
        "reg_status": st.sampled_from([(), ("serverHold",), ("pendingDelete",)]),
        "registry": st.sampled_from([None, Status.TIMEOUT, Status.ABSENT]),
        "parked": st.booleans(),
        "login_form": st.booleans(),
        "redirects_to_protected": st.booleans(),
    }
)
plausibilities = st.floats(0.0, 1.0, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(situations, plausibilities)
def test_adding_a_catch_all_never_lowers_the_score(params: dict[str, Any], plausibility: float) -> None:
    cand = fx.candidate(plausibility=plausibility)
    before = score(
        cand, fx.evidence(**{**params, "catch_all": params["catch_all"] and None}), REF, now=fx.NOW
    )
    after = score(cand, fx.evidence(**{**params, "catch_all": True}), REF, now=fx.NOW)
    assert after.points >= before.points
    assert after.level.rank <= before.level.rank


@settings(max_examples=300, deadline=None)
@given(situations, plausibilities)
def test_any_evidence_gives_a_consistent_score(params: dict[str, Any], plausibility: float) -> None:
    result = score(fx.candidate(plausibility=plausibility), fx.evidence(**params), REF, now=fx.NOW)
    assert result.points >= 0
    assert result.level is level_for(result.points)
    assert result.reasons, "every score says why"
    if params["existence"] is Existence.ABSENT:
        assert (result.level, result.points) == (Level.INFO, 0)
    if params["existence"] is Existence.UNKNOWN:
        assert any("not safe" in r for r in result.reasons)
        assert result.level is not Level.INFO


@settings(max_examples=200, deadline=None)
@given(plausibilities, st.sampled_from(list(Status)))
def test_absent_is_always_info(plausibility: float, registry: Status) -> None:
    ev = replace(
        fx.evidence(existence=Existence.ABSENT), registration=fx.evidence(registry=registry).registration
    )
    result = score(fx.candidate(plausibility=plausibility), ev, REF, now=fx.NOW)
    assert (result.level, result.points) == (Level.INFO, 0)


@pytest.mark.parametrize("document", ["docs/report.md", "README.md"])
def test_every_weight_is_documented(document: str) -> None:
    doc = (Path(__file__).resolve().parents[2] / document).read_text("utf-8").replace("\u2212", "-")
    for name, points in WEIGHTS.items():
        row = rf"\|\s*`{re.escape(name)}`\s*\|\s*{re.escape(f'{points:+d}')}\s*\|"
        assert re.search(row, doc), f"{name} ({points:+d})"
    if document == "docs/report.md":
        for minimum, level in LEVELS:
            assert re.search(rf"\|\s*{level.value}\s*\|\s*{minimum}\b", doc), level


@pytest.mark.parametrize(("code", "enhanced"), [(454, "4.7.1"), (554, "5.7.1")])
def test_a_relay_denial_is_mail_that_bounces_today(code: int, enhanced: str) -> None:
    facts = replace(
        fx.smtp_facts(accepts=None, code=code), verdict=SmtpVerdict.NOT_SERVED, enhanced_code=enhanced
    )
    ev = replace(fx.evidence(mail=MailRoute.MX), smtp=Outcome(Status.OK, (facts,)))
    assert ev.mail_bounces and not ev.receives_mail
    reasons = scored(ev).reasons
    (reason,) = [r for r in reasons if "bounces" in r]
    assert f"does not serve it (relay denied, {code} {enhanced}): mail bounces today" in reason
    assert reason.endswith("(+15)")
    assert not any("it can receive mail" in r or "not ruled out" in r or "rejects" in r for r in reasons)
    working = scored(fx.evidence(mail=MailRoute.MX, catch_all=False)).points
    assert scored(ev).points < working  # below a working MX


@pytest.mark.parametrize(
    ("verdict", "code", "enhanced", "says", "never"),
    [
        (SmtpVerdict.REFUSED, 554, "5.7.1", "for a reason other than the address (554 5.7.1)", "rejects"),
        (SmtpVerdict.HELO_REFUSED, 450, "4.7.1", "refused our HELO name", "deferred the test recipient"),
        (SmtpVerdict.HELO_REFUSED, 554, "5.7.1", "refused our HELO name", "rejects"),
        (SmtpVerdict.DEFERRED, 450, "4.2.0", "deferred the test recipient (450 4.2.0)", "rejects"),
    ],
)
def test_an_unknown_mail_answer_says_why(
    verdict: SmtpVerdict, code: int, enhanced: str, says: str, never: str
) -> None:
    facts = replace(fx.smtp_facts(accepts=None, code=code), verdict=verdict, enhanced_code=enhanced)
    ev = replace(fx.evidence(mail=MailRoute.MX), smtp=Outcome(Status.OK, (facts,)))
    (reason,) = [r for r in scored(ev).reasons if "mail server answers" in r]
    assert says in reason
    assert never not in reason
    assert reason.endswith("(+10)")


@pytest.mark.parametrize(
    ("title", "visible", "live"),
    [
        ("", 0, False),  # a blank page, or one made of script only: nothing of its own
        ("", None, True),  # measured before visible text was: as it was read then
        ("Welcome", 0, True),
        ("", 120, True),
    ],
)
def test_live_site_credit_needs_something_to_show(title: str, visible: int | None, live: bool) -> None:
    page = replace(fx.web_facts(title=title), visible_text=visible)
    ev = replace(fx.evidence(mail=MailRoute.NONE), web=Outcome(Status.OK, (page,)))
    reasons = scored(ev).reasons
    assert any("live website with content of its own" in r for r in reasons) is live
