"""Candidate generation: protected name in, ranked lookalike candidates out.

Pure: no I/O beyond the package's own data files (and ``load_keywords``, which reads the user's file
it is given). The techniques live in small modules (``edits``, ``glyphs``, ``suffixes``, ``words``),
each a function per technique; this module lists them (``TECHNIQUES``), applies them to a ``Name``,
and hands everything to a ``Pool`` that validates, deduplicates and ranks. ``rank`` holds the
plausibility model, ``combos`` the depth-2 pairs.

Which labels are changed: label edits, glyphs and word slips change the label just left of the public
suffix (``army`` in ``us.army.mil``), keeping any subdomain in front (``us.arny.mil``): a change to a
subdomain label would stay under the protected registrable domain, which the organisation already
holds. Dot slips work between all labels (``usarmy.mil``, ``ausintel.com``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from lookalike.errors import LookalikeError
from lookalike.inputs import read_text
from lookalike.model import Candidate, Technique
from lookalike.names import Name
from lookalike.permute import combos, edits, glyphs, rank, suffixes, words
from lookalike.permute.edits import Variant
from lookalike.permute.keyboards import Keyboard, keyboard, layout_names
from lookalike.permute.pool import Pool, mask_of
from lookalike.permute.suffixes import Slip

__all__ = [
    "TECHNIQUES",
    "GenerateOptions",
    "TechniqueInfo",
    "check_options",
    "generate",
    "generate_many",
    "keyboard_names",
    "load_keywords",
    "parse_techniques",
    "technique_names",
]

MAX_KEYWORDS = 10_000
KEYWORDS_FILE_LIMIT = 10_000_000
"""A keywords file larger than this many bytes is refused rather than read."""
"""A keywords file with more lines than this is refused: each keyword makes four names per domain."""


@dataclass(frozen=True, slots=True)
class GenerateOptions:
    """What to generate for each protected name."""

    techniques: frozenset[Technique] | None = None
    """None: every technique."""
    depth: int = 1
    """2: also combinations of two techniques, at most ``combo_budget`` per protected name."""
    keyboards: tuple[str, ...] = ("qwerty",)
    """The keyboard layouts whose neighbour-key slips rank first: qwerty, qwertz, azerty (several at
    once). The other layouts' slips are made too, ranked lower (``rank.OTHER_LAYOUT``)."""
    keywords: tuple[str, ...] = ()
    """Extra keywords (from the user's file) on top of the built-in list."""
    limit: int | None = None
    """Keep only the N most plausible per protected name."""
    combo_budget: int = 50_000
    """At most this many depth-2 candidates per protected name."""


@dataclass(frozen=True, slots=True)
class TechniqueInfo:
    """What ``lookalike techniques`` says about one technique."""

    technique: Technique
    description: str
    """One line."""
    example: str
    """e.g. ``army.mil -> army.ml``."""


