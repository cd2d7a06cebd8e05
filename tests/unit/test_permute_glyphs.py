"""Glyphs: ASCII and Unicode look-alikes, Punycode, IDNA2008 validity and registrability."""

from __future__ import annotations

import idna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike.model import Technique
from lookalike.permute import glyphs, rank

LABELS = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?\Z")


def test_ascii_glyphs_include_the_classics() -> None:
    table = glyphs.ascii_glyphs()
    for src, dst in [("rn", "m"), ("m", "rn"), ("vv", "w"), ("w", "vv"), ("cl", "d"), ("d", "cl"),
                     ("0", "o"), ("o", "0"), ("1", "l"), ("l", "1"), ("i", "l"), ("l", "i")]:  # fmt: skip
        assert dst in dict(table[src]), (src, dst)


def test_homoglyph_examples() -> None:
    out = {t for t, _ in glyphs.homoglyph("paypal")}
    assert {"paypai", "paypa1", "rnodern"} & out == {"paypai", "paypa1"}
    assert "rnodern" in {t for t, _ in glyphs.homoglyph("modern")}
    assert "clear" in {t for t, _ in glyphs.homoglyph("dear")}
    assert "goog1e" in {t for t, _ in glyphs.homoglyph("google")}


@given(LABELS)
def test_homoglyph_outputs_are_ascii_and_differ(label: str) -> None:
    for text, factor in glyphs.homoglyph(label):
        assert text.isascii()
        assert text != label
        assert 0 < factor <= 1


def test_confusables_table_is_uts39_with_scripts() -> None:
    cyrillic_a = [g for g in glyphs.unicode_glyphs("a") if g.char == "а"]
    assert cyrillic_a
    assert cyrillic_a[0].script == "Cyrillic"
    assert cyrillic_a[0].technique is Technique.IDN_HOMOGLYPH
    assert "ӏ" in {g.char for g in glyphs.unicode_glyphs("l")}
    e_acute = [g for g in glyphs.unicode_glyphs("e") if g.char == "é"]
    assert e_acute
    assert e_acute[0].technique is Technique.DIACRITIC
    assert e_acute[0].script == "Latin"
    for ch in "abcdefghijklmnopqrstuvwxyz0123456789":
        for glyph in glyphs.unicode_glyphs(ch):
            assert not glyph.char.isascii()
            assert 0 < glyph.weight <= 1
            idna.alabel(glyph.char if not unicodedata_mark(glyph.char) else "a" + glyph.char)


def unicodedata_mark(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch).startswith("M")


def test_idn_homoglyph_and_diacritic_are_single_substitutions() -> None:
    for fn in (glyphs.idn_homoglyph, glyphs.diacritic):
        out = list(fn("apple"))
        assert out
        for text, _ in out:
            assert len(text) == 5
            assert sum(a != b for a, b in zip(text, "apple", strict=True)) == 1
    assert "аpple" in {t for t, _ in glyphs.idn_homoglyph("apple")}
    assert "applé" in {t for t, _ in glyphs.diacritic("apple")}


def test_whole_script() -> None:
    assert dict(glyphs.whole_script("apple")).keys() == {"аррӏе"}
    assert glyphs.alabel("аррӏе") == ("xn--80ak6aa92e", "")
    assert list(glyphs.whole_script("kestrel")) == [] or all(
        len(glyphs.scripts_in(t)) == 1 for t, _ in glyphs.whole_script("kestrel")
    )
    # The other way: an IDN label's ASCII skeleton.
    assert ("apple", 1.0) in list(glyphs.whole_script("аррӏе"))


