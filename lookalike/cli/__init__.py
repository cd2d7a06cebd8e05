"""The ``lookalike`` command. Each submodule registers the commands of one area on ``app``."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from lookalike.cli.app import EXIT_ERROR, app, out, print_error
from lookalike.errors import LookalikeError

__all__ = ["app", "main"]

# Each module registers its commands when imported; this order is the order `--help` lists them in.
for _area in ("scan", "generate", "match", "report", "history", "plan", "registry", "worker"):
    importlib.import_module(f"lookalike.cli.{_area}")


@app.command()
def version() -> None:
    """Print lookalike's version."""
    from lookalike import __version__

    out.print(__version__)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point (``argv``: the arguments, default ``sys.argv[1:]``). Usage errors are typer's
    (exit 2); a ``LookalikeError`` becomes one line on stderr and exit 2 (``app.Commands``, and here
    for what is raised outside a command); long-running commands turn Ctrl-C into exit 130."""
    try:
        app(args=list(argv) if argv is not None else None)
    except LookalikeError as exc:
        print_error(str(exc))
        sys.exit(EXIT_ERROR)
    except BaseExceptionGroup as group:  # a task group wraps what its tasks raised
        user_error = next((e for e in group.exceptions if isinstance(e, LookalikeError)), None)
        if user_error is None:
            raise
        print_error(str(user_error))
        sys.exit(EXIT_ERROR)
