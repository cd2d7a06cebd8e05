"""Watching the feeds (``lookalike watch``): Certificate Transparency logs and zone files followed,
their names matched against the protected domains, the matches scanned by the usual pipeline.

    sightings.py  PURE. a feed's name -> the matcher's matches as candidates with their ``Sighting``
    ct.py         CT logs: verified batches, matches and positions kept in one transaction
    zone.py       zone files: names that appeared (delegated) or disappeared, matched and kept
    watcher.py    the second orchestrator: passes of reading and scanning, alerts on untrusted logs

Reading the feeds is ``lookalike.feeds``; matching is ``lookalike.match``; the scan, the history,
the changes and the alerts are the ones every scan has (``schedule``, ``scan``, ``store``).
"""

from lookalike.watch.ct import CtFeed, LogPoll, feed_key
from lookalike.watch.sightings import ct_candidates
from lookalike.watch.watcher import MAX_SCAN, POLL, RESCAN_AFTER, Pass, Watcher
from lookalike.watch.zone import ZoneFeed, ZonePoll

__all__ = [
    "MAX_SCAN",
    "POLL",
    "RESCAN_AFTER",
    "CtFeed",
    "LogPoll",
    "Pass",
    "Watcher",
    "ZoneFeed",
    "ZonePoll",
    "ct_candidates",
    "feed_key",
]