_INFO = (
    (Technique.OMISSION, "one character left out", "army.mil -> amy.mil"),
    (Technique.INSERTION, "a neighbouring key pressed as well (any layout)", "army.mil -> arnmy.mil"),
    (Technique.REPLACEMENT, "a neighbouring key pressed instead (any layout)", "paypal.com -> paypak.com"),
    (Technique.TRANSPOSITION, "two neighbouring characters swapped", "google.com -> googel.com"),
    (Technique.REPETITION, "a character typed twice", "army.mil -> armmy.mil"),
    (Technique.ADDITION, "a letter or digit added at the end of a word", "army.mil -> army1.mil"),
    (Technique.BITFLIP, "one bit of one character flipped", "army.mil -> arm9.mil"),
    (Technique.VOWEL_SWAP, "a vowel written as another", "army.mil -> ermy.mil"),
    (
        Technique.HYPHENATION,
        "a hyphen added between two characters",
        "bankofamerica.com -> bank-ofamerica.com",
    ),
    (Technique.HYPHEN_REMOVAL, "a hyphen left out", "my-bank.com -> mybank.com"),
    (Technique.DOUBLE_SLIP, "a doubled letter doubled on its neighbour instead", "apple.com -> aplle.com"),
    (Technique.TLD_TYPO, "the TLD mistyped into another real TLD", "army.mil -> army.ml"),
    (Technique.TLD_SWAP, "another delegated TLD, ranked by how confusable it is", "army.mil -> army.com"),
    (
        Technique.WRONG_SLD,
        "another, or no, second level under a country's TLD",
        "example.co.uk -> example.org.uk",
    ),
    (Technique.DOT_MOVED, "a dot typed one character early or late", "amazon.com -> amazonc.om"),
    (
        Technique.DOT_DROPPED,
        "the dot between two labels, or after www, left out",
        "aus.intel.com -> ausintel.com",
    ),
    (Technique.DOT_INSERTED, "a dot typed inside the name", "example.com -> exam.ple.com"),
    (
        Technique.DOT_HYPHEN,
        "a dot written as a hyphen, or a hyphen as a dot",
        "aus.intel.com -> aus-intel.com",
    ),
    (Technique.TLD_FUSION, "the TLD fused into the name, under a TLD", "army.mil -> armymil.com"),
    (Technique.TLD_APPEND, "a TLD appended to the whole name", "army.mil -> army.mil.ml"),
    (
        Technique.HOMOGLYPH,
        "ASCII look-alikes, one or two steps (rn/m, vv/w, cl/d, 0/o, 1/l, i/l, oo/00)",
        "paypal.com -> paypai.com",
    ),
    (
        Technique.IDN_HOMOGLYPH,
        "a letter swapped for a Unicode confusable (UTS #39), or two for a ligature",
        "apple.com -> аpple.com",
    ),
    (
        Technique.WHOLE_SCRIPT,
        "every letter swapped for a look-alike of one other script",
        "apple.com -> аррӏе.com",
    ),
    (Technique.DIACRITIC, "a letter given a mark (one or two letters, any two)", "army.mil -> armý.mil"),
    (Technique.PLURAL, "a word made plural or singular", "kestrelsystems.com -> kestrelsystem.com"),
    (Technique.SOUNDALIKE, "a spelling that sounds the same", "youtube.com -> yewtube.com"),
    (
        Technique.KEYWORD,
        "a keyword before or after the name",
        "paypal.com -> paypal-login.com",
    ),
    (
        Technique.WORD_SWAP,
        "the name's words in another order, or the name turned around",
        "joebrand.com -> brandjoe.com",
    ),
    (
        Technique.COUNTRY_CODE,
        "a country or region code or name joined to the name, also under that country's TLD",
        "paypal.com -> paypal-uk.com",
    ),
    (
        Technique.COMBINING_MARK,
        "a combining mark added after a letter (a dot or line below it ...)",
        "army.mil -> army\u0332.mil",
    ),
)

TECHNIQUES: Mapping[Technique, TechniqueInfo] = {t: TechniqueInfo(t, d, e) for t, d, e in _INFO}
"""Every technique, label edits first, then suffix and dot slips, glyphs, words."""


@dataclass(frozen=True, slots=True)
class _Context:
    name: Name
    brand: str
    """The main label in Unicode (ASCII unless the protected name is an IDN)."""
    kb: Keyboard
    keywords: tuple[tuple[str, float], ...]
    """(keyword, weight): the built-in ones with theirs, the user's others at ``rank.KEYWORD_USER``."""
    enabled: frozenset[Technique]
    boundaries: frozenset[int] = field(default_factory=frozenset)


LabelTechnique = Callable[[str, _Context], Iterable[Variant]]
SuffixTechnique = Callable[[Name, _Context], Iterable[Slip]]

LABEL_TECHNIQUES: tuple[tuple[Technique, LabelTechnique], ...] = (
    (Technique.OMISSION, lambda label, ctx: edits.omission(label)),
    (Technique.INSERTION, lambda label, ctx: edits.insertion(label, ctx.kb)),
    (Technique.REPLACEMENT, lambda label, ctx: edits.replacement(label, ctx.kb)),
    (Technique.TRANSPOSITION, lambda label, ctx: edits.transposition(label)),
    (Technique.REPETITION, lambda label, ctx: edits.repetition(label)),
    (Technique.ADDITION, lambda label, ctx: edits.addition(label)),
    (Technique.BITFLIP, lambda label, ctx: edits.bitflip(label)),
    (Technique.VOWEL_SWAP, lambda label, ctx: edits.vowel_swap(label)),
    (Technique.HYPHENATION, lambda label, ctx: edits.hyphenation(label, ctx.boundaries)),
    (Technique.HYPHEN_REMOVAL, lambda label, ctx: edits.hyphen_removal(label)),
    (Technique.DOUBLE_SLIP, lambda label, ctx: edits.double_slip(label)),
    (Technique.HOMOGLYPH, lambda label, ctx: glyphs.homoglyph(label)),
    (Technique.IDN_HOMOGLYPH, lambda label, ctx: glyphs.idn_homoglyph(label)),
    (Technique.WHOLE_SCRIPT, lambda label, ctx: glyphs.whole_script(label)),
    (Technique.DIACRITIC, lambda label, ctx: glyphs.diacritic(label)),
    (Technique.PLURAL, lambda label, ctx: words.plural(label)),
    (Technique.SOUNDALIKE, lambda label, ctx: words.soundalike(label)),
    (Technique.KEYWORD, lambda label, ctx: words.keyword(label, ctx.keywords)),
    (Technique.WORD_SWAP, lambda label, ctx: words.word_swap(label)),
    (Technique.COUNTRY_CODE, lambda label, ctx: words.country(label)),
    (Technique.COMBINING_MARK, lambda label, ctx: glyphs.combining_mark(label)),
)
"""Techniques that change the main label."""

