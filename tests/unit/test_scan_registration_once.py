"""``Scanner.registration``: one registry question per registrable domain, and a failure that ends the
scan (the history went away) reaches the caller without asyncio logging a "never retrieved" future."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from lookalike.config import Settings
from lookalike.endpoints import HostPort
from lookalike.errors import LookalikeError
from lookalike.model import Outcome, Registration, Status
from lookalike.scan import Scanner


class _Registry:
    """Answers after a moment, or raises what it is given; counts the questions."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.asked: list[str] = []

    async def lookup(self, apex: str) -> Outcome[Registration]:
        self.asked.append(apex)
        await asyncio.sleep(0.01)
        if self.error is not None:
            raise self.error
        return Outcome(Status.OK, Registration(source="rdap"), "")


def _scanner(registry: _Registry) -> Scanner:
    scanner = Scanner(Settings(), (HostPort("127.0.0.1", 53),), None)
    scanner.registry = registry  # type: ignore[assignment]
    return scanner


async def test_candidates_sharing_a_registrable_domain_ask_once() -> None:
    registry = _Registry()
    scanner = _scanner(registry)
    outcomes = await asyncio.gather(*(scanner.registration("kestrel.ml") for _ in range(5)))
    assert registry.asked == ["kestrel.ml"]
    assert {o.status for o in outcomes} == {Status.OK}


async def test_a_failed_lookup_is_raised_and_never_logged_as_unretrieved() -> None:
    loop = asyncio.get_running_loop()
    logged: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: logged.append(context))
    scanner = _scanner(_Registry(LookalikeError("lost the connection to the history")))
    raised = False
    try:
        await scanner.registration("kestrel.ml")
    except LookalikeError:
        raised = True  # the exception (and the frames it holds) is let go here, as the scan's end does
    assert raised
    del scanner
    gc.collect()
    await asyncio.sleep(0)
    assert [c.get("message") for c in logged] == []
