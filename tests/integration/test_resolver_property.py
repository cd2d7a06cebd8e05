"""The rule the whole scan rests on, as a property: whatever faults the resolver meets, a name is called
absent or existing only when the DNS said so; every failure comes back unknown."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookalike.demo.dns_server import DnsServer, Fault, load_zones
from lookalike.endpoints import Limits
from lookalike.model import Existence, Outcome, Status
from lookalike.resolver import Resolver
from tests.fixtures.dns import ZONES
from tests.integration.test_resolver import TRUTH

FAILING = ["servfail", "refused", "drop", "wrong-id", "wrong-question", "garbage"]
"""Faults after which nobody has said anything about the name."""
HARMLESS = ["", "truncate"]
"""No fault, or one the resolver must see through (TCP answers)."""
LIMITS = Limits(concurrency=8, timeout=0.25, retries=1)

FAULT_PLANS = st.dictionaries(
    keys=st.sampled_from([name for name, _, _ in TRUTH]),
    values=st.sampled_from(FAILING + HARMLESS),
    max_size=len(TRUTH),
)


async def run(plan: dict[str, str], stream: bool) -> dict[str, Outcome[Existence]]:
    faults = {f"{name}.": Fault(kind) for name, kind in plan.items() if kind}
    async with DnsServer(load_zones(ZONES), faults) as server, Resolver([server.address], LIMITS) as resolver:
        names = [(name, apex) for name, apex, _ in TRUTH]
        if stream:
            return {name: outcome async for name, outcome in resolver.triage_many(names)}
        outcomes = await asyncio.gather(*(resolver.triage(name, apex=apex) for name, apex in names))
        return {name: outcome for (name, _), outcome in zip(names, outcomes, strict=True)}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=FAULT_PLANS, stream=st.booleans())
def test_no_fault_ever_yields_absent_or_exists(plan: dict[str, str], stream: bool) -> None:
    outcomes = asyncio.run(run(plan, stream))
    for name, _, truth in TRUTH:
        outcome = outcomes[name]
        if plan.get(name, "") in FAILING:
            assert outcome.status.unknown, (name, plan[name], outcome)
            assert outcome.value is Existence.UNKNOWN
        else:
            assert outcome.status is truth, (name, plan.get(name), outcome)
            assert outcome.value is (Existence.EXISTS if truth is Status.OK else Existence.ABSENT)
