"""What a distributed scan's coordinator and its workers agree on, readable without loading either.

The queue's default name and how long a unit a worker took stays hidden from the others: the
``lookalike worker`` command shows both in its options, and ``tasks.py`` (which imports Celery's
side and the whole scan) uses them. Must not: import anything of the scan or of Celery.
"""

from __future__ import annotations

from typing import Final

QUEUE: Final = "lookalike"
"""The queue a coordinator sends units to and a worker reads by default."""
VISIBILITY_TIMEOUT: Final = 3600.0
"""Seconds a unit taken by a worker stays invisible to the others before Redis hands it out again
(kombu's default). A worker killed with ``kill -9`` leaves its unit for that long; a unit that runs
longer than this is handed to a second worker while the first still works on it (harmless, since
writes are idempotent, but twice the work): keep units well below it."""
