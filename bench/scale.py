"""Distributed scans: names/s with one worker and with two, and the shared registry budget with four.

    python -m bench.scale [--repeat 2] [--unit-size 2000] [--budget 20]

1. CPU the limit: ``lookalike scan bankofamerica.com --no-registry`` against loopback unbound (the
   zones of ``bench.dns``: one lookalike in twenty exists), through Redis and PostgreSQL, with one
   ``lookalike worker --concurrency 1`` and then two. Printed: the whole scan's names/s (the
   coordinator's generation, references, plan and compaction included) and the units' names/s (first
   unit received to last unit done, from the workers' logs), each with the load average before the
   run; the runs alternate (1, 2, 1, 2 ...). The target: two workers on two cores at 1.8x one.
2. Politeness: the same scan with registry lookups on, four workers, every lookalike that exists
   asked of one loopback RDAP server (``.com``) or one WHOIS server (the other TLDs) at a shared
   budget of ``--budget`` requests/s per server. Printed per server: requests, the busiest second, and
   the seconds with more requests than the budget (the target: 0).

Every server is on loopback; nothing leaves the machine. Figures to compare, not pass/fail.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

from bench.dns import DOMAIN, lookalikes, write_zones
from lookalike.demo.background import in_background
from lookalike.demo.postgres import PostgresCluster, find_postgres
from lookalike.demo.rdap_server import RdapServer
from lookalike.demo.redis import RedisServer, find_redis
from lookalike.demo.unbound import Unbound, find_unbound
from lookalike.demo.whois_server import WhoisServer

STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/[^\]]+\] Task \S+ (received|succeeded)")


@contextmanager
def workers(count: int, *, broker: str, db: str, tmp: Path, tag: str) -> Iterator[list[Path]]:
    """``count`` workers of one pool process each; their log files."""
    logs = [tmp / f"{tag}-{n}.log" for n in range(count)]
    procs = []
    for n, log in enumerate(logs):
        with log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "lookalike",
                        "worker",
                        "--broker",
                        broker,
                        "--db",
                        db,
                        "--concurrency",
                        "1",
                        "--hostname",
                        f"{tag}{n}@bench",
                        "--loglevel",
                        "INFO",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )
    deadline = time.monotonic() + 120
    while not all(" ready." in log.read_text("utf-8", "replace") for log in logs):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            raise SystemExit(f"bench.scale: a worker did not start: {logs[0].read_text()[-2000:]}")
        time.sleep(0.2)
    try:
        yield logs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)


def units_span(logs: Sequence[Path]) -> float:
    """Seconds from the first unit received to the last unit done, over every worker's log."""
    stamps = []
    for log in logs:
        for line in log.read_text("utf-8", "replace").splitlines():
            if found := STAMP.match(line):
                stamps.append(datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp())
    return max(stamps) - min(stamps) if stamps else float("nan")


def scan(args: Sequence[str], *, db: str, broker: str, unit_size: int, report: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lookalike",
            "scan",
            DOMAIN,
            *args,
            "--db",
            db,
            "--broker",
            broker,
            "--unit-size",
            str(unit_size),
            "--quiet",
            "--report",
            str(report),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"bench.scale: the scan failed ({done.returncode}): {done.stderr[-2000:]}")
    return took


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each worker count")
    parser.add_argument("--unit-size", type=int, default=2000, help="candidates per unit")
    parser.add_argument("--budget", type=float, default=20.0, help="registry requests/s per server")
    args = parser.parse_args()
    missing = [n for n, found in (("unbound", find_unbound()), ("redis-server", find_redis())) if not found]
    if find_postgres() is None:
        missing.append("postgresql")
    if missing:
        raise SystemExit(f"bench.scale: install {', '.join(missing)} (make debs)")
    names = lookalikes()
    work = Path(tempfile.mkdtemp(prefix="lookalike-bench-scale-"))
    try:
        existing = write_zones(work / "zones", names)
        with ExitStack() as stack:
            unbound = stack.enter_context(Unbound(work / "zones", work / "unbound", threads=1))
            pg = stack.enter_context(PostgresCluster())
            redis = stack.enter_context(RedisServer())
            print(
                f"bench.scale: {DOMAIN}, {len(names):,} candidates ({existing:,} names exist in the zones),"
                f" units of {args.unit_size:,}; {os.cpu_count()} CPUs; unbound 1 thread, PostgreSQL and"
                " Redis on loopback"
            )
            dns = ["--resolver", str(unbound.address)]
            print("\n1. names/s, --no-registry (CPU the limit)")
            print(f"{'workers':>7}  {'run':>3}  {'load before':>15}  {'whole scan':>18}  {'units':>18}")
            results: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
            for run in range(1, args.repeat + 1):
                for count in (1, 2):
                    db = pg.create_schema()
                    before = load()
                    with workers(
                        count, broker=redis.url(count), db=db, tmp=work, tag=f"r{run}w{count}"
                    ) as logs:
                        took = scan(
                            [*dns, "--no-registry", "--plan-top", "0"],
                            db=db,
                            broker=redis.url(count),
                            unit_size=args.unit_size,
                            report=work / "report.html",
                        )
                    span = units_span(logs)
                    results[count].append((len(names) / took, len(names) / span))
                    print(
                        f"{count:>7}  {run:>3}  {before:>15}  {len(names) / took:>10,.0f} names/s"
                        f"  {len(names) / span:>10,.0f} names/s"
                    )
            for kind, index in (("whole scan", 0), ("units", 1)):
                one = max(r[index] for r in results[1])
                two = max(r[index] for r in results[2])
                print(f"two workers / one, best runs, {kind}: {two / one:.2f}x (target 1.8x)")

            print(
                f"\n2. politeness: four workers, registry on, a shared budget of {args.budget:g}/s per server"
            )
            with (
                in_background(lambda: RdapServer({})) as rdap,
                in_background(lambda: WhoisServer({}, default="No match for domain.\n")) as whois,
            ):
                bootstrap = rdap.bootstrap_file(["com"], work / "bootstrap.json")
                config = work / "politeness.toml"
                tlds = sorted({n.rsplit(".", 1)[1] for n in names} - {"com"})
                servers = ", ".join(f'"{t}" = "{whois.address}"' for t in tlds)
                config.write_text(
                    f'[endpoints]\nrdap_bootstrap = "{bootstrap}"\nwhois_iana = ""\n'
                    f"whois_servers = {{ {servers} }}\n"
                    f"[limits]\nregistry_qps = {args.budget}\nregistry_per_server = 8\n"
                    "registry_deadline = 3600\nregistry_scan_deadline = 36000\n",
                    "utf-8",
                )
                db = pg.create_schema()
                print(f"load before: {load()}")
                with workers(4, broker=redis.url(10), db=db, tmp=work, tag="polite"):
                    took = scan(
                        [*dns, "--config", str(config), "--plan-top", "0"],
                        db=db,
                        broker=redis.url(10),
                        unit_size=args.unit_size,
                        report=work / "report.html",
                    )
                print(f"scan: {took:.1f} s")
                for server, times in (
                    ("RDAP", [r.at for r in rdap.requests]),
                    ("WHOIS", [q.at for q in whois.queries]),
                ):
                    per_second = Counter(int(t) for t in times)
                    over = sum(1 for n in per_second.values() if n > args.budget)
                    busiest = max(per_second.values(), default=0)
                    print(
                        f"{server:>5}: {len(times):,} requests in {len(per_second)} seconds, busiest second"
                        f" {busiest}, seconds over the budget of {args.budget:g}: {over} (target 0)"
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