SUFFIX_TECHNIQUES: tuple[tuple[Technique, SuffixTechnique], ...] = (
    (Technique.TLD_TYPO, lambda name, ctx: suffixes.tld_typo(name, ctx.kb)),
    (Technique.TLD_SWAP, lambda name, ctx: suffixes.tld_swap(name, ctx.kb)),
    (Technique.WRONG_SLD, lambda name, ctx: suffixes.wrong_sld(name)),
    (Technique.TLD_APPEND, lambda name, ctx: suffixes.tld_append(name, ctx.kb)),
)
"""Techniques that change only what follows the main label (the suffix, or a TLD appended to it:
``facebook.com.co``): these combine with label changes at depth 2 (``fcebook.com.co``)."""

DOT_TECHNIQUES: tuple[tuple[Technique, SuffixTechnique], ...] = (
    (Technique.DOT_MOVED, lambda name, ctx: suffixes.dot_moved(name)),
    (Technique.DOT_DROPPED, lambda name, ctx: suffixes.dot_dropped(name)),
    (Technique.DOT_INSERTED, lambda name, ctx: suffixes.dot_inserted(name)),
    (Technique.DOT_HYPHEN, lambda name, ctx: suffixes.dot_hyphen(name)),
    (Technique.TLD_FUSION, lambda name, ctx: suffixes.tld_fusion(name)),
    (Technique.COUNTRY_CODE, lambda name, ctx: suffixes.country_tld(name, words.countries())),
)
"""Techniques that restructure the whole name."""

WORD_BITS = mask_of((Technique.KEYWORD, Technique.COUNTRY_CODE))
"""Labels that carry a word already (``paypal-login``, ``ebayuk``): depth 2 adds a second keyword."""

SECOND_EDITS: tuple[tuple[Technique, LabelTechnique], ...] = tuple(
    (t, fn)
    for t, fn in LABEL_TECHNIQUES
    if t
    in (
        Technique.OMISSION,
        Technique.INSERTION,
        Technique.REPLACEMENT,
        Technique.TRANSPOSITION,
        Technique.REPETITION,
        Technique.VOWEL_SWAP,
        Technique.DOUBLE_SLIP,
        Technique.HOMOGLYPH,
    )
)
"""Label edits applied a second time at depth 2 (cheap, ASCII, the likeliest slips)."""


def technique_names() -> list[str]:
    """Every technique's public name, in ``TECHNIQUES`` order."""
    return [t.value for t in TECHNIQUES]


def keyboard_names() -> list[str]:
    """The keyboard layouts ``GenerateOptions.keyboards`` accepts."""
    return layout_names()


def parse_techniques(values: Iterable[str]) -> frozenset[Technique] | None:
    """``--technique`` values as techniques (None when none given). Raises ``LookalikeError``."""
    chosen: set[Technique] = set()
    for value in values:
        try:
            chosen.add(Technique(value.strip().lower()))
        except ValueError:
            raise LookalikeError(
                f"unknown technique {value!r}; choose from {', '.join(technique_names())}"
            ) from None
    return frozenset(chosen) if chosen else None


def load_keywords(path: Path) -> tuple[str, ...]:
    """Keywords from a file: one per line, ``#`` comments. Raises ``LookalikeError`` when the file is
    unreadable, empty, too long, or holds something that cannot be part of a host name."""
    text = read_text(path, KEYWORDS_FILE_LIMIT)
    found: dict[str, None] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        word = raw.split("#", 1)[0].strip().lower()
        if not word:
            continue
        if (
            not set(edits.LDH).issuperset(word)
            or word.startswith("-")
            or word.endswith("-")
            or len(word) > 60
        ):
            raise LookalikeError(
                f"{path}:{number}: {word[:40]!r} is not a keyword: use letters, digits and inner hyphens"
            )
        found[word] = None
    if not found:
        raise LookalikeError(f"{path} holds no keywords")
    if len(found) > MAX_KEYWORDS:
        raise LookalikeError(f"{path} holds {len(found):,} keywords; at most {MAX_KEYWORDS:,} are allowed")
    return tuple(found)


