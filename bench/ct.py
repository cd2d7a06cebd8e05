"""CT benchmark: entries per second from loopback logs of both kinds, parsing and matching included,
and how long a new entry takes to be seen.

    python -m bench.ct                    # 20,000 entries per log, 1,000 protected domains
    python -m bench.ct --entries 50000

The logs (lookalike.demo.ct_server) run in a separate process, so the figure is the follower's:
HTTP, verification (signed heads, consistency, hashes up to the signed root), certificate parsing
and matching, per process. The certificates come from a throwaway CA; one entry in 1,000 is a planted
lookalike, which must be found. Reference: the same entries parsed without matching.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
from multiprocessing.connection import Connection

import httpx

from bench.match import protected_set
from lookalike import names
from lookalike.feeds.ct import Follower, Verdict
from lookalike.feeds.loglist import LogKind, parse_log_list
from lookalike.match import Matcher


def serve(kind: str, entries: int, pipe: Connection) -> None:
    """The log server process: build the log, serve it, add one entry when asked."""
    from lookalike.demo.ct_server import CtLog, CtLogServer, TestCA, log_list_document

    async def main() -> None:
        ca = TestCA()
        log = CtLog(LogKind(kind))
        batch = []
        for i in range(entries):
            name = "paypa1-login.com" if i % 1000 == 999 else f"host{i}.example{i % 97}.net"
            batch.append(ca.issue([name, f"www.{name}"], precert=i % 2 == 0))
        log.add(batch)
        log.publish()
        async with CtLogServer(log) as server:
            pipe.send(json.dumps(log_list_document([server])))
            loop = asyncio.get_running_loop()
            while True:
                command = await loop.run_in_executor(None, pipe.recv)
                if command == "stop":
                    return
                log.add([ca.issue(["kestre1systems-secure.com"])])
                log.publish()
                pipe.send("added")

    asyncio.run(main())


async def follow(
    document: str, matcher: Matcher | None, pipe: Connection
) -> tuple[int, int, float, float, float]:
    (log,) = parse_log_list(document.encode())
    async with httpx.AsyncClient(trust_env=False) as client:
        follower = Follower(log, client, batch=2048)
        start = await follower.start(0)
        assert start.position is not None, start.detail
        position, count, hits = start.position, 0, 0
        wall, cpu = time.perf_counter(), time.process_time()
        while True:
            step = await follower.step(position)
            assert step.verdict is Verdict.OK, step.detail
            if not step.entries:
                break
            count += len(step.entries)
            if matcher is not None:
                hits += sum(1 for e in step.entries for n in e.names if matcher.match(n))
            assert step.position is not None
            position = step.position
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        # Latency: an entry logged now, seen at the next poll (every 0.5 s here; the watch command polls).
        pipe.send("add")
        pipe.recv()
        logged = time.perf_counter()
        while True:
            step = await follower.step(position)
            assert step.position is not None
            position = step.position
            if step.entries:
                break
            await asyncio.sleep(0.5)
        return count, hits, wall, cpu, time.perf_counter() - logged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--protected", type=int, default=1000)
    args = parser.parse_args(argv)
    matcher = Matcher(
        [names.parse(d) for d in [*protected_set(args.protected - 2), "paypal.com", "kestrelsystems.com"]]
    )
    for kind in LogKind:
        here, there = multiprocessing.Pipe()
        server = multiprocessing.Process(target=serve, args=(kind.value, args.entries, there), daemon=True)
        built = time.perf_counter()
        server.start()
        document = here.recv()
        print(
            f"{kind.value}: {args.entries:,} entries logged in {time.perf_counter() - built:.1f} s "
            "(server process)"
        )
        for label, m in (("parse only", None), ("parse and match", matcher)):
            count, hits, wall, cpu, latency = asyncio.run(follow(document, m, here))
            print(
                f"  {label:<16} {count:,} entries in {wall:.2f} s wall, {cpu:.2f} s CPU: {count / wall:,.0f} "
                f"entries/s wall, {count / cpu:,.0f}/s per process CPU; {hits} names matched; "
                f"a new entry seen {latency:.2f} s after it was logged"
            )
        here.send("stop")
        server.join(timeout=30)
    print(
        f"\nPython {sys.version.split()[0]}; verified: heads, consistency, every hash up to the signed root."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
