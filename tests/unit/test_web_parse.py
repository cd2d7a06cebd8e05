"""The web probe's pure readers: titles, login forms, meta refresh, parking signs, certificates."""

from __future__ import annotations

import time
import unicodedata
from datetime import UTC, datetime

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st

from lookalike.model import TlsFacts
from lookalike.web import (
    decode_body,
    extract_title,
    has_login_form,
    meta_refresh,
    on_protected,
    page_signals,
    parking,
    parking_host,
    parking_marker,
    parking_nameserver,
    script_redirect,
    start_tags,
    tls_facts,
    tls_notes,
    visible_text,
)


@pytest.mark.parametrize(
    ("page", "title"),
    [
        ("<html><head><title>Hello</title></head></html>", "Hello"),
        ("<TITLE lang=en>Upper</TITLE>", "Upper"),
        ("<title>\n   Lots \t of\n\n  space  </title>", "Lots of space"),
        ("<title>Fish &amp; Chips &#8211; &lt;b&gt;</title>", "Fish & Chips – <b>"),
        ('<title>A <script>alert("x")</script> B</title>', 'A <script>alert("x")</script> B'),
        ("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>", "<script>alert(1)</script>"),
        ("<!-- <title>commented</title> --><title>real</title>", "real"),
        ("<script>var t = '<title>in script</title>';</script><title>real</title>", "real"),
        ("<style>/* <title>x</title> */</style><title>real</title>", "real"),
        ("<title>first</title><title>second</title>", "first"),
        ("<titles>no</titles><title>yes</title>", "yes"),
        ("<title>unclosed and then the page", "unclosed and then the page"),
        ("<p>no title at all</p>", ""),
        ("", ""),
        ("<title></title>", ""),
        ("<title>bell\x07 and\x1b[31m escape</title>", "bell and [31m escape"),
        ("<title>left\u202eright</title>", "leftright"),  # a bidi override is not kept (text.clean)
        ("<!-- never closed <title>x</title>", ""),
    ],
)
def test_extract_title(page: str, title: str) -> None:
    assert extract_title(page) == title


def test_title_is_capped() -> None:
    title = extract_title("<title>" + "x" * 10_000 + "</title>", limit=50)
    assert len(title) == 50
    assert title.endswith("…")


@given(st.text(max_size=300))
def test_title_is_always_plain_printable_text(text: str) -> None:
    title = extract_title(f"<title>{text}</title>")
    assert len(title) <= 200
    assert all(unicodedata.category(ch)[0] != "C" for ch in title)
    assert title == title.strip()
    assert "  " not in title


@pytest.mark.parametrize(
    ("page", "login"),
    [
        ('<form><input type="password" name="p"></form>', True),
        ("<INPUT TYPE=PASSWORD>", True),
        ("<input type=' Password '>", True),
        ('<form action="/login"><input name="u"></form>', True),
        ('<form id="signin-form"></form>', True),
        ('<form class="auth-box"></form>', True),
        ('<form action="/search"><input type="text" name="q"></form>', False),
        ('<a href="/login">Log in</a>', False),  # a link to a login page is not a login page
        ("<script>var f = '<input type=\"password\">';</script>", False),
        ("<!-- <input type=password> -->", False),
        ("<p>password reset instructions</p>", False),
        ("", False),
    ],
)
def test_has_login_form(page: str, login: bool) -> None:
    assert has_login_form(page) is login


@pytest.mark.parametrize(
    ("page", "target"),
    [
        ('<meta http-equiv="refresh" content="0; url=https://example.com/">', "https://example.com/"),
        ("<META HTTP-EQUIV=Refresh CONTENT=\"5;URL='/next'\">", "/next"),
        ('<meta http-equiv="refresh" content="0;url = http://a.example/x">', "http://a.example/x"),
        ('<meta http-equiv="refresh" content="0, https://b.example/">', "https://b.example/"),
        ('<meta http-equiv="refresh" content="30">', None),  # only reloads itself
        ('<meta name="description" content="0; url=https://x/">', None),
        ("<p>nothing</p>", None),
    ],
)
def test_meta_refresh(page: str, target: str | None) -> None:
    assert meta_refresh(page) == target


