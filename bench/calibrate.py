"""How well the plausibility model ranks documented real lookalikes: the fit, printed.

For every row of ``tests/data/lookalikes/lookalikes.csv`` (a lookalike documented by a UDRP decision,
a study or an advisory, and the domain it imitates) this finds the lookalike's rank in its target's
depth-1 list (default options, as a user gets it) and, when depth 1 does not make it, its rank in the
depth-2 list. It prints recall at 10, 100 and 1,000, the median rank and how many are generated at
all, two ways:

* **depth 1**: every row ranked in its target's depth-1 list (a row only depth 2 makes is missing);
* **at its depth**: a row depth 1 makes at its depth-1 rank, a row only depth 2 makes (two slips at
  once: ``fcebook.com.co``) at its rank in the depth-2 list, the list a user asks for with
  ``--depth 2`` to see combinations (the issue allows depth 2 "for combinations").

Each is printed for the whole set, for each half of the targets (the held-out check: weights are
tuned looking at one half and read on the other, and the other way round), per source and per family,
and for ``fresh.csv``: lookalikes of other targets, collected before the weights were changed and not
used to tune them.

    python -m bench.calibrate                 # the fit of the current model
    python -m bench.calibrate --rows          # ... with one line per documented lookalike
    python -m bench.calibrate --fresh-rows    # ... and per lookalike of the fresh set
    python -m bench.calibrate --fit           # also search technique weights on each half
    python -m bench.calibrate --keywords      # the words UDRP decisions of other brands add

``--fit`` is a tool for whoever tunes ``lookalike/permute/rank.py``: it generates each target's names
once per technique with every weight at 1, then searches multipliers of the technique weights
(coordinate descent on the mean log rank, weights kept within [0.05, 1]) on one half of the targets
and prints how they rank the other half, both ways round, next to the shipped weights. It changes
nothing: the weights that ship are the ones in ``rank.py``, with their sources, and the figures that
count are the ones this script prints for them. A rank is the 1-based position in the list; a row
that is not made has no rank (it counts as missing from every top N and as infinitely far for the
median).
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import idna

from lookalike import names
from lookalike.model import Candidate, Technique
from lookalike.permute import GenerateOptions, generate

HERE = Path(__file__).resolve().parent.parent / "tests" / "data" / "lookalikes"
DATA = HERE / "lookalikes.csv"
FRESH = HERE / "fresh.csv"
EVIDENCE = HERE / "keyword-evidence.csv"
TOPS = (10, 100, 1000)


@dataclass(frozen=True, slots=True)
class Row:
    lookalike: str
    """ASCII (A-labels)."""
    shown: str
    target: str
    kind: str
    reference: str


@dataclass(frozen=True, slots=True)
class Found:
    row: Row
    rank: int | None
    """1-based rank in the depth-1 list; None when depth 1 does not make it."""
    rank2: int | None
    """1-based rank in the depth-2 list when depth 1 does not make it (a combination of two slips)."""
    techniques: tuple[Technique, ...]
    plausibility: float
    size: int
    """How many names the target's depth-1 list holds."""


def to_ascii(domain: str) -> str:
    if domain.isascii():
        return domain.lower()
    return ".".join(
        label if label.isascii() else idna.encode(label, uts46=True).decode() for label in domain.split(".")
    )


def load(path: Path = DATA) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Row(to_ascii(r["lookalike"]), r["lookalike"], r["target"], r["kind"], r["reference"])
            for r in csv.DictReader(handle)
        ]


def halves(rows: Sequence[Row]) -> tuple[frozenset[str], frozenset[str]]:
    """The two halves of the targets for the held-out check: sorted, every other one."""
    targets = sorted({r.target for r in rows})
    return frozenset(targets[::2]), frozenset(targets[1::2])


def measure(rows: Sequence[Row], options: GenerateOptions | None = None) -> list[Found]:
    options = options or GenerateOptions()
    lists: dict[str, list[Candidate]] = {}
    deep: dict[str, dict[str, int]] = {}
    out = []
    for row in rows:
        if row.target not in lists:
            lists[row.target] = generate(names.parse(row.target), options)
        ranked = lists[row.target]
        index = next((i for i, c in enumerate(ranked) if c.domain == row.lookalike), None)
        if index is not None:
            c = ranked[index]
            out.append(Found(row, index + 1, None, c.techniques, c.plausibility, len(ranked)))
            continue
        if row.target not in deep:
            two = generate(names.parse(row.target), replace(options, depth=2))
            deep[row.target] = {c.domain: i + 1 for i, c in enumerate(two)}
        out.append(Found(row, None, deep[row.target].get(row.lookalike), (), 0.0, len(ranked)))
    return out


