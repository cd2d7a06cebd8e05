"""How well the visual verdict tells clones from the rest, and how fast headless Chromium takes pictures.

    python -m bench.visual [--variants 12] [--seed 1] [--pages 24] [--parallel 4]

Judges every page of the hand-written corpus (``tests/data/pages``) against every protected site, and
then as many generated variants per protected site (``--variants``, drawn from ``--seed``): clones
with a warning banner, shifted and recoloured; the logo alone on a random background; and the hardest
negative, the protected page's own layout and colours with another brand's words. Prints precision
and recall of ``clone`` and of ``clone or similar``, and the share of blank, error, timed-out,
cloaked and download pages called ``unknown`` (the target is all of them). Then renders ``--pages``
ordinary corpus pages ``--parallel`` at a time and one at a time, and prints screenshots per second
of both (the ratio is the gain from rendering in parallel) and the browser's peak memory.

nginx serves everything on loopback; every name resolves to it through the browser's own resolver
callback. Figures to compare, not pass/fail: the machine's load moves them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lookalike.browser import Browser, BrowserLimits, PageLimits
from lookalike.model import Outcome, Status
from lookalike.visual import PageCapture, Verdict, compare
from tests.fixtures.pages import PAGES, Corpus, Page, corpus, render_all, resolver, serve_corpus, url

SYLLABLES = (
    "bar",
    "cel",
    "dor",
    "fen",
    "gal",
    "hun",
    "kor",
    "lim",
    "mar",
    "nov",
    "pel",
    "quin",
    "ros",
    "tav",
)
WORDS = (
    *("orchard", "quarterly", "ledger", "copper", "valley", "tidal", "meadow", "granite", "harbour"),
    *("cedar", "lantern", "prairie", "summit", "willow", "bramble", "comet", "falcon", "glacier"),
    *("marble", "oyster", "pepper", "quartz", "saffron", "thistle", "umber", "walnut"),
)
WARNINGS = (
    "Unusual sign-in activity was detected on your account.",
    "Your password expires today: confirm it to keep access.",
    "Security upgrade: please sign in again to continue.",
)


@dataclass(frozen=True)
class Variant:
    path: str
    brand: str
    expect: Verdict
    kind: str


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))


def _colour(rng: random.Random) -> str:
    return f"#{rng.randrange(0x1000000):06x}"


def variants(root: Path, corpus_: Corpus, count: int, seed: int) -> list[Variant]:
    """Write generated pages under ``root/generated`` and say what each should be."""
    rng = random.Random(seed)
    folder = root / "generated"
    folder.mkdir()
    made: list[Variant] = []
    for brand, site in corpus_.protected.items():
        page = (root / site.page).read_text("utf-8")
        logo = next(p for p in corpus_.pages if p.imitates == brand and p.expect == "similar")
        logo_page = (root / logo.path).read_text("utf-8")
        for i in range(count):
            banner = (
                f"<div style='background:{_colour(rng)};padding:{rng.randint(4, 14)}px;font-size:13px'>"
                f"{rng.choice(WARNINGS)}</div>"
            )
            margin, hue = rng.randint(0, 40), rng.randint(0, 90)
            shift = f"<style>body{{margin-top:{margin}px;filter:hue-rotate({hue}deg)}}</style>"
            clone = page.replace("<body>", "<body>" + banner + shift, 1)
            background = f"<style>body{{background:{_colour(rng)} !important}}</style>"
            alone = logo_page.replace("</head>", background + "</head>", 1)
            other = _rebrand(page, rng)
            made += [
                _write(
                    folder,
                    f"{brand}-clone-{i}.html",
                    clone,
                    brand,
                    expect=Verdict.CLONE,
                    kind="clone variant",
                ),
                _write(
                    folder,
                    f"{brand}-logo-{i}.html",
                    alone,
                    brand,
                    expect=Verdict.SIMILAR,
                    kind="logo variant",
                ),
                _write(
                    folder,
                    f"{brand}-other-{i}.html",
                    other,
                    brand,
                    expect=Verdict.DIFFERENT,
                    kind="our layout",
                ),
            ]
    return made


def _rebrand(page: str, rng: random.Random) -> str:
    """The page's markup and stylesheet with every text replaced by another brand's words, and no
    favicon or logo of ours."""
    brand = f"{_word(rng).title()} {_word(rng).title()}"
    out: list[str] = []
    pos = 0
    while (lt := page.find("<", pos)) >= 0:
        text = page[pos:lt]
        if text.strip():
            words = [rng.choice(WORDS) for _ in range(max(1, len(text.split())))]
            text = f" {brand} " + " ".join(words) + " "
        out.append(text)
        gt = page.find(">", lt)
        tag = page[lt : gt + 1]
        if 'rel="icon"' in tag or "<img" in tag:
            tag = ""
        out.append(tag)
        pos = gt + 1
    out.append(page[pos:])
    return "".join(out)


def _write(folder: Path, name: str, text: str, brand: str, *, expect: Verdict, kind: str) -> Variant:
    (folder / name).write_text(text, "utf-8")
    return Variant(f"generated/{name}", brand, expect, kind)


@dataclass
class Tally:
    said: Counter[str]
    right: Counter[str]
    expected: Counter[str]

    @classmethod
    def new(cls) -> Tally:
        return cls(Counter(), Counter(), Counter())

    def add(self, expected: Verdict, got: Verdict) -> None:
        for label, members in (("clone", {Verdict.CLONE}), ("alike", {Verdict.CLONE, Verdict.SIMILAR})):
            if got in members:
                self.said[label] += 1
            if expected in members:
                self.expected[label] += 1
                if got in members:
                    self.right[label] += 1

    def line(self, label: str, name: str) -> str:
        said, right, expected = self.said[label], self.right[label], self.expected[label]
        precision = right / said if said else 1.0
        recall = right / expected if expected else 1.0
        counts = f"({right} right, {said} said, {expected} expected)"
        return f"  {name:22} precision {precision:5.2f}  recall {recall:5.2f}   {counts}"


async def _render_variants(
    web_address: str, http_port: int, corpus_: Corpus, made: list[Variant]
) -> list[Outcome[PageCapture]]:
    hosts = [f"variant{i}.lookalike.test" for i in range(len(made))]
    async with Browser(
        resolve=resolver(corpus_, web_address), allow_private=True, http_port=http_port
    ) as browser:
        return await asyncio.gather(
            *(
                browser.render(f"http://{host}/{v.path}", [web_address])
                for host, v in zip(hosts, made, strict=True)
            )
        )


def _cpu_seconds(pids: list[int]) -> float:
    """User and system time of these processes and of the children they reaped, in seconds."""
    ticks = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Throughput:
    per_second: float
    pages: int
    peak_memory: int
    browser_cpu: float
    """CPU seconds of Chromium's processes per screenshot."""
    own_cpu: float
    """CPU seconds of lookalike's own process per screenshot (the gate, the protocol, the hashes)."""


