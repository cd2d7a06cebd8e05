"""How alike two rendered pages are: perceptual hashes, favicons, words and forms, and one verdict.

PURE. Holds what a rendered page is (``PageCapture``, filled in by ``lookalike.browser``), its
fingerprint (``Fingerprint``: hashes of the screenshot and the favicon), the small pictures a report
shows (``thumbnail``) and the judgement of a lookalike's page against the protected site's
(``compare`` -> ``VisualFacts``, whose vocabulary lives in ``lookalike.model``), with four answers:

    Verdict
    ├── CLONE      our page: the same kind of form (a password field where ours has one), and it
    │              looks like ours with something of ours on it, or it says what ours says (half
    │              our distinctive words, a quarter with our favicon) under our name
    ├── SIMILAR    something of ours (brand words, our favicon, our wording, our assets) but not a clone
    ├── DIFFERENT  a page of its own (parked pages included), or our own site after a redirect
    └── UNKNOWN    nothing to judge: no picture (timeout, error, refused, a download), a blank or
                   error page, a page that did not finish loading, or one that hides what it is
                   from an automated browser (cloaking). Never "similar": a blank page is not 100%
                   like a blank page.

The favicon's exact hash is the one search engines for hosts use (Shodan's ``http.favicon.hash``:
MurmurHash3 x86 32-bit, seed 0, of the file's base64 text with a newline after every 76 characters
and at the end), and SHA-256.

Needs Pillow, ImageHash and mmh3 (the ``visual`` extra), imported when first used; ``require()``
says in one line what is missing. Must not: do I/O, trust a favicon's bytes (they are the page's:
sizes are checked before decoding), or say "similar" about a page it could not see.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
import tomllib
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lookalike.datafiles import data_path
from lookalike.errors import LookalikeError
from lookalike.model import FaviconMatch, Outcome, Verdict, VisualFacts
from lookalike.text import clean
from lookalike.web import on_protected, parking_marker, start_tags

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = [
    "BLANK_INK",
    "DHASH_CLONE",
    "FAVICON_NEAR",
    "MAX_TEXT",
    "PHASH_CLONE",
    "PICTURE",
    "THUMBNAIL",
    "FaviconMatch",
    "Fingerprint",
    "Form",
    "PageCapture",
    "Served",
    "Verdict",
    "VisualFacts",
    "compare",
    "distance",
    "error_phrase",
    "favicon_hash",
    "fingerprint",
    "is_icon",
    "require",
    "served",
    "text_similarity",
    "thumbnail",
    "words",
]

VISUAL = "visual.toml"

PHASH_CLONE = 10
"""Screenshot pHash distance (of 64 bits) up to which two pages look the same."""
DHASH_CLONE = 14
"""Screenshot dHash distance up to which two pages look the same (both hashes must agree)."""
TEXT_CLONE = 0.5
"""Share of distinctive words in common (Jaccard) from which a page says what ours says."""
TEXT_SIMILAR = 0.25
FAVICON_NEAR = 8
"""Favicon pHash distance up to which two icons are the same picture in another file."""
BLANK_INK = 0.002
"""Share of a screenshot's pixels away from its background below which a page is blank: nothing
drawn, or a few specks (a spinner, a lone dot). A small logo in low contrast is about 0.4%."""
INK_SIZE = (320, 200)
"""The screenshot is looked at this small for ink: thin strokes survive, noise averages out."""
INK_STEP = 16
"""How far (0..255, in one channel) a pixel must be from the background to count as ink."""
ERROR_TEXT = 400
"""Characters of visible text below which an error phrase makes a page an error page."""
MAX_ICON_PIXELS = 1024 * 1024
"""A favicon larger than this (width x height) is not decoded: it is the page's, and hostile."""
MAX_WORDS = 5000
THUMBNAIL = (320, 200)
"""The small picture of a screenshot a report shows in its table (at 128x80: sharp on a dense screen)."""
PICTURE = (640, 400)
"""The larger picture a report shows when a thumbnail is opened: the screenshot's own size."""

_WORD = re.compile(r"[^\W\d_]{3,}")
_SQUASH = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Form:
    """One ``<form>`` of a rendered page."""

    action: str = ""
    method: str = "get"
    inputs: tuple[str, ...] = ()
    """The type of each field, in order: ``email``, ``password``, ``hidden``, ``select`` ..."""


@dataclass(frozen=True, slots=True)
class Served:
    """What the page's HTML said before any script ran (the main document as it came)."""

    title: str = ""
    text: str = ""
    """Its text, tags, scripts and styles left out; cut to ``MAX_TEXT``."""
    password: bool = False
    """It has an ``<input type=password>``."""
    size: int = 0
    """Bytes of the document."""


