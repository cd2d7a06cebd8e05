"""The one character policy for untrusted text: ``clean`` (storage), ``shown`` (display), JSON, CSV."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike.text import BLANK_LETTERS, clean, csv_cell, escape_json, is_hidden, mark, shown

# One example of every class the policy names, and what each cleaner does with it.
CLASSES = [
    # (character, what clean keeps, what shown shows on one line)
    ("\t", " ", " "),
    ("\n", " ", " "),
    ("\r", " ", " "),
    ("\x00", " ", "⟨U+0000⟩"),
    ("\x07", " ", "⟨U+0007⟩"),  # BEL
    ("\x1b", " ", "⟨U+001B⟩"),  # ESC
    ("\x7f", " ", "⟨U+007F⟩"),  # DEL
    ("\x85", " ", "⟨U+0085⟩"),  # NEL
    ("\x9b", " ", "⟨U+009B⟩"),  # CSI
    ("\u00a0", " ", " "),  # NBSP: white space
    ("\u3000", " ", " "),
    ("\u2028", " ", "⟨U+2028⟩"),
    ("\u2029", " ", "⟨U+2029⟩"),
    ("\u00ad", "", "⟨U+00AD⟩"),  # soft hyphen
    ("\u061c", "", "⟨U+061C⟩"),  # Arabic letter mark
    ("\u200b", "", "⟨U+200B⟩"),
    ("\u200c", "", "⟨U+200C⟩"),
    ("\u200d", "", "⟨U+200D⟩"),
    ("\u200e", "", "⟨U+200E⟩"),
    ("\u200f", "", "⟨U+200F⟩"),
    *((chr(c), "", mark(chr(c))) for c in range(0x202A, 0x202F)),
    *((chr(c), "", mark(chr(c))) for c in range(0x2066, 0x206A)),
    ("\u2060", "", "⟨U+2060⟩"),
    ("\ufeff", "", "⟨U+FEFF⟩"),
    ("\U000e0041", "", "⟨U+E0041⟩"),  # a tag character
    ("\u3164", "", "⟨U+3164⟩"),  # Hangul filler
    ("\u0378", "\ufffd", "⟨U+0378⟩"),  # unassigned
    ("\ue000", "\ufffd", "⟨U+E000⟩"),  # private use
    ("\ud800", "\ufffd", "⟨U+D800⟩"),  # a lone surrogate
]


@pytest.mark.parametrize(("ch", "stored", "displayed"), CLASSES)
def test_each_class_of_the_policy(ch: str, stored: str, displayed: str) -> None:
    assert clean(f"a{ch}b") == f"a{stored}b".replace("  ", " ")
    assert shown(f"a{ch}b") == f"a{displayed}b"
    assert is_hidden(ch) == (displayed.startswith("⟨") or ch == "\r")  # a lone CR is marked in lines


def test_lines_keep_their_layout_and_mark_the_rest() -> None:
    text = "220 a\r\n220-b\tc\x1b[2J\rd\u202e"
    assert shown(text, lines=True) == "220 a\n220-b\tc⟨U+001B⟩[2J⟨U+000D⟩d⟨U+202E⟩"
    assert shown(text) == "220 a 220-b c⟨U+001B⟩[2J d⟨U+202E⟩"


def test_limits_and_cuts() -> None:
    assert clean("x" * 50, 10) == "x" * 9 + "…"
    assert shown("x" * 50, 10) == "x" * 9 + "…"
    assert shown("x" * 50, 10, lines=True) == "x" * 10 + "…"
    assert shown("y" * 5000, 2000, lines=True).endswith("(cut at 2,000 characters)")
    assert shown(None) == ""
    assert clean("  a \n\n b  ") == "a b"


def test_ordinary_text_passes_unchanged() -> None:
    for text in ("kestrel.ml", "Sahel Names SARL", "аррӏе.com", "Zürich 東京 ☃", "v=spf1 -all"):
        assert clean(text) == text
        assert shown(text) == text
        assert shown(text, lines=True) == text


NEVER_STORED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@settings(max_examples=400)
@given(st.text(max_size=300), st.integers(1, 120))
def test_clean_keeps_one_visible_line(text: str, limit: int) -> None:
    kept = clean(text, limit)
    assert len(kept) <= limit
    assert all(unicodedata.category(ch) not in NEVER_STORED for ch in kept)
    assert all(ch == " " or unicodedata.category(ch) != "Zs" for ch in kept)
    assert not BLANK_LETTERS & set(kept)
    assert kept == kept.strip()
    assert "  " not in kept
    assert clean(kept, limit) == kept
    kept.encode("utf-8")  # no surrogate survives


@settings(max_examples=300)
@given(st.text(max_size=300), st.integers(1, 2000))
def test_clean_with_lines_keeps_the_layout_and_nothing_hidden(text: str, limit: int) -> None:
    kept = clean(text, limit, lines=True)
    assert len(kept) <= limit
    assert all(ch in "\t\n" or unicodedata.category(ch) not in NEVER_STORED for ch in kept)
    assert "\r" not in kept and not BLANK_LETTERS & set(kept)
    assert clean(kept, limit, lines=True) == kept
    kept.encode("utf-8")
    if len(text) <= limit:  # nothing cut: every line is there, in order
        assert kept.count("\n") == text.replace("\r\n", "\n").count("\n") + text.replace("\r\n", "").count(
            "\r"
        )


def test_clean_with_lines_reads_a_registry_answer() -> None:
    raw = "Domain: kestrel.ml\r\nRegistrar:\tOsprey\x1b[2J\u202e Names\rStatus: ok"
    assert clean(raw, lines=True) == "Domain: kestrel.ml\nRegistrar:\tOsprey [2J Names\nStatus: ok"
    assert clean("x" * 5000, 2000, lines=True).endswith("x … (cut at 2,000 characters)")


@settings(max_examples=400)
@given(st.text(max_size=300), st.booleans())
def test_shown_hides_nothing_and_acts_on_nothing(text: str, lines: bool) -> None:
    out = shown(text, lines=lines)
    assert not any(is_hidden(ch) for ch in out)
    assert all(ch in "\t\n" or unicodedata.category(ch) not in NEVER_STORED for ch in out)
    if not lines:
        assert "\n" not in out
        assert "\t" not in out
    out.encode("utf-8")
    # Nothing is dropped: every hidden character of the input is there, as its mark.
    for ch in set(text) - {"\r"}:
        if is_hidden(ch):
            assert mark(ch) in out


@settings(max_examples=300)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    ),
    st.sampled_from([None, 2]),
)
def test_escape_json_is_lossless_and_inert(value: object, indent: int | None) -> None:
    document = json.dumps(value, ensure_ascii=False, indent=indent)
    escaped = escape_json(document)
    assert json.loads(escaped) == value
    assert not any(is_hidden(ch) for ch in escaped)
    escaped.encode("utf-8")


def test_escape_json_of_an_escape_sequence() -> None:
    document = json.dumps({"t": "a\x9b[2J\u202e"}, ensure_ascii=False)
    assert escape_json(document) == '{"t": "a\\u009b[2J\\u202e"}'


@pytest.mark.parametrize("value", ["=1+1", " =1", "@SUM(A1)", "\t=1", "＝1"])
def test_csv_cell_quotes_formulas(value: str) -> None:
    assert csv_cell(value) == "'" + value
