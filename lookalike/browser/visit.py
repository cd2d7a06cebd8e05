"""One visit of one page: go there, wait for it, read it, take its picture, fetch its favicon.

A ``Visit`` drives one tab in a browser context the renderer made for it (with its own gate as
proxy). It reads the main document as it came (``Fetch`` at the response stage, documents only)
and the page as it was drawn (a script in an isolated world, which the page's own scripts cannot
see or change), and takes a screenshot of the first screen at half scale. It notes what the page
tried: windows, dialogs, downloads, and whether a script asked ``navigator.webdriver``.

Must not: click, type, scroll, submit or otherwise act on the page; accept a dialog; let a download
or a document that is not a page through; keep a failure to itself (``VisitError`` says what went
wrong, in a status of the model); or wait without a limit: every command has its own timeout and
the renderer bounds the whole visit.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

from lookalike.browser.chromium import VIEWPORT
from lookalike.browser.devtools import Connection, DevToolsError, Params
from lookalike.model import Status
from lookalike.text import clean
from lookalike.visual import MAX_TEXT, Form, PageCapture, Served, served
from lookalike.web import decode_body

SCREENSHOT_SCALE = 0.5
MAX_SCREENSHOT = 4 * 1024 * 1024
"""A half-scale first screen as PNG is at most about 1 MiB; anything larger is not kept."""

_DOCUMENTS = {"resourceType": "Document", "requestStage": "Response"}
"""What the tab intercepts: documents (pages and frames) once their response is in."""
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "image/", "text/xml", "application/xml")
"""Content types a main document may have to be shown; anything else would be a download."""

_EXTRACT = """
(() => {
  const cut = (value, n) => String(value == null ? "" : value).slice(0, n);
  const shown = (e) => {
    const box = e.getBoundingClientRect();
    if (box.width < 2 || box.height < 2) return false;
    const style = getComputedStyle(e);
    return style.visibility !== "hidden" && style.display !== "none"
      && parseFloat(style.opacity || "1") > 0.05;
  };
  const passwords = Array.from(document.querySelectorAll("input[type=password i]")).slice(0, 100);
  const forms = Array.from(document.forms).slice(0, 20).map((form) => ({
    action: cut(form.getAttribute("action"), 500),
    method: cut(form.getAttribute("method") || "get", 10).toLowerCase(),
    inputs: Array.from(form.querySelectorAll("input, select, textarea")).slice(0, 50)
      .map((e) => cut(e.type || e.tagName, 20).toLowerCase()),
  }));
  const icons = Array.from(document.querySelectorAll('link[rel~="icon" i]')).slice(0, 4)
    .map((link) => cut(link.href, 4096));
  return {
    url: cut(location.href, 4096),
    title: cut(document.title, 1000),
    text: document.body ? cut(document.body.innerText, MAX_TEXT) : "",
    passwords: passwords.length,
    visiblePassword: passwords.some(shown),
    forms: forms,
    icons: icons,
    scrollX: Math.max(0, Math.floor(window.scrollX || 0)),
    scrollY: Math.max(0, Math.floor(window.scrollY || 0)),
  };
})()
""".replace("MAX_TEXT", str(MAX_TEXT))

_FETCH_ICON = """
async (url, limit) => {
  const answer = await fetch(url, { credentials: "omit", cache: "force-cache" });
  if (!answer.ok) return { status: answer.status };
  const bytes = new Uint8Array(await answer.arrayBuffer());
  if (bytes.length > limit) return { status: answer.status, size: bytes.length };
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  }
  return { status: answer.status, data: btoa(text) };
}
"""
"""Runs in our isolated world (universal access: the icon may be on another host; it still goes
through the page's gate). A failure throws, and the tab fetches the icon by navigating instead."""

_PROBE = """
(() => {
  let asked = false;
  const proto = Navigator.prototype;
  const real = Object.getOwnPropertyDescriptor(proto, "webdriver");
  if (real && real.get) {
    Object.defineProperty(proto, "webdriver", {
      configurable: true, enumerable: real.enumerable,
      get() { asked = true; return real.get.call(this); },
    });
  }
  Object.defineProperty(window, "KEY", { get: () => asked });
})()
"""
"""Runs before the page's scripts (main world): notes whether one of them reads navigator.webdriver.
The answer stays the browser's own: we watch for cloaking, we do not hide from it."""


@dataclass(frozen=True, slots=True)
class PageLimits:
    """Time and size limits of one visit."""

    timeout: float = 15.0
    """The whole visit, favicon included."""
    load: float = 10.0
    """Time to wait for the load event; then the page is read as it is (``loaded=False``)."""
    settle: float = 0.4
    """Time after the load event for scripts to finish drawing."""
    command: float = 5.0
    """One DevTools command."""
    max_document: int = 1024 * 1024
    """Bytes of the main document read for ``Served``."""
    max_favicon: int = 256 * 1024


class VisitError(Exception):
    """A visit that gave no picture, with the status that says how it ended."""

    def __init__(self, status: Status, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(slots=True)
class _Document:
    url: str
    status: int
    content_type: str
    body: bytes = b""


class Visit:
    """One tab in one browser context. ``await open()``, ``await go(url)``, then ``close()``."""

    def __init__(self, connection: Connection, context: str, limits: PageLimits) -> None:
        self.connection = connection
        self.context = context
        self.limits = limits
        self.target = ""
        self.session = ""
        self.loaded = asyncio.Event()
        self.crashed = asyncio.Event()
        self.document: _Document | None = None
        self.popups = 0
        self.dialogs = 0
        self.downloads = 0
        self._icon_wanted = False
        self._icon: _Document | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._key = "__lookalike_" + secrets.token_hex(8)
        self._world = 0

    async def _send(self, method: str, params: Params | None = None, timeout: float | None = None) -> Params:
        """One command to the tab; given up at once when the tab crashes (its renderer was killed)."""
        command = asyncio.ensure_future(
            self.connection.send(method, params, session=self.session, timeout=timeout or self.limits.command)
        )
        crash = asyncio.ensure_future(self.crashed.wait())
        try:
            await asyncio.wait((command, crash), return_when=asyncio.FIRST_COMPLETED)
        finally:
            crash.cancel()
            if not command.done():
                command.cancel()  # only asked for: the command is not done until it runs again
        if not command.done() or command.cancelled():
            raise DevToolsError(f"{method}: the tab crashed")
        return command.result()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def open(self) -> None:
        """Open the tab and set it up: events, the probe, interception of documents."""
        created = await self.connection.send(
            "Target.createTarget",
            {"url": "about:blank", "browserContextId": self.context},
            timeout=self.limits.command,
        )
        self.target = str(created["targetId"])
        attached = await self.connection.send(
            "Target.attachToTarget", {"targetId": self.target, "flatten": True}, timeout=self.limits.command
        )
        self.session = str(attached["sessionId"])
        on = self.connection.on
        on(self.session, "Page.loadEventFired", lambda _: self.loaded.set())
        on(self.session, "Inspector.targetCrashed", lambda _: self.crashed.set())
        on(self.session, "Page.windowOpen", self._window_open)
        on(self.session, "Page.javascriptDialogOpening", self._dialog)
        on(self.session, "Fetch.requestPaused", lambda params: self._spawn(self._paused(params)))
        width, height = VIEWPORT
        # Sent together: the tab handles them in order, and the round trips overlap.
        await asyncio.gather(
            self._send("Inspector.enable"),
            self._send("Page.enable"),
            self._send("Page.addScriptToEvaluateOnNewDocument", {"source": _PROBE.replace("KEY", self._key)}),
            self._send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            ),
            self._send(
                "Fetch.enable", {"patterns": [{"resourceType": "Document", "requestStage": "Response"}]}
            ),
        )

    def close(self) -> None:
        """Stop listening; the renderer disposes of the context (and so of the tab)."""
        self.connection.forget(self.session)
        for task in list(self._tasks):
            task.cancel()

    def _window_open(self, params: Params) -> None:
        self.popups += 1

    def _dialog(self, params: Params) -> None:
        self.dialogs += 1
        self._spawn(self._quietly("Page.handleJavaScriptDialog", {"accept": False}))

    async def _quietly(self, method: str, params: Params) -> None:
        with contextlib.suppress(DevToolsError):
            await self._send(method, params)

    async def _paused(self, params: Params) -> None:
        """A document's response is in: read it, refuse it when it is a download, let it go on."""
        request_id = params.get("requestId")
        status = params.get("responseStatusCode")
        if params.get("frameId") != self.target or not isinstance(status, int):
            await self._quietly("Fetch.continueRequest", {"requestId": request_id})
            return
        headers = {
            str(h.get("name", "")).lower(): str(h.get("value", ""))
            for h in params.get("responseHeaders") or ()
            if isinstance(h, dict)
        }
        document = _Document(
            str(params.get("request", {}).get("url", "")), status, headers.get("content-type", "")
        )
        if 300 <= status < 400 and "location" in headers:
            await self._quietly("Fetch.continueRequest", {"requestId": request_id})
            return
        if self._icon_wanted:
            if 200 <= status < 300:
                document.body = await self._body(request_id, self.limits.max_favicon)
            self._icon = document
            await self._quietly("Fetch.failRequest", {"requestId": request_id, "errorReason": "Aborted"})
            return
        kind = document.content_type.split(";")[0].strip().lower()
        attachment = headers.get("content-disposition", "").strip().lower().startswith("attachment")
        if attachment or (kind and not kind.startswith(_PAGE_TYPES)):
            self.downloads += 1
            await self._quietly(
                "Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"}
            )
            return
        document.body = await self._body(request_id, self.limits.max_document)
        self.document = document
        await self._quietly("Fetch.continueRequest", {"requestId": request_id})

    async def _body(self, request_id: object, limit: int) -> bytes:
        try:
            answer = await self._send("Fetch.getResponseBody", {"requestId": request_id})
        except DevToolsError:
            return b""
        body = str(answer.get("body", ""))
        if answer.get("base64Encoded"):
            try:
                return base64.b64decode(body[: (limit // 3 + 1) * 4])[:limit]
            except binascii.Error:
                return b""
        return body[:limit].encode("utf-8", "replace")[:limit]

    async def go(self, url: str) -> PageCapture:
        """Visit ``url`` and capture it; ``VisitError`` when there is nothing to capture."""
        self.loaded.clear()
        navigation = await self._send("Page.navigate", {"url": url}, timeout=self.limits.load)
        error = str(navigation.get("errorText") or "")
        if navigation.get("isDownload") or (error and self.downloads):
            raise VisitError(Status.REFUSED, "a download, not a page (refused)")
        if error:
            raise VisitError(_status(error), error.removeprefix("net::"))
        loaded = await self._wait_for_load()
        if self.crashed.is_set():
            raise VisitError(Status.ERROR, "the page crashed the browser tab")
        if loaded:
            await asyncio.sleep(self.limits.settle)
        page = await self._read()
        if str(page.get("url", "")).startswith("chrome-error:"):
            if self.downloads:
                raise VisitError(Status.REFUSED, "a download, not a page (refused)")
            raise VisitError(Status.ERROR, "the page ended on the browser's error page")
        shot = await self._screenshot(page)
        icon, icon_url = await self._favicon(page)
        doc = self.document
        return PageCapture(
            url=url,
            final_url=clean(str(page.get("url", "")), 2048),
            status=doc.status if doc else None,
            title=clean(str(page.get("title", "")), 200),
            text=clean(str(page.get("text", "")), MAX_TEXT),
            passwords=_int(page.get("passwords")),
            visible_password=page.get("visiblePassword") is True,
            forms=tuple(_form(f) for f in page.get("forms") or () if isinstance(f, dict)),
            served=served(decode_body(doc.body, doc.content_type), len(doc.body)) if doc else Served(),
            screenshot=shot,
            favicon=icon,
            favicon_url=clean(icon_url, 2048),
            loaded=loaded,
            automation_probed=await self._probed(),
            popups=self.popups,
            dialogs=self.dialogs,
            downloads=self.downloads,
        )

    async def _wait_for_load(self) -> bool:
        waits = [asyncio.ensure_future(self.loaded.wait()), asyncio.ensure_future(self.crashed.wait())]
        try:
            await asyncio.wait(waits, timeout=self.limits.load, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        return self.loaded.is_set() and not self.crashed.is_set()

    async def _read(self) -> dict[str, Any]:
        """The rendered page's facts, read from an isolated world."""
        try:
            world = await self._send(
                "Page.createIsolatedWorld",
                {"frameId": self.target, "worldName": "lookalike", "grantUniveralAccess": True},
            )
            self._world = int(world["executionContextId"])
            answer = await self._send(
                "Runtime.evaluate",
                {
                    "expression": _EXTRACT,
                    "contextId": self._world,
                    "returnByValue": True,
                    "timeout": int(self.limits.command * 1000),
                },
            )
        except DevToolsError as exc:
            raise self._stuck("reading the page", exc) from None
        value = answer.get("result", {}).get("value")
        if not isinstance(value, dict):
            raise VisitError(Status.ERROR, "the page could not be read")
        return value

    async def _screenshot(self, page: dict[str, Any]) -> bytes:
        width, height = VIEWPORT
        clip: dict[str, float] = {"x": _int(page.get("scrollX")), "y": _int(page.get("scrollY"))}
        clip |= {"width": width, "height": height, "scale": SCREENSHOT_SCALE}
        try:
            answer = await self._send(
                "Page.captureScreenshot",
                {"format": "png", "clip": clip, "captureBeyondViewport": False, "optimizeForSpeed": True},
            )
            png = base64.b64decode(str(answer.get("data", "")))
        except DevToolsError as exc:
            raise self._stuck("taking the screenshot", exc) from None
        except binascii.Error:
            raise VisitError(Status.ERROR, "the screenshot is not a usable PNG") from None
        if not png.startswith(b"\x89PNG") or len(png) > MAX_SCREENSHOT:
            raise VisitError(Status.ERROR, "the screenshot is not a usable PNG")
        return png

    def _stuck(self, doing: str, exc: DevToolsError) -> VisitError:
        if self.crashed.is_set():
            return VisitError(Status.ERROR, f"the page crashed the browser tab while {doing}")
        if "no answer" in str(exc):
            return VisitError(Status.TIMEOUT, f"the page did not respond while {doing}")
        return VisitError(Status.ERROR, f"{doing}: {clean(str(exc), 160)}")

    async def _probed(self) -> bool:
        with contextlib.suppress(DevToolsError):
            answer = await self._send(
                "Runtime.evaluate", {"expression": f"window.{self._key} === true", "returnByValue": True}
            )
            return answer.get("result", {}).get("value") is True
        return False

    async def _favicon(self, page: dict[str, Any]) -> tuple[bytes, str]:
        """The favicon's bytes (``b""`` when there is none) and its address."""
        icons = [str(i) for i in page.get("icons") or () if isinstance(i, str)]
        base = str(page.get("url", ""))
        url = next((i for i in icons if i.startswith(("http:", "https:", "data:"))), "")
        if not url and base.startswith(("http:", "https:")):
            url = urljoin(base, "/favicon.ico")
        if url.startswith("data:"):
            return _data_url(url, self.limits.max_favicon), url[:64]
        if not url or urlsplit(url).scheme not in ("http", "https"):
            return b"", ""
        fetched = await self._fetch_icon(url)
        if fetched is not None:
            return fetched, url
        # The page's world could not fetch it (a CSP, say): the tab goes there itself, and the
        # response is read at the document stage and never shown.
        self._icon_wanted = True
        with contextlib.suppress(DevToolsError):
            await self._send("Page.navigate", {"url": url})
        self._icon_wanted = False
        icon = self._icon
        if icon is None or not 200 <= icon.status < 300:
            return b"", url
        return icon.body, url

    async def _fetch_icon(self, url: str) -> bytes | None:
        """The favicon fetched from our isolated world, from the cache when the browser has it
        already (it asks for the icon itself); ``b""`` when there is none, None when it failed."""
        try:
            answer = await self._send(
                "Runtime.callFunctionOn",
                {
                    "functionDeclaration": _FETCH_ICON,
                    "executionContextId": self._world,
                    "arguments": [{"value": url}, {"value": self.limits.max_favicon}],
                    "awaitPromise": True,
                    "returnByValue": True,
                },
            )
        except DevToolsError:
            return None
        value = answer.get("result", {}).get("value")
        if "exceptionDetails" in answer or not isinstance(value, dict):
            return None
        data = value.get("data")
        if not isinstance(data, str):
            return b""
        try:
            return base64.b64decode(data)[: self.limits.max_favicon]
        except binascii.Error:
            return b""


def _status(error: str) -> Status:
    """The status of a failed navigation, from Chromium's ``net::ERR_...`` text."""
    if "TIMED_OUT" in error:
        return Status.TIMEOUT
    if any(part in error for part in ("REFUSED", "SOCKS", "PROXY", "NAME_NOT_RESOLVED", "UNREACHABLE")):
        return Status.REFUSED
    return Status.ERROR


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) and value >= 0 else 0


def _form(data: dict[str, Any]) -> Form:
    return Form(
        action=clean(str(data.get("action", "")), 500),
        method=clean(str(data.get("method", "get")), 10),
        inputs=tuple(clean(str(i), 20) for i in (data.get("inputs") or ())[:50]),
    )


def _data_url(url: str, limit: int) -> bytes:
    """The bytes of a ``data:`` URL (base64 or percent-encoded), at most ``limit``; ``b""`` if unreadable."""
    header, comma, payload = url.partition(",")
    if not comma:
        return b""
    try:
        if header.endswith(";base64"):
            return base64.b64decode(payload[: (limit // 3 + 1) * 4], validate=False)[:limit]
        return unquote_to_bytes(payload[: limit * 3])[:limit]
    except (binascii.Error, ValueError):
        return b""
