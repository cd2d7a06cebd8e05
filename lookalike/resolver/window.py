"""The adaptive in-flight window for one upstream resolver: how many questions to keep in flight to
it, and how fast to send them, from how it answers.

Congestion control in the manner of TCP, fitted to DNS (every question is its own round trip):

* **grow** while replies come back definite and latency stays near its floor: one more question per
  answer (doubling per round trip) until the first cut, then about 5% per round trip;
* **cut** (to 70%, or at once to what the resolver answered per round trip when that is less) when
  more than ``LOSS_SHARE`` of an interval's questions were lost (no reply
  within the retransmission timeout while later questions were answered; a random 0.5% loss is a
  lossy path, not congestion), or more than ``FAILURE_SHARE`` of its replies were SERVFAIL/REFUSED,
  and (to 85%) when the replies of an interval took well above the floor on average: a queue is
  standing, at the resolver or in this process (a loop busy with stage 2 delays every reply), and
  more in flight only lengthens it while every stage-2 question waits in it;
* **pace** when losses persist after a loss cut: a resolver that rate-limits drops above a rate,
  which no window can find on loopback (a window of one is already tens of thousands of questions
  a second), so the sends are paced at 95% of the rate the resolver delivered in the last second,
  and that pace grows 1% per clean interval until it no longer binds (a second without a cut, and
  sending at twice the rate the resolver answers);
* **recover**: at most one cut per interval, and losses among questions sent before a cut do not
  count again; a cut for rising latency never goes below ``INITIAL`` (a busy machine is slow
  everywhere, and a tiny window would only starve the scan); and a loss cut whose "losses" then
  turn out to be late replies (half of them or more) is undone, as TCP's Eifel detection does.

``fixed`` keeps the window at the ceiling and never paces: the behaviour before this module.

Pure: no sockets, no asyncio, no clock of its own. The transport tells it what happened and when
(``now`` in seconds from any monotonic clock); the tests drive it with invented replies.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass
from typing import Final

INITIAL: Final = 256
"""The window a resolver starts with (clipped to the ceiling), and the least a rise in latency cuts it
to: the fixed window lookalike had before, which kept loopback and distant resolvers alike busy."""
MINIMUM: Final = 2
INTERVAL: Final = 0.05
"""Seconds per measurement interval, at least; a round trip when that is longer."""
LOSS_SHARE: Final = 0.02
FAILURE_SHARE: Final = 0.10
MIN_EVENTS: Final = 4
"""Fewer losses or failures than this in an interval never cut: a few are noise."""
LOSS_CUT: Final = 0.7
LATENCY_CUT: Final = 0.85
LATENCY_FACTOR: Final = 2.0
LATENCY_SLACK: Final = 0.005
"""An interval whose replies took more than ``floor * LATENCY_FACTOR + LATENCY_SLACK`` seconds on
average saw a standing queue. On loopback that keeps about 5 ms of questions
queued at the resolver: enough to keep it busy, short enough for stage 2's round trips."""
LOOP_GRAIN: Final = 0.01
"""A round trip is never taken as shorter than this when sizing a window from a rate: an event loop
sends in batches, and a window of a few questions on loopback would cap the rate below the pace."""
MIN_RTO: Final = 0.2
"""A question unanswered this long after later ones were answered is presumed lost (for the window
only: its retry still waits for ``Limits.timeout``)."""
PACE_GAIN: Final = 0.95
PACE_GROWTH: Final = 1.01
RATE_SPAN: Final = 1.0
"""Seconds over which the delivered rate is measured for the pace."""
FLOOR_MEMORY: Final = 10.0
"""The latency floor is the lowest interval mean of the last this many seconds (a path can change).
A mean, not the fastest single reply: one odd sample must not move every later judgement."""
TRACE_EVERY: Final = 0.1
TRACE_POINTS: Final = 2000


@dataclass(frozen=True, slots=True)
class WindowReport:
    """Where an upstream's window settled and why, for the scan's details and the benchmark."""

    server: str
    window: int
    """The window at the end (queries in flight allowed)."""
    ceiling: int
    adaptive: bool
    reason: str
    """What last moved it: ``"latency 3.1 ms over a floor of 0.4 ms"``, ``"losses 6% (48 of 800)"``."""
    floor_ms: float
    """The lowest mean latency of an interval seen recently."""
    pace: float
    """Questions per second the sends were paced at, at the end; 0: not paced."""
    cuts: int
    trace: tuple[tuple[float, int, float], ...] = ()
    """(seconds since the resolver opened, window, pace) every ``TRACE_EVERY`` seconds, and at
    every cut."""

    def summary(self) -> str:
        if not self.adaptive:
            return f"{self.server}: fixed at {self.window}"
        paced = f", paced at {self.pace:,.0f}/s" if self.pace else ""
        return (
            f"{self.server}: settled at {self.window} of {self.ceiling}{paced} ({self.reason};"
            f" floor {self.floor_ms:.1f} ms, {self.cuts} cuts)"
        )


