"""The changes between two stored scans, with what the history database knows besides.

One workflow for every caller, so a scan's own report, ``report --db``, ``diff`` and the alerts show
the same changes:

* the previous scan is the latest *complete* scan before it with the same ``ScanInfo.key`` (the
  same protected names and the same settings that shape the candidates): another choice of
  techniques would make every name it did not generate look new or gone;
* names that went between exists and absent at least twice over their last ``diff.FLAP_WINDOW``
  looks (in the ``FLAP_WINDOW + 1`` scans up to this one, whatever their settings) are flapping and
  left out;
* the triage marks apply; only the previous scan's findings are looked up among the absent names
  (a large scan has a million absent names, and only those can be "gone");
* the previous scan's findings are read from the store as they are compared
  (``diff.compare_stream``), so a repeat scan never holds two scans' findings at once.

``diff.compare`` does the comparing (pure); this module gathers its inputs from the store. It must
not print, write to the store, or ask the network (re-checking a change before alerting is the
scheduled scan's business: ``schedule.recheck``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from lookalike import diff
from lookalike.diff import FLAP_WINDOW
from lookalike.model import Changes, ScanInfo, ScanResult, TriageMark
from lookalike.store import Store


def previous_id(store: Store, current: ScanInfo) -> int | None:
    """The scan ``current`` is compared with: the latest complete scan before it with the same key
    (any complete scan before it when ``current`` was stored without a key)."""
    return store.latest_scan(finished=True, before=current.id, key=current.key or None)


def flap_window(store: Store, scan_id: int) -> list[int]:
    """The ids of the ``FLAP_WINDOW + 1`` latest scans up to and including ``scan_id``, newest first,
    of the same kind as ``scan_id`` (scans of feed matches and the others are windows of their own:
    a watcher's many small scans must not push a daily scan's looks out of its window)."""
    wanted = FLAP_WINDOW + 1
    limit = wanted
    feeds: bool | None = None
    while True:
        infos = store.scans(limit=limit)
        if feeds is None:
            feeds = next((i.of_feeds for i in infos if i.id == scan_id), False)
        ids = [i.id for i in infos if i.id is not None and i.id <= scan_id and i.of_feeds == feeds]
        if len(ids) >= wanted or len(infos) < limit:
            return ids[:wanted]
        limit *= 4


def flapping(store: Store, scan_id: int) -> set[str]:
    """The names that flap over the window ending at ``scan_id`` (``diff.flapping``)."""
    window = flap_window(store, scan_id)
    if len(window) <= 2:
        return set()  # two looks cannot hold two flips
    return diff.flapping(store.existence_history(window))


def between(
    store: Store,
    current: ScanResult,
    previous: int | None,
    *,
    triage: Mapping[str, TriageMark] | None = None,
) -> Changes:
    """The changes from stored scan ``previous`` (None: there is none, everything that exists is new)
    to ``current``, a stored scan (its ``info.id`` set). ``triage`` defaults to the store's marks."""
    if current.info.id is None:
        raise ValueError("the changes of a scan that is not stored are diff.compare's question")
    scan_id = current.info.id
    marks = store.triage() if triage is None else triage
    if previous is None:
        return diff.compare(None, current, triage=marks, flapping=flapping(store, scan_id))
    return diff.compare_stream(
        store.scan_info(previous),
        store.findings(previous),  # read as compared: the previous scan is never whole in memory
        current,
        triage=marks,
        flapping=flapping(store, scan_id),
        absent=store.absent(scan_id, among=store.finding_keys(previous)),
    )


def since_previous(
    store: Store, current: ScanResult, *, triage: Mapping[str, TriageMark] | None = None
) -> Changes:
    """The changes of stored scan ``current`` since the scan it is compared with (``previous_id``);
    for a scan of feed matches (``ScanInfo.of_feeds``), since each name's last observation
    (``since_observed``)."""
    if current.info.of_feeds:
        return since_observed(store, current, triage=triage)
    return between(store, current, previous_id(store, current.info), triage=triage)


def since_observed(
    store: Store, current: ScanResult, *, triage: Mapping[str, TriageMark] | None = None
) -> Changes:
    """The changes of stored scan ``current`` since each of its names was last found by a complete
    scan (``Store.observed``), whatever scan that was: a feed's names are a handful of a day's
    certificates or registrations, never the same set twice, so "the previous scan" means nothing
    for them. A name no scan found before is new; a name found before is changed, escalated or gone
    by the same rules as any scan's (``diff.compare``); names the scan did not look at say nothing."""
    if current.info.id is None:
        raise ValueError("the changes of a scan that is not stored are diff.compare's question")
    scan_id = current.info.id
    marks = store.triage() if triage is None else triage
    keys = {(f.candidate.domain, f.candidate.protected) for f in current.findings}
    absent = store.absent(scan_id)
    observed = store.observed(keys | absent, before=scan_id)
    seen = observed.values()
    last = dataclasses.replace(
        current.info,
        id=max((o.scan_id for o in seen), default=None),
        started=min((o.started for o in seen), default=current.info.started),
        plan=(),
        key="",
    )
    before = ScanResult(info=last, findings=tuple(o.finding for o in seen))
    return diff.compare(before, current, triage=marks, flapping=flapping(store, scan_id), absent=absent)
