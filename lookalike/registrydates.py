"""Registries' dates: the dozens of ways WHOIS servers write a day and a time, read into aware datetimes.

Pure. ``parse_date`` reads one value; ``slash_order`` looks at every date of one answer to tell
day/month/year from month/day/year when a single value cannot (``03/02/2020``). What is read and how:

    2024-08-14T07:01:34Z, 2024-08-14 07:01:34+02, 20240814, 2024/08/14, 2024.08.14, 2020. 01. 12.
    14-Aug-2024, 14 August 2024, Aug 14 2024, 2001-Aug-23., Tue Jun 21 23:59:59 GMT 2011
    14.08.2024 07:01:34, 14-08-2024, 18/12/2001 or 12/18/2001 (see slash_order)
    a zone after the time: Z, UTC, GMT, +0900, (UTC+8), (GMT+0:00), (JST), CLST, CET ...
    "before Aug-1996" (Nominet, SWITCH): the latest the date can be, so a name's age is never overstated
    decorations: "(YYYY-MM-DD)", "#12345" serial numbers, "1st/2nd/3rd/4th", "at" before the time

A value with no zone is UTC. Anything else (empty, "n/a", not a date, a year outside 1985-2200) is
None: a registry's date is a fact we keep only when we can read it exactly.

Must not: guess from the local time zone (nothing here reads the process's zone), or raise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

EARLIEST, LATEST = 1985, 2200
"""Years a registration date can have: the first .com was registered in 1985."""

_NAMED_ZONES = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "wet": 0, "bst": 60, "ist": 60, "cet": 60, "met": 60,
    "west": 60, "cest": 120, "mest": 120, "eet": 120, "eest": 180, "msk": 180, "jst": 540, "kst": 540,
    "hkt": 480, "sgt": 480, "awst": 480, "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480,
    "pdt": -420, "clt": -240, "clst": -180, "art": -180, "brt": -180,
}  # fmt: skip
"""Zone abbreviations registries write, in minutes east of UTC. Ambiguous ones take the meaning the
registries that write them use (IST: Irish, as written by .ie; CST: US Central)."""

_ZONE = r"(?P<zone>z|[a-z]{2,5}|(?:utc|gmt)?\s*[+-]\s*\d{1,2}(?::?\d{2})?)"  # a name, or an offset
_TRAILING_ZONE = re.compile(
    r"^(?P<rest>.*?\d)\s*(?:\(\s*" + _ZONE + r"\s*\)|" + _ZONE.replace("zone", "z2") + r")$", re.IGNORECASE
)
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:-?[t ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?$",
    re.IGNORECASE,
)
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_FORMATS = (
    "%d-%b-%Y", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y %H:%M", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y",
    "%d %b %Y %H:%M:%S", "%d %B %Y %H:%M:%S", "%d %B %Y %H:%M:%S.%f", "%b %d %Y %H:%M:%S",
    "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y.%m.%d", "%Y.%m.%d %H:%M:%S", "%Y. %m. %d.",
    "%Y%m%d", "%Y%m%d %H:%M:%S", "%Y%m%d%H%M%S", "%Y-%b-%d", "%Y-%b-%d.", "%b-%Y", "%B %Y",
    "%a %b %d %H:%M:%S %Y", "%a %b %d %Y", "%a, %d %b %Y %H:%M:%S", "%A %d %B %Y",
)  # fmt: skip
_EMPTY = frozenset(("n/a", "na", "none", "not defined", "-", "unknown", "null", "0", "never"))


def parse_date(text: str, *, day_first: bool = True) -> datetime | None:
    """A registry's date as a timezone-aware datetime; None when it is not one (see the module doc).

    ``day_first`` decides ``03/02/2020`` (3 February when true); ``slash_order`` finds it for an answer.
    """
    value = _normalise(text)
    if not value or value.lower() in _EMPTY:
        return None
    value, tz = _split_zone(value)
    if tz is None:
        return None
    result = _read(value, day_first)
    if result is None:
        return None
    result = result.replace(tzinfo=tz) if result.tzinfo is None else result
    if not EARLIEST <= result.year <= LATEST:
        return None
    return result


def slash_order(values: Iterable[str]) -> bool:
    """True (day first) unless a value of the same answer can only be month first (``12/18/2001``)."""
    day_first = month_first = False
    for text in values:
        match = _SLASHED.match(_normalise(text))
        if match is None or "/" not in text:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        day_first |= first > 12 >= second
        month_first |= second > 12 >= first
    return not (month_first and not day_first)


def _normalise(text: str) -> str:
    value = re.sub(r"\s+", " ", text).strip()
    value = re.sub(
        r"\s*\((?:yyyy|dd|mm)[^)]*\)$", "", value, flags=re.IGNORECASE
    )  # "2001/02/03 (YYYY/MM/DD)"
    value = re.sub(r"\s*#\s*\d+$", "", value)  # Registro.br: "19990518 #162310"
    value = re.sub(r"^before\s+", "", value, flags=re.IGNORECASE)  # the latest the date can be
    value = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", value, flags=re.IGNORECASE)
    value = re.sub(r"(\d{4})\s+at\s+(\d)", r"\1 \2", value, flags=re.IGNORECASE)  # "... 2020 at 23:38"
    return value.rstrip(" ,")


def _zone(token: str) -> timezone | None:
    token = token.strip().lower().replace(" ", "")
    if token in _NAMED_ZONES:
        return timezone(timedelta(minutes=_NAMED_ZONES[token]))
    match = re.fullmatch(r"(?:utc|gmt)?([+-])(\d{1,2}):?(\d{2})?", token)
    if not match:
        return None
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _split_zone(value: str) -> tuple[str, timezone | None]:
    """The value without its zone, and the zone (UTC when none is written; None when it is unknown)."""
    # "Tue Jun 21 23:59:59 GMT 2011": a zone between the time and the year.
    inner = re.match(r"^(.*\d:\d{2}(?::\d{2})?)\s+([a-z]{2,5})\s+(\d{4})$", value, re.IGNORECASE)
    if inner and inner.group(2).lower() in _NAMED_ZONES:
        return f"{inner.group(1)} {inner.group(3)}", _zone(inner.group(2))
    match = _TRAILING_ZONE.match(value)
    if match is None:
        return value, UTC
    token = (match.group("zone") or match.group("z2")).strip().lower()
    rest = match.group("rest").strip()
    has_time = re.search(r"\d:\d{2}(?::\d{2})?(?:[.,]\d+)?$", rest) is not None
    if has_time and (token in _NAMED_ZONES or token[:1] in "+-" or token[:3] in ("utc", "gmt")):
        return rest, _zone(token)
    if token in _NAMED_ZONES and token.isalpha():  # "2019-11-20 UTC"
        return rest, _zone(token)
    if has_time and token.isalpha():
        return value, None  # a zone name we do not know: not a time we can place
    return value, UTC  # "2024-08-14" ends in "-14", which is the day, not a zone


def _read(value: str, day_first: bool) -> datetime | None:
    iso = _ISO.match(value)
    if iso:
        year, month, day, hour, minute, second, fraction = iso.groups()
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return _build(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro
        )
    try:
        return datetime.fromisoformat(value)  # the other ISO 8601 spellings ("20110908", week dates)
    except ValueError:
        pass
    slashed = _SLASHED.match(value)
    if slashed:
        first, second, year = int(slashed.group(1)), int(slashed.group(2)), int(slashed.group(3))
        if "." in value[:6] or "-" in value[:6]:
            day, month = first, second  # 14.08.2024 and 14-08-2024 are always day first
        elif first > 12 or (day_first and second <= 12):
            day, month = first, second
        else:
            day, month = second, first
        hour, minute, second_ = (int(slashed.group(i) or 0) for i in (4, 5, 6))
        return _build(year, month, day, hour, minute, second_, 0)
    for fmt in _FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _build(*parts: int) -> datetime | None:
    """year, month, day, hour, minute, second, microsecond as a datetime; None when impossible."""
    year, month, day, hour, minute, second, micro = (*parts, 0, 0, 0, 0, 0, 0, 0)[:7]
    try:
        return datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return None
