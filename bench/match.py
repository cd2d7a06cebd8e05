"""Matching benchmark: names per second against 1,000 protected domains, memory against the number of
names, and accuracy (planted lookalikes of every technique found; benign names matched) for 10.

    python -m bench.match                    # the standard run
    python -m bench.match --names 400000     # a longer stream
    python -m bench.match --benign 100000    # the accuracy sample size (default 100,000)

Rates are CPU seconds of ``Matcher.match`` over a stream of CT-like names (subdomains, dictionary words,
random labels, a few lookalikes), best of three passes (and the first: fresh names), with a named
reference: ``names.apex_of`` alone (the public-suffix split every name needs). Memory: tracemalloc's
peak while streaming N and 4N names, which must not grow with N. The benign sample is dictionary
words (Debian's /usr/share/dict/words when installed, else the generator's own word list) and random
labels under common TLDs.
"""

from __future__ import annotations

import argparse
import os
import random
import string
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from lookalike import names, permute
from lookalike.match import Matcher
from lookalike.model import Technique
from lookalike.permute import words

TLDS = ("com", "net", "org", "de", "co.uk", "io", "fr", "info", "xyz", "com.au", "nl", "app")
TEN = (
    "paypal.com",
    "kestrelsystems.com",
    "army.mil",
    "bankofamerica.com",
    "microsoft.com",
    "bbc.co.uk",
    "netflix.com",
    "apple.com",
    "deutsche-bank.de",
    "amazon.com",
)


def protected_set(count: int, seed: int = 7) -> list[str]:
    """``count`` plausible brands: two dictionary words, invented names, single words, a few short."""
    rng = random.Random(seed)
    dictionary = sorted(words.dictionary())
    found: dict[str, None] = dict.fromkeys(TEN)
    while len(found) < count:
        r = rng.random()
        if r < 0.6:
            label = rng.choice(dictionary) + rng.choice(dictionary)
        elif r < 0.85:
            label = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 11)))
        elif r < 0.95:
            label = rng.choice(dictionary) + "-" + rng.choice(dictionary)
        else:
            label = "".join(rng.choice(string.ascii_lowercase) for _ in range(3))
        found[f"{label}.{rng.choice(TLDS)}"] = None
    return list(found)[:count]


def dictionary_words() -> list[str]:
    path = Path("/usr/share/dict/words")
    if path.is_file():
        return sorted(
            {
                w.strip().lower()
                for w in path.read_text("utf-8", "replace").split()
                if w.isascii() and w.isalpha()
            }
        )
    return sorted(words.dictionary())


def stream(count: int, seed: int, planted: list[str]) -> Iterator[str]:
    """CT-like names: www and mail subdomains, random hosts of random domains, words, some lookalikes."""
    rng = random.Random(seed)
    dictionary = dictionary_words()

    def label() -> str:
        if rng.random() < 0.5:
            return rng.choice(dictionary) + (rng.choice(dictionary) if rng.random() < 0.3 else "")
        return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(rng.randint(4, 14)))

    for _ in range(count):
        r = rng.random()
        if r < 0.001 and planted:
            yield rng.choice(planted)
        elif r < 0.35:
            yield f"www.{label()}.{rng.choice(TLDS)}"
        elif r < 0.65:
            yield f"{label()}.{rng.choice(TLDS)}"
        else:
            yield f"{label()}.{label()}.{rng.choice(TLDS)}"


def rate(matcher: Matcher, count: int) -> tuple[float, float, float, int]:
    """(best of three passes, the first pass, ``apex_of`` alone: names/s; names matched). The first
    pass meets most names for the first time (the explanations ``generate`` is asked for are made
    then); the later ones find them in the matcher's small caches, as a feed's repeats do."""
    sample = list(stream(count, 3, ["paypa1.com", "login.kestre1systems.com"]))
    for n in sample[:2000]:
        matcher.match(n)
    best, first, reference, hits = 0.0, 0.0, 0.0, 0
    for _ in range(3):
        t = time.process_time()
        hits = sum(1 for n in sample if matcher.match(n))
        best = max(best, len(sample) / (time.process_time() - t))
        first = first or best
        t = time.process_time()
        for n in sample:
            names.apex_of(n)
        reference = max(reference, len(sample) / (time.process_time() - t))
    return best, first, reference, hits


