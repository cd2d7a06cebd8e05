"""Generation benchmark: how many candidates each domain gets, how fast, and how much memory, at depth
1 and 2 with every technique. Prints a table to compare between versions, not pass/fail.

    python -m bench.generate                 # the standard set
    python -m bench.generate example.org     # other domains
    python -m bench.generate --repeat 5      # best of five timings (default 3)

Timings are best-of-N wall clock and CPU time of ``permute.generate`` alone (the tables are loaded by
a warm-up run first). Peak memory is measured in a separate run under ``tracemalloc`` (which slows
Python down, so it is not timed); ``ru_maxrss`` is the whole process's high-water mark so far.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass

from lookalike import names
from lookalike.permute import GenerateOptions, generate

DOMAINS = (
    "ab.io",
    "army.mil",
    "us.army.mil",
    "kestrelsystems.com",  # a 14-character label
    "kestrelsystems1.com",  # the 15-character domain
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("domains", nargs="*", default=list(DOMAINS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--depth", type=int, choices=(1, 2), action="append", help="default: 1 and 2")
    args = parser.parse_args(argv)
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
