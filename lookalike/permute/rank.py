"""Plausibility: how likely a person or a keyboard makes a slip, as a number from 0 to 1.

Pure. Every weight of the model is in the tables at the top of this module, so the model can be
reviewed (and argued with) in one place; ``docs/generate.md`` explains it. Technique functions call
the small helpers below for the part of the score that depends on the slip itself (where it falls,
how far apart the keys are, how alike the glyphs look); the generator multiplies that by the
technique's base weight, and by ``UNREGISTRABLE`` when an IDN candidate cannot be registered.

The model, in one line::

    plausibility = WEIGHTS[technique] * slip factor (position, keys, glyphs, TLD) * registrability
                   * restriction (RESTRICTED for a name only a closed community can register)

The weights come from published measurements and are checked against documented real lookalikes:
``python -m bench.calibrate`` prints the fit (docs/generate.md has the figures and the sources).

Combinations of two techniques (depth 2) multiply both candidates' plausibility.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache

from lookalike.model import Technique
from lookalike.permute import tables

WEIGHTS: Mapping[Technique, float] = {
    # Sources, cited below by name: FairWinds Partners 2008 (3,000 most visited typo domains: an
    # extra letter 29%, a wrong letter 23%, a missing letter 20%), Wang et al. 2006 and the Godai
    # Group 2011 (missing dots), Endgame 2016 (.om, brandc.om), Dinaburg 2011 and Nikiforakis et al.
    # 2013 (bit flips), Akamai 2023 and Kintis et al. 2017 (keywords), Le Pochat et al. 2019 (other
    # layouts), and the 97 documented lookalikes of tests/data/lookalikes/ ("the set"). A weight is
    # how likely one name of the class is: a class with many names per letter shares its frequency.
    #
    # Label edits at the best place for them, with neighbouring keys.
    Technique.OMISSION: 0.85,  # FairWinds 20%, n names; the set: 6 (appl, twitte, microsof ...)
    Technique.REPETITION: 0.85,  # n names; the set: 9 (aamazon, faceboook, llinkedin ...)
    Technique.TRANSPOSITION: 0.8,  # n-1 names; the set: 9 (afcebook, netfilx, eriscson ...)
    Technique.DOUBLE_SLIP: 0.4,  # none in the set (was 0.7)
    Technique.REPLACEMENT: 0.75,  # FairWinds 23% over ~6 keys a letter; the set: 9 (was 0.7)
    Technique.INSERTION: 0.45,  # FairWinds 29% over ~12 keys a letter; the set: 3 (was 0.65)
    Technique.HYPHEN_REMOVAL: 0.8,  # one or two names; the set: ccom.com (was 0.7)
    Technique.VOWEL_SWAP: 0.35,  # a spelling slip; none in the set (was 0.5)
    Technique.HYPHENATION: 0.5,  # FairWinds' "extra character" (biz-rate.com) (was 0.45)
    Technique.ADDITION: 0.4,  # 36 names at the end; the set: paypalx.com
    Technique.BITFLIP: 0.55,  # ~7 names a letter; the set: 5 (netfdix, netfli8, mic2osoft ...) (was 0.25)
    # Suffix and dot slips.
    Technique.TLD_TYPO: 0.9,  # a few names; Endgame's .om; the set: netflix.om, amazon.om, yelp.om
    Technique.WRONG_SLD: 0.7,  # co.uk -> org.uk
    Technique.DOT_DROPPED: 0.85,  # Wang 2006, Godai 2011; the set: 7 (ausintel, wwwge ...) (was 0.75)
    Technique.DOT_HYPHEN: 0.6,  # us-army.mil
    Technique.DOT_MOVED: 0.6,  # Endgame's brandc.om; the set: facebookc.om (was 0.55)
    Technique.TLD_SWAP: 0.9,  # times rank.tld_confusability: how strongly the TLD pulls (was 0.6)
    Technique.TLD_FUSION: 0.3,  # none in the set (was 0.45)
    Technique.TLD_APPEND: 0.45,  # the set: facebook.com.co (was 0.4)
    Technique.DOT_INSERTED: 0.2,  # needs the attacker to hold the tail's domain; none in the set (was 0.35)
    # Glyphs: times how alike the glyphs look.
    Technique.WHOLE_SCRIPT: 0.9,  # аррӏе.com (Zheng 2017)
    Technique.IDN_HOMOGLYPH: 0.5,  # mostly mixed-script and so unregistrable; small capitals (was 0.85)
    Technique.HOMOGLYPH: 0.9,  # few names; the set: 6 (mediurn, paypa1, tvvitter ...) (was 0.85)
    Technique.DIACRITIC: 0.65,  # ~20 names a letter; the set: 4 (amäzon, amazøn, googĺe, gȯogle) (was 0.7)
    Technique.COMBINING_MARK: 0.15,  # ~200 names a letter, registries rarely accept them; none in the set
    # Words.
    Technique.PLURAL: 0.7,  # the set: airfrances.com
    Technique.SOUNDALIKE: 0.35,  # none in the set (was 0.55)
    Technique.KEYWORD: 0.5,  # times the keyword's weight; Kintis 2017, Akamai 2023, the decisions (was 0.35)
    Technique.WORD_SWAP: 0.25,  # none in the set (was 0.35)
    Technique.COUNTRY_CODE: 0.25,  # ~270 codes and names x 4 forms; the set: amazon-argentina ...
}
"""Base weight of each technique: its best case."""

POSITION_FIRST = 1.0
POSITION_LAST = 1.0
"""Where in the label the slip falls. A slip in the first letter is the one a reader notices most,
but squatters register it as readily as any other (afcebook.com, ayhoo.com, ffacebook.com,
foogle.com, llinkedin.com in tests/data/lookalikes/), and the last letter as often (appl.com,
googld.com, microsofr.com, twitte.com): of the 43 documented keyboard and spelling slips there, 8
change the first letter and 7 the last, more per place than the middle. So no place is discounted;
the factors stay here to be tuned when evidence says otherwise."""

KEY_ADJACENT = 1.0
"""Keys side by side in a row (distance 1)."""
KEY_DIAGONAL = 0.95
"""Keys in the row above or below (distance up to 1.3): as often as side by side in the documented
replacements (tests/data/lookalikes/: amqzon, amazln, googld, facebkok vs myspsce, microsofr,
wellsfaego, foogle, facebiok)."""
KEY_FAR = 0.3
"""Any other key: possible, rarely a slip of the finger."""
OTHER_LAYOUT = 0.4
"""A neighbour only on a keyboard layout the user did not choose (AZERTY's 1 above a, for a QWERTY
organisation): the slip of a reader elsewhere, listed below those of the chosen layouts."""

HYPHEN_DOUBLED = 0.15
"""A hyphen typed twice (``t--mobile``): seen in generators' output, rarely in registrations."""

