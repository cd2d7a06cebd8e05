"""How fast the store takes a scan's observations, and how big the history gets, on SQLite and on
PostgreSQL, measured the same way.

    python -m bench.store [--names 1000000] [--findings 10000] [--scans 2] [--backend both]

A scan of one million observations: mostly absent names (written with ``record_absent`` in the
batches the orchestrator uses) and some findings (``record``, one transaction each, as they
complete). The same names are scanned again, to show what a repeat (daily) scan adds, then the reads
a scan, a resume and a diff need are timed. PostgreSQL is a throwaway cluster of Debian's
``postgresql`` on loopback with its default durability (``lookalike.demo.postgres``); the store's
session commits with ``synchronous_commit = off``, as SQLite's runs ``synchronous = NORMAL``. The
last lines give PostgreSQL's time as a multiple of SQLite's (the target: at most 2x for writing a
million observations). Figures to compare, not pass/fail.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import string
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from lookalike.demo.postgres import PostgresCluster, find_postgres
from lookalike.model import (
    Candidate,
    Contact,
    DnsFacts,
    Evidence,
    Existence,
    Finding,
    Level,
    MailRoute,
    MxHost,
    Outcome,
    ProtectedSummary,
    Registration,
    ScanInfo,
    Score,
    SmtpFacts,
    Status,
    Technique,
    WebFacts,
)
from lookalike.store import Store

T = TypeVar("T")

PROTECTED = ("kestrelsystems.com", "kestrel.mil", "army.mil", "examplebank.co.uk")
TLDS = ("com", "net", "org", "ml", "co", "io", "xyz", "top", "info", "co.uk", "de", "ru", "cn", "app")
ABSENT_BATCH = 5_000
"""What the orchestrator hands ``record_absent`` at a time."""

WHOIS_RAW = (
    "Domain Name: {d}\nRegistry Domain ID: 2336799_DOMAIN_COM-VRSN\nRegistrar WHOIS Server: whois.example\n"
    "Registrar URL: http://www.example-registrar.example\nUpdated Date: 2025-09-09T15:39:04Z\n"
    "Creation Date: 2024-08-14T04:00:00Z\nRegistrar: Cheap Names LLC\nRegistrar IANA ID: 9999\n"
    "Registrar Abuse Contact Email: abuse@cheapnames.example\nDomain Status: clientTransferProhibited\n"
    "Registrant Organization: REDACTED FOR PRIVACY\nName Server: NS1.PARKING.EXAMPLE\n"
    "Name Server: NS2.PARKING.EXAMPLE\nDNSSEC: unsigned\n>>> Last update of whois database <<<\n"
)


def names(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """Lookalike-shaped (domain, protected) pairs: edits of the protected labels under many TLDs."""
    rng = random.Random(seed)
    out: set[tuple[str, str]] = set()
    while len(out) < count:
        protected = rng.choice(PROTECTED)
        label = list(protected.split(".")[0])
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(len(label))
            op = rng.randrange(3)
            if op == 0 and len(label) > 3:
                del label[i]
            elif op == 1:
                label.insert(i, rng.choice(string.ascii_lowercase))
            else:
                label[i] = rng.choice(string.ascii_lowercase + string.digits)
        out.add((f"{''.join(label)}.{rng.choice(TLDS)}", protected))
    return sorted(out, key=lambda pair: rng.random())


def a_finding(domain: str, protected: str, i: int) -> Finding:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    mx = (MxHost(10, f"mx{i % 7}.parking.example", ("192.0.2.25",)),) if i % 3 else ()
    dns = DnsFacts(
        existence=Existence.EXISTS,
        ns=("ns1.parking.example", "ns2.parking.example"),
        soa="ns1.parking.example",
        a=(f"192.0.2.{i % 250}",),
        mx=mx,
        mail_route=MailRoute.MX if mx else MailRoute.IMPLICIT,
        spf="v=spf1 include:_spf.parking.example ~all" if i % 2 else None,
    )
    reg = Registration(
        source="whois",
        server="127.0.0.1:43",
        registrar="Cheap Names LLC",
        registrar_iana_id="9999",
        created=now - timedelta(days=i % 900),
        expires=now + timedelta(days=365 - i % 300),
        status=("clientTransferProhibited",),
        nameservers=dns.ns,
        registrant=Contact(organization="REDACTED FOR PRIVACY", country="IS"),
        abuse=Contact(email="abuse@cheapnames.example"),
        raw=WHOIS_RAW.format(d=domain.upper()),
    )
    smtp = SmtpFacts(
        host=mx[0].host if mx else domain,
        address="192.0.2.25",
        port=25,
        banner="220 mx.parking.example ESMTP Postfix",
        starttls=True,
        size_limit=10_240_000,
        accepts_any_recipient=bool(i % 4 == 0),
        code=250 if i % 4 == 0 else 550,
        transcript=(
            "<- 220 mx.parking.example ESMTP Postfix",
            "-> EHLO probe.invalid",
            "<- 250-mx.parking.example 250-PIPELINING 250-SIZE 10240000 250-STARTTLS 250 8BITMIME",
            "-> MAIL FROM:<>",
            "<- 250 2.1.0 Ok",
            f"-> RCPT TO:<q7x2k9p4@{domain}>",
            "<- 550 5.1.1 <q7x2k9p4@...>: Recipient address rejected" if i % 4 else "<- 250 2.1.5 Ok",
            "-> QUIT",
        ),
    )
    web = WebFacts(
        url=f"https://{domain}/",
        final_url=f"https://{domain}/lander",
        status=200,
        redirects=(f"https://{domain}/lander",),
        title="This domain may be for sale",
        server="nginx",
        body_bytes=2048 + i % 5000,
        parked=bool(i % 2),
        login_form=i % 50 == 0,
    )
    return Finding(
        Candidate(domain, domain, protected, (Technique.OMISSION, Technique.TLD_SWAP), 0.5, apex=domain),
        Evidence(
            dns=Outcome(Status.OK, dns),
            registration=Outcome(Status.OK, reg),
            smtp=Outcome(Status.OK, (smtp,)),
            web=Outcome(Status.OK, (web,)),
        ),
        Score(Level.MEDIUM if i % 5 else Level.HIGH, 40, ("mail route mx", "parked", "registered 2024")),
    )


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def checkpoint(store: Store) -> None:
    """Fold SQLite's write-ahead log into the file, so the size measured is the database's."""
    if isinstance(store.path, Path):
        db = sqlite3.connect(store.path)
        try:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()


def stored_bytes(store: Store, scan_id: int) -> tuple[int, int]:
    """Bytes of a scan's absent-name chunks, and of its findings' documents (before page overhead)."""
    with store.engine.transaction(write=False) as tx:
        absent = tx.execute(
            "SELECT CAST(COALESCE(SUM(LENGTH(data)), 0) AS BIGINT) FROM absent_chunks WHERE scan_id = ?",
            (scan_id,),
        ).fetchone()[0]
        found = tx.execute(
            "SELECT CAST(COALESCE(SUM(LENGTH(candidate) + LENGTH(evidence) + LENGTH(score)), 0) AS BIGINT)"
            " FROM findings WHERE scan_id = ?",
            (scan_id,),
        ).fetchone()[0]
    return int(absent), int(found)


def size(store: Store) -> int:
    """The database's size on disk: SQLite's files, or the schema's tables and indexes."""
    if isinstance(store.path, Path):
        path = store.path
        return sum(
            p.stat().st_size for p in path.parent.glob(path.name + "*") if not p.name.endswith(".lock")
        )
    with store.engine.transaction(write=False) as tx:
        total = tx.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 't')"
        ).fetchone()[0]
    return int(total)


