"""Rate limits: a token bucket per remote server, so no resolver or registry gets more than its share.

No server sets our clock. A server's wish to be left alone (``defer``, from a ``Retry-After``) holds
that server back for ``MAX_DEFER`` at most, and a caller says how long it is willing to wait: with a
``deadline`` (the lookup's), and with ``patience`` (how long a server's own hold is worth waiting out).
``acquire`` then answers False at once, taking nothing, instead of sleeping toward either.

Pure asyncio; the clock is injectable so tests can check rates without sleeping. Deadlines are times
on that clock (``time.monotonic`` by default, the event loop's own clock).

These limits hold within one process. ``Budgets`` is what the I/O modules ask for their limits:
``LOCAL`` hands out the in-process ones below; ``lookalike.budgets.SharedBudgets`` hands out the same
interfaces backed by Redis, so every worker of a distributed scan draws on one budget per server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Protocol

PATIENCE = 10.0
"""Seconds of a server's own hold (Retry-After) worth waiting out; a longer one is not waited for."""
MAX_DEFER = 300.0
"""The longest a server's ``Retry-After`` (or any other deferral) holds back requests to it: minutes,
never the days a hostile server asks for."""


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, bursts of up to ``burst``.

    A rate of 0 or less means no limit. Waiters are served in arrival order.
    """

    def __init__(
        self, rate: float, burst: float = 1.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self._held_until = 0.0
        self._lock = asyncio.Lock()

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def held(self) -> float:
        """Seconds the server's own hold (``defer``) still has to run (0 when there is none)."""
        return max(0.0, self._held_until - self._clock())

    def wait(self) -> float:
        """Seconds until a request may go: the server's hold, else the time to the next token."""
        held = self.held()
        if held > 0 or self.unlimited:
            return held
        self._refill()
        return max(0.0, (1.0 - self._tokens) / self.rate)

    async def acquire(self, *, deadline: float | None = None, patience: float | None = None) -> bool:
        """Wait until a request may go, take its token, and return True.

        Returns False at once, taking nothing, when the wait would pass ``deadline`` (a time on this
        bucket's clock) or when the server's own hold (``defer``) has more than ``patience`` seconds to
        run: a server that asks for more than the caller will give is not waited for at all.
        """
        if self.unlimited and self._held_until <= self._clock():
            return True
        async with self._lock:
            # A loop, not one sleep: a Retry-After (``defer``) may arrive while we wait.
            while True:
                now = self._clock()
                held = self._held_until - now
                if held > 0:
                    if (patience is not None and held > patience) or (
                        deadline is not None and now + held > deadline
                    ):
                        return False
                    await asyncio.sleep(held)
                    continue
                if self.unlimited:
                    return True
                self._refill()
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return True
                wait = (1.0 - self._tokens) / self.rate
                if deadline is not None and now + wait > deadline:
                    return False
                await asyncio.sleep(wait)

    def defer(self, seconds: float) -> None:
        """Hold every request to this server back ``seconds`` from now (``MAX_DEFER`` at most): honours a
        server's ``Retry-After`` without letting it hold us for days. Holds do not add up."""
        if not seconds > 0:
            return
        self._held_until = max(self._held_until, self._clock() + min(seconds, MAX_DEFER))


class PerKeyLimits:
    """A semaphore and a token bucket per key (a server's address), created on first use."""

    def __init__(self, concurrency: int, rate: float, burst: float = 1.0) -> None:
        self.concurrency = max(concurrency, 1)
        self.rate = rate
        self.burst = burst
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._buckets: dict[str, TokenBucket] = {}

    def semaphore(self, key: str) -> asyncio.Semaphore:
        if key not in self._semaphores:
            self._semaphores[key] = asyncio.Semaphore(self.concurrency)
        return self._semaphores[key]

    def bucket(self, key: str) -> TokenBucket:
        if key not in self._buckets:
            self._buckets[key] = TokenBucket(self.rate, self.burst)
        return self._buckets[key]

    async def defer(self, key: str, seconds: float) -> None:
        """Hold every request to ``key`` back ``seconds`` (a ``Retry-After``; ``TokenBucket.defer``)."""
        self.bucket(key).defer(seconds)

    @asynccontextmanager
    async def turn(
        self, key: str, *, deadline: float | None = None, patience: float | None = PATIENCE
    ) -> AsyncIterator[str]:
        """Hold ``key``'s concurrency slot and take its rate token for one request. Yields "" when the
        request may go, else why not (the server's hold is longer than ``patience``, or the wait would
        pass ``deadline``): the caller then sends nothing."""
        async with self.semaphore(key):
            bucket = self.bucket(key)
            if await bucket.acquire(deadline=deadline, patience=patience):
                yield ""
                return
            held = bucket.held()
            if patience is not None and held > patience:
                yield f"{key} asked us to wait {held:.0f} s more (Retry-After); not waiting"
            else:
                yield f"{key} holds requests back {bucket.wait():.0f} s, past this lookup's deadline"


class Gate(Protocol):
    """Per-server limits as the registry clients and probes use them (``PerKeyLimits`` in one process,
    ``budgets.SharedGate`` across workers)."""

    def semaphore(self, key: str) -> AbstractAsyncContextManager[object]: ...

    def turn(
        self, key: str, *, deadline: float | None = None, patience: float | None = PATIENCE
    ) -> AbstractAsyncContextManager[str]: ...

    async def defer(self, key: str, seconds: float) -> None: ...


class Pace(Protocol):
    """A resolver's queries-per-second limit (``TokenBucket`` in one process)."""

    @property
    def unlimited(self) -> bool: ...

    async def acquire(self, *, deadline: float | None = None, patience: float | None = None) -> bool: ...


class Budgets(Protocol):
    """Where the I/O modules get their per-server limits. Entered (``async with``) for the life of one
    event loop: a shared implementation opens its connection there."""

    async def __aenter__(self) -> Budgets: ...

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def gate(self, kind: str, concurrency: int, rate: float, burst: float = 1.0) -> Gate:
        """Per-server concurrency and rate for one kind of server (``registry``, ``smtp`` ...)."""
        ...

    def pace(self, kind: str, key: str, rate: float, burst: float = 1.0) -> Pace:
        """A rate for one server (a resolver), taken a query at a time."""
        ...


class LocalBudgets:
    """The limits of one process: what a scan without workers uses."""

    async def __aenter__(self) -> LocalBudgets:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def gate(self, kind: str, concurrency: int, rate: float, burst: float = 1.0) -> PerKeyLimits:
        return PerKeyLimits(concurrency, rate, burst)

    def pace(self, kind: str, key: str, rate: float, burst: float = 1.0) -> TokenBucket:
        return TokenBucket(rate, burst)


LOCAL = LocalBudgets()
"""The in-process budgets (no state of its own: each ``gate`` and ``pace`` is new)."""
