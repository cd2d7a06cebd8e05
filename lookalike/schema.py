"""The scan JSON document's schema, and the check a document passes before it is read back.

A scan JSON file is outside input: a person may have edited it, a script may have written it, a disk
may have damaged it. ``check`` walks a parsed document and names the first value that does not fit
its type, with the finding it belongs to::

    findings[12] (kestre1systems.com): registration.created: expected a date (ISO 8601), got 42

The types are not written here a second time: each key of a finding record names the model field
it holds (``domain`` is ``Candidate.domain``, ``status`` is ``DnsFacts.existence`` ...), and
``codec.decode`` checks the value against that field's type hint; the sections of the document
(``scan``, ``references``, ``plan``, ``changes``) are model types themselves. What ``export``
writes and this schema knows are kept in step by a test (every key a finding record has is here).

Must not: read files, build the scan (``export.load_document`` does), or raise anything but
``SchemaError`` for a document that does not fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lookalike.codec import DecodeError, decode, field_type, got
from lookalike.export import REGISTRATION_FIELDS, SCHEMA_VERSION, SMTP_FIELDS, VISUAL_FIELDS, WEB_FIELDS
from lookalike.model import (
    Candidate,
    Changes,
    DnsFacts,
    MxHost,
    Outcome,
    PlanItem,
    Reference,
    Registration,
    ScanInfo,
    Score,
    Sighting,
    SmtpFacts,
    VisualFacts,
    WebFacts,
)

__all__ = ["FINDING", "OUTCOMES", "SchemaError", "check"]


class SchemaError(ValueError):
    """A scan JSON document that does not fit its schema; the message names the field (and finding)."""


FINDING: Mapping[str, Any] = {
    "domain": field_type(Candidate, "domain"),
    "unicode": field_type(Candidate, "unicode"),
    "protected": field_type(Candidate, "protected"),
    "techniques": field_type(Candidate, "techniques"),
    "plausibility": field_type(Candidate, "plausibility"),
    "apex": field_type(Candidate, "apex"),
    "registrable": field_type(Candidate, "registrable"),
    "idn_note": field_type(Candidate, "note"),
    "status": field_type(DnsFacts, "existence"),
    "dns_outcome": field_type(Outcome, "status"),
    "detail": field_type(Outcome, "detail"),
    "wildcard": field_type(DnsFacts, "wildcard"),
    "name_collision": field_type(DnsFacts, "name_collision"),
    "mail_route": field_type(DnsFacts, "mail_route"),
    "mx": tuple[field_type(MxHost, "host"), ...],  # type: ignore[misc]  # the MX hosts' names
    "mx_records": field_type(DnsFacts, "mx"),
    "a": field_type(DnsFacts, "a"),
    "aaaa": field_type(DnsFacts, "aaaa"),
    "ns": field_type(DnsFacts, "ns"),
    "soa": field_type(DnsFacts, "soa") | None,  # null when the name has no SOA of its own
    "cname": field_type(DnsFacts, "cname"),
    "spf": field_type(DnsFacts, "spf"),
    "dmarc": field_type(DnsFacts, "dmarc"),
    "dns_problems": field_type(DnsFacts, "problems"),
    "level": field_type(Score, "level"),
    "points": field_type(Score, "points"),
    "reasons": field_type(Score, "reasons"),
    "owner": field_type(Score, "owner"),
    "owner_reasons": field_type(Score, "owner_reasons"),
    "source": field_type(Sighting, "source"),
    "seen_at": field_type(Sighting, "seen_at"),
    "seen_as": field_type(Sighting, "name") | None,  # null for a generated name
    "delegated": field_type(Sighting, "delegated"),
    "certificate": field_type(Sighting, "certificate"),
}
"""Each key of a finding record (``export.finding_record``) -> the type its value must have."""

OUTCOMES: Mapping[str, tuple[type, tuple[str, ...], str | None]] = {
    "registration": (Registration, REGISTRATION_FIELDS, None),
    "smtp": (SmtpFacts, SMTP_FIELDS, "hosts"),
    "web": (WebFacts, WEB_FIELDS, "probes"),
    "visual": (VisualFacts, VISUAL_FIELDS, None),
}
"""The outcome objects of a finding record: the facts' type, the fields copied flat into the object
(each may be null), and the key of the list of every host's facts (None: one object of facts)."""

