"""Plausibility: how likely a person or a keyboard makes a slip, as a number from 0 to 1.

Pure. Every weight of the model is in the tables at the top of this module, so the model can be
reviewed (and argued with) in one place; ``docs/generate.md`` explains it. Technique functions call
the small helpers below for the part of the score that depends on the slip itself (where it falls,
how far apart the keys are, how alike the glyphs look); the generator multiplies that by the
technique's base weight, and by ``UNREGISTRABLE`` when an IDN candidate cannot be registered.

The model, in one line::

    plausibility = WEIGHTS[technique] * slip factor (position, keys, glyphs, TLD) * registrability

Combinations of two techniques (depth 2) multiply both candidates' plausibility.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache

from lookalike.model import Technique
from lookalike.permute import tables

WEIGHTS: Mapping[Technique, float] = {
    # A label edit at the best place for it, with neighbouring keys.
    Technique.OMISSION: 0.8,  # a key not pressed hard enough: the most common typing slip
    Technique.TRANSPOSITION: 0.75,  # two keys pressed out of order
    Technique.REPETITION: 0.7,  # a key bounced
    Technique.DOUBLE_SLIP: 0.7,  # the doubling lands on the wrong letter: aplle for apple
    Technique.REPLACEMENT: 0.7,  # the neighbouring key hit instead
    Technique.INSERTION: 0.65,  # the neighbouring key hit as well
    Technique.HYPHEN_REMOVAL: 0.7,  # people drop hyphens they do not hear
    Technique.VOWEL_SWAP: 0.5,  # a spelling slip, not a typing one
    Technique.HYPHENATION: 0.45,
    Technique.ADDITION: 0.4,  # a character added at the end of a word
    Technique.BITFLIP: 0.25,  # a bit flipped in memory or on the wire: rare, but no person is needed
    # Suffix and dot slips.
    Technique.TLD_TYPO: 0.9,  # .mil -> .ml: one key of a two or three letter word; eyes skip it
    Technique.WRONG_SLD: 0.7,  # co.uk -> org.uk
    Technique.DOT_DROPPED: 0.75,  # ausintel.com for aus.intel.com
    Technique.DOT_HYPHEN: 0.6,  # us-army.mil
    Technique.DOT_MOVED: 0.55,  # amazonc.om
    Technique.TLD_SWAP: 0.6,  # times rank.tld_confusability
    Technique.TLD_FUSION: 0.45,  # armymil.com
    Technique.TLD_APPEND: 0.4,  # army.mil.ml
    Technique.DOT_INSERTED: 0.35,  # exam.ple.com
    # Glyphs: times how alike the glyphs look.
    Technique.WHOLE_SCRIPT: 0.9,  # every letter swapped for an identical one of another script
    Technique.IDN_HOMOGLYPH: 0.85,
    Technique.HOMOGLYPH: 0.85,
    Technique.DIACRITIC: 0.7,
    # Words.
    Technique.PLURAL: 0.7,
    Technique.SOUNDALIKE: 0.55,
    Technique.KEYWORD: 0.5,
    Technique.WORD_SWAP: 0.35,
}
"""Base weight of each technique: its best case."""

POSITION_FIRST = 0.6
"""A slip in the first character is the one a reader notices most."""
POSITION_LAST = 0.85
"""A slip in the last character of a label is noticed less than the first, more than the middle."""

KEY_ADJACENT = 1.0
"""Keys side by side in a row (distance 1)."""
KEY_DIAGONAL = 0.85
"""Keys in the row above or below (distance up to 1.3)."""
KEY_FAR = 0.3
"""Any other key: possible, rarely a slip of the finger."""

SUBDOMAIN_LABEL = 0.8
"""A slip kept below a subdomain the protected name has (us.arny.mil): the label that matters most
is the one left of the suffix, and a subdomain is one more thing the reader may check."""

UNREGISTRABLE = 0.1
"""An IDN candidate no registry would accept is still listed, far down."""

TLD_SIMILARITY = 0.45
TLD_POPULARITY = 0.4
TLD_FLOOR = 0.15
"""tld_confusability = FLOOR + SIMILARITY * (1 - edit distance / length) + POPULARITY * popularity."""

IDN_TLD = 0.5
"""A swap to an IDN TLD (.рф) needs a keyboard for that script: halve it."""

GLYPH_SCRIPT: Mapping[str, float] = {
    "Latin": 0.8,
    "Cyrillic": 0.95,
    "Greek": 0.85,
    "Armenian": 0.75,
}
"""How alike a UTS #39 confusable looks, by its script; scripts missing here get GLYPH_OTHER_SCRIPT.
Cyrillic а е о р с у х і ј ѕ ԁ ԛ ԝ ӏ are drawn from the same outlines as Latin in most fonts."""
GLYPH_OTHER_SCRIPT = 0.6
GLYPH_LOWERCASED = 0.6
"""Factor for the lower case of a confusable capital (Ӏ -> ӏ): often, not always, just as alike."""
GLYPH_FOR_DIGIT = 0.8
"""Factor for a Unicode look-alike of a digit: digits are rare in names and draw the eye."""

MARKS: tuple[tuple[str, float], ...] = (
    # Marks below hide under the underline of a link, and at small sizes.
    (" AND ", 0.3),  # two marks: noticed
    ("BELOW", 0.75),
    ("CEDILLA", 0.75),
    ("OGONEK", 0.75),
    ("DOTLESS", 0.7),
    ("DOT ABOVE", 0.65),
    ("ACUTE", 0.6),
    ("GRAVE", 0.6),
    ("SMALL CAPITAL", 0.55),
    ("DIAERESIS", 0.55),
    ("CIRCUMFLEX", 0.55),
    ("TILDE", 0.55),
    ("CARON", 0.55),
    ("BREVE", 0.55),
    ("MACRON", 0.55),
    ("RING", 0.5),
    ("HOOK ABOVE", 0.5),
)
"""How alike a Latin letter with a mark looks to the bare letter, by the first phrase its name's mark
contains; any other mark (stroke, hook, tail, loop ...) gets MARK_OTHER."""
MARK_OTHER = 0.45

DOUBLE_GLYPH_MIN = 0.35
"""Two glyph substitutions in one label use only Latin glyphs at least this alike: every Latin letter
with one mark, not those with two (a letter carrying two marks is noticed)."""
GLYPH_PAIR_BUDGET = 40_000
"""Two-glyph substitutions per label, at most (about): a 13-letter label makes some 25,000 with
every glyph; a 30-letter one would make over 100,000, so long labels pair only each letter's most
alike glyphs, as many per letter as fit."""
DOUBLE_GLYPH_AGE = 6.0
"""... and only letters Unicode has had since 6.0 (2010): newer ones render as boxes in many fonts,
which no reader takes for a letter. (Single substitutions use them all: an analyst may want them.)"""

TYPO_KIND: Mapping[str, float] = {
    "omission": 1.0,
    "transposition": 0.9,
    "replacement": 0.85,
    "insertion": 0.8,
    "repetition": 0.8,
    "addition": 0.6,
}
"""TLD typos: how likely each kind of slip is on a two or three letter word (times the key factor)."""

WORD_BOUNDARY = 1.0
WORD_INSIDE = 0.5
"""A plural, keyword or sound-alike at a word boundary reads naturally; inside a word it does not."""


def at(index: int, length: int) -> float:
    """Position factor of a slip at ``index`` in a label of ``length`` characters."""
    if index <= 0:
        return POSITION_FIRST
    if index >= length - 1:
        return POSITION_LAST
    return 1.0


def key(distance: float) -> float:
    """Keyboard factor for two keys ``distance`` key widths apart."""
    if distance <= 1.0:
        return KEY_ADJACENT
    if distance <= 1.3:
        return KEY_DIAGONAL
    return KEY_FAR


def mark(mark_name: str) -> float:
    """Visual factor of a Latin letter carrying ``mark_name`` (from latin-variants.tsv)."""
    for phrase, weight in MARKS:
        if phrase in mark_name:
            return weight
    return MARK_OTHER


def confusable(script: str, lowercased: bool, for_digit: bool) -> float:
    """Visual factor of a UTS #39 confusable of ``script``."""
    weight = GLYPH_SCRIPT.get(script, GLYPH_OTHER_SCRIPT)
    if lowercased:
        weight *= GLYPH_LOWERCASED
    if for_digit:
        weight *= GLYPH_FOR_DIGIT
    return weight


@cache
def popularity() -> Mapping[str, float]:
    """TLD -> how strongly people are drawn to it (data/tld-popularity.tsv)."""
    return {row[0]: float(row[1]) for row in tables.rows("tld-popularity.tsv")}


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): transpositions count one."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


@lru_cache(maxsize=16384)
def tld_confusability(original: str, other: str) -> float:
    """How readily ``other`` is taken for (or typed instead of) the TLD ``original``, 0..1."""
    length = max(len(original), len(other))
    similarity = max(0.0, 1.0 - edit_distance(original, other) / length)
    score = TLD_FLOOR + TLD_SIMILARITY * similarity + TLD_POPULARITY * popularity().get(other, 0.0)
    if other.startswith("xn--"):
        score *= IDN_TLD
    return min(1.0, score)


def combine(first: float, second: float) -> float:
    """Plausibility of two slips together (depth 2): both must happen."""
    return first * second
