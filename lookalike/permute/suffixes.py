"""Suffix and dot slips: the TLD swapped or mistyped, the second level wrong, dots moved, dropped,
added or turned into hyphens, the TLD fused into the name or appended to it.

Pure: reads the IANA TLD list and the Public Suffix List through ``names``, and the TLD tables under
``data/``. Each function takes the protected ``Name`` and yields ``(domain, factor)`` pairs: whole
ASCII domain names, not yet validated or deduplicated (the generator does that once).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator, Mapping
from functools import cache

from lookalike import names
from lookalike.names import Name
from lookalike.permute import rank, tables
from lookalike.permute.keyboards import Keyboard

Slip = tuple[str, float]
"""A whole candidate domain (ASCII) and its slip factor."""

FUSION_TLDS = ("com", "net", "org")
"""Where a fused name (armymil) is most likely registered, besides the original TLD."""


def split(name: Name) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(labels left of the public suffix, the suffix's labels): ``us.army.mil`` -> (us, army), (mil)."""
    suffix = tuple(name.suffix.split("."))
    return name.labels[: -len(suffix)], suffix


def unicode_labels(name: Name) -> tuple[str, ...]:
    """The name's labels in Unicode (``münchen``, ``de``): dot slips and fusions work on what a person
    reads and types, and the generator encodes the result."""
    found = tuple(name.unicode.split("."))
    return found if len(found) == len(name.labels) else name.labels