VISUAL_LINKS = ("screenshot", "reference_screenshot", "screenshot_sha256", "reference_sha256")
"""What ``visual{...}`` holds besides its facts: where the two pictures are, and their SHA-256."""

SECTIONS: Mapping[str, tuple[Any, bool]] = {
    "scan": (ScanInfo, True),
    "references": (tuple[Reference, ...], False),
    "plan": (tuple[PlanItem, ...] | None, False),
    "changes": (Changes | None, False),
}
"""The document's parts besides ``findings``: their type, and whether the part must be there."""


def _fits(tp: Any, value: object, where: str) -> None:
    try:
        decode(tp, value)
    except DecodeError as exc:
        inner = exc.where
        path = f"{where}.{inner}" if inner and not inner.startswith("[") else f"{where}{inner}"
        raise SchemaError(f"{path}: {exc.reason}") from None


def _outcome(key: str, obj: object) -> None:
    """One outcome object (``registration``, ``smtp``, ``web``, ``visual``): null or an object whose
    fields fit."""
    if obj is None:
        return
    if not isinstance(obj, Mapping):
        raise SchemaError(f"{key}: expected an object, got {got(obj)}")
    facts, flat, many = OUTCOMES[key]
    _fits(field_type(Outcome, "status"), obj.get("outcome", "skipped"), f"{key}.outcome")
    _fits(str | None, obj.get("detail"), f"{key}.detail")
    for name in flat:
        if obj.get(name) is not None:
            _fits(field_type(facts, name), obj[name], f"{key}.{name}")
    if facts is VisualFacts:  # the facts are there whenever a verdict is (export._load_visual)
        for name in VISUAL_LINKS:
            _fits(str | None, obj.get(name), f"{key}.{name}")
        if obj.get("verdict") is not None:
            _fits(facts, {k: obj[k] for k in flat if obj.get(k) is not None}, key)
    elif many is not None:
        _fits(tuple[facts, ...] | None, obj.get(many), f"{key}.{many}")  # type: ignore[valid-type]
    elif obj.get("outcome") == "ok":  # what export.load_document builds the facts from
        _fits(facts, {k: v for k, v in obj.items() if v is not None}, key)


def _finding(index: int, record: object) -> None:
    if not isinstance(record, Mapping):
        raise SchemaError(f"findings[{index}]: expected an object, got {got(record)}")
    domain = record.get("domain")
    label = f"findings[{index}] ({domain[:80]})" if isinstance(domain, str) else f"findings[{index}]"
    try:
        for key in ("domain", "protected", "status"):
            if key not in record:
                raise SchemaError(f"{key}: missing")
        for key, tp in FINDING.items():
            if key in record:
                _fits(tp, record[key], key)
        for key in OUTCOMES:
            _outcome(key, record.get(key))
    except SchemaError as exc:
        raise SchemaError(f"{label}: {exc}") from None


def check(document: Mapping[str, Any]) -> None:
    """Raise ``SchemaError`` naming the first value of a scan JSON ``document`` (parsed) that does
    not fit its schema, and the finding it belongs to. Keys this lookalike does not know are left
    alone (a newer lookalike may have added them); a newer ``schema_version`` is refused."""
    if document.get("tool") != "lookalike" or "findings" not in document:
        raise SchemaError("not a lookalike scan JSON document")
    version = document.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > SCHEMA_VERSION:
        raise SchemaError(f"scan JSON schema_version {got(version)} is newer than this lookalike reads")
    for key, (tp, required) in SECTIONS.items():
        if key in document:
            _fits(tp, document[key], key)
        elif required:
            raise SchemaError(f"{key}: missing")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise SchemaError(f"findings: expected a list, got {got(findings)}")
    for index, record in enumerate(findings):
        _finding(index, record)
