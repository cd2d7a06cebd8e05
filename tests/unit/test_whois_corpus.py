"""The WHOIS reader on real registries' answers (tests/data/registry/corpus, see its PROVENANCE.md).

Every recorded answer, every field issue 14 counts: a registered answer is read OK with the values the
references expect (as corrected in corrections.toml, each with its reason), a not-found answer is
ABSENT, a reserved name is an unknown. ``python -m bench.registry`` prints the same comparison as
figures per field and per TLD.
"""

from __future__ import annotations

import pytest

from lookalike.model import Status
from lookalike.whoisparse import read_answer
from tests.registry_corpus import FIELDS, Case, cases, observed, same, unreadable

CASES = list(cases())


def test_the_corpus_is_all_there() -> None:
    assert len(CASES) >= 360
    assert len({c.tld for c in CASES}) >= 110
    assert sum(not c.registered for c in CASES) >= 80
    for case in CASES:
        assert not unreadable(case), f"{case.id}: expected values nobody can compare: {unreadable(case)}"


def test_every_correction_says_why() -> None:
    for case in CASES:
        for name, why in case.corrected.items():
            assert len(why) > 20, f"{case.id}: the correction of {name} gives no reason"


@pytest.mark.parametrize("case", [c for c in CASES if c.registered], ids=lambda c: c.id)
def test_registered_answer(case: Case) -> None:
    outcome = read_answer(case.text, "whois.test:43", case.domain)
    assert outcome.status is Status.OK, outcome.detail
    assert outcome.value is not None
    for name in FIELDS:
        if name not in case.expected:
            continue
        expected, got = case.expected[name], observed(name, getattr(outcome.value, name))
        assert same(name, expected, got), f"{name}: expected {expected!r}, got {got!r}"


@pytest.mark.parametrize("case", [c for c in CASES if not c.registered], ids=lambda c: c.id)
def test_not_found_answer(case: Case) -> None:
    outcome = read_answer(case.text, "whois.test:43", case.domain)
    if case.reserved:
        assert outcome.status is Status.ERROR
        assert "reserved" in outcome.detail
    else:
        assert outcome.status is Status.ABSENT, outcome.detail
