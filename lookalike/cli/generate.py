"""Commands: ``generate`` (the lookalike candidates of protected names) and ``techniques``.

Option handling and output only: options become ``GenerateOptions``, ``lookalike.permute`` does the
work. Options are parsed here rather than by typer so every mistake is one line and exit 2.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lookalike.cli.app import app, fail, protected_names
from lookalike.errors import LookalikeError
from lookalike.text import csv_cell

if TYPE_CHECKING:
    from lookalike.model import Candidate
    from lookalike.permute import GenerateOptions

CSV_COLUMNS = ("domain", "unicode", "protected", "techniques", "plausibility", "apex", "registrable", "note")


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"


DomainsArg = Annotated[
    list[str] | None, typer.Argument(help="Protected domains (army.mil, mail.example.org ...).")
]
FileOpt = Annotated[
    Path | None, typer.Option("--file", "-f", help="Read protected domains from a file, one per line.")
]
TechniqueOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--technique", "-t", help="Only this technique (repeat for several; see `lookalike techniques`)."
    ),
]
DepthOpt = Annotated[str, typer.Option("--depth", help="1, or 2 to add combinations of two techniques.")]
KeyboardOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--keyboard", "-k", help="Keyboard layout for key slips: qwerty, qwertz, azerty (repeatable)."
    ),
]
KeywordsOpt = Annotated[
    Path | None,
    typer.Option("--keywords", help="A file of extra keywords (login, secure ...), one per line."),
]
LimitOpt = Annotated[
    str | None, typer.Option("--limit", "-n", help="Keep the N most plausible per protected domain.")
]
FormatOpt = Annotated[str, typer.Option("--format", help="text, json or csv.")]


def _positive(option: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise LookalikeError(f"{option} must be a whole number, not {text!r}") from None
    if value < 1:
        raise LookalikeError(f"{option} must be at least 1, not {value}")
    return value


def _format(text: str) -> OutputFormat:
    try:
        return OutputFormat(text.strip().lower())
    except ValueError:
        raise LookalikeError(f"--format must be text, json or csv, not {text!r}") from None


def options_from(
    technique: Sequence[str],
    depth: str,
    keyboard: Sequence[str],
    keywords: Path | None,
    limit: str | None,
) -> GenerateOptions:
    """``GenerateOptions`` from the command line's values. Raises ``LookalikeError``."""
    from lookalike import permute
    from lookalike.permute import GenerateOptions

    if depth.strip() not in ("1", "2"):
        raise LookalikeError(f"--depth must be 1 or 2, not {depth!r}")
    layouts = tuple(k.strip().lower() for k in keyboard) or ("qwerty",)
    known = permute.keyboard_names()
    for layout in layouts:
        if layout not in known:
            raise LookalikeError(f"unknown --keyboard {layout!r}; choose from {', '.join(known)}")
    return GenerateOptions(
        techniques=permute.parse_techniques(technique),
        depth=int(depth),
        keyboards=layouts,
        keywords=permute.load_keywords(keywords) if keywords is not None else (),
        limit=_positive("--limit", limit) if limit is not None else None,
    )


def candidate_record(candidate: Candidate) -> dict[str, object]:
    """One candidate as the flat object ``--format json`` prints."""
    return {
        "domain": candidate.domain,
        "unicode": candidate.unicode,
        "protected": candidate.protected,
        "techniques": [t.value for t in candidate.techniques],
        "plausibility": candidate.plausibility,
        "apex": candidate.apex,
        "registrable": candidate.registrable,
        "note": candidate.note,
    }


def _write(lines: Iterable[str]) -> None:
    """Write lines to stdout in large chunks (a domain list can run to hundreds of thousands)."""
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= 4096:
            sys.stdout.write("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        sys.stdout.write("\n".join(chunk) + "\n")
    sys.stdout.flush()


def json_lines(candidates: Iterable[Candidate]) -> Iterable[str]:
    """A JSON array, one candidate object per line."""
    yield "["
    previous = None
    for candidate in candidates:
        if previous is not None:
            yield previous + ","
        previous = "  " + json.dumps(candidate_record(candidate), ensure_ascii=False)
    if previous is not None:
        yield previous
    yield "]"


def csv_lines(candidates: Iterable[Candidate]) -> Iterable[str]:
    """A header row, then one formula-safe row per candidate."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")

    def row(values: Sequence[object]) -> str:
        buf.seek(0)
        buf.truncate()
        writer.writerow([csv_cell(v) for v in values])
        return buf.getvalue().rstrip("\n")

    yield row(CSV_COLUMNS)
    for c in candidates:
        record = candidate_record(c)
        record["techniques"] = ";".join(t.value for t in c.techniques)
        yield row([record[col] for col in CSV_COLUMNS])


def text_lines(candidates: Iterable[Candidate], *, terminal: bool, several: bool) -> Iterable[str]:
    """Tab-separated plain lines (domain, plausibility, techniques, the Unicode form when it differs,
    the protected name when there are several); on a terminal, an aligned table per protected name."""
    for block, (protected, group) in enumerate(groupby(candidates, key=lambda c: c.protected)):
        rows = []
        for c in group:
            row = [c.domain, f"{c.plausibility:.4f}", ",".join(t.value for t in c.techniques)]
            if not c.registrable:
                row[2] += " (unregistrable)"
            row.append(c.unicode if c.unicode != c.domain else "")
            if several:
                row.append(protected)
            if not terminal:
                yield "\t".join(row).rstrip("\t")
                continue
            rows.append(row)
        if not terminal:
            continue
        if block:
            yield ""
        header = ["DOMAIN", "PLAUSIBILITY", "TECHNIQUES", "UNICODE"] + (["PROTECTED"] if several else [])
        widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(len(header))]
        for row in [header, *rows]:
            yield "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()


@app.command("generate")
def generate_command(
    *,
    domains: DomainsArg = None,
    file: FileOpt = None,
    technique: TechniqueOpt = None,
    depth: DepthOpt = "1",
    keyboard: KeyboardOpt = None,
    keywords: KeywordsOpt = None,
    limit: LimitOpt = None,
    output_format: FormatOpt = "text",
) -> None:
    """List the lookalike candidates of protected domains, most plausible first. No network."""
    from lookalike import permute

    try:
        fmt = _format(output_format)
        options = options_from(technique or [], depth, keyboard or [], keywords, limit)
        names = protected_names(domains or [], file)
        permute.check_options(options)
    except LookalikeError as exc:
        fail(str(exc))
    # One protected name's candidates at a time: a long --file never holds every list in memory.
    candidates = permute.generate_many(names, options)
    try:
        if fmt is OutputFormat.JSON:
            _write(json_lines(candidates))
        elif fmt is OutputFormat.CSV:
            _write(csv_lines(candidates))
        else:
            _write(text_lines(candidates, terminal=sys.stdout.isatty(), several=len(names) > 1))
    except BrokenPipeError:
        # The reader (head, less) has had enough: not an error. Keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@app.command("techniques")
def techniques_command() -> None:
    """List every generation technique with a one-line description and an example."""
    from lookalike import permute

    infos = list(permute.TECHNIQUES.values())
    name_width = max(len(i.technique.value) for i in infos)
    desc_width = max(len(i.description) for i in infos)
    _write(
        f"{i.technique.value.ljust(name_width)}  {i.description.ljust(desc_width)}  {i.example}".rstrip()
        for i in infos
    )
