"""The pure visual judgement: hashes, Shodan's favicon hash, the served-HTML reader, and the verdict's
rules, checked on pictures drawn here (fresh for every example) rather than only the corpus."""

from __future__ import annotations

import base64
import io
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("imagehash", reason="the visual extra is not installed (make test installs it)")

from PIL import Image, ImageDraw

from lookalike import visual
from lookalike.model import Outcome, Status
from lookalike.visual import FaviconMatch, PageCapture, Served, Verdict, compare, served

PROTECTED = "kestrelsystems.com"
SIGN_IN = (
    "Sign in to Kestrel Systems. Use your Kestrel workforce account to reach flight telemetry, hangar "
    "schedules and payroll. Work email Password Keep me signed in Forgot your password?"
)


def png(draw: object = None, *, size: tuple[int, int] = (640, 400), background: str = "#ffffff") -> bytes:
    image = Image.new("RGB", size, background)
    if callable(draw):
        draw(ImageDraw.Draw(image))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def boxes(seed: int) -> bytes:
    """A page-like picture: a header bar and a few coloured boxes and lines, from a seed."""
    rng = random.Random(seed)

    def draw(d: ImageDraw.ImageDraw) -> None:
        d.rectangle((0, 0, 640, 40), fill=tuple(rng.randrange(256) for _ in range(3)))
        for _ in range(6):
            x, y = rng.randrange(560), rng.randrange(60, 360)
            d.rectangle(
                (x, y, x + rng.randrange(20, 200), y + rng.randrange(10, 80)),
                fill=rng.choice(("#222", "#c2410c", "#1d4ed8", "#16a34a")),
            )
        for _ in range(8):
            y = rng.randrange(60, 390)
            d.line((rng.randrange(300), y, rng.randrange(300, 640), y), fill="#444", width=3)

    return png(draw)


ICON = png(lambda d: d.polygon([(2, 24), (12, 6), (25, 3), (22, 24)], fill="#c2410c"), size=(32, 32))


def capture(**changes: object) -> PageCapture:
    base: dict[str, object] = {
        "url": "http://kestre1systems.com/",
        "final_url": "http://kestre1systems.com/",
        "status": 200,
        "title": "Sign in · Kestrel Systems",
        "text": SIGN_IN,
        "passwords": 1,
        "visible_password": True,
        "screenshot": boxes(1),
        "favicon": ICON,
    }
    base.update(changes)
    return PageCapture(**base)  # type: ignore[arg-type]


REFERENCE = capture(url="http://kestrelsystems.com/", final_url="http://kestrelsystems.com/")


def judge(page: PageCapture, reference: PageCapture = REFERENCE) -> visual.VisualFacts:
    return compare(Outcome(Status.OK, page), Outcome(Status.OK, reference), PROTECTED)


# --- hashes ----------------------------------------------------------------------------------------


def test_favicon_hash_is_murmur3_of_the_mime_base64_text() -> None:
    import mmh3

    data = bytes(range(256)) * 3
    text = base64.b64encode(data).decode()
    mime = "".join(text[i : i + 76] + "\n" for i in range(0, len(text), 76))
    assert visual.favicon_hash(data) == mmh3.hash(mime.encode())
    assert visual.favicon_hash(b"") == mmh3.hash(b"")
    assert -(2**31) <= visual.favicon_hash(data) < 2**31


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit written out from Austin Appleby's description, signed like mmh3."""
    c1, c2, mask = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF
    h = seed
    whole = len(data) // 4 * 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        h ^= (k * c2) & mask
        h = ((h << 13) | (h >> 19)) & mask
        h = (h * 5 + 0xE6546B64) & mask
    k = int.from_bytes(data[whole:], "little")
    if k or len(data) % 4:
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        h ^= (k * c2) & mask
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    h ^= h >> 16
    return h - 2**32 if h >= 2**31 else h


