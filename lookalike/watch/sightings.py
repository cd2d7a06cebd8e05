"""What a feed's name becomes: the matcher's matches as candidates of the usual scan, each carrying its
``Sighting`` (where the name was seen, when, and the certificate or the zone that showed it).

Pure. Must not: read feeds, keep positions, or scan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime

from lookalike.feeds.ctwire import Entry
from lookalike.match import Matcher
from lookalike.model import MAX_SANS, Candidate, Certificate, Sighting

CT = "ct"
ZONE = "zone"
LIST = "list"


def source(kind: str, what: str) -> str:
    """``ct:argon2026h2``, ``zone:com``, ``list:new-names.txt``: a candidate's source."""
    return f"{kind}:{what}"


def candidates(matcher: Matcher, names: Iterable[str], seen: Sighting) -> list[Candidate]:
    """Every lookalike in ``names`` (the names of one certificate, one zone name, one line), once per
    (lookalike, protected domain), as candidates carrying ``seen`` with the name that showed each."""
    found: dict[tuple[str, str], Candidate] = {}
    for name in names:
        for match in matcher.match(name):
            key = (match.domain, match.protected)
            if key not in found:
                sighting = dataclasses.replace(seen, name=match.name)
                found[key] = dataclasses.replace(match.candidate(), sighting=sighting)
    return list(found.values())


def certificate_of(entry: Entry, log: str) -> Certificate:
    """A CT entry as the evidence a finding keeps."""
    return Certificate(
        issuer=entry.issuer,
        not_before=entry.not_before,
        sans=entry.names[:MAX_SANS],
        log=log,
        index=entry.index,
        not_after=entry.not_after,
        serial=entry.serial,
        precert=entry.precert,
    )


def logged_at(entry: Entry) -> datetime | None:
    """When the log took the entry (its timestamp, in ms); None for a timestamp no date can hold."""
    try:
        return datetime.fromtimestamp(entry.timestamp / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def ct_candidates(matcher: Matcher, entry: Entry, log: str) -> list[Candidate]:
    """The lookalikes among one CT entry's names, with the certificate as their evidence."""
    if not entry.names:
        return []
    seen = Sighting(source=source(CT, log), seen_at=logged_at(entry), certificate=certificate_of(entry, log))
    return candidates(matcher, entry.names, seen)


__all__ = ["CT", "LIST", "ZONE", "candidates", "certificate_of", "ct_candidates", "logged_at", "source"]
