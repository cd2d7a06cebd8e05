"""DNS benchmark: lookalike against dnstwist on the same loopback resolvers, the triage engine at its
default settings, resolvers that push back, memory for a million names, and the window's traces.
Prints figures to compare, not pass/fail.

    python -m bench.dns                          # everything (about ten minutes on two busy cores)
    python -m bench.dns --skip-million --skip-dnstwist
    LOOKALIKE_BENCH_DNSTWIST=/tmp/dt/bin/dnstwist python -m bench.dns

Every figure comes from whole runs at default settings unless a line says otherwise:

1. A whole ``lookalike scan bankofamerica.com --no-registry`` process (no probes: they are off by
   default) against the whole ``dnstwist bankofamerica.com`` process (20250130, default settings,
   installed by you in a scratch venv; ``LOOKALIKE_BENCH_DNSTWIST`` names its executable), both
   asking the same resolver: loopback unbound, then the same through a proxy holding every answer
   30 ms. dnstwist cannot be given a port, so both resolvers listen on port 53 of a random
   127.x.y.z address. Names/s is the names each tool generated over its whole wall time.
2. The triage engine in this process, ``Resolver.triage_many`` at default ``Limits``: names/s.
3. Resolvers that push back: unbound with ``ip-ratelimit`` (drops above a rate), and the 30 ms proxy
   with a capacity (drops what arrives while that many are held) and 0.5% loss. The default window
   against each fixed window of 64, 256, 1,024 and 4,096: unknowns and names/s.
4. Peak memory triaging a million candidates streamed from a generator (a fresh process).
5. How the window moved over time, per resolver (when the resolver reports it).

unbound serves synthetic zones in which one in twenty of bankofamerica.com's lookalikes exists (an A
and an MX record), and answers NXDOMAIN for the rest from local data; nothing leaves the machine.
The delay proxy runs in its own process so it does not share this one's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lookalike.demo.unbound import Unbound, find_unbound
from lookalike.endpoints import HostPort, Limits
from lookalike.model import Status
from lookalike.resolver import Resolver

DOMAIN = "bankofamerica.com"
EXISTING_EVERY = 20
"""One lookalike in this many exists in the bench zones (and one synthetic name in this many)."""
TLDS = ("com", "net", "org", "ml", "co")
SYNTHETIC_ZONE_NAMES = 100_000
RATE_LIMIT = 5_000
"""unbound's ``ip-ratelimit`` for section 3: queries per second from one address; above it nine in
ten queries are dropped (``ip-ratelimit-factor: 10``)."""
CAPACITY = 512
"""Queries the capacity-limited proxy holds at once; more are dropped."""
LOSS = 0.005
FIXED_WINDOWS = (64, 256, 1024, 4096)


def candidate(i: int) -> str:
    """The i-th synthetic candidate: a pseudo-random label under one of ``TLDS`` (cheap to make, so
    the figures measure the resolver rather than the generator)."""
    return f"k{(i * 2654435761 + 12345) & 0xFFFFFFFFFF:010x}.{TLDS[i % 5]}"


def candidates(count: int, offset: int = 0) -> Iterator[tuple[str, bool]]:
    for i in range(offset, offset + count):
        yield candidate(i), True


def lookalikes() -> list[str]:
    """bankofamerica.com's lookalikes at default settings (what ``lookalike scan`` generates)."""
    from lookalike.config import Protected, Settings, domain_options
    from lookalike.names import parse
    from lookalike.permute import generate

    settings = Settings(protected=(Protected(name=parse(DOMAIN)),))
    return [c.domain for c in generate(parse(DOMAIN), domain_options(settings, settings.protected[0]))]


def write_zones(directory: Path, names: list[str], every: int = EXISTING_EVERY) -> int:
    """TLD zones in which every ``every``-th lookalike (by a hash of its name; 0: none) and every
    ``EXISTING_EVERY``-th synthetic candidate exists; returns how many names exist."""
    directory.mkdir(parents=True, exist_ok=True)
    per_tld: dict[str, list[str]] = {tld: [] for tld in TLDS}
    for name in names:
        if every and zlib.crc32(name.encode()) % every == 0:
            per_tld.setdefault(name.rsplit(".", 1)[1], []).append(
                f"{name}. IN A 192.0.2.{len(per_tld) % 250 + 1}\n{name}. IN MX 10 mx.{name}.\n"
                f"mx.{name}. IN A 192.0.2.25"
            )
    for i in range(0, SYNTHETIC_ZONE_NAMES, EXISTING_EVERY):
        label, tld = candidate(i).split(".")
        per_tld[tld].append(f"{label}.{tld}. IN NS ns1.{label}.{tld}.")
    for tld, records in per_tld.items():
        lines = [
            "$TTL 300",
            f"{tld}. IN SOA ns1.nic.{tld}. hostmaster.nic.{tld}. 1 3600 600 86400 300",
            f"{tld}. IN NS ns1.nic.{tld}.",
            f"ns1.nic.{tld}. IN A 192.0.2.53",
            *records,
        ]
        (directory / f"{tld}.zone").write_text("\n".join(lines) + "\n")
    return sum(len(r) for r in per_tld.values())