def check_options(options: GenerateOptions) -> None:
    """Raise ``LookalikeError`` when ``options`` cannot be used (depth, limit, budget, keyboards)."""
    keyboard(tuple(options.keyboards))
    if options.depth not in (1, 2):
        raise LookalikeError(f"depth must be 1 or 2, not {options.depth}")
    if options.limit is not None and options.limit < 1:
        raise LookalikeError(f"limit must be at least 1, not {options.limit}")
    if options.combo_budget < 0:
        raise LookalikeError(f"the combination budget must not be negative, not {options.combo_budget}")


def _bit(technique: Technique) -> int:
    return mask_of((technique,))


def generate(name: Name, options: GenerateOptions = GenerateOptions()) -> list[Candidate]:
    """Every lookalike of ``name``: deduplicated, deterministic, most plausible first (then by name).

    Raises ``LookalikeError`` for invalid options (depth, limit, keyboard).
    """
    check_options(options)
    return _generate(name, options)


def _generate(name: Name, options: GenerateOptions) -> list[Candidate]:
    enabled = frozenset(Technique) if options.techniques is None else options.techniques
    kb = keyboard(tuple(options.keyboards))
    left, _suffix_labels = suffixes.split(name)
    unicode_labels = name.unicode.split(".")
    if len(unicode_labels) != len(name.labels):  # a Unicode dot look-alike cannot survive parse; be safe
        unicode_labels = list(name.labels)
    brand = unicode_labels[len(left) - 1]
    ctx = _Context(
        name=name,
        brand=brand,
        kb=kb,
        keywords=tuple(
            {**dict.fromkeys(options.keywords, rank.KEYWORD_USER), **words.keyword_weights()}.items()
        ),
        enabled=enabled,
        boundaries=words.boundaries(brand) if brand.isascii() else frozenset(),
    )
    pool = Pool(name)
    head = "".join(label + "." for label in left[:-1])
    unicode_head = "".join(label + "." for label in unicode_labels[: len(left) - 1])
    suffix = name.suffix
    below = rank.SUBDOMAIN_LABEL if head else 1.0

    # Every valid changed main label -> (best plausibility, techniques, A-label), for depth 2.
    label_variants: dict[str, tuple[float, int, str]] = {}
    combine = options.depth == 2 and options.combo_budget > 0

    def add_label(
        text: str,
        plausibility: float,
        mask: int,
        ascii_label: str = "",
        scripts: frozenset[str] | None = None,
    ) -> None:
        if text == brand:
            return
        added = pool.add_label(
            head,
            text,
            suffix,
            plausibility,
            mask,
            unicode_head=unicode_head,
            ascii_label=ascii_label,
            scripts=scripts,
        )
        if combine and added is not None and not pool.problem(added):
            old = label_variants.get(text)
            if old is None or plausibility > old[0]:
                a_label = added[len(head) : -len(suffix) - 1]
                label_variants[text] = (plausibility, mask | (old[1] if old else 0), a_label)

    for technique, produce in LABEL_TECHNIQUES:
        if technique in enabled:
            weight, bit = rank.WEIGHTS[technique] * below, _bit(technique)
            for text, factor in produce(brand, ctx):
                add_label(text, weight * factor, bit)
    if enabled & {Technique.DIACRITIC, Technique.IDN_HOMOGLYPH}:
        tagged: dict[tuple[Technique, ...], tuple[float, int]] = {}
        for text, ascii_label, factor, techniques in glyphs.pairs(brand, enabled):
            if techniques not in tagged:
                tagged[techniques] = (min(rank.WEIGHTS[t] for t in techniques) * below, mask_of(techniques))
            weight, mask = tagged[techniques]
            add_label(text, weight * factor, mask, ascii_label, glyphs.LATIN if ascii_label else None)

    suffix_variants: dict[str, tuple[float, int]] = {}
    left_prefix = ".".join(left) + "."
    for technique, restructure in SUFFIX_TECHNIQUES:
        if technique in enabled:
            weight, bit = rank.WEIGHTS[technique], _bit(technique)
            for domain, factor in restructure(name, ctx):
                p = weight * factor
                if pool.add_domain(domain, p, bit) is not None and combine and domain.startswith(left_prefix):
                    new_suffix = domain[len(left_prefix) :]
                    old = suffix_variants.get(new_suffix)
                    if old is None or p > old[0]:
                        suffix_variants[new_suffix] = (p, bit | (old[1] if old else 0))
    for technique, restructure in DOT_TECHNIQUES:
        if technique in enabled:
            weight, bit = rank.WEIGHTS[technique], _bit(technique)
            for domain, factor in restructure(name, ctx):
                if domain.isascii():
                    pool.add_domain(domain, weight * factor, bit)
                elif encoded := _encode(domain):
                    pool.add_domain(encoded, weight * factor, bit, shown=domain)

    if combine:
        _depth_two(
            pool=pool,
            ctx=ctx,
            budget=options.combo_budget,
            head=head,
            unicode_head=unicode_head,
            label_variants=label_variants,
            suffix_variants=suffix_variants,
        )
    return pool.candidates(options.limit)


