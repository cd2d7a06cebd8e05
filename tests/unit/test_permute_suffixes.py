"""Suffix and dot slips."""

from __future__ import annotations

from lookalike import names
from lookalike.permute import rank, suffixes
from lookalike.permute.keyboards import keyboard

KB = keyboard(("qwerty",))


def domains(slips: object) -> set[str]:
    return {d for d, _ in slips}  # type: ignore[attr-defined]


def test_split() -> None:
    assert suffixes.split(names.parse("us.army.mil")) == (("us", "army"), ("mil",))
    assert suffixes.split(names.parse("example.co.uk")) == (("example",), ("co", "uk"))


def test_tld_typos_are_real_tlds_one_slip_away() -> None:
    typos = suffixes.tld_typos_of("mil", KB)
    assert {"ml", "il"} <= typos.keys()
    assert {"co", "cm", "om"} <= suffixes.tld_typos_of("com", KB).keys()
    for tld in typos:
        assert tld in names.tlds()
        assert rank.edit_distance("mil", tld) == 1
    assert "mil" not in typos


def test_tld_typo_and_swap() -> None:
    army = names.parse("army.mil")
    typos = domains(suffixes.tld_typo(army, KB))
    swaps = dict(suffixes.tld_swap(army, KB))
    assert "army.ml" in typos
    assert "army.ml" not in swaps
    assert "army.com" in swaps
    assert len(swaps) + len(typos) == len(names.tlds()) - 1  # every other delegated TLD
    assert swaps["army.com"] > swaps["army.museum"]  # a popular TLD is more confusable
    assert "us.army.ml" in domains(suffixes.tld_typo(names.parse("us.army.mil"), KB))


def test_tld_swap_keeps_a_second_level_where_it_exists() -> None:
    swaps = domains(suffixes.tld_swap(names.parse("example.co.uk"), KB))
    assert {"example.com", "example.co.nz", "example.co.jp"} <= swaps


def test_wrong_sld() -> None:
    out = domains(suffixes.wrong_sld(names.parse("example.co.uk")))
    assert {"example.org.uk", "example.me.uk", "example.ltd.uk", "example.uk", "example.co"} <= out
    for domain in out:
        assert names.is_hostname(domain)
        assert names.is_public_suffix(names.suffix_of(domain))
    assert not domains(suffixes.wrong_sld(names.parse("example.com")))


def test_second_levels_are_public_suffixes() -> None:
    for tld, levels in suffixes.second_levels().items():
        for level in levels:
            assert names.is_public_suffix(f"{level}.{tld}")


def test_dots() -> None:
    assert "amazonc.om" in domains(suffixes.dot_moved(names.parse("amazon.com")))
    assert "ausintel.com" in domains(suffixes.dot_dropped(names.parse("aus.intel.com")))
    assert "wwwexample.com" in domains(suffixes.dot_dropped(names.parse("www.example.com")))
    assert "exampleco.uk" in domains(suffixes.dot_dropped(names.parse("example.co.uk")))
    assert "usarmy.mil" in domains(suffixes.dot_dropped(names.parse("us.army.mil")))
    assert "exam.ple.com" in domains(suffixes.dot_inserted(names.parse("example.com")))
    hyphen = domains(suffixes.dot_hyphen(names.parse("aus.intel.com")))
    assert "aus-intel.com" in hyphen
    assert "us-army.mil" in domains(suffixes.dot_hyphen(names.parse("us.army.mil")))
    assert "example-co.uk" in domains(suffixes.dot_hyphen(names.parse("example.co.uk")))
    assert "my.bank.com" in domains(suffixes.dot_hyphen(names.parse("my-bank.com")))


def test_fusion_and_append() -> None:
    fused = domains(suffixes.tld_fusion(names.parse("army.mil")))
    assert {"armymil.com", "army-mil.com", "armymil.mil"} <= fused
    appended = domains(suffixes.tld_append(names.parse("army.mil"), KB))
    assert {"army.mil.ml", "army.mil.com", "army.mil.il"} <= appended


def test_tld_confusability() -> None:
    assert rank.tld_confusability("com", "co") > rank.tld_confusability("com", "museum")
    assert 0 < rank.tld_confusability("mil", "xn--p1ai") < rank.tld_confusability("mil", "com")
    assert rank.edit_distance("com", "ocm") == 1
    assert rank.edit_distance("mil", "ml") == 1
    assert rank.edit_distance("", "abc") == 3