def test_murmur3_known_values() -> None:
    """A published value (mmh3's documentation), so a change of library cannot go unnoticed."""
    assert murmur3_32(b"") == visual.favicon_hash(b"") - visual.favicon_hash(b"") == 0
    assert murmur3_32(b"foo") == -156908512


@given(st.binary(max_size=600))
def test_favicon_hash_matches_an_independent_murmur3(data: bytes) -> None:
    assert visual.favicon_hash(data) == murmur3_32(base64.encodebytes(data))


@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_distance_counts_differing_bits(a: int, b: int) -> None:
    left, right = f"{a:016x}", f"{b:016x}"
    assert visual.distance(left, right) == bin(a ^ b).count("1")
    assert visual.distance(left, left) == 0
    assert visual.distance(left, "") is None


def test_fingerprint_of_a_capture() -> None:
    print_ = visual.fingerprint(capture())
    assert len(print_.screenshot) == 64
    assert len(print_.phash) == len(print_.dhash) == 16
    assert print_.ink > visual.BLANK_INK
    assert print_.favicon_mmh3 == visual.favicon_hash(ICON)
    assert print_.favicon_phash
    empty = visual.fingerprint(PageCapture(url="http://x.test/"))
    assert empty == visual.Fingerprint()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        png(size=(2048, 2048)),  # larger than a favicon may be decoded
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG header and nothing sensible
    ],
)
def test_unreadable_or_oversized_favicons_keep_their_exact_hash_only(data: bytes) -> None:
    print_ = visual.fingerprint(capture(favicon=data))
    assert print_.favicon_phash == ""
    if data:
        assert print_.favicon_mmh3 == visual.favicon_hash(data)


@pytest.mark.parametrize(
    "data",
    [
        b"not an image",
        b"<!doctype html><html><head><title>404</title></head><body>no icon here</body></html>",
        b"  <html><svg></svg></html>",
        b"RIFF\x00\x00\x00\x00WAVEfmt ",
    ],
)
def test_a_favicon_that_is_no_picture_is_no_favicon(data: bytes) -> None:
    """Many servers answer /favicon.ico with an HTML page: two such pages are not the same icon."""
    assert not visual.is_icon(data)
    print_ = visual.fingerprint(capture(favicon=data))
    assert (print_.favicon_sha256, print_.favicon_mmh3, print_.favicon_phash) == ("", None, "")


