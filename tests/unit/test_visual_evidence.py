"""The visual verdict as a fact of a scan (``Evidence.visual``): kept through the codec (and absent
from older scans), weighed by scoring, carried by every export, its pictures kept on a shelf, and
shown by the report as thumbnails."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike import codec, config, export, report
from lookalike.errors import LookalikeError
from lookalike.model import (
    Evidence,
    FaviconMatch,
    Finding,
    MailRoute,
    Outcome,
    Owner,
    Status,
    Verdict,
    VisualFacts,
    skipped,
)
from lookalike.scoring import WEIGHTS
from lookalike.screenshots import Pictures, Shelf, is_sha, png_from_data_uri, shelf_for
from tests import factories as fx

_text = st.text(st.characters(codec="utf-8"), max_size=60)
_shas = st.from_regex(r"[0-9a-f]{64}", fullmatch=True) | st.just("")
_facts = st.builds(
    VisualFacts,
    verdict=st.sampled_from(list(Verdict)),
    reason=_text,
    phash_distance=st.none() | st.integers(0, 64),
    dhash_distance=st.none() | st.integers(0, 64),
    favicon_match=st.sampled_from(list(FaviconMatch)),
    favicon_mmh3=st.none() | st.integers(-(2**31), 2**31 - 1),
    favicon_sha256=_shas,
    text_similarity=st.none() | st.floats(0, 1),
    brand=st.booleans(),
    password=st.booleans(),
    screenshot=_shas,
    reference=_shas,
)
_outcomes = st.builds(
    Outcome,
    status=st.sampled_from([Status.OK, Status.TIMEOUT, Status.REFUSED, Status.ERROR]),
    value=_facts,
    detail=_text,
) | st.builds(Outcome, status=st.just(Status.SKIPPED), value=st.none(), detail=_text)


def live(visual: Outcome[VisualFacts], **changes: object) -> Finding:
    """A third party's live lookalike whose page got ``visual``."""
    return fx.finding(fx.candidate(), fx.evidence(mail=MailRoute.MX, visual=visual, **changes))  # type: ignore[arg-type]


# --- the store's codec ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(visual=_outcomes)
def test_evidence_with_a_verdict_round_trips_through_the_codec(visual: Outcome[VisualFacts]) -> None:
    evidence = fx.evidence(mail=MailRoute.MX, visual=visual)
    text = json.dumps(codec.encode(evidence), ensure_ascii=False)
    assert codec.decode(Evidence, json.loads(text)) == evidence


def test_evidence_stored_before_screenshots_still_loads() -> None:
    evidence = fx.evidence(mail=MailRoute.MX, catch_all=True)
    older = codec.encode(evidence)
    del older["visual"]  # what every scan stored before --screenshot existed looks like
    loaded: Evidence = codec.decode(Evidence, older)
    assert loaded == evidence
    assert loaded.visual == skipped()


# --- scoring ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "favicon", "weights"),
    [
        (Verdict.CLONE, FaviconMatch.EXACT, ("clone",)),
        (Verdict.CLONE, FaviconMatch.MISSING, ("clone",)),
        (Verdict.SIMILAR, FaviconMatch.EXACT, ("similar-page", "our-favicon")),
        (Verdict.SIMILAR, FaviconMatch.DIFFERENT, ("similar-page",)),
        (Verdict.DIFFERENT, FaviconMatch.SIMILAR, ("our-favicon",)),
        (Verdict.DIFFERENT, FaviconMatch.MISSING, ()),
        (Verdict.UNKNOWN, FaviconMatch.MISSING, ()),
    ],
)
def test_the_page_adds_its_weights(verdict: Verdict, favicon: FaviconMatch, weights: tuple[str, ...]) -> None:
    looked = live(fx.visual_facts(verdict, favicon=favicon))
    plain = live(skipped())
    assert looked.score.points - plain.score.points == sum(WEIGHTS[w] for w in weights)
    added = [r for r in looked.score.reasons if r not in plain.score.reasons]
    assert len(added) == len(weights)
    for reason, weight in zip(added, weights, strict=True):
        assert reason.endswith(f"({WEIGHTS[weight]:+d})")
    if verdict is Verdict.CLONE:
        assert "its page is a copy of kestrelsystems.com's" in added[0]
        assert "pHash distance 2" in added[0]


