"""The adaptive window, driven with invented replies and an invented clock: no sockets, no sleeping.

A small simulated resolver (``Path``) answers what is sent to it after a fixed delay, drops what
exceeds its capacity or its rate, and the window is run against it tick by tick the way the
transport runs it. The claims are about behaviour: it grows on a clean path, settles near a
capacity, paces under a rate limit, recovers when the pressure goes, and a fixed window never moves.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike.resolver import window as w
from lookalike.resolver.window import Window


@dataclass
class Path:
    """A resolver ``delay`` seconds away that drops above ``capacity`` held or ``rate`` per second."""

    delay: float
    capacity: int = 0
    rate: float = 0.0
    held: collections.deque[float] = field(default_factory=collections.deque)
    second: int = -1
    this_second: int = 0
    sent: int = 0
    answered: int = 0
    lost: list[float] = field(default_factory=list)

    def send(self, now: float) -> None:
        self.sent += 1
        if int(now) != self.second:
            self.second, self.this_second = int(now), 0
        self.this_second += 1
        if (self.capacity and len(self.held) >= self.capacity) or (
            self.rate and self.this_second > self.rate
        ):
            self.lost.append(now)
            return
        self.held.append(now)


def drive(window: Window, path: Path, until: float, step: float = 0.001, start: float = 0.0) -> list[int]:
    """Run ``window`` against ``path`` from ``start`` to ``until`` seconds; its size after every tick."""
    sizes = []
    now = start
    lost: collections.deque[float] = collections.deque()
    while now < until:
        now = round(now + step, 6)
        while path.held and path.held[0] + path.delay <= now:
            sent_at = path.held.popleft()
            path.answered += 1
            window.answered(now, now - sent_at, definite=True)
        lost.extend(path.lost)
        path.lost.clear()
        # The transport presumes a question lost once it is overdue by the window's RTO.
        while lost and now - lost[0] >= window.rto():
            window.lost(now, lost.popleft())
        window.tick(now)
        while window.room() and window.wait(now) == 0:
            window.sent(now)
            path.send(now)
        sizes.append(int(window.size))
    return sizes


def test_a_clean_path_grows_the_window_to_the_ceiling() -> None:
    window = Window(4096, now=0.0)
    sizes = drive(window, Path(delay=0.03), 2.0)
    assert sizes[0] <= w.INITIAL + 1
    assert sizes[-1] == 4096
    assert window.cuts == 0
    assert window.report("r").reason == "growing"


def test_a_capacity_limit_is_found_and_kept_near() -> None:
    window = Window(4096, now=0.0)
    path = Path(delay=0.03, capacity=512)
    drive(window, path, 3.0)
    sent, answered = path.sent, path.answered
    drive(window, path, 6.0, start=3.0)
    assert window.cuts >= 1
    # Once found, it loses a small share of what it sends and keeps the resolver busy.
    later_sent, later_answered = path.sent - sent, path.answered - answered
    assert later_answered >= 0.9 * later_sent
    assert later_answered / 3.0 >= 0.6 * 512 / 0.03


def test_a_rate_limit_on_loopback_is_paced() -> None:
    window = Window(4096, now=0.0)
    path = Path(delay=0.0002, rate=5000)
    drive(window, path, 3.0, step=0.0005)  # the first second finds the limit, at a cost
    assert window.pace > 0
    sent, answered = path.sent, path.answered
    drive(window, path, 6.0, step=0.0005, start=3.0)
    assert 0.5 * 5000 <= window.pace <= 2 * 5000
    later_sent, later_answered = path.sent - sent, path.answered - answered
    assert later_answered >= 0.85 * later_sent
    assert later_answered >= 0.8 * 5000 * 3


def test_a_fixed_window_never_moves_and_never_paces() -> None:
    window = Window(256, fixed=True, now=0.0)
    path = Path(delay=0.03, capacity=100)
    sizes = drive(window, path, 1.0)
    assert set(sizes) == {256}
    assert window.pace == 0
    assert window.report("r").summary() == "r: fixed at 256"


def test_rising_latency_cuts_and_says_so() -> None:
    window = Window(4096, now=0.0)
    for i in range(200):
        window.sent(i * 0.001)
        window.answered(i * 0.001 + 0.0003, 0.0003, definite=True)
    window.tick(0.06)
    before = window.size
    for i in range(50):
        window.sent(0.06)
        window.answered(0.07 + i * 0.0001, 0.02, definite=True)
    assert window.tick(0.2)
    assert window.size < before
    assert window.reason.startswith("latency 20.0 ms over a floor of 0.3 ms")


def test_a_burst_of_servfail_cuts_and_a_few_do_not() -> None:
    window = Window(1024, now=0.0)
    for _ in range(100):
        window.sent(0.0)
        window.answered(0.01, 0.01, definite=True)
    for _ in range(3):
        window.sent(0.0)
        window.answered(0.01, 0.01, definite=False)
    assert not window.tick(0.06)
    for _ in range(40):
        window.sent(0.06)
        window.answered(0.07, 0.01, definite=False)
    assert window.tick(0.2)
    assert window.reason.startswith("SERVFAIL/REFUSED")


def test_losses_from_before_a_cut_do_not_cut_again() -> None:
    window = Window(1024, now=0.0)
    for _ in range(100):
        window.sent(0.0)
    for _ in range(50):
        window.lost(0.06, 0.0)
    assert window.tick(0.06)
    size = window.size
    for _ in range(50):
        window.lost(0.2, 0.01)  # sent before the cut at 0.06
    assert not window.tick(0.2)
    assert window.size == size


def test_random_loss_below_the_threshold_is_not_congestion() -> None:
    window = Window(4096, now=0.0)
    now = 0.0
    for interval in range(40):
        now = interval * 0.06
        for i in range(1000):
            window.sent(now)
            if i % 200 == 0:  # 0.5% loss
                window.lost(now + 0.05, now)
            else:
                window.answered(now + 0.03, 0.03, definite=True)
        window.tick(now + 0.05)
    assert window.cuts == 0


@settings(max_examples=60, deadline=None)
@given(
    ceiling=st.integers(min_value=1, max_value=5000),
    events=st.lists(
        st.tuples(st.sampled_from(["ok", "fail", "lost", "tick", "abandon"]), st.floats(0.0, 0.2)),
        max_size=400,
    ),
)
def test_the_window_stays_between_its_bounds(ceiling: int, events: list[tuple[str, float]]) -> None:
    window = Window(ceiling, now=0.0)
    now = 0.0
    for kind, rtt in events:
        now += 0.01
        if kind == "tick":
            window.tick(now)
            continue
        window.sent(now)
        if kind == "ok":
            window.answered(now + rtt, rtt, definite=True)
        elif kind == "fail":
            window.answered(now + rtt, rtt, definite=False)
        elif kind == "lost":
            window.lost(now + rtt, now)
        else:
            window.abandoned()
        assert min(w.MINIMUM, ceiling) <= window.size <= ceiling
        assert window.in_flight == 0
        assert window.pace >= 0 and not math.isnan(window.pace)
    report = window.report("r")
    assert report.window == int(window.size)
    assert all(point[1] <= ceiling for point in report.trace)