def port53_address() -> str:
    """A random loopback address whose port 53 is free (dnstwist cannot be given a port)."""
    import socket

    for _ in range(50):
        host = f"127.{random.randint(1, 254)}.{random.randint(0, 254)}.{random.randint(2, 254)}"
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
                udp.bind((host, 53))
                tcp.bind((host, 53))
        except OSError:
            continue
        return host
    raise RuntimeError("no loopback address with a free port 53 (run as root)")


def limits(window: int | None) -> Limits:
    """Default limits, or a fixed window of ``window`` queries in flight."""
    if window is None:
        return Limits()
    if any(f.name == "fixed_window" for f in dataclasses.fields(Limits)):
        return Limits(concurrency=window, fixed_window=True)  # type: ignore[call-arg,unused-ignore]
    return Limits(concurrency=window)  # before the adaptive window: every window was fixed


@dataclass
class Run:
    names: int
    seconds: float
    exists: int
    absent: int
    unknown: int
    cpu: float
    timeouts: int
    retries: int
    windows: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.names / self.seconds

    def row(self, label: str) -> str:
        return (
            f"  {label:<22} {self.rate:>8,.0f} names/s  {self.seconds:6.1f} s"
            f"  cpu {self.cpu / self.names * 1e6:5.1f} us/name"
            f"  exists {self.exists:,} absent {self.absent:,} unknown {self.unknown:,}"
            f"  (timeouts {self.timeouts:,}, retries {self.retries:,}); load {load()}"
        )


async def triage(server: HostPort, count: int, lim: Limits, offset: int = 0) -> Run:
    counts = {Status.OK: 0, Status.ABSENT: 0}
    unknown = 0
    before = resource.getrusage(resource.RUSAGE_SELF)
    async with Resolver([server], lim) as resolver:
        started = time.perf_counter()
        async for _, outcome in resolver.triage_many(candidates(count, offset)):
            if outcome.status in counts:
                counts[outcome.status] += 1
            else:
                unknown += 1
        seconds = time.perf_counter() - started
        stats = resolver.stats
        windows = window_reports(resolver)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(
        count,
        seconds,
        counts[Status.OK],
        counts[Status.ABSENT],
        unknown,
        cpu,
        stats.timeouts,
        stats.retries,
        windows,
    )


def window_reports(resolver: Resolver) -> list[dict[str, Any]]:
    """What the resolver says about its windows (nothing before the adaptive window existed)."""
    reports = getattr(resolver, "windows", None)
    if reports is None:
        return []
    return [dataclasses.asdict(r) for r in reports]


def memory_child(server: HostPort, count: int) -> None:
    """Triage ``count`` streamed candidates at default limits; print peak memory as JSON."""
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = asyncio.run(triage(server, count, limits(None)))
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "names": run.names,
                "seconds": run.seconds,
                "unknown": run.unknown,
                "baseline_kib": baseline,
                "peak_rss_kib": peak_rss,
            }
        )
    )


