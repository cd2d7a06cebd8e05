"""The triage stream: the engine of ``Resolver.triage_many``, a pump for first attempts and
coroutines only for the rest.

At tens of thousands of names a second a task, a future and a timer per name cost more than the
network. So the first attempt of each name is sent by one feeder task, its reply is judged in the
socket's read callback (``replied``), and its timeout is found by one sweeper walking a FIFO of
deadlines (every first attempt has the same timeout, so deadlines arrive in order). Only what that
attempt cannot settle (no reply, SERVFAIL, REFUSED, a referral, a malformed or truncated reply)
becomes a task running the general retry loop, which accepts a late reply to the first attempt.

It holds no policy of its own: "settled" is ``policy.definite``; the outcome of a reply and the
retry loop are the resolver's, handed in as callables.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Coroutine, Iterable

from lookalike import dnswire
from lookalike.model import Existence, Outcome, Status
from lookalike.resolver import policy
from lookalike.resolver.transport import Query, Reply, Slots, Transport

TRIAGE_TYPES = {True: dnswire.NS, False: dnswire.A}
"""What triage asks: NS at a registrable domain (the zone cut), A below one."""

Settle = Callable[[policy.Answer, bytes], Outcome[Existence]]
"""The resolver's verdict on a settled question (its qname): shared outcomes, CNAMEs into nothing."""
Retry = Callable[[Query, int, list[tuple[str, str]]], Awaitable[Outcome[Existence]]]
"""The resolver's retry loop for a question from its attempt ``first`` on (failures so far)."""


