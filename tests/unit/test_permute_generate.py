"""generate(): the named cases, and the properties every output has."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lookalike import names, tldpolicy
from lookalike.errors import LookalikeError
from lookalike.model import Candidate, Technique
from lookalike.permute import (
    TECHNIQUES,
    GenerateOptions,
    TechniqueInfo,
    generate,
    generate_many,
    load_keywords,
    parse_techniques,
    technique_names,
)


@cache
def candidates(domain: str, options: GenerateOptions = GenerateOptions()) -> dict[str, Candidate]:  # noqa: B008
    return {c.domain: c for c in generate(names.parse(domain), options)}


def ranked(domain: str) -> list[str]:
    return list(candidates(domain))


@pytest.mark.parametrize(
    ("protected", "lookalike", "technique"),
    [
        ("army.mil", "army.ml", Technique.TLD_TYPO),
        ("army.mil", "army.il", Technique.TLD_TYPO),
        ("amazon.com", "amazonc.om", Technique.DOT_MOVED),
        ("aus.intel.com", "ausintel.com", Technique.DOT_DROPPED),
        ("www.example.com", "wwwexample.com", Technique.DOT_DROPPED),
        ("gmail.com", "gmail.co", Technique.TLD_TYPO),
        ("gmail.com", "gmail.cm", Technique.TLD_TYPO),
        ("gmail.com", "gmail.om", Technique.TLD_TYPO),
        ("paypal.com", "paypai.com", Technique.HOMOGLYPH),
        ("apple.com", "xn--80ak6aa92e.com", Technique.WHOLE_SCRIPT),
        ("youtube.com", "yewtube.com", Technique.SOUNDALIKE),
        ("facebook.com", "betterfacebook.com", Technique.KEYWORD),
        ("example.co.uk", "example.org.uk", Technique.WRONG_SLD),
        ("example.com", "exam.ple.com", Technique.DOT_INSERTED),
        ("aus.intel.com", "aus-intel.com", Technique.DOT_HYPHEN),
        ("army.mil", "army-mil.com", Technique.TLD_FUSION),
        ("army.mil", "armymil.com", Technique.TLD_FUSION),
        ("army.mil", "army.mil.ml", Technique.TLD_APPEND),
        ("us.army.mil", "us-army.mil", Technique.DOT_HYPHEN),
        ("us.army.mil", "usarmy.mil", Technique.DOT_DROPPED),
        ("us.army.mil", "us.army.ml", Technique.TLD_TYPO),
        ("us.army.mil", "us.arny.mil", Technique.REPLACEMENT),
        ("example.co.uk", "exampleco.uk", Technique.DOT_DROPPED),
        ("example.co.uk", "example-co.uk", Technique.DOT_HYPHEN),
        ("example.co.uk", "example.co", Technique.WRONG_SLD),
        ("example.co.uk", "example.uk", Technique.WRONG_SLD),
        ("kestrelsystems.com", "kestrelsystem.com", Technique.PLURAL),
        ("kestrelsystems.com", "systemskestrel.com", Technique.WORD_SWAP),
        ("apple.com", "aplle.com", Technique.DOUBLE_SLIP),
        ("apple.com", "aaple.com", Technique.DOUBLE_SLIP),
        ("modern.com", "rnodern.com", Technique.HOMOGLYPH),
        ("bankofamerica.com", "bank-ofamerica.com", Technique.HYPHENATION),
        ("my-bank.com", "mybank.com", Technique.HYPHEN_REMOVAL),
        ("army.mil", "xn--arm-noa.mil", Technique.DIACRITIC),
        ("xn--80ak6aa92e.com", "apple.com", Technique.WHOLE_SCRIPT),
        ("xn--mnchen-3ya.de", "munchen.de", Technique.DIACRITIC),
        ("xn--mnchen-3ya.de", "muenchen.de", Technique.DIACRITIC),
    ],
)
def test_named_lookalikes(protected: str, lookalike: str, technique: Technique) -> None:
    found = candidates(protected)
    assert lookalike in found, f"{protected} -> {lookalike} missing"
    assert technique in found[lookalike].techniques


def test_army_ml_is_near_the_top() -> None:
    assert ranked("army.mil").index("army.ml") < 10


def test_cyrillic_apple_is_registrable_and_single_script() -> None:
    apple = candidates("apple.com")["xn--80ak6aa92e.com"]
    assert apple.unicode == "аррӏе.com"
    assert apple.registrable
    assert "Cyrillic" in apple.note
    assert "mixes" not in apple.note
    mixed = candidates("apple.com")["xn--pple-43d.com"]  # Cyrillic а + Latin pple
    assert mixed.unicode == "аpple.com"
    assert not mixed.registrable
    assert "mixes" in mixed.note
    assert mixed.plausibility < apple.plausibility


def test_apex_and_unicode_fields() -> None:
    found = candidates("army.mil")
    assert found["army.mil.ml"].apex == "mil.ml"
    assert found["army.ml"].apex == "army.ml"
    assert candidates("example.com")["exam.ple.com"].apex == "ple.com"
    assert candidates("us.army.mil")["us.army.ml"].apex == "army.ml"
    for c in found.values():
        assert c.apex == names.apex_of(c.domain)
        assert c.unicode == names.to_unicode(c.domain)
        assert c.protected == "army.mil"
        if c.unicode == c.domain:
            assert c.registrable
            policy = tldpolicy.policy_for(c.apex.split(".", 1)[1])
            assert bool(c.note) == (policy is not None and policy.kind == "restricted"), c


DOMAINS = ["army.mil", "us.army.mil", "example.co.uk", "my-bank.com", "xn--80ak6aa92e.com", "ab.io"]


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_output_is_valid_ranked_and_not_the_input(domain: str) -> None:
    name = names.parse(domain)
    out = generate(name)
    assert out
    seen = set()
    for c in out:
        assert names.is_hostname(c.domain), c.domain
        assert c.domain != name.ascii
        assert c.apex != name.apex, "names under the protected registrable domain are the owner's"
        assert c.domain not in seen
        seen.add(c.domain)
        assert 0.0 <= c.plausibility <= 1.0
        assert c.techniques
        assert list(c.techniques) == sorted(c.techniques, key=list(Technique).index)
    keys = [(-c.plausibility, c.domain) for c in out]
    assert keys == sorted(keys)


def test_generation_is_deterministic() -> None:
    name = names.parse("my-bank.com")
    assert generate(name) == generate(name)


def test_every_technique_contributes() -> None:
    made: set[Technique] = set()
    for domain in ("apple.com", "my-bank.com", "us.army.mil", "example.co.uk", "youtube.com"):
        for c in candidates(domain).values():
            made.update(c.techniques)
    assert made == set(Technique)


@pytest.mark.parametrize("technique", list(Technique))
def test_technique_filter(technique: Technique) -> None:
    options = GenerateOptions(techniques=frozenset({technique}))
    for domain in ("apple.com", "my-bank.com", "us.army.mil", "example.co.uk"):
        for c in generate(names.parse(domain), options):
            assert c.techniques == (technique,), (domain, c)


def test_limit_keeps_the_most_plausible() -> None:
    full = generate(names.parse("army.mil"))
    top = generate(names.parse("army.mil"), GenerateOptions(limit=25))
    assert top == full[:25]


def test_keyboards_change_neighbours() -> None:
    qwerty = candidates("xylo.com", GenerateOptions(techniques=frozenset({Technique.REPLACEMENT})))
    both = candidates(
        "xylo.com",
        GenerateOptions(techniques=frozenset({Technique.REPLACEMENT}), keyboards=("qwerty", "qwertz")),
    )
    # The same names (every layout's slips are made), ranked by the layouts chosen.
    assert set(qwerty) == set(both)
    assert qwerty["xtlo.com"].plausibility == both["xtlo.com"].plausibility
    assert qwerty["xxlo.com"].plausibility < both["xxlo.com"].plausibility


def test_depth_two_combines_techniques_under_the_budget() -> None:
    name = names.parse("army.mil")
    depth1 = {c.domain for c in generate(name)}
    out = generate(name, GenerateOptions(depth=2, combo_budget=2000))
    new = [c for c in out if c.domain not in depth1]
    assert 0 < len(new) <= 2000
    by_domain = {c.domain: c for c in out}
    assert Technique.TLD_TYPO in by_domain["arny.ml"].techniques  # a label edit plus a suffix slip
    assert len(by_domain["arny.ml"].techniques) >= 2
    best = max(c.plausibility for c in out)
    for c in new:
        assert c.plausibility < best  # two slips are less likely than the likeliest one
        assert names.is_hostname(c.domain)
    assert "amry.ml" in by_domain or "arym.ml" in by_domain
    keyword_swap = generate(names.parse("paypal.com"), GenerateOptions(depth=2, combo_budget=5000))
    pairs = {c.domain: c for c in keyword_swap}
    assert {Technique.KEYWORD, Technique.TLD_TYPO} <= set(pairs["paypal-login.co"].techniques)
    # Two words stacked on the name (disputed names do: tdbankloginonlinebanking, uggonlinesale).
    assert pairs["paypal-login-support.com"].techniques == (Technique.KEYWORD,)
    assert pairs["paypal-login-support.com"].plausibility == pytest.approx(
        pairs["paypal-login.com"].plausibility * pairs["paypal-support.com"].plausibility, abs=1e-4
    )
    assert generate(name, GenerateOptions(depth=2, combo_budget=2000)) == out  # deterministic


def test_options_are_checked() -> None:
    name = names.parse("army.mil")
    with pytest.raises(LookalikeError, match="depth"):
        generate(name, GenerateOptions(depth=3))
    with pytest.raises(LookalikeError, match="limit"):
        generate(name, GenerateOptions(limit=0))
    with pytest.raises(LookalikeError, match="keyboard"):
        generate(name, GenerateOptions(keyboards=("dvorak",)))
    with pytest.raises(LookalikeError, match="omission"):
        parse_techniques(["nonsense"])
    assert parse_techniques([]) is None
    assert parse_techniques(["TLD-Typo"]) == frozenset({Technique.TLD_TYPO})


def test_generate_many_drops_protected_names() -> None:
    protected = [names.parse("army.mil"), names.parse("army.ml")]
    out = list(generate_many(protected, GenerateOptions(limit=50)))
    assert [c.protected for c in out] == ["army.mil"] * 50 + ["army.ml"] * 50  # the limit counts after
    assert not {"army.mil", "army.ml"} & {c.domain for c in out}


def test_techniques_table() -> None:
    assert set(TECHNIQUES) == set(Technique)
    assert technique_names() == [t.value for t in TECHNIQUES]
    for technique, info in TECHNIQUES.items():
        assert isinstance(info, TechniqueInfo)
        assert info.technique is technique
        assert info.description
        assert "\n" not in info.description
        source, arrow, target = info.example.partition(" -> ")
        assert arrow
        lookalike = names.parse(target).ascii
        assert lookalike in candidates(names.parse(source).ascii), info.example


def test_load_keywords(tmp_path: Path) -> None:
    good = tmp_path / "kw.txt"
    good.write_text("# ours\nPortal\nhr-login  # with a comment\n\nportal\n")
    assert load_keywords(good) == ("portal", "hr-login")
    found = candidates(
        "acme.com", GenerateOptions(keywords=load_keywords(good), techniques=frozenset({Technique.KEYWORD}))
    )
    assert "acme-hr-login.com" in found
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    with pytest.raises(LookalikeError, match="no keywords"):
        load_keywords(empty)
    bad = tmp_path / "bad.txt"
    bad.write_text("log in\n")
    with pytest.raises(LookalikeError, match=r"bad\.txt:1"):
        load_keywords(bad)
    with pytest.raises(LookalikeError, match="cannot read"):
        load_keywords(tmp_path / "missing.txt")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(LookalikeError, match="UTF-8"):
        load_keywords(binary)


def brand_labels() -> st.SearchStrategy[str]:
    return st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,12}[a-z0-9])?\Z").filter(lambda s: s[2:4] != "--")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(brand_labels(), st.sampled_from(["com", "mil", "co.uk", "de", "io"]))
def test_properties_on_arbitrary_names(label: str, suffix: str) -> None:
    assume(not names.is_public_suffix(f"{label}.{suffix}"))  # the PSL lists e.g. cn.com as a suffix
    name = names.parse(f"{label}.{suffix}")
    out = generate(name, GenerateOptions(techniques=frozenset(Technique) - {Technique.TLD_SWAP}))
    domains = [c.domain for c in out]
    assert len(domains) == len(set(domains))
    assert name.ascii not in domains
    assert all(names.is_hostname(d) for d in domains)
    keys = [(-c.plausibility, c.domain) for c in out]
    assert keys == sorted(keys)


def test_docs_list_every_technique_with_its_weight() -> None:
    from lookalike.permute import rank

    doc = (Path(__file__).resolve().parents[2] / "docs" / "generate.md").read_text("utf-8")
    for technique, info in TECHNIQUES.items():
        row = f"| `{technique.value}` | {rank.WEIGHTS[technique]} | {info.description} | `{info.example}` |"
        assert row in doc, row


def test_the_garbage_collector_is_left_as_it_was() -> None:
    import gc

    name = names.parse("ab.io")
    assert gc.isenabled()
    generate(name, GenerateOptions(limit=1))
    assert gc.isenabled()
    gc.disable()
    try:
        generate(name, GenerateOptions(limit=1))
        assert not gc.isenabled()
    finally:
        gc.enable()