def measure(
    location: Path | str, args: argparse.Namespace, pairs: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], float]:
    """The figures for one back end, and the seconds all scans' writes took."""
    found, absent = pairs[: args.findings], pairs[args.findings :]
    findings = [a_finding(d, p, i) for i, (d, p) in enumerate(found)]
    rows: list[tuple[str, str]] = []
    writing = 0.0
    with Store.open(location) as store:
        previous_size = size(store)
        scan_id = 0
        for n in range(args.scans):
            info = ScanInfo(
                id=None,
                started=datetime.now(UTC),
                protected=tuple(ProtectedSummary(p) for p in PROTECTED),
            )
            scan_id = store.begin_scan(info, key="bench")

            def write_absent(sid: int = scan_id) -> None:
                for i in range(0, len(absent), ABSENT_BATCH):
                    store.record_absent(sid, absent[i : i + ABSENT_BATCH])

            def write_findings(sid: int = scan_id) -> None:
                for f in findings:
                    store.record(sid, f)

            _, t_absent = timed(write_absent)
            _, t_found = timed(write_findings)

            def finish(sid: int = scan_id, final: ScanInfo = info) -> None:
                store.finish_scan(sid, final)

            _, t_finish = timed(finish)
            checkpoint(store)
            grown = size(store) - previous_size
            previous_size = size(store)
            label = "first scan" if n == 0 else f"repeat scan {n}"
            rows.append(
                (f"{label}: {len(absent):,} absent (record_absent)", f"{len(absent) / t_absent:,.0f} names/s")
            )
            rows.append(
                (
                    f"{label}: {len(findings):,} findings (record)",
                    f"{len(findings) / t_found:,.0f} findings/s",
                )
            )
            rows.append((f"{label}: finish_scan (interns the absent names)", f"{t_finish:.1f} s"))
            total = t_absent + t_found + t_finish
            writing += total
            rows.append(
                (
                    f"{label}: {args.names:,} observations, all in",
                    f"{args.names / total:,.0f} /s, {total:.1f} s",
                )
            )
            absent_bytes, found_bytes = stored_bytes(store, scan_id)
            rows.append(
                (
                    f"{label}: of which absent names / findings",
                    f"{absent_bytes / 1e3:.1f} kB ({absent_bytes / max(len(absent), 1):.3f} B/name)"
                    f" / {found_bytes / 1e6:.1f} MB ({found_bytes / max(len(findings), 1):,.0f} B/finding)",
                )
            )
            rows.append(
                (f"{label}: growth on disk", f"{grown / 1e6:.1f} MB ({grown / args.names:.1f} B/observation)")
            )
        rows.append(("size after all scans", f"{size(store) / 1e6:.1f} MB"))
        _, t = timed(lambda: store.done(scan_id))
        rows.append(("done() (what --resume skips)", f"{t:.2f} s"))
        _, t = timed(lambda: store.absent(scan_id))
        rows.append(("absent()", f"{t:.2f} s"))
        among = found + absent[:1000]
        _, t = timed(lambda: store.absent(scan_id, among=among))
        rows.append((f"absent(among={len(among):,} names) (what a diff asks)", f"{t:.2f} s"))
        _, t = timed(lambda: store.load_scan(scan_id))
        rows.append((f"load_scan() ({len(findings):,} findings)", f"{t:.2f} s"))
        _, t = timed(lambda: store.existence_history([s.id for s in store.scans() if s.id is not None]))
        rows.append(("existence_history() over all scans", f"{t:.2f} s"))
        probe = absent[len(absent) // 2][0]
        _, t = timed(lambda: store.history(probe))
        rows.append(("history(one absent name)", f"{t * 1000:.1f} ms"))
        _, t = timed(store.checkup)
        rows.append(("checkup() (history --check)", f"{t:.2f} s"))
    return rows, writing


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--names", type=int, default=1_000_000, help="observations per scan")
    parser.add_argument("--findings", type=int, default=10_000, help="of which findings (the rest absent)")
    parser.add_argument("--scans", type=int, default=2, help="scans of the same names")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()

    pairs = names(args.names)
    results: dict[str, tuple[list[tuple[str, str]], float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            results["sqlite"] = measure(Path(tmp) / "bench.db", args, pairs)
        if args.backend in ("postgresql", "both"):
            if find_postgres() is None:
                print("PostgreSQL: skipped (Debian's postgresql is not installed)")
            else:
                with PostgresCluster(durable=True) as cluster:
                    results["postgresql"] = measure(cluster.create_database("bench"), args, pairs)
    for backend, (rows, writing) in results.items():
        rows.append(("all scans' writes", f"{writing:.1f} s"))
        width = max(len(r[0]) for r in rows)
        print(f"{f'store benchmark: {backend}':{width}}  result")
        print(f"{'-' * width}  {'-' * 34}")
        for what, result in rows:
            print(f"{what:{width}}  {result}")
        print()
    if len(results) == 2:
        ratio = results["postgresql"][1] / results["sqlite"][1]
        print(
            f"PostgreSQL / SQLite, writing {args.scans} x {args.names:,} observations: "
            f"{results['postgresql'][1]:.1f} s / {results['sqlite'][1]:.1f} s = {ratio:.2f}x"
            " (target: at most 2x)"
        )


if __name__ == "__main__":
    main()