def test_our_own_pages_add_nothing() -> None:
    ours = fx.finding(
        fx.candidate(),
        fx.evidence(mail=MailRoute.MX, ns=fx.PROTECTED_NS, visual=fx.visual_facts(Verdict.CLONE)),
    )
    assert ours.score.owner is Owner.OURS
    assert not any("copy of" in r for r in ours.score.reasons)
    home = live(fx.visual_facts(Verdict.CLONE), redirects_to_protected=True)
    assert not any("copy of" in r or "favicon" in r for r in home.score.reasons)


def test_a_clone_of_our_sign_in_page_is_critical() -> None:
    # A new third-party name with a login form and no mail at all: the page is what makes it urgent.
    cand = fx.candidate(plausibility=0.5)
    page = fx.evidence(mail=MailRoute.NONE, login_form=True, created_days_ago=200)
    without = fx.finding(cand, page)
    clone = fx.finding(cand, replace(page, visual=fx.visual_facts(Verdict.CLONE)))
    assert clone.score.level.rank < without.score.level.rank
    assert clone.score.points == without.score.points + WEIGHTS["clone"]


# --- exports ----------------------------------------------------------------------------------------


def test_the_json_visual_object() -> None:
    rec = export.finding_record(live(fx.visual_facts(Verdict.CLONE)))
    visual = rec["visual"]
    assert visual["verdict"] == "clone"
    assert visual["phash_distance"] == 2
    assert visual["favicon_match"] == "exact"
    assert visual["screenshot"] == f"{fx.SCREENSHOT}.png"  # named by its hash when nobody says where
    assert visual["screenshot_sha256"] == fx.SCREENSHOT
    assert visual["reference_sha256"] == fx.REFERENCE_SHOT
    assert visual["outcome"] == "ok"
    named = export.finding_record(live(fx.visual_facts()), lambda sha: f"screenshots/{sha[:4]}.png")
    assert named["visual"]["screenshot"] == "screenshots/5555.png"
    assert named["visual"]["reference_screenshot"] == "screenshots/7777.png"
    off = export.finding_record(live(skipped("screenshots are off (--screenshot)")))["visual"]
    assert off["outcome"] == "skipped" and off["verdict"] is None and off["screenshot"] is None


@settings(max_examples=60, deadline=None)
@given(visual=_outcomes)
def test_the_scan_json_round_trips_the_verdict(visual: Outcome[VisualFacts]) -> None:
    findings = [live(visual), fx.hostile_finding()]
    result = fx.scan_result(findings)
    again = export.load_document(json.loads(export.dumps(result)))
    assert again.findings[0].evidence.visual == visual
    assert again.findings == result.findings


def test_a_scan_json_written_before_screenshots_loads() -> None:
    result = fx.scan_result(fx.sample_findings())
    document = json.loads(export.dumps(result))
    for rec in document["findings"]:
        del rec["visual"]
    assert export.load_document(document).findings == result.findings


def test_csv_jsonl_and_cef_carry_the_verdict() -> None:
    result = fx.scan_result([live(fx.visual_facts(Verdict.SIMILAR)), live(skipped())])
    rows = list(csv.DictReader(io.StringIO(export.to_csv(result.findings))))
    assert [r["visual"] for r in rows] == ["similar", ""]
    lines = [json.loads(line) for line in export.to_jsonl(result).splitlines()]
    assert lines[0]["visual"]["verdict"] == "similar"
    assert lines[1]["visual"]["verdict"] is None
    cef = export.to_cef(result).splitlines()
    assert f" {export.CEF_VISUAL}=similar" in cef[0]
    assert export.CEF_VISUAL not in cef[1]


def test_screenshot_links_are_read_back_from_a_document() -> None:
    result = fx.scan_result([live(fx.visual_facts())])
    document = json.loads(export.dumps(result, screenshots=lambda sha: f"s/{sha}.png"))
    assert export.screenshot_links(document) == {
        fx.SCREENSHOT: f"s/{fx.SCREENSHOT}.png",
        fx.REFERENCE_SHOT: f"s/{fx.REFERENCE_SHOT}.png",
    }
    assert export.screenshot_links({"findings": [{"visual": "nonsense"}, 3]}) == {}


