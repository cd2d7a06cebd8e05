"""The report rendered: the view-model through jinja2 into one self-contained HTML file.

``stream`` builds the view (``view.build_view``) and fills ``templates/report.html.j2`` with the
package's own script and style inlined, allowed by hash in a Content-Security-Policy (``csp_for``),
handing out the document piece by piece as jinja2 makes it (``Template.generate``): the table's
rows and the script's data (``cards.script_items``, a row at a time through ``script_json``) are
made as they are written, so the report of a scan of any size is never one string in memory.
``render`` joins the pieces. ``json_for_script`` makes data safe inside a
``<script type="application/json">`` block.

Must not compute what is shown (the view-model does), mark anything from a scan safe, or load
anything from outside the file it writes: autoescaping is on for every template.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from lookalike.model import BlockEntry, Changes, HygieneAudit, Level, PlanItem, ScanResult, TriageMark
from lookalike.report.cards import script_items
from lookalike.report.view import (
    MAX_RAW,
    MAX_SHORT,
    OWNER_LABELS,
    PAGE_SIZE,
    ROUTE_LABELS,
    Pictures,
    build_view,
    date,
    date_time,
    display,
    glyphs,
    unicode_of,
)
from lookalike.scoring import LEVELS


def json_for_script(data: object) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>``, ``&`` or line separators."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def script_json(items: Iterable[tuple[str, Iterable[object]]]) -> Iterator[str]:
    """A JSON object of lists (``(key, items)`` pairs), written an item at a time, every piece
    escaped by ``json_for_script``: the pieces joined are one JSON text safe in a script block."""
    yield "{"
    for n, (key, values) in enumerate(items):
        yield ("," if n else "") + json_for_script(key) + ":["
        for i, value in enumerate(values):
            yield ("," if i else "") + json_for_script(value)
        yield "]"
    yield "}"


# --- rendering -----------------------------------------------------------------------------------


@cache
def _asset(name: str) -> str:
    return resources.files("lookalike").joinpath("templates", name).read_text("utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def csp_for(script: str, style: str) -> str:
    """The Content-Security-Policy allowing exactly this inline script and style, nothing else."""
    return (
        f"default-src 'none'; script-src '{_sha256(script)}'; style-src '{_sha256(style)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lookalike", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["t"] = display
    env.filters["date"] = date
    env.filters["datetime"] = date_time
    env.filters["glyphs"] = glyphs
    env.filters["glyphs_of"] = lambda domain: glyphs(unicode_of(str(domain)))
    env.globals["route_label"] = lambda value: ROUTE_LABELS.get(str(value), str(value))
    env.globals["owner_label"] = lambda value: OWNER_LABELS.get(str(value), str(value))
    env.globals["MAX_RAW"] = MAX_RAW
    env.globals["MAX_SHORT"] = MAX_SHORT
    return env


def _nothing(_sha: str) -> None:
    return None


def render(
    result: ScanResult,
    *,
    changes: Changes | None = None,
    triage: Mapping[str, TriageMark] = {},  # read only: never mutated
    plan: Sequence[PlanItem] = (),
    audit: Sequence[HygieneAudit] = (),
    blocklist: Sequence[BlockEntry] = (),
    synthetic: bool = False,
    generated_at: datetime | None = None,
    pictures: Pictures | None = None,
) -> str:
    """The report as one self-contained HTML document (``stream`` joined)."""
    return "".join(
        stream(
            result,
            changes=changes,
            triage=triage,
            plan=plan,
            audit=audit,
            blocklist=blocklist,
            synthetic=synthetic,
            generated_at=generated_at,
            pictures=pictures,
        )
    )


def stream(
    result: ScanResult,
    *,
    changes: Changes | None = None,
    triage: Mapping[str, TriageMark] = {},  # read only: never mutated
    plan: Sequence[PlanItem] = (),
    audit: Sequence[HygieneAudit] = (),
    blocklist: Sequence[BlockEntry] = (),
    synthetic: bool = False,
    generated_at: datetime | None = None,
    pictures: Pictures | None = None,
) -> Iterator[str]:
    """The report as one self-contained HTML document, in pieces made as they are read (the view is
    built at once; the rows and the script's data as the pieces are asked for). ``pictures`` finds
    the screenshots the findings name (``--screenshot``): each is inlined as a ``data:`` URI, the only
    images the CSP allows."""
    view = build_view(
        result,
        changes=changes,
        triage=triage,
        plan=plan,
        audit=audit,
        blocklist=blocklist,
        synthetic=synthetic,
        generated_at=generated_at,
    )
    from lookalike import __version__

    script, style = _asset("report.js"), _asset("report.css")
    template = _environment().get_template("report.html.j2")
    return template.generate(
        view=view,
        version=__version__,
        csp=csp_for(script, style),
        script=Markup(script),  # the package's own file, not data
        style=Markup(style),
        data=(Markup(piece) for piece in script_json(script_items(view))),  # escaped by json_for_script
        levels=list(Level),
        page_size=PAGE_SIZE,
        thresholds=[(level.value, minimum) for minimum, level in LEVELS],
        thumbnail=pictures.thumbnail if pictures is not None else _nothing,
        picture=pictures.picture if pictures is not None else _nothing,
        inline=pictures is not None and pictures.inline,
    )