def peak(matcher: Matcher, count: int) -> float:
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    matched = 0
    for n in stream(count, 11, []):
        matched += len(matcher.match(n))
    top = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return top / 2**20


def accuracy(benign_count: int) -> None:
    matcher = Matcher([names.parse(d) for d in TEN])
    rng = random.Random(23)
    per: Counter[Technique] = Counter()
    found: Counter[Technique] = Counter()
    wrong: list[str] = []
    for domain in TEN:
        by: dict[Technique, list[str]] = {}
        for c in permute.generate(names.parse(domain)):
            for t in c.techniques:
                by.setdefault(t, []).append(c.domain)
        for t, domains in by.items():
            for d in rng.sample(domains, min(40, len(domains))):
                per[t] += 1
                if any(m.protected == domain for m in matcher.match(d)):
                    found[t] += 1
                else:
                    wrong.append(f"{d} ({t})")
    total, hit = sum(per.values()), sum(found.values())
    print(f"planted lookalikes found: {hit:,} of {total:,} ({100 * hit / total:.2f} %), every technique:")
    print("  " + ", ".join(f"{t.value} {found[t]}/{per[t]}" for t in per))
    if wrong:
        print(f"  missed: {', '.join(wrong[:10])}")
    dictionary = dictionary_words()
    matched, unexplained = 0, 0
    examples: list[str] = []
    for i in range(benign_count):
        if i % 2:
            label = rng.choice(dictionary) + (rng.choice(dictionary) if rng.random() < 0.3 else "")
        else:
            label = "".join(
                rng.choice(string.ascii_lowercase + string.digits) for _ in range(rng.randint(4, 14))
            )
        name = f"{label}.{rng.choice(TLDS)}"
        result = matcher.match(name)
        if result:
            matched += 1
            unexplained += sum(1 for m in result if not m.steps or not m.why)
            if len(examples) < 8:
                examples.append(
                    f"{name} -> {result[0].protected} ({','.join(t.value for t in result[0].techniques)})"
                )
    source = (
        "/usr/share/dict/words" if Path("/usr/share/dict/words").is_file() else "the generator's word list"
    )
    print(
        f"benign sample: {matched:,} of {benign_count:,} matched ({100 * matched / benign_count:.3f} %, "
        f"target < 0.1 %), {unexplained} without an explanation; words from {source}"
    )
    for e in examples:
        print(f"  {e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--protected", type=int, default=1000)
    parser.add_argument("--names", type=int, default=200_000)
    parser.add_argument("--benign", type=int, default=100_000)
    args = parser.parse_args(argv)
    domains = protected_set(args.protected)
    wall, cpu = time.perf_counter(), time.process_time()
    matcher = Matcher([names.parse(d) for d in domains])
    print(
        f"index of {len(domains):,} protected domains: {matcher.size:,} exact names, built in "
        f"{time.perf_counter() - wall:.1f} s wall / {time.process_time() - cpu:.1f} s CPU"
    )
    got, first, reference, hits = rate(matcher, args.names)
    print(
        f"matching: {got:,.0f} names/s per process (CPU; first pass {first:,.0f}/s), {hits:,} of "
        f"{args.names:,} names matched; reference apex_of alone {reference:,.0f}/s: matching costs "
        f"{reference / got:.1f}x a PSL split; load average {os.getloadavg()[0]:.1f}"
    )
    small, large = peak(matcher, args.names // 4), peak(matcher, args.names)
    print(
        f"memory while streaming: peak {small:.1f} MiB for {args.names // 4:,} names, "
        f"{large:.1f} MiB for {args.names:,}"
    )
    accuracy(args.benign)
    print(f"\nPython {sys.version.split()[0]}; CPU time, best of 3.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