class Window:
    """The window of one upstream. ``room()`` says whether a question may be sent now."""

    __slots__ = (
        "_answered",
        "_delivered",
        "_epoch",
        "_failed",
        "_floor_next",
        "_floor_since",
        "_interval_count",
        "_interval_end",
        "_interval_sum",
        "_last_trace",
        "_late_replies",
        "_loss_cut_at",
        "_lost",
        "_next_send",
        "_start",
        "_trace",
        "_undo",
        "ceiling",
        "cuts",
        "fixed",
        "floor",
        "in_flight",
        "pace",
        "reason",
        "rttvar",
        "size",
        "srtt",
        "ssthresh",
    )

    def __init__(self, ceiling: int, *, fixed: bool = False, now: float = 0.0) -> None:
        self.ceiling = max(1, ceiling)
        self.fixed = fixed
        self.size = float(self.ceiling if fixed else min(INITIAL, self.ceiling))
        self.ssthresh = math.inf
        self.in_flight = 0
        self.floor = math.inf
        self.srtt = 0.0
        self.rttvar = 0.0
        self.pace = 0.0
        self.cuts = 0
        self.reason = "fixed" if fixed else "starting"
        self._start = now
        self._epoch = now
        self._undo: tuple[float, float, float, str, int] | None = None
        """(size, ssthresh, pace, reason, losses) before the last loss cut, to undo it."""
        self._late_replies = 0
        self._loss_cut_at: float | None = None
        self._next_send = now
        self._floor_next = math.inf
        self._floor_since = now
        self._interval_end = now + INTERVAL
        self._interval_sum = 0.0
        self._interval_count = 0
        self._answered = 0
        self._failed = 0
        self._lost = 0
        self._delivered: collections.deque[tuple[float, int]] = collections.deque()
        self._trace: list[tuple[float, int, float]] = [(0.0, int(self.size), 0.0)]
        self._last_trace = now

    # -- what the transport asks -------------------------------------------------------------------

    def room(self) -> bool:
        """May one more question be in flight?"""
        return self.in_flight < self.size

    def wait(self, now: float) -> float:
        """Seconds until the pace allows the next send (0: now)."""
        return 0.0 if not self.pace or now >= self._next_send else self._next_send - now

    def rto(self) -> float:
        """How long an answer may take before the question is presumed lost."""
        return max(MIN_RTO, 2 * self.srtt + 4 * self.rttvar)

    # -- what the transport tells ------------------------------------------------------------------

    def sent(self, now: float) -> None:
        self.in_flight += 1
        if self.pace:
            # A small burst allowance (5 ms worth) so the loop's timer resolution does not cap the pace.
            self._next_send = max(self._next_send, now - 0.005) + 1.0 / self.pace

    def answered(self, now: float, rtt: float, definite: bool) -> None:
        """A reply to a question sent ``rtt`` seconds ago. ``definite``: NOERROR or NXDOMAIN."""
        self.in_flight -= 1
        if self.fixed:
            return
        self._interval_sum += rtt
        self._interval_count += 1
        if self.srtt:
            self.rttvar += 0.25 * (abs(self.srtt - rtt) - self.rttvar)
            self.srtt += 0.125 * (rtt - self.srtt)
        else:
            self.srtt, self.rttvar = rtt, rtt / 2
        if not definite:
            self._failed += 1
            return
        self._answered += 1
        size = self.size
        if size < self.ceiling and (
            self.floor == math.inf or rtt <= self.floor * LATENCY_FACTOR + LATENCY_SLACK
        ):
            if size < self.ssthresh:
                size += 1.0
            else:
                size += max(1.0, 0.05 * size) / size
            self.size = min(size, float(self.ceiling))

    def lost(self, now: float, sent_at: float) -> None:
        """A question sent at ``sent_at`` got no reply in time (or was presumed lost)."""
        self.in_flight -= 1
        if not self.fixed and sent_at >= self._epoch:
            self._lost += 1

    def late(self, now: float, sent_at: float) -> None:
        """A reply to a question already counted lost (by ``lost``): the loss was not one."""
        undo = self._undo
        if self.fixed or undo is None or sent_at >= self._epoch:
            return
        self._late_replies += 1
        if self._late_replies * 2 >= undo[4]:
            self.size, self.ssthresh, self.pace, reason, _ = undo
            self.reason = (
                f"undid a cut: its losses were late replies (before: {reason.split(' (before: ')[0]})"
            )
            self._undo = None
            self._loss_cut_at = None
            self._record(now)

    def abandoned(self) -> None:
        """A question given up without a verdict (the scan stopped)."""
        self.in_flight -= 1

    def tick(self, now: float) -> bool:
        """Close the measurement interval when it is over; True when the window changed."""
        if self.fixed or now < self._interval_end:
            return False
        if now - self._floor_since > FLOOR_MEMORY and self._floor_next < math.inf:
            self.floor, self._floor_next, self._floor_since = self._floor_next, math.inf, now
        answered, failed, lost = self._answered, self._failed, self._lost
        mean = self._interval_sum / self._interval_count if self._interval_count else 0.0
        if self._interval_count:
            self.floor = min(self.floor, mean)
            self._floor_next = min(self._floor_next, mean)
        self._answered = self._failed = self._lost = self._interval_count = 0
        self._interval_sum = 0.0
        self._interval_end = now + max(INTERVAL, self.srtt)
        self._delivered.append((now, answered))
        while self._delivered and self._delivered[0][0] < now - RATE_SPAN:
            self._delivered.popleft()
        replies = answered + failed + lost
        changed = False
        if lost >= MIN_EVENTS and lost > LOSS_SHARE * replies:
            # Losses that persist within a second of the last loss cut are a limit, not a stall:
            # only then are the sends paced.
            persist = self._loss_cut_at is not None and now - self._loss_cut_at <= RATE_SPAN
            undo = (self.size, self.ssthresh, self.pace, self.reason, lost)
            # What the resolver actually answered per round trip is what it holds: cut to that at
            # once when it is far below the window (one cut, not five in a row while retries pile up).
            held = self._rate(now) * max(self.srtt, LOOP_GRAIN)
            factor = LOSS_CUT if held <= 0 else max(held / self.size, 0.0)
            changed = self._cut(
                now, min(LOSS_CUT, factor), f"losses {lost / replies:.0%} ({lost} of {replies})"
            )
            if changed:
                self._undo, self._late_replies, self._loss_cut_at = undo, 0, now
                if persist or self.pace:
                    self._set_pace(now)
        elif failed >= MIN_EVENTS and failed > FAILURE_SHARE * replies:
            changed = self._cut(
                now, LOSS_CUT, f"SERVFAIL/REFUSED {failed / replies:.0%} ({failed} of {replies})"
            )
        elif mean > self.floor * LATENCY_FACTOR + LATENCY_SLACK and self.size > INITIAL:
            changed = self._cut(
                now, LATENCY_CUT, f"latency {mean * 1e3:.1f} ms over a floor of {self.floor * 1e3:.1f} ms"
            )
        elif self.pace and replies:
            self.pace *= PACE_GROWTH
            if now - self._epoch > RATE_SPAN and self.pace > 2 * self._rate(now):
                self.pace = 0.0  # no longer binds: the window alone governs again
                self.reason = "pace lifted"
        if answered and self.reason == "starting":
            self.reason = "growing"
        if changed or now - self._last_trace >= TRACE_EVERY:
            self._record(now)
        return changed

    # -- reports -----------------------------------------------------------------------------------

    def report(self, server: str) -> WindowReport:
        return WindowReport(
            server=server,
            window=int(self.size),
            ceiling=self.ceiling,
            adaptive=not self.fixed,
            reason=self.reason,
            floor_ms=round(self.floor * 1e3, 3) if self.floor < math.inf else 0.0,
            pace=round(self.pace, 1),
            cuts=self.cuts,
            trace=tuple(self._trace),
        )

    # -- inside ------------------------------------------------------------------------------------

    def _cut(self, now: float, factor: float, reason: str) -> bool:
        if now < self._epoch:
            return False
        least = float(INITIAL if factor == LATENCY_CUT else MINIMUM)
        self.size = max(min(least, self.size), self.size * factor)
        self.ssthresh = self.size
        self.reason = reason
        self.cuts += 1
        # Losses among questions sent before now were caused by the old window: do not cut for them
        # again. The next interval starts clean.
        self._epoch = now
        return True

    def _set_pace(self, now: float) -> None:
        """After a loss: pace at what the resolver delivered, but never below ``LOSS_CUT`` of the
        pace before (a second in which it delivered little must not stall the scan for long)."""
        rate = PACE_GAIN * self._rate(now)
        if self.pace:
            rate = max(rate, LOSS_CUT * self.pace)
        if rate > 0:
            self.pace = max(10.0, rate)
            self._next_send = now

    def _rate(self, now: float) -> float:
        """Definite answers per second over the last ``RATE_SPAN``."""
        if not self._delivered:
            return 0.0
        span = max(INTERVAL, now - self._delivered[0][0] + INTERVAL)
        return sum(count for _, count in self._delivered) / span

    def _record(self, now: float) -> None:
        self._last_trace = now
        if len(self._trace) >= TRACE_POINTS:
            del self._trace[1::2]  # keep the shape, halve the detail
        self._trace.append((round(now - self._start, 3), int(self.size), round(self.pace, 1)))
