"""Politeness shared by every worker: per-server rates and concurrency kept in Redis.

A distributed scan runs many processes on many hosts; each keeps its own limits in memory
(``ratelimit``), so four workers would ask a registry four times as often as one may. Here the
same interfaces (``ratelimit.Gate``, ``ratelimit.Pace``) are backed by Redis, so all workers draw
on one budget per server:

* a **token bucket** per server (a hash ``lookalike:rate:KIND:SERVER``): one Lua script refills it
  from Redis's own clock (``TIME``; the workers' clocks never matter), takes tokens and says how long
  to wait otherwise. A server's ``Retry-After`` (``defer``) is stored in the same hash, so every
  worker holds back, not only the one that was told.
* a **lease semaphore** per server (a sorted set ``lookalike:slots:KIND:SERVER``): a slot is a member
  whose score is when its lease ends; the holder renews it while it works, and a worker that dies
  holding one loses it when the lease runs out (``LEASE`` seconds), never for good.

Resolver queries (``pace``) take tokens in small batches (20 ms worth, the burst of the local
bucket), so a budget of thousands of queries a second costs a few hundred Redis round trips a second,
not one per query; a batch not spent within its own time is dropped, so no process saves tokens up.

When Redis cannot be reached a request is not sent: ``BudgetLost`` (a ``LookalikeError``) ends the
task, as a lost database does, and ``--resume`` finishes the scan. Must not: decide what a request
is, or touch anything but Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from lookalike.errors import LookalikeError
from lookalike.ratelimit import MAX_DEFER, PATIENCE

if TYPE_CHECKING:
    import redis.asyncio

PREFIX: Final = "lookalike"
LEASE: Final = 30.0
"""Seconds a concurrency slot is held without renewal; the holder renews it every third of that."""
POLL: Final = 0.05
"""Seconds between tries for a full semaphore (jittered), at most."""
BATCH_LIFE: Final = 0.02
"""Seconds a batch of resolver tokens may be spent in before it is dropped (the local burst's span)."""

# Refill from Redis's clock, then take up to ARGV[3] tokens. Returns {taken, wait, held}: wait is
# the seconds until a token (or until the server's hold ends, when held is 1).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local s = redis.call('HMGET', KEYS[1], 'tokens', 'stamp', 'held')
local held = tonumber(s[3]) or 0
if held > now then return {0, tostring(held - now), 1} end
local tokens = tonumber(s[1]) or burst
local stamp = tonumber(s[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local got = 0
if tokens >= 1 then got = math.min(want, math.floor(tokens)) tokens = tokens - got end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst / rate + 1) * 1000) + 1000)
if got > 0 then return {got, '0', 0} end
return {0, tostring((1 - tokens) / rate), 0}
"""

# Hold the server back ARGV[1] seconds from now (a later hold is kept).
_DEFER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local held = tonumber(redis.call('HGET', KEYS[1], 'held')) or 0
local until_ = math.max(held, now + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'held', tostring(until_))
redis.call('PEXPIRE', KEYS[1], math.ceil((until_ - now + 1) * 1000))
return tostring(until_ - now)
"""

# Take a slot for ARGV[2] (a unique holder) when fewer than ARGV[1] leases are live. Returns
# {1, 0} or {0, seconds until the first lease ends}.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, lease = tonumber(ARGV[1]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], math.ceil(lease * 1000) + 1000)
  return {1, '0'}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(first[2]) - now)}
"""

# Extend ARGV[1]'s lease by ARGV[2] seconds from now, if it still holds one.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000) + 1000)
  return 1
end
return 0
"""


class BudgetLost(LookalikeError):
    """Redis, which holds the shared budgets, cannot be reached: nothing more is sent."""


def _redis() -> Any:
    try:
        import redis.asyncio
    except ImportError as exc:
        raise LookalikeError("shared budgets need redis-py: pip install 'lookalike[scale]'") from exc
    return redis.asyncio


class SharedBudgets:
    """``ratelimit.Budgets`` kept in Redis at ``url``. Enter it inside the event loop that uses it
    (it opens its connection there); it can be entered again in a later loop."""

    def __init__(self, url: str, *, lease: float = LEASE) -> None:
        """``lease``: seconds a concurrency slot outlives a holder that stopped renewing it."""
        self.url = url
        self.lease = lease
        self.label = url_label(url)
        self._client: redis.asyncio.Redis | None = None
        self._scripts: dict[str, Any] = {}

    async def __aenter__(self) -> SharedBudgets:
        module = _redis()
        try:
            self._client = module.Redis.from_url(
                self.url, socket_timeout=10.0, socket_connect_timeout=10.0, health_check_interval=30
            )
        except ValueError as exc:
            raise LookalikeError(f"{self.label} is not a redis:// URL: {exc}") from exc
        self._scripts = {
            name: self._client.register_script(text)
            for name, text in (("take", _TAKE), ("defer", _DEFER), ("acquire", _ACQUIRE), ("renew", _RENEW))
        }
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def call(self, script: str, keys: list[str], args: list[object]) -> Any:
        """Run one of the scripts; a Redis that went away is ``BudgetLost``."""
        if self._client is None:
            raise LookalikeError("the shared budgets are used outside `async with`")
        errors = _redis().RedisError
        try:
            return await self._scripts[script](keys=keys, args=args)
        except (errors, OSError) as exc:
            raise BudgetLost(
                f"lost the shared budgets at {self.label} ({_first_line(exc)}); nothing more is sent:"
                " `--resume` finishes a scan"
            ) from exc

    async def release(self, key: str, holder: str) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # an unreleased lease runs out by itself
                await self._client.zrem(key, holder)

    def gate(self, kind: str, concurrency: int, rate: float, burst: float = 1.0) -> SharedGate:
        return SharedGate(self, kind, concurrency, rate, burst)

    def pace(self, kind: str, key: str, rate: float, burst: float = 1.0) -> SharedPace:
        return SharedPace(self, f"{PREFIX}:rate:{kind}:{key}", rate, burst)


