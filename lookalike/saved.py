"""A saved scan, read back: from a scan JSON file or from the history database.

Every command that works on a scan it did not just run (``report``, ``plan``, ``audit``,
``blocklist``, ``diff``) loads it here, so they agree on where a scan comes from and what comes
with it:

* ``from_json``   a scan JSON document (``scan --json``): its findings, its plan, the changes it
                  carries; triage marks from a history database when one is given;
* ``from_store``  a stored scan (the latest complete one unless an id is given): its findings, its
                  plan, the triage marks, its changes since the previous scan
                  (``changes.since_previous``, the same as the scan's own) and, when asked, the
                  names it found absent.

Must not print, write anything, or talk to the network. A missing, unreadable or damaged source is a
``LookalikeError`` with one line; a scan JSON document is checked against its schema first
(``schema.check``), so a value of the wrong type is one line naming the field and the finding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lookalike import changes, export, schema
from lookalike.errors import LookalikeError
from lookalike.inputs import read_text
from lookalike.model import Changes, PlanItem, ScanInfo, ScanResult, TriageMark
from lookalike.store import Damage, Location, Store, default_db_path, is_url

MAX_SCAN_JSON = 1 << 30
"""A scan JSON file larger than this (1 GiB) is refused rather than read into memory: ten times the
largest measured (about 100 MB for 27,000 findings), and as much as a re-render can hold."""


@dataclass(frozen=True, slots=True)
class SavedScan:
    """One saved scan and what comes with it."""

    result: ScanResult
    label: str
    """How to name the source in messages: ``scan 7 in /path/db`` or the JSON file's path."""
    name: str
    """A base name for documents made from it: the file's stem, or ``lookalike-scan-7``."""
    changes: Changes | None = None
    """The changes since the previous scan: the store's (``changes.since_previous``) or the file's."""
    triage: Mapping[str, TriageMark] = field(default_factory=dict)
    absent: frozenset[tuple[str, str]] | None = None
    """(domain, protected) pairs the scan found absent, when asked for and known (None for a file:
    a scan JSON lists no absent names)."""
    db: Location | None = None
    """The history database it came with (a registry cache for ``plan``); None when there is none."""
    damage: tuple[Damage, ...] = ()
    """Rows of the history that were damaged and left out while reading it (``Store.damage``), for
    the caller to show."""
    source: Path | None = None
    """The scan JSON file it came from; None for a stored scan."""
    screenshots: Mapping[str, str] = field(default_factory=dict)
    """How the scan JSON named each screenshot, by SHA-256 (``export.screenshot_links``)."""

    @property
    def plan(self) -> tuple[PlanItem, ...]:
        """The registration plan the scan made."""
        return self.result.info.plan

    @property
    def synthetic(self) -> bool:
        """The scan ran against the offline demo universe (``is_synthetic``)."""
        return is_synthetic(self.result.info)


def is_synthetic(info: ScanInfo) -> bool:
    """True when the scan says it ran against the offline demo universe (a ``synthetic`` setting)."""
    return any(
        name.strip().lower() == "synthetic" and value.strip().lower() in ("yes", "true", "1", "on")
        for name, value in info.settings
    )


def read_document(path: Path) -> Mapping[str, Any]:
    """A scan JSON document from disk, parsed (whether it is a lookalike scan is
    ``export.load_document``'s question). Raises ``LookalikeError`` with one line when it is not JSON."""
    if path.is_dir():
        raise LookalikeError(f"{path} is a directory, not a scan JSON file")

    def an_object(head: bytes) -> None:  # a pipe or /dev/zero is refused on its first chunk
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and head.strip(b" \t\r\n"):
            raise LookalikeError(f"{path}: not a lookalike scan JSON document (it does not start with {{)")

    text = read_text(path, MAX_SCAN_JSON, first=an_object)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LookalikeError(
            f"{path} is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise LookalikeError(f"{path} is not a lookalike scan JSON document (nested too deep)") from exc
    except ValueError as exc:  # a number of more than 4,300 digits
        raise LookalikeError(f"{path} is not a lookalike scan JSON document: {exc}") from exc
    if not isinstance(data, Mapping):
        raise LookalikeError(f"{path}: not a lookalike scan JSON document")
    return data


def from_document(data: Mapping[str, Any], label: str) -> tuple[ScanResult, Changes | None]:
    """A parsed scan JSON document's scan and the changes it carries, after ``schema.check``.
    Raises ``LookalikeError`` (one line, starting with ``label``) when it does not fit."""
    try:
        schema.check(data)  # a value of the wrong type: one line naming it, not an error later
        return export.load_document(data), export.load_changes(data)
    except ValueError as exc:
        raise LookalikeError(f"{label}: {exc}") from exc


def from_json(path: Path, *, db: Location | None = None) -> SavedScan:
    """A scan JSON file, with the triage marks of history database ``db`` when that file exists."""
    data = read_document(path)
    result, carried = from_document(data, str(path))
    links = export.screenshot_links(data)
    if db is None or (not is_url(db) and not Path(db).is_file()):
        return SavedScan(result, str(path), path.stem, carried, source=path, screenshots=links)
    with Store.open(db, create=False) as store:
        marks = store.triage()
        return SavedScan(
            result,
            str(path),
            path.stem,
            carried,
            triage=marks,
            db=db,
            damage=tuple(store.damage),
            source=path,
            screenshots=links,
        )


def open_store(db: Location | None) -> Store:
    """The history database ``db`` (the default one when None); never created by reading."""
    return Store.open(db if db is not None else default_db_path(), create=False)


def latest_id(store: Store) -> int:
    """The latest complete scan (of what ``generate`` made, when there is one: a watcher's scans of
    feed matches are chosen by id); an unfinished or interrupted one only when there is no other."""
    scan_id = store.latest_scan(feeds=False) or store.latest_scan() or store.latest_scan(finished=False)
    if scan_id is None:
        raise LookalikeError(f"{store.label} holds no scans yet; run `lookalike scan` first")
    return scan_id


def from_store(
    store: Store, scan_id: int | None = None, *, with_changes: bool = True, with_absent: bool = False
) -> SavedScan:
    """A stored scan (``latest_id`` unless ``scan_id``), with the store's triage marks, its changes
    since the previous scan (``with_changes``) and the names it found absent (``with_absent``: a
    large scan holds a million)."""
    if scan_id is None:
        scan_id = latest_id(store)
    result = store.load_scan(scan_id)
    marks = store.triage()
    return SavedScan(
        result,
        f"scan {scan_id} in {store.label}",
        f"lookalike-scan-{scan_id}",
        changes.since_previous(store, result, triage=marks) if with_changes else None,
        triage=marks,
        absent=frozenset(store.absent(scan_id)) if with_absent else None,
        db=store.path,
        damage=tuple(store.damage),
    )


def load(
    source: Path | None,
    *,
    db: Location | None = None,
    scan_id: int | None = None,
    with_changes: bool = True,
    with_absent: bool = False,
) -> SavedScan:
    """A scan JSON file when ``source`` is given (triage marks from ``db`` when it exists), else a
    stored scan in ``db`` (the default database when None)."""
    if source is not None:
        if scan_id is not None:
            raise LookalikeError("give either a scan JSON file or --scan ID, not both")
        return from_json(source, db=db)
    with open_store(db) as store:
        return from_store(store, scan_id, with_changes=with_changes, with_absent=with_absent)