def summary(found: Sequence[Found], *, depth2: bool = False) -> dict[str, float]:
    """The fit: recall at 10/100/1,000 and the median rank in the depth-1 lists (``depth2``: a row
    depth 1 cannot make counts at its rank in the depth-2 list instead)."""
    n = len(found)
    ranks: list[float] = []
    for f in found:
        rank = f.rank if f.rank is not None else (f.rank2 if depth2 else None)
        ranks.append(rank if rank is not None else math.inf)
    figures = {f"recall@{top}": sum(r <= top for r in ranks) / n for top in TOPS}
    figures["median"] = statistics.median(ranks)
    figures["depth1"] = sum(f.rank is not None for f in found) / n
    figures["generated"] = sum(f.rank is not None or f.rank2 is not None for f in found) / n
    return figures


def show_summary(title: str, found: Sequence[Found], *, depth2: bool = False) -> None:
    if not found:
        return
    s = summary(found, depth2=depth2)
    median = "-" if math.isinf(s["median"]) else f"{s['median']:.0f}"
    print(
        f"{title:<40} n={len(found):>3}  @10 {s['recall@10']:6.1%}  @100 {s['recall@100']:6.1%}  "
        f"@1000 {s['recall@1000']:6.1%}  median {median:>5}  depth 1 {s['depth1']:6.1%}  "
        f"generated {s['generated']:6.1%}"
    )


def show_both(title: str, found: Sequence[Found]) -> None:
    """The two measures: in the depth-1 list, and each row at the depth it needs."""
    show_summary(f"{title}, depth 1", found)
    show_summary(f"{title}, at its depth", found, depth2=True)


FAMILIES: Mapping[str, frozenset[Technique]] = {
    "keyboard and spelling": frozenset(
        {
            Technique.OMISSION,
            Technique.INSERTION,
            Technique.REPLACEMENT,
            Technique.TRANSPOSITION,
            Technique.REPETITION,
            Technique.ADDITION,
            Technique.VOWEL_SWAP,
            Technique.DOUBLE_SLIP,
            Technique.HYPHENATION,
            Technique.HYPHEN_REMOVAL,
            Technique.BITFLIP,
        }
    ),
    "suffix and dots": frozenset(
        {
            Technique.TLD_TYPO,
            Technique.TLD_SWAP,
            Technique.WRONG_SLD,
            Technique.DOT_MOVED,
            Technique.DOT_DROPPED,
            Technique.DOT_INSERTED,
            Technique.DOT_HYPHEN,
            Technique.TLD_FUSION,
            Technique.TLD_APPEND,
        }
    ),
    "glyphs": frozenset(
        {Technique.HOMOGLYPH, Technique.IDN_HOMOGLYPH, Technique.WHOLE_SCRIPT, Technique.DIACRITIC}
    ),
}
"""Families for the per-family figures; everything else (words, keywords, countries) is "words"."""


def family(techniques: Iterable[Technique]) -> str:
    chosen = set(techniques)
    for name, members in FAMILIES.items():
        if chosen & members:
            return name
    return "words" if chosen else "not at depth 1"


def show_rows(found: Sequence[Found]) -> None:
    print(f"\n{'rank':>8} {'of':>7}  {'plaus.':>6}  {'lookalike':<28} {'target':<20} techniques")
    for f in sorted(found, key=lambda f: (f.rank is None, f.rank or 0, f.rank2 or 10**9, f.row.lookalike)):
        rank = str(f.rank) if f.rank is not None else f"d2:{f.rank2}" if f.rank2 is not None else "-"
        techniques = ",".join(t.value for t in f.techniques)
        where = f"{f.row.shown:<28} {f.row.target:<20}"
        print(f"{rank:>8} {f.size:>7,}  {f.plausibility:6.4f}  {where} {techniques}")


# --- the weight search (--fit) --------------------------------------------------------------------

