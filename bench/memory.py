"""Peak memory of a whole ``lookalike scan`` where every name exists, and where every name is unknown.

    python -m bench.memory                         # both worlds, two domains each (a few minutes)
    python -m bench.memory --world exists --domain bankofamerica.com
    python -m bench.memory --repeat                # also a second scan of the same database

Each scan is the CLI in a subprocess (``python -m lookalike scan``) writing the report, the scan JSON
and the CSV, with its history in a fresh database: the peak resident memory is the child's own
(``wait4``'s ``ru_maxrss``). Figures to compare, not pass/fail.

The worlds are Debian's unbound on a loopback port, never sending a packet anywhere:

* ``exists``: every top-level domain of the IANA list is a ``redirect`` local zone, so every name
  under it answers NOERROR with an A record, an MX and an SPF TXT record (a resolver that says yes
  to everything: each candidate is a finding, seen through a wildcard);
* ``unknown``: every top-level domain is a ``transparent`` local zone with only its own SOA, so the
  TLD itself answers (the scan's resolver check passes) and every name below it needs a recursion
  unbound may not make (``do-not-query-address`` covers every address): SERVFAIL, an unknown.

Registry lookups are off (there is no registry on loopback here) and the probes are off, as they
are by default. ``--repeat`` runs the same scan again on the same database, so the second one is
compared with the first (the changes since the previous scan).

The line printed last fits ``peak = base + slope × findings`` over the runs of each world: the bound
the README states ("Memory") comes from these figures.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lookalike.datafiles import TLDS, data_path
from lookalike.demo.unbound import Unbound, find_unbound

WORLDS = ("exists", "unknown")
DOMAINS = {"exists": ("amazon.com", "bankofamerica.com"), "unknown": ("amazon.com", "bankofamerica.com")}
"""About 8,000 and 27,000 candidates at depth 1."""
ANSWER = "192.0.2.1"


def tlds() -> list[str]:
    """Every top-level domain of the packaged IANA list, lower case."""
    text = data_path(TLDS).read_text("utf-8")
    return [line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def world_config(world: str) -> str:
    """unbound ``server:`` lines that make every name exist (``exists``) or be unknown (``unknown``)."""
    lines: list[str] = []
    for tld in tlds():
        if world == "exists":
            lines += [
                f'local-zone: "{tld}." redirect',
                f'local-data: "{tld}. 60 IN A {ANSWER}"',
                f'local-data: "{tld}. 60 IN MX 10 mx.{tld}."',
                f"local-data: '{tld}. 60 IN TXT \"v=spf1 ip4:{ANSWER} -all\"'",
            ]
        else:
            lines += [
                f'local-zone: "{tld}." transparent',
                f'local-data: "{tld}. 60 IN SOA ns.{tld}. hostmaster.{tld}. 1 3600 600 86400 60"',
            ]
    return "\n".join(lines)


def write_probe_zone(directory: Path) -> Path:
    """The one zone file ``Unbound`` needs (it serves at least one zone and probes it to see it is up)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench.invalid.zone").write_text(
        "$TTL 300\n@ IN SOA ns.bench.invalid. hostmaster.bench.invalid. 1 3600 600 86400 300\n"
        "@ IN NS ns.bench.invalid.\nns IN A 192.0.2.53\n"
    )
    return directory


@dataclass(frozen=True, slots=True)
class Run:
    world: str
    domain: str
    attempt: int
    findings: int
    peak_kib: int
    seconds: float
    report: int
    json: int
    csv: int
    exit_code: int

    @property
    def peak_mb(self) -> float:
        return self.peak_kib / 1024

    def row(self) -> str:
        per = self.findings / 1000 or 1
        return (
            f"  {self.world:<8} {self.domain:<20} {self.attempt:>3} {self.findings:>9,}"
            f" {self.peak_mb:>9.0f} {self.peak_mb / per:>9.1f}"
            f" {self.report / 1e6:>8.1f} {self.report / max(self.findings, 1):>7,.0f}"
            f" {self.json / 1e6:>8.1f} {self.csv / 1e6:>7.1f} {self.seconds:>7.1f}  {self.exit_code}"
        )


HEADER = (
    f"  {'world':<8} {'domain':<20} {'#':>3} {'findings':>9} {'peak MB':>9} {'MB/1000':>9}"
    f" {'report':>8} {'B/find':>7} {'json MB':>8} {'csv MB':>7} {'secs':>7}  exit"
)


def count_rows(path: Path) -> int:
    """Findings in a CSV written by the scan (its data rows), read as a stream."""
    if not path.exists():
        return 0
    with path.open(encoding="utf-8", newline="") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def scan(world: str, domain: str, attempt: int, resolver: str, work: Path) -> Run:
    """One ``lookalike scan`` in a child process; its peak RSS from ``wait4``."""
    out = work / f"{world}-{domain}-{attempt}"
    out.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "lookalike", "scan", domain,
        "--resolver", resolver, "--no-registry", "--timeout", "2", "--retries", "1",
        "--db", str(work / f"{world}-{domain}.db"),
        "--report", str(out / "report.html"), "--json", str(out / "scan.json"),
        "--csv", str(out / "scan.csv"),
        "--quiet",
    ]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert child.stderr is not None
        errors = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if child.returncode is None:  # interrupted: the scan goes with the bench
            child.kill()
            child.wait()
    seconds = time.perf_counter() - started
    if child.returncode not in (0, 1):
        sys.stderr.write(errors.decode("utf-8", "replace"))
    return Run(
        world=world,
        domain=domain,
        attempt=attempt,
        findings=count_rows(out / "scan.csv"),
        peak_kib=usage.ru_maxrss,
        seconds=seconds,
        report=size(out / "report.html"),
        json=size(out / "scan.json"),
        csv=size(out / "scan.csv"),
        exit_code=child.returncode,
    )


def fit(runs: list[Run]) -> tuple[float, float] | None:
    """Least squares ``peak MB = base + slope × findings`` (slope in KiB per finding)."""
    points = [(r.findings, r.peak_kib) for r in runs if r.findings]
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    return (my - slope * mx) / 1024, slope


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--world", choices=(*WORLDS, "both"), default="both")
    parser.add_argument("--domain", action="append", help="protected domain(s) to scan (default: two sizes)")
    parser.add_argument("--repeat", action="store_true", help="scan each domain twice on one database")
    parser.add_argument("--keep", type=Path, help="keep the outputs in this directory")
    args = parser.parse_args()
    if find_unbound() is None:
        sys.exit("bench.memory needs unbound (apt-get install unbound)")

    worlds = WORLDS if args.world == "both" else (args.world,)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        work = args.keep or Path(tmp)
        print(HEADER)
        for world in worlds:
            zones = write_probe_zone(Path(tmp) / f"zones-{world}")
            with Unbound(zones, Path(tmp) / f"unbound-{world}", extra=world_config(world)) as server:
                for domain in args.domain or DOMAINS[world]:
                    for attempt in range(1, 3 if args.repeat else 2):
                        run = scan(world, domain, attempt, str(server.address), work)
                        runs.append(run)
                        print(run.row(), flush=True)
    print()
    for world in worlds:
        line = fit([r for r in runs if r.world == world])
        if line is not None:
            base, slope = line
            print(f"  {world}: peak ≈ {base:,.0f} MB + {slope:,.1f} KiB per finding")


if __name__ == "__main__":
    main()
