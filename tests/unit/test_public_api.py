"""The package's public names: everything in ``__all__`` exists, and nothing public is missing."""

from __future__ import annotations

import lookalike


def test_all_names_resolve() -> None:
    for name in lookalike.__all__:
        assert getattr(lookalike, name) is not None, name


def test_all_is_sorted_and_unique() -> None:
    assert list(lookalike.__all__) == sorted(set(lookalike.__all__))


def test_run_scan_is_the_orchestrator() -> None:
    from lookalike import scan

    assert lookalike.run_scan is scan.run
    assert lookalike.__version__
