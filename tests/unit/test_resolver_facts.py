"""The pure fact readers, fed parsed replies built by hand: no sockets."""

from __future__ import annotations

import pytest

from lookalike.model import MailRoute, Outcome, Status
from lookalike.resolver import facts
from lookalike.resolver.facts import Fingerprint, Lookup

OK = Lookup(Status.OK, "NOERROR from r")
TIMEOUT = Lookup(Status.TIMEOUT, "timeout from r")
ABSENT = Lookup(Status.ABSENT, "NXDOMAIN from r")


def txt(*records: str) -> Lookup:
    return Lookup(Status.OK, "NOERROR from r", (), tuple(record.encode() for record in records))


@pytest.mark.parametrize(
    "case",
    [
        (OK, [(10, "mx.example")], OK, OK, (), MailRoute.MX),
        (OK, [(0, "")], OK, OK, ("192.0.2.1",), MailRoute.NULL_MX),
        (OK, [(0, ""), (10, "mx.example")], OK, OK, (), MailRoute.MX),  # not a lone null MX
        (OK, [], OK, OK, ("192.0.2.1",), MailRoute.IMPLICIT),
        (OK, [], OK, OK, (), MailRoute.NONE),
        (OK, [], TIMEOUT, OK, (), MailRoute.UNKNOWN),  # never guess "none" from an unanswered A
        (TIMEOUT, [], OK, OK, ("192.0.2.1",), MailRoute.UNKNOWN),
        (ABSENT, [], ABSENT, ABSENT, (), MailRoute.NONE),
    ],
)
def test_mail_route(
    case: tuple[Lookup, list[tuple[int, str]], Lookup, Lookup, tuple[str, ...], MailRoute],
) -> None:
    mx, records, a, aaaa, found, route = case
    assert facts.mail_route(mx, records, a, aaaa, found, targets={}) is route


Addresses = Outcome[tuple[str, ...]]
NO_ADDRESS: Addresses = Outcome(Status.OK, (), "")
GONE: Addresses = Outcome(Status.ABSENT, None, "NXDOMAIN from r")
HALF_ANSWERED: Addresses = Outcome(Status.OK, (), "AAAA: timeout (timeout from r)")
AT: Addresses = Outcome(Status.OK, ("192.0.2.25",), "")


@pytest.mark.parametrize(
    ("targets", "route"),
    [
        ({"mx1.example": NO_ADDRESS, "mx2.example": GONE}, MailRoute.DANGLING_MX),  # mail bounces today
        ({"mx1.example": NO_ADDRESS, "mx2.example": AT}, MailRoute.MX),
        ({"mx1.example": NO_ADDRESS, "mx2.example": HALF_ANSWERED}, MailRoute.MX),  # unknown, not bounces
        ({"mx1.example": NO_ADDRESS, "mx2.example": Outcome(Status.TIMEOUT, None, "t")}, MailRoute.MX),
        ({"mx1.example": NO_ADDRESS}, MailRoute.MX),  # mx2 was never asked (past MAX_MX_TARGETS)
    ],
)
def test_an_mx_whose_hosts_all_lack_an_address_is_dangling(
    targets: dict[str, Outcome[tuple[str, ...]]], route: MailRoute
) -> None:
    records = [(10, "mx1.example"), (20, "mx2.example")]
    assert facts.mail_route(OK, records, OK, OK, ("192.0.2.1",), targets=targets) is route


def test_spf_record_takes_one_and_names_a_second() -> None:
    assert facts.spf_record(txt("v=spf1 -all")) == ("v=spf1 -all", "")
    assert facts.spf_record(txt("hello", "v=spf10 nope")) == (None, "")
    record, problem = facts.spf_record(txt("v=spf1 mx -all", "v=spf1 -all"))
    assert record == "v=spf1 -all"
    assert problem.startswith("SPF: 2 v=spf1 records")
    assert facts.spf_record(TIMEOUT) == (None, "")


def test_dmarc_record() -> None:
    assert facts.dmarc_record(txt("v=DMARC1; p=reject")) == "v=DMARC1; p=reject"
    assert facts.dmarc_record(txt("v=DMARC10")) is None
    assert facts.dmarc_record(TIMEOUT) is None


def test_same_source_as_a_wildcard() -> None:
    wildcard = Fingerprint(frozenset({"192.0.2.1", "192.0.2.2"}), "", frozenset(), frozenset({"ns.w"}))
    rotated = Fingerprint(frozenset({"192.0.2.2"}), "", frozenset(), frozenset({"ns.w"}))
    delegated = Fingerprint(frozenset({"192.0.2.2"}), "", frozenset(), frozenset({"ns.own"}))
    assert facts.same_source(rotated, wildcard, is_apex=True)
    assert not facts.same_source(delegated, wildcard, is_apex=True)  # its own NS: registered
    assert facts.same_source(delegated, wildcard, is_apex=False)
    cname = Fingerprint(frozenset(), "parking.example", frozenset(), frozenset())
    assert facts.same_source(
        cname, Fingerprint(frozenset(), "parking.example", frozenset(), frozenset()), False
    )
    assert not facts.same_source(cname, wildcard, is_apex=False)
