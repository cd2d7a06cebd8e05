"""Outcomes that cannot mislead, as properties over fresh text and over the real corpus.

A registered answer is never ABSENT whatever its disclaimer says; an answer shaped like a registration
that cannot be read is an unknown; a rate-limit footer does not turn a "not found" into a refusal; no
text makes the reader raise.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lookalike.model import Status
from lookalike.registrytext import normalise_status, phrases
from lookalike.whoisparse import parse_whois, read_answer
from tests.registry_corpus import Case, cases

REGISTERED = [c for c in cases() if c.registered]
NOT_FOUND = [c for c in cases() if not c.registered and not c.reserved]
DATE_OR_PARTY = re.compile(
    r"^(?P<key>[ \t]*[^:\n]*(?:registrar|creat|expir|updated|changed|modified|registered|name server|nserver)"
    r"[^:\n]*:[ \t]*)(?P<value>\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)

some_cases = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def disclaimer(phrase: str) -> str:
    """A phrase inside a sentence, where disclaimers put it (.london, .tel)."""
    return f"Note that the lack of a whois record does not indicate that the name {phrase} at all."


@some_cases
@given(st.sampled_from(REGISTERED), st.sampled_from(list(phrases().no_match)), st.booleans())
def test_a_disclaimer_never_makes_a_registration_absent(case: Case, phrase: str, first: bool) -> None:
    text = f"{disclaimer(phrase)}\n\n{case.text}" if first else f"{case.text}\n\n{disclaimer(phrase)}\n"
    outcome = read_answer(text, "x", case.domain)
    assert outcome.status is Status.OK


@some_cases
@given(
    st.sampled_from(REGISTERED),
    st.sampled_from(list(phrases().no_match)),
    st.data(),
)
def test_unreadable_registration_is_unknown_not_absent(case: Case, phrase: str, data: st.DataObject) -> None:
    """Every registrar, date and name-server value replaced by something no reader knows, and a
    "not found" statement added where it would count: still never ABSENT."""
    garbage = st.from_regex(r"[A-Za-z]{2,6}[0-9]{2,5}[A-Za-z]{0,3}", fullmatch=True)
    assume(DATE_OR_PARTY.search(case.text))

    def garble(match: re.Match[str]) -> str:
        return match.group("key") + data.draw(garbage)

    text = DATE_OR_PARTY.sub(garble, case.text) + f"\n{phrase.capitalize()}\n"
    outcome = read_answer(text, "x", case.domain)
    assert outcome.status is not Status.ABSENT, outcome.detail


@some_cases
@given(st.sampled_from(NOT_FOUND), st.sampled_from(list(phrases().rate_limited)))
def test_a_rate_limit_footer_does_not_refuse_a_not_found(case: Case, phrase: str) -> None:
    text = f"{case.text}\n\n% Access to this service is subject to a {phrase} policy.\n"
    assert read_answer(text, "x", case.domain).status is Status.ABSENT


@some_cases
@given(st.sampled_from(REGISTERED), st.sampled_from(list(phrases().rate_limited)))
def test_a_rate_limit_footer_does_not_refuse_a_registration(case: Case, phrase: str) -> None:
    text = f"{case.text}\n\nAccess to this service is {phrase}; too many queries are refused.\n"
    assert read_answer(text, "x", case.domain).status is Status.OK


def test_the_london_case() -> None:
    """A registered .london answer whose facts cannot be read, with its real disclaimer ("... does not
    indicate that the name is available for registration"): unknown, never absent."""
    case = next(c for c in REGISTERED if c.tld == "london")
    text = DATE_OR_PARTY.sub(lambda m: m.group("key") + "see the registrar, 42", case.text)
    text = re.sub(r"^(Registrar|Domain Status):.*$", r"\1: REDACTED FOR PRIVACY", text, flags=re.MULTILINE)
    assert "is available for registration" in text
    outcome = read_answer(text, "x", case.domain)
    assert outcome.status is Status.ERROR
    assert "cannot read" in outcome.detail


lines = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda k, v: f"{k}: {v}",
        st.sampled_from(
            ["Domain Name", "Registrar", "Creation Date", "Name Server", "Status", "state", "changed",
             "nic-hdl", "contact", "[Holder]", "Registrant", "nserver", "Expiry Date", "refer"]
        ),
        st.text(max_size=40),
    ),
    st.sampled_from(["", "  ", "Registrant:", "Name servers", "% Registrar:", "** Domain Servers:", "---"]),
    st.sampled_from([*phrases().no_match, *phrases().rate_limited, *phrases().reserved]),
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, max_size=30), st.sampled_from(["", "example.com", "kestrel.example"]))
def test_no_text_makes_the_reader_raise(text_lines: list[str], domain: str) -> None:
    text = "\n".join(text_lines)
    outcome = read_answer(text, "x", domain)
    assert outcome.status in (Status.OK, Status.ABSENT, Status.ERROR, Status.REFUSED)
    if outcome.value is not None:
        reg = outcome.value
        for value in (reg.registrar, reg.registrar_iana_id, *reg.status, *reg.nameservers):
            assert value is None or not re.search(r"[\x00-\x1f\x7f-\x9f]", value)
    with contextlib.suppress(ValueError):
        parse_whois(text, "x", domain)


@given(st.text(alphabet="-_ .,;:\t|/", max_size=12))
def test_separators_are_no_status(text: str) -> None:
    assert normalise_status(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-", None),
        (" - ", None),
        ("_", None),
        ("ok - Normal state", "ok"),
        ("clientTransferProhibited -", "clientTransferProhibited"),
        ("ok (paid and in zone)", "ok"),
    ],
)
def test_statuses_with_separators(text: str, expected: str | None) -> None:
    assert normalise_status(text) == expected