@dataclass(frozen=True, slots=True)
class PageCapture:
    """One page as headless Chromium showed it. Everything in it but the screenshot is hostile text."""

    url: str
    """The address asked for."""
    final_url: str = ""
    """Where the browser ended up (after redirects and scripts)."""
    status: int | None = None
    """The HTTP status of the last main document; None when there was none (a ``data:`` page)."""
    title: str = ""
    text: str = ""
    """The visible text (``innerText``), cleaned and cut."""
    passwords: int = 0
    """Password fields in the rendered page."""
    visible_password: bool = False
    """One of them can be seen (not hidden, not zero-sized)."""
    forms: tuple[Form, ...] = ()
    served: Served = Served()
    screenshot: bytes = b""
    """PNG of the first screen (1280x800 CSS pixels), scaled to half."""
    favicon: bytes = b""
    """The favicon file as served; empty when there is none."""
    favicon_url: str = ""
    loaded: bool = True
    """False when the page's load event did not come in time: the picture may be unfinished."""
    automation_probed: bool = False
    """A script of the page read ``navigator.webdriver``: it asked whether a robot is looking."""
    popups: int = 0
    """Windows the page tried to open (none was kept)."""
    dialogs: int = 0
    """Alerts, confirms and prompts it showed (each dismissed)."""
    downloads: int = 0
    """Downloads it started (each refused)."""
    hosts: tuple[str, ...] = ()
    """``host:port`` of every connection made for the page, in order, without repeats."""
    refused: tuple[str, ...] = ()
    """Connections the gate refused, with why."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The hashes of one capture: small, JSON-ready, enough to compare without the pictures."""

    screenshot: str = ""
    """SHA-256 of the PNG, hex: the name its file gets next to a report."""
    phash: str = ""
    """64-bit perceptual (DCT) hash of the screenshot, hex."""
    dhash: str = ""
    """64-bit difference hash of the screenshot, hex."""
    ink: float = 0.0
    """Share of the screenshot's pixels away from its background colour: 0 for a blank page."""
    favicon_sha256: str = ""
    favicon_mmh3: int | None = None
    """Shodan's ``http.favicon.hash`` of the favicon."""
    favicon_phash: str = ""
    """Perceptual hash of the favicon; empty when it is not a picture Pillow reads (SVG)."""


# --- the optional libraries ------------------------------------------------------------------------