class TriageStream:
    """One ``triage_many`` run over ``names``. ``run()`` yields ``(name, outcome)`` as they finish."""

    def __init__(
        self,
        transport: Transport,
        names: Iterable[tuple[str, bool]] | AsyncIterable[tuple[str, bool]],
        *,
        settle: Settle,
        retry: Retry,
    ) -> None:
        self._transport = transport
        self._names = names
        self._settle = settle
        self._retry_loop = retry
        self._finished: collections.deque[tuple[str, Outcome[Existence]]] = collections.deque()
        self._deadlines: collections.deque[Query] = collections.deque()
        self._ready = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._outstanding = 0
        self._fed = False
        self._error: BaseException | None = None
        self._slots = transport.slots
        # Finished-but-unread results plus questions in flight stay under twice the concurrency,
        # however slowly the consumer reads: that is what keeps memory flat.
        self._room = Slots(2 * transport.limits.concurrency)
        self._settled: dict[tuple[int, str], Outcome[Existence]] = {}
        """The shared outcome per (RCODE, resolver) for replies that need no further reading."""

    async def run(self) -> AsyncIterator[tuple[str, Outcome[Existence]]]:
        finished = self._finished
        self._spawn(self._feed())
        self._spawn(self._sweep())
        try:
            while True:
                while finished:
                    self._room.give()
                    yield finished.popleft()
                if self._error is not None:
                    raise self._error
                if self._fed and not self._outstanding:
                    return
                self._ready.clear()
                await self._ready.wait()
        finally:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            for query in self._deadlines:
                if query.sink is self:
                    self._transport.release(query)
            self._deadlines.clear()
            # Questions abandoned by an early close give their concurrency back to the resolver.
            for _ in range(self._outstanding):
                self._slots.give()
            self._outstanding = 0

    def _spawn(self, coro: Coroutine[None, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self._error is None:
            self._error = task.exception()  # a bug, or an error from the input: raised to the consumer
            self._ready.set()

    def _finish(self, name: str, outcome: Outcome[Existence]) -> None:
        self._outstanding -= 1
        self._slots.give()
        self._finished.append((name, outcome))
        self._ready.set()

    async def _feed(self) -> None:
        """Send the first attempt of every name, as fast as the slots, windows and rates allow."""
        transport = self._transport
        upstreams = transport.upstreams
        timeout = transport.limits.timeout
        loop = asyncio.get_running_loop()
        room = self._room
        slots = self._slots
        deadlines = self._deadlines
        names = self._names
        async_source = aiter(names) if isinstance(names, AsyncIterable) else None
        sync_source = iter(names) if not isinstance(names, AsyncIterable) else iter(())
        item: tuple[str, bool] | None
        try:
            while True:
                if not room.try_take():
                    await room.take()
                if async_source is not None:
                    try:
                        item = await anext(async_source)
                    except StopAsyncIteration:
                        return
                else:
                    item = next(sync_source, None)
                if item is None:
                    return
                name, apex = item
                if not slots.try_take():
                    await slots.take()
                self._outstanding += 1
                try:
                    qname = dnswire.encode_name(name)
                except dnswire.WireError as exc:
                    self._finish(name, Outcome(Status.ERROR, Existence.UNKNOWN, str(exc)))
                    continue
                query = Query(qname, TRIAGE_TYPES[apex])
                query.name = name
                query.start = start = transport.next_start()
                upstream = upstreams[start]
                if not upstream.ready():
                    await upstream.admit()
                sent = transport.send(upstream, query, 0)
                if sent is None:
                    # The send buffer is full: give the loop a turn to drain replies, then let the
                    # retry loop ask again; this attempt counts as lost.
                    self._hand_over(query, 1, [("send buffer full", upstream.label)])
                    await asyncio.sleep(0)
                    continue
                if isinstance(sent, OSError):
                    self._hand_over(query, 1, [(f"send failed: {sent.strerror or sent}", upstream.label)])
                    continue
                query.sink = self
                query.deadline = loop.time() + timeout
                deadlines.append(query)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            # An error from the input (the generator) must reach the consumer; record it before the
            # finally below wakes the consumer, or it would see a stream that merely ended.
            if self._error is None:
                self._error = exc
            raise
        finally:
            self._fed = True
            self._ready.set()

    def replied(self, query: Query, reply: Reply) -> None:
        """A reply to a first attempt (called from the socket's read callback)."""
        rcode = reply.rcode
        data = reply.data
        query.sink = None
        flags = (data[2] << 8) | data[3] if data else 0
        ancount = (data[6] << 8) | data[7] if data else 0
        if policy.definite(rcode, flags, ancount) and not policy.truncated(flags):
            self._transport.release(query)
            # Only an NXDOMAIN with answers (a CNAME into nothing?) needs its records read.
            plain = rcode == dnswire.NOERROR or not ancount
            outcome = self._settled.get((rcode, reply.label)) if plain else None
            if outcome is None:
                status = Status.OK if rcode == dnswire.NOERROR else Status.ABSENT
                answer = policy.Answer(status, data, policy.said(rcode, reply.label, tcp=reply.tcp))
                outcome = self._settle(answer, query.qname)
                if plain:
                    self._settled[(rcode, reply.label)] = outcome
            self._finish(query.name, outcome)
            return
        query.late = reply  # judged again, with retries, by the general loop
        self._hand_over(query, 0, [])

    def _hand_over(self, query: Query, first: int, failures: list[tuple[str, str]]) -> None:
        query.sink = None
        self._spawn(self._retry(query, first, failures))

    async def _retry(self, query: Query, first: int, failures: list[tuple[str, str]]) -> None:
        outcome = await self._retry_loop(query, first, failures)
        self._finish(query.name, outcome)

    async def _sweep(self) -> None:
        """Hand first attempts that passed their deadline to the retry loop."""
        transport = self._transport
        timeout = transport.limits.timeout
        tick = min(max(timeout / 20, 0.005), 0.05)
        deadlines = self._deadlines
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            while deadlines and deadlines[0].deadline <= now:
                query = deadlines.popleft()
                if query.sink is self:
                    transport.counters.timeouts += 1
                    upstream = transport.upstreams[query.start]
                    transport.lose(query, upstream)
                    self._hand_over(query, 1, [("timeout", upstream.label)])