# --- the shelf -------------------------------------------------------------------------------------


def picture(seed: int, size: tuple[int, int] = (640, 400)) -> bytes:
    image_module = pytest.importorskip("PIL.Image")
    image = image_module.new("RGB", size, (seed * 37 % 256, 120, 200))
    for x in range(0, size[0], 40):
        image.paste((seed % 256, x % 256, 30), (x, 40, x + 20, 120))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_shelf_keeps_a_picture_once_with_its_thumbnail(tmp_path: Path) -> None:
    shelf = Shelf(tmp_path / "screenshots")
    png = picture(1)
    sha = shelf.put(png)
    assert is_sha(sha)
    assert shelf.png(sha) == png
    assert shelf.path(sha).name == f"{sha}.png"
    thumb = shelf.thumb(sha)
    assert thumb is not None and thumb[:4] == b"RIFF" and thumb[8:12] == b"WEBP"
    before = shelf.path(sha).stat().st_mtime_ns
    assert shelf.put(png) == sha
    assert shelf.path(sha).stat().st_mtime_ns == before
    assert sorted(p.name for p in shelf.directory.iterdir()) == [f"{sha}.png", f"{sha}.thumb.webp"]


def test_a_shelf_reads_only_what_its_names_say(tmp_path: Path) -> None:
    shelf = Shelf(tmp_path / "screenshots")
    sha = shelf.put(picture(2))
    other = shelf.put(picture(3))
    for name in ("../../etc/passwd", "", "A" * 64, sha + "x"):
        assert shelf.png(name) is None and shelf.thumb(name) is None
    shelf.path(other).write_bytes(shelf.path(sha).read_bytes())  # a file that is not what its name says
    assert shelf.png(other) is None
    with pytest.raises(ValueError, match="PNG"):
        shelf.put(b"GIF89a not a screenshot")


def test_a_shelf_that_cannot_be_written_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text("a file, not a directory")
    with pytest.raises(LookalikeError, match="cannot keep a screenshot in"):
        Shelf(tmp_path / "report.html" / "screenshots").put(picture(4))


def test_documents_name_pictures_relative_to_themselves_or_inline(tmp_path: Path) -> None:
    shelf = shelf_for(tmp_path / "reports" / "scan.html")
    sha = shelf.put(picture(5))
    files = Pictures([shelf])
    assert files.link(sha, tmp_path / "reports" / "scan.json") == f"screenshots/{sha}.png"
    assert files.link(sha, tmp_path / "json" / "scan.json") == f"../reports/screenshots/{sha}.png"
    assert files.link("0" * 64, tmp_path / "scan.json") is None
    inline = Pictures([shelf], inline=True)
    uri = inline.link(sha, tmp_path / "scan.json")
    assert uri is not None and uri.startswith("data:image/png;base64,")
    assert png_from_data_uri(uri) == shelf.png(sha)
    assert Pictures(loose={sha: png_from_data_uri(uri) or b""}).png(sha) == shelf.png(sha)
    thumb = files.thumbnail(sha)
    assert thumb is not None and thumb.startswith("data:image/webp;base64,")
    assert files.picture(sha) is not None and files.thumbnail("") is None


@pytest.mark.parametrize(
    "text",
    [
        "data:image/gif;base64,R0lGODlh",
        "data:image/png;base64,not base64!",
        "data:image/png;base64," + base64.b64encode(b"GIF89a").decode(),
        "https://evil.example/x.png",
    ],
)
def test_only_an_inline_png_is_read_from_a_document(text: str) -> None:
    assert png_from_data_uri(text) is None


# --- the report ------------------------------------------------------------------------------------


def page_scan(payload: str = "") -> tuple[list[Finding], Pictures]:
    ours, theirs = picture(10), picture(11)
    pictures = Pictures(loose={_sha(ours): ours, _sha(theirs): theirs})
    facts = fx.visual_facts(
        Verdict.CLONE,
        reason=payload or "looks like kestrelsystems.com",
        screenshot=_sha(theirs),
        reference=_sha(ours),
    )
    findings = [
        live(facts, title=payload or "Sign in"),
        live(fx.visual_facts(Verdict.UNKNOWN, reason="blank page", screenshot="")),
        fx.finding(fx.candidate("kestrelsystems.cm"), fx.evidence(mail=MailRoute.MX)),
    ]
    return findings, pictures


