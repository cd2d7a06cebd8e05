"""Word slips: splitting, plurals, sound-alikes, keywords, word order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookalike.permute import words

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
    out = {t for t, _ in words.keyword("facebook", words.builtin_keywords())}
    assert {"betterfacebook", "facebook-login", "securefacebook", "myfacebook", "facebookmail"} <= out
    assert "login" in words.builtin_keywords()
    assert 40 <= len(words.builtin_keywords()) <= 100
    assert {t for t, _ in words.keyword("acme", ("zzz",))} == {"zzzacme", "zzz-acme", "acmezzz", "acme-zzz"}


def test_word_swap() -> None:
    assert "systemskestrel" in {t for t, _ in words.word_swap("kestrelsystems")}
    assert "bank-my" in {t for t, _ in words.word_swap("my-bank")}
    assert "americaofbank" in {t for t, _ in words.word_swap("bankofamerica")}
    assert list(words.word_swap("army")) == []


def test_boundaries() -> None:
    assert words.boundaries("bankofamerica") == frozenset({4, 6})
    assert words.boundaries("my-bank") == frozenset({3})
