"""Token buckets: the rate holds on average, bursts are bounded, Retry-After defers waiters."""

from __future__ import annotations

import asyncio
import time

import pytest

from lookalike.ratelimit import MAX_DEFER, PerKeyLimits, TokenBucket


async def test_rate_is_respected() -> None:
    bucket = TokenBucket(rate=40.0, burst=1.0)
    start = time.monotonic()
    for _ in range(9):
        await bucket.acquire()
    # 1 token at once, then 8 more at 40/s: at least 0.2 s.
    assert time.monotonic() - start >= 0.19


async def test_unlimited_never_waits() -> None:
    bucket = TokenBucket(rate=0)
    start = time.monotonic()
    for _ in range(1000):
        await bucket.acquire()
    assert time.monotonic() - start < 0.5


async def test_defer_holds_back_a_waiter_already_queued() -> None:
    bucket = TokenBucket(rate=100.0, burst=1.0)
    await bucket.acquire()  # the bucket is now empty: the next acquire waits ~10 ms
    waiter = asyncio.ensure_future(bucket.acquire())
    await asyncio.sleep(0)
    start = time.monotonic()
    bucket.defer(0.3)  # the server said Retry-After: 0.3
    await waiter
    assert time.monotonic() - start >= 0.25


def test_per_key_limits_are_per_key() -> None:
    limits = PerKeyLimits(concurrency=2, rate=1.0)
    assert limits.semaphore("a") is limits.semaphore("a")
    assert limits.semaphore("a") is not limits.semaphore("b")
    assert limits.bucket("a") is not limits.bucket("b")


def test_no_server_defers_us_for_days() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=1.0, burst=1.0, clock=lambda: now[0])
    bucket.defer(9_999_999)
    assert bucket.wait() == pytest.approx(MAX_DEFER)
    bucket.defer(float("inf"))
    bucket.defer(float("nan"))
    assert bucket.wait() == pytest.approx(MAX_DEFER)
    now[0] += 100
    assert bucket.wait() == pytest.approx(MAX_DEFER - 100)


async def test_acquire_gives_up_at_once_past_a_deadline() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=1.0, burst=1.0, clock=lambda: now[0])
    bucket.defer(60)
    async with asyncio.timeout(30):  # it must not sleep toward the deadline (60 s away)
        assert await bucket.acquire(deadline=5.0) is False
    assert bucket.wait() == pytest.approx(60)  # and it took nothing
    fresh = TokenBucket(rate=1.0, burst=1.0)
    assert await fresh.acquire(deadline=time.monotonic() + 5) is True
