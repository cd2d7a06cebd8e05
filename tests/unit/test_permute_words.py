"""Word slips: splitting, plurals, sound-alikes, keywords, word order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookalike.permute import rank, words

LABELS = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?\Z")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("bankofamerica", ("bank", "of", "america")),
        ("kestrelsystems", ("kestrel", "systems")),
        ("youtube", ("you", "tube")),
        ("facebook", ("face", "book")),
        ("my-bank", ("my", "bank")),
        ("365online", ("365", "online")),
        ("army", ("army",)),
    ],
)
def test_split_words(label: str, expected: tuple[str, ...]) -> None:
    assert words.split_words(label) == expected


@given(LABELS)
def test_split_words_covers_the_label(label: str) -> None:
    assert "".join(words.split_words(label)) == label.replace("-", "")


def test_plural() -> None:
    out = {t for t, _ in words.plural("kestrelsystems")}
    assert {"kestrelsystem", "kestrelssystems"} <= out
    assert "kestrelsystems" in {t for t, _ in words.plural("kestrelsystem")}
    assert "companies" in {t for t, _ in words.plural("company")}
    assert "boxes" in {t for t, _ in words.plural("box")}
    assert "banksofamerica" in {t for t, _ in words.plural("bankofamerica")}
    scores = dict(words.plural("bankofamerica"))
    assert scores["banksofamerica"] > scores["bsankofamerica"]  # a word end reads naturally


def test_soundalike() -> None:
    out = {t for t, _ in words.soundalike("youtube")}
    assert {"yewtube", "utube", "ewetube"} <= out
    assert "4ever" in {t for t, _ in words.soundalike("forever")}
    assert "go2school" in {t for t, _ in words.soundalike("gotoschool")}
    assert "fone" in {t for t, _ in words.soundalike("phone")}


def test_keyword() -> None:
    out = {t for t, _ in words.keyword("facebook", words.keyword_weights().items())}
    assert {"facebook-login", "securefacebook", "facebooksupport"} <= out
    assert words.builtin_keywords() == tuple(words.keyword_weights())
    weights = words.keyword_weights()
    assert weights["login"] == 1.0  # one of the ten most common (Akamai 2023)
    assert weights["portal"] == rank.KEYWORD_OTHER
    assert "uk" not in weights  # country codes are the country-code technique's
    assert 40 <= len(weights) <= 100
    made = dict(words.keyword("acme", (("zzz", 0.5),)))
    fused = 0.5 * rank.FUSED
    assert made == {"zzz-acme": 0.5, "zzzacme": fused, "acme-zzz": 0.5, "acmezzz": fused}
    # A letter both share, written once (paypalogin.com, WIPO D2014-1629), at either end.
    shared = dict(words.keyword("paypal", (("login", 1.0), ("shop", 1.0), ("lo", 1.0))))
    assert shared["paypalogin"] == pytest.approx(rank.FUSED * rank.SHARED_LETTER)
    assert shared["shopaypal"] == pytest.approx(rank.FUSED * rank.SHARED_LETTER)
    assert "paypalogin" not in dict(words.keyword("paypal", (("signin", 1.0),)))
    assert "paypalo" not in shared  # not for a two-letter word


def test_word_swap() -> None:
    assert "systemskestrel" in {t for t, _ in words.word_swap("kestrelsystems")}
    assert "bank-my" in {t for t, _ in words.word_swap("my-bank")}
    assert "americaofbank" in {t for t, _ in words.word_swap("bankofamerica")}
    # Words the list does not know are turned around anyway, ranked low: joebrand -> brandjoe.
    assert dict(words.word_swap("army")) == {"myar": rank.ROTATION}
    swaps = list(words.word_swap("joebrand"))
    assert ("brandjoe", 1.0) in swaps  # "brand" is a known word, "joe" the unknown run before it
    assert ("andjoebr", rank.ROTATION) in swaps


@given(st.text(alphabet="abcdefghij", min_size=1, max_size=14))
def test_word_swap_keeps_the_letters(label: str) -> None:
    for text, factor in words.word_swap(label):
        assert sorted(text.replace("-", "")) == sorted(label.replace("-", ""))
        assert 0 < factor <= 1


def test_boundaries() -> None:
    assert words.boundaries("bankofamerica") == frozenset({4, 6})
    assert words.boundaries("my-bank") == frozenset({3})