def test_pictures_are_icons() -> None:
    for data in (png(size=(16, 16)), b"\x00\x00\x01\x00\x01\x00", b"GIF89a", b"RIFF\x10\x00\x00\x00WEBPVP8 "):
        assert visual.is_icon(data), data[:12]
    assert visual.is_icon(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>')


# --- the served-HTML reader ----------------------------------------------------------------------


def test_served_reads_title_text_and_password_without_scripts() -> None:
    page = (
        "<html><head><title>Sign in &middot; Kestrel</title><style>.x{content:'hidden'}</style>"
        "<script>var s = '<input type=password>';</script></head>"
        "<body><!-- <p>commented</p> --><h1>Hello&nbsp;there</h1><p>World</p>"
        "<noscript>enable javascript</noscript><input TYPE='PassWord'></body></html>"
    )
    facts = served(page)
    assert facts.title == "Sign in · Kestrel"
    assert facts.text == "Hello there World"
    assert facts.password
    assert not served("<script>document.write('<input type=password>')</script>").password


def test_served_is_fast_on_crafted_pages() -> None:
    for page in (
        "<" * 1_000_000,
        "<script>" * 100_000,
        "<!--" * 200_000,
        "<a " * 300_000,
        "<title>" * 100_000,
    ):
        start = time.perf_counter()
        served(page)
        assert time.perf_counter() - start < 5, page[:10]


# --- the verdict ---------------------------------------------------------------------------------


def test_an_exact_copy_is_a_clone() -> None:
    facts = judge(capture())
    assert facts.verdict is Verdict.CLONE
    assert facts.phash_distance == 0
    assert facts.favicon_match is FaviconMatch.EXACT
    assert facts.text_similarity == 1.0
    assert facts.brand and facts.password
    assert facts.screenshot == facts.reference


def test_same_words_form_and_name_in_another_look_is_a_clone() -> None:
    facts = judge(capture(screenshot=boxes(2), favicon=b""))
    assert facts.phash_distance is not None and facts.phash_distance > visual.PHASH_CLONE
    assert facts.verdict is Verdict.CLONE, facts.reason


def test_our_favicon_alone_is_similar_and_nothing_of_ours_is_different() -> None:
    logo = capture(title="Coming soon", text="Coming soon", passwords=0, screenshot=boxes(3))
    assert judge(logo).verdict is Verdict.SIMILAR
    bakery = capture(
        title="Crumb & Co.",
        text="Sourdough and rye baked before dawn on Mill Street",
        passwords=0,
        screenshot=boxes(4),
        favicon=png(lambda d: d.ellipse((0, 0, 31, 31), fill="#16a34a"), size=(32, 32)),
    )
    facts = judge(bakery)
    assert facts.verdict is Verdict.DIFFERENT
    assert facts.favicon_match is FaviconMatch.DIFFERENT


@pytest.mark.parametrize("landed", ["https://kestrelsystems.com/", "https://login.kestrelsystems.com/sso"])
def test_a_page_that_ended_on_our_own_site_is_no_copy(landed: str) -> None:
    """A redirect to us renders our own site: the same picture, and no clone of anything."""
    facts = judge(capture(final_url=landed, screenshot=REFERENCE.screenshot))
    assert facts.verdict is Verdict.DIFFERENT
    assert "kestrelsystems.com's own site" in facts.reason
    assert facts.reference and facts.screenshot == facts.reference


def test_a_login_page_that_looks_like_ours_but_is_someone_elses_is_different() -> None:
    """Our colours and layout (the same picture), someone else's words: not ours."""
    other = capture(
        title="Sign in · Quillfeather Mail",
        text="Sign in to Quillfeather. Read your letters and inkwell notes. Email Password",
        favicon=b"",
    )
    facts = judge(other)
    assert facts.phash_distance == 0
    assert facts.verdict is Verdict.DIFFERENT, facts.reason


def test_a_parked_page_naming_itself_is_different() -> None:
    parked = capture(
        url="http://kestrel-systems.com/",
        final_url="http://kestrel-systems.com/",
        title="kestrel-systems.com",
        text="kestrel-systems.com This domain may be for sale. Make an offer.",
        passwords=0,
        screenshot=boxes(5),
        favicon=b"",
    )
    facts = judge(parked)
    assert facts.verdict is Verdict.DIFFERENT
    assert "parked" in facts.reason
    assert not facts.brand, "its own name is not our name"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"status": 404}, "HTTP 404"),
        ({"status": 503, "text": SIGN_IN}, "HTTP 503"),
        ({"text": "404 Not Found nginx", "title": "404 Not Found"}, "error page"),
        ({"screenshot": png()}, "blank"),
        ({"screenshot": png(background="#c2410c")}, "blank"),
        ({"screenshot": b""}, "no screenshot"),
        (
            {
                "served": Served(title="x", text=SIGN_IN, password=True),
                "passwords": 0,
                "text": "Sunny Gardens",
                "title": "Gardens",
                "favicon": b"",
            },
            "cloaked",
        ),
        (
            {
                "automation_probed": True,
                "text": "Sunny Gardens hedges",
                "title": "Gardens",
                "passwords": 0,
                "favicon": b"",
            },
            "cloaked",
        ),
        (
            {
                "loaded": False,
                "text": "Sunny Gardens hedges",
                "title": "Gardens",
                "passwords": 0,
                "favicon": b"",
            },
            "loading",
        ),
    ],
)
def test_what_cannot_be_judged_is_unknown(changes: dict[str, object], why: str) -> None:
    facts = judge(capture(**changes))
    assert facts.verdict is Verdict.UNKNOWN
    assert why in facts.reason


