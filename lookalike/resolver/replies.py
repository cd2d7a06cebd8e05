"""Stage-2 replies read into ``Parsed``: the CNAME chain from the question name, the records of the
asked type at its end, and what the authority section says (a referral's NS, a negative answer's
SOA). Two readers give the same ``Parsed``:

- ``read``, the fast reader: byte operations for exactly the replies the detail pass gets (records
  of class IN and types A, AAAA, NS, CNAME, SOA, MX, TXT, and an EDNS OPT record without options);
- ``parse``, dnspython: the reference, and the fallback for everything ``read`` declines.

``read`` declines (returns None) on anything it is not certain to read exactly as dnspython does:
another type or class, an OPT with options, an owner or target name with a byte that dnspython
would escape, a record or name that does not fit, trailing bytes. It follows dnspython's rules for
compression (each pointer strictly before the last one, the target entirely before the part that
pointed to it, at most 16 hops), so it cannot loop and reads at most each byte a bounded number of
times; every length is checked before it is used. It never raises: a hostile reply is dnspython's
to judge (and becomes "malformed" there), never a crash and never a different fact.

dnspython's record-set semantics are kept: records of one owner and type are one set (duplicates
dropped, names compared case-insensitively); a CNAME or SOA set holds only the last one given.

Pure: no sockets, no asyncio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import dns.ipv6
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from lookalike import dnswire

MAX_CNAME_CHAIN: Final = 16
MAX_POINTER_HOPS: Final = 16
"""dnspython's ``dns.name.MAX_COMPRESSION_POINTER_CHAIN``: a name that needs more is refused."""
MAX_NAME_WIRE: Final = 255

Value = str | bytes | tuple[int, str]
"""One record as the facts read it: an address (A, AAAA) or a host name (NS, CNAME, the SOA's
MNAME) as lower-case text without the final dot (the root is ``""``); a TXT record's
character-strings joined (bytes); an MX record's (preference, exchange)."""

_ESCAPED: Final = bytes(range(0x21)) + b'"().;\\@$' + bytes(range(0x7F, 0x100))
"""Bytes that dnspython's text form escapes: a label holding one is left to dnspython."""
_IN: Final = 1
_SINGLETON: Final = frozenset((dnswire.CNAME, dnswire.SOA))


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one stage-2 reply says about the question asked."""

    chain: tuple[str, ...] = ()
    """CNAMEs followed from the question name (at most ``MAX_CNAME_CHAIN``, no loops)."""
    records: tuple[Value, ...] = ()
    """Records of the asked type owned by the chain's end, in the order given, without duplicates."""
    referral: tuple[str, ...] = ()
    """Targets of the authority section's NS records owned by the question name."""
    authority_soa: str = ""
    """MNAME of the authority section's first SOA record set (a negative answer's zone)."""


class _Decline(Exception):
    """Not certain to read this as dnspython does: leave it to dnspython."""


def read(data: bytes, qname: bytes, qtype: int) -> Parsed | None:
    """The fast reader: ``data`` is a reply to ``qname`` (wire form, from ``dnswire.encode_name``)
    and ``qtype``. None when the reply is for dnspython to read (see the module docstring)."""
    try:
        return _read(data, qname, qtype)
    except (_Decline, IndexError):
        return None


def _name(data: bytes, pos: int, limit: int) -> tuple[str, int]:
    """The name at ``pos``, in place up to ``limit``: (lower-case text, the position after it)."""
    labels: list[bytes] = []
    biggest = start = pos
    after = -1
    hops = 0
    wire = 1
    while True:
        if pos >= limit:
            raise _Decline
        count = data[pos]
        pos += 1
        if count == 0:
            break
        if count < 64:
            end = pos + count
            if end > limit:
                raise _Decline
            label = data[pos:end]
            if label.translate(None, _ESCAPED) != label:
                raise _Decline
            labels.append(label)
            wire += count + 1
            pos = end
        elif count >= 192:
            if pos >= limit:
                raise _Decline
            target = ((count & 0x3F) << 8) | data[pos]
            pos += 1
            # dnspython's rules: strictly backwards, and the target ends before what points to it.
            if target >= biggest:
                raise _Decline
            hops += 1
            if hops > MAX_POINTER_HOPS:
                raise _Decline
            if after < 0:
                after = pos
            biggest = target
            limit = start
            pos = start = target
        else:
            raise _Decline
    if wire > MAX_NAME_WIRE:
        raise _Decline
    return b".".join(labels).decode("ascii").lower(), (pos if after < 0 else after)