def url_label(url: str) -> str:
    """A broker or Redis URL for messages: without its password."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}" if user.split(":", 1)[0] else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


async def _take(
    budgets: SharedBudgets,
    key: str,
    rate: float,
    burst: float,
    want: int,
    *,
    deadline: float | None,
    patience: float | None,
) -> int:
    """Tokens from ``key``'s bucket, waiting for them; 0 when the wait would pass ``deadline`` or the
    server's own hold is longer than ``patience`` (then nothing is taken)."""
    while True:
        got, wait_text, held = await budgets.call("take", [key], [rate, max(burst, 1.0), want])
        if int(got) > 0:
            return int(got)
        wait = float(wait_text)
        if held and patience is not None and wait > patience:
            return 0
        if deadline is not None and time.monotonic() + wait > deadline:
            return 0
        # A little jitter: the workers that wait for the same token do not all ask at once.
        await asyncio.sleep(wait + random.uniform(0.0, 0.002))


class SharedPace:
    """A resolver's rate over every worker, taken from Redis in batches of the burst's size."""

    def __init__(self, budgets: SharedBudgets, key: str, rate: float, burst: float) -> None:
        self._budgets = budgets
        self._key = key
        self.rate = rate
        self._burst = max(burst, 1.0)
        self._stock = 0
        self._stocked_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0

    async def acquire(self, *, deadline: float | None = None, patience: float | None = None) -> bool:
        if self.unlimited:
            return True
        async with self._lock:
            now = time.monotonic()
            if self._stock and now - self._stocked_at > max(BATCH_LIFE, 1.0 / self.rate):
                self._stock = 0  # a batch not spent in its time is dropped, not saved up
            if not self._stock:
                got = await _take(
                    self._budgets,
                    self._key,
                    self.rate,
                    self._burst,
                    int(self._burst),
                    deadline=deadline,
                    patience=patience,
                )
                if not got:
                    return False
                self._stock, self._stocked_at = got, time.monotonic()
            self._stock -= 1
            return True


class SharedGate:
    """Per-server concurrency (a lease semaphore) and rate (a token bucket) over every worker, for one
    kind of server. Within the process a local semaphore queues callers first, so a process never has
    more tries at Redis in the air than it could hold slots."""

    def __init__(
        self, budgets: SharedBudgets, kind: str, concurrency: int, rate: float, burst: float = 1.0
    ) -> None:
        self._budgets = budgets
        self._kind = kind
        self.concurrency = max(concurrency, 1)
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._local: dict[str, asyncio.Semaphore] = {}
        self._turns: dict[str, asyncio.Lock] = {}

    def _rate_key(self, key: str) -> str:
        return f"{PREFIX}:rate:{self._kind}:{key}"

    @asynccontextmanager
    async def semaphore(self, key: str) -> AsyncIterator[object]:
        """One of ``concurrency`` slots for ``key`` over all workers, held (and renewed) inside."""
        local = self._local.setdefault(key, asyncio.Semaphore(self.concurrency))
        async with local:
            slots = f"{PREFIX}:slots:{self._kind}:{key}"
            holder = uuid.uuid4().hex
            while True:
                got, wait_text = await self._budgets.call(
                    "acquire", [slots], [self.concurrency, holder, self._budgets.lease]
                )
                if int(got):
                    break
                await asyncio.sleep(min(float(wait_text), POLL) * random.uniform(0.5, 1.0))
            renewer = asyncio.get_running_loop().create_task(self._renew(slots, holder))
            try:
                yield holder
            finally:
                renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError, LookalikeError):
                    await renewer
                await self._budgets.release(slots, holder)

    async def _renew(self, slots: str, holder: str) -> None:
        lease = self._budgets.lease
        while True:
            await asyncio.sleep(lease / 3)
            await self._budgets.call("renew", [slots], [holder, lease])

    @asynccontextmanager
    async def turn(
        self, key: str, *, deadline: float | None = None, patience: float | None = PATIENCE
    ) -> AsyncIterator[str]:
        """As ``ratelimit.PerKeyLimits.turn``: a slot, then a token; yields "" when the request may
        go, else why not (and the caller sends nothing)."""
        async with self.semaphore(key):
            if self.rate <= 0:
                yield ""
                return
            lock = self._turns.setdefault(key, asyncio.Lock())
            async with lock:  # this process's callers take turns; the workers race fairly for tokens
                got = await _take(
                    self._budgets,
                    self._rate_key(key),
                    self.rate,
                    self.burst,
                    1,
                    deadline=deadline,
                    patience=patience,
                )
            if got:
                yield ""
                return
            yield f"{key} is held back past this lookup's deadline or patience (shared budget)"

    async def defer(self, key: str, seconds: float) -> None:
        if seconds > 0:
            await self._budgets.call("defer", [self._rate_key(key)], [min(seconds, MAX_DEFER)])


async def probe(url: str) -> None:
    """Check that Redis at ``url`` answers (one PING); ``LookalikeError`` with one line if not."""
    async with SharedBudgets(url) as budgets:
        assert budgets._client is not None
        try:
            await budgets._client.ping()
        except (_redis().RedisError, OSError) as exc:
            raise LookalikeError(f"cannot reach {budgets.label}: {_first_line(exc)}") from exc
