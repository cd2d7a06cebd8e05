"""The renderer: one headless Chromium per scan, pages rendered a few at a time, each behind its gate.

``Browser`` is what the rest of lookalike uses. ``render(url, addresses)`` shows one page and returns
an ``Outcome[PageCapture]``: OK with the capture, or TIMEOUT / REFUSED / ERROR / SKIPPED with why.
Each page gets a browser context of its own (no cookies, cache or storage shared with another page),
its own gate as proxy (only ``addresses`` for the page's host, other hosts through the scan's
``resolve``), downloads denied, new windows closed, and a deadline for the whole visit. A watchdog
reads the browser's processes' memory from ``/proc`` and kills a renderer that outgrows its bound,
so a page that allocates without end ends as an ERROR. When the browser itself dies or stops
answering it is killed and a new one started for the next page: a hostile page cannot hang a scan.

Must not: call the system resolver, connect to a non-public address unless ``allow_private``,
raise for anything a page does (only ``__aenter__`` raises, ``LookalikeError``, when Chromium is
missing or will not start), or leave a process or a profile behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from lookalike.addresses import Resolve, usable
from lookalike.browser.chromium import CHROMIUM, Chromium
from lookalike.browser.devtools import DevToolsError, Params
from lookalike.browser.gate import Gate, GatePolicy
from lookalike.browser.visit import PageLimits, Visit, VisitError
from lookalike.errors import LookalikeError
from lookalike.model import Outcome, Status
from lookalike.text import clean
from lookalike.visual import PageCapture

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BrowserLimits:
    """How much a scan's browser may do at once, and how big it may grow."""

    pages: int = 4
    """Pages rendered at the same time."""
    page: PageLimits = field(default_factory=PageLimits)
    max_hosts: int = 16
    """Host names one page may reach."""
    max_bytes: int = 16 * MB
    """Bytes one page may move through its gate."""
    process_memory: int = 1024 * MB
    """Resident memory one browser process (a renderer) may use before it is killed."""
    total_memory: int = 2560 * MB
    """Resident memory of all the browser's processes together; past it the largest renderer goes."""
    memory_check: float = 0.2
    """Seconds between two looks at the memory."""
    dispose: float = 5.0
    """Seconds to wait for a page's context to close before the whole browser is restarted."""


@dataclass(slots=True)
class _Tab:
    """What a visit made, for the clean-up to undo whatever happened."""

    context: str = ""
    visit: Visit | None = None


@dataclass(slots=True)
class Usage:
    """What the browser did so far, for a benchmark or a progress line."""

    pages: int = 0
    starts: int = 0
    """Chromium processes started (more than one: a browser was killed and replaced)."""
    memory_kills: int = 0
    peak_memory: int = 0
    """The largest total resident memory seen, in bytes."""