def _encode(domain: str) -> str:
    """The ASCII form of a domain with Unicode labels (a dot slip of an IDN name), or ``""``."""
    out = []
    for label in domain.split("."):
        encoded = label if label.isascii() else glyphs.alabel(label)[0]
        if not encoded:
            return ""
        out.append(encoded)
    return ".".join(out)


def _depth_two(
    *,
    pool: Pool,
    ctx: _Context,
    budget: int,
    head: str,
    unicode_head: str,
    label_variants: Mapping[str, tuple[float, int, str]],
    suffix_variants: Mapping[str, tuple[float, int]],
) -> None:
    """Add up to ``budget`` new names made by two techniques.

    Half the budget goes to a changed label with a changed suffix, a fifth to a second word on a label
    that has one, the rest to two label edits; a share one kind cannot fill goes to the others. Each
    kind is taken most plausible first.
    """

    def add(p: float, label: str, ascii_label: str, new_suffix: str, mask: int) -> bool:
        if f"{head}{ascii_label}.{new_suffix}" in pool:
            return False  # depth 1 made it: it keeps its simpler explanation
        idn = "" if label.isascii() else ascii_label
        return (
            pool.add_label(head, label, new_suffix, p, mask, unicode_head=unicode_head, ascii_label=idn)
            is not None
        )

    suffix = ctx.name.suffix
    pairs = combos.label_and_suffix(label_variants, suffix_variants)
    worded = {
        text: v
        for text, v in label_variants.items()
        if v[1] & WORD_BITS and text.isascii() and Technique.KEYWORD in ctx.enabled
    }
    forms = sorted(
        ((rank.WEIGHTS[Technique.KEYWORD] * f, form) for f, form in words.keyword_forms(ctx.keywords)),
        key=lambda item: (-item[0], item[1]),
    )
    second_words = combos.word_twice(worded, forms, _bit(Technique.KEYWORD))

    def take_pairs(limit: int) -> int:
        count = 0
        while count < limit:
            item = next(pairs, None)
            if item is None:
                break
            if add(*item):
                count += 1
        return count

    def take_words(limit: int) -> int:
        count = 0
        while count < limit:
            item = next(second_words, None)
            if item is None:
                break
            p, label, mask = item
            if add(p, label, label, suffix, mask):
                count += 1
        return count

    added = take_pairs(budget // 2)
    added += take_words(budget // 5)
    second = [(t, fn, _bit(t)) for t, fn in SECOND_EDITS if t in ctx.enabled]

    def second_edits(label: str) -> Iterator[tuple[Variant, int]]:
        if not label.isascii():
            return
        for technique, produce, bit in second:
            weight = rank.WEIGHTS[technique]
            for text, factor in produce(label, ctx):
                if text != ctx.brand:
                    yield (text, weight * factor), bit

    for p, label, mask in combos.label_twice(label_variants, second_edits, budget - added):
        if added >= budget:
            break
        if add(p, label, label, suffix, mask):
            added += 1
    added += take_pairs(budget - added)
    take_words(budget - added)


def generate_many(names: Sequence[Name], options: GenerateOptions = GenerateOptions()) -> Iterator[Candidate]:
    """Each protected name's ranked candidates in turn, without any that is itself protected."""
    protected = {name.ascii for name in names}
    # Ask for a few more, so a limit still gives N names once the protected ones are dropped.
    wider = replace(options, limit=options.limit + len(protected)) if options.limit is not None else options
    for name in names:
        kept = [c for c in generate(name, wider) if c.domain not in protected]
        yield from kept[: options.limit] if options.limit is not None else kept
