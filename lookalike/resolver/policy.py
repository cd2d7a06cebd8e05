"""The attempt policy: given a reply (or its absence), what happens next to one question.

A plain object in the manner of dnspython's ``_Resolution``: no sockets, no clock, no asyncio. The
transport asks it where to send each attempt and how long to back off first, and tells it what came
back; it answers with a ``Step``::

    reply                                                  step
    NOERROR with records or NODATA, NXDOMAIN (UDP or TCP)   DONE   OK / ABSENT
    the same with TC set, over UDP                          TCP    ask the same server over TCP
    NOERROR, no answer, neither AA nor RA (a referral)      RETRY  REFUSED  "non-recursive referral"
    SERVFAIL, REFUSED, unreachable                          RETRY  REFUSED
    malformed, FORMERR, NOTIMP, BADVERS, other RCODEs       RETRY  ERROR
    no reply in time                                        RETRY  TIMEOUT
    RETRY with no attempt left                              DONE   the last unknown status

Retries rotate over the resolvers, starting after the one that took the first attempt, and back
off exponentially with jitter. ``definite`` is the one test of "this reply settles the question";
the triage fast path uses it too.

The RCODE is the whole 12-bit one: the header's four bits and, in an OPT record, eight more
(RFC 6891 §6.1.3): a NOERROR header whose OPT says BADVERS is BADVERS, not NOERROR.
"""

from __future__ import annotations

import collections
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from lookalike import dnswire
from lookalike.model import Status

MALFORMED: Final = -1
"""A local verdict standing in for an RCODE: the reply did not hold what its header counts."""
UNREACHABLE: Final = -2
"""A local verdict: ICMP port unreachable, a refused or closed TCP connection, a failed send."""
TIMEOUT_WHAT: Final = "timeout"


class Action(enum.Enum):
    DONE = "done"
    RETRY = "retry"
    TCP = "tcp"


@dataclass(frozen=True, slots=True)
class Step:
    """What to do after one attempt."""

    action: Action
    status: Status
    """DONE: the question's status. RETRY: the status this attempt would leave, were it the last."""
    what: str = ""
    """For a failed attempt: what it got (``"SERVFAIL"``), for the summary of the attempts."""


def definite(rcode: int, flags: int, ancount: int) -> bool:
    """True when a reply settles the question as it stands: NXDOMAIN, or NOERROR that is not a bare
    referral. ``flags`` is the reply's third and fourth header octets (``data[2] << 8 | data[3]``);
    ``rcode`` the full RCODE. A truncated reply is definite only once asked again over TCP."""
    if rcode == dnswire.NXDOMAIN:
        return True
    return rcode == dnswire.NOERROR and not referral(flags, ancount)


def referral(flags: int, ancount: int) -> bool:
    """A NOERROR with no answer, not authoritative (AA) and without recursion available (RA): a
    referral from a server that does not resolve. It says nothing about the name."""
    return not flags & 0x0400 and not flags & 0x0080 and not ancount


def truncated(flags: int) -> bool:
    return bool(flags & 0x0200)


def failure(rcode: int) -> tuple[str, Status]:
    """What an unsettling reply is called, and the unknown status it leaves."""
    if rcode == dnswire.SERVFAIL:
        return "SERVFAIL", Status.REFUSED
    if rcode == dnswire.REFUSED:
        return "REFUSED", Status.REFUSED
    if rcode == UNREACHABLE:
        return "unreachable", Status.REFUSED
    if rcode == MALFORMED:
        return "malformed reply", Status.ERROR
    return dnswire.RCODE_NAMES.get(rcode, f"RCODE {rcode}"), Status.ERROR


def summarise(failures: Sequence[tuple[str, str]]) -> str:
    """``SERVFAIL from 127.0.0.1:5353 x3, timeout from 127.0.0.1:5354``: what each attempt got."""
    if not failures:
        return "no attempt was made"
    counts = collections.Counter(failures)
    return ", ".join(
        f"{what} from {label}" + (f" x{counts[(what, label)]}" if counts[(what, label)] > 1 else "")
        for what, label in dict.fromkeys(failures)
    )


class Attempts:
    """The attempts of one question: where each goes, and what each reply means.

    ``first`` > 0 continues a question whose earlier attempts were made elsewhere (the triage fast
    path sends the first attempt itself); ``failures`` then holds what they got.
    """

    __slots__ = ("_count", "_failures", "_last", "_next", "_random", "_retries", "_start", "_timeout")

    def __init__(
        self,
        *,
        start: int,
        servers: int,
        retries: int,
        timeout: float,
        first: int = 0,
        failures: list[tuple[str, str]] | None = None,
        random: Callable[[], float],
    ) -> None:
        self._start = start
        self._count = servers
        self._retries = retries
        self._timeout = timeout
        self._next = first
        self._failures = failures if failures is not None else []
        self._last = Status.TIMEOUT
        self._random = random

    @property
    def attempt(self) -> int:
        """The number of the attempt about to be made (0: the first)."""
        return self._next

    def next_server(self) -> int | None:
        """The index of the resolver for the next attempt; None when none is left."""
        if self._next > self._retries:
            return None
        server = (self._start + self._next) % self._count
        self._next += 1
        return server

    def backoff(self) -> float:
        """Seconds to wait before the attempt just taken from ``next_server`` (0 for the first): a
        tenth of the timeout, doubling per retry, capped at the timeout, with jitter so retries do
        not march in step."""
        attempt = self._next - 1
        if attempt <= 0:
            return 0.0
        base = min(self._timeout, self._timeout / 10 * 2.0 ** (attempt - 1))
        return base * (0.5 + self._random() / 2)

    def timed_out(self, label: str, what: str = TIMEOUT_WHAT) -> Step:
        self._failures.append((what, label))
        self._last = Status.TIMEOUT
        return Step(Action.RETRY, Status.TIMEOUT, what)

    def replied(self, rcode: int, flags: int, ancount: int, label: str, *, tcp: bool) -> Step:
        """Judge one reply (``flags``: header octets 2 and 3; ``rcode``: the full RCODE)."""
        if rcode in (dnswire.NOERROR, dnswire.NXDOMAIN) and truncated(flags) and not tcp:
            return Step(Action.TCP, Status.TIMEOUT)
        if rcode == dnswire.NXDOMAIN:
            return Step(Action.DONE, Status.ABSENT)
        if rcode == dnswire.NOERROR:
            if not referral(flags, ancount):
                return Step(Action.DONE, Status.OK)
            what, status = "non-recursive referral", Status.REFUSED
        else:
            what, status = failure(rcode)
        self._failures.append((what, label))
        self._last = status
        return Step(Action.RETRY, status, what)

    def outcome(self) -> tuple[Status, str]:
        """After the last attempt failed: the status it left and what every attempt got."""
        return self._last, summarise(self._failures)


@dataclass(frozen=True, slots=True)
class Answer:
    """How one question ended after all its attempts."""

    status: Status
    """OK for NOERROR, ABSENT for NXDOMAIN, else the unknown status of the last attempt."""
    data: bytes
    detail: str


def said(rcode: int, label: str, *, tcp: bool) -> str:
    """``NXDOMAIN from 127.0.0.1:53 over TCP``: who settled a question, and how."""
    return f"{dnswire.RCODE_NAMES.get(rcode, f'RCODE {rcode}')} from {label}{' over TCP' if tcp else ''}"
