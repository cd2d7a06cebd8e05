"""`--screenshot` through the whole pipeline: a scan of the loopback universe (the demo's pages: a copy
of Kestrel's sign-in page, a re-skin, its logo alone, a blank page, parked pages, a redirect home)
in Debian's headless Chromium, the verdicts and points it gave, the scan JSON and the screenshots
next to the report, the report in a browser, and the report re-rendered from the JSON. One scan for
the module; the report opens in the module's Playwright Chromium."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lookalike import report, saved
from lookalike.demo.universe import running
from lookalike.model import Finding, Status, Verdict
from lookalike.schedule import JobOutcome, ScheduledScan
from lookalike.screenshots import saved_pictures
from tests.fixtures.report import BrowserPage
from tests.integration.test_scan import TECHNIQUES  # the techniques that make the universe's names

pytestmark = pytest.mark.browser

THUMB = re.compile(r'<img class="thumb" src="data:image/webp;base64,')


@dataclass(frozen=True)
class Scanned:
    tmp: Path
    job: JobOutcome

    @property
    def report(self) -> Path:
        return self.tmp / "reports" / "scan.html"

    @property
    def json(self) -> Path:
        return self.tmp / "scan.json"

    def by_name(self) -> dict[str, Finding]:
        return {f.candidate.domain: f for f in self.job.run.result.findings}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    from lookalike.browser.chromium import CHROMIUM

    if not CHROMIUM.is_file():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (make test installs it)")
    pytest.importorskip("imagehash", reason="the visual extra is not installed (make test installs it)")
    tmp = tmp_path_factory.mktemp("screenshot-scan")
    with running("now") as universe:
        settings = universe.settings(
            report=tmp / "reports" / "scan.html", json=tmp / "scan.json", screenshot=True, plan_top=0
        )
        settings = dataclasses.replace(
            settings, generate=dataclasses.replace(settings.generate, techniques=TECHNIQUES)
        )
        yield Scanned(tmp, ScheduledScan(settings, store=False, synthetic=True).run())


def test_each_page_gets_its_verdict(scanned: Scanned) -> None:
    found = scanned.by_name()
    expected = {
        "kestre1systems.com": Verdict.CLONE,  # an exact copy
        "kestrelsysterns.com": Verdict.CLONE,  # redirects to the copy
        "kestrelsystems-login.com": Verdict.CLONE,  # the same words and form in other colours
        "kestrelsystems.om": Verdict.SIMILAR,  # the logo and favicon alone
        "kestrel-systems.com": Verdict.SIMILAR,  # an unrelated business with the same name
        "kestrelmil.com": Verdict.UNKNOWN,  # a blank page
        "kestrel.ml": Verdict.DIFFERENT,  # parked
        "kestrelsytems.com": Verdict.DIFFERENT,  # redirects to kestrelsystems.com itself
    }
    for domain, verdict in expected.items():
        visual = found[domain].evidence.visual
        assert visual.status is Status.OK, (domain, visual)
        assert visual.value is not None and visual.value.verdict is verdict, (domain, visual.value)
    blank = found["kestrelmil.com"].evidence.visual.value
    assert blank is not None and "blank page" in blank.reason
    assert found["kestrelsystems.cm"].evidence.visual.status is Status.SKIPPED  # no web page answered
    clone = found["kestre1systems.com"].score.reasons
    assert any("its page is a copy of kestrelsystems.com's" in r and r.endswith("(+30)") for r in clone)
    assert not any("copy" in r or "favicon" in r for r in found["kestrelsytems.com"].score.reasons)


def test_the_json_names_the_screenshots_next_to_the_report(scanned: Scanned) -> None:
    document = json.loads(scanned.json.read_text("utf-8"))
    records = {f["domain"]: f for f in document["findings"]}
    visual = records["kestre1systems.com"]["visual"]
    assert {"verdict", "phash_distance", "favicon_match", "screenshot"} <= visual.keys()
    assert visual["verdict"] == "clone" and visual["favicon_match"] == "exact"
    assert visual["phash_distance"] == 0
    for link, sha in (("screenshot", "screenshot_sha256"), ("reference_screenshot", "reference_sha256")):
        assert visual[link] == f"reports/screenshots/{visual[sha]}.png"
        picture = scanned.tmp / visual[link]
        assert hashlib.sha256(picture.read_bytes()).hexdigest() == visual[sha]
    assert records["kestrelsystems.cm"]["visual"]["verdict"] is None
    assert ("screenshots", "on (4 at once, 10 s each)") in [tuple(s) for s in document["scan"]["settings"]]


def test_the_report_shows_every_page_and_opens_it_beside_ours(
    scanned: Scanned, browser_page: BrowserPage
) -> None:
    html = scanned.report.read_text("utf-8")
    shots = [
        f.evidence.visual.value.screenshot for f in scanned.job.run.result.findings if f.evidence.visual.value
    ]
    assert len(THUMB.findall(html)) == sum(1 for shot in shots if shot)
    browser_page.open(scanned.report)
    page = browser_page.page
    assert browser_page.requests == [scanned.report.resolve().as_uri()]
    page.select_option("#f-visual", "alike")
    alike = sum(
        1
        for f in scanned.job.run.result.findings
        if f.evidence.visual.value and f.evidence.visual.value.verdict in (Verdict.CLONE, Verdict.SIMILAR)
    )
    assert alike >= 5
    expect(page.locator("#shown")).to_have_text(str(alike), timeout=5000)
    page.select_option("#f-visual", "")
    page.click('button[data-sort="page"]')
    first = page.locator("#findings-table tbody.finding").first
    expect(first.locator(".verdict")).to_have_text("clone")
    first.locator(".shot").click()
    expect(page.locator("#page-view")).to_be_visible()
    for image in ("#pv-theirs", "#pv-ours"):
        expect(page.locator(image)).to_be_visible()
        assert page.evaluate(f"document.querySelector('{image}').naturalWidth") > 0, image
    assert "kestrelsystems.com · the protected site" in (page.text_content("#pv-ours-cap") or "")
    page.click("#pv-close")
    expect(page.locator("#page-view")).to_be_hidden()
    assert browser_page.errors == [] and browser_page.dialogs == []
    assert browser_page.requests == [scanned.report.resolve().as_uri()]


def test_a_report_rendered_again_from_the_json_keeps_its_pictures(scanned: Scanned, tmp_path: Path) -> None:
    again = saved.load(scanned.json)
    pictures = saved_pictures(again.screenshots, again.source, [tmp_path / "again.html"])
    html = report.render(again.result, changes=again.changes, pictures=pictures, synthetic=again.synthetic)
    assert len(THUMB.findall(html)) == len(THUMB.findall(scanned.report.read_text("utf-8")))