def test_start_tags_reads_attributes_and_skips_raw_text() -> None:
    page = (
        "<!-- <input type=password> --><FORM Action='/Log&amp;in' id=x checked>"
        "<script>'<meta http-equiv=refresh>'</script><input type=\"pass word\" value=a>b>"
    )
    tags = [(t.name, t.attrs) for t in start_tags(page)]
    assert tags == [
        ("form", {"action": "/Log&in", "id": "x", "checked": ""}),
        ("script", {}),
        ("input", {"type": "pass word", "value": "a"}),
    ]
    assert [t.name for t in start_tags(page, ("input",))] == ["input"]


def test_page_signals_in_one_pass() -> None:
    page = '<meta http-equiv="refresh" content="0;url=/next"><form><input type="password"></form>'
    assert page_signals(page).login_form
    assert page_signals(page).refresh == "/next"


@pytest.mark.parametrize(
    ("script", "target"),
    [
        ('window.location.href = "https://sedo.com/search?d=x";', "https://sedo.com/search?d=x"),
        ("location='/lander'", "/lander"),
        ('window.location="https://www.kestrelsystems.com/"', "https://www.kestrelsystems.com/"),
        ("document.location.href = 'http://a.example/'\n", "http://a.example/"),
        ("top.location.href='https:\\/\\/b.example\\/x'", "https://b.example/x"),  # JSON-style escapes
        ('self . location . replace( "https://c.example/" )', "https://c.example/"),
        ("window.location.assign('/next')", "/next"),
        ('if (x) { location.href = "/a"; } else { location.href = "/b"; }', "/a"),
        ('setTimeout(function(){ window.location.href = "/later"; }, 3000);', "/later"),
        ('location.href = "/s?q=" + encodeURIComponent(q);', None),  # not a whole literal
        ("location.href = target;", None),
        ('if (location.href == "/a") {}', None),
        ('var location = "/not-the-browser";', None),
        ('map.location = "/x";', None),
        ('mylocation = "/x";', None),
        ('location.hash = "#top";', None),
        ('location.href = "";', None),
        ('location.href = "a\\"b";', None),  # an escape we do not read
        ("var lander = 1;", None),
        ("", None),
    ],
)
def test_script_redirect(script: str, target: str | None) -> None:
    assert script_redirect(script) == target


@pytest.mark.parametrize(
    ("page", "count"),
    [
        ("<p>Hello &amp; welcome</p>", 13),
        ("<html><head><title>T</title><script>location='/x'</script></head><body></body></html>", 0),
        ("<noscript>Please enable JavaScript</noscript><script src=a.js></script>", 0),
        ("<style>p { color: red }</style><template><p>later</p></template>", 0),
        ("<!-- <p>commented</p> --> &nbsp; <br/> \u200b\u202e", 0),
        ("<textarea>typed</textarea>", 5),
        ("<!doctype html><?xml x?><p>a</p><p>b</p>", 2),
        ("text before <b>bold</b> and after", 22),
        ("1 < 2 and 3 > 2", 9),
        ("<p>unclosed <script>never closed", 8),
        ("<script>x</script >visible", 7),
        ("", 0),
    ],
)
def test_visible_text(page: str, count: int) -> None:
    assert visible_text(page) == count


@given(st.text(alphabet=st.characters(blacklist_characters="<&"), max_size=300))
def test_visible_text_of_plain_text_counts_what_shows(text: str) -> None:
    shown = sum(1 for ch in text if unicodedata.category(ch)[0] not in "CZ")
    assert visible_text(text) == shown
    assert visible_text(text, limit=5) == min(shown, 5)


def test_page_signals_counts_scripts_and_reads_the_first_redirect() -> None:
    page = (
        '<script src="/a.js"></script><script>var x = 1;</script>'
        "<script>location.replace('/first')</script><script>location='/second'</script>"
    )
    signals = page_signals(page)
    assert signals.scripts == 4
    assert signals.script_redirect == "/first"
    assert page_signals('<script src="x.js">location="/ignored"</script>').script_redirect is None


N = 512 * 1024


