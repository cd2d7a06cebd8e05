"""How well lookalike reads real registries' WHOIS answers: per-field and per-TLD accuracy on the corpus.

    python -m bench.registry [--tld TLD] [--show-wrong] [--dates]

The corpus (``tests/data/registry/corpus``, see its PROVENANCE.md) holds recorded answers from real
registries and the values two public WHOIS libraries expect from them. Each answer goes through
``whois.read_answer``, the pure function the WHOIS client uses, and each of the six fields issue 14
counts (registrar, created, expires, updated, status, name servers) is compared with the expected value
(``tests/registry_corpus.py`` says how). A field counts when the reference gives a value or lookalike
gives one; it is right when both agree.

Outcomes are counted apart: crashes (anything but the documented outcome), registered answers read as
ABSENT (the one error that must never happen: it would advise registering a name a third party holds),
not-found answers read as OK, and registered answers lookalike could not read (ERROR, unknown).

``--dates`` compares date readers on every date string of the corpus's answers: lookalike's own, and the
``whois`` package's ``str_to_date`` (the figure behind keeping or dropping that dependency).

Figures to compare, not pass/fail; ``tests/unit/test_whois_corpus.py`` holds the floor.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from lookalike.model import Registration, Status
from lookalike.registrydates import parse_date
from lookalike.whoisparse import read_answer
from tests.registry_corpus import FIELDS, Case, Value, cases, observed, same


@dataclass(slots=True)
class Tally:
    right: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.right.update(other.right)
        self.total.update(other.total)
        self.outcomes.update(other.outcomes)
        self.wrong += other.wrong

    @property
    def fields_right(self) -> int:
        return sum(self.right.values())

    @property
    def fields_total(self) -> int:
        return sum(self.total.values())


def values(registration: Registration | None) -> dict[str, Value]:
    if registration is None:
        return dict.fromkeys(FIELDS)
    return {name: observed(name, getattr(registration, name)) for name in FIELDS}


def judge(case: Case) -> Tally:
    """One case's outcome and fields."""
    tally = Tally()
    try:
        outcome = read_answer(case.text, "corpus", case.domain)
    except Exception as exc:  # the figure this counts is exactly "anything escaped"  # noqa: BLE001
        tally.outcomes["crash"] += 1
        tally.wrong.append(f"{case.id}: CRASH {type(exc).__name__}: {exc}")
        return tally
    status = outcome.status
    if case.reserved:
        right = status is Status.ERROR and "reserved" in outcome.detail
        tally.outcomes["reserved, read as unknown" if right else f"reserved read as {status.value}"] += 1
        if not right:
            tally.wrong.append(f"{case.id}: reserved name read as {status.value} {outcome.detail}")
        return tally
    if not case.registered:
        names = {Status.ABSENT: "not-found ok", Status.OK: "not-found read as OK"}
        key = names.get(status, "not-found unknown")
        tally.outcomes[key] += 1
        if status is not Status.ABSENT:
            tally.wrong.append(f"{case.id}: not-found answer read as {status.value} {outcome.detail}")
        return tally
    key = {Status.OK: "registered ok", Status.ABSENT: "registered read as ABSENT"}.get(
        status, f"registered unread ({status.value})"
    )
    tally.outcomes[key] += 1
    if status is not Status.OK:
        tally.wrong.append(f"{case.id}: {status.value}: {outcome.detail}")
    got = values(outcome.value)
    for name in FIELDS:
        expected = case.expected.get(name)
        if name not in case.expected:
            continue  # the reference does not judge this field for this answer
        if expected is None and got[name] is None:
            continue
        tally.total[name] += 1
        if same(name, expected, got[name]):
            tally.right[name] += 1
        else:
            tally.wrong.append(f"{case.id}: {name}: expected {_show(expected)}, got {_show(got[name])}")
    return tally


def _show(value: Value) -> str:
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(value)) + "}"
    return "-" if value is None else str(value)


def percent(right: int, total: int) -> str:
    return f"{100 * right / total:5.1f}%" if total else "    -"


