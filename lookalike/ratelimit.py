"""Rate limits: a token bucket per remote server, so no resolver or registry gets more than its share.

Pure asyncio; the clock is injectable so tests can check rates without sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


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
        self._lock = asyncio.Lock()

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self) -> None:
        """Wait until a token is free, then take it."""
        if self.unlimited:
            return
        async with self._lock:
            self._refill()
            # A loop, not one sleep: a Retry-After (``defer``) may arrive while we wait.
            while self._tokens < 1.0:
                await asyncio.sleep((1.0 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1.0

    def defer(self, seconds: float) -> None:
        """Spend the next ``seconds`` worth of tokens: honours a server's ``Retry-After``."""
        if self.unlimited or seconds <= 0:
            return
        self._refill()
        self._tokens -= seconds * self.rate


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
