"""Generation benchmark: how many candidates each domain gets, how fast, and how much memory, at depth
1 and 2 with every technique; and against dnstwist, process start included. Prints tables to compare
between versions, not pass/fail.

    python -m bench.generate                 # the standard set
    python -m bench.generate example.org     # other domains
    python -m bench.generate --repeat 5      # best of five timings (default 3)
    python -m bench.generate --vs-dnstwist   # the recorded dnstwist domains, against dnstwist itself

Timings are best-of-N wall clock and CPU time of ``permute.generate`` alone (the tables are loaded by
a warm-up run first). Peak memory is measured in a separate run under ``tracemalloc`` (which slows
Python down, so it is not timed); ``ru_maxrss`` is the whole process's high-water mark so far.

``--vs-dnstwist`` needs dnstwist installed (``pip install dnstwist==20250130 idna`` in a venv of its
own; ``--dnstwist PATH`` or ``$DNSTWIST`` points at its script). For each domain it times, best of N
and each a fresh process, ``dnstwist --format list DOMAIN`` and a Python process that imports
lookalike, generates the default depth-1 list and prints it (``python -m bench.generate --emit``),
and ``lookalike generate DOMAIN`` (the CLI, piped); it prints both times, their ratio, and how much of
dnstwist's list ours contains. dnstwist's list format only generates (it resolves nothing); it is run
under ``unshare -n`` (no network at all) where that works, and not at all otherwise unless
``--allow-network`` is given.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from lookalike import names
from lookalike.permute import GenerateOptions, generate

DOMAINS = (
    "ab.io",
    "army.mil",
    "us.army.mil",
    "kestrelsystems.com",  # a 14-character label
    "kestrelsystems1.com",  # the issue's 15-character domain
    "bankofamerica.com",
    "example.co.uk",
    "thequickbrownfoxjumpsoverlazyd.com",  # a 30-character label
)


@dataclass(frozen=True, slots=True)
class Row:
    domain: str
    depth: int
    count: int
    seconds: float
    cpu: float
    peak_mib: float
    maxrss_mib: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def measure(domain: str, depth: int, repeat: int) -> Row:
    name = names.parse(domain)
    options = GenerateOptions(depth=depth)
    count = len(generate(name, options))  # warm-up: tables, caches
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        generate(name, options)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    gc.collect()
    tracemalloc.start()
    generate(name, options)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return Row(domain, depth, count, best_wall, best_cpu, peak / 2**20, maxrss)


ISSUE_DOMAINS = (
    "example.com",
    "paypal.com",
    "1password.com",
    "xn--mnchen-3ya.de",
    "internationalbusinessmachines.com",
    "t-mobile.com",
    "barclays.co.uk",
    "nasa.gov",
    "google.com",
    "us.army.mil",
)
"""The ten domains recorded for issue 15 (tests/data/dnstwist/): the five it names and five more shapes."""


def emit(domains: list[str]) -> int:
    """Print each domain's default depth-1 list, one ASCII name a line (what ``--vs-dnstwist`` times)."""
    out = sys.stdout
    for domain in domains:
        out.write("".join(c.domain + "\n" for c in generate(names.parse(domain))))
    return 0


def timed(command: list[str], repeat: int) -> tuple[float, float, set[str]]:
    """Best-of-``repeat`` wall and CPU (user + system) seconds of ``command`` as a fresh process, and
    the lines it printed. CPU time says more than wall time on a busy machine."""
    best, best_cpu, lines = float("inf"), float("inf"), set()
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        best = min(best, time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_cpu = min(best_cpu, cpu)
        lines = {line.strip() for line in done.stdout.splitlines() if line.strip()}
    return best, best_cpu, lines


def no_network_prefix(allow_network: bool) -> list[str] | None:
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], check=False, capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return [] if allow_network else None


def vs_dnstwist(domains: list[str], dnstwist: str, repeat: int, allow_network: bool) -> int:
    prefix = no_network_prefix(allow_network)
    if prefix is None:
        print(
            "unshare -n does not work here, so dnstwist cannot be kept off the network; "
            "pass --allow-network to run it anyway (its list format resolves nothing)",
            file=sys.stderr,
        )
        return 2
    ours_cmd = [sys.executable, "-m", "bench.generate", "--emit"]
    cli = shutil.which("lookalike", path=str(Path(sys.executable).parent)) or "lookalike"
    header = (
        f"{'domain':<34} {'dnstwist':>8} {'ours':>8} {'missing':>7}  {'wall: dnstwist':>14} {'ours':>6} "
        f"{'ratio':>5} {'CLI':>6} {'ratio':>5}  {'cpu: dnstwist':>13} {'ours':>6} {'ratio':>5}"
    )
    print(header)
    print("-" * len(header))
    for domain in domains:
        theirs_s, theirs_cpu, theirs = timed([*prefix, dnstwist, "--format", "list", domain], repeat)
        theirs.discard(domain)
        ours_s, ours_cpu, ours = timed([*ours_cmd, domain], repeat)
        cli_s, _, _ = timed([cli, "generate", domain], repeat)
        missing = len(theirs - ours)
        print(
            f"{domain:<34} {len(theirs):>8,} {len(ours):>8,} {missing:>7,}  {theirs_s:>14.3f} {ours_s:>6.3f} "
            f"{ours_s / theirs_s:>5.2f} {cli_s:>6.3f} {cli_s / theirs_s:>5.2f}  {theirs_cpu:>13.3f} "
            f"{ours_cpu:>6.3f} {ours_cpu / theirs_cpu:>5.2f}",
            flush=True,
        )
    print(
        f"\nseconds, best of {repeat}, each a fresh process, start included (ratio < 1: faster than "
        "dnstwist); 'ours' = python -m bench.generate --emit (import, generate, print), 'CLI' = "
        "lookalike generate, piped; cpu = user + system time of the process"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("domains", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--depth", type=int, choices=(1, 2), action="append", help="default: 1 and 2")
    parser.add_argument(
        "--vs-dnstwist", action="store_true", help="time against dnstwist, process start included"
    )
    parser.add_argument("--dnstwist", default=os.environ.get("DNSTWIST", "dnstwist"))
    parser.add_argument("--allow-network", action="store_true", help="run dnstwist without unshare -n")
    parser.add_argument("--emit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.emit:
        return emit(args.domains)
    if args.vs_dnstwist:
        if not shutil.which(args.dnstwist):
            print(f"dnstwist not found ({args.dnstwist}); see this module's docstring", file=sys.stderr)
            return 2
        return vs_dnstwist(
            args.domains or list(ISSUE_DOMAINS), args.dnstwist, args.repeat, args.allow_network
        )
    args.domains = args.domains or list(DOMAINS)
    depths = args.depth or [1, 2]
    header = f"{'domain':<36} {'depth':>5} {'count':>8} {'wall s':>8} {'cpu s':>8} {'cand/s':>9} "
    header += f"{'peak MiB':>9} {'maxrss MiB':>10}"
    print(header)
    print("-" * len(header))
    for domain in args.domains:
        for depth in depths:
            r = measure(domain, depth, args.repeat)
            print(
                f"{r.domain:<36} {r.depth:>5} {r.count:>8,} {r.seconds:>8.3f} {r.cpu:>8.3f} "
                f"{r.rate:>9,.0f} {r.peak_mib:>9.1f} {r.maxrss_mib:>10.1f}",
                flush=True,
            )
    print(f"\nPython {sys.version.split()[0]}; best of {args.repeat}; peak = tracemalloc, separate run.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
