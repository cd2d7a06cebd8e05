"""The candidate pool of one protected name: validate, deduplicate, merge techniques, rank.

Pure. Technique functions produce raw text; everything they produce passes through ``Pool``, which
keeps one entry per ASCII domain (the best plausibility, every technique that made it), drops what is
not a valid host name or still belongs to the protected organisation (the protected name itself and
anything under its registrable domain), encodes IDN labels, and at the end decides registrability,
lowers names a third party cannot register (a restricted TLD, ``lookalike.tldpolicy``) and ranks.
Validation is done once per distinct name, on the hot path, so it avoids ``idna`` for ASCII.

A pool holds up to a few hundred thousand names, so it keeps them in flat dictionaries of strings and
numbers (one per field) rather than one object per name: nothing per name for Python's cyclic garbage
collector to walk, which keeps generation fast in a process with a large heap without touching the
collector's settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache

from lookalike import names, tldpolicy
from lookalike.model import Candidate, Technique
from lookalike.names import Name
from lookalike.permute import glyphs, rank

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ORDER = tuple(Technique)
_BIT = {t: 1 << i for i, t in enumerate(_ORDER)}
DIGITS = 4
"""Plausibility is rounded to this many decimals, so equal scores sort by name, reproducibly."""
_SCALE = 10**DIGITS


def mask_of(techniques: Iterable[Technique]) -> int:
    mask = 0
    for t in techniques:
        mask |= _BIT[t]
    return mask


@lru_cache(maxsize=4096)
def techniques_of(mask: int) -> tuple[Technique, ...]:
    return tuple(t for t in _ORDER if mask & _BIT[t])


@cache
def _plain_suffix(suffix: str) -> bool:
    """True when any label put before ``suffix`` makes ``label.suffix`` the registrable domain
    (no wildcard or exception rule of the PSL applies below it)."""
    return names.suffix_of("zz-probe-label." + suffix) == suffix


@lru_cache(maxsize=1024)
def _unicode_suffix(suffix: str) -> str:
    return names.to_unicode(suffix)


@lru_cache(maxsize=4096)
def restriction(suffix: str) -> str:
    """Why a third party cannot register a name directly under the public suffix ``suffix`` (it is
    restricted to a closed community: ``.mil``, ``.gov``, a brand TLD ...), or ``""`` when anyone may."""
    policy = tldpolicy.policy_for(suffix)
    if policy is None or policy.kind != "restricted":
        return ""
    return f".{policy.suffix} is restricted ({policy.who}): a third party cannot register it"


class Pool:
    """Every candidate of one protected name, one entry per ASCII domain."""

    def __init__(self, name: Name) -> None:
        self.name = name
        self.plausibility: dict[str, float] = {}
        """ASCII domain -> best plausibility so far; the keys are the pool's names, in insertion order."""
        self.masks: dict[str, int] = {}
        """ASCII domain -> every technique that made it (``mask_of``)."""
        self.apexes: dict[str, str] = {}
        """ASCII domain -> its registrable domain, where known when added."""
        self.shown: dict[str, str] = {}
        """ASCII domain -> Unicode form, for names with an IDN label."""
        self.labels: dict[str, str] = {}
        """ASCII domain -> the registrable label in Unicode, when it is an IDN label."""
        self.problems: dict[str, str] = {}
        """ASCII domain -> why its IDN label is not valid IDNA2008 (only names with a problem)."""
        self.scripts: dict[str, frozenset[str]] = {}
        """ASCII domain -> its label's scripts, when the technique knew them."""
        self.restricted: dict[str, str] = {}
        """ASCII domain -> its public suffix, for names under a restricted suffix (``restriction``)."""
        self._apex_tail = "." + name.apex

    def _owned(self, domain: str) -> bool:
        """The protected name, its registrable domain, or a name under it: the organisation's own."""
        return domain == self.name.apex or domain.endswith(self._apex_tail) or domain == self.name.ascii

    def _merge(self, domain: str, plausibility: float, mask: int) -> bool:
        old = self.plausibility.get(domain)
        if old is None:
            return False
        if plausibility > old:
            self.plausibility[domain] = plausibility
        self.masks[domain] |= mask
        return True

    def add_label(
        self,
        head: str,
        label: str,
        suffix: str,
        plausibility: float,
        mask: int,
        *,
        unicode_head: str = "",
        ascii_label: str = "",
        scripts: frozenset[str] | None = None,
    ) -> str | None:
        """Add ``head`` + ``label`` + ``.suffix`` where ``label`` (ASCII or Unicode) sits directly left of
        the public suffix ``suffix``; ``head`` is ``""`` or the subdomain labels with a trailing dot.
        ``ascii_label`` is the label's A-label when the caller already knows it is valid IDNA2008,
        ``scripts`` its scripts. Returns the ASCII domain, or None when the label is not usable."""
        problem = ""
        if ascii_label:
            if len(ascii_label) > names.MAX_LABEL:
                return None
        elif label.isascii():
            if not _LABEL.match(label) or label[2:4] == "--":
                return None
            ascii_label = label
        else:
            ascii_label, problem = glyphs.alabel(label)
            if not ascii_label:
                return None
        apex = f"{ascii_label}.{suffix}"
        domain = head + apex if head else apex
        old = self.plausibility.get(domain)
        if old is not None:
            if plausibility > old:
                self.plausibility[domain] = plausibility
            self.masks[domain] |= mask
            return domain
        if len(domain) > names.MAX_NAME or self._owned(domain):
            return None
        self.plausibility[domain] = plausibility
        self.masks[domain] = mask
        if _plain_suffix(suffix):
            self.apexes[domain] = apex
            if restriction(suffix):
                self.restricted[domain] = suffix
        if not label.isascii():
            self.labels[domain] = label
            if head and not unicode_head:
                unicode_head = names.to_unicode(head[:-1]) + "."
            self.shown[domain] = f"{unicode_head}{label}.{_unicode_suffix(suffix)}"
            if problem:
                self.problems[domain] = problem
            if scripts is not None:
                self.scripts[domain] = scripts
        elif "xn--" in domain:
            self.shown[domain] = names.to_unicode(domain)
        return domain

    def add_domain(self, domain: str, plausibility: float, mask: int, *, shown: str = "") -> str | None:
        """Add a whole ASCII domain (from a suffix or dot slip); ``shown`` is its Unicode form when the
        caller knows it. Returns the domain, or None when unusable."""
        if self._owned(domain):
            return None
        if self._merge(domain, plausibility, mask):
            return domain
        if not names.is_hostname(domain):
            return None
        self.plausibility[domain] = plausibility
        self.masks[domain] = mask
        if shown or "xn--" in domain:
            self.shown[domain] = shown or names.to_unicode(domain)
        return domain

    def problem(self, domain: str) -> str:
        return self.problems.get(domain, "")

    def __contains__(self, domain: str) -> bool:
        return domain in self.plausibility

    def __len__(self) -> int:
        return len(self.plausibility)

    def candidates(self, limit: int | None = None) -> list[Candidate]:
        """The ranked candidates: plausibility descending, then domain ascending."""
        protected = self.name.ascii
        shown = self.shown
        verdicts: dict[str, tuple[bool, str]] = {}
        # Group by rounded plausibility (an int), then sort each group by name: no per-name key objects.
        groups: dict[int, list[str]] = {}
        for domain, plausibility in self.plausibility.items():
            factor = 1.0
            if domain in shown:
                registrable, note = self._registrability(domain)
                if not registrable:
                    factor = rank.UNREGISTRABLE
                verdicts[domain] = (registrable, note)
            if domain not in self.apexes:
                apex = self.apexes[domain] = names.apex_of(domain)
                if restriction(apex.split(".", 1)[-1]):
                    self.restricted[domain] = apex.split(".", 1)[-1]
            if domain in self.restricted:
                why = restriction(self.restricted[domain])
                factor *= rank.RESTRICTED
                registrable, note = verdicts.get(domain, (True, ""))
                verdicts[domain] = (registrable, f"{note}; {why}" if note else why)
            score = round(min(1.0, plausibility * factor) * _SCALE)
            group = groups.get(score)
            if group is None:
                groups[score] = [domain]
            else:
                group.append(domain)
        out: list[Candidate] = []
        for score in sorted(groups, reverse=True):
            value = score / _SCALE
            for domain in sorted(groups[score]):
                registrable, note = verdicts.get(domain, (True, ""))
                out.append(
                    Candidate(
                        domain,
                        shown.get(domain, domain),
                        protected,
                        techniques_of(self.masks[domain]),
                        value,
                        self.apexes[domain],
                        registrable,
                        note,
                    )
                )
                if limit is not None and len(out) >= limit:
                    return out
        return out

    def _registrability(self, domain: str) -> tuple[bool, str]:
        label = self.labels.get(domain)
        problem = self.problems.get(domain, "")
        tld = domain.rsplit(".", 1)[-1]
        scripts = self.scripts.get(domain)
        if label is not None and scripts is not None and not problem:
            return glyphs.verdict(scripts, False, tld)
        if label is None:
            apex = self.apexes.get(domain) or names.apex_of(domain)
            label = _decoded(apex.split(".", 1)[0])[0]
            # Unicode that did not come through alabel (a TLD swap to an IDN TLD, an IDN protected
            # name's own labels): check every A-label of the name strictly.
            for part in domain.split("."):
                if part.startswith("xn--"):
                    problem = _decoded(part)[1]
                    if problem:
                        break
        return glyphs.registrability(label, tld, problem)


@lru_cache(maxsize=4096)
def _decoded(part: str) -> tuple[str, str]:
    """An A-label's Unicode form and why it is not valid IDNA2008 (``""`` when it is). The same few
    labels recur in thousands of names (the brand's own A-label under every TLD), so it is cached."""
    if not part.startswith("xn--"):
        return part, ""
    decoded = names.to_unicode(part)
    if decoded == part:
        return part, "not valid punycode"
    return decoded, glyphs.alabel(decoded)[1]
