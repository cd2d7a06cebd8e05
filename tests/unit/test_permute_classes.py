"""The lookalike classes added with the calibrated model: country and region codes, combining marks,
and what the ranking does with names a third party cannot register."""

from __future__ import annotations

import csv
import gc
import unicodedata
from pathlib import Path

import idna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike import names, tldpolicy
from lookalike.model import Candidate, Technique
from lookalike.permute import GenerateOptions, generate, glyphs, rank, suffixes, words

LABELS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)


def only(domain: str, *techniques: Technique) -> dict[str, Candidate]:
    options = GenerateOptions(techniques=frozenset(techniques))
    return {c.domain: c for c in generate(names.parse(domain), options)}


# --- country and region codes ---------------------------------------------------------------------


def test_countries_table() -> None:
    table = dict(words.countries())
    assert table["uk"] == "united-kingdom"
    assert table["nz"] == "new-zealand"
    assert table["de"] == "germany"
    assert "eu" in table and "apac" in table  # regions
    assert len(table) > 250
    for code, name in words.countries():
        assert code.isascii() and code.isalpha() and code.islower()
        assert not name or names.is_hostname(f"{name}.com")


@given(LABELS)
def test_country_joins_a_code_or_name_to_the_label(label: str) -> None:
    countries = {w for pair in words.countries() for w in pair if w}
    for text, factor in words.country(label):
        assert 0 < factor <= 1
        after = text.startswith(label) and text.removeprefix(label).removeprefix("-") in countries
        before = text.endswith(label) and text.removesuffix(label).removesuffix("-") in countries
        assert after or before, text


def test_country_code_technique() -> None:
    found = only("paypal.com", Technique.COUNTRY_CODE)
    for name in ("paypal-uk.com", "ukpaypal.com", "uk-paypal.com", "paypalus.com", "paypal-germany.com"):
        assert name in found, name
    assert "paypal-uk.uk" in found  # with the country's own TLD
    assert found["paypal-uk.com"].plausibility > found["uk-paypal.com"].plausibility
    amazon = only("amazon.com", Technique.COUNTRY_CODE)
    assert "amazon-new-zealand.com" in amazon
    assert "amazon-argentina.com" in amazon


def test_country_tld_skips_codes_that_are_not_tlds() -> None:
    made = dict(suffixes.country_tld(names.parse("acme.com"), (("uk", ""), ("apac", "asia-pacific"))))
    assert "acme-uk.uk" in made
    assert not any(d.endswith(".apac") for d in made)


# --- combining marks ------------------------------------------------------------------------------


def test_combining_marks_table() -> None:
    marks = dict(glyphs.combining_marks())
    assert "\u0323" in marks  # COMBINING DOT BELOW
    assert "\u0332" in marks  # COMBINING LOW LINE
    for mark, weight in marks.items():
        assert unicodedata.category(mark) == "Mn"
        assert 0 < weight <= 1


@given(LABELS)
@settings(max_examples=30)
def test_combining_mark_adds_one_mark_to_one_letter(label: str) -> None:
    for text, factor in glyphs.combining_mark(label):
        assert 0 < factor <= 1
        assert unicodedata.is_normalized("NFC", text)  # what IDNA2008 requires: no precomposed form
        assert len(text) == len(label) + 1
        assert "".join(ch for ch in text if not unicodedata.combining(ch)) == label
        assert glyphs.has_combining_mark(text)


def test_combining_mark_candidates_are_labelled_for_registrability() -> None:
    found = only("army.com", Technique.COMBINING_MARK)
    low_line = next(c for c in found.values() if c.unicode == "army\u0332.com")
    assert low_line.domain == idna.encode("army\u0332").decode() + ".com"
    assert low_line.registrable
    assert glyphs.COMBINING_NOTE in low_line.note
    # A mark that composes with its letter gives a precomposed letter: the diacritic technique's.
    assert not [c for c in found.values() if not glyphs.has_combining_mark(c.unicode)]
    assert "xn--ary-24y.com" in {c.domain for c in generate(names.parse("army.com"))}  # arṃy, a diacritic
    # .de takes Latin only, and every combining sequence here is Latin: still noted, still registrable.
    de = only("army.de", Technique.COMBINING_MARK)
    assert all(glyphs.COMBINING_NOTE in c.note for c in de.values() if glyphs.has_combining_mark(c.unicode))


