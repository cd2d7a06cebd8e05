"""Asynchronous DNS for the scan, split by seam in the manner of dnspython:

    client.py     ``Resolver``: triage (stage 1) and detail (stage 2), the retry loop, wildcards
    policy.py     PURE. the attempt policy: given a reply or a timeout, what next (done, retry, TCP)
    window.py     PURE. the adaptive in-flight window per resolver (congestion control)
    transport.py  sockets, ids, slots, tickets, TCP: sends and matches, never decides
    stream.py     the triage stream behind ``Resolver.triage_many``
    replies.py    PURE. stage-2 replies read: a fast reader for plain replies, dnspython for the rest
    facts.py      PURE. what read replies say: addresses, MX, SPF, DMARC, mail route, wildcards

Import from here: ``from lookalike.resolver import Resolver``.
"""

from lookalike.resolver.client import NAME_COLLISION, Resolver, ResolverStats
from lookalike.resolver.window import WindowReport

__all__ = ["NAME_COLLISION", "Resolver", "ResolverStats", "WindowReport"]