@pytest.mark.parametrize("status", [Status.TIMEOUT, Status.REFUSED, Status.ERROR, Status.SKIPPED])
def test_no_picture_is_unknown_and_so_is_a_reference_without_one(status: Status) -> None:
    nothing: Outcome[PageCapture] = Outcome(status, None, "why")
    assert compare(nothing, Outcome(Status.OK, REFERENCE), PROTECTED).verdict is Verdict.UNKNOWN
    facts = compare(Outcome(Status.OK, capture()), nothing, PROTECTED)
    assert facts.verdict is Verdict.UNKNOWN
    assert "nothing to compare with" in facts.reason
    blank_ours = compare(
        Outcome(Status.OK, capture()), Outcome(Status.OK, capture(screenshot=png())), PROTECTED
    )
    assert blank_ours.verdict is Verdict.UNKNOWN


def test_blank_pages_are_never_alike() -> None:
    """The field's reference tool calls two blank pages 100% similar; here they are unknown."""
    for background in ("#ffffff", "#000000", "#c2410c"):
        blank = capture(screenshot=png(background=background), text="", title="")
        assert (
            compare(Outcome(Status.OK, blank), Outcome(Status.OK, blank), PROTECTED).verdict
            is Verdict.UNKNOWN
        )


words_ = st.lists(
    st.sampled_from(["alpha", "basalt", "cobalt", "dune", "ember", "fjord", "garnet", "heron"]),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), text=words_, status=st.sampled_from([400, 403, 404, 410, 500, 502, 503]))
def test_error_and_blank_pages_are_unknown_whatever_they_say(seed: int, text: list[str], status: int) -> None:
    page = capture(screenshot=boxes(seed), text=" ".join(text), status=status)
    assert judge(page).verdict is Verdict.UNKNOWN
    blank = capture(
        screenshot=png(background=random.Random(seed).choice(("#fff", "#123456", "#eee"))),
        text=" ".join(text),
    )
    assert judge(blank).verdict is Verdict.UNKNOWN


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(2, 10_000), text=words_, password=st.booleans())
def test_pages_with_nothing_of_ours_are_never_clone_or_similar(
    seed: int, text: list[str], password: bool
) -> None:
    stranger = capture(
        url="http://elsewhere.test/",
        final_url="http://elsewhere.test/",
        title=" ".join(text[:3]),
        text=" ".join(text),
        passwords=int(password),
        screenshot=boxes(seed),
        favicon=png(lambda d: d.rectangle((4, 4, 27, 27), fill="#0000ff"), size=(32, 32)),
    )
    assert judge(stranger).verdict in (Verdict.DIFFERENT, Verdict.UNKNOWN)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), text=words_)
def test_a_page_compared_with_itself_is_a_clone(seed: int, text: list[str]) -> None:
    page = capture(screenshot=boxes(seed), text=" ".join(text), title=" ".join(text[:2]))
    facts = compare(Outcome(Status.OK, page), Outcome(Status.OK, page), PROTECTED)
    assert facts.verdict is Verdict.CLONE
    assert facts.phash_distance == 0


def test_visual_facts_round_trip_through_the_codec() -> None:
    """What the scan will keep in its evidence: plain JSON, no bytes, back to the same value."""
    import json

    from lookalike.codec import decode, encode

    facts = judge(capture(screenshot=boxes(2)))
    data = json.loads(json.dumps(encode(facts)))
    assert {"verdict", "phash_distance", "favicon_match", "screenshot"} <= set(data)
    assert data["verdict"] == "clone" and data["favicon_match"] == "exact"
    assert decode(visual.VisualFacts, data) == facts
