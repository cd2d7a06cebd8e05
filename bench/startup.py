"""Start-up benchmark: how long ``lookalike --help`` and ``lookalike version`` spend importing, and what.

    python -m bench.startup                      # this tree
    python -m bench.startup --tree /tmp/before   # another checkout of lookalike (a "before" figure)
    python -m bench.startup --runs 15 --top 20

For each command it runs ``python -X importtime -m lookalike ARGS`` ``--runs`` times (each a fresh
process) and prints the total import time of the run (the sum of the top-level cumulative times: every
module the process imported, the interpreter's own start-up modules included), the lowest and the
median, and the modules that cost most (each module's lowest cumulative time over the runs). It also
times the same commands without ``-X importtime``: wall time and CPU time (user + system) of the whole
process. On a shared machine the lowest figure is the one closest to an idle machine; the load average
is printed beside each. The target of issue 16 is under 150 ms of imports for both commands.

The tree's bytecode is written first (``compileall``), as an installed package has it: a checkout run
with ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module from source at each start.
For scale, the same figures of a bare typer application with one command (``FLOOR``): what any
typer command line costs here before it imports anything of its own.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

COMMANDS = (("--help",), ("version",), ("scan", "--help"))
FLOOR = """
import typer
from rich.console import Console

app = typer.Typer(add_completion=False)


@app.command()
def version() -> None:
    Console().print("0")


@app.command()
def other(flag: bool = False) -> None:
    pass


app()
"""
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)")


@dataclass
class Imports:
    """``-X importtime`` over several runs of one command."""

    totals: list[float] = field(default_factory=list)
    """Seconds of imports per run."""
    cumulative: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    modules: list[int] = field(default_factory=list)
    """Modules imported per run."""


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def command(tree: Path | None, args: tuple[str, ...], *importtime: str) -> list[str]:
    if tree is None:  # the floor: a bare typer application
        return [sys.executable, *importtime, "-c", FLOOR, *args]
    return [sys.executable, *importtime, "-m", "lookalike", *args]


def compile_tree(tree: Path) -> None:
    """Write the bytecode of ``tree``'s lookalike, as installing it would."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "lookalike")], check=True)


def importtime(tree: Path | None, args: tuple[str, ...], runs: int) -> Imports:
    found = Imports()
    for _ in range(runs):
        done = subprocess.run(
            command(tree, args, "-X", "importtime"),
            capture_output=True,
            text=True,
            cwd=tree,
            check=False,
            env={**os.environ, "COLUMNS": "100"},
        )
        if done.returncode != 0:
            raise SystemExit(f"lookalike {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
        total = 0.0
        count = 0
        for line in done.stderr.splitlines():
            match = _LINE.match(line)
            if match is None:
                continue
            count += 1
            seconds = int(match[2]) / 1e6
            found.cumulative[match[4]].append(seconds)
            if len(match[3]) == 1:  # a top-level import: its cumulative time holds its children's
                total += seconds
        found.totals.append(total)
        found.modules.append(count)
    return found


def process_times(tree: Path | None, args: tuple[str, ...], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of whole processes (no ``-X importtime``)."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command(tree, args), capture_output=True, cwd=tree, check=False)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return walls, cpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tree", type=Path, help="measure the lookalike package under this directory")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--top", type=int, default=12, help="costliest modules listed per command")
    args = parser.parse_args(argv)
    tree = args.tree.resolve() if args.tree else Path(__file__).resolve().parent.parent
    print(f"start-up of {tree}/lookalike: {os.cpu_count()} CPUs, load average {load()}")
    compile_tree(tree)
    runs: list[tuple[str, Path | None, tuple[str, ...]]] = [
        (f"lookalike {' '.join(words)}", tree, words) for words in COMMANDS
    ]
    runs.append(("floor: a bare typer app's version", None, ("version",)))
    for label, where, words in runs:
        found = importtime(where, words, args.runs)
        walls, cpus = process_times(where, words, args.runs)
        ms = sorted(t * 1000 for t in found.totals)
        print(
            f"\n{label}: imports {ms[0]:,.0f} ms lowest, {statistics.median(ms):,.0f} ms"
            f" median of {args.runs} ({max(found.modules):,} modules; target < 150 ms);"
            f" whole process {min(walls) * 1000:,.0f} ms wall lowest, {statistics.median(walls) * 1000:,.0f}"
            f" median, {statistics.median(cpus) * 1000:,.0f} ms CPU median; load {load()}"
        )
        costly = sorted(((min(v), k) for k, v in found.cumulative.items()), reverse=True)
        shown = [
            f"{name} {seconds * 1000:.1f}"
            for seconds, name in costly
            if not name.startswith("encodings") and name not in ("site", "runpy")
        ][: args.top]
        print(f"  costliest (lowest cumulative ms): {', '.join(shown)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
