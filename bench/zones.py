"""Zone diff benchmark: two CZDS-style zone files of 10 million lines each (generated in a temporary
directory), diffed in flat memory.

    python -m bench.zones                  # 10,000,000 lines a side, plain text
    python -m bench.zones --lines 2000000 --gzip

Each delegated name has two NS lines and, one in four, a glue A record, as in real TLD zones; the
second file drops one name in 1,000 and adds as many. Reported: seconds for the diff (wall and CPU),
names a second, the changes found (checked against what was planted), and memory: tracemalloc's peak
during the diff and the process's high-water mark, to compare with the files' sizes.
"""

from __future__ import annotations

import argparse
import gzip
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import IO

from lookalike.feeds.zones import Change, diff


def write_zone(path: Path, lines: int, *, variant: int, compress: bool) -> tuple[set[str], set[str]]:
    """Write a zone of about ``lines`` lines (the same names for both variants but the planted ones);
    return (names only in variant 0, names only in 1)."""
    only0: set[str] = set()
    only1: set[str] = set()
    opener = gzip.open if compress else open
    handle: IO[str]
    with opener(path, "wt", encoding="ascii") as handle:
        handle.write(
            "com.\t86400\tin\tsoa\ta.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400\n"
        )
        i, count = 0, lines * 4 // 9  # 2.25 lines a name
        chunk: list[str] = []
        while i < count:
            name = f"n{i:09d}x.com."
            i += 1
            if i % 1000 == 0:  # only in variant 0
                only0.add(name[:-1])
                if variant == 1:
                    continue
            if i % 1000 == 500:  # only in variant 1
                only1.add(name[:-1])
                if variant == 0:
                    continue
            host = f"host{i % 977}.net."
            chunk.append(f"{name}\t172800\tin\tns\tns1.{host}\n{name}\t172800\tin\tns\tns2.{host}\n")
            if i % 4 == 0:
                chunk.append(f"ns1.{name}\t172800\tin\ta\t192.0.2.{i % 250}\n")
            if len(chunk) >= 10000:
                handle.write("".join(chunk))
                chunk.clear()
        handle.write("".join(chunk))
    return only0, only1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--gzip", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-zones-") as tmp:
        old, new = Path(tmp) / "old.zone", Path(tmp) / "new.zone"
        made = time.perf_counter()
        gone, _ = write_zone(old, args.lines, variant=0, compress=args.gzip)
        _, added = write_zone(new, args.lines, variant=1, compress=args.gzip)
        sizes = old.stat().st_size + new.stat().st_size
        took = time.perf_counter() - made
        print(f"generated 2 x about {args.lines:,} lines ({sizes / 2**20:,.0f} MiB) in {took:.0f} s")
        wall, cpu = time.perf_counter(), time.process_time()
        changes = diff(new, old)
        found_added: set[str] = set()
        found_removed: set[str] = set()
        for change, name in changes:
            (found_added if change is Change.ADDED else found_removed).add(name)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        names_read = changes.previous.count + changes.current.count
        print(
            f"diff: {wall:.1f} s wall, {cpu:.1f} s CPU ({2 * args.lines / wall:,.0f} lines/s, "
            f"{names_read:,} delegations read); {len(found_added):,} added, {len(found_removed):,} removed "
            f"({'as planted' if (found_added, found_removed) == (added, gone) else 'NOT as planted'})"
        )
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"memory: process high-water mark {maxrss:.0f} MiB; files {sizes / 2**20:,.0f} MiB")
        small = Path(tmp) / "small.zone"
        write_zone(small, args.lines // 10, variant=0, compress=False)
        tracemalloc.start()
        for _ in diff(small, old):
            pass
        print(
            f"tracemalloc peak while diffing {args.lines // 10:,} against {args.lines:,} lines: "
            f"{tracemalloc.get_traced_memory()[1] / 2**20:.2f} MiB"
        )
        tracemalloc.stop()
    print(f"\nPython {sys.version.split()[0]}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