async def _throughput(
    web_address: str, http_port: int, corpus_: Corpus, pages: list[Page], parallel: int
) -> Throughput:
    limits = BrowserLimits(pages=parallel, page=PageLimits())
    async with Browser(
        resolve=resolver(corpus_, web_address), allow_private=True, http_port=http_port, limits=limits
    ) as browser:
        await browser.render(url(pages[0]), [web_address])  # the browser's start is not a picture
        chromium = browser._chromium
        assert chromium is not None
        browser_start, own_start = _cpu_seconds(chromium.processes()), time.process_time()
        start = time.perf_counter()
        outcomes = await asyncio.gather(*(browser.render(url(p), [web_address]) for p in pages))
        seconds = time.perf_counter() - start
        browser_cpu = _cpu_seconds(chromium.processes()) - browser_start
        own_cpu = time.process_time() - own_start
        ok = sum(1 for o in outcomes if o.status is Status.OK)
        return Throughput(ok / seconds, ok, browser.usage.peak_memory, browser_cpu / ok, own_cpu / ok)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--variants", type=int, default=12, help="generated pages of each kind per protected site"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", type=int, default=24, help="pages rendered for the throughput figure")
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()

    corpus_ = corpus()
    with tempfile.TemporaryDirectory(prefix="bench-visual-") as tmp:
        root = Path(tmp) / "pages"
        shutil.copytree(PAGES, root)
        made = variants(root, corpus_, args.variants, args.seed)
        with serve_corpus(Path(tmp) / "nginx", root, tls=True) as web:
            rendered = asyncio.run(render_all(web, corpus_))
            generated = asyncio.run(_render_variants(web.address, web.http_port, corpus_, made))
            ordinary = [p for p in corpus_.pages if p.expect in ("self", "clone", "similar", "different")]
            ordinary = [ordinary[i % len(ordinary)] for i in range(args.pages)]
            fast = asyncio.run(_throughput(web.address, web.http_port, corpus_, ordinary, args.parallel))
            slow = asyncio.run(
                _throughput(web.address, web.http_port, corpus_, ordinary[: max(4, args.pages // 3)], 1)
            )

    load = os.getloadavg()
    hand = Tally.new()
    unknown_kinds: Counter[str] = Counter()
    unknown_right: Counter[str] = Counter()
    misses: list[str] = []
    for page in corpus_.pages:
        for brand in corpus_.protected:
            expected = page.expected(brand)
            if expected is None:
                continue
            facts = rendered.facts(page, brand)
            hand.add(expected, facts.verdict)
            if expected is Verdict.UNKNOWN:
                unknown_kinds[page.path] += 1
                unknown_right[page.path] += facts.verdict is Verdict.UNKNOWN
            if facts.verdict is not expected:
                misses.append(
                    f"    {page.path} vs {brand}: expected {expected}, got {facts.verdict} ({facts.reason})"
                )
    extra = Tally.new()
    for variant, outcome in zip(made, generated, strict=True):
        reference = rendered.references[variant.brand]
        facts = compare(outcome, reference, corpus_.protected[variant.brand].domain)
        extra.add(variant.expect, facts.verdict)
        if facts.verdict is not variant.expect:
            misses.append(
                f"    {variant.path} ({variant.kind}): expected {variant.expect},"
                f" got {facts.verdict} ({facts.reason})"
            )

    judged = sum(1 for p in corpus_.pages for b in corpus_.protected if p.expected(b) is not None)
    print(
        f"visual corpus: {len(corpus_.pages)} hand-written pages x {len(corpus_.protected)} protected sites"
        f" = {judged} judgements"
    )
    print(hand.line("clone", "clone"))
    print(hand.line("alike", "clone or similar"))
    total_unknown = sum(unknown_kinds.values())
    right_unknown = sum(unknown_right.values())
    print(
        f"  unknown where it must be (blank, error, timeout, cloaked, download, memory): {right_unknown}"
        f"/{total_unknown} = {right_unknown / max(1, total_unknown):.0%}"
    )
    print(f"generated variants (seed {args.seed}): {len(made)} pages, {args.variants} of each kind per site")
    print(extra.line("clone", "clone"))
    print(extra.line("alike", "clone or similar"))
    if misses:
        print("  misses:")
        print("\n".join(misses))
    print(
        f"throughput: {fast.pages} pages {args.parallel} at a time: {fast.per_second:.2f} screenshots/s;"
        f" one at a time: {slow.per_second:.2f}/s (x{fast.per_second / slow.per_second:.1f} from parallel);"
        f" peak browser memory {fast.peak_memory / 1e6:.0f} MB"
    )
    cpu = fast.browser_cpu + fast.own_cpu
    cores = os.cpu_count() or 1
    print(
        f"  CPU per screenshot: {fast.browser_cpu:.2f} s Chromium + {fast.own_cpu:.2f} s lookalike;"
        f" so at most {cores / cpu:.1f} screenshots/s on {cores} idle cores"
    )
    print(
        f"corpus run: {rendered.seconds:.1f} s for {rendered.usage.pages} pages;"
        f" memory kills {rendered.usage.memory_kills}; load average {load[0]:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
