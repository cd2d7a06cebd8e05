"""The candidate pool of one protected name: validate, deduplicate, merge techniques, rank.

Pure. Technique functions produce raw text; everything they produce passes through ``Pool``, which
keeps one entry per ASCII domain (the best plausibility, every technique that made it), drops what is
not a valid host name or still belongs to the protected organisation (the protected name itself and
anything under its registrable domain), encodes IDN labels, and at the end decides registrability and
ranks. Validation is done once per distinct name, on the hot path, so it avoids ``idna`` for ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from lookalike import names
from lookalike.model import Candidate, Technique
from lookalike.names import Name
from lookalike.permute import glyphs, rank

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ORDER = tuple(Technique)
_BIT = {t: 1 << i for i, t in enumerate(_ORDER)}
DIGITS = 4
"""Plausibility is rounded to this many decimals, so equal scores sort by name, reproducibly."""


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


@dataclass(slots=True)
class Entry:
    plausibility: float
    mask: int
    unicode: str
    """"" when the name is pure ASCII with no A-label."""
    apex: str
    """"" when not known yet."""
    problem: str
    """Why the IDN label is not valid IDNA2008; "" when it is (or the name is ASCII)."""
    label: str
    """The registrable label in Unicode when it is an IDN label, for the script checks; else ""."""
    scripts: frozenset[str] | None = None
    """The label's scripts when the technique knows them already."""


class Pool:
    """Every candidate of one protected name, one entry per ASCII domain."""

    def __init__(self, name: Name) -> None:
        self.name = name
        self.entries: dict[str, Entry] = {}
        self._apex_tail = "." + name.apex

    def _owned(self, domain: str) -> bool:
        """The protected name, its registrable domain, or a name under it: the organisation's own."""
        return domain == self.name.apex or domain.endswith(self._apex_tail) or domain == self.name.ascii

    def _merge(self, domain: str, plausibility: float, mask: int) -> bool:
        entry = self.entries.get(domain)
        if entry is None:
            return False
        entry.plausibility = max(entry.plausibility, plausibility)
        entry.mask |= mask
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
        domain = head + apex
        if len(domain) > names.MAX_NAME or self._owned(domain):
            return None
        if self._merge(domain, plausibility, mask):
            return domain
        if not _plain_suffix(suffix):
            apex = ""
        idn = not label.isascii()
        shown = ""
        if idn or "xn--" in domain:
            shown = (unicode_head or names.to_unicode(head[:-1]) + ("." if head else "")) + (
                label if idn else names.to_unicode(ascii_label)
            )
            shown += "." + names.to_unicode(suffix)
        self.entries[domain] = Entry(plausibility, mask, shown, apex, problem, label if idn else "", scripts)
        return domain

    def add_domain(self, domain: str, plausibility: float, mask: int) -> str | None:
        """Add a whole ASCII domain (from a suffix or dot slip). Returns it, or None when unusable."""
        if self._owned(domain):
            return None
        if self._merge(domain, plausibility, mask):
            return domain
        if not names.is_hostname(domain):
            return None
        shown = names.to_unicode(domain) if "xn--" in domain else ""
        self.entries[domain] = Entry(plausibility, mask, shown, "", "", "")
        return domain

    def __contains__(self, domain: str) -> bool:
        return domain in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def candidates(self, limit: int | None = None) -> list[Candidate]:
        """The ranked candidates: plausibility descending, then domain ascending."""
        protected = self.name.ascii
        ranked: list[tuple[float, str, Entry, bool, str]] = []
        for domain, entry in self.entries.items():
            registrable, note = True, ""
            plausibility = entry.plausibility
            if entry.unicode:
                registrable, note = self._registrability(domain, entry)
                if not registrable:
                    plausibility *= rank.UNREGISTRABLE
            ranked.append((-round(min(1.0, plausibility), DIGITS), domain, entry, registrable, note))
        ranked.sort(key=lambda item: (item[0], item[1]))
        if limit is not None:
            ranked = ranked[:limit]
        return [
            Candidate(
                domain=domain,
                unicode=entry.unicode or domain,
                protected=protected,
                techniques=techniques_of(entry.mask),
                plausibility=-neg,
                apex=entry.apex or names.apex_of(domain),
                registrable=registrable,
                note=note,
            )
            for neg, domain, entry, registrable, note in ranked
        ]

    def _registrability(self, domain: str, entry: Entry) -> tuple[bool, str]:
        apex = entry.apex or names.apex_of(domain)
        label = entry.label or names.to_unicode(apex.split(".", 1)[0])
        problem = entry.problem
        if not problem and not entry.label:
            # Unicode that did not come through alabel (a TLD swap to an IDN TLD, an IDN protected
            # name's own labels): check every A-label of the name strictly.
            for part in domain.split("."):
                if part.startswith("xn--"):
                    decoded = names.to_unicode(part)
                    if decoded == part or glyphs.alabel(decoded)[1]:
                        problem = glyphs.alabel(decoded)[1] or "not valid punycode"
                        break
        tld = domain.rsplit(".", 1)[-1]
        if entry.scripts is not None and not problem and entry.label:
            return glyphs.verdict(entry.scripts, False, tld)
        return glyphs.registrability(label, tld, problem)
