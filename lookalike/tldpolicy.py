"""Who may register under a public suffix: the restricted and local-presence TLDs.

Holds ``TldPolicy`` (one suffix's rule), ``WholeTld`` (a slip TLD worth blocking whole) and the
look-ups over ``data/tld-policy.toml`` (``policy_for``, ``tld_policy``, ``whole_tld_slips``), loaded
once. Both candidate generation (``lookalike.permute`` ranks names a third party cannot register
below the rest) and the advice (``lookalike.plan``: what to register, what to block) read it here.

Pure: reads its one data file and nothing else; no network, no clock, no printing. It must not import
the permutation engine or the plan: both import it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from lookalike.datafiles import data_path
from lookalike.errors import LookalikeError

__all__ = ["TLD_POLICY_FILE", "TldPolicy", "WholeTld", "policy_for", "tld_policy", "whole_tld_slips"]

TLD_POLICY_FILE = "tld-policy.toml"


@dataclass(frozen=True, slots=True)
class TldPolicy:
    """Who may register under one public suffix, from ``data/tld-policy.toml``."""

    suffix: str
    """The listed suffix (``mil``, ``gov.uk``, ``au``)."""
    kind: str
    """``restricted`` or ``local-presence``."""
    who: str
    source: str

    def __str__(self) -> str:
        return f"{'restricted' if self.kind == 'restricted' else 'local presence'}: {self.who}"


@dataclass(frozen=True, slots=True)
class WholeTld:
    """A TLD one slip from a protected TLD, worth blocking whole in outbound mail."""

    tld: str
    typo_of: str
    why: str
    source: str


@dataclass(frozen=True, slots=True)
class _PolicyTable:
    suffixes: Mapping[str, TldPolicy]
    whole_tld: tuple[WholeTld, ...]


_KINDS = ("restricted", "local-presence")


@cache
def _policy_table() -> _PolicyTable:
    path = data_path(TLD_POLICY_FILE)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
        suffixes: dict[str, TldPolicy] = {}
        for key, entry in data.get("suffix", {}).items():
            suffix = key.lower().strip(".")
            kind = entry["kind"]
            if kind not in _KINDS:
                raise ValueError(f"suffix {key!r}: kind must be one of {_KINDS}, not {kind!r}")
            suffixes[suffix] = TldPolicy(suffix, kind, str(entry["who"]), str(entry["source"]))
        slips = tuple(
            WholeTld(
                e["tld"].lower().strip("."), e["typo_of"].lower().strip("."), str(e["why"]), str(e["source"])
            )
            for e in data.get("whole_tld", [])
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise LookalikeError(f"the TLD policy table {TLD_POLICY_FILE} is unreadable: {exc}") from exc
    return _PolicyTable(MappingProxyType(suffixes), slips)


def policy_for(domain: str) -> TldPolicy | None:
    """The policy of the longest listed suffix of ``domain``; None when the TLD is open (not listed)."""
    labels = domain.lower().strip(".").split(".")
    table = _policy_table().suffixes
    for i in range(len(labels)):
        found = table.get(".".join(labels[i:]))
        if found is not None:
            return found
    return None


def tld_policy(domain: str) -> str:
    """``open``, ``restricted: <who may register>`` or ``local presence: <requirement>`` for the
    domain's public suffix or TLD. ``open`` means "not known to be restricted"."""
    found = policy_for(domain)
    return str(found) if found is not None else "open"


def whole_tld_slips() -> tuple[WholeTld, ...]:
    """The reviewed whole-TLD blocks (``data/tld-policy.toml``, ``[[whole_tld]]``)."""
    return _policy_table().whole_tld