def _read(data: bytes, qname: bytes, qtype: int) -> Parsed:
    size = len(data)
    if size < dnswire.HEADER_LEN or data[2] & 0x78 or data[4] != 0 or data[5] != 1:
        raise _Decline  # another opcode is another kind of message to dnspython (UPDATE ...)
    want, end = _name(qname, 0, len(qname))
    if end != len(qname):
        raise _Decline
    counts = ((data[6] << 8) | data[7], (data[8] << 8) | data[9], (data[10] << 8) | data[11])
    _, pos = _name(data, dnswire.HEADER_LEN, size)
    pos += 4
    answer: dict[tuple[str, int], list[object]] = {}
    referral: list[str] = []
    soa_owner: str | None = None
    soa = ""
    opt = False
    for section, count in enumerate(counts):
        for _ in range(count):
            owner, pos = _name(data, pos, size)
            if pos + 10 > size:
                raise _Decline
            rtype = (data[pos] << 8) | data[pos + 1]
            rclass = (data[pos + 2] << 8) | data[pos + 3]
            start = pos + 10
            end = start + ((data[pos + 8] << 8) | data[pos + 9])
            if end > size:
                raise _Decline
            pos = end
            if rtype == dnswire.OPT:
                if section != 2 or opt or owner or end != start:
                    raise _Decline  # dnspython refuses the first three; options are its to read
                opt = True
                continue
            if rclass != _IN:
                raise _Decline
            value: object
            if rtype == dnswire.A:
                if end - start != 4:
                    raise _Decline
                value = f"{data[start]}.{data[start + 1]}.{data[start + 2]}.{data[start + 3]}"
            elif rtype == dnswire.AAAA:
                if end - start != 16:
                    raise _Decline
                value = dns.ipv6.inet_ntoa(data[start:end])  # dnspython's text form, exactly
            elif rtype in (dnswire.NS, dnswire.CNAME):
                value, after = _name(data, start, end)
                if after != end:
                    raise _Decline
            elif rtype == dnswire.MX:
                if end - start < 2:
                    raise _Decline
                exchange, after = _name(data, start + 2, end)
                if after != end:
                    raise _Decline
                value = ((data[start] << 8) | data[start + 1], exchange)
            elif rtype == dnswire.SOA:
                value, after = _name(data, start, end)
                _, after = _name(data, after, end)
                if after + 20 != end:
                    raise _Decline
            elif rtype == dnswire.TXT:
                if end == start:
                    raise _Decline  # dnspython refuses a TXT record without strings
                strings: list[bytes] = []
                at = start
                while at < end:
                    length = data[at]
                    at += 1
                    if at + length > end:
                        raise _Decline
                    strings.append(data[at : at + length])
                    at += length
                value = tuple(strings)
            else:
                raise _Decline
            if section == 0:
                rrset = answer.get((owner, rtype))
                if rrset is None:
                    answer[(owner, rtype)] = [value]
                elif rtype in _SINGLETON:
                    rrset[:] = [value]
                elif value not in rrset:
                    rrset.append(value)
            elif section == 1:
                if rtype == dnswire.NS and owner == want and value not in referral:
                    referral.append(str(value))
                elif rtype == dnswire.SOA and soa_owner in (None, owner):
                    soa_owner = owner
                    soa = str(value)
    if pos != size:
        raise _Decline  # trailing bytes: dnspython's TrailingJunk
    chain, records = _follow(answer, want, qtype)
    if qtype == dnswire.TXT:
        records = [b"".join(strings) for strings in records]  # type: ignore[arg-type]
    return Parsed(tuple(chain), tuple(records), tuple(referral), soa)  # type: ignore[arg-type]


def _follow(
    answer: dict[tuple[str, int], list[object]], want: str, qtype: int
) -> tuple[list[str], list[object]]:
    """Follow CNAMEs from ``want`` through the answer section; the records of ``qtype`` at the end."""
    chain: list[str] = []
    seen = {want}
    current = want
    for _ in range(MAX_CNAME_CHAIN):
        rrset = answer.get((current, qtype))
        if rrset is not None:
            return chain, rrset
        if qtype == dnswire.CNAME:
            break
        cname = answer.get((current, dnswire.CNAME))
        if not cname:
            break
        target = str(cname[0])
        if target in seen:
            break
        seen.add(target)
        chain.append(target)
        current = target
    return chain, []


def parse(data: bytes, qname: bytes, qtype: int) -> Parsed:
    """The reference reader: dnspython. Raises ``dns.exception.DNSException`` for a malformed reply."""
    message = dns.message.from_wire(data)
    owner = dns.name.from_text(dnswire.decode_name(qname))
    rdtype = dns.rdatatype.RdataType(qtype)
    section = message.answer
    chain: list[str] = []
    seen = {owner}
    current = owner
    found: tuple[dns.rdata.Rdata, ...] = ()
    for _ in range(MAX_CNAME_CHAIN):
        rrset = message.get_rrset(section, current, dns.rdataclass.IN, rdtype)
        if rrset is not None:
            found = tuple(rrset)
            break
        if rdtype == dns.rdatatype.CNAME:
            break
        cname = message.get_rrset(section, current, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname is None or not len(cname):
            break
        target: dns.name.Name = next(iter(cname)).target
        if target in seen:
            break
        seen.add(target)
        chain.append(_text(target))
        current = target
    referral = message.get_rrset(message.authority, owner, dns.rdataclass.IN, dns.rdatatype.NS)
    soa = ""
    for rrset in message.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            soa = _text(next(iter(rrset)).mname)
            break
    return Parsed(
        tuple(chain),
        tuple(_value(rdata, qtype) for rdata in found),
        tuple(_text(rdata.target) for rdata in referral) if referral is not None else (),
        soa,
    )


def _value(rdata: dns.rdata.Rdata, qtype: int) -> Value:
    """A dnspython rdata of ``qtype`` as the facts read it."""
    if qtype in (dnswire.A, dnswire.AAAA):
        return str(rdata.address)  # type: ignore[attr-defined]
    if qtype in (dnswire.NS, dnswire.CNAME):
        return _text(rdata.target)  # type: ignore[attr-defined]
    if qtype == dnswire.SOA:
        return _text(rdata.mname)  # type: ignore[attr-defined]
    if qtype == dnswire.MX:
        return int(rdata.preference), _text(rdata.exchange)  # type: ignore[attr-defined]
    if qtype == dnswire.TXT:
        return b"".join(rdata.strings)  # type: ignore[attr-defined]
    raise ValueError(f"stage 2 does not ask for type {qtype}")


def _text(name: dns.name.Name) -> str:
    """Lower case, no trailing dot; the root (a null MX target) is ``""``."""
    return "" if name == dns.name.root else name.to_text(omit_final_dot=True).lower()
