"""The ``lookalike`` command. Each submodule registers the commands of one area on ``app``."""

from __future__ import annotations

import sys

from lookalike.cli import generate, history, plan, registry, report, scan  # noqa: F401  (registers commands)
from lookalike.cli.app import EXIT_ERROR, app
from lookalike.errors import LookalikeError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point. Usage errors are typer's (exit 2); a ``LookalikeError`` becomes one line on
    stderr and exit 2; long-running commands turn Ctrl-C into exit 130 themselves."""
    try:
        app()
    except LookalikeError as exc:
        print(f"lookalike: error: {exc}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