def unicode_split(name: Name) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``split`` in Unicode."""
    labels = unicode_labels(name)
    n = len(name.suffix.split("."))
    return labels[:-n], labels[-n:]


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


@cache
def tld_typos_of(tld: str, kb: Keyboard) -> Mapping[str, float]:
    """Real TLDs one slip away from ``tld``, with the slip's factor: ``mil`` -> ``ml``, ``il``, ...

    Any letter may be the slip (a three-letter word is typed fast and checked rarely), weighted by
    how far its key is from the intended one.
    """
    real = names.tlds()
    found: dict[str, float] = {}

    def offer(text: str, factor: float) -> None:
        if text != tld and text in real and factor > found.get(text, 0.0):
            found[text] = factor

    kinds = rank.TYPO_KIND
    n = len(tld)
    for i in range(n):
        offer(tld[:i] + tld[i + 1 :], kinds["omission"])
        if i < n - 1:
            offer(tld[:i] + tld[i + 1] + tld[i] + tld[i + 2 :], kinds["transposition"])
        offer(tld[:i] + tld[i] + tld[i:], kinds["repetition"])
        for ch in string.ascii_lowercase:
            near = rank.key(kb.distance(tld[i], ch))
            offer(tld[:i] + ch + tld[i + 1 :], kinds["replacement"] * near)
            offer(tld[:i] + ch + tld[i:], kinds["insertion"] * near)
    for ch in string.ascii_lowercase:
        offer(tld + ch, kinds["addition"] * rank.key(kb.distance(tld[-1], ch)))
    return found


def tld_typo(name: Name, kb: Keyboard) -> Iterator[Slip]:
    """The TLD mistyped into another real TLD: ``army.mil`` -> ``army.ml``, ``gmail.com`` -> ``gmail.co``."""
    left, suffix = split(name)
    for tld, factor in sorted(tld_typos_of(suffix[-1], kb).items()):
        yield _join(*left, *suffix[:-1], tld), factor


def tld_swap(name: Name, kb: Keyboard) -> Iterator[Slip]:
    """Every other delegated TLD, ranked by how confusable it is: ``army.mil`` -> ``army.com``.

    A TLD one slip away is a ``tld_typo`` instead. A multi-level suffix is replaced whole
    (``example.co.uk`` -> ``example.com``) and, where the second level exists there too, only its TLD
    (``example.co.nz``).
    """
    left, suffix = split(name)
    tld = suffix[-1]
    typos = tld_typos_of(tld, kb)
    for other in sorted(names.tlds()):
        if other == tld or other in typos:
            continue
        factor = rank.tld_confusability(tld, other)
        yield _join(*left, other), factor
        if len(suffix) > 1:
            kept = ".".join((*suffix[:-1], other))
            if names.is_public_suffix(kept):
                yield _join(*left, kept), factor


@cache
def second_levels() -> Mapping[str, tuple[str, ...]]:
    """ccTLD -> its common second levels that are public suffixes (data/wrong-sld.tsv, checked)."""
    found: dict[str, tuple[str, ...]] = {}
    for tld, levels in tables.rows("wrong-sld.tsv"):
        found[tld] = tuple(s for s in levels.split() if names.is_public_suffix(f"{s}.{tld}"))
    return found


def wrong_sld(name: Name) -> Iterator[Slip]:
    """Another second level of the same ccTLD, or none: ``example.co.uk`` -> ``example.org.uk``,
    ``example.uk``, ``example.co``."""
    left, suffix = split(name)
    if len(suffix) < 2:
        return
    sld, tld = suffix[-2], suffix[-1]
    rest = suffix[:-2]
    for other in second_levels().get(tld, ()):
        if other != sld:
            yield _join(*left, *rest, other, tld), 0.6 + 0.4 * rank.popularity().get(other, 0.0)
    yield _join(*left, *rest, tld), 0.9  # the second level left out: example.uk
    if sld in names.tlds():
        yield _join(*left, *rest, sld), 0.8  # the ccTLD left out: example.co


def dot_moved(name: Name) -> Iterator[Slip]:
    """A dot typed one character early or late: ``amazon.com`` -> ``amazonc.om``, ``amazo.ncom``."""
    text = ".".join(unicode_labels(name))
    last = text.rfind(".")
    for p, ch in enumerate(text):
        if ch != ".":
            continue
        factor = 1.0 if p == last else 0.8
        if p > 1:
            yield text[: p - 1] + "." + text[p - 1] + text[p + 1 :], factor
        if p + 2 < len(text):
            yield text[:p] + text[p + 1] + "." + text[p + 2 :], factor


def dot_dropped(name: Name) -> Iterator[Slip]:
    """A dot between two labels left out: ``aus.intel.com`` -> ``ausintel.com``, ``example.co.uk`` ->
    ``exampleco.uk``, and the dot of a ``www.`` typed in front: ``wwwexample.com``. (Dropping the
    TLD's dot leaves no TLD: see ``tld_fusion``.)"""
    labels = unicode_labels(name)
    for i in range(len(labels) - 2):
        yield ".".join((*labels[:i], labels[i] + labels[i + 1], *labels[i + 2 :])), 1.0
    if name.ascii == name.apex:  # the "www." people type in front, its dot left out: wwwexample.com
        yield "www" + ".".join(labels), rank.WWW_DROPPED


def country_tld(name: Name, countries: Iterable[tuple[str, str]]) -> Iterator[Slip]:
    """A country code joined to the main label under that country's own TLD: ``paypal.com`` ->
    ``paypal-uk.uk``, ``paypalde.de``, ``de-paypal.de``."""
    left, suffix = split(name)
    brand = left[-1]
    real = names.tlds()
    for code, _name in countries:
        if code not in real or code == suffix[-1]:
            continue
        yield _join(*left[:-1], f"{brand}-{code}", code), 1.0
        yield _join(*left[:-1], f"{brand}{code}", code), rank.FUSED
        yield _join(*left[:-1], f"{code}-{brand}", code), rank.COUNTRY_BEFORE


def dot_inserted(name: Name) -> Iterator[Slip]:
    """A dot typed inside the name's main label: ``example.com`` -> ``exam.ple.com``."""
    left, suffix = unicode_split(name)
    brand = left[-1]
    n = len(brand)
    for i in range(1, n):
        yield _join(*left[:-1], brand[:i], brand[i:], *suffix), rank.at(i, n)


def dot_hyphen(name: Name) -> Iterator[Slip]:
    """A dot written as a hyphen or a hyphen as a dot: ``us.army.mil`` -> ``us-army.mil``,
    ``aus.intel.com`` -> ``aus-intel.com``, ``example.co.uk`` -> ``example-co.uk``, ``my-bank.com``
    -> ``my.bank.com``; and the dot after a typed ``www``: ``www-example.com``."""
    labels = unicode_labels(name)
    for i in range(len(labels) - 2):
        yield ".".join((*labels[:i], labels[i] + "-" + labels[i + 1], *labels[i + 2 :])), 1.0
    left, suffix = unicode_split(name)
    brand = left[-1]
    for i, ch in enumerate(brand):
        if ch == "-":
            yield _join(*left[:-1], brand[:i], brand[i + 1 :], *suffix), 0.8
    if name.ascii == name.apex:  # the dot after a typed "www" written as a hyphen: www-example.com
        yield "www-" + ".".join(labels), rank.WWW_DROPPED


def tld_fusion(name: Name) -> Iterator[Slip]:
    """The suffix fused into the main label, under the original TLD or a common one:
    ``army.mil`` -> ``armymil.com``, ``army-mil.com``, ``armymil.mil``."""
    left, suffix = unicode_split(name)
    brand = left[-1]
    tlds = dict.fromkeys((suffix[-1], *FUSION_TLDS))
    for joiner in ("", "-"):
        fused = brand + joiner + joiner.join(suffix)
        for tld in tlds:
            weight = 1.0 if tld == "com" else max(0.5, rank.popularity().get(tld, 0.0))
            yield _join(*left[:-1], fused, tld), weight * (1.0 if joiner else rank.FUSED)


def append_tlds(tld: str, kb: Keyboard) -> tuple[str, ...]:
    """TLDs worth appending to a whole name: the TLD's own typos (army.mil.ml) and the popular ones."""
    chosen = dict.fromkeys(sorted(tld_typos_of(tld, kb)))
    chosen.update(dict.fromkeys(sorted(rank.popularity())))
    return tuple(t for t in chosen if t in names.tlds())


def tld_append(name: Name, kb: Keyboard) -> Iterator[Slip]:
    """The whole name with another TLD after it: ``army.mil`` -> ``army.mil.ml`` (under ``mil.ml``)."""
    typos = tld_typos_of(name.tld, kb)
    for tld in append_tlds(name.tld, kb):
        factor = typos.get(tld) or rank.popularity().get(tld, 0.0)
        yield f"{name.ascii}.{tld}", max(factor, 0.3)
