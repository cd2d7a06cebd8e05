"""What the matcher answers: a ``Match`` (which protected domain a name imitates, how, how plausibly
and why) and the ``Step`` chain that explains it.

Pure data. Must not: compute anything beyond what a field's docstring promises.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lookalike.model import Candidate, Technique
from lookalike.permute.pool import DIGITS


class Route(StrEnum):
    """Which index found the name. Every route ends in a chain of slips ``generate`` makes."""

    EXACT = "exact"
    """``generate`` lists the name (or a parent of it) among the protected domain's candidates."""
    SUFFIX = "suffix"
    """The protected label under another public suffix (``paypal.shop``)."""
    GLYPHS = "glyphs"
    """The same skeleton: letters swapped for look-alikes (``pаypa1.com``)."""
    EDITS = "edits"
    """One or two edits of the protected label (the deletion neighbourhood)."""
    DOTS = "dots"
    """The same letters with the dots elsewhere (``amazonc.om``, ``armymil.xyz``)."""
    WORDS = "words"
    """The protected label inside a longer label (``paypal-payroll-portal.com``)."""
    SUBDOMAIN = "subdomain"
    """The protected label or name in front of someone else's domain (``paypal.com.evil.net``)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One slip that ``generate`` makes, as part of an explanation."""

    before: str
    """What the slip starts from: the protected label, suffix or name."""
    after: str
    """What it makes."""
    techniques: tuple[Technique, ...]
    plausibility: float
    """``generate``'s plausibility for this slip alone, applied to the protected domain."""

    def __str__(self) -> str:
        made_by = ",".join(t.value for t in self.techniques)
        return f"{self.before} -> {self.after} ({made_by} {self.plausibility:.2f})"


@dataclass(frozen=True, slots=True)
class Match:
    """A name that imitates a protected domain.

    ``generated`` is True when ``generate`` itself lists ``domain`` for ``protected`` (its plausibility
    is then ``generate``'s own); otherwise the name is a chain of slips ``generate`` makes one at a
    time, and the plausibility multiplies theirs, as ``generate --depth 2`` does for two.
    """

    name: str
    """The name as seen (ASCII, lower case, no trailing dot or leading ``*.``): ``login.paypa1.com``."""
    domain: str
    """The lookalike within it (ASCII): ``paypa1.com``; for the subdomain route, the part of the name
    from the imitating label on (``paypal.com.evil.net``)."""
    unicode: str
    """``domain`` for display."""
    protected: str
    """The protected domain it imitates (ASCII), as it was given."""
    techniques: tuple[Technique, ...]
    """Every technique of every step, in ``Technique`` order."""
    plausibility: float
    """0..1, ``generate``'s model (see the class docstring)."""
    route: Route
    steps: tuple[Step, ...]
    """The slips, in order: together they turn the protected domain into ``domain``."""
    apex: str
    """The registrable domain that holds ``domain``: what a registry or a takedown would be about."""
    generated: bool = False
    registrable: bool = True
    """False when ``generate`` marks an IDN lookalike as one no registry would accept."""
    note: str = ""
    """``generate``'s note on an IDN lookalike's registrability."""

    @property
    def why(self) -> str:
        """One line: the steps, or that generate lists the name."""
        chain = "; ".join(str(s) for s in self.steps)
        if self.generated:
            return f"generate lists {self.domain} for {self.protected}: {chain}"
        return f"{self.domain} from {self.protected}: {chain}"

    def candidate(self) -> Candidate:
        """The match as a ``Candidate`` of the usual scan."""
        return Candidate(
            domain=self.domain,
            unicode=self.unicode,
            protected=self.protected,
            techniques=self.techniques,
            plausibility=self.plausibility,
            apex=self.apex,
            registrable=self.registrable,
            note=self.note,
        )


def rounded(plausibility: float) -> float:
    """A plausibility as ``generate`` prints it: at most 1, rounded to its digits."""
    return round(min(1.0, max(0.0, plausibility)), DIGITS)


__all__ = ["Match", "Route", "Step", "rounded"]
