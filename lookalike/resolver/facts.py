"""Pure readers of facts in parsed DNS replies: addresses, CNAME chains, name servers, the SOA, MX,
SPF and DMARC records, the mail route, and whether a name's answers are a wildcard's.

Pure: no sockets, no asyncio. Each function takes parsed replies (``Lookup``) and returns facts;
``mail_route`` is the one place that decides where mail for a name goes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lookalike.model import MailRoute, Outcome, Status
from lookalike.resolver.replies import Value


@dataclass(frozen=True, slots=True)
class Lookup:
    """A stage-2 question, read (``replies.Parsed``, with the status of its answer)."""

    status: Status
    detail: str
    chain: tuple[str, ...] = ()
    """CNAMEs followed from the question name."""
    records: tuple[Value, ...] = ()
    """Records of the asked type owned by the chain's end (see ``replies.Value``)."""
    referral: tuple[str, ...] = ()
    """NS targets for the question name in the authority section (a referral)."""
    authority_soa: str = ""
    """MNAME of the authority section's first SOA."""

    def problem(self, what: str) -> str:
        return f"{what}: {self.status.value} ({self.detail})"


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What a random name under a zone resolves to: a wildcard's signature."""

    addresses: frozenset[str]
    target: str
    """The end of the CNAME chain, if the wildcard is a CNAME."""
    mx: frozenset[str]
    ns: frozenset[str]


def norm(name: str) -> str:
    return name.strip().rstrip(".").lower()


def addresses(records: Iterable[Value]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(record for record in records if isinstance(record, str)))


def ip_key(address: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(address)
    return ip.version, int(ip)


def addresses_outcome(a: Lookup, aaaa: Lookup) -> Outcome[tuple[str, ...]]:
    found = addresses(a.records) + addresses(aaaa.records)
    failed = [lookup.problem(what) for what, lookup in (("A", a), ("AAAA", aaaa)) if lookup.status.unknown]
    if a.status is Status.OK or aaaa.status is Status.OK:
        return Outcome(Status.OK, found, "; ".join(failed))
    if Status.ABSENT in (a.status, aaaa.status):
        return Outcome(Status.ABSENT, None, a.detail if a.status is Status.ABSENT else aaaa.detail)
    return Outcome(a.status, None, "; ".join(failed))


def texts(records: Iterable[Value]) -> tuple[str, ...]:
    """TXT records as text: one record's character-strings are joined without spaces (RFC 7208 §3.3).
    Bytes that are not UTF-8 are replaced: this is hostile text, shown to people, never executed."""
    return tuple(record.decode("utf-8", "replace") for record in records if isinstance(record, bytes))


def is_spf(record: str) -> bool:
    return record[:6].lower() == "v=spf1" and (len(record) == 6 or record[6] == " ")


def spf_record(txt: Lookup) -> tuple[str | None, str]:
    """The SPF record among a name's TXT records (the first, sorted), and a problem when there is
    more than one (RFC 7208 §4.5: a permerror). None when the TXT question was not answered OK."""
    if txt.status is not Status.OK:
        return None, ""
    records = sorted(t for t in texts(txt.records) if is_spf(t))
    if len(records) > 1:
        return records[0], f"SPF: {len(records)} v=spf1 records (RFC 7208 §4.5: permerror)"
    return (records[0] if records else None), ""


def dmarc_record(lookup: Lookup) -> str | None:
    if lookup.status is not Status.OK:
        return None
    records = sorted(t for t in texts(lookup.records) if is_dmarc(t))
    return records[0] if records else None


def is_dmarc(record: str) -> bool:
    head = record.lstrip()[:8].lower()
    rest = record.lstrip()[8:9]
    return head == "v=dmarc1" and rest in ("", ";", " ", "\t")


def mx_records(records: Iterable[Value]) -> list[tuple[int, str]]:
    """(preference, host) sorted by preference then host; a null MX target (``.``) is ``""``."""
    return sorted({record for record in records if isinstance(record, tuple)})


def ns_hosts(lookup: Lookup) -> tuple[str, ...]:
    """NS targets for the question name from the answer, else from a referral's authority section."""
    records = [record for record in lookup.records if isinstance(record, str)]
    return tuple(sorted(set(records or lookup.referral)))


def soa_mname(lookup: Lookup) -> str:
    for record in lookup.records:
        if isinstance(record, str):
            return record
    return lookup.authority_soa


def mail_route(
    mx: Lookup,
    mx_records: Sequence[tuple[int, str]],
    a: Lookup,
    aaaa: Lookup,
    addresses: tuple[str, ...],
    *,
    targets: Mapping[str, Outcome[tuple[str, ...]]],
) -> MailRoute:
    """RFC 5321 §5.1 and RFC 7505: explicit MX, a null MX, the implicit MX of an address, or none.

    ``targets`` holds the address lookup of each MX host that was asked. When every MX host was asked
    and each answer is definite and empty (NXDOMAIN, or no A and no AAAA with neither question failing:
    an OK outcome without detail), mail has nowhere to go: ``DANGLING_MX``. An unanswered lookup, or an
    MX host left unasked, keeps it ``MX``: unknown is not "bounces"."""
    if mx.status.unknown:
        return MailRoute.UNKNOWN
    if mx_records:
        if len(mx_records) == 1 and mx_records[0] == (0, ""):
            return MailRoute.NULL_MX
        hosts = {host for _, host in mx_records if host}
        answers = [targets.get(host) for host in hosts]
        if hosts and all(
            found is not None
            and not found.value
            and (found.status is Status.ABSENT or (found.status is Status.OK and not found.detail))
            for found in answers
        ):
            return MailRoute.DANGLING_MX
        return MailRoute.MX
    if addresses:
        return MailRoute.IMPLICIT
    if a.status.unknown or aaaa.status.unknown:
        return MailRoute.UNKNOWN
    return MailRoute.NONE


def same_source(mine: Fingerprint, wildcard: Fingerprint, is_apex: bool) -> bool:
    """True when a name's answers are the wildcard's: it exists only through the wildcard."""
    if is_apex and mine.ns != wildcard.ns:
        return False  # delegated on its own: registered, whatever its addresses
    if mine.target or wildcard.target:
        return mine.target == wildcard.target
    if mine.addresses or wildcard.addresses:
        # Wildcards behind load balancers rotate addresses: one shared address is enough.
        return bool(mine.addresses & wildcard.addresses)
    return mine.mx == wildcard.mx
