"""Untrusted text: one character policy, one cleaner for what is kept, one for what is shown.

Everything a lookalike's holder or a server controls is hostile text: page titles, SMTP banners and
replies, WHOIS and RDAP fields, TXT records, registry and relay error messages, even a name's
Unicode form. It may carry terminal escape sequences (ESC, CSI) that rewrite what an analyst sees,
BEL, bidi controls that make a line read backwards, invisible characters that hide a difference,
line separators that end a line of a map file, or code points that cannot be encoded at all.

Two cleaners apply one policy:

``clean(text, limit, lines=False)``
    FOR STORAGE: text lookalike keeps (facts such as a title or a banner line, reasons, outcome
    details, change lines). One line, at most ``limit`` characters; what a reader would not see
    is gone, what cannot be shown is U+FFFD. Idempotent. With ``lines`` (a registry's raw answer):
    TAB and LF kept, CR LF and a lone CR read as LF, white space not collapsed, at most ``limit``
    characters with a note where it cut.
``shown(text, limit, lines=False)``
    FOR DISPLAY: the HTML report, the terminal, alert text, plan, audit and blocklist files. Nothing
    is dropped silently: every character that would act instead of being read is written as
    ``⟨U+001B⟩``, so an analyst sees that a TXT record holds an ESC or a registrar name a bidi
    override. One line unless ``lines`` (raw responses, transcripts: TAB and LF kept).

The policy, by Unicode general category:

=============================================  ====================  ================================
class                                          ``clean`` (storage)   ``shown`` (display)
=============================================  ====================  ================================
TAB, LF, CR                                    a space; with         a space; with ``lines``: TAB and
                                               ``lines``: TAB, LF    LF kept, CR LF read as LF, a
                                               kept, CR read as LF   lone CR marked
other C0 controls (NUL, BEL, ESC ...), DEL,    a space               marked ``⟨U+001B⟩``
  C1 controls U+0080-U+009F (CSI, NEL ...)
white space (Zs: NBSP, U+3000 ...)             a space               a space; kept with ``lines``
line and paragraph separators U+2028, U+2029   a space               marked
format characters (Cf): bidi controls U+061C,  removed               marked
  U+200E, U+200F, U+202A-U+202E, U+2066-U+2069;
  zero width U+200B-U+200D, U+2060, U+FEFF;
  soft hyphen U+00AD; tags U+E0001-U+E007F ...
blank letters: Hangul fillers U+115F, U+1160,  removed               marked
  U+3164, U+FFA0
surrogates (Cs), private use (Co),             U+FFFD                marked
  unassigned (Cn)
everything else                                kept                  kept
=============================================  ====================  ================================

One-line results (``clean``, and ``shown`` without ``lines``) collapse runs of white space into one
space and are at most ``limit`` characters, "…" included. ``shown`` with ``lines`` keeps the first
``limit`` characters and says where it cut.

Why each rule:

* Controls act on a terminal (ESC starts an escape sequence, BEL rings, CR overprints a line) and
  split a line in a map or zone file; as a space they still keep two words apart.
* Format characters and blank letters are invisible by design. Stored, they are removed, so the kept
  text is what a reader sees (``Pay\\u200bPal`` reads "PayPal", and searches as PayPal); a soft hyphen
  is a format character like the others. Shown, they are marked, because an invisible character in
  outside text is itself a sign worth seeing.
* Line and paragraph separators end a line in JavaScript and some terminals and editors.
* Unassigned code points may be anything in a later Unicode version (a new format character);
  surrogates cannot be written as UTF-8 at all; private use characters show whatever a font puts
  there.

``escape_json`` applies the display rule losslessly to a JSON document (``\\u001b`` escapes), and
``csv_cell`` keeps a CSV cell from starting a spreadsheet formula: the two format rules every
writer of those formats shares.

Pure and cheap on ordinary text (one ``str.isprintable`` at C speed). This module must not escape
for a markup language (jinja2's autoescaping does HTML, ``alerts`` does Slack, ``export`` CEF), must
not decide what text is hostile (all outside text is), and must not import another lookalike module.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import cache
from typing import Final

__all__ = [
    "BLANK_LETTERS",
    "ELLIPSIS",
    "LINE_LIMIT",
    "clean",
    "csv_cell",
    "escape_json",
    "is_hidden",
    "mark",
    "shown",
]

LINE_LIMIT: Final = 300
"""The default length of one line of outside text."""
ELLIPSIS: Final = "…"
BLANK_LETTERS: Final = frozenset("\u115f\u1160\u3164\uffa0")
"""Letters that render as nothing (Hangul fillers): a known way to hide a difference in a name."""
_LAYOUT: Final = "\t\n"
_WHITE: Final = frozenset("\t\n\r")
_SPACES: Final = {
    ord(ch): " " for ch in "\t\n\r\u00a0\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
}
"""TAB, LF, CR and the white space characters (Zs): a space on one line, at C speed, so ordinary
text with a line break or a no-break space never needs the full character class."""


@cache
def _unprintable() -> re.Pattern[str]:
    """Every character ``str.isprintable`` refuses (Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs but the space),
    plus the blank letters, as one character class. Built once, on the first hostile text."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x110000):
        ch = chr(cp)
        if ch.isprintable() and ch not in BLANK_LETTERS:
            continue
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    parts = (re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[{''.join(parts)}]")


def _printable(text: str) -> bool:
    return text.isprintable() and not any(b in text for b in BLANK_LETTERS)


def mark(ch: str) -> str:
    """How the display writes a hidden character: ``⟨U+202E⟩``."""
    return f"⟨U+{ord(ch):04X}⟩"


def is_hidden(ch: str) -> bool:
    """True when the display marks ``ch`` instead of showing it (see the policy above; TAB, LF and
    ordinary white space are not hidden, they are laid out)."""
    if ch.isprintable():
        return ch in BLANK_LETTERS
    return ch not in _LAYOUT and unicodedata.category(ch) != "Zs"


def _cut(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + ELLIPSIS


def _for_storage(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in BLANK_LETTERS:
        return ""
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""
    if category in ("Cs", "Co", "Cn"):
        return "\ufffd"
    return " "  # Cc, Zs, Zl, Zp


def _for_storage_lines(match: re.Match[str]) -> str:
    ch = match.group()
    return ch if ch in _LAYOUT else _for_storage(match)


def _cut_note(limit: int) -> str:
    return f" {ELLIPSIS} (cut at {limit:,} characters)" if limit >= 1000 else ELLIPSIS


def clean(text: str, limit: int = LINE_LIMIT, *, lines: bool = False) -> str:
    """Outside text as lookalike keeps it: one line of at most ``limit`` characters ("…" marks a cut),
    controls and separators a space, format characters and blank letters removed, code points that
    cannot be shown U+FFFD, runs of white space one space. With ``lines``: TAB and LF kept (CR LF and
    a lone CR read as LF), white space as it was, at most ``limit`` characters with a note where it
    cut. See the module docstring."""
    if lines:
        note = _cut_note(limit) if len(text) > limit else ""
        kept = text[: max(0, limit - len(note))]
        if "\r" in kept:
            kept = kept.replace("\r\n", "\n").replace("\r", "\n")
        if not _printable(kept.replace("\n", "").replace("\t", "")):
            kept = _unprintable().sub(_for_storage_lines, kept)
        return kept + note
    head = text[: limit * 4 + 64]  # enough for any line of ``limit`` once white space collapses
    if not _printable(head):
        head = head.translate(_SPACES)
        if not _printable(head):
            head = _unprintable().sub(_for_storage, head)
    return _cut(" ".join(head.split()), limit)


def _for_line(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _WHITE or unicodedata.category(ch) == "Zs":
        return " "
    return mark(ch)


def _for_lines(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _LAYOUT or unicodedata.category(ch) == "Zs":
        return ch
    return mark(ch)


def shown(text: object, limit: int | None = None, *, lines: bool = False) -> str:
    """Outside text as lookalike shows it: every hidden character marked ``⟨U+XXXX⟩``, nothing
    dropped. One line by default (TAB, LF and CR a space, runs of white space one space, at most
    ``limit`` characters with "…"); with ``lines``, TAB and LF are kept (CR LF read as LF) and the
    first ``limit`` characters are shown, with a note where it cut. None is ``""``."""
    if text is None:
        return ""
    raw = str(text)
    if not lines:
        head = raw[: limit * 4 + 64] if limit is not None else raw
        if not _printable(head):
            head = head.translate(_SPACES)
            if not _printable(head):
                head = _unprintable().sub(_for_line, head)
        return _cut(" ".join(head.split()), limit)
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n")
    cut = limit is not None and len(raw) > limit
    if cut:
        raw = raw[:limit]
    if not _printable(raw.replace("\n", "").replace("\t", "")):
        raw = _unprintable().sub(_for_lines, raw)
    if cut and limit is not None:
        raw += _cut_note(limit)
    return raw


def _json_escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch == "\n":
        return ch  # json.dumps writes LF only between values (it escapes it in strings)
    cp = ord(ch)
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    cp -= 0x10000
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


def escape_json(document: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) with every character the display
    would mark written as a ``\\uXXXX`` escape: the same data, but nothing in it acts on a terminal,
    and a lone surrogate no longer makes the file unwritable. Outside strings JSON is ASCII, so
    only string contents change."""
    # json.dumps escapes the C0 controls but not DEL (U+007F), which is ASCII.
    if (document.isascii() and "\x7f" not in document) or _printable(document.replace("\n", "")):
        return document
    return _unprintable().sub(_json_escape, document)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%", "＝", "＋", "－", "＠")
"""What a spreadsheet may read as the start of a formula (OWASP "CSV injection"), including the
full-width forms some spreadsheets fold to ASCII."""


def csv_cell(value: object) -> str:
    """A CSV cell that no spreadsheet will evaluate: text starting a formula gets a leading ``'``.

    Leading spaces do not hide a formula: ``" =cmd"`` is quoted too, since some spreadsheets trim.
    None is empty, booleans are ``true``/``false``, datetimes ISO 8601.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    if text.lstrip(" \u00a0\u3000").startswith(_FORMULA_START) or text.startswith(_FORMULA_START):
        return "'" + text
    return text