# --- restricted TLDs ------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["army.mil", "nasa.gov", "us.army.mil"])
def test_names_a_third_party_cannot_register_rank_below(domain: str) -> None:
    ranked = generate(names.parse(domain))
    top = ranked[:100]
    assert not [c.domain for c in top if c.domain.endswith("." + names.parse(domain).tld)]
    for c in ranked:
        suffix = c.apex.split(".", 1)[1]
        policy = tldpolicy.policy_for(suffix)
        if policy is not None and policy.kind == "restricted":
            assert "a third party cannot register it" in c.note, c
            assert policy.who in c.note
    amy = next(c for c in ranked if c.domain == domain.replace("army", "amy").replace("nasa", "nsa"))
    assert amy.registrable  # the community may: registrable, but not by whoever imitates it


def test_restriction_is_by_suffix() -> None:
    from lookalike.permute.pool import restriction

    assert "US Department of Defense" in restriction("mil")
    assert restriction("ml") == ""
    assert restriction("com") == ""
    assert "Google" in restriction("google")  # a brand TLD


def test_a_restricted_protected_name_still_lists_open_names_first() -> None:
    ranked = generate(names.parse("army.mil"))
    assert ranked[0].domain in ("army.ml", "army.il")
    assert ranked[0].note == ""


# --- the interpreter is left alone ----------------------------------------------------------------


def test_generation_leaves_the_garbage_collector_running() -> None:
    collections = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    assert gc.isenabled()
    thresholds = gc.get_threshold()
    gc.callbacks.append(seen)
    try:
        generate(names.parse("kestrelsystems.com"))
    finally:
        gc.callbacks.remove(seen)
    assert gc.isenabled()
    assert gc.get_threshold() == thresholds
    assert collections, "the collector ran while names were generated (it is not paused)"


# --- the labelled set ------------------------------------------------------------------------------

LOOKALIKES = Path(__file__).resolve().parent.parent / "data" / "lookalikes" / "lookalikes.csv"
FRESH = LOOKALIKES.with_name("fresh.csv")
EVIDENCE = LOOKALIKES.with_name("keyword-evidence.csv")


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(("path", "at_least", "targets"), [(LOOKALIKES, 90, 30), (FRESH, 40, 20)])
def test_the_labelled_sets_are_well_formed(path: Path, at_least: int, targets: int) -> None:
    rows = rows_of(path)
    assert len(rows) >= at_least
    seen = set()
    for row in rows:
        assert set(row) == {"lookalike", "target", "kind", "reference", "url"}
        assert row["kind"] in ("udrp", "study", "advisory")
        assert row["url"].startswith(("http://", "https://"))
        assert row["reference"].strip()
        target = names.parse(row["target"])
        lookalike = names.parse(row["lookalike"])
        assert lookalike.ascii != target.ascii
        assert lookalike.ascii not in seen, lookalike.ascii
        seen.add(lookalike.ascii)
    assert len({r["target"] for r in rows}) >= targets


def test_the_fresh_set_holds_other_targets() -> None:
    """fresh.csv checks the model on brands it was not tuned on: none is a target of lookalikes.csv."""
    tuned = {r["target"] for r in rows_of(LOOKALIKES)}
    assert not tuned & {r["target"] for r in rows_of(FRESH)}


def test_the_keyword_evidence_is_about_other_brands() -> None:
    """The words keywords.txt takes from UDRP decisions come from brands neither labelled set holds,
    so the sets still check the list; each recorded word is in the disputed name it is read from."""
    rows = rows_of(EVIDENCE)
    assert len({r["brand"] for r in rows}) >= 10
    targets = {r["target"] for path in (LOOKALIKES, FRESH) for r in rows_of(path)}
    assert not targets & {r["brand"] for r in rows}
    for row in rows:
        assert set(row) == {"domain", "brand", "words", "reference", "url"}
        assert row["url"].startswith(("http://", "https://"))
        label = names.parse(row["domain"]).ascii.replace(".", "")
        for word in row["words"].split():
            assert word in label, (word, row["domain"])
    keywords = words.keyword_weights()
    for word in ("home", "join", "replica", "supplier", "trade", "online", "shop", "store"):
        assert word in keywords, word


def test_country_code_weights_are_in_the_model() -> None:
    assert Technique.COUNTRY_CODE in rank.WEIGHTS
    assert Technique.COMBINING_MARK in rank.WEIGHTS
    assert set(rank.WEIGHTS) == set(Technique)