def require() -> None:
    """Raise ``LookalikeError`` (one line) unless the visual extra's libraries can be imported."""
    missing = []
    for module, package in (("PIL", "Pillow"), ("imagehash", "ImageHash"), ("mmh3", "mmh3")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        raise LookalikeError(f"screenshots need {', '.join(missing)}: pip install 'lookalike[visual]'")


# --- fingerprints ----------------------------------------------------------------------------------


def favicon_hash(data: bytes) -> int:
    """Shodan's favicon hash: signed MurmurHash3 (x86, 32-bit, seed 0) of the MIME base64 text."""
    import mmh3

    return int(mmh3.hash(base64.encodebytes(data)))


def fingerprint(capture: PageCapture) -> Fingerprint:
    """The hashes of a capture's screenshot and favicon (empty fields for what it lacks, and for a
    "favicon" that is not a picture: many servers answer ``/favicon.ico`` with an HTML page)."""
    shot = _screen(capture.screenshot) if capture.screenshot else ("", "", 0.0)
    icon = capture.favicon if is_icon(capture.favicon) else b""
    return Fingerprint(
        screenshot=hashlib.sha256(capture.screenshot).hexdigest() if capture.screenshot else "",
        phash=shot[0],
        dhash=shot[1],
        ink=shot[2],
        favicon_sha256=hashlib.sha256(icon).hexdigest() if icon else "",
        favicon_mmh3=favicon_hash(icon) if icon else None,
        favicon_phash=_icon(icon) if icon else "",
    )


_ICON_MAGIC = (b"\x89PNG", b"\x00\x00\x01\x00", b"\x00\x00\x02\x00", b"GIF8", b"\xff\xd8\xff", b"BM")


def is_icon(data: bytes) -> bool:
    """True when ``data`` starts like a picture: PNG, ICO/CUR, GIF, JPEG, WebP, BMP or SVG."""
    if data.startswith(_ICON_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return True
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<svg", b"<?xml", b"<!--")) and b"<svg" in head and b"<html" not in head


@lru_cache(maxsize=64)
def _screen(png: bytes) -> tuple[str, str, float]:
    """(pHash, dHash, ink) of a screenshot. Cached: the protected site's is compared many times."""
    import imagehash

    image = _open(png, limit=4096 * 4096)
    if image is None:
        return "", "", 0.0
    rgb = image.convert("RGB")
    return str(imagehash.phash(rgb)), str(imagehash.dhash(rgb)), _ink(rgb)


def _ink(image: Image) -> float:
    """Share of pixels more than a little away, in any channel, from the most common colour (the
    background). In colour, not grey: an orange logo on a brown page is not blank."""
    from PIL import Image as PILImage
    from PIL import ImageChops

    small = image.convert("RGB").resize(INK_SIZE)
    counted = small.getcolors(INK_SIZE[0] * INK_SIZE[1]) or [(1, (255, 255, 255))]
    background = max(counted, key=lambda entry: entry[0])[1]
    plain = PILImage.new("RGB", small.size, background if isinstance(background, tuple) else (255, 255, 255))
    difference = ImageChops.difference(small, plain)
    red, green, blue = difference.split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    away = sum(largest.histogram()[INK_STEP + 1 :])
    return round(away / (INK_SIZE[0] * INK_SIZE[1]), 4)


@lru_cache(maxsize=256)
def _icon(data: bytes) -> str:
    """Perceptual hash of a favicon drawn on white; ``""`` when it is not a picture Pillow reads."""
    import imagehash
    from PIL import Image as PILImage

    image = _open(data, limit=MAX_ICON_PIXELS)
    if image is None:
        return ""
    rgba = image.convert("RGBA")
    canvas = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
    canvas.alpha_composite(rgba)
    return str(imagehash.phash(canvas.convert("RGB")))


def _open(data: bytes, *, limit: int) -> Image | None:
    """Decode an image whose size is at most ``limit`` pixels; None for anything else."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            image = PILImage.open(io.BytesIO(data))
            width, height = image.size
            if width < 1 or height < 1 or width * height > limit:
                return None
            image.load()
            return image
    except (
        UnidentifiedImageError,
        PILImage.DecompressionBombError,
        PILImage.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        MemoryError,
    ):
        return None


def thumbnail(png: bytes, size: tuple[int, int] = THUMBNAIL, quality: int = 70) -> bytes:
    """A screenshot made small, as WebP: what a report shows (``THUMBNAIL`` in its table, ``PICTURE``
    when it is opened). ``b""`` when the bytes are not a picture of at most 4096x4096 pixels."""
    from PIL import Image as PILImage

    image = _open(png, limit=4096 * 4096)
    if image is None:
        return b""
    rgb = image.convert("RGB")
    rgb.thumbnail(size, PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, "WEBP", quality=quality, method=4)
    return out.getvalue()


def distance(a: str, b: str) -> int | None:
    """Bits that differ between two hex hashes of the same length; None when either is missing."""
    if not a or not b or len(a) != len(b):
        return None
    return (int(a, 16) ^ int(b, 16)).bit_count()


# --- words -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The generic words and error phrases from ``data/visual.toml``."""

    generic: frozenset[str]
    errors: tuple[str, ...]


@cache
def lexicon() -> Lexicon:
    """The word lists, loaded once (a refreshed copy in the user data dir wins over the snapshot)."""
    data = tomllib.loads(data_path(VISUAL).read_text("utf-8"))
    return Lexicon(
        generic=frozenset(str(w).lower() for w in data.get("generic", ())),
        errors=tuple(str(p).lower() for p in data.get("errors", ())),
    )


def words(text: str) -> frozenset[str]:
    """The distinctive words of ``text``: letters only, three or more, lower case, generic ones out."""
    generic = lexicon().generic
    found = {w for w in _WORD.findall(text[: MAX_WORDS * 16].lower()) if w not in generic}
    return frozenset(sorted(found)[:MAX_WORDS])


def text_similarity(a: str, b: str) -> float | None:
    """Jaccard similarity of the distinctive words of two texts; None when either has none."""
    left, right = words(a), words(b)
    if not left or not right:
        return None
    return round(len(left & right) / len(left | right), 3)


def error_phrase(text: str) -> str | None:
    """The error-page phrase in a short text, or None."""
    if len(text) >= ERROR_TEXT:
        return None
    lowered = " ".join(text.lower().split())
    return next((p for p in lexicon().errors if p in lowered), None)


MAX_TEXT = 20_000
_RAW = ("script", "style", "template", "noscript", "title", "textarea", "svg")


def served(page: str, size: int | None = None) -> Served:
    """What an HTML document says before scripts run: title, text, a password field.

    Walks forward through the text once (every step moves on), so a crafted page cannot make it slow.
    """
    title = ""
    password = False
    for tag in start_tags(page, ("input", "title")):
        if tag.name == "title" and not title:
            close = page.lower().find("</title", tag.end, tag.end + 4096)
            title = clean(html.unescape(page[tag.end : close if close >= 0 else tag.end + 1024]), 200)
        elif tag.name == "input" and tag.attrs.get("type", "").strip().lower() == "password":
            password = True
    return Served(title, _text(page), password, len(page.encode()) if size is None else size)


def _text(page: str) -> str:
    lowered = page.lower()
    parts: list[str] = []
    total = pos = 0
    end = len(page)
    while pos < end and total < MAX_TEXT:
        lt = page.find("<", pos)
        if lt < 0:
            parts.append(page[pos:])
            break
        parts.append(page[pos:lt])
        total += lt - pos
        if page.startswith("<!--", lt):
            close = page.find("-->", lt + 4)
            pos = end if close < 0 else close + 3
            continue
        gt = page.find(">", lt)
        if gt < 0:
            break
        name = lowered[lt + 1 : min(gt, lt + 12)].split(maxsplit=1)
        pos = gt + 1
        if name and name[0].rstrip("/") in _RAW:
            close = lowered.find("</" + name[0].rstrip("/"), pos)
            pos = end if close < 0 else close
        else:
            parts.append(" ")
    return clean(html.unescape("".join(parts)), MAX_TEXT)


# --- the verdict -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Brand:
    label: str
    """The protected domain's first label, squashed (``kestrelsystems``)."""
    title: frozenset[str]
    """Distinctive words of the protected site's title."""


def _brand(reference: PageCapture, protected: str) -> _Brand:
    label = _SQUASH.sub("", protected.lower().split(".")[0])
    return _Brand(label if len(label) >= 4 else "", words(reference.title))


def _brand_seen(brand: _Brand, text: str, own_host: str) -> bool:
    """True when the protected site's name, or every distinctive word of its title, is in ``text``.

    The page's own host name is taken out first: a parked ``kestrel-systems.com`` names itself.
    """
    lowered = text.lower()
    if own_host:
        for part in {own_host, own_host.split(".", maxsplit=1)[0]}:
            if len(part) >= 4:
                lowered = lowered.replace(part, " ")
    if brand.label and brand.label in _SQUASH.sub("", lowered):
        return True
    return bool(brand.title) and brand.title <= words(lowered)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _nothing_to_see(capture: PageCapture, print_: Fingerprint) -> str | None:
    """Why a capture cannot be judged (an error page, a blank page), or None."""
    if capture.status is not None and capture.status >= 400:
        return f"error page (HTTP {capture.status})"
    phrase = error_phrase(capture.text) or error_phrase(capture.title)
    if phrase is not None:
        return f"error page ({phrase!r})"
    if not capture.screenshot or not print_.phash:
        return "no screenshot"
    if print_.ink < BLANK_INK:
        return "blank page"
    return None


def _favicon(candidate: Fingerprint, reference: Fingerprint) -> FaviconMatch:
    if not candidate.favicon_sha256 or not reference.favicon_sha256:
        return FaviconMatch.MISSING
    if candidate.favicon_sha256 == reference.favicon_sha256:
        return FaviconMatch.EXACT
    near = distance(candidate.favicon_phash, reference.favicon_phash)
    if near is not None and near <= FAVICON_NEAR:
        return FaviconMatch.SIMILAR
    return FaviconMatch.DIFFERENT


def compare(candidate: Outcome[PageCapture], reference: Outcome[PageCapture], protected: str) -> VisualFacts:
    """The verdict on ``candidate``'s page against ``reference`` (the protected domain ``protected``)."""
    if not candidate.ok or candidate.value is None:
        return _say(VisualFacts(Verdict.UNKNOWN), f"no picture: {candidate.detail or candidate.status.value}")
    page = candidate.value
    page_print = fingerprint(page)
    facts = VisualFacts(
        Verdict.UNKNOWN,
        favicon_mmh3=page_print.favicon_mmh3,
        favicon_sha256=page_print.favicon_sha256,
        screenshot=page_print.screenshot,
        password=page.visible_password,
    )
    if not reference.ok or reference.value is None:
        why = reference.detail or reference.status.value
        return _say(facts, f"nothing to compare with: no picture of {protected} ({why})")
    ours = reference.value
    our_print = fingerprint(ours)
    facts = replace(facts, reference=our_print.screenshot)
    why_not_ours = _nothing_to_see(ours, our_print)
    if why_not_ours is not None:
        return _say(facts, f"nothing to compare with: {protected} shows a {why_not_ours}")
    landed = _host(page.final_url)
    if landed and on_protected(landed, [protected]):
        # A redirect to us: the picture is our own site, not a copy of it.
        return _say(facts, f"it is {protected}'s own site: the page ended on {landed}", Verdict.DIFFERENT)

    brand = _brand(ours, protected)
    own_host = _host(page.final_url or page.url)
    seen = _brand_seen(brand, f"{page.title} {page.text}", own_host)
    cloak = _cloaked(page, brand, own_host, seen)
    why_not = _nothing_to_see(page, page_print)
    if why_not is not None:
        return _say(facts, f"{why_not}; {cloak}" if cloak and why_not == "blank page" else why_not)

    text = text_similarity(f"{page.title} {page.text}", f"{ours.title} {ours.text}")
    facts = replace(
        facts,
        phash_distance=distance(page_print.phash, our_print.phash),
        dhash_distance=distance(page_print.dhash, our_print.dhash),
        favicon_match=_favicon(page_print, our_print),
        text_similarity=text,
        brand=seen,
    )
    marker = parking_marker(f"{page.title}\n{page.text}\n{page.served.text}")
    if marker is not None:
        return _say(facts, f"parked page ({marker!r})", Verdict.DIFFERENT)
    verdict, reason = _judge(page, ours, protected, facts)
    if verdict is Verdict.DIFFERENT and cloak:
        return _say(facts, cloak)
    if verdict is Verdict.DIFFERENT and not page.loaded:
        return _say(facts, "the page did not finish loading")
    return _say(facts, reason, verdict)


def _say(facts: VisualFacts, reason: str, verdict: Verdict = Verdict.UNKNOWN) -> VisualFacts:
    return replace(facts, verdict=verdict, reason=clean(reason, 300))


def _judge(page: PageCapture, ours: PageCapture, protected: str, facts: VisualFacts) -> tuple[Verdict, str]:
    """Clone, similar or different, and why, for two pages that can both be seen."""
    phash, dhash = facts.phash_distance, facts.dhash_distance
    text = facts.text_similarity or 0.0
    looks_same = phash is not None and phash <= PHASH_CLONE and dhash is not None and dhash <= DHASH_CLONE
    same_form = (page.passwords > 0) == (ours.passwords > 0)
    same_title = bool(words(page.title)) and words(page.title) == words(ours.title)
    our_icon = facts.favicon_match in (FaviconMatch.EXACT, FaviconMatch.SIMILAR)
    assets = sorted({h for h in _hosts(page.hosts) if on_protected(h, [protected])})
    ours_on_it = _signs(facts.brand, facts.favicon_match, text, assets)

    if same_form and looks_same and ours_on_it:
        return Verdict.CLONE, f"looks like {protected} (pHash distance {phash}); " + "; ".join(ours_on_it)
    says_same = text >= TEXT_CLONE or (text >= TEXT_SIMILAR and our_icon)
    if same_form and facts.brand and says_same and (ours.passwords > 0 or same_title or our_icon):
        form = "a password field, " if ours.passwords > 0 else ""
        return Verdict.CLONE, f"says what {protected} says: {form}" + "; ".join(ours_on_it)
    if ours_on_it:
        return Verdict.SIMILAR, "; ".join(ours_on_it)
    return Verdict.DIFFERENT, f"nothing of {protected} on it"


def _signs(brand: bool, icon: FaviconMatch, text: float, assets: Iterable[str]) -> list[str]:
    signs = []
    if brand:
        signs.append("our name on the page")
    if icon in (FaviconMatch.EXACT, FaviconMatch.SIMILAR):
        signs.append(f"{icon.value} favicon")
    if text >= TEXT_SIMILAR:
        signs.append(f"{text:.0%} of our words")
    assets = list(assets)
    if assets:
        signs.append(f"loads from {', '.join(assets[:3])}")
    return signs


def _hosts(hosts: Iterable[str]) -> Iterator[str]:
    for entry in hosts:
        host = entry.rsplit(":", 1)[0] if entry.count(":") == 1 or entry.startswith("[") else entry
        yield host.strip("[]").lower()


def _cloaked(page: PageCapture, brand: _Brand, own_host: str, seen: bool) -> str:
    """Why the page seems to show a robot something else than a person; ``""`` when it does not."""
    served_page = page.served
    hid: list[str] = []
    if served_page.password and page.passwords == 0:
        hid.append("a password field")
    if not seen and _brand_seen(brand, f"{served_page.title} {served_page.text}", own_host):
        hid.append("our name")
    if hid:
        return f"cloaked: its HTML has {' and '.join(hid)}, the rendered page does not"
    if page.automation_probed:
        return "cloaked: the page checked for an automated browser"
    return ""