def test_pairs_are_two_latin_substitutions() -> None:
    out = list(glyphs.pairs("army", frozenset(Technique)))
    assert any(t == "aṛmý" for t, _, _, _ in out)
    for text, ascii_label, factor, techniques in out:
        assert 0 < factor <= 1
        assert techniques
        assert glyphs.scripts_in(text) == glyphs.LATIN  # a pair is only worth it if registrable
        if ascii_label:  # computed in closed form: must be what IDNA2008 says
            assert ascii_label == idna.alabel(text).decode("ascii"), text
    only_diacritics = list(glyphs.pairs("army", frozenset({Technique.DIACRITIC})))
    assert only_diacritics
    assert all(t == (Technique.DIACRITIC,) for _, _, _, t in only_diacritics)


@given(LABELS)
@settings(max_examples=30, deadline=None)
def test_pair_alabels_are_exact(label: str) -> None:
    for text, ascii_label, _, _ in glyphs.pairs(label, frozenset(Technique)):
        if ascii_label:
            assert ascii_label == "xn--" + text.encode("punycode").decode("ascii"), text


@given(st.text(alphabet="abcz-09àéöаеорсӏ中ıŋ" + chr(0x1F600), min_size=1, max_size=25))
def test_punycode_matches_python_codec(text: str) -> None:
    assert glyphs.punycode(text) == text.encode("punycode").decode("ascii")


@given(
    LABELS,
    st.lists(st.tuples(st.integers(0, 20), st.sampled_from("àéöаеорсӏıŋṛý")), min_size=1, max_size=2),
)
def test_punycode_closed_form_for_one_or_two_code_points(label: str, inserts: list[tuple[int, str]]) -> None:
    chars = list(label)
    for pos, ch in inserts:
        chars.insert(min(pos, len(chars)), ch)
    text = "".join(chars)
    assert glyphs.punycode(text) == text.encode("punycode").decode("ascii")


@given(st.text(alphabet="abc-0àéаеӏı" + "\u05d0\u0627\u0301" + "ꓲ", min_size=1, max_size=12))
def test_alabel_agrees_with_idna(label: str) -> None:
    encoded, problem = glyphs.alabel(label)
    try:
        expected = idna.alabel(label).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        expected = None
    if expected is None:
        assert problem, label
    else:
        assert (encoded, problem) == (expected, ""), label


def test_registrability() -> None:
    assert glyphs.registrability("аррӏе", "com")[0] is True
    ok, note = glyphs.registrability("аpple", "com")
    assert not ok
    assert "mixes" in note
    assert "Cyrillic" in note
    assert "Latin" in note
    ok, note = glyphs.registrability("аррӏе", "de")
    assert not ok
    assert "Latin" in note
    ok, note = glyphs.registrability("applé", "de")
    assert ok
    assert "Latin" in note
    ok, note = glyphs.registrability("armý", "mil")
    assert not ok
    assert "no IDN" in note
    ok, note = glyphs.registrability("applé", "xyz")
    assert ok
    assert "unknown" in note
    ok, note = glyphs.registrability("apple", "xn--p1ai")
    assert not ok
    assert "Cyrillic" in note
    ok, note = glyphs.registrability("x", "com", "not valid IDNA2008 (bad)")
    assert not ok
    assert "IDNA2008" in note
    # Japanese mixes scripts by nature.
    assert glyphs.registrability("日本ひらがなカタカナ", "jp")[0] is True


def test_tld_policy_table_is_well_formed() -> None:
    policies = glyphs.tld_policies()
    assert policies["com"][0] == frozenset({"*"})
    assert policies["mil"][0] == frozenset()
    assert policies["xn--p1ai"][0] == frozenset({"Cyrillic"})
    for tld, (_scripts, source) in policies.items():
        assert tld == tld.lower()
        assert source


@pytest.mark.parametrize(
    ("mark", "low", "high"),
    [
        ("DOT BELOW", 0.7, 0.8),
        ("ACUTE", 0.55, 0.65),
        ("CIRCUMFLEX AND ACUTE", 0.2, 0.35),
        ("STROKE", 0.4, 0.5),
    ],
)
def test_mark_weights(mark: str, low: float, high: float) -> None:
    assert low <= rank.mark(mark) <= high