class ProxyProcess:
    """``lookalike.demo.delay_proxy`` in its own process, stopped by PID."""

    def __init__(
        self,
        upstream: HostPort,
        delay_ms: float,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        extra: tuple[str, ...] = (),
    ) -> None:
        self._command = [
            sys.executable,
            "-m",
            "lookalike.demo.delay_proxy",
            str(upstream),
            "--delay-ms",
            str(delay_ms),
            "--host",
            host,
            "--port",
            str(port),
            *extra,
        ]
        self._process: subprocess.Popen[str] | None = None
        self.address = HostPort(host, port)

    def __enter__(self) -> ProxyProcess:
        self._process = subprocess.Popen(self._command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the delay proxy did not start: {line!r}")
        self.address = HostPort.parse(line.removeprefix("listening on "), 53)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(5)


@dataclass
class Whole:
    """One whole process: how many names it generated, its wall time and its CPU time."""

    names: int
    seconds: float
    cpu: float = 0.0
    note: str = ""
    load: float = 0.0
    """The one-minute load average when it finished."""

    @property
    def rate(self) -> float:
        return self.names / self.seconds if self.seconds else 0.0

    def row(self, label: str) -> str:
        return (
            f"    {label:<10} {self.names:>6,} names {self.seconds:6.2f} s wall {self.cpu:6.2f} s CPU"
            f" = {self.rate:>6,.0f} names/s  (load {self.load:.1f}) {self.note}"
        )


def timed(
    command: list[str], timeout: float = 1800, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run ``command`` (in ``cwd``, first on its path) to its end: the finished process, its wall
    seconds and its CPU seconds (user and system, its children included)."""
    env = dict(os.environ)
    if cwd is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(cwd), env.get("PYTHONPATH", "")])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd, env=env
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done, seconds, cpu


TREE: Path | None = None
"""``--tree``: the checkout whose ``lookalike`` the whole-scan runs use (None: the installed one)."""


def lookalike_scan(server: HostPort, work: Path, names: int) -> Whole:
    """``lookalike scan bankofamerica.com`` as a user runs it, registry off, history in ``work``
    (``TREE``'s lookalike when set)."""
    db = work / f"scan-{time.monotonic_ns()}.db"
    command = [
        sys.executable,
        "-m",
        "lookalike",
        "scan",
        DOMAIN,
        "--resolver",
        str(server),
        "--no-registry",
        "--db",
        str(db),
        "--report",
        str(work / "report.html"),
        "--quiet",
    ]
    done, seconds, cpu = timed(command, cwd=TREE)
    note = "" if done.returncode in (0, 1) else f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
    return Whole(names, seconds, cpu, note, os.getloadavg()[0])


def dnstwist_scan(executable: str, server: HostPort) -> Whole:
    """The whole ``dnstwist bankofamerica.com`` process at default settings, asking ``server``."""
    done, seconds, cpu = timed([executable, "--nameservers", server.host, "--format", "json", DOMAIN])
    try:
        found = json.loads(done.stdout)
    except ValueError:
        note = f"dnstwist failed: {(done.stderr or done.stdout).strip()[-200:]}"
        return Whole(0, seconds, cpu, note, os.getloadavg()[0])
    return Whole(len(found), seconds, cpu, load=os.getloadavg()[0])


def median_run(runs: list[Whole]) -> Whole:
    return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]


def compare_whole(
    label: str, server: HostPort, work: Path, *, names: int, dnstwist: str | None, runs: int
) -> None:
    """``runs`` rounds of one lookalike scan and one dnstwist scan back to back (who goes first
    alternates), so that a change in the machine's load falls on both; the ratio is the median of
    the rounds' ratios, beside the ratio of the medians and that of CPU time per name."""
    ours_runs: list[Whole] = []
    theirs_runs: list[Whole] = []
    ratios: list[float] = []
    for round_ in range(runs):
        print(f"  round {round_ + 1} of {runs}:")
        ours = theirs = None
        for turn in ("ours", "theirs") if round_ % 2 == 0 else ("theirs", "ours"):
            if turn == "ours":
                ours = lookalike_scan(server, work, names)
                ours_runs.append(ours)
                print(ours.row("lookalike"))
            elif dnstwist is not None:
                theirs = dnstwist_scan(dnstwist, server)
                theirs_runs.append(theirs)
                print(theirs.row("dnstwist"))
        if ours is not None and theirs is not None and theirs.rate > 0:
            ratios.append(ours.rate / theirs.rate)
    ours = median_run(ours_runs)
    rates = sorted(r.rate for r in ours_runs)
    print(
        f"  lookalike scan: {ours.rate:,.0f} names/s median ({rates[0]:,.0f}..{rates[-1]:,.0f}),"
        f" {statistics.median(r.cpu for r in ours_runs):.2f} s CPU median for {ours.names:,} names"
    )
    if not theirs_runs:
        print("  dnstwist: not measured (set LOOKALIKE_BENCH_DNSTWIST to its executable)")
        return
    theirs = median_run(theirs_runs)
    their_rates = sorted(r.rate for r in theirs_runs)
    print(
        f"  dnstwist:       {theirs.rate:,.0f} names/s median"
        f" ({their_rates[0]:,.0f}..{their_rates[-1]:,.0f}),"
        f" {statistics.median(r.cpu for r in theirs_runs):.2f} s CPU median for {theirs.names:,} names"
    )
    if ratios and theirs.rate:
        cpu_ratio = statistics.median(r.cpu / r.names for r in theirs_runs if r.names) / statistics.median(
            r.cpu / r.names for r in ours_runs
        )
        print(
            f"  {label}: lookalike is {statistics.median(ratios):.1f}x dnstwist's names/s (median of"
            f" {len(ratios)} rounds, {min(ratios):.1f}x..{max(ratios):.1f}x; ratio of the medians"
            f" {ours.rate / theirs.rate:.1f}x); {cpu_ratio:.1f}x less CPU per name; load now {load()}"
        )


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def pushback(label: str, server: HostPort, count: int) -> list[tuple[str, Run]]:
    """The default window against each fixed window, on a resolver that drops above its limit."""
    print(f"\n3{label}; load {load()}")
    rows: list[tuple[str, Run]] = []
    for offset, window in enumerate((None, *FIXED_WINDOWS)):
        name = "default" if window is None else f"fixed {window:,}"
        # A fresh slice of names per run: nothing is answered from a cache the last run warmed.
        run = asyncio.run(triage(server, count, limits(window), offset=(offset + 1) * count))
        rows.append((name, run))
        print(run.row(name))
        time.sleep(2.5)  # let the rate limiter's window pass before the next run
    fixed = rows[1:]
    best = min(fixed, key=lambda r: (r[1].unknown, -r[1].rate))
    default = rows[0][1]
    print(
        f"  best fixed window: {best[0]} ({best[1].unknown:,} unknown, {best[1].rate:,.0f} names/s);"
        f" default: {default.unknown:,} unknown, {default.rate / best[1].rate:.0%} of its speed"
        " (targets: no more unknowns, >= 90%)"
    )
    return rows


def print_trace(label: str, run: Run) -> None:
    if not run.windows:
        print(f"  {label}: no window trace (this resolver has a fixed window)")
        return
    for report in run.windows:
        trace: list[tuple[float, int, float]] = list(report.get("trace") or ())
        step = max(1, len(trace) // 30)
        points = ", ".join(
            f"{t:.2f}s {w}" + (f" @{pace:,.0f}/s" if pace else "")
            for t, w, pace in trace[::step] + trace[-1:]
        )
        paced = f", paced at {report['pace']:,.0f}/s" if report.get("pace") else ""
        print(
            f"  {label} {report.get('server')}: settled at {report.get('window')}{paced}"
            f" ({report.get('reason')}; floor {report.get('floor_ms')} ms, {report.get('cuts')} cuts)"
        )
        print(f"    {points}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--names", type=int, default=100_000, help="synthetic candidates for section 2")
    parser.add_argument("--pushback-names", type=int, default=40_000, help="names per section-3 run")
    parser.add_argument("--million", type=int, default=1_000_000, help="candidates for the memory run")
    parser.add_argument("--runs", type=int, default=3, help="repeats of each whole-process run")
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--skip-dnstwist", action="store_true")
    parser.add_argument("--skip-pushback", action="store_true")
    parser.add_argument("--delay-ms", type=float, default=30.0)
    parser.add_argument(
        "--exists-every", type=int, default=EXISTING_EVERY, help="one lookalike in N exists (0: none)"
    )
    parser.add_argument("--threads", type=int, default=2, help="unbound threads")
    parser.add_argument(
        "--tree",
        type=Path,
        help="run the whole scans with the lookalike of this checkout (before)",
    )
    parser.add_argument("--only-whole", action="store_true", help="section 1 only (the whole scans)")
    parser.add_argument("--child-memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    global TREE  # noqa: PLW0603  (one setting for the whole run)
    TREE = args.tree.resolve() if args.tree else None

    if args.child_memory:
        memory_child(HostPort.parse(args.server, 53), args.child_memory)
        return 0
    if find_unbound() is None:
        print("bench.dns: unbound is not installed (apt-get install unbound)", file=sys.stderr)
        return 2
    dnstwist = (
        None if args.skip_dnstwist else os.environ.get("LOOKALIKE_BENCH_DNSTWIST") or shutil.which("dnstwist")
    )
    print(f"DNS benchmark: {os.cpu_count()} CPUs, load average {load()} (other work skews every figure)")
    print(f"default limits: {Limits()}")
    if TREE is not None:
        print(f"whole scans run {TREE}/lookalike")
    # Bytecode first, as an installed lookalike has it (under PYTHONDONTWRITEBYTECODE a checkout would
    # compile every module from source at each start, a cost no user pays).
    package = (TREE or Path(__file__).resolve().parent.parent) / "lookalike"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)

    names = lookalikes()
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-dns-") as tmp:
        work = Path(tmp)
        existing = write_zones(work / "zones", names, args.exists_every)
        host = port53_address()
        print(
            f"unbound ({args.threads} threads) on {host}:53; {existing:,} names exist in the zones"
            f" (one lookalike in {args.exists_every or 'none'})"
        )
        with Unbound(work / "zones", work / "unbound", threads=args.threads, host=host, port=53) as unbound:
            server = unbound.address
            print(f"\n1a. a whole scan of {DOMAIN} against loopback unbound ({len(names):,} names)")
            compare_whole("loopback", server, work, names=len(names), dnstwist=dnstwist, runs=args.runs)
            proxy_host = port53_address()
            with ProxyProcess(server, args.delay_ms, host=proxy_host, port=53) as proxy:
                print(f"\n1b. the same across a {args.delay_ms:g} ms resolver (the delay proxy)")
                compare_whole(
                    f"across {args.delay_ms:g} ms",
                    proxy.address,
                    work,
                    names=len(names),
                    dnstwist=dnstwist,
                    runs=args.runs,
                )
            if args.only_whole:
                return 0

            print(f"\n2. the triage engine at default settings: {args.names:,} names, one process")
            print(f"  load {load()}")
            rates = []
            loopback_run = None
            for _ in range(args.runs):
                run = asyncio.run(triage(server, args.names, limits(None)))
                rates.append(run.rate)
                loopback_run = run
                print(run.row("loopback"))
            print(
                f"  median {statistics.median(rates):,.0f} names/s,"
                f" spread {min(rates):,.0f}..{max(rates):,.0f} (target >= 30,000)"
            )
            with ProxyProcess(server, args.delay_ms) as proxy:
                delayed_run = asyncio.run(triage(proxy.address, args.names, limits(None)))
                print(delayed_run.row(f"across {args.delay_ms:g} ms"))

            limited_rows: list[tuple[str, Run]] = []
            capped_rows: list[tuple[str, Run]] = []
            if not args.skip_pushback:
                extra = f"ip-ratelimit: {RATE_LIMIT}\nip-ratelimit-factor: 10"
                with Unbound(work / "zones", work / "limited", threads=args.threads, extra=extra) as limited:
                    limited_rows = pushback(
                        f"a. unbound with ip-ratelimit {RATE_LIMIT:,}/s"
                        " (factor 10: above it, 9 in 10 dropped)",
                        limited.address,
                        args.pushback_names,
                    )
                proxy_args = ("--capacity", str(CAPACITY), "--loss", str(LOSS))
                with ProxyProcess(server, args.delay_ms, extra=proxy_args) as capped:
                    capped_rows = pushback(
                        f"b. a {args.delay_ms:g} ms resolver holding at most {CAPACITY} queries,"
                        f" {LOSS:.1%} loss",
                        capped.address,
                        args.pushback_names,
                    )

            if not args.skip_million:
                print(f"\n4. peak memory triaging {args.million:,} candidates streamed from a generator")
                command = [
                    sys.executable,
                    "-m",
                    "bench.dns",
                    "--child-memory",
                    str(args.million),
                    "--server",
                    str(server),
                ]
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                result = json.loads(done.stdout.strip().splitlines()[-1])
                print(
                    f"  ru_maxrss {result['peak_rss_kib'] / 1024:,.0f} MiB (before the scan:"
                    f" {result['baseline_kib'] / 1024:,.0f} MiB);"
                    f" {result['names'] / result['seconds']:,.0f} names/s,"
                    f" {result['unknown']:,} unknown (target < 100 MiB)"
                )

            print("\n5. window traces (time since the resolver opened: window)")
            if loopback_run is not None:
                print_trace("loopback", loopback_run)
            print_trace(f"across {args.delay_ms:g} ms", delayed_run)
            for rows, label in ((limited_rows, "rate-limited"), (capped_rows, "capacity-limited")):
                if rows:
                    print_trace(label, rows[0][1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
