"""The reverse matcher: given any name, which protected domain it imitates, how, how plausibly, why.

``generate`` goes from a protected domain to its lookalikes; the matcher goes back, for names seen in
a feed (Certificate Transparency, zone files, lists). It follows ``generate`` rather than keeping a
model of its own: the same technique names, the same plausibility (see ``explain``).

How a name is looked at (each lookup costs the same whatever the number of protected names):

1. **exact**: the name and each parent of it in the exact index, ``generate``'s depth-1 candidates
   (and, with ``depth=2``, its budgeted depth-2 ones) of every family but the big lazy ones;
2. the registrable domain's label (``paypa1`` in ``login.paypa1.com``) in the **suffix** (the label
   itself), **glyphs** (its skeleton) and **edits** (deletion neighbourhood) indexes;
3. the skeleton of everything left of the public suffix, scanned for protected labels: **words**
   inside the registrable label (``paypal-payroll-portal``), **subdomain** in front of someone else's
   domain (``paypal.com.evil.net``, ``paypal-login.evil.net``);
4. the name without its dots (**dots**: ``amazonc.om``, ``armymil.xyz``).

Every hit is then explained by ``explain`` as ``generate``'s own candidate or a chain of its slips;
what no chain explains is dropped. Guards against floods: no edit route for protected labels shorter
than ``index.EDIT_MIN``, no chain of two slips or more on labels shorter than ``CHAIN_MIN`` (except
glyph swaps), and a protected label that is a dictionary word or shorter than ``TOKEN_MIN`` is taken
inside a longer label only at a hyphen, a digit or an end, or next to a keyword (``login``), and in a
subdomain only next to a keyword or as the whole protected name.

Names under a protected registrable domain (``www.paypal.com``) are the organisation's own: no match.

Pure: no I/O (``generate`` reads the package's tables). Must not: print, or score risk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lookalike import names, permute
from lookalike.errors import LookalikeError
from lookalike.match.explain import (
    Chain,
    Explainer,
    Protected,
    chain_plausibility,
    chain_techniques,
    country_words,
    eager_techniques,
)
from lookalike.match.index import EDIT2_MIN, PREFIX, Index
from lookalike.match.result import Match, Route, Step, rounded
from lookalike.match.skeleton import bare, fold, skeleton, skeleton_spans
from lookalike.model import Candidate
from lookalike.names import Name
from lookalike.permute import GenerateOptions, glyphs, words
from lookalike.permute.pool import DIGITS, mask_of, techniques_of
from lookalike.permute.rank import edit_distance

__all__ = ["Match", "MatchOptions", "Matcher", "Route", "Step", "normalise"]

TOKEN_MIN = 5
"""A protected label shorter than this is taken inside a longer label only with a guard."""
CHAIN_MIN = 6
"""A chain of two slips or more is reported for protected labels of at least this many characters."""
UNEXPLAINED_CACHE = 100_000
"""(protected, label) pairs the edit route could not explain, remembered so a feed's repeats are cheap."""
_NAME = re.compile(r"^[a-z0-9_.-]+$")
_SCALE = 10**DIGITS
_MASK_BITS = 64


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """How closely to follow ``generate``; the same meanings as ``GenerateOptions``."""

    depth: int = 1
    """2: the exact index also holds ``generate``'s budgeted depth-2 candidates."""
    combo_budget: int = 2_000
    """Depth-2 candidates per protected name in the exact index."""
    keyboards: tuple[str, ...] = ("qwerty",)
    keywords: tuple[str, ...] = ()
    """Extra keywords, as ``generate --keywords``: they also make the guard's keyword list."""
    cache_size: int = 64
    """How many of ``generate``'s lazily made families to keep."""


def normalise(text: str) -> str | None:
    """A seen name in canonical ASCII (lower case, no trailing dot, no leading ``*.``), or None when
    it cannot be a host name. Cheap: it runs on every name of a feed."""
    name = text.strip().lower().rstrip(".")
    if name.startswith("*."):
        name = name[2:]
    if not name.isascii():
        try:
            name = names.to_ascii(name, strict=False)
        except LookalikeError:
            return None
    if "." not in name or len(name) > names.MAX_NAME or not _NAME.match(name) or ".." in name:
        return None
    if name.startswith((".", "-")):
        return None
    return name


def _pack(pid: int, c: Candidate) -> int:
    """One exact-index entry as one int: protected id, technique mask, plausibility (4 digits)."""
    code: int = (pid << (_MASK_BITS + 16)) | (mask_of(c.techniques) << 16) | round(c.plausibility * _SCALE)
    return code