def _package_reader() -> Callable[[str], object] | None:
    """The ``whois`` package's ``str_to_date`` when it is installed (lookalike no longer depends on it)."""
    try:
        from whois.handleDateStrings import str_to_date
    except (ImportError, ValueError):
        return None
    reader: Callable[[str], object] = str_to_date
    return reader


def date_readers() -> None:
    """Every date-like value in the corpus's answers, read by lookalike's reader and by the package's."""
    keys = re.compile(
        r"^\s*(?:[a-z]\.\s*\[)?[^:\[\]]{0,40}(?:date|created|changed|modified|expir|registered|updated|"
        r"paid-till|renewal|valid|登録年月日|有効期限|最終更新)[^:\[\]]{0,20}\]?\s*:?\s*(.+)$",
        re.IGNORECASE,
    )
    seen: dict[str, None] = {}
    for case in cases():
        for line in case.text.splitlines():
            match = keys.match(line)
            if match and any(c.isdigit() for c in match.group(1)) and len(match.group(1)) < 80:
                seen[match.group(1).strip()] = None
    package = _package_reader()
    own = theirs_count = own_only = theirs_only = 0
    listed: list[str] = []
    for text in seen:
        ours = parse_date(text) is not None
        theirs = False
        if package is not None:
            try:
                theirs = package(text) is not None
            except Exception:  # noqa: BLE001  (the package's failures are what is measured)
                theirs = False
        own += ours
        theirs_count += theirs
        own_only += ours and not theirs
        if theirs and not ours:
            theirs_only += 1
            listed.append(text)
    print(f"\ndate-like values in the corpus answers: {len(seen)} (some are not dates at all)")
    print(f"  read by lookalike.registrydates.parse_date: {own}")
    if package is None:
        print("  the whois package is not installed: nothing to compare with")
        return
    print(f"  read by the whois package's str_to_date:     {theirs_count}")
    print(f"  read only by lookalike: {own_only}; only by the package: {theirs_only}")
    for text in listed[:20]:
        print(f"    only the package: {text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tld", help="only this TLD")
    parser.add_argument("--show-wrong", action="store_true", help="list every wrong field and outcome")
    parser.add_argument("--dates", action="store_true", help="compare the date readers")
    args = parser.parse_args()

    start = time.perf_counter()
    overall = Tally()
    per_tld: dict[str, Tally] = defaultdict(Tally)
    count = 0
    for case in cases():
        if args.tld and case.tld != args.tld.lower().lstrip("."):
            continue
        tally = judge(case)
        per_tld[case.tld].add(tally)
        overall.add(tally)
        count += 1
    elapsed = time.perf_counter() - start

    print(f"registry corpus: {count} answers, {len(per_tld)} TLDs, read in {elapsed:.2f} s")
    print("\noutcomes:")
    for key in sorted(overall.outcomes):
        print(f"  {key:32} {overall.outcomes[key]:4}")
    print("\nper field (right / counted):")
    for name in FIELDS:
        right, total = overall.right[name], overall.total[name]
        print(f"  {name:12} {right:4} / {total:4}  {percent(right, total)}")
    print(f"  {'all six':12} {overall.fields_right:4} / {overall.fields_total:4}  "
          f"{percent(overall.fields_right, overall.fields_total)}")  # fmt: skip

    below = sorted(
        (tld for tld, t in per_tld.items() if t.fields_right < t.fields_total or t.wrong),
        key=lambda tld: (per_tld[tld].fields_right / max(per_tld[tld].fields_total, 1), tld),
    )
    print(f"\nTLDs below 100% ({len(below)} of {len(per_tld)}):")
    for tld in below:
        t = per_tld[tld]
        unread = sum(n for k, n in t.outcomes.items() if "ok" not in k)
        print(f"  .{tld:18} {t.fields_right:3} / {t.fields_total:3} {percent(t.fields_right, t.fields_total)}"
              f"{f'  ({unread} answers not read as expected)' if unread else ''}")  # fmt: skip
    if args.show_wrong:
        print("\nwrong:")
        for line in overall.wrong:
            print(f"  {line}")
    if args.dates:
        date_readers()


if __name__ == "__main__":
    main()
