"""Explanations: how ``generate`` makes a name an index found, as a chain of the slips it makes.

The matcher never scores a name itself. A name ``generate`` lists for a protected domain gets
``generate``'s own techniques and plausibility; any other name is explained as a chain of slips that
``generate`` makes one at a time (a label edit, then a suffix swap; two glyphs; a keyword on each side),
each step looked up in ``generate``'s output for the protected domain, and the plausibilities multiply
(``rank.combine``), as ``generate --depth 2`` does for two. A name no such chain explains is no match.

``generate`` is asked lazily, per protected domain and family of techniques, and its answers are kept
in a small LRU: the big families (Unicode glyphs, every TLD, keywords) are generated only for the
protected domains an index points at.

Pure (``generate`` reads only the package's tables). Must not: hold its own weights or technique rules.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache, reduce

from lookalike import names, permute
from lookalike.errors import LookalikeError
from lookalike.match.result import Step
from lookalike.match.skeleton import skeleton
from lookalike.model import Candidate, Technique
from lookalike.names import Name
from lookalike.permute import GenerateOptions, glyphs, rank
from lookalike.permute.pool import mask_of, techniques_of

UNICODE_GLYPHS = frozenset(
    {
        Technique.IDN_HOMOGLYPH,
        Technique.WHOLE_SCRIPT,
        Technique.DIACRITIC,
        Technique.HOMOGLYPH,
        Technique.COMBINING_MARK,
    }
)
"""Generated lazily: tens of thousands of IDN names per domain. (HOMOGLYPH is in the eager set too; here
it lets ``generate`` make its mixed pairs, ``0nlíne``.)"""
LAZY = frozenset({Technique.IDN_HOMOGLYPH, Technique.WHOLE_SCRIPT, Technique.DIACRITIC})
LAZY |= {Technique.TLD_SWAP, Technique.KEYWORD, Technique.COUNTRY_CODE, Technique.COMBINING_MARK}
"""Families the exact index leaves out: the glyph skeleton, the label index and the token scan find
their names instead, and this module asks ``generate`` for them when one does. Country codes (some
2,800 names a domain) and combining marks (up to 2,700) were nine tenths of the exact index: an index
of 1,000 protected names held five million names and 1.5 GB without them lazy."""
SWAPS = frozenset({Technique.TLD_SWAP, Technique.TLD_TYPO, Technique.WRONG_SLD})
DOTS = frozenset({Technique.DOT_MOVED, Technique.DOT_DROPPED, Technique.DOT_INSERTED})
FUSION = frozenset({Technique.TLD_FUSION, Technique.TLD_APPEND})
TWO_STEP_INTERMEDIATES = 8
"""Two label edits: at most this many first edits (the most plausible) are tried as the way there."""

Chain = tuple[Step, ...]
Lookup = Callable[[str], "Candidate | None"]
"""A domain -> ``generate``'s candidate of it, or None."""
SUFFIX_PROBE = "suffixprobe"
"""The label whose suffix slips stand for every label's: ``generate`` swaps a suffix the same way
whatever is in front of it (a test checks that it still does)."""
VARIANTS_CACHE = 1024
"""Protected names whose label variants (a few hundred each) are kept for the two-edit search."""


COUNTRY = frozenset({Technique.COUNTRY_CODE})


@cache
def country_words() -> frozenset[str]:
    """The country and region codes and names ``generate`` puts beside a brand (``uk``,
    ``new-zealand``; not those that are keywords too, ``my``, which are the keyword technique's): the
    words that make its lazy country family worth asking."""
    keywords = permute.words.keyword_weights()
    return frozenset(w for pair in permute.words.countries() for w in pair if w and w not in keywords)


def eager_techniques() -> frozenset[Technique]:
    """What the exact index holds: every technique ``generate`` knows but the lazy families."""
    return frozenset(permute.TECHNIQUES) - LAZY


def chain_plausibility(chain: Iterable[Step]) -> float:
    return reduce(rank.combine, (s.plausibility for s in chain), 1.0)


def chain_techniques(chain: Iterable[Step]) -> tuple[Technique, ...]:
    return techniques_of(mask_of(t for s in chain for t in s.techniques))


