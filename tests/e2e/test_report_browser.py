"""The report in a real browser (Debian's headless Chromium): it loads offline and without errors,
sorts, filters, opens its evidence view, and hostile text planted by a lookalike's holder never runs."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lookalike.model import (
    Availability,
    BlockEntry,
    Existence,
    Finding,
    HygieneAudit,
    HygieneFix,
    Level,
    MailRoute,
    Owner,
    PlanItem,
    Technique,
    Triage,
    TriageMark,
)
from lookalike.report import render
from tests import factories as fx
from tests.fixtures.report import BigReport, BrowserPage

pytestmark = pytest.mark.browser

ROWS = "#findings-table tbody.finding"
"""The rows on screen: the script keeps only those in the document (a page of the matches)."""


def findings() -> list[Finding]:
    hostile = [fx.hostile_finding(p, domain=f"kestre1systems{i}.com") for i, p in enumerate(fx.HOSTILE)]
    return fx.sample_findings() + hostile


def write_report(tmp_path: Path, items: list[Finding], name: str = "report.html") -> Path:
    payload = fx.HOSTILE[0]
    html = render(
        fx.scan_result(items),
        changes=fx.sample_changes(),
        triage={
            "kestrelsytems.com": TriageMark(
                "kestrelsytems.com", Triage.MALICIOUS, "reported to the registrar", "ana", fx.NOW
            ),
            "kestre1systems1.com": TriageMark("kestre1systems1.com", Triage.WATCH, payload, payload, fx.NOW),
        },
        plan=[
            PlanItem(
                1,
                "kestrelsystems.net",
                "kestrelsystems.net",
                fx.PROTECTED,
                (Technique.TLD_SWAP,),
                0.9,
                0.85,
                Availability.AVAILABLE,
                reason="a likely TLD slip; mail typos first",
            ),
            PlanItem(
                2,
                "kestrelsysterns.com",
                "kestrelsysterns.com",
                fx.PROTECTED,
                (Technique.HOMOGLYPH,),
                0.7,
                0.6,
                Availability.PROBABLY,
                reason=payload,
            ),
        ],
        audit=[
            HygieneAudit(
                "kestrelsystems.co",
                fx.PROTECTED,
                "same name servers as kestrelsystems.com",
                (
                    HygieneFix(
                        "null-mx",
                        "it accepts mail (MX mx1.kestrelsystems.com)",
                        "kestrelsystems.co. IN MX 0 .",
                    ),
                    HygieneFix("dmarc", payload, 'kestrelsystems.co. IN TXT "v=DMARC1; p=reject"'),
                ),
            ),
        ],
        blocklist=[
            BlockEntry(".ml", "army.mil", "a one-letter slip of .mil", whole_tld=True),
            BlockEntry("kestrelsytems.com", fx.PROTECTED, payload),
        ],
        synthetic=True,
        generated_at=fx.NOW,
    )
    path = tmp_path / name
    path.write_text(html, "utf-8")
    return path


def texts(browser: BrowserPage, selector: str) -> list[str]:
    return [t.strip() for t in browser.page.locator(selector).all_text_contents()]


def shown(browser: BrowserPage) -> int:
    return int((browser.page.text_content("#shown") or "").replace(",", ""))


def assert_nothing_ran(browser: BrowserPage) -> None:
    assert browser.page.evaluate("typeof window.__pwned") == "undefined"
    assert browser.dialogs == []
    assert browser.errors == []


def test_loads_offline_without_errors_and_hostile_text_never_runs(
    browser_page: BrowserPage, tmp_path: Path, artifacts: Path
) -> None:
    path = write_report(tmp_path, findings())
    browser_page.open(path)
    assert browser_page.requests == [path.resolve().as_uri()]
    assert_nothing_ran(browser_page)
    assert "Synthetic data: the offline demo universe" in (browser_page.page.text_content(".banner") or "")

    # open every row's evidence view: the hostile payloads are in there, as text
    browser_page.page.click("#expand")
    details = browser_page.page.locator("tr.detail:not([hidden])")
    assert details.count() == len(findings())
    assert_nothing_ran(browser_page)
    body = browser_page.page.text_content("body") or ""
    assert "<script>window.__pwned=1</script>" in body
    assert '"><img src=x onerror="window.__pwned=1">' in body
    assert browser_page.page.locator("img").count() == 0
    assert browser_page.page.locator("svg:not(.chart)").count() == 0
    assert browser_page.page.locator("[onerror], [onload], [onclick]").count() == 0
    assert browser_page.requests == [path.resolve().as_uri()]
    browser_page.page.screenshot(path=str(artifacts / "report-expanded.png"), full_page=True)

    browser_page.page.click("#collapse")
    assert browser_page.page.locator("tr.detail:not([hidden])").count() == 0
    browser_page.page.screenshot(path=str(artifacts / "report.png"), full_page=True)
    browser_page.page.emulate_media(media="print")
    browser_page.page.screenshot(path=str(artifacts / "report-print.png"), full_page=True)
    assert browser_page.page.locator("#controls").is_hidden()
    browser_page.page.emulate_media(media="screen")
    assert_nothing_ran(browser_page)


def test_row_count_matches_the_findings(browser_page: BrowserPage, tmp_path: Path) -> None:
    items = findings()
    browser_page.open(write_report(tmp_path, items))
    assert browser_page.page.locator(ROWS).count() == len(items)
    assert shown(browser_page) == len(items)
    assert int(browser_page.page.text_content("#total") or "0") == len(items)


def test_table_sorts_by_clicked_header(browser_page: BrowserPage, tmp_path: Path) -> None:
    items = findings()
    browser_page.open(write_report(tmp_path, items))
    page = browser_page.page

    page.click('button[data-sort="domain"]')
    domains = texts(browser_page, f"{ROWS} .c-domain .dom")
    assert domains == sorted(domains)
    assert page.get_attribute('th:has(button[data-sort="domain"])', "aria-sort") == "ascending"
    page.click('button[data-sort="domain"]')
    assert texts(browser_page, f"{ROWS} .c-domain .dom") == domains[::-1]
    assert page.get_attribute('th:has(button[data-sort="domain"])', "aria-sort") == "descending"

    page.click('button[data-sort="age"]')
    ages = page.eval_on_selector_all(
        ROWS,
        "els => els.map(e => { const a = e.querySelector('.age');"
        " return a ? parseInt(a.textContent.replace(/,/g, ''), 10) : null; })",
    )
    known = [a for a in ages if a is not None]
    assert known == sorted(known)
    assert all(a is None for a in ages[len(known) :]), "names without a creation date sort last"

    page.click('button[data-sort="level"]')
    levels = texts(browser_page, f"{ROWS} .badge")
    ranks = [Level(v).rank for v in levels]
    assert ranks == sorted(ranks)

    page.click('button[data-sort="mail"]')
    first = page.locator(f"{ROWS} .c-mail").first.text_content() or ""
    assert "catch-all" in first
    assert_nothing_ran(browser_page)


def test_table_filters(browser_page: BrowserPage, tmp_path: Path) -> None:
    items = findings()
    browser_page.open(write_report(tmp_path, items))
    page = browser_page.page

    def wait_count(expected: int) -> None:
        # Poll from outside: the report's CSP (rightly) refuses the eval wait_for_function needs.
        expect(page.locator("#shown")).to_have_text(f"{expected:,}", timeout=5000)
        assert page.locator(ROWS).count() == expected

    page.fill("#q", "kestre1systems")
    wait_count(len(fx.HOSTILE))
    page.fill("#q", "kestre1systems parkingdns")  # every word must match
    wait_count(0)
    assert page.locator("#no-match").is_visible()
    page.fill("#q", "")
    wait_count(len(items))

    critical = sum(1 for f in items if f.score.level is Level.CRITICAL)
    page.select_option("#f-level", str(Level.CRITICAL.rank))
    wait_count(critical)
    page.select_option("#f-level", "")

    catch_all = sum(
        1
        for f in items
        if f.evidence.dns.value
        and f.evidence.dns.value.mail_route in (MailRoute.MX, MailRoute.IMPLICIT)
        and not f.evidence.dns.value.wildcard
        and any(h.accepts_any_recipient for h in f.evidence.smtp.value or ())
    )
    page.select_option("#f-route", "catchall")
    wait_count(catch_all)
    page.select_option("#f-route", "null-mx")
    wait_count(1)
    page.select_option("#f-route", "")

    ours = sum(1 for f in items if f.score.owner is Owner.OURS)
    page.select_option("#f-owner", "ours")
    wait_count(ours)
    page.select_option("#f-owner", "")

    page.select_option("#f-change", "escalated")
    wait_count(1)
    page.click("#reset")
    wait_count(len(items))

    unknown = sum(1 for f in items if f.evidence.existence is Existence.UNKNOWN)
    assert page.locator("#unknowns tbody tr").count() >= unknown
    assert_nothing_ran(browser_page)


def test_ten_thousand_findings_stay_usable(browser_page: BrowserPage, big_report: BigReport) -> None:
    page = browser_page.page
    start = time.perf_counter()
    browser_page.open(big_report.path)
    loaded = time.perf_counter() - start
    assert page.locator(ROWS).count() == 500  # a page at a time on screen
    expect(page.locator("#shown")).to_have_text("500")
    expect(page.locator("#total")).to_have_text("10,000")

    start = time.perf_counter()
    page.click('button[data-sort="domain"]')
    expect(page.locator('th:has(button[data-sort="domain"])')).to_have_attribute("aria-sort", "ascending")
    sorted_in = time.perf_counter() - start
    domains = texts(browser_page, f"{ROWS} .c-domain .dom")
    assert domains == sorted(domains)

    start = time.perf_counter()
    page.fill("#q", "kestrel.ml")
    expect(page.locator("#matching")).to_have_text(" · 5,000 match the filters", timeout=30_000)
    filtered_in = time.perf_counter() - start
    expect(page.locator("#shown")).to_have_text("500")
    expect(page.locator("#show-all")).to_have_text("Show all 5,000")

    start = time.perf_counter()
    page.locator(f"{ROWS} .toggle").first.click()
    page.wait_for_selector("tr.detail:not([hidden])")
    opened_in = time.perf_counter() - start

    start = time.perf_counter()
    page.click("#show-more")
    expect(page.locator("#shown")).to_have_text("1,000", timeout=30_000)
    more_in = time.perf_counter() - start
    assert page.locator(ROWS).count() == 1_000

    print(
        f"\n10,000 findings ({big_report.megabytes:.1f} MB): loaded {loaded:.2f} s, sorted {sorted_in:.2f} s,"
        f" filtered {filtered_in:.2f} s, opened a row {opened_in:.2f} s, 500 more rows {more_in:.2f} s"
    )
    assert browser_page.errors == []
    assert loaded < 60
    assert sorted_in < 30
    assert filtered_in < 30


def test_a_hostile_title_beside_a_thumbnail_does_nothing(
    browser_page: BrowserPage, tmp_path: Path, artifacts: Path
) -> None:
    """A page's title and the verdict's reason are the page's words: next to its picture, and in the
    page view the picture opens, they stay text."""
    pytest.importorskip("PIL", reason="the visual extra is not installed (make test installs it)")
    import hashlib
    import io

    from PIL import Image

    from lookalike.model import Verdict
    from lookalike.screenshots import Pictures

    def screenshot(colour: str) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", (640, 400), colour).save(out, "PNG")
        return out.getvalue()

    theirs, ours = screenshot("#c2410c"), screenshot("#1d4ed8")
    shas = {hashlib.sha256(p).hexdigest(): p for p in (theirs, ours)}
    items = []
    for i, payload in enumerate(fx.HOSTILE):
        base = fx.hostile_finding(payload, domain=f"kestre1systems{i}.com")
        visual = fx.visual_facts(
            Verdict.CLONE,
            reason=payload,
            screenshot=hashlib.sha256(theirs).hexdigest(),
            reference=hashlib.sha256(ours).hexdigest(),
        )
        items.append(fx.finding(base.candidate, replace(base.evidence, visual=visual)))
    html = render(fx.scan_result(items), pictures=Pictures(loose=shas), generated_at=fx.NOW)
    path = tmp_path / "pages.html"
    path.write_text(html, "utf-8")
    browser_page.open(path)
    page = browser_page.page
    assert page.locator("img.thumb").count() == len(fx.HOSTILE)
    for i in range(len(fx.HOSTILE)):
        page.locator(".shot").nth(i).click()
        expect(page.locator("#page-view")).to_be_visible()
        assert (page.text_content("#pv-reason") or "") == shown_text(fx.HOSTILE[i])
        page.click("#pv-close")
    assert page.locator("[onerror], [onload], [onclick]").count() == 0
    assert page.locator("img:not(.thumb):not([data-shot]):not(#pv-theirs):not(#pv-ours)").count() == 0
    assert_nothing_ran(browser_page)
    assert browser_page.requests == [path.resolve().as_uri()]
    page.locator(".shot").first.click()
    page.screenshot(path=str(artifacts / "report-page-view.png"))


def shown_text(payload: str) -> str:
    from lookalike.text import shown

    return shown(payload, 300)
