"""The typer application object and the small parsing helpers every command shares.

The CLI maps options onto library calls and owns the terminal; it holds no logic of its own.
Whatever it prints that came from outside goes through ``text.shown`` (JSON through
``text.escape_json``): no control character reaches a terminal.
Exit codes: 0 done; 1 a ``--fail-on`` condition was met; 2 a user error (one line on stderr);
130 interrupted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from typer.core import TyperGroup

from lookalike.bounds import Bound, count
from lookalike.errors import LookalikeError
from lookalike.text import shown

if TYPE_CHECKING:
    from lookalike.endpoints import HostPort
    from lookalike.names import Name

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

N = TypeVar("N", int, float)


class Commands(TyperGroup):
    """The command group. A ``LookalikeError`` raised anywhere below it, from checking an option's
    value to the end of a command, is one line on stderr and exit 2: the app itself (not only
    ``main``) answers a user's mistake that way, whoever runs it."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LookalikeError as exc:
            fail(str(exc))
        except BaseExceptionGroup as group:  # a task group wraps what its tasks raised
            user_error = next((e for e in group.exceptions if isinstance(e, LookalikeError)), None)
            if user_error is None:
                raise
            fail(str(user_error))


app = typer.Typer(
    name="lookalike",
    cls=Commands,
    help="Find the domains one slip away from yours, and who can receive your mail there.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Not a terminal (cron mail, a pipe): 120 columns rather than rich's 80, so tables keep whole names.
_WIDTH = None if os.environ.get("COLUMNS") else 120
out = Console(highlight=False, emoji=False, soft_wrap=True, width=None if sys.stdout.isatty() else _WIDTH)
"""Standard output: results."""
err = Console(
    stderr=True, highlight=False, emoji=False, soft_wrap=True, width=None if sys.stderr.isatty() else _WIDTH
)
"""Standard error: progress, summaries, errors."""


@app.callback()
def _root() -> None:
    """Find the domains one slip away from yours, and who can receive your mail there.

    Every network command takes its servers as options (--resolver, --whois-server, ...).
    Exit codes: 0 done, 1 a --fail-on condition met, 2 an error, 130 interrupted.
    """


def print_error(message: str) -> None:
    """One line on stderr. The message may quote outside text: it is shown as one line with every
    control character marked (``text.shown``)."""
    print(f"lookalike: error: {shown(message)}", file=sys.stderr)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print one line to stderr and exit."""
    print_error(message)
    raise typer.Exit(code)


def checked(name: str, bound: Bound) -> Callable[[N | None], N | None]:
    """A typer ``callback`` that refuses a value outside ``bound`` with one line naming ``name``."""

    def check(value: N | None) -> N | None:
        if value is not None:
            bound.check(name, value)
        return value

    return check


SCAN_ID = count(1)
"""A stored scan's id: what SQLite can hold."""
ScanIdOpt = Annotated[
    int | None,
    typer.Option(
        "--scan",
        metavar="ID",
        help="A stored scan's id (default: the latest).",
        callback=checked("--scan", SCAN_ID),
        show_default=False,
    ),
]
"""``--scan ID`` of the commands that read a stored scan (report, plan, blocklist, audit)."""


def protected_names(domains: Iterable[str], file: Path | None) -> list[Name]:
    """The protected names from arguments and ``--file``, parsed; at least one."""
    from lookalike.names import parse_many, read_names_file

    texts = list(domains)
    if file is not None:
        texts += read_names_file(file)
    if not texts:
        raise LookalikeError("give at least one domain, or --file PATH")
    return parse_many(texts)


def resolvers(texts: Iterable[str]) -> tuple[HostPort, ...]:
    """``--resolver ADDR[:PORT]`` values; each must be an IP address (a resolver named by a name
    would need a resolver to find it)."""
    from lookalike.endpoints import HostPort

    parsed = tuple(HostPort.parse(t, 53) for t in texts)
    for server in parsed:
        if not server.is_ip:
            raise LookalikeError(f"--resolver {server.host!r}: give the resolver's IP address")
    return parsed


def whois_servers(texts: Iterable[str]) -> dict[str, HostPort]:
    """``--whois-server TLD=HOST[:PORT]`` values."""
    from lookalike.endpoints import HostPort

    servers: dict[str, HostPort] = {}
    for text in texts:
        tld, sep, target = text.partition("=")
        tld = tld.strip().lower().lstrip(".")
        if not sep or not tld or not target.strip():
            raise LookalikeError(f"--whois-server {text!r}: expected TLD=HOST[:PORT]")
        servers[tld] = HostPort.parse(target, 43)
    return servers
