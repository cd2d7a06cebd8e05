"""Suite-wide set-up: the loopback guard, and where test artifacts go.

Fixtures that start servers live next to the tests that use them (``tests/integration/conftest.py``)
and start every server on port 0, yielding its address; tests pass that address in. Nothing is patched.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests import netguard

# Speed is measured in bench/, never asserted: no property example fails for being slow on a loaded
# machine (hypothesis's default 200 ms deadline did, on a first example that warmed a cache).
settings.register_profile("lookalike", deadline=None)
settings.load_profile("lookalike")

pytest_plugins = [
    "tests.fixtures.dns",
    "tests.fixtures.registry",
    "tests.fixtures.probes",
    "tests.fixtures.postfix",
    "tests.fixtures.store",
    "tests.fixtures.postgres",
    "tests.fixtures.scale",
    "tests.fixtures.report",
    "tests.fixtures.nginx",
    "tests.fixtures.pages",
]

ARTIFACTS = Path(os.environ.get("LOOKALIKE_ARTIFACTS", Path(__file__).resolve().parent.parent / "artifacts"))


def pytest_configure(config: pytest.Config) -> None:
    netguard.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    netguard.uninstall()


@pytest.fixture
def artifacts() -> Path:
    """A directory for files a person should look at after the run (screenshots, reports)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