SUBDOMAIN_LABEL = 0.8
"""A slip kept below a subdomain the protected name has (us.arny.mil): the label that matters most
is the one left of the suffix, and a subdomain is one more thing the reader may check."""

UNREGISTRABLE = 0.1
RESTRICTED = 0.05
"""A name under a restricted suffix (.mil, .gov, .edu, .int, a brand TLD: ``data/tld-policy.toml``)
that only the suffix's own community can register: listed, with the reason, below the names a third
party can hold (``army.mil`` -> ``amy.mil``)."""
"""An IDN candidate no registry would accept is still listed, far down."""

TLD_SIMILARITY = 0.25
TLD_POPULARITY = 0.6
TLD_FLOOR = 0.05
"""tld_confusability = FLOOR + SIMILARITY * (1 - edit distance / length) + POPULARITY * popularity.

A swap keeps the whole name, so what decides how likely it is registered is how strongly the other
TLD pulls (``tld-popularity.tsv``), not how it is spelt: a TLD one slip away is a ``tld-typo``
already, and every other TLD is two or three edits from a three-letter one. The evidence: of typo
registrations FairWinds (2008) found .com 70%, .net 13%, .org 9%; UDRP panels order whole names
transferred from popular TLDs (credit-agricole.info, bitmex.plus, .city, .digital; paypal.zip);
Interisle and Spamhaus list the new gTLDs phishers register most. So for a .com name brand.net and
brand.org (0.48) rank with the adjacent-key insertions, .top (0.36), .info and .xyz (0.32) with the
diacritics, a TLD nobody favours (.museum: 0.08) at the bottom. (Was 0.15 + 0.45 x similarity + 0.4 x
popularity, times 0.6: .net 0.37, .org 0.28, .info 0.21.)"""

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
GLYPH_SECOND = 0.6
"""A second glyph step in the same label (``paypa1`` is one, ``pаypa1`` two): every documented glyph
lookalike in tests/data/lookalikes/ but the all-Cyrillic one changes one letter, so two steps rank
below one step of the same look."""
LETTER_RARE = 0.7
"""A Latin letter outside Latin-1 Supplement and Latin Extended-A (U+00C0-U+017F): those are the
accented letters European keyboards type (ä, ø, é, ł, ő) and the ones lookalikes use (amäzon.com,
amazøn.com, googĺe.com); the rest (ạ, ḁ, ȯ) come only from a character table."""

GLYPH_RUN = 0.9
"""A doubled letter swapped for a look-alike twice in one step (``oo`` -> ``00``): times the glyph's
similarity once, a little less than one letter (two changed letters are a little easier to see)."""
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

FUSED = 0.9
"""A keyword, country or TLD joined without a hyphen (``paypallogin``): a little less readable."""
KEYWORD_OTHER = 0.5
"""A built-in keyword's weight when keywords.txt gives none."""
KEYWORD_USER = 1.0
"""The user's own keywords (``--keywords``) that are not built in: chosen for this organisation, so at
full weight (a built-in one keeps its measured weight)."""
COUNTRY_NAME = 1.0
"""A country's name rather than its code (``amazon-australia``): as common (the documented ones in
tests/data/lookalikes/ are all names)."""
COUNTRY_BEFORE = 0.7
"""A country before the name (``uk-paypal``) rather than after it (``paypal-uk``, the documented form)."""
WWW_DROPPED = 1.0
"""The dot after a typed ``www`` left out (``wwwexample.com``), times the dot-dropped weight."""
ROTATION = 0.3
"""A label turned around at a place that is not a known word boundary (``joebrand`` -> ``ebrandjo``)."""

WORD_BOUNDARY = 1.0
WORD_INSIDE = 0.5
"""A plural, keyword or sound-alike at a word boundary reads naturally; inside a word it does not."""


def letter(ch: str) -> float:
    """How common a look-alike letter is on keyboards: 1, or ``LETTER_RARE`` (ASCII counts as common)."""
    return 1.0 if ch < "\u0180" else LETTER_RARE


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
