"""The browser's start and the visual extra fail with one line a person can act on, and a page that
is not http(s), has no address or only private ones is skipped before any browser is involved."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lookalike import visual
from lookalike.browser import Browser
from lookalike.browser.chromium import flags
from lookalike.errors import LookalikeError
from lookalike.model import Status


async def test_a_missing_chromium_is_one_line() -> None:
    with pytest.raises(
        LookalikeError, match=r"Chromium at /nonexistent/chromium \(Debian: apt-get install chromium\)"
    ):
        async with Browser(executable=Path("/nonexistent/chromium")):
            pass


async def test_a_program_that_is_not_chromium_is_one_line() -> None:
    with pytest.raises(LookalikeError, match="did not start") as caught:
        async with Browser(executable=Path("/bin/true")):
            pass
    assert "\n" not in str(caught.value)


async def test_pages_that_are_not_rendered() -> None:
    browser = Browser()  # never started: none of these needs it
    cases = {
        ("ftp://kestre1systems.com/", ("192.0.2.1",)): "only http and https",
        ("http://kestre1systems.com/", ()): "no address",
        (
            "http://kestre1systems.com/",
            ("10.0.0.5", "127.0.0.1"),
        ): "points at a private address (kestre1systems.com is at 10.0.0.5, 127.0.0.1), use --allow-private",
        ("http://[::1/", ("8.8.8.8",)): "not a usable address",
    }
    for (url, addresses), why in cases.items():
        outcome = await browser.render(url, addresses)
        assert outcome.status in (Status.SKIPPED, Status.ERROR)
        assert why in outcome.detail
    assert browser.usage.starts == 0


def test_the_command_line_keeps_chromium_quiet_and_alone(tmp_path: Path) -> None:
    args = flags(tmp_path, user_agent="lookalike-test")
    for flag in (
        "--headless",
        "--remote-debugging-pipe",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--user-data-dir={tmp_path}",
        "--user-agent=lookalike-test",
    ):
        assert flag in args
    assert not any(a.startswith("--remote-debugging-port") for a in args)
    assert any("AutofillServerCommunication" in a for a in args)


def test_the_visual_extra_missing_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    visual.require()
    monkeypatch.setitem(sys.modules, "imagehash", None)  # what an uninstalled package looks like
    with pytest.raises(
        LookalikeError, match=r"screenshots need ImageHash: pip install 'lookalike\[visual\]'"
    ):
        visual.require()
