"""Command: ``match`` (which protected domains the names of a list, a zone file or a CT feed imitate).

Option handling and output only: ``lookalike.feeds`` reads the input, ``lookalike.match`` matches.
Output is written as it is found, in ``generate``'s formats with the match's own fields added
(``name``, ``route``, ``why``, and in JSON the ``steps``); an input error stops the run with one line on
stderr and exit 2, after everything found so far was written (a JSON array is closed first).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lookalike.cli.app import EXIT_ERROR, app, err, fail, protected_names
from lookalike.cli.generate import CSV_COLUMNS, OutputFormat, candidate_record, options_from
from lookalike.errors import LookalikeError
from lookalike.feeds.lines import Format, InputError, names_from_lines
from lookalike.text import csv_cell

if TYPE_CHECKING:
    from lookalike.match import Match, Matcher

STDIN = "-"

MATCH_COLUMNS = (*CSV_COLUMNS, "name", "route", "why")


def match_record(match: Match) -> dict[str, object]:
    """One match as the object ``--format json`` prints: ``generate``'s fields and the match's."""
    return {
        **candidate_record(match.candidate()),
        "name": match.name,
        "route": match.route.value,
        "generated": match.generated,
        "why": match.why,
        "steps": [
            {
                "before": s.before,
                "after": s.after,
                "techniques": [t.value for t in s.techniques],
                "plausibility": s.plausibility,
            }
            for s in match.steps
        ],
    }


class _Writer:
    """Writes matches as they come, in one format; ``close`` ends the document."""

    def __init__(self, fmt: OutputFormat) -> None:
        self.fmt = fmt
        self.count = 0
        self._buf = io.StringIO()
        self._csv = csv.writer(self._buf, lineterminator="\n")
        if fmt is OutputFormat.JSON:
            sys.stdout.write("[")
        elif fmt is OutputFormat.CSV:
            self._row(MATCH_COLUMNS)

    def _row(self, values: Sequence[object]) -> None:
        self._buf.seek(0)
        self._buf.truncate()
        self._csv.writerow([csv_cell(v) for v in values])
        sys.stdout.write(self._buf.getvalue())

    def write(self, match: Match) -> None:
        if self.fmt is OutputFormat.JSON:
            sys.stdout.write(
                ("," if self.count else "") + "\n  " + json.dumps(match_record(match), ensure_ascii=False)
            )
        elif self.fmt is OutputFormat.CSV:
            record = match_record(match)
            record["techniques"] = ";".join(t.value for t in match.techniques)
            self._row([record[col] for col in MATCH_COLUMNS])
        else:
            techniques = ",".join(t.value for t in match.techniques)
            if not match.registrable:
                techniques += " (unregistrable)"
            row = [
                match.domain,
                f"{match.plausibility:.4f}",
                techniques,
                match.unicode if match.unicode != match.domain else "",
                match.protected,
                match.name,
                match.why,
            ]
            sys.stdout.write("\t".join(_printable(c) for c in row) + "\n")
        self.count += 1

    def close(self) -> None:
        if self.fmt is OutputFormat.JSON:
            sys.stdout.write("\n]\n" if self.count else "]\n")
        sys.stdout.flush()


def _printable(text: str) -> str:
    """A cell of a text row: no tabs, line ends or control characters from the input."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _input_format(text: str) -> Format:
    try:
        return Format(text.strip().lower())
    except ValueError:
        raise LookalikeError(f"--input must be auto, lines, zone or ct, not {text!r}") from None


def _output_format(text: str) -> OutputFormat:
    try:
        return OutputFormat(text.strip().lower())
    except ValueError:
        raise LookalikeError(f"--format must be text, json or csv, not {text!r}") from None


def _matches(matcher: Matcher, named: Iterable[tuple[int, str]], counts: dict[str, int]) -> Iterator[Match]:
    for _, name in named:
        counts["names"] += 1
        found = matcher.match(name)
        if found:
            counts["matched"] += 1
        yield from found


@app.command("match")
def match_command(
    source: Annotated[
        str, typer.Argument(metavar="[FILE|-]", help="Names to check; - reads standard input.")
    ] = STDIN,
    *,
    domain: Annotated[
        list[str] | None, typer.Option("--domain", "-d", help="A protected domain (repeatable).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read protected domains from a file, one per line.")
    ] = None,
    input_format: Annotated[
        str,
        typer.Option(
            "--input", help="auto, lines (a name a line), zone (CZDS zone file) or ct (JSON lines)."
        ),
    ] = "auto",
    depth: Annotated[
        str, typer.Option("--depth", help="2: also generate's budgeted depth-2 candidates.")
    ] = "1",
    keyboard: Annotated[
        list[str] | None, typer.Option("--keyboard", "-k", help="Keyboard layout for key slips (repeatable).")
    ] = None,
    keywords: Annotated[
        Path | None,
        typer.Option("--keywords", help="A file of extra keywords (login, secure ...), one per line."),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="text, json or csv.")] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary line on stderr.")] = False,
) -> None:
    """Say which protected domains the names of a list, a zone file or CT JSON lines imitate, and how.

    Names are read from FILE (plain or gzip) or standard input; matches are written as they are found,
    most plausible first for each name, in generate's formats with name, route and why added. No network.
    """
    # Imported here: the matcher's modules need not slow down every other command's start.
    from lookalike.feeds.files import bounded_lines, open_input
    from lookalike.match import Matcher, MatchOptions

    try:
        fmt = _output_format(output_format)
        reading = _input_format(input_format)
        generate_options = options_from([], depth, keyboard or [], keywords, None)
        protected = protected_names(domain or [], file)
        matcher = Matcher(
            protected,
            MatchOptions(
                depth=generate_options.depth,
                keyboards=generate_options.keyboards,
                keywords=generate_options.keywords,
            ),
        )
    except LookalikeError as exc:
        fail(str(exc))
    counts = {"names": 0, "matched": 0}
    origin = "<stdin>" if source == STDIN else source
    writer = _Writer(fmt)
    error = ""
    try:
        with open_input(source) as stream:
            named = names_from_lines(bounded_lines(stream, origin), reading, origin)
            for match in _matches(matcher, named, counts):
                writer.write(match)
    except (InputError, LookalikeError) as exc:
        error = str(exc)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    writer.close()
    if not quiet:
        err.print(
            f"{counts['names']:,} names read, {counts['matched']:,} matched ({writer.count:,} matches)",
            markup=False,
        )
    if error:
        fail(error, EXIT_ERROR)
