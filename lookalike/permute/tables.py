"""The reviewable tables under ``lookalike/permute/data``: reading them, nothing else.

Every file there starts with a comment block saying where its facts come from; lines starting with
``#`` and blank lines are skipped. Callers cache what they build from these rows.
"""

from __future__ import annotations

from importlib import resources


def text(name: str) -> str:
    """The whole text of data file ``name``."""
    return resources.files("lookalike.permute").joinpath("data").joinpath(name).read_text("utf-8")


def lines(name: str) -> list[str]:
    """The non-comment, non-blank lines of data file ``name``, stripped."""
    out = []
    for raw in text(name).splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def rows(name: str) -> list[list[str]]:
    """The tab-separated rows of data file ``name``."""
    return [line.split("\t") for line in lines(name)]