class Browser:
    """One Chromium for a scan. Use as ``async with Browser(...) as browser``."""

    def __init__(
        self,
        *,
        resolve: Resolve | None = None,
        allow_private: bool = False,
        http_port: int = 80,
        https_port: int = 443,
        limits: BrowserLimits | None = None,
        executable: Path = CHROMIUM,
        user_agent: str | None = None,
    ) -> None:
        self.resolve = resolve
        self.allow_private = allow_private
        self.limits = limits or BrowserLimits()
        self.policy = GatePolicy(
            allow_private=allow_private,
            http_port=http_port,
            https_port=https_port,
            max_hosts=self.limits.max_hosts,
            max_bytes=self.limits.max_bytes,
            connect_timeout=min(5.0, self.limits.page.timeout),
        )
        self.executable = executable
        self.user_agent = user_agent
        self.usage = Usage()
        self._chromium: Chromium | None = None
        self._starting = asyncio.Lock()
        self._pages = asyncio.Semaphore(max(1, self.limits.pages))
        self._visits: dict[str, Visit] = {}
        self._watchdog: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def __aenter__(self) -> Browser:
        await self._running()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stop()

    async def render(self, url: str, addresses: Sequence[str]) -> Outcome[PageCapture]:
        """Show ``url`` (http or https), its host at ``addresses``, and capture it. Never raises."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            return Outcome(Status.ERROR, None, "not a usable address")
        if parts.scheme not in ("http", "https") or not host:
            return Outcome(Status.SKIPPED, None, "only http and https pages are rendered")
        if not addresses:
            return Outcome(Status.SKIPPED, None, "no address to connect to")
        kept = usable(addresses, host=host, source="the DNS answer", allow_private=self.allow_private)
        if kept.value is None:
            return Outcome(Status.SKIPPED, None, kept.detail)
        async with self._pages:
            self.usage.pages += 1
            return await self._render(url, host, list(kept.value))

    async def _render(self, url: str, host: str, addresses: list[str]) -> Outcome[PageCapture]:
        try:
            chromium = await self._running()
        except (LookalikeError, DevToolsError, OSError) as exc:  # the browser would not start again
            return Outcome(Status.ERROR, None, clean(str(exc), 200))
        gate = Gate({host: addresses}, self.resolve, self.policy)
        try:
            port = await gate.start()
        except OSError as exc:
            return Outcome(Status.ERROR, None, f"no gate for the page: {clean(str(exc), 160)}")
        tab = _Tab()
        kills = self.usage.memory_kills
        try:
            # The visit runs as a task of its own: its deadline cancels it, never this task, so no
            # cancellation can leak into the clean-up below.
            capture = await asyncio.wait_for(self._visit(chromium, port, url, tab), self.limits.page.timeout)
            return Outcome(Status.OK, self._annotate(capture, gate))
        except TimeoutError:
            why = f"no picture within {self.limits.page.timeout:g}s"
            return Outcome(Status.TIMEOUT, None, self._why(why, gate, tab.visit))
        except VisitError as exc:
            detail = exc.detail
            if self.usage.memory_kills > kills and "crash" in detail:
                detail = f"stopped: it used more memory than {self.limits.process_memory // MB} MB"
            return Outcome(exc.status, None, self._why(detail, gate, tab.visit))
        except DevToolsError as exc:
            return Outcome(Status.ERROR, None, self._why(f"the browser failed: {exc}", gate, tab.visit))
        except (KeyError, TypeError, ValueError) as exc:  # an answer of a shape we did not expect
            why = f"unexpected answer from the browser: {type(exc).__name__} {exc}"
            return Outcome(Status.ERROR, None, self._why(why, gate, tab.visit))
        finally:
            if tab.visit is not None:
                tab.visit.close()
                self._visits.pop(tab.visit.target, None)
            await self._dispose(chromium, tab.context)
            await gate.close()

    async def _visit(self, chromium: Chromium, port: int, url: str, tab: _Tab) -> PageCapture:
        """A context whose only way out is the gate on ``port``, a tab in it, and the visit."""
        connection = chromium.connection
        made = await connection.send(
            "Target.createBrowserContext",
            {"proxyServer": f"socks5://127.0.0.1:{port}", "proxyBypassList": "<-loopback>"},
            timeout=self.limits.page.command,
        )
        tab.context = str(made["browserContextId"])
        await connection.send(
            "Browser.setDownloadBehavior",
            {"behavior": "deny", "browserContextId": tab.context, "eventsEnabled": True},
            timeout=self.limits.page.command,
        )
        tab.visit = Visit(connection, tab.context, self.limits.page)
        await tab.visit.open()
        self._visits[tab.visit.target] = tab.visit
        return await tab.visit.go(url)

    def _annotate(self, capture: PageCapture, gate: Gate) -> PageCapture:
        hosts = list(dict.fromkeys(_endpoint(a.host, a.port) for a in gate.attempts if not a.refused))
        refused = list(
            dict.fromkeys(f"{_endpoint(a.host, a.port)}: {a.refused}" for a in gate.attempts if a.refused)
        )
        notes = list(capture.notes)
        if gate.exhausted:
            notes.append(f"cut off: {gate.exhausted}")
        return replace(
            capture,
            hosts=tuple(clean(h, 300) for h in hosts[:50]),
            refused=tuple(clean(r, 300) for r in refused[:50]),
            notes=tuple(notes),
        )

    @staticmethod
    def _why(detail: str, gate: Gate, visit: Visit | None) -> str:
        parts = [detail]
        refused = [a for a in gate.attempts if a.refused]
        if refused:
            first = refused[0]
            parts.append(f"refused {_endpoint(first.host, first.port)}: {first.refused}")
        if gate.exhausted:
            parts.append(f"cut off: {gate.exhausted}")
        if visit is not None and visit.popups:
            parts.append(f"it tried to open {visit.popups} window(s), none kept")
        return clean("; ".join(parts), 300)

    async def _dispose(self, chromium: Chromium, context: str) -> None:
        """Close a page's context; a browser that will not is killed and replaced."""
        if not context:
            return
        try:
            await chromium.connection.send(
                "Target.disposeBrowserContext", {"browserContextId": context}, timeout=self.limits.dispose
            )
        except DevToolsError:
            if chromium is self._chromium:
                await self._replace()

    # --- the browser's life ---------------------------------------------------------------------

    async def _running(self) -> Chromium:
        """The running browser, started (again) when there is none or it died."""
        async with self._starting:
            if self._closed:
                raise DevToolsError("the browser was closed")
            current = self._chromium
            if current is not None and current.connection.gone is None:
                return current
            if current is not None:
                await self._replace()
            chromium = await Chromium.start(self.executable, user_agent=self.user_agent)
            self.usage.starts += 1
            connection = chromium.connection
            connection.on("", "Target.targetCreated", self._target_created)
            connection.on("", "Browser.downloadWillBegin", self._download)
            await connection.send("Target.setDiscoverTargets", {"discover": True})
            self._chromium = chromium
            self._watchdog = asyncio.create_task(self._watch(chromium))
            return chromium

    async def _replace(self) -> None:
        """Kill the current browser; the next page starts another."""
        chromium, self._chromium = self._chromium, None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if chromium is not None:
            chromium.kill()
            await chromium.close()

    async def _stop(self) -> None:
        async with self._starting:
            self._closed = True
            if self._watchdog is not None:
                self._watchdog.cancel()
                self._watchdog = None
            chromium, self._chromium = self._chromium, None
            if chromium is not None:
                await chromium.close()
            for task in list(self._tasks):
                task.cancel()

    def _target_created(self, params: Params) -> None:
        info = params.get("targetInfo")
        if not isinstance(info, dict) or info.get("type") != "page" or not info.get("openerId"):
            return
        # A window a page opened (the popup blocker let it through): closed at once, never looked at.
        if self._chromium is not None:
            task = asyncio.create_task(self._close_target(self._chromium, str(info.get("targetId"))))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _close_target(self, chromium: Chromium, target: str) -> None:
        with contextlib.suppress(DevToolsError):
            await chromium.connection.send("Target.closeTarget", {"targetId": target})

    def _download(self, params: Params) -> None:
        visit = self._visits.get(str(params.get("frameId", "")))
        if visit is not None:
            visit.downloads += 1

    async def _watch(self, chromium: Chromium) -> None:
        """Kill any renderer that outgrows ``process_memory``, the largest one past ``total_memory``."""
        limits = self.limits
        while chromium.connection.gone is None:
            await asyncio.sleep(limits.memory_check)
            sizes = await asyncio.to_thread(chromium.memory)
            total = sum(sizes.values())
            self.usage.peak_memory = max(self.usage.peak_memory, total)
            if sizes.get(chromium.pid, 0) > limits.process_memory:
                self.usage.memory_kills += 1
                chromium.kill()
                return
            renderers = {pid: size for pid, size in sizes.items() if pid != chromium.pid}
            over = [pid for pid, size in renderers.items() if size > limits.process_memory]
            if not over and total > limits.total_memory and renderers:
                over = [max(renderers, key=renderers.__getitem__)]
            for pid in over:
                self.usage.memory_kills += 1
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)


def _endpoint(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