def one_edit(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with one character left out, added, replaced, or two neighbours swapped."""
    la, lb = len(a), len(b)
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0] if len(diff) == 2 else -1
        return i >= 0 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    if abs(la - lb) != 1:
        return False
    short, long = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


@dataclass(frozen=True, slots=True)
class Protected:
    """One protected name and what the indexes compare with: its registrable domain's label."""

    name: Name
    """As given: ``us.army.mil``."""
    apex: Name
    """Its registrable domain: ``army.mil``."""
    brand: str
    """The apex's label in Unicode: ``army``."""
    label: str
    """The apex's label in ASCII (an A-label for an IDN)."""
    suffix: str
    """The public suffix: ``mil``."""
    skeleton: str

    @classmethod
    def of(cls, name: Name) -> Protected:
        apex = name if name.apex == name.ascii else names.split(name.apex)
        label = apex.brand
        brand = names.to_unicode(label)
        return cls(name, apex, brand, label, apex.suffix, skeleton(brand))


@dataclass(frozen=True, slots=True)
class Explained:
    """A chain, and ``generate``'s candidate when it lists the whole name itself."""

    chain: Chain
    candidate: Candidate | None = None


class Explainer:
    """Asks ``generate`` how a name is made; remembers the answers of the last few families.

    ``exact`` looks a domain up in the matcher's exact index (``generate``'s eager families of each
    protected name as given), so that the commonest question costs a dict lookup."""

    def __init__(
        self,
        protected: Sequence[Protected],
        options: GenerateOptions,
        exact: Callable[[int, str], Candidate | None],
        cache_size: int = 64,
    ) -> None:
        self._protected = protected
        self._options = replace(options, techniques=None, limit=None, depth=1)
        self._exact = exact
        self._known = frozenset(permute.TECHNIQUES)
        self._cache: OrderedDict[tuple[str, str], Mapping[str, Candidate]] = OrderedDict()
        self._cache_size = cache_size
        self._variants: OrderedDict[int, tuple[tuple[str, Candidate], ...]] = OrderedDict()
        self._suffixes: dict[str, Mapping[str, Candidate]] = {}

    # -- generate, cached ----------------------------------------------------------------------------

    def _family(
        self, name: Name, kind: str, techniques: frozenset[Technique], keywords: tuple[str, ...] = ()
    ) -> Mapping[str, Candidate]:
        key = (name.ascii, kind)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        options = replace(
            self._options,
            techniques=techniques & self._known,
            keywords=(*self._options.keywords, *keywords),
        )
        found = {c.domain: c for c in permute.generate(name, options)} if options.techniques else {}
        self._cache[key] = found
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return found

    def eager(self, pid: int) -> Lookup:
        """``generate``'s eager families of the protected apex."""
        p = self._protected[pid]
        if p.apex.ascii == p.name.ascii:
            return lambda domain: self._exact(pid, domain)
        return self._family(p.apex, "eager", eager_techniques()).get

    def _swaps(self, pid: int) -> Lookup:
        """The suffix slips of the protected apex: ``generate``'s for a probe label under its suffix,
        made once per suffix."""
        p = self._protected[pid]
        family = self._suffixes.get(p.suffix)
        if family is None:
            probe = names.split(f"{SUFFIX_PROBE}.{p.suffix}")
            options = replace(self._options, techniques=SWAPS & self._known)
            family = {c.domain: c for c in permute.generate(probe, options)}
            self._suffixes[p.suffix] = family
        head = len(p.label) + 1

        def lookup(domain: str) -> Candidate | None:
            made = family.get(SUFFIX_PROBE + domain[head - 1 :]) if domain[:head] == p.label + "." else None
            if made is None:
                return None
            return replace(made, domain=domain, unicode=names.to_unicode(domain), apex=names.apex_of(domain))

        return lookup

    def _glyphs(self, pid: int) -> Lookup:
        return self._family(self._protected[pid].apex, "glyphs", UNICODE_GLYPHS).get

    def _keyword(self, pid: int, word: str) -> Mapping[str, Candidate]:
        return self._family(
            self._protected[pid].apex, f"keyword:{word}", frozenset({Technique.KEYWORD}), (word,)
        )

    def _whole(self, pid: int, kind: str, techniques: frozenset[Technique]) -> Mapping[str, Candidate]:
        """A family of the protected name as given (dot slips move the dots of its subdomains too)."""
        return self._family(self._protected[pid].name, kind, techniques)

    def _second(self, pid: int, label: str) -> Mapping[str, Candidate]:
        """The second label edits ``generate --depth 2`` makes after a first one left ``label``."""
        suffix = self._protected[pid].suffix
        try:
            name = names.split(f"{label}.{suffix}")
        except LookalikeError:
            return {}
        return self._family(name, "second", frozenset(t for t, _ in permute.SECOND_EDITS))

    def _label_variants(self, pid: int) -> tuple[tuple[str, Candidate], ...]:
        """The eager family's names that only change the label, most plausible first: (label, candidate)."""
        found = self._variants.get(pid)
        if found is None:
            p = self._protected[pid]
            tail = "." + p.suffix
            family = self._family(p.apex, "eager", eager_techniques())
            found = tuple(
                (domain[: -len(tail)], c)
                for domain, c in family.items()
                if domain.endswith(tail) and "." not in domain[: -len(tail)]
            )
            self._variants[pid] = found
            if len(self._variants) > VARIANTS_CACHE:
                self._variants.popitem(last=False)
        else:
            self._variants.move_to_end(pid)
        return found

    # -- single lookups ------------------------------------------------------------------------------

    def _made(self, families: Iterable[Lookup], domain: str) -> Candidate | None:
        """``domain`` as ``generate`` makes it: every technique of every family, the best plausibility."""
        best: Candidate | None = None
        for family in families:
            c = family(domain)
            if c is None:
                continue
            if best is None:
                best = c
            else:
                mask = mask_of((*best.techniques, *c.techniques))
                top = c if c.plausibility > best.plausibility else best
                best = replace(top, techniques=techniques_of(mask))
        return best

    def generated(self, pid: int, domain: str, unicode: bool, words: Sequence[str] = ()) -> Candidate | None:
        """``generate``'s candidate ``domain`` of the protected apex, if it makes it (lazy families too:
        the suffix swaps, the Unicode glyphs when ``unicode``, keywords ``words``)."""
        families = [self.eager(pid), self._swaps(pid)]
        if unicode:
            families.append(self._glyphs(pid))
        # A country word is generate's country family's, not a keyword it would add if given it.
        families += [self._keyword(pid, word).get for word in words if word not in country_words()]
        if any(word in country_words() for word in words):
            families.append(self._family(self._protected[pid].apex, "country", COUNTRY).get)
        return self._made(families, domain)

    def generated_whole(
        self, pid: int, domain: str, unicode: bool, words: Sequence[str] = ()
    ) -> Candidate | None:
        """``generate``'s candidate ``domain`` of the protected name as given (with its subdomain)."""
        name = self._protected[pid].name
        families: list[Lookup] = [
            self._family(name, "eager", eager_techniques()).get,
            self._family(name, "swaps", SWAPS).get,
        ]
        if unicode:
            families.append(self._family(name, "glyphs", UNICODE_GLYPHS).get)
        families += [
            self._family(name, f"keyword:{w}", frozenset({Technique.KEYWORD}), (w,)).get
            for w in words
            if w and w not in country_words()
        ]
        if any(word in country_words() for word in words):
            families.append(self._family(name, "country", COUNTRY).get)
        return self._made(families, domain)

    def swapped(self, pid: int, domain: str) -> Candidate | None:
        """``generate``'s suffix-slip candidate ``domain``, if it is one (a cheap lookup)."""
        return self._swaps(pid)(domain)

    # -- chains --------------------------------------------------------------------------------------

    def label(self, pid: int, label: str, label_u: str, *, two: bool) -> Explained | None:
        """The protected label turned into ``label`` (ASCII) / ``label_u`` (Unicode), under its own
        suffix: one generated slip, glyphs one at a time, or (``two``) two label edits."""
        p = self._protected[pid]
        if label == p.label:
            return Explained(())
        domain = f"{label}.{p.suffix}"
        alike = skeleton(label_u) == p.skeleton
        families = [self.eager(pid)]
        if alike or not label_u.isascii():
            families.append(self._glyphs(pid))
        made = self._made(families, domain)
        if made is not None:
            return Explained((Step(p.brand, label_u, made.techniques, made.plausibility),), made)
        if alike:
            chain = self._glyph_chain(pid, label_u)
            if chain is not None:
                return Explained(chain)
        if two:
            chain = self._two_edits(pid, label_u)
            if chain is not None:
                return Explained(chain)
        return None

    def _glyph_chain(self, pid: int, label_u: str) -> Chain | None:
        """One step per glyph swapped, each a single swap ``generate`` makes."""
        p = self._protected[pid]
        units = align_glyphs(p.brand, label_u)
        if units is None:
            return None
        steps = []
        for i, width, text in units:
            single = p.brand[:i] + text + p.brand[i + width :]
            a_label = single if single.isascii() else glyphs.alabel(single)[0]
            if not a_label:
                return None
            made = self._made([self.eager(pid), self._glyphs(pid)], f"{a_label}.{p.suffix}")
            if made is None:
                return None
            steps.append(Step(p.brand[i : i + width] or p.brand, text, made.techniques, made.plausibility))
        return tuple(steps)

    def _two_edits(self, pid: int, label_u: str) -> Chain | None:
        p = self._protected[pid]
        near = [(m, c) for m, c in self._label_variants(pid) if abs(len(m) - len(label_u)) <= 1]
        tried = 0
        best: Chain | None = None
        for m, first in near:
            if not one_edit(m, label_u):
                continue
            second = self._second(pid, m).get(f"{label_u}.{p.suffix}")
            if second is not None:
                chain = (
                    Step(p.brand, m, first.techniques, first.plausibility),
                    Step(m, label_u, second.techniques, second.plausibility),
                )
                if best is None or chain_plausibility(chain) > chain_plausibility(best):
                    best = chain
            tried += 1
            if tried >= TWO_STEP_INTERMEDIATES:
                break
        return best

    def suffix(self, pid: int, suffix: str) -> Chain | None:
        """The protected suffix swapped for ``suffix``. A suffix ``generate`` does not list (a second
        level under another TLD, a platform's private suffix) counts as the least plausible of the
        swap to its TLD and the least plausible swap ``generate`` makes."""
        p = self._protected[pid]
        if suffix == p.suffix:
            return ()
        families: list[Lookup] = [self.eager(pid), self._swaps(pid)]
        made = self._made(families, f"{p.label}.{suffix}")
        if made is None and "." in suffix:
            tld = suffix.rsplit(".", 1)[1]
            made = self._made(families, f"{p.label}.{tld}") if tld != p.name.tld else None
            if made is None:
                made = self._floor(p.suffix)
        if made is None:
            return None
        return (Step(p.suffix, suffix, made.techniques, made.plausibility),)

    def _floor(self, suffix: str) -> Candidate | None:
        """The least plausible TLD swap ``generate`` makes from ``suffix``."""
        swaps = [c for c in self._suffixes.get(suffix, {}).values() if c.techniques == (Technique.TLD_SWAP,)]
        return min(swaps, key=lambda c: c.plausibility, default=None)

    def words(self, pid: int, pre: str, token: str, token_u: str, post: str) -> Chain | None:
        """The protected label (or a glyph or edit slip of it, ``token``) with words around it: each
        word a keyword ``generate`` adds when given it (``secure-`` + paypal + ``-login``)."""
        p = self._protected[pid]
        steps: list[Step] = []
        if token != p.label:
            inner = self.label(pid, token, token_u, two=False)
            if inner is None:
                return None
            steps.extend(inner.chain)
        for word, form in ((pre.rstrip("-"), pre + p.label), (post.lstrip("-"), p.label + post)):
            if not word:
                continue
            made = self._keyword(pid, word).get(f"{form}.{p.suffix}") if form.isascii() else None
            if made is None:
                return None
            steps.append(Step(p.brand, form, made.techniques, made.plausibility))
        return tuple(steps)

    def appended(self, pid: int, rest: str) -> Chain | None:
        """The whole protected name with someone else's domain ``rest`` after it (``paypal.com.evil.net``):
        ``generate``'s tld-append, the appended TLD's own plausibility where it appends that TLD, else
        the least plausible TLD it appends."""
        p = self._protected[pid]
        appends = self._whole(pid, "append", frozenset({Technique.TLD_APPEND}))
        tld = rest.rsplit(".", 1)[-1]
        made = appends.get(f"{p.name.ascii}.{tld}") or min(
            appends.values(), key=lambda c: c.plausibility, default=None
        )
        if made is None:
            return None
        return (Step(p.name.ascii, f"{p.name.ascii}.{rest}", made.techniques, made.plausibility),)

    def dots(self, pid: int, name: str) -> Chain | None:
        """The protected name's letters with the dots moved, dropped or added: one step per dot, each
        a dot slip ``generate`` makes."""
        p = self._protected[pid]
        slips = self._whole(pid, "dots", DOTS)
        moved: dict[tuple[int, int], Candidate] = {}
        dropped: dict[int, Candidate] = {}
        inserted: dict[int, Candidate] = {}
        mine = dot_positions(p.name.ascii)
        for domain, c in slips.items():
            theirs = dot_positions(domain)
            gone, new = sorted(mine - theirs), sorted(theirs - mine)
            if len(gone) == 1 and len(new) == 1:
                moved[(gone[0], new[0])] = c
            elif len(gone) == 1 and not new:
                dropped[gone[0]] = c
            elif len(new) == 1 and not gone:
                inserted[new[0]] = c
        theirs = dot_positions(name)
        gone, new = sorted(mine - theirs), sorted(theirs - mine)
        steps: list[Step] = []
        for a in list(gone):
            b = next((b for b in (a - 1, a + 1) if b in new and (a, b) in moved), None)
            if b is not None:
                c = moved[(a, b)]
                steps.append(Step(p.name.ascii, c.domain, c.techniques, c.plausibility))
                gone.remove(a)
                new.remove(b)
        for a in gone:
            if a not in dropped:
                return None
            c = dropped[a]
            steps.append(Step(p.name.ascii, c.domain, c.techniques, c.plausibility))
        for b in new:
            if b not in inserted:
                return None
            c = inserted[b]
            steps.append(Step(p.name.ascii, c.domain, c.techniques, c.plausibility))
        return tuple(steps) if steps else None

    def fused(self, pid: int, label: str, suffix: str) -> Chain | None:
        """The protected name's labels fused into one (``armymil``) under any suffix: ``generate``'s
        fusion under the TLD it uses, then that TLD swapped."""
        p = self._protected[pid]
        fusions = self._whole(pid, "fusion", frozenset({Technique.TLD_FUSION}))
        best: Chain | None = None
        for domain, c in fusions.items():
            made_label, _, made_suffix = domain.partition(".")
            if made_label != label:
                continue
            chain: Chain = (Step(p.name.ascii, domain, c.techniques, c.plausibility),)
            if made_suffix != suffix:
                swap = self.suffix(pid, suffix)
                if swap is None:
                    continue
                chain += (Step(made_suffix, suffix, swap[0].techniques, swap[0].plausibility),)
            if best is None or chain_plausibility(chain) > chain_plausibility(best):
                best = chain
        return best


def dot_positions(name: str) -> frozenset[int]:
    """Where the dots of ``name`` stand among its other characters: ``a.bc`` -> {1}."""
    found, letters = set(), 0
    for ch in name:
        if ch == ".":
            found.add(letters)
        else:
            letters += 1
    return frozenset(found)


def align_glyphs(brand: str, label: str) -> list[tuple[int, int, str]] | None:
    """The glyph swaps that turn ``brand`` into ``label`` when their skeletons are equal: a list of
    (index in brand, characters replaced, replacement), one or two characters each side."""

    def units(i: int, j: int) -> Iterator[list[tuple[int, int, str]]]:
        if i == len(brand) and j == len(label):
            yield []
            return
        if i < len(brand) and j < len(label) and brand[i] == label[j]:
            for rest in units(i + 1, j + 1):
                yield rest
                return
        for width in (1, 2):
            for taken in (1, 2):
                if width == taken == 2:
                    continue
                src, dst = brand[i : i + width], label[j : j + taken]
                if len(src) != width or len(dst) != taken or src == dst:
                    continue
                if skeleton(src) == skeleton(dst):
                    for rest in units(i + width, j + taken):
                        yield [(i, width, dst), *rest]
                        return

    return next(units(0, 0), None)


__all__ = [
    "LAZY",
    "Chain",
    "Explained",
    "Explainer",
    "Protected",
    "align_glyphs",
    "chain_plausibility",
    "chain_techniques",
    "dot_positions",
    "eager_techniques",
    "one_edit",
]