def _unpack(code: int) -> tuple[int, int, float]:
    """(protected id, technique mask, plausibility) of a ``_pack``ed exact-index entry."""
    return code >> (_MASK_BITS + 16), (code >> 16) & ((1 << _MASK_BITS) - 1), (code & 0xFFFF) / _SCALE


class Matcher:
    """Matches names against a set of protected names. Build once (it asks ``generate`` for every
    protected name), then call ``match`` for each name seen."""

    def __init__(self, protected: Sequence[Name], options: MatchOptions = MatchOptions()) -> None:
        """Raises ``LookalikeError`` for no names or options ``generate`` refuses."""
        unique = {n.ascii: n for n in protected}
        if not unique:
            raise LookalikeError("give at least one protected domain to match against")
        self.options = options
        generate_options = GenerateOptions(
            techniques=eager_techniques(),
            depth=options.depth,
            keyboards=options.keyboards,
            keywords=options.keywords,
            combo_budget=options.combo_budget,
        )
        permute.check_options(generate_options)
        self.protected = tuple(Protected.of(n) for n in unique.values())
        self._own = frozenset(p.name.ascii for p in self.protected) | frozenset(
            p.apex.ascii for p in self.protected
        )
        self._pid = {p.name.ascii: i for i, p in enumerate(self.protected)}
        self._index = Index(self.protected)
        self._explainer = Explainer(
            self.protected, generate_options, self._exact_candidate, options.cache_size
        )
        dictionary = words.dictionary()
        self._guarded = tuple(
            p.brand in dictionary or len(p.skeleton) < TOKEN_MIN or not p.brand.isascii()
            for p in self.protected
        )
        # The guard's words: keywords, and the country codes and names generate puts beside a brand.
        self._keywords = frozenset((*words.builtin_keywords(), *options.keywords, *country_words()))
        self._unexplained: dict[tuple[int, str], None] = {}
        self._exact: dict[str, int | tuple[int, ...]] = {}
        self._idn: dict[str, Candidate] = {}
        for pid, p in enumerate(self.protected):
            for c in permute.generate(p.name, generate_options):
                if c.domain in self._own:
                    continue
                code = _pack(pid, c)
                old = self._exact.get(c.domain)
                self._exact[c.domain] = (
                    code if old is None else (*(old if isinstance(old, tuple) else (old,)), code)
                )
                if c.unicode != c.domain:
                    self._idn[c.domain] = c

    @property
    def size(self) -> int:
        """Names in the exact index."""
        return len(self._exact)

    def match(self, text: str) -> list[Match]:
        """Every protected name ``text`` imitates, most plausible first: one ``Match`` per protected
        name. Names that are not host names, and the organisation's own, give none."""
        name = normalise(text)
        if name is None:
            return []
        try:
            apex = names.apex_of(name)
        except (ValueError, LookalikeError):  # pragma: no cover - the PSL answers any LDH name
            return []
        if apex in self._own or name in self._own:
            return []
        found: dict[int, Match] = {}
        exact = self._exact
        part = name
        while "." in part:
            code = exact.get(part)
            if code is not None:
                # The longest name generate lists stands: k.estrelsystems.com is a dot inserted, not a
                # subdomain of the omission estrelsystems.com.
                for one in code if isinstance(code, tuple) else (code,):
                    if one >> (_MASK_BITS + 16) not in found:
                        self._offer(found, self._exact_match(name, part, one))
            part = part[part.index(".") + 1 :]
        self._structure(name, apex, found)
        return _ranked(found) if found else []

    def match_many(self, texts: Iterable[str]) -> Iterable[Match]:
        """``match`` for each name in turn; a generator, so a feed of any length streams through."""
        for text in texts:
            yield from self.match(text)

    # -- routes --------------------------------------------------------------------------------------

    def _offer(self, found: dict[int, Match], match: Match | None) -> None:
        if match is None:
            return
        pid = self._pid[match.protected]
        old = found.get(pid)
        # generate's own answer stands over a chain; between equals, the more plausible.
        if old is None or (
            (old.route is not Route.EXACT or match.route is Route.EXACT)
            and match.plausibility > old.plausibility
        ):
            found[pid] = match

    def _pids_of(self, domain: str) -> list[int]:
        """The protected names whose exact index lists ``domain``, under any suffix of theirs."""
        pids = []
        for pid in range(len(self.protected)):
            suffix = self.protected[pid].suffix
            label = domain.partition(".")[0]
            code = self._exact.get(f"{label}.{suffix}")
            for one in () if code is None else code if isinstance(code, tuple) else (code,):
                if one >> (_MASK_BITS + 16) == pid:
                    pids.append(pid)
        return pids

    def _exact_candidate(self, pid: int, domain: str) -> Candidate | None:
        """The exact index's entry for ``domain`` and protected name ``pid``, as a ``Candidate``."""
        code = self._exact.get(domain)
        if code is None:
            return None
        for one in code if isinstance(code, tuple) else (code,):
            if one >> (_MASK_BITS + 16) == pid:
                match = self._exact_match(domain, domain, one)
                return match.candidate()
        return None

    def _exact_match(self, name: str, domain: str, code: int) -> Match:
        pid, mask, plausibility = _unpack(code)
        p = self.protected[pid]
        swapped = self._explainer.swapped(pid, domain)
        if swapped is not None:  # generate makes it by a suffix swap too (bbc.co from bbc.co.uk)
            mask |= mask_of(swapped.techniques)
            plausibility = max(plausibility, swapped.plausibility)
        techniques = techniques_of(mask)
        idn = self._idn.get(domain)
        return Match(
            name=name,
            domain=domain,
            unicode=idn.unicode if idn else names.to_unicode(domain),
            protected=p.name.ascii,
            techniques=techniques,
            plausibility=plausibility,
            route=Route.EXACT,
            steps=(Step(p.name.ascii, domain, techniques, plausibility),),
            apex=idn.apex if idn else names.apex_of(domain),
            generated=True,
            registrable=idn.registrable if idn else True,
            note=idn.note if idn else "",
        )

    def _structure(self, name: str, apex: str, found: dict[int, Match]) -> None:
        index = self._index
        label, _, suffix = apex.partition(".")
        left = name[: len(name) - len(suffix) - 1]
        left_u = names.to_unicode(left) if "xn--" in left else left
        label_u = left_u.rsplit(".", 1)[-1]
        sk_left = skeleton(left_u)
        routes: list[tuple[int, Route]] = [(pid, Route.SUFFIX) for pid in index.labels.get(label, ())]
        if label_u not in index.brands:
            sk_label = sk_left.rsplit(".", 1)[-1]
            routes += [(pid, Route.GLYPHS) for pid in index.skeletons.get(sk_label, ())]
            routes += [(pid, Route.EDITS) for pid in index.edits(label_u)]
            if not label_u.isascii():
                # An IDN label whose letters, read as the ASCII ones they carry, make a name generate
                # lists (lcestrelsystems for kestrelsystems, then a mark on the l): its glyph family.
                folded = fold(label_u)
                routes += [(pid, Route.GLYPHS) for pid in self._pids_of(f"{folded}.{suffix}")]
                routes += [(pid, Route.GLYPHS) for pid in index.labels.get(folded, ())]
                routes += [(pid, Route.GLYPHS) for pid in index.edits(folded)]
                # Marks on the protected label itself (army̲): generate's lazy combining-mark family.
                routes += [(pid, Route.GLYPHS) for pid in index.brands.get(bare(label_u), ())]
        for pid, route in routes:
            if pid not in found:
                self._label_route(name, apex, label=label, label_u=label_u, pid=pid, route=route, found=found)
        if len(sk_left) >= PREFIX or index.raw_shorts:
            self._tokens(name, apex, left_u, sk_left, found)
        if index.dotless.keys() & {name.replace(".", ""), apex.replace(".", ""), label}:
            self._dots(name, apex, found)

    def _label_route(
        self,
        name: str,
        apex: str,
        *,
        label: str,
        label_u: str,
        pid: int,
        route: Route,
        found: dict[int, Match],
    ) -> None:
        """The registrable label a slip of the protected one, under its suffix or another."""
        explainer = self._explainer
        p = self.protected[pid]
        suffix = apex[len(label) + 1 :]
        long = len(p.brand) >= CHAIN_MIN
        if route is Route.EDITS:
            # The deletion neighbourhood also pairs labels three edits apart; and a label that no chain
            # explained need not be explained again (feeds repeat themselves).
            key = (pid, label_u)
            if key in self._unexplained or edit_distance(label_u, p.brand) > 2:
                return
        inner = explainer.label(pid, label, label_u, two=long and len(p.brand) >= EDIT2_MIN)
        if inner is None:
            if route is Route.EDITS:
                self._unexplained[(pid, label_u)] = None
                if len(self._unexplained) > UNEXPLAINED_CACHE:
                    del self._unexplained[next(iter(self._unexplained))]
            return
        whole = explainer.generated(pid, apex, not label_u.isascii()) if suffix != p.suffix else None
        if whole is not None:
            self._offer(found, self._chain_match(name, apex, pid, route, chain=(), made=whole))
            return
        tail = explainer.suffix(pid, suffix)
        if tail is None:
            return
        chain = inner.chain + tail
        if len(chain) > 1 and not long and route is not Route.GLYPHS:
            return
        self._offer(
            found,
            self._chain_match(name, apex, pid, route, chain=chain, made=None if tail else inner.candidate),
        )

    def _tokens(self, name: str, apex: str, left_u: str, sk_left: str, found: dict[int, Match]) -> None:
        index = self._index
        protected = self.protected
        # Spans in left_u of protected skeletons (glyph swaps included) and, when the skeleton merged
        # letters (rn -> m) and so may have merged across a label's edge (bbc + login reads bbdogin),
        # of protected labels as written.
        hits: set[tuple[int, int, int]] = set()
        glyph_hits = [
            (pid, i, i + len(protected[pid].skeleton))
            for i, pid in index.tokens(sk_left, raw=False)
            if pid not in found and sk_left.startswith(protected[pid].skeleton, i)
        ]
        if len(sk_left) == len(left_u):
            # One character for one: the skeleton's positions are the name's.
            hits.update(glyph_hits)
        else:
            hits.update(
                (pid, i, i + len(protected[pid].brand))
                for i, pid in index.tokens(left_u, raw=True)
                if pid not in found and left_u.startswith(protected[pid].brand, i)
            )
            if glyph_hits:
                _, starts = skeleton_spans(left_u)
                for pid, i, j in glyph_hits:
                    hits.add((pid, starts[i], starts[j] if j < len(starts) else len(left_u)))
        if index.raw_shorts:
            hits |= self._short_hits(left_u)
        for pid, a, b in sorted(hits):
            if pid in found:
                continue
            start = left_u.rfind(".", 0, a) + 1
            end = left_u.find(".", b)
            end = len(left_u) if end < 0 else end
            pre, token_u, post = left_u[start:a], left_u[a:b], left_u[b:end]
            if end == len(left_u):
                if pre or post:
                    self._words(name, apex, pid=pid, pre=pre, token_u=token_u, post=post, found=found)
            else:
                self._subdomain(
                    name,
                    apex,
                    pid=pid,
                    label_at=left_u.count(".", 0, a),
                    pre=pre,
                    token_u=token_u,
                    post=post,
                    found=found,
                )

    def _short_hits(self, text: str) -> set[tuple[int, int, int]]:
        """Short protected labels as a whole part between dots and hyphens, or glued to a keyword:
        (protected id, start, end) in ``text``. A few lookups per part, whatever the number of
        protected names. (Glyph swaps of a three-letter label are left to the exact index.)"""
        shorts = self._index.raw_shorts
        keywords = self._keywords
        lengths = self._index.short_lengths
        hits = set()
        # The parts between dots and hyphens, and the labels whole: a keyword may hold a hyphen
        # (the country names generate glues on, new-zealand).
        parts = [text.replace("-", "."), text] if "-" in text else [text]
        for split in parts:
            pos = 0
            for part in split.split("."):
                n = len(part)
                for pid in shorts.get(part, ()):
                    hits.add((pid, pos, pos + n))
                for k in lengths:
                    if n > k:
                        if part[k:] in keywords:
                            hits.update((pid, pos, pos + k) for pid in shorts.get(part[:k], ()))
                        if part[:-k] in keywords:
                            hits.update((pid, pos + n - k, pos + n) for pid in shorts.get(part[-k:], ()))
                pos += n + 1
        return hits

    def _allowed(self, pid: int, pre: str, post: str, *, subdomain: bool) -> bool:
        """The guard for dictionary-word and short protected labels (see the module docstring)."""
        if not self._guarded[pid] and not subdomain:
            return True

        def keyword(word: str) -> bool:
            return word.strip("-") in self._keywords

        def boundary(word: str, at_end: bool) -> bool:
            if not word:
                return True
            edge = word[0] if at_end else word[-1]
            return edge == "-" or edge.isdigit()

        if subdomain and self._guarded[pid]:
            return keyword(pre) or keyword(post)
        if subdomain:
            return True
        return (boundary(pre, False) or keyword(pre)) and (boundary(post, True) or keyword(post))

    def _ascii(self, text: str) -> str:
        return text if text.isascii() else glyphs.alabel(text)[0]

    def _words(
        self, name: str, apex: str, *, pid: int, pre: str, token_u: str, post: str, found: dict[int, Match]
    ) -> None:
        p = self.protected[pid]
        token = self._ascii(token_u)
        if (
            not token
            or not pre.isascii()
            or not post.isascii()
            or not self._allowed(pid, pre, post, subdomain=False)
        ):
            return
        chain = self._explainer.words(pid, pre, token, token_u, post)
        if chain is None:
            return
        words = [w for w in (pre.rstrip("-"), post.lstrip("-")) if w]
        made = self._explainer.generated(pid, apex, not token_u.isascii(), words)
        if made is not None:
            self._offer(
                found, self._chain_match(name, apex, pid, Route.WORDS, chain=(), made=made, words=words)
            )
            return
        tail = self._explainer.suffix(pid, apex[len(apex.partition(".")[0]) + 1 :])
        if tail is None or (len(chain + tail) > 1 and len(p.brand) < CHAIN_MIN and not p.brand.isascii()):
            return
        self._offer(found, self._chain_match(name, apex, pid, Route.WORDS, chain=chain + tail))

    def _subdomain(
        self,
        name: str,
        apex: str,
        *,
        pid: int,
        label_at: int,
        pre: str,
        token_u: str,
        post: str,
        found: dict[int, Match],
    ) -> None:
        p = self.protected[pid]
        labels = name.split(".")
        domain = ".".join(labels[label_at:])
        for whole in dict.fromkeys((p.name.ascii, p.apex.ascii)):
            if domain.startswith(whole + ".") and not pre and not post:
                chain = self._explainer.appended(pid, domain[len(whole) + 1 :])
                if chain is not None:
                    self._offer(found, self._chain_match(name, domain, pid, Route.SUBDOMAIN, chain=chain))
                return
        token = self._ascii(token_u)
        if (
            not token
            or not pre.isascii()
            or not post.isascii()
            or not self._allowed(pid, pre, post, subdomain=True)
        ):
            return
        chain = self._explainer.words(pid, pre, token, token_u, post)
        owner = apex.partition(".")[0]
        after = self._explainer.words(pid, "", p.label, p.label, "-" + owner)
        if chain is None or after is None:
            return
        moved = tuple(Step(s.before, domain, s.techniques, s.plausibility) for s in after)
        self._offer(found, self._chain_match(name, domain, pid, Route.SUBDOMAIN, chain=chain + moved))

    def _dots(self, name: str, apex: str, found: dict[int, Match]) -> None:
        dotless = self._index.dotless
        if not dotless:
            return
        part = name
        while True:
            for pid in dotless.get(part.replace(".", ""), ()):
                if pid not in found:
                    chain = self._explainer.dots(pid, part)
                    if chain is not None:
                        self._offer(found, self._chain_match(name, part, pid, Route.DOTS, chain=chain))
            if part == apex:
                break
            part = part[part.index(".") + 1 :]
        label, _, suffix = apex.partition(".")
        for pid in dotless.get(label, ()):
            if pid not in found:
                chain = self._explainer.fused(pid, label, suffix)
                if chain is not None:
                    self._offer(found, self._chain_match(name, apex, pid, Route.DOTS, chain=chain))

    def _chain_match(
        self,
        name: str,
        domain: str,
        pid: int,
        route: Route,
        *,
        chain: Chain,
        made: Candidate | None = None,
        words: Sequence[str] = (),
    ) -> Match:
        p = self.protected[pid]
        if p.name.sub and route is not Route.SUBDOMAIN and name.endswith(f"{p.name.sub}.{domain}"):
            # The protected name's own subdomain kept in front (aus.intcl.com for aus.intel.com): what
            # generate makes for the protected name itself, when it does.
            whole = f"{p.name.sub}.{domain}"
            own = self._explainer.generated_whole(pid, whole, "xn--" in domain, words)
            if own is not None:
                made, domain, chain = own, whole, ()
        if made is not None and made.domain == domain:
            return Match(
                name=name,
                domain=domain,
                unicode=made.unicode,
                protected=p.name.ascii,
                techniques=made.techniques,
                plausibility=made.plausibility,
                route=route,
                steps=chain or (Step(p.apex.ascii, domain, made.techniques, made.plausibility),),
                apex=made.apex,
                generated=True,
                registrable=made.registrable,
                note=made.note,
            )
        return Match(
            name=name,
            domain=domain,
            unicode=names.to_unicode(domain),
            protected=p.name.ascii,
            techniques=chain_techniques(chain),
            plausibility=rounded(chain_plausibility(chain)),
            route=route,
            steps=chain,
            apex=names.apex_of(domain),
        )


def _ranked(found: dict[int, Match]) -> list[Match]:
    return sorted(found.values(), key=lambda m: (-m.plausibility, m.protected))
