"""The Chrome DevTools protocol over a pipe: commands, their answers, and events by session.

Chromium started with ``--remote-debugging-pipe`` reads JSON commands on its file descriptor 3 and
writes answers and events on 4, each message ending in a NUL byte. ``Connection`` frames those
messages, matches answers to commands by id, and hands events to the handlers registered for their
session (``""`` is the browser's own session). No port is opened: nothing else on the machine, and
no page, can drive the browser.

Must not: know what a page is (``visit`` does), wait without a time limit, or grow without bound
because of what a page does: a message larger than ``max_message`` is dropped (its command then
times out) and events go to handlers, never into a queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from typing import Any

Params = dict[str, Any]
Handler = Callable[[Params], None]

MAX_MESSAGE = 64 * 1024 * 1024
"""The largest message kept: a screenshot or a capped document body fits; a page's huge alert
text does not."""
READ_CHUNK = 1 << 16


class DevToolsError(Exception):
    """A command failed: the browser said no, or did not answer in time."""


class BrowserGoneError(DevToolsError):
    """The pipe closed: the browser exited or was killed."""


class Connection:
    """One browser's DevTools pipe. Create it with ``open``; it reads until the pipe closes."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.WriteTransport, *, max_message: int = MAX_MESSAGE
    ) -> None:
        self._reader = reader
        self._max_message = max_message
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Params]] = {}
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._gone: str | None = None
        self.closed = asyncio.Event()
        self._task = asyncio.create_task(self._read_loop())

    @property
    def gone(self) -> str | None:
        """Why the pipe closed, or None while it is open."""
        return self._gone

    def on(self, session: str, method: str, handler: Handler | None) -> None:
        """Call ``handler(params)`` for each ``method`` event of ``session``; None removes it."""
        if handler is None:
            self._handlers.pop((session, method), None)
        else:
            self._handlers[(session, method)] = handler

    def forget(self, session: str) -> None:
        """Drop every handler of ``session`` (it was detached)."""
        for key in [k for k in self._handlers if k[0] == session]:
            del self._handlers[key]

    async def send(
        self, method: str, params: Params | None = None, *, session: str = "", timeout: float = 10.0
    ) -> Params:
        """Send one command and wait for its answer; raise ``DevToolsError`` when there is none."""
        if self._gone is not None:
            raise BrowserGoneError(self._gone)
        ident = next(self._ids)
        message: Params = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        future: asyncio.Future[Params] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        try:
            self._writer.write(json.dumps(message).encode() + b"\0")
            async with asyncio.timeout(timeout):
                answer = await future
        except TimeoutError:
            raise DevToolsError(f"{method}: no answer within {timeout:g}s") from None
        finally:
            self._pending.pop(ident, None)
        if "error" in answer:
            error = answer["error"]
            text = error.get("message", "") if isinstance(error, dict) else str(error)
            raise DevToolsError(f"{method}: {str(text)[:200]}")
        result = answer.get("result", {})
        return result if isinstance(result, dict) else {}

    async def close(self) -> None:
        """Stop reading and fail every command still waiting."""
        self._writer.close()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._fail("the connection was closed")

    def _fail(self, why: str) -> None:
        if self._gone is None:
            self._gone = why
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BrowserGoneError(why))
        self._pending.clear()
        self.closed.set()

    async def _read_loop(self) -> None:
        buffer = bytearray()
        skipping = False
        try:
            while chunk := await self._reader.read(READ_CHUNK):
                start = 0
                while (end := chunk.find(b"\0", start)) >= 0:
                    if not skipping:
                        buffer += chunk[start:end]
                        self._dispatch(bytes(buffer))
                    buffer.clear()
                    skipping = False
                    start = end + 1
                if not skipping:
                    buffer += chunk[start:]
                    if len(buffer) > self._max_message:
                        buffer.clear()
                        skipping = True
            self._fail("the browser closed its pipe")
        except (OSError, ValueError) as exc:
            self._fail(f"the browser's pipe failed: {exc}")

    def _dispatch(self, raw: bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        ident = message.get("id")
        if isinstance(ident, int):
            future = self._pending.get(ident)
            if future is not None and not future.done():
                future.set_result(message)
            return
        method = message.get("method")
        params = message.get("params")
        if not isinstance(method, str) or not isinstance(params, dict):
            return
        handler = self._handlers.get((str(message.get("sessionId", "")), method))
        if handler is not None:
            handler(params)
