"""The attempt policy, fed invented replies: no sockets, no clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookalike import dnswire
from lookalike.model import Status
from lookalike.resolver import policy
from lookalike.resolver.policy import Action, Attempts

RA = 0x0080  # recursion available (in the 16 bits of header octets 2 and 3)
AA = 0x0400
TC = 0x0200


def attempts(*, servers: int = 3, retries: int = 2, start: int = 0, first: int = 0) -> Attempts:
    return Attempts(
        start=start, servers=servers, retries=retries, timeout=2.0, first=first, random=lambda: 0.5
    )


def test_noerror_and_nxdomain_settle_the_question() -> None:
    assert attempts().replied(dnswire.NOERROR, RA, 1, "a", tcp=False).status is Status.OK
    assert attempts().replied(dnswire.NOERROR, RA, 0, "a", tcp=False).action is Action.DONE  # NODATA
    assert attempts().replied(dnswire.NXDOMAIN, RA, 0, "a", tcp=False) == policy.Step(
        Action.DONE, Status.ABSENT
    )


def test_a_truncated_definite_reply_asks_again_over_tcp_and_only_over_udp() -> None:
    assert attempts().replied(dnswire.NOERROR, RA | TC, 0, "a", tcp=False).action is Action.TCP
    assert attempts().replied(dnswire.NXDOMAIN, RA | TC, 0, "a", tcp=False).action is Action.TCP
    assert attempts().replied(dnswire.NOERROR, RA | TC, 1, "a", tcp=True).action is Action.DONE
    # A truncated SERVFAIL is still a SERVFAIL: asking over TCP would not change it.
    assert attempts().replied(dnswire.SERVFAIL, RA | TC, 0, "a", tcp=False).action is Action.RETRY


def test_a_referral_from_a_server_that_does_not_resolve_is_no_answer() -> None:
    step = attempts().replied(dnswire.NOERROR, 0, 0, "a", tcp=False)
    assert step == policy.Step(Action.RETRY, Status.REFUSED, "non-recursive referral")
    assert (
        attempts().replied(dnswire.NOERROR, AA, 0, "a", tcp=False).action is Action.DONE
    )  # authoritative NODATA


@pytest.mark.parametrize(
    ("rcode", "what", "status"),
    [
        (dnswire.SERVFAIL, "SERVFAIL", Status.REFUSED),
        (dnswire.REFUSED, "REFUSED", Status.REFUSED),
        (policy.UNREACHABLE, "unreachable", Status.REFUSED),
        (policy.MALFORMED, "malformed reply", Status.ERROR),
        (dnswire.FORMERR, "FORMERR", Status.ERROR),
        (dnswire.NOTIMP, "NOTIMP", Status.ERROR),
        (dnswire.BADVERS, "BADVERS", Status.ERROR),
        (23, "RCODE 23", Status.ERROR),
    ],
)
def test_every_other_reply_is_retried_and_named(rcode: int, what: str, status: Status) -> None:
    assert attempts().replied(rcode, RA, 1, "a", tcp=False) == policy.Step(Action.RETRY, status, what)


def test_retries_rotate_over_the_resolvers_from_the_next_one() -> None:
    plan = attempts(servers=3, retries=4, start=2)
    order = []
    while (server := plan.next_server()) is not None:
        order.append(server)
    assert order == [2, 0, 1, 2, 0]


def test_backoff_doubles_from_a_tenth_of_the_timeout_and_is_capped() -> None:
    plan = attempts(servers=1, retries=6)
    waits = []
    while plan.next_server() is not None:
        waits.append(plan.backoff())
    # jitter fixed at 0.75 of the base: 0, 0.2, 0.4, 0.8, 1.6, 2.0 (capped), 2.0 seconds x 0.75
    assert waits == pytest.approx([0.0, 0.15, 0.3, 0.6, 1.2, 1.5, 1.5])


def test_a_continued_question_starts_at_its_first_retry() -> None:
    failures = [("timeout", "a")]
    plan = Attempts(
        start=0, servers=2, retries=2, timeout=1.0, first=1, failures=failures, random=lambda: 0.0
    )
    assert plan.next_server() == 1
    plan.timed_out("b")
    assert plan.next_server() == 0
    plan.replied(dnswire.SERVFAIL, RA, 0, "a", tcp=False)
    assert plan.next_server() is None
    assert plan.outcome() == (Status.REFUSED, "timeout from a, timeout from b, SERVFAIL from a")


def test_the_summary_counts_repeats() -> None:
    assert (
        policy.summarise([("SERVFAIL", "x")] * 3 + [("timeout", "y")]) == "SERVFAIL from x x3, timeout from y"
    )
    assert policy.summarise([]) == "no attempt was made"


@given(
    rcode=st.integers(min_value=-2, max_value=4095),
    flags=st.integers(min_value=0, max_value=0xFFFF),
    ancount=st.integers(min_value=0, max_value=3),
    tcp=st.booleans(),
)
def test_done_exactly_when_definite(rcode: int, flags: int, ancount: int, tcp: bool) -> None:
    """The one "definite reply" test and the policy agree: a reply ends the question (over TCP, or
    untruncated) exactly when it is definite, and then as OK or ABSENT by its RCODE."""
    step = attempts().replied(rcode, flags, ancount, "a", tcp=tcp)
    settles = policy.definite(rcode, flags, ancount) and (tcp or not policy.truncated(flags))
    assert (step.action is Action.DONE) is settles
    if settles:
        assert step.status is (Status.OK if rcode == dnswire.NOERROR else Status.ABSENT)
    else:
        assert step.status.unknown or step.action is Action.TCP


def test_said_names_the_rcode_the_server_and_tcp() -> None:
    assert policy.said(dnswire.NXDOMAIN, "127.0.0.1:53", tcp=True) == "NXDOMAIN from 127.0.0.1:53 over TCP"
    assert policy.said(dnswire.NOERROR, "[::1]:53", tcp=False) == "NOERROR from [::1]:53"
