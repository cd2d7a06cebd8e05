"""Politeness shared through a real Redis: several ``SharedBudgets`` (one connection each, as separate
workers have) draw on one budget per server, and hold back together."""

from __future__ import annotations

import asyncio
import time

import pytest

from lookalike.budgets import BudgetLost, SharedBudgets
from lookalike.demo.redis import RedisServer
from lookalike.ratelimit import LOCAL
from tests.fixtures.scale import most_in_window

WORKERS = 4


async def test_workers_share_one_rate_per_server(redis_url: str) -> None:
    rate = 10.0
    sent: list[float] = []
    budgets = [SharedBudgets(redis_url) for _ in range(WORKERS)]

    async def worker(budget: SharedBudgets) -> None:
        async with budget:
            gate = budget.gate("registry", 8, rate)
            for _ in range(8):
                async with gate.turn("rdap.example:443") as refusal:
                    assert refusal == ""
                    sent.append(time.monotonic())

    await asyncio.gather(*(worker(b) for b in budgets))
    assert len(sent) == WORKERS * 8
    # One bucket of ``rate`` a second (burst 1): 32 requests take 3.1 s at least, where four
    # separate buckets would send them in 0.7 s. The margin is for the client's own scheduling.
    assert max(sent) - min(sent) >= (len(sent) - 1) / rate - 0.1
    assert most_in_window(sent, 1.0 - 0.15) <= rate
    # Another server has a budget of its own.
    async with budgets[0] as budget:
        other = budget.gate("registry", 8, rate)
        started = time.monotonic()
        async with other.turn("whois.example:43") as refusal:
            assert refusal == ""
        assert time.monotonic() - started < 0.5


async def test_workers_share_the_concurrency_of_a_server(redis_url: str) -> None:
    busy = 0
    most = 0
    budgets = [SharedBudgets(redis_url) for _ in range(WORKERS)]

    async def worker(budget: SharedBudgets) -> None:
        nonlocal busy, most
        async with budget:
            gate = budget.gate("smtp", 2, 0.0)

            async def one() -> None:
                nonlocal busy, most
                async with gate.semaphore("192.0.2.25"):
                    busy += 1
                    most = max(most, busy)
                    await asyncio.sleep(0.05)
                    busy -= 1

            await asyncio.gather(*(one() for _ in range(5)))

    await asyncio.gather(*(worker(b) for b in budgets))
    assert most == 2


async def test_a_retry_after_holds_every_worker_back(redis_url: str) -> None:
    async with SharedBudgets(redis_url) as told, SharedBudgets(redis_url) as other:
        await told.gate("registry", 2, 100.0).defer("rdap.example:443", 1.0)
        gate = other.gate("registry", 2, 100.0)
        started = time.monotonic()
        async with gate.turn("rdap.example:443") as refusal:
            assert refusal == ""
        assert time.monotonic() - started >= 0.8
        await told.gate("registry", 2, 100.0).defer("rdap.example:443", 120.0)
        async with gate.turn("rdap.example:443", patience=10.0) as refusal:
            assert "held back" in refusal  # longer than the caller's patience: not waited for
        async with gate.turn("whois.example:43", deadline=time.monotonic() + 5) as refusal:
            assert refusal == ""  # a hold is per server


async def test_a_dead_workers_slot_frees_when_its_lease_ends(redis_url: str) -> None:
    dead = SharedBudgets(redis_url, lease=0.6)
    async with dead:
        gate = dead.gate("smtp", 1, 0.0)
        holder = gate.semaphore("192.0.2.25")
        await holder.__aenter__()  # taken and never given back: the worker died holding it
        # Its renewals die with it:
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task() and "_renew" in repr(task.get_coro()):
                task.cancel()
    async with SharedBudgets(redis_url, lease=0.6) as alive:
        started = time.monotonic()
        async with alive.gate("smtp", 1, 0.0).semaphore("192.0.2.25"):
            waited = time.monotonic() - started
    assert 0.3 <= waited < 5.0


async def test_a_held_slot_is_renewed_past_its_lease(redis_url: str) -> None:
    async with SharedBudgets(redis_url, lease=0.6) as first, SharedBudgets(redis_url, lease=0.6) as second:
        entered = asyncio.Event()
        release = asyncio.Event()

        async def hold() -> None:
            async with first.gate("smtp", 1, 0.0).semaphore("192.0.2.25"):
                entered.set()
                await release.wait()

        holder = asyncio.create_task(hold())
        await entered.wait()
        taken = asyncio.create_task(_enter(second))
        await asyncio.sleep(1.5)  # more than two leases: the holder renewed it
        assert not taken.done()
        release.set()
        await asyncio.wait_for(taken, 5)
        await holder


async def _enter(budgets: SharedBudgets) -> None:
    async with budgets.gate("smtp", 1, 0.0).semaphore("192.0.2.25"):
        pass


async def test_resolver_queries_share_one_rate(redis_url: str) -> None:
    rate = 200.0
    sent: list[float] = []
    budgets = [SharedBudgets(redis_url) for _ in range(WORKERS)]

    async def worker(budget: SharedBudgets) -> None:
        async with budget:
            pace = budget.pace("dns", "127.0.0.1:53", rate, max(1.0, rate / 50))
            for _ in range(100):
                assert await pace.acquire()
                sent.append(time.monotonic())

    await asyncio.gather(*(worker(b) for b in budgets))
    # 400 queries at 200/s with a burst of 4: 1.98 s at least (separate buckets: 0.5 s).
    assert max(sent) - min(sent) >= (len(sent) - 4) / rate - 0.1


async def test_a_lost_redis_is_one_error_and_nothing_is_sent(tmp_path: object) -> None:
    with RedisServer() as server:
        budgets = SharedBudgets(server.url())
        async with budgets:
            gate = budgets.gate("registry", 2, 10.0)
            async with gate.turn("rdap.example:443") as refusal:
                assert refusal == ""
            server.stop()
            with pytest.raises(BudgetLost, match=r"lost the shared budgets at redis://127\.0\.0\.1:\d+/0 \("):
                async with gate.turn("rdap.example:443"):
                    pytest.fail("a request went out without its budget")


async def test_the_local_budgets_are_the_process_own() -> None:
    async with LOCAL as budgets:
        one = budgets.gate("registry", 1, 0.0)
        two = budgets.gate("registry", 1, 0.0)
        async with one.semaphore("x"), two.semaphore("x"):
            pass  # two scans in one process do not share (each Scanner has its own)
