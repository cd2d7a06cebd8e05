"""The DevTools pipe's framing: answers matched to commands, events to their session's handler, and
what a page could inflate (a huge message) dropped without losing the messages around it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from lookalike.browser.devtools import BrowserGoneError, Connection, DevToolsError


class Pipe(asyncio.WriteTransport):
    """The browser's end of the pipe, played: it records what lookalike writes."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        for part in bytes(data).split(b"\0"):
            if part:
                self.sent.append(json.loads(part))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def frame(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\0"


async def test_answers_events_and_an_oversized_message() -> None:
    reader = asyncio.StreamReader()
    pipe = Pipe()
    connection = Connection(reader, pipe, max_message=1000)
    events: list[dict[str, Any]] = []
    connection.on("S1", "Page.loadEventFired", events.append)
    first = asyncio.ensure_future(connection.send("Browser.getVersion", timeout=5))
    second = asyncio.ensure_future(connection.send("Page.enable", {"x": 1}, session="S1", timeout=5))
    await asyncio.sleep(0)
    assert [m["method"] for m in pipe.sent] == ["Browser.getVersion", "Page.enable"]
    assert pipe.sent[1]["sessionId"] == "S1" and pipe.sent[1]["params"] == {"x": 1}
    huge = frame(
        {"method": "Page.javascriptDialogOpening", "sessionId": "S1", "params": {"message": "x" * 5000}}
    )
    data = (
        frame({"method": "Page.loadEventFired", "sessionId": "S1", "params": {"timestamp": 1}})
        + huge
        + frame({"method": "Page.loadEventFired", "sessionId": "S2", "params": {}})
        + frame({"id": pipe.sent[1]["id"], "result": {"ok": True}})
        + b"not json\0"
        + frame({"id": pipe.sent[0]["id"], "error": {"message": "no such method"}})
    )
    for start in range(0, len(data), 333):  # arrives in pieces, as a pipe delivers it
        reader.feed_data(data[start : start + 333])
        await asyncio.sleep(0)
    assert await second == {"ok": True}
    with pytest.raises(DevToolsError, match="no such method"):
        await first
    assert events == [{"timestamp": 1}], "the other session's event and the oversized one are not ours"
    reader.feed_eof()
    await connection.closed.wait()
    with pytest.raises(BrowserGoneError):
        await connection.send("Browser.close")
    await connection.close()


async def test_a_command_without_answer_times_out() -> None:
    connection = Connection(asyncio.StreamReader(), Pipe())
    with pytest.raises(DevToolsError, match="no answer"):
        await connection.send("Page.navigate", timeout=0.05)
    await connection.close()
