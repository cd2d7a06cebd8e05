"""The visual corpus in Debian's headless Chromium, served by Debian's nginx: every page's verdict
against every protected site, what the hostile pages tried and did not get, and a browser that
outlives them. One browser run for the whole module (``corpus_run``, once per session)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lookalike.model import Status
from lookalike.visual import FaviconMatch, Verdict, favicon_hash
from tests.fixtures.pages import PAGES, Rendered, corpus

pytestmark = [pytest.mark.browser, pytest.mark.nginx]

CORPUS = corpus()
PAIRS = [
    pytest.param(page, brand, id=f"{page.path}-vs-{brand}")
    for page in CORPUS.pages
    for brand in CORPUS.protected
    if page.expected(brand) is not None
]


def test_the_protected_pages_render(corpus_run: Rendered) -> None:
    for name, outcome in corpus_run.references.items():
        assert outcome.status is Status.OK, (name, outcome.detail)
        capture = outcome.value
        assert capture is not None
        assert capture.screenshot.startswith(b"\x89PNG")
        assert capture.passwords >= 1 and capture.visible_password
        assert capture.favicon == (PAGES / "assets" / name / "favicon.png").read_bytes()
        assert capture.favicon_url.endswith(f"/assets/{name}/favicon.png")
        assert capture.status == 200 and capture.loaded
        assert not capture.automation_probed and not capture.refused


@pytest.mark.parametrize(("page", "brand"), PAIRS)
def test_verdict(corpus_run: Rendered, page: object, brand: str) -> None:
    from tests.fixtures.pages import Page

    assert isinstance(page, Page)
    facts = corpus_run.facts(page, brand)
    assert facts.verdict is page.expected(brand), f"{page.what}: {facts}"
    if facts.verdict is Verdict.UNKNOWN:
        assert facts.reason


def test_clone_details(corpus_run: Rendered) -> None:
    clone = next(p for p in CORPUS.pages if p.path == "kestrel/clone.html")
    facts = corpus_run.facts(clone, "kestrel")
    assert facts.phash_distance is not None and facts.phash_distance <= 4
    assert facts.favicon_match is FaviconMatch.EXACT
    assert facts.favicon_mmh3 == favicon_hash((PAGES / "assets/kestrel/favicon.png").read_bytes())
    reskin = next(p for p in CORPUS.pages if p.path == "kestrel/reskin.html")
    assert corpus_run.facts(reskin, "kestrel").favicon_match is FaviconMatch.SIMILAR, (
        "the same picture as ICO"
    )
    served = corpus_run.pages[clone.path].value
    assert served is not None and served.served.password and "Kestrel" in served.served.title
    over_tls = corpus_run.extra["https"]
    assert over_tls.status is Status.OK and over_tls.value is not None
    assert over_tls.value.final_url.startswith("https://kestre1systems.com/")


def test_cloaking_is_seen(corpus_run: Rendered) -> None:
    capture = corpus_run.pages["other/cloak.html"].value
    assert capture is not None
    assert capture.automation_probed
    assert capture.served.password and capture.passwords == 0
    cloak = next(p for p in CORPUS.pages if p.path == "other/cloak.html")
    assert "cloaked" in corpus_run.facts(cloak, "kestrel").reason


def test_hostile_pages(corpus_run: Rendered) -> None:
    spin = corpus_run.pages["hostile/spin.html"]
    assert spin.status is Status.TIMEOUT
    canvas = corpus_run.pages["hostile/canvas.html"]
    assert canvas.status in (Status.TIMEOUT, Status.ERROR), canvas
    download = corpus_run.pages["hostile/download.html"]
    assert download.status is Status.REFUSED and "download" in download.detail
    windows = corpus_run.pages["hostile/windows.html"].value
    assert windows is not None
    assert windows.popups >= 1
    assert windows.dialogs == 3
    assert "cruise" in windows.text
    asking = corpus_run.extra["permissions"].value
    assert asking is not None
    # The answers come when they come (the settle time may end first); none may be a yes.
    assert "refused" in asking.text, asking.text
    assert "granted" not in asking.text
    after = corpus_run.extra["after"]
    assert after.status is Status.OK, "the browser outlives every hostile page"
    assert corpus_run.usage.memory_kills >= 0
    assert corpus_run.usage.peak_memory < 4 * 1024**3


def test_nothing_left_the_gate(corpus_run: Rendered) -> None:
    reach = corpus_run.pages["hostile/reach.html"].value
    assert reach is not None
    refused = "\n".join(reach.refused)
    for host in (
        "127.0.0.2:80",
        "10.0.0.1:80",
        "intranet.lookalike.test:80",
        "192.0.2.10:443",
        "unlisted.example:80",
    ):
        assert host in refused, (host, refused)
    assert "reach.lookalike.test:8080: port 8080 is not a web port" in refused
    assert "127.0.0.1:9: port 9 is not a web port" in refused or "127.0.0.1:9" not in refused
    assert reach.hosts == ("reach.lookalike.test:80",)
    assert not any("secret" in line for line in corpus_run.web.requests()), (
        "nginx never saw a refused request"
    )
    private = corpus_run.extra["private"]
    assert private.status is Status.SKIPPED and "--allow-private" in private.detail


def test_the_browser_is_gone_afterwards(corpus_run: Rendered) -> None:
    assert corpus_run.pids
    assert not [pid for pid in corpus_run.pids if Path(f"/proc/{pid}").exists() and _chromium(pid)]


def _chromium(pid: int) -> bool:
    try:
        return b"chromium" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_screenshots_land_as_artifacts(corpus_run: Rendered, artifacts: Path) -> None:
    """For a person to look at after the run: every picture the corpus gave."""
    folder = artifacts / "visual-corpus"
    folder.mkdir(parents=True, exist_ok=True)
    for path, outcome in {
        **corpus_run.pages,
        **{f"reference-{k}": v for k, v in corpus_run.references.items()},
    }.items():
        if outcome.value is not None:
            (folder / (path.replace("/", "-").removesuffix(".html") + ".png")).write_bytes(
                outcome.value.screenshot
            )
    assert os.listdir(folder)
