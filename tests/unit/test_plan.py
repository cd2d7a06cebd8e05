"""The defensive-registration plan: ranking, availability, TLD policy, the budget, and its renderings."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike import plan, tldpolicy
from lookalike.datafiles import data_path
from lookalike.model import (
    Availability,
    Candidate,
    Existence,
    Outcome,
    PlanItem,
    ProtectedSummary,
    Registration,
    ScanInfo,
    ScanResult,
    Status,
    Technique,
)
from lookalike.names import is_public_suffix, tlds
from tests import factories as f

P = f.PROTECTED  # kestrelsystems.com


def cand(domain: str, technique: Technique, plausibility: float, **kw: object) -> Candidate:
    return f.candidate(domain, techniques=(technique,), plausibility=plausibility, **kw)  # type: ignore[arg-type]


def absent(cands: Sequence[Candidate]) -> dict[str, Existence]:
    return {c.domain: Existence.ABSENT for c in cands}


def held(*status: str, registrar: str = "Cheap Names LLC") -> Outcome[Registration]:
    return Outcome(Status.OK, f.registration(registrar=registrar, status=status))


FREE: Outcome[Registration] = Outcome(Status.ABSENT, None, "RDAP 404")


# --- the TLD policy table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("army.mil", "restricted: US Department of Defense only"),
        ("us.army.mil", "restricted: US Department of Defense only"),
        ("kestrel.gov", "restricted: US federal"),
        ("kestrel.edu", "restricted: US post-secondary"),
        ("kestrel.int", "restricted: organisations established by treaty"),
        ("kestrel.bank", "restricted: verified banks"),
        ("kestrel.google", "restricted: Google only"),
        ("kestrel.gov.uk", "restricted: UK central and local government"),
        ("kestrel.co.uk", "open"),
        ("kestrel.com.au", "local presence: an Australian presence"),
        ("kestrel.gov.au", "restricted: Australian government"),
        ("kestrel.ca", "local presence: Canadian presence"),
        ("kestrel.eu", "local presence: EU/EEA"),
        ("kestrel.us", "local presence: a US nexus"),
        ("kestrel.ml", "open"),
        ("kestrel.com", "open"),
        ("KESTREL.MIL.", "restricted: US Department of Defense only"),
    ],
)
def test_tld_policy(domain: str, expected: str) -> None:
    assert plan.tld_policy(domain).startswith(expected)


def test_policy_table_is_reviewable() -> None:
    """Every entry is a real suffix, has a known kind, says who may register and cites a source."""
    data = tomllib.loads(data_path(tldpolicy.TLD_POLICY_FILE).read_text("utf-8"))
    assert len(data["suffix"]) >= 30
    for key, entry in data["suffix"].items():
        assert key == key.lower().strip(".")
        assert key in tlds() or is_public_suffix(key), key
        assert entry["kind"] in ("restricted", "local-presence"), key
        assert entry["who"].strip(), key
        assert entry["source"].strip(), key
    for slip in data["whole_tld"]:
        assert slip["tld"] in tlds()
        assert slip["typo_of"] in tlds()
        assert slip["why"].strip()
        assert slip["source"].strip()
    assert ("ml", "mil") in {(w.tld, w.typo_of) for w in plan.whole_tld_slips()}


def test_every_technique_has_an_impact() -> None:
    assert set(plan.IMPACT) == set(Technique)
    assert all(0 < i.weight <= 1 and i.role for i in plan.IMPACT.values())
    # Mail typos lead; keyword combinations trail.
    assert plan.IMPACT[Technique.TLD_TYPO].weight == max(i.weight for i in plan.IMPACT.values())
    assert plan.IMPACT[Technique.KEYWORD].weight == min(i.weight for i in plan.IMPACT.values())


# --- ranking ----------------------------------------------------------------------------------


def test_mail_typos_rank_above_keyword_combinations() -> None:
    cands = [
        cand("kestrelsystems-login.com", Technique.KEYWORD, 0.9),
        cand("kestrelsystems.co", Technique.TLD_TYPO, 0.6),
        cand("kestrelsytems.com", Technique.TRANSPOSITION, 0.6),
        cand("kestrelsystemscom.com", Technique.TLD_FUSION, 0.6),
    ]
    items = plan.plan(cands, existence=absent(cands))
    assert [i.domain for i in items] == [
        "kestrelsystems.co",
        "kestrelsytems.com",
        "kestrelsystemscom.com",
        "kestrelsystems-login.com",
    ]
    assert [i.rank for i in items] == [1, 2, 3, 4]
    assert items[0].priority == pytest.approx(0.6)
    assert items[-1].priority == pytest.approx(0.9 * plan.IMPACT[Technique.KEYWORD].weight)
    assert items[0].reason.startswith("TLD typo of kestrelsystems.com")
    assert all(i.availability is Availability.PROBABLY for i in items)


def test_only_absent_names_are_planned() -> None:
    cands = [
        cand("kestrelsystems.co", Technique.TLD_TYPO, 0.9),
        cand("kestrelsytems.com", Technique.TRANSPOSITION, 0.8),
        cand("kestrelsystem.com", Technique.OMISSION, 0.7),
        cand("kestrelsystems.cm", Technique.TLD_TYPO, 0.7),
    ]
    existence = {
        "kestrelsystems.co": Existence.EXISTS,  # a finding, not a plan item
        "kestrelsytems.com": Existence.UNKNOWN,  # cannot plan on unknown
        "kestrelsystem.com": Existence.ABSENT,
        # kestrelsystems.cm: not scanned
    }
    assert [i.domain for i in plan.plan(cands, existence=existence)] == ["kestrelsystem.com"]


def test_availability_from_the_registry() -> None:
    cands = [
        cand("kestrelsystems.co", Technique.TLD_TYPO, 0.9),
        cand("kestrelsytems.com", Technique.TRANSPOSITION, 0.8),
        cand("kestrelsystem.com", Technique.OMISSION, 0.7),
        cand("kestrelsystems.cm", Technique.TLD_TYPO, 0.5),
        cand("kestrelsystems.om", Technique.TLD_TYPO, 0.4),
    ]
    availability = {
        "kestrelsystems.co": held("serverHold", registrar="Registrar <b>X</b>"),
        "kestrelsytems.com": FREE,
        "kestrelsystem.com": Outcome(Status.TIMEOUT, None, "WHOIS timeout"),
        "kestrelsystems.cm": Outcome(Status.SKIPPED, None, "--no-registry"),
    }
    items = {i.domain: i for i in plan.plan(cands, existence=absent(cands), availability=availability)}
    assert items["kestrelsytems.com"].availability is Availability.AVAILABLE
    assert "the registry says it is not registered" in items["kestrelsytems.com"].reason
    assert items["kestrelsystem.com"].availability is Availability.PROBABLY
    assert "did not answer (timeout: WHOIS timeout)" in items["kestrelsystem.com"].reason
    assert items["kestrelsystems.cm"].availability is Availability.PROBABLY
    assert "not asked" in items["kestrelsystems.om"].reason
    held_item = items["kestrelsystems.co"]
    assert held_item.availability is Availability.REGISTERED
    assert "held (Registrar <b>X</b>, serverHold) but not in the DNS" in held_item.reason
    # The held name is listed, but after every name the team can register, whatever its priority.
    order = [i.domain for i in plan.plan(cands, existence=absent(cands), availability=availability)]
    assert order[-1] == "kestrelsystems.co"
    assert order[0] == "kestrelsytems.com"


def test_a_name_being_deleted_is_flagged() -> None:
    cands = [cand("kestrelsytems.com", Technique.TRANSPOSITION, 0.8)]
    (item,) = plan.plan(
        cands, existence=absent(cands), availability={"kestrelsytems.com": held("pendingDelete")}
    )
    assert item.availability is Availability.REGISTERED
    assert "be ready to register it when it drops" in item.reason


def test_restricted_tlds_are_not_recommended() -> None:
    cands = [
        cand("kestrelsystems.bank", Technique.TLD_SWAP, 0.9),
        cand("kestrelsystems.gov", Technique.TLD_SWAP, 0.9),
        cand("kestrelsystems.net", Technique.TLD_SWAP, 0.5),
    ]
    items = plan.plan(cands, existence=absent(cands))
    assert [i.domain for i in items] == ["kestrelsystems.net", "kestrelsystems.bank", "kestrelsystems.gov"]
    bank = items[1]
    assert bank.availability is Availability.RESTRICTED
    assert bank.tld_policy.startswith("restricted: verified banks")
    assert "outsiders cannot register it either" in bank.reason
    # Restricted names are never worth a registry question.
    assert plan.plan_candidates_to_confirm(cands, existence=absent(cands), top=10) == ["kestrelsystems.net"]


def test_a_restricted_tld_beats_a_free_answer() -> None:
    cands = [cand("armyy.mil", Technique.REPETITION, 0.9, protected="army.mil")]
    (item,) = plan.plan(cands, existence=absent(cands), availability={"armyy.mil": FREE})
    assert item.availability is Availability.RESTRICTED


def test_local_presence_is_met_by_own_tlds_or_presence() -> None:
    net = cand("kestrel.net.au", Technique.WRONG_SLD, 0.8, protected="kestrel.com.au")
    ca = cand("kestrelsystems.ca", Technique.TLD_SWAP, 0.8)
    items = {i.domain: i for i in plan.plan([net], existence=absent([net]))}
    assert (
        items["kestrel.net.au"].availability is Availability.PROBABLY
    )  # an .au organisation meets .au presence
    assert "your own .au names suggest you meet" in items["kestrel.net.au"].reason
    (item,) = plan.plan([ca], existence=absent([ca]))
    assert item.availability is Availability.RESTRICTED
    assert item.tld_policy.startswith("local presence: Canadian presence")
    (item,) = plan.plan([ca], existence=absent([ca]), presence=[".CA"])
    assert item.availability is Availability.PROBABLY
    assert item.reason.endswith(
        "needs Canadian presence (citizens, residents, Canadian organisations, "
        "trademark holders), which you said you meet"
    )


def test_unregistrable_idn_is_left_out() -> None:
    idn = cand("xn--kestrelsystms-lhb.com", Technique.DIACRITIC, 0.9, registrable=False, note="mixed script")
    ok = cand("kestrelsytems.com", Technique.TRANSPOSITION, 0.1)
    assert [i.domain for i in plan.plan([idn, ok], existence=absent([idn, ok]))] == ["kestrelsytems.com"]


def test_names_below_a_registrable_domain_are_planned_as_that_domain() -> None:
    appended = cand("army.mil.ml", Technique.TLD_APPEND, 0.8, protected="army.mil", apex="mil.ml")
    other = cand("navy.mil.ml", Technique.TLD_APPEND, 0.7, protected="army.mil", apex="mil.ml")
    existence = absent([appended, other])
    (item,) = plan.plan([appended, other], existence=existence)
    assert item.domain == "mil.ml"
    assert item.plausibility == pytest.approx(0.8)
    # NXDOMAIN for army.mil.ml says nothing about mil.ml: unknown until the registry or the DNS says.
    assert item.availability is Availability.UNKNOWN
    assert "says nothing about mil.ml" in item.reason
    assert plan.plan_candidates_to_confirm([appended], existence=existence, top=5) == ["mil.ml"]
    (item,) = plan.plan([appended], existence=existence, availability={"mil.ml": FREE})
    assert item.availability is Availability.AVAILABLE
    (item,) = plan.plan([appended], existence={**existence, "mil.ml": Existence.ABSENT})
    assert item.availability is Availability.PROBABLY
    assert plan.plan([appended], existence={**existence, "mil.ml": Existence.EXISTS}) == []


def test_names_under_our_own_registrable_domain_are_skipped() -> None:
    sub = cand("uss.army.mil", Technique.REPETITION, 0.9, protected="us.army.mil", apex="army.mil")
    assert plan.plan([sub], existence=absent([sub])) == []


def test_platform_names_say_where_to_claim_them() -> None:
    gh = cand("kestrelsystem.github.io", Technique.OMISSION, 0.9, protected="kestrelsystems.github.io")
    (item,) = plan.plan([gh], existence=absent([gh]))
    assert "claim the name on that platform" in item.reason
    assert plan.plan_candidates_to_confirm([gh], existence=absent([gh]), top=3) == []


def test_same_name_from_two_protected_domains_is_one_item() -> None:
    a = cand("kestrelsystem.com", Technique.OMISSION, 0.5)
    b = cand("kestrelsystem.com", Technique.ADDITION, 0.9, protected="kestrelsystem.co")
    (item,) = plan.plan([a, b], existence=absent([a, b]))
    assert item.techniques == (Technique.OMISSION, Technique.ADDITION)
    assert item.plausibility == pytest.approx(0.9)
    assert item.protected == "kestrelsystem.co"


# --- the budget -------------------------------------------------------------------------------


def test_names_we_cannot_register_never_flood_the_plan() -> None:
    """A .mil organisation: its keyboard slips are all in .mil, which nobody else can register."""
    mil = [cand(f"arm{c}y.mil", Technique.INSERTION, 0.8, protected="army.mil") for c in "abcdefghij"]
    ml = cand("army.ml", Technique.TLD_TYPO, 0.5, protected="army.mil")
    items = plan.plan([*mil, ml], existence=absent([*mil, ml]), top=3)
    assert [i.domain for i in items] == ["army.ml", "armay.mil", "armby.mil", "armcy.mil"]
    assert [i.availability for i in items[1:]] == [Availability.RESTRICTED] * 3


def test_top_is_the_budget_of_registrable_names() -> None:
    cands = [cand(f"kestrelsystems{n}.com", Technique.ADDITION, 0.9 - n / 100) for n in range(10)]
    cands.append(cand("kestrelsystems.bank", Technique.TLD_SWAP, 0.99))  # restricted, ranks high
    cands.append(cand("kestrelsystems.gov", Technique.TLD_SWAP, 0.1))  # restricted, ranks low
    availability = {"kestrelsystems0.com": held()}
    items = plan.plan(cands, existence=absent(cands), availability=availability, top=3)
    assert [(i.rank, i.domain, i.availability) for i in items] == [
        (1, "kestrelsystems1.com", Availability.PROBABLY),
        (2, "kestrelsystems2.com", Availability.PROBABLY),
        (3, "kestrelsystems3.com", Availability.PROBABLY),
        (4, "kestrelsystems0.com", Availability.REGISTERED),
        (5, "kestrelsystems.bank", Availability.RESTRICTED),
    ]
    assert len(plan.plan(cands, existence=absent(cands), top=None)) == 12
    assert plan.plan(cands, existence=absent(cands), top=0) == []


def test_confirm_asks_about_the_top_of_the_draft_plan() -> None:
    cands = [cand(f"kestrelsystems{n}.com", Technique.ADDITION, 0.9 - n / 100) for n in range(10)]
    ask = plan.plan_candidates_to_confirm(cands, existence=absent(cands), top=4)
    assert ask == [f"kestrelsystems{n}.com" for n in range(4)]
    assert plan.plan_candidates_to_confirm(cands, existence=absent(cands), top=0) == []


availabilities = st.sampled_from(list(Availability))


@st.composite
def plan_items(draw: st.DrawFn) -> list[PlanItem]:
    n = draw(st.integers(0, 30))
    return [
        PlanItem(
            rank=0,
            domain=f"k{i}.com",
            unicode=f"k{i}.com",
            protected=P,
            techniques=(Technique.OMISSION,),
            plausibility=0.5,
            priority=draw(st.floats(0, 1)),
            availability=draw(availabilities),
        )
        for i in range(n)
    ]


@settings(max_examples=100, deadline=None)
@given(plan_items(), st.none() | st.integers(0, 40))
def test_rank_properties(items: list[PlanItem], top: int | None) -> None:
    ranked = plan.rank(items, top=top)
    assert [i.rank for i in ranked] == list(range(1, len(ranked) + 1))
    recommended = [i for i in ranked if plan.TIER[i.availability] == 0]
    groups = [plan.TIER[i.availability] for i in ranked]
    assert groups == sorted(groups)  # recommended, then held, then restricted
    priorities = [i.priority for i in recommended]
    assert priorities == sorted(priorities, reverse=True)
    if top is None:
        assert len(ranked) == len(items)
    else:
        assert len(recommended) == min(top, sum(1 for i in items if plan.TIER[i.availability] == 0))
        assert len(ranked) - len(recommended) <= top
        if recommended and len(recommended) == top:
            assert all(i.priority >= recommended[-1].priority for i in ranked if i not in recommended)


# --- what a scan knows ------------------------------------------------------------------------


def _result(
    findings: Sequence[object], summaries: Sequence[ProtectedSummary], *, interrupted: bool = False
) -> ScanResult:
    info = ScanInfo(id=1, started=f.NOW, protected=tuple(summaries), interrupted=interrupted)
    return ScanResult(info=info, findings=tuple(findings))  # type: ignore[arg-type]


def test_scan_existence_from_the_store() -> None:
    exists = f.finding(f.candidate("kestrelsytems.com"), f.evidence())
    unknown = f.finding(f.candidate("kestrelsystem.com"), f.evidence(existence=Existence.UNKNOWN))
    result = _result([exists, unknown], [ProtectedSummary(P, generated=99)])
    cands = [f.candidate(d) for d in ("kestrelsytems.com", "kestrelsystem.com", "kestrelsystems.co", "x.com")]
    known = plan.scan_existence(result, cands, absent={("kestrelsystems.co", P), ("kestrelsytems.com", P)})
    assert known == {
        "kestrelsytems.com": Existence.EXISTS,  # a finding beats a stale absent row
        "kestrelsystem.com": Existence.UNKNOWN,
        "kestrelsystems.co": Existence.ABSENT,
    }


def test_scan_existence_from_a_json_document_infers_absent_only_when_it_adds_up() -> None:
    exists = f.finding(f.candidate("kestrelsytems.com"), f.evidence())
    cands = [f.candidate(d) for d in ("kestrelsytems.com", "kestrelsystem.com", "kestrelsystems.co")]
    whole = ProtectedSummary(P, generated=3, exists=1, absent=2)
    known = plan.scan_existence(_result([exists], [whole]), cands)
    assert known == {
        "kestrelsytems.com": Existence.EXISTS,
        "kestrelsystem.com": Existence.ABSENT,
        "kestrelsystems.co": Existence.ABSENT,
    }
    # Another generator run (a different count), an interrupted scan, or counts that do not add up:
    # the unlisted names are "not scanned", never guessed absent.
    for result in (
        _result([exists], [replace(whole, generated=5, absent=4)]),
        _result([exists], [whole], interrupted=True),
        _result([exists], [replace(whole, absent=1)]),
    ):
        assert plan.scan_existence(result, cands) == {"kestrelsytems.com": Existence.EXISTS}


# --- renderings -------------------------------------------------------------------------------


def _sample_items() -> list[PlanItem]:
    cands = [
        cand("kestrelsystems.co", Technique.TLD_TYPO, 0.9),
        cand("xn--kestrelsystms-lhb.com", Technique.DIACRITIC, 0.8),
        cand("kestrelsystems.bank", Technique.TLD_SWAP, 0.7),
    ]
    hostile: Outcome[Registration] = Outcome(Status.ERROR, None, "=cmd|' /C calc'!A0\n\u202eevil")
    return plan.plan(cands, existence=absent(cands), availability={"kestrelsystems.co": hostile})


def test_render_plan_csv_is_formula_safe() -> None:
    text = plan.render_plan(_sample_items(), "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == ["rank", "domain", "unicode", "protected", "availability", "priority"]
    assert [r[1] for r in rows[1:]] == [
        "kestrelsystems.co",
        "xn--kestrelsystms-lhb.com",
        "kestrelsystems.bank",
    ]
    assert rows[2][2] == "kestrelsystéms.com"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
            assert "\n" not in cell
            assert "\u202e" not in cell


def test_render_plan_json_round_trips() -> None:
    items = _sample_items()
    data = json.loads(plan.render_plan(items, "json"))
    assert [d["domain"] for d in data] == [i.domain for i in items]
    assert data[0]["availability"] == "probably-available"
    assert data[2]["availability"] == "restricted"
    assert data[0]["techniques"] == ["tld-typo"]


def test_render_plan_text() -> None:
    text = plan.render_plan(_sample_items(), "text")
    assert text.startswith("Defensive registration plan: 2 to register")
    assert "xn--kestrelsystms-lhb.com (kestrelsystéms.com)" in text
    assert "restricted TLD (verified banks" in text
    assert "\u202e" not in text
    assert "calc'!A0 evil" in text
    assert plan.render_plan([], "text").startswith("Defensive registration plan: nothing to register")
    with pytest.raises(ValueError, match="unknown plan format"):
        plan.render_plan([], "xml")


POOL = [
    cand("kestrelsystems.co", Technique.TLD_TYPO, 0.9),
    cand("kestrelsytems.com", Technique.TRANSPOSITION, 0.8),
    cand("kestrelsystem.com", Technique.OMISSION, 0.7),
    cand("kestrelsystems.bank", Technique.TLD_SWAP, 0.7),
    cand("kestrelsystems-login.com", Technique.KEYWORD, 0.9),
    cand("kestrelsystems.com.ml", Technique.TLD_APPEND, 0.6, apex="com.ml"),
    cand("com.ml", Technique.TLD_APPEND, 0.1),
    cand("kestrelsystems.ca", Technique.TLD_SWAP, 0.5),
]
STATES = st.sampled_from([*Existence, None])
ANSWERS = st.sampled_from([None, FREE, held(), Outcome(Status.TIMEOUT)])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(STATES, min_size=len(POOL), max_size=len(POOL)),
    st.lists(ANSWERS, min_size=len(POOL), max_size=len(POOL)),
    st.none() | st.integers(0, 10),
)
def test_plan_properties(
    states: list[Existence | None], answers: list[Outcome[Registration] | None], top: int | None
) -> None:
    existence = {c.domain: s for c, s in zip(POOL, states, strict=True) if s is not None}
    availability = {c.apex: a for c, a in zip(POOL, answers, strict=True) if a is not None}
    items = plan.plan(POOL, existence=existence, availability=availability, top=top)
    assert [i.rank for i in items] == list(range(1, len(items) + 1))
    assert len({i.domain for i in items}) == len(items)
    for item in items:
        sources = [c for c in POOL if c.apex == item.domain]
        assert any(existence.get(c.domain) is Existence.ABSENT for c in sources)
        assert all(
            existence.get(c.domain) is not Existence.EXISTS for c in sources if c.domain == item.domain
        )
        if availability.get(item.domain) == FREE and item.availability is not Availability.RESTRICTED:
            assert item.availability is Availability.AVAILABLE
    # The same facts always give the same plan; and the budget is never exceeded.
    assert plan.plan(POOL, existence=existence, availability=availability, top=top) == items
    if top is not None:
        assert sum(1 for i in items if plan.TIER[i.availability] == 0) <= top
        assert sum(1 for i in items if plan.TIER[i.availability] > 0) <= top