def _sha(png: bytes) -> str:
    import hashlib

    return hashlib.sha256(png).hexdigest()


def test_the_report_shows_thumbnails_as_data_uris() -> None:
    findings, pictures = page_scan()
    html = report.render(fx.scan_result(findings), pictures=pictures, generated_at=fx.NOW)
    assert 'class="c-page"' in html and 'id="f-visual"' in html and 'id="page-view"' in html
    thumbs = re.findall(r'<img class="thumb" src="(data:image/webp;base64,[A-Za-z0-9+/=]+)"', html)
    assert len(thumbs) == 1  # one rendered page with a picture; the blank one has its verdict only
    assert 'loading="lazy" decoding="async"' in html
    assert re.search(
        r'<img data-shot="[0-9a-f]{64}" data-protected="kestrelsystems.com" src="data:image/webp', html
    )
    assert "img-src data:;" in html and ' data-full="' not in html
    assert html.count('class="verdict') == 2
    inline = report.render(
        fx.scan_result(findings), pictures=Pictures(pictures.shelves, inline=True, loose=pictures.loose)
    )
    assert 'data-full="data:image/webp;base64,' in inline


def test_a_report_without_screenshots_has_no_page_column() -> None:
    html = report.render(fx.scan_result(fx.sample_findings()), generated_at=fx.NOW)
    assert 'class="c-page"' not in html and 'id="f-visual"' not in html and "<img" not in html


def test_hostile_text_beside_a_thumbnail_is_inert() -> None:
    payload = fx.HOSTILE[0]
    findings, pictures = page_scan(payload)
    html = report.render(fx.scan_result(findings), pictures=pictures, generated_at=fx.NOW)
    assert payload not in html
    assert "&lt;script&gt;" in html or "\\u003cscript" in html


def test_the_page_card_and_the_sort_key() -> None:
    findings, _ = page_scan()
    view = report.build_view(fx.scan_result(findings), generated_at=fx.NOW)
    data = report.script_data(view)
    column = data["columns"].index("visual")
    ranks = sorted(row[column] for row in data["rows"])
    assert ranks == [0, 2, 4]  # clone, unknown, not rendered
    cards = [c for row in view.rows for c in report.detail_cards(row) if c["t"] == "Page"]
    assert len(cards) == 2
    pairs = dict(cards[0]["i"][0][1]) if cards[0]["i"] else {}
    assert pairs.get("Verdict") in ("clone", "unknown")


# --- configuration ---------------------------------------------------------------------------------


def test_screenshots_in_the_config_file() -> None:
    loaded = config.from_mapping({"scan": {"screenshot": True, "inline_images": True}})
    assert loaded.screenshot and loaded.inline_images
    assert not config.Settings().screenshot
    with pytest.raises(LookalikeError, match="screenshot"):
        config.from_mapping({"scan": {"screenshot": "yes"}})
    limits = config.from_mapping({"limits": {"screenshot_pages": 2, "screenshot_timeout": 5}}).limits
    assert (limits.screenshot_pages, limits.screenshot_timeout) == (2, 5.0)


# --- the demo's pages ------------------------------------------------------------------------------


def test_a_demo_site_of_files_serves_its_own_first_then_kestrels() -> None:
    from lookalike.demo.http_server import Site
    from lookalike.demo.universe import sites, universe_dir

    web = universe_dir() / "web"
    clone = Site.directory(web / "clone", web / "kestrel")
    index = clone.file("/")
    assert index is not None and index[0].startswith("text/html") and b"/owa/auth.php" in index[1]
    assert clone.file("/owa/?user=x") == index  # a path that names no file: the page itself
    css = clone.file("/static/portal.css")
    assert css is not None and css == (
        "text/css; charset=utf-8",
        (web / "kestrel/static/portal.css").read_bytes(),
    )
    assert clone.file("/static/missing.png") is None and clone.file("/../universe.toml") is None
    now, before = sites("now"), sites("previous")
    assert now["kestre1systems.com"].kind == "files" and before["kestre1systems.com"].kind == "parked"
