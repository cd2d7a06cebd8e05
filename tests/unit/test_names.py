"""Input handling: every form people paste becomes one canonical name; bad input one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lookalike import names
from lookalike.errors import LookalikeError


@pytest.mark.parametrize(
    ("text", "ascii_name"),
    [
        ("army.mil", "army.mil"),
        ("ARMY.MIL.", "army.mil"),
        ("  Army.Mil  ", "army.mil"),
        ("user@army.mil", "army.mil"),
        ("https://army.mil/path?q=1#x", "army.mil"),
        ("http://user:pw@army.mil:8080/", "army.mil"),
        ("army.mil:25", "army.mil"),
        ("us.army.mil", "us.army.mil"),
        ("аррӏе.com", "xn--80ak6aa92e.com"),
        ("xn--80ak6aa92e.com", "xn--80ak6aa92e.com"),
        ("XN--80AK6AA92E.COM", "xn--80ak6aa92e.com"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("MÜNCHEN.DE", "xn--mnchen-3ya.de"),
        ("example。co。uk", "example.co.uk"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
    ],
)
def test_forms_normalise_to_one_canonical_name(text: str, ascii_name: str) -> None:
    assert names.parse(text).ascii == ascii_name


def test_split_uses_the_public_suffix_list() -> None:
    name = names.parse("mail.example.co.uk")
    assert (name.suffix, name.apex, name.brand, name.sub) == ("co.uk", "example.co.uk", "example", "mail")
    mil = names.parse("us.army.mil")
    assert (mil.suffix, mil.apex, mil.sub, mil.tld) == ("mil", "army.mil", "us", "mil")


def test_private_suffixes_are_handled_deliberately() -> None:
    name = names.parse("myorg.github.io")
    assert name.suffix == "github.io"
    assert name.apex == "myorg.github.io"
    assert name.private_suffix
    assert not names.parse("example.com").private_suffix


def test_unicode_form_is_kept_for_display() -> None:
    assert names.parse("xn--80ak6aa92e.com").unicode == "аррӏе.com"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("localhost", "two labels"),
        ("1.2.3.4", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("a..b.com", "empty label"),
        ("-bad.com", "letters, digits"),
        ("bad-.com", "letters, digits"),
        ("under_score.com", "'_'"),
        ("*.example.com", "'*'"),
        ("two words.com", "space"),
        ("example.notatld", "not a top-level domain"),
        ("x" * 64 + ".com", "longer than 63"),
        (("a" * 60 + ".") * 5 + "com", "longer than 253"),
        ("co.uk", "public suffix"),
        ("xn--zz.com", "not a valid internationalised"),
        ("exa mple.com", "space"),
    ],
)
def test_bad_input_gets_one_clear_error(text: str, fragment: str) -> None:
    with pytest.raises(LookalikeError) as info:
        names.parse(text)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_tld_list_is_the_iana_snapshot() -> None:
    tlds = names.tlds()
    assert len(tlds) > 1400
    assert {"com", "mil", "ml", "om", "co", "xn--p1ai"} <= tlds


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("army.ml", True),
        ("xn--80ak6aa92e.com", True),
        ("ab--cd.com", False),  # reserved R-LDH label
        ("a.b", False),
        ("-a.com", False),
        ("a-.com", False),
        ("com", False),
        ("a" * 64 + ".com", False),
        ("army.notatld", False),
        ("Army.ml", False),  # canonical form is lower case
    ],
)
def test_is_hostname(name: str, ok: bool) -> None:
    assert names.is_hostname(name) is ok


@given(
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["com", "mil", "co.uk"]),
)
def test_parse_is_idempotent(label: str, suffix: str) -> None:
    text = f"{label}.{suffix}"
    assume(label[2:4] != "--")
    assume(not names.is_public_suffix(text))  # the PSL's private section lists a few, e.g. x0.com
    once = names.parse(text)
    assert names.parse(once.ascii) == once
    assert names.parse(once.unicode) == once
    assert names.is_hostname(once.ascii)


def test_names_file(tmp_path: Path) -> None:
    path = tmp_path / "domains.txt"
    path.write_text("# our names\narmy.mil\n\nuser@navy.mil  # mail domain\n", encoding="utf-8")
    assert names.read_names_file(path) == ["army.mil", "user@navy.mil"]


def test_empty_names_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("# nothing here\n\n", encoding="utf-8")
    with pytest.raises(LookalikeError, match="holds no domain names"):
        names.read_names_file(path)


def test_binary_names_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bin.txt"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(LookalikeError, match="not UTF-8"):
        names.read_names_file(path)


def test_missing_names_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LookalikeError, match="cannot read"):
        names.read_names_file(tmp_path / "nope.txt")


def test_parse_many_dedupes_in_order() -> None:
    parsed = names.parse_many(["b.com", "A.com", "https://b.com/", "a.com"])
    assert [n.ascii for n in parsed] == ["b.com", "a.com"]