Signature = tuple[tuple[Technique, float], ...]
"""What makes one name: each technique that makes it with its plausibility when its weight is 1."""
Table = tuple[dict[Signature, int], dict[str, Signature]]
"""One target's names grouped by signature (signature -> how many names), and the rows' signatures."""


def factor_table(target: str, options: GenerateOptions, wanted: set[str]) -> Table:
    """Every depth-1 name of ``target`` with, per technique that makes it, its plausibility when that
    technique's weight is 1 (generating one technique at a time), grouped by that signature."""
    from lookalike.permute import rank

    saved = dict(rank.WEIGHTS)
    found: dict[str, dict[Technique, float]] = {}
    try:
        for technique in rank.WEIGHTS:
            rank.WEIGHTS[technique] = 1.0  # type: ignore[index]
        for technique in Technique:
            for c in generate(names.parse(target), replace(options, techniques=frozenset({technique}))):
                found.setdefault(c.domain, {})[technique] = c.plausibility
    finally:
        for technique, weight in saved.items():
            rank.WEIGHTS[technique] = weight  # type: ignore[index]
    groups: dict[Signature, int] = {}
    mine: dict[str, Signature] = {}
    for domain, parts in found.items():
        signature = tuple(sorted(parts.items()))
        groups[signature] = groups.get(signature, 0) + 1
        if domain in wanted:
            mine[domain] = signature
    return groups, mine


def ranks_for(
    weights: Mapping[Technique, float], tables: Mapping[str, Table], rows: Sequence[Row]
) -> list[float]:
    """Each row's rank under ``weights`` (a name scores its best technique; ties count half)."""
    scored = {
        target: [(max(weights[t] * f for t, f in signature), count) for signature, count in groups.items()]
        for target, (groups, _mine) in tables.items()
    }
    out = []
    for row in rows:
        signature = tables[row.target][1].get(row.lookalike)
        if signature is None:
            out.append(math.inf)
            continue
        score = max(weights[t] * f for t, f in signature)
        above = sum(count for s, count in scored[row.target] if s > score)
        equal = sum(count for s, count in scored[row.target] if s == score)
        out.append(1 + above + (equal - 1) / 2)
    return out


def loss(ranks: Sequence[float], size: int = 100_000) -> float:
    return statistics.fmean(math.log(min(r, size)) for r in ranks)


def fit(
    rows: Sequence[Row], tables: Mapping[str, Table], start: Mapping[Technique, float]
) -> dict[Technique, float]:
    weights = dict(start)
    best = loss(ranks_for(weights, tables, rows))
    for _round in range(3):
        improved = False
        for technique in sorted(weights, key=lambda t: t.value):
            for step in (0.5, 0.7, 0.85, 1.2, 1.4, 2.0):
                trial = dict(weights)
                trial[technique] = min(1.0, max(0.05, weights[technique] * step))
                value = loss(ranks_for(trial, tables, rows))
                if value < best - 1e-9:
                    best, weights, improved = value, trial, True
        if not improved:
            break
    return weights


def show_fit(rows: Sequence[Row], options: GenerateOptions) -> None:
    from lookalike.permute import rank

    started = time.perf_counter()
    tables = {
        t: factor_table(t, options, {r.lookalike for r in rows if r.target == t})
        for t in sorted({r.target for r in rows})
    }
    current = dict(rank.WEIGHTS)

    def figures(weights: Mapping[Technique, float], subset: Sequence[Row]) -> str:
        ranks = ranks_for(weights, tables, subset)
        tops = "  ".join(f"@{top} {sum(r <= top for r in ranks) / len(ranks):6.1%}" for top in TOPS)
        return f"{tops}  median {statistics.median(ranks):.0f}"

    first, second = halves(rows)
    print("\nweight search (approximation: a name scores its best single technique, depth 1 only)")
    for train_name, train, test_name, test in (("A", first, "B", second), ("B", second, "A", first)):
        train_rows = [r for r in rows if r.target in train]
        test_rows = [r for r in rows if r.target in test]
        fitted = fit(train_rows, tables, current)
        print(f"  shipped weights on half {test_name}           {figures(current, test_rows)}")
        print(f"  fitted on half {train_name}, read on half {test_name}  {figures(fitted, test_rows)}")
        print(f"  (fitted on half {train_name}, on half {train_name}      {figures(fitted, train_rows)})")
    fitted = fit(rows, tables, current)
    print(f"  shipped weights, all rows       {figures(current, rows)}")
    print(f"  fitted on all rows              {figures(fitted, rows)}")
    for technique in sorted(fitted, key=lambda t: t.value):
        if abs(fitted[technique] - current[technique]) > 1e-9:
            print(f"    {technique.value:<16} {current[technique]:.3f} -> {fitted[technique]:.3f}")
    print(f"  ({time.perf_counter() - started:.0f} s)")


