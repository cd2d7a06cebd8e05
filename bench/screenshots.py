"""What ``--screenshot`` costs a scan, and what its thumbnails cost a report.

    python -m bench.screenshots [--findings 10000] [--live 0.3] [--no-browser]

1. The offline demo universe, scanned the way ``make demo`` scans it today (every probe), once
   without and once with ``--screenshot``: seconds each, pages rendered (the lookalikes whose web
   probe answered, and each protected site once), and screenshots per second of the time the
   screenshots added. The reference is the same scan without them.
2. A report of ``--findings`` findings of which a share (``--live``) has a rendered page, every one
   with a thumbnail (the demo scan's real screenshots, cycled): its size against the same report
   without pictures, bytes per thumbnail, seconds to render; and, in Debian's headless Chromium,
   seconds until it has loaded and to sort it by the Page column, and to open one page view.

Figures to compare, not pass/fail: the machine's load moves them (the load average is printed).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import tempfile
import time
from pathlib import Path

from lookalike.demo.universe import running
from lookalike.model import Finding, Status
from lookalike.report import render
from lookalike.schedule import ScheduledScan
from lookalike.screenshots import Pictures, Shelf
from tests import factories as fx


def scan_figures(tmp: Path) -> tuple[Shelf, list[Finding]]:
    times: dict[bool, float] = {}
    findings: list[Finding] = []
    shelf = Shelf(tmp / "with" / "screenshots")
    with running("now") as universe:
        for screenshot in (False, True, False, True):  # twice each: the first of a kind warms caches
            where = tmp / ("with" if screenshot else "without")
            settings = universe.settings(
                db=where / "bench.db", report=where / "scan.html", screenshot=screenshot, plan_top=0
            )
            start = time.perf_counter()
            job = ScheduledScan(settings, store=False).run()
            times[screenshot] = time.perf_counter() - start
            if screenshot:
                findings = list(job.run.result.findings)
    rendered = [f for f in findings if f.evidence.visual.status is not Status.SKIPPED]
    references = {f.evidence.visual.value.reference for f in rendered if f.evidence.visual.value}
    pages = len(rendered) + len(references - {""})
    extra = max(times[True] - times[False], 1e-9)
    print(
        f"demo universe scan: {times[False]:.1f} s without screenshots, {times[True]:.1f} s with"
        f" (x{times[True] / times[False]:.1f}); {pages} pages rendered ({len(rendered)} lookalikes,"
        f" {len(references)} protected sites): {pages / extra:.2f} screenshots/s of the added time"
    )
    return shelf, findings


def report_figures(shelf: Shelf, scanned: list[Finding], count: int, live: float, browser: bool) -> None:
    shots = [
        f.evidence.visual for f in scanned if f.evidence.visual.value and f.evidence.visual.value.screenshot
    ]
    if not shots:
        print("report: no screenshots to show (did Chromium run?)")
        return
    base = fx.many_findings(count)
    every = max(1, round(1 / live)) if live > 0 else count + 1
    cycle = itertools.cycle(shots)
    findings = [
        dataclasses.replace(f, evidence=dataclasses.replace(f.evidence, visual=next(cycle)))
        if i % every == 0
        else f
        for i, f in enumerate(base)
    ]
    with_pictures = sum(1 for f in findings if f.evidence.visual.value is not None)
    result = fx.scan_result(findings)
    plain = render(fx.scan_result(base), generated_at=fx.NOW)
    start = time.perf_counter()
    html = render(result, generated_at=fx.NOW, pictures=Pictures([shelf]))
    seconds = time.perf_counter() - start
    size, plain_size = len(html.encode()), len(plain.encode())
    thumbs = html.count('<img class="thumb"')
    per = (size - plain_size) / max(1, thumbs)
    print(
        f"report: {count:,} findings, {with_pictures:,} with a rendered page ({thumbs:,} thumbnails):"
        f" {size / 1e6:.1f} MB against {plain_size / 1e6:.1f} MB without pictures,"
        f" {per / 1000:.1f} KB per thumbnail (its cell and evidence card included);"
        f" rendered in {seconds:.1f} s"
    )
    if browser:
        _open(html)


def _open(html: str) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        path = Path(tmp) / "report.html"
        path.write_text(html, "utf-8")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND"],
            )
            page = chromium.new_page(viewport={"width": 1440, "height": 900})
            start = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load")
            loaded = time.perf_counter() - start
            start = time.perf_counter()
            page.click('button[data-sort="page"]')
            page.wait_for_selector("#findings-table tbody.finding")
            sorted_in = time.perf_counter() - start
            start = time.perf_counter()
            page.click("#findings-table .shot >> nth=0")
            page.wait_for_selector("#page-view[open]")
            opened = time.perf_counter() - start
            chromium.close()
    print(
        f"  in Chromium: loaded in {loaded:.1f} s; sorted by page in {sorted_in:.2f} s;"
        f" a page view opened in {opened:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--live", type=float, default=0.3, help="share of findings with a rendered page")
    parser.add_argument("--no-browser", action="store_true", help="do not open the report in Chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-screenshots-") as tmp:
        shelf, findings = scan_figures(Path(tmp))
        report_figures(shelf, findings, args.findings, args.live, not args.no_browser)
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
