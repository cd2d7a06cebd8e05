"""A UDP proxy that holds every DNS answer for a fixed time: a resolver "across a real network" on
loopback, for the benchmark and the tests (there the window decides throughput, not CPU).

It can also push back like a real resolver under load: ``loss`` drops that fraction of queries at
random (a lossy path), and ``capacity`` drops every query that arrives while that many are already
held (a resolver whose request list is full drops new queries; unbound's ``num-queries-per-thread``).
Dropped queries get no answer at all, as on the network; ``dropped`` counts them.

Queries arriving on ``address`` are forwarded to ``upstream`` with an id of the proxy's choosing;
each answer is sent back to its client with the client's id after ``delay`` seconds. Answers are
released in arrival order by one timer (the delay is the same for all), so holding thousands costs
no more than holding one. UDP only; it is a measuring instrument, not a DNS server, and it must only
ever be pointed at loopback.

Run it on its own (so it does not share the benchmark's CPU)::

    python -m lookalike.demo.delay_proxy 127.0.0.1:5353 --delay-ms 30 [--loss 0.01] [--capacity 512]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import random
import signal
import socket
import sys
import time
from types import TracebackType
from typing import Any

from lookalike.endpoints import HostPort

UPSTREAM_SOCKETS = 4
STALE_SECONDS = 10.0
"""A forwarded query with no answer after this long gives its proxy id back."""


class DelayProxy:
    """Async context manager: listen on ``host:port`` (0: a free port), forward to ``upstream``."""

    def __init__(
        self,
        upstream: HostPort,
        delay: float,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        loss: float = 0.0,
        capacity: int = 0,
        seed: int | None = None,
    ) -> None:
        if not 0.0 <= loss < 1.0:
            raise ValueError("loss must be a fraction from 0 to below 1")
        if capacity < 0:
            raise ValueError("capacity must not be negative (0: no limit)")
        self.upstream = upstream
        self.delay = delay
        self.loss = loss
        self.capacity = capacity
        """Queries held at once (forwarded and not yet answered back); 0: no limit."""
        self._random = random.Random(seed)
        self._host = host
        self._port = port
        self.address = HostPort(host, port)
        self.forwarded = 0
        """Queries passed upstream."""
        self.answered = 0
        """Answers passed back to clients."""
        self.dropped = 0
        """Queries dropped by ``loss`` or ``capacity``: never forwarded, never answered."""
        self.peak_held = 0
        """The most queries held at once."""
        self._in_flight = 0
        self._front: socket.socket | None = None
        self._backs: list[socket.socket] = []
        self._routes: list[dict[int, tuple[Any, bytes, float]]] = []
        self._next_ids = [0] * UPSTREAM_SOCKETS
        self._turn = 0
        self._held: collections.deque[tuple[float, bytes, Any]] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> DelayProxy:
        loop = asyncio.get_running_loop()
        self._loop = loop
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        front = socket.socket(family, socket.SOCK_DGRAM)
        front.setblocking(False)
        with contextlib.suppress(OSError):
            front.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            front.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        front.bind((self._host, self._port))
        self._front = front
        self.address = HostPort(self._host, front.getsockname()[1])
        loop.add_reader(front.fileno(), self._from_clients)
        up_family = socket.AF_INET6 if ":" in self.upstream.host else socket.AF_INET
        for index in range(UPSTREAM_SOCKETS):
            back = socket.socket(up_family, socket.SOCK_DGRAM)
            back.setblocking(False)
            with contextlib.suppress(OSError):
                back.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            back.connect((self.upstream.host, self.upstream.port))
            self._backs.append(back)
            self._routes.append({})
            loop.add_reader(back.fileno(), self._from_upstream, index)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        loop = self._loop
        for sock in [self._front, *self._backs]:
            if sock is not None and loop is not None:
                loop.remove_reader(sock.fileno())
                sock.close()
        self._front = None
        self._backs = []

    def _from_clients(self) -> None:
        front = self._front
        if front is None:
            return
        while True:
            try:
                data, addr = front.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            if len(data) < 12:
                continue
            if (self.capacity and self._in_flight >= self.capacity) or (
                self.loss and self._random.random() < self.loss
            ):
                self.dropped += 1
                continue
            index = self._turn = (self._turn + 1) % UPSTREAM_SOCKETS
            routes = self._routes[index]
            now = time.monotonic()
            proxy_id = self._next_ids[index]
            for _ in range(65536):
                proxy_id = (proxy_id + 1) & 0xFFFF
                route = routes.get(proxy_id)
                if route is None or now - route[2] > STALE_SECONDS:
                    break
            else:
                continue  # 65,536 queries waiting on this socket: drop, the client will retry
            self._next_ids[index] = proxy_id
            stale = routes.get(proxy_id)
            if stale is not None:
                self._in_flight -= 1  # its upstream answer never came: it is no longer held
            routes[proxy_id] = (addr, data[:2], now)
            try:
                self._backs[index].send(proxy_id.to_bytes(2, "big") + data[2:])
            except BlockingIOError:
                del routes[proxy_id]
                continue
            self.forwarded += 1
            self._in_flight += 1
            self.peak_held = max(self.peak_held, self._in_flight)

    def _from_upstream(self, index: int) -> None:
        back = self._backs[index]
        routes = self._routes[index]
        due = time.monotonic() + self.delay
        while True:
            try:
                data = back.recv(65535)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                continue
            route = routes.pop((data[0] << 8) | data[1], None) if len(data) >= 12 else None
            if route is None:
                continue
            addr, client_id, _ = route
            self._held.append((due, client_id + data[2:], addr))
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is None and self._held and self._loop is not None:
            self._timer = self._loop.call_at(
                self._loop.time() + max(0.0, self._held[0][0] - time.monotonic()), self._release
            )

    def _release(self) -> None:
        self._timer = None
        front = self._front
        now = time.monotonic()
        held = self._held
        while held and held[0][0] <= now and front is not None:
            _, data, addr = held.popleft()
            self._in_flight -= 1
            with contextlib.suppress(BlockingIOError):
                front.sendto(data, addr)
                self.answered += 1
        self._schedule()


async def _serve(
    upstream: HostPort, delay: float, *, host: str, port: int, loss: float, capacity: int
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with DelayProxy(upstream, delay, host=host, port=port, loss=loss, capacity=capacity) as proxy:
        print(f"listening on {proxy.address}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hold every DNS answer from UPSTREAM for a while.")
    parser.add_argument("upstream", help="ADDR:PORT of the resolver to forward to (loopback)")
    parser.add_argument("--delay-ms", type=float, default=30.0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--loss", type=float, default=0.0, help="fraction of queries dropped at random")
    parser.add_argument("--capacity", type=int, default=0, help="queries held at once; more are dropped")
    args = parser.parse_args(argv)
    upstream = HostPort.parse(args.upstream, 53)
    asyncio.run(
        _serve(
            upstream,
            args.delay_ms / 1000,
            host=args.host,
            port=args.port,
            loss=args.loss,
            capacity=args.capacity,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