# --- the keyword evidence (--keywords) --------------------------------------------------------------


def word_brands(path: Path = EVIDENCE) -> dict[str, set[str]]:
    """Each word that ``keyword-evidence.csv`` records a disputed name adding to a brand, with the brands
    (complainants' domains) whose decisions show it; a plural counts as its singular."""
    found: dict[str, set[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for written in row["words"].split():
                plural = written.endswith("s") and not written.endswith("ss") and len(written) > 3
                found.setdefault(written[:-1] if plural else written, set()).add(row["brand"])
    return found


def show_keywords(rows: Sequence[Row], fresh: Sequence[Row]) -> None:
    """How many brands' decisions add each word, and whether keywords.txt or countries.tsv has it."""
    from lookalike.permute import words

    found = word_brands()
    brands = {b for seen in found.values() for b in seen}
    targets = {r.target for r in [*rows, *fresh]}
    overlap = sorted(brands & targets)
    keywords = words.keyword_weights()
    countries = {w for pair in words.countries() for w in pair if w}
    print(
        f"\nwords that UDRP decisions of {len(brands)} other brands add ({EVIDENCE.name}; "
        f"brands that are also targets of the labelled sets: {', '.join(overlap) or 'none'})"
    )
    geographic = {b for w, seen in found.items() if w in countries and w not in keywords for b in seen}
    print(f"  {'(a country)':<12} {len(geographic):>2} brands  country-code")
    for word, seen in sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(seen) < 2 and word not in keywords:
            continue
        where = (
            f"keyword {keywords[word]:.2f}" if word in keywords else "country" if word in countries else "-"
        )
        print(f"  {word:<12} {len(seen):>2} brands  {where}")


def report(name: str, found: Sequence[Found], *, detail: bool) -> None:
    """Every figure for one labelled set."""
    rows = [f.row for f in found]
    print(f"{name}: {len(rows)} documented lookalikes of {len({r.target for r in rows})} domains")
    show_both("all", found)
    show_summary("the rows depth 1 makes", [f for f in found if f.rank is not None])
    first, second = halves(rows)
    show_both("targets half A", [f for f in found if f.row.target in first])
    show_both("targets half B", [f for f in found if f.row.target in second])
    if not detail:
        return
    for kind in sorted({r.kind for r in rows}):
        show_both(f"  source: {kind}", [f for f in found if f.row.kind == kind])
    by_family: dict[str, list[Found]] = {}
    for f in found:
        by_family.setdefault(family(f.techniques), []).append(f)
    for fam in sorted(by_family):
        show_summary(f"  family: {fam}", by_family[fam], depth2=fam == "not at depth 1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", action="store_true", help="one line per documented lookalike")
    parser.add_argument("--fresh-rows", action="store_true", help="... of the fresh set too")
    parser.add_argument("--fit", action="store_true", help="also search weights on each half of the targets")
    parser.add_argument("--keywords", action="store_true", help="the words decisions of other brands add")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--fresh", type=Path, default=FRESH, help="the fresh held-out set (none: --fresh '')")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = load(args.data)
    found = measure(rows)
    report(args.data.name, found, detail=True)
    fresh: list[Found] = []
    if args.fresh and args.fresh.is_file():
        print()
        fresh = measure(load(args.fresh))
        report(f"{args.fresh.name} (held out: not used to tune)", fresh, detail=True)
    print(f"\n(default options; ranks in each target's list; {time.perf_counter() - started:.0f} s)")
    if args.rows:
        show_rows(found)
    if args.fresh_rows:
        show_rows(fresh)
    if args.keywords:
        show_keywords(rows, [f.row for f in fresh])
    if args.fit:
        show_fit(rows, GenerateOptions())
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
