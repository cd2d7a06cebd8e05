"""Debian's unbound rate-limiting this process (``ip-ratelimit``): above the rate it drops nine
queries in ten. The adaptive window must end with no more unknowns than the biggest fixed window,
and say that it paced or cut. Behaviour, not speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookalike.demo.unbound import Unbound
from lookalike.endpoints import Limits
from lookalike.resolver import Resolver, WindowReport
from tests.fixtures.dns import ZONES, require_unbound

pytestmark = pytest.mark.unbound

RATE = 200
"""Low enough that even a client slowed by a loaded machine sends faster than this in a burst."""


async def unknowns(
    unbound: Unbound, names: list[tuple[str, bool]], limits: Limits
) -> tuple[int, WindowReport]:
    async with Resolver([unbound.address], limits) as resolver:
        unknown = sum([o.status.unknown async for _, o in resolver.triage_many(names)])
        (report,) = resolver.windows
    return unknown, report


async def test_a_rate_limiting_unbound_is_paced_not_flooded(tmp_path: Path) -> None:
    require_unbound()
    extra = f"ip-ratelimit: {RATE}\nip-ratelimit-factor: 10"
    async with Unbound(ZONES, tmp_path, threads=1, extra=extra) as unbound:
        fixed_names = [(f"fixed{i}.example-{i % 7}.com", True) for i in range(6 * RATE)]
        fixed, fixed_report = await unknowns(
            unbound, fixed_names, Limits(concurrency=4096, fixed_window=True, timeout=0.5, retries=2)
        )
        adaptive_names = [(f"adaptive{i}.example-{i % 7}.com", True) for i in range(6 * RATE)]
        adaptive, report = await unknowns(unbound, adaptive_names, Limits(timeout=0.5, retries=2))
        log = unbound.log_path.read_text(errors="replace")
    assert "ip_ratelimit exceeded" in log  # unbound did push back
    assert fixed_report.window == 4096 and not fixed_report.adaptive
    assert fixed > len(fixed_names) // 20  # a window of 4,096 floods it: names end unknown
    assert adaptive <= fixed // 4  # a loaded machine may lose a few, never the flood's hundreds
    assert report.adaptive and report.cuts >= 1
    assert any(pace for _, _, pace in report.trace)  # it paced its sends after the losses