@pytest.mark.parametrize(
    "page",
    [
        "<" * N,
        "<b>" * (N // 3),
        "<a " * (N // 3),
        "<!--" * (N // 4),
        "<script></script>" * (N // 17),
        "<input type=text>" * (N // 17),
        "<title>" + "&amp;" * (N // 5),
        "<a" + "<" * N + ">",
        "</" * (N // 2),
        "<a " + "x=" * (N // 2) + ">",
        "<script>" + "location=" * (N // 9),
        "<script>" + 'location="' + "a" * N,
        "<script>location.replace(" + " " * N,
        "&" * N,
        "<textarea>" + "&#" * (N // 2),
    ],
    ids=[
        "lt", "tags", "open-tags", "comments", "scripts", "inputs", "title", "nested", "close", "attrs",
        "assignments", "long-string", "call", "ampersands", "entities",
    ],
)  # fmt: skip
def test_hostile_pages_are_read_in_bounded_time(page: str) -> None:
    # Linear and capped: a crafted 512 KiB page must not stall the event loop for long.
    started = time.process_time()
    page_signals(page)
    extract_title(page)
    parking_marker(page)
    visible_text(page)
    assert time.process_time() - started < 2.0


def test_parking_data_loads_and_is_normalised() -> None:
    data = parking()
    assert data.nameservers
    assert data.markers
    assert data.hosts
    for entry in (*data.nameservers, *data.hosts):
        assert entry == entry.lower().strip(".")
        assert "." in entry
    assert all(m == m.lower() for m in data.markers)


def test_parking_nameserver() -> None:
    assert parking_nameserver(["ns1.example.net", "NS2.SEDOPARKING.COM."]) == "NS2.SEDOPARKING.COM."
    assert parking_nameserver(["ns1.bodis.com"]) == "ns1.bodis.com"
    assert parking_nameserver(["ns1.notbodis.com", "bodis.com.evil.example"]) is None
    assert parking_nameserver([]) is None


def test_parking_marker() -> None:
    assert parking_marker("<p>This Domain May Be For Sale!</p>") == "this domain may be for sale"
    assert parking_marker('<script src="//www.google.com/adsense/domains/caf.js"></script>') is not None
    assert parking_marker("<p>Kestrel Systems: sales and support</p>") is None


def test_parking_host() -> None:
    assert parking_host("sedo.com")
    assert parking_host("www.dan.com")
    assert not parking_host("notsedo.com")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("kestrelsystems.com", True),
        ("www.kestrelsystems.com", True),
        ("WWW.KestrelSystems.com.", True),
        ("login.kestrel.example", True),
        ("kestrelsystems.com.evil.example", False),
        ("evilkestrelsystems.com", False),
        ("kestrelsystems.co", False),
    ],
)
def test_on_protected(host: str, expected: bool) -> None:
    assert on_protected(host, ("kestrelsystems.com", "kestrel.example", "")) is expected


def test_decode_body_uses_the_declared_charset() -> None:
    assert decode_body("café".encode("latin-1"), "text/html; charset=ISO-8859-1") == "café"
    assert decode_body("café".encode(), "text/html") == "café"
    assert decode_body(b"caf\xe9", None) == "caf\ufffd"
    assert decode_body(b"ok", "text/html; charset=no-such-codec") == "ok"


def _der(cert: trustme.LeafCert) -> bytes:
    pem = cert.cert_chain_pems[0].bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def test_tls_facts_from_a_real_certificate() -> None:
    ca = trustme.CA()
    facts = tls_facts(_der(ca.issue_cert("kestrelsytems.com", "*.kestrelsytems.com", "127.0.0.1")))
    assert facts.names == ("kestrelsytems.com", "*.kestrelsytems.com", "127.0.0.1")
    assert "trustme" in facts.subject
    assert "Testing CA" in facts.issuer
    assert facts.not_before is not None
    assert facts.not_before.tzinfo is not None


def test_tls_facts_from_garbage_never_raises() -> None:
    assert tls_facts(b"\x30\x03\x02\x01\x00").subject == "(unreadable certificate)"
    assert tls_facts(b"").subject == "(unreadable certificate)"


def test_tls_notes() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    good = TlsFacts(
        "CN=a", "CN=ca", datetime(2029, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC), ("*.a.example",)
    )
    assert tls_notes(good, "www.a.example", now) == []
    assert tls_notes(good, "a.example", now) == ["certificate does not name a.example"]
    assert tls_notes(good, "x.www.a.example", now) == ["certificate does not name x.www.a.example"]
    old = TlsFacts(
        "CN=a", "CN=a", datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC), ("a.example",)
    )
    assert tls_notes(old, "A.Example", now) == [
        "certificate expired 2021-01-01",
        "certificate is self-signed",
    ]
