"""The bounds a number must keep to be a setting: seconds, rates, counts, ports.

``Limits``, ``Endpoints`` and ``Settings`` declare each numeric field with one of these (``seconds``,
``rate``, ``count``, ``port``) and check every field when they are built, so the config file, the
command line and a library caller are refused the same values with the same line (``Bound.check``).
The CLI checks its other numbers (a scan id, ``--older-than``) with the same bounds.

Why bounded above as well as below: ``inf`` seconds is a wait that never ends, and so, in practice, is
``1e308``; 100,000 retries of an exponential backoff overflow a float; a count of 10**30 overflows an
SQLite integer. A bound names what a sane value is, and refuses the rest with one line.

Must not: know where a value came from (the caller says, if it wants to: ``config`` prefixes the file
and table), or import anything of lookalike's but ``errors``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from lookalike.errors import LookalikeError

__all__ = [
    "DAY",
    "HOUR",
    "Bound",
    "bound_of",
    "bounded",
    "check_fields",
    "count",
    "port",
    "rate",
    "seconds",
]

HOUR = 3600.0
DAY = 86400.0
SQLITE_INT = 2**63 - 1
"""The largest integer SQLite stores: a row id, a count, a LIMIT."""


def _number(value: float, grouped: bool) -> str:
    whole = isinstance(value, int) or value.is_integer()
    if not grouped:
        return str(int(value)) if whole else str(value)
    return f"{int(value):,}" if whole else f"{value:,}"


@dataclass(frozen=True, slots=True)
class Bound:
    """What a number must be: whole or not, the least and the most it may be, and what 0 means when
    0 is allowed below the least (``rate``: "0 (no limit)")."""

    noun: str
    """What the value is, for the message: "a number of seconds", "a port number"."""
    whole: bool
    least: float
    most: float
    open_least: bool = False
    """``least`` itself is not allowed (a wait is more than 0 seconds)."""
    zero: str = ""
    """What 0 means when it is allowed although ``least`` is not ("no limit"); "" when it is not."""
    grouped: bool = True
    """Write the bounds with thousands separators (not for a port: 65535)."""

    def describe(self) -> str:
        """The rule in words: "a number of seconds above 0, at most 3,600"."""
        least, most = _number(self.least, self.grouped), _number(self.most, self.grouped)
        if self.most >= SQLITE_INT:
            span = f"above {least}" if self.open_least else f"of at least {least}"
        elif self.open_least:
            span = f"above {least}, at most {most}"
        else:
            span = f"from {least} to {most}"
        rule = f"{self.noun} {span}"
        return f"0 ({self.zero}) or {rule}" if self.zero else rule

    def accepts(self, value: object) -> bool:
        """True when ``value`` is a number (not a bool) of the right kind within the bounds."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if (self.whole and not isinstance(value, int)) or not math.isfinite(value):
            return False
        if self.zero and value == 0:
            return True
        above = value > self.least if self.open_least else value >= self.least
        return above and value <= self.most

    def check(self, name: str, value: object) -> None:
        """Raise ``LookalikeError`` ("timeout must be a number of seconds above 0, at most 3,600, not
        inf") unless ``value`` keeps to this bound."""
        if not self.accepts(value):
            raise LookalikeError(f"{name} must be {self.describe()}, not {_given(value)}")


def _given(value: object) -> str:
    """A refused value as the line shows it: the same for 2 and 2.0 (the file and the command line
    hand over one or the other), capped."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
        text = str(int(value))
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def seconds(most: float = HOUR) -> Bound:
    """A wait: more than 0 seconds and finite, at most ``most``."""
    return Bound("a number of seconds", whole=False, least=0.0, most=most, open_least=True)


def rate(most: float = 1_000_000.0) -> Bound:
    """Requests per second: 0 (no limit), or a finite rate above 0 up to ``most``."""
    return Bound("a rate per second", whole=False, least=0.0, most=most, open_least=True, zero="no limit")


def count(least: int = 1, most: int = SQLITE_INT) -> Bound:
    """A whole number from ``least`` to ``most``."""
    return Bound("a whole number", whole=True, least=least, most=most)


def port() -> Bound:
    """A TCP or UDP port."""
    return Bound("a port number", whole=True, least=1, most=65535, grouped=False)


_KEY = "bound"


def bounded(default: Any, bound: Bound) -> Any:
    """A dataclass field with ``default`` whose value must keep to ``bound`` (see ``check_fields``)."""
    return field(default=default, metadata={_KEY: bound})


def bound_of(cls: type, name: str) -> Bound | None:
    """The bound field ``name`` of dataclass ``cls`` was declared with (None: none)."""
    found: Bound | None = next(f for f in fields(cls) if f.name == name).metadata.get(_KEY)
    return found


def check_fields(obj: Any) -> None:
    """Check every bounded field of dataclass instance ``obj``, and that every ``bool`` field holds
    a bool: the first that does not raises ``LookalikeError`` naming the field."""
    for spec in fields(obj):
        value = getattr(obj, spec.name)
        bound = spec.metadata.get(_KEY)
        if bound is not None:
            bound.check(spec.name, value)
        elif spec.type in ("bool", bool) and not isinstance(value, bool):
            raise LookalikeError(f"{spec.name} must be true or false, not {_given(value)}")
