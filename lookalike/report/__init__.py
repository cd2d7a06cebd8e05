"""The HTML report: a view-model built from a scan, rendered by jinja2 into one self-contained file.

* ``view.py``    the view-model: rows, per-domain summaries, headline, charts, changes (pure data);
* ``cards.py``   each row's evidence and the table's sort keys, as data for the report's script;
* ``render.py``  jinja2 (autoescaping on), the inlined script and style, the Content-Security-Policy.

Takes the scan (and optionally changes, triage marks, the plan, the hygiene audit and the
blocklist) and returns the document as pieces made as they are read (``stream``: a scan of any size
is never one string in memory) or as a string (``render``); writing it is the caller's business.
It never re-scores: findings carry their ``Score``.

Safety rules, because every string a lookalike's holder controls (WHOIS fields, page titles, SMTP
banners, TXT records, even a name's Unicode form) ends up in here:

* jinja2 autoescaping is on for every template; nothing from a scan is ever marked safe;
* outside text goes through ``text.shown``: control, bidi and other invisible characters are shown
  as ``⟨U+202E⟩``;
* the only script and style are the package's own, inlined and allowed by hash in a
  Content-Security-Policy (``default-src 'none'``); there are no inline event handlers, no style
  attributes, no links or resources outside the file;
* the data the script needs travels as JSON in a ``<script type="application/json">`` block with
  ``<``, ``>`` and ``&`` escaped, so ``</script>`` in a page title cannot end the block;
* the script never parses data as markup: the table rows are rendered (and escaped) here and the
  script only sorts, filters and pages them; a row's evidence view is built from data with
  ``textContent`` when the row is opened (``detail_cards``), so 10,000 findings do not cost a
  million hidden DOM nodes.
"""

from lookalike.report.cards import detail_cards, script_data, script_items
from lookalike.report.render import csp_for, json_for_script, render, script_json, stream
from lookalike.report.view import (
    MAX_RAW,
    PAGE_SIZE,
    DomainSummary,
    ReportView,
    Row,
    Rows,
    build_view,
    glyphs,
    summaries,
)

__all__ = [
    "MAX_RAW",
    "PAGE_SIZE",
    "DomainSummary",
    "ReportView",
    "Row",
    "Rows",
    "build_view",
    "csp_for",
    "detail_cards",
    "glyphs",
    "json_for_script",
    "render",
    "script_data",
    "script_items",
    "script_json",
    "stream",
    "summaries",
]
