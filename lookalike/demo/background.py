"""Run an asyncio server in a background thread, so synchronous code (the CLI, a subprocess under
test, ``make demo``) can talk to it while it serves.

    with in_background(lambda: DnsServer(zones)) as server:
        subprocess.run(["lookalike", "scan", "--resolver", str(server.address), ...])

The factory runs inside the background loop, so the server's sockets and tasks belong to it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, TypeVar

S = TypeVar("S")


class BackgroundLoop:
    """An event loop running in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="lookalike-bg", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, S], timeout: float | None = 30.0) -> S:
        """Run ``coro`` on the background loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@contextmanager
def in_background(factory: Callable[[], AbstractAsyncContextManager[S]]) -> Iterator[S]:
    """Enter the async context manager ``factory()`` on a background loop; yield what it yields."""
    bg = BackgroundLoop()
    holder: list[AbstractAsyncContextManager[S]] = []

    async def enter() -> S:
        cm = factory()
        holder.append(cm)
        return await cm.__aenter__()

    try:
        value = bg.run(enter())
        try:
            yield value
        finally:
            bg.run(holder[0].__aexit__(None, None, None))
    finally:
        bg.close()
