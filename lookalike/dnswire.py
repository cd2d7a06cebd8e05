"""DNS wire format for the triage fast path: build query bytes by hand, match and check replies cheaply.

Stage 1 sends millions of identical-looking questions and needs only a reply's header (RCODE, TC,
counts). Building a ``dns.message.Message`` and parsing every reply with dnspython would cost more
than the network round trip on loopback, so this module does the few things the fast path needs with
byte operations. Everything else (stage 2, TCP) parses with dnspython.

What a reply must satisfy before anyone believes it (``match``): the QR bit, opcode QUERY, exactly
one question, the id we chose and the question we asked (name compared case-insensitively, type and
class exactly). A spoofed or stale reply that fails any of these is dropped, never accepted.
``walk`` then checks that the sections hold exactly the records the header counts, so a mangled
reply becomes "malformed" instead of a believed answer.

Pure: no sockets, no clock, no randomness.
"""

from __future__ import annotations

from dataclasses import dataclass

HEADER_LEN = 12
MAX_NAME_WIRE = 255
MAX_LABEL = 63

# Query types the resolver asks (RFC 1035 §3.2.2, RFC 3596).
A = 1
NS = 2
CNAME = 5
SOA = 6
MX = 15
TXT = 16
AAAA = 28
OPT = 41

# Response codes (RFC 1035 §4.1.1).
NOERROR = 0
FORMERR = 1
SERVFAIL = 2
NXDOMAIN = 3
NOTIMP = 4
REFUSED = 5
BADVERS = 16
"""An extended RCODE (RFC 6891): 1 in the OPT record's EXTENDED-RCODE octet, 0 in the header."""

RCODE_NAMES = {
    NOERROR: "NOERROR",
    FORMERR: "FORMERR",
    SERVFAIL: "SERVFAIL",
    NXDOMAIN: "NXDOMAIN",
    NOTIMP: "NOTIMP",
    REFUSED: "REFUSED",
    BADVERS: "BADVERS",
}

QTYPE_NAMES = {A: "A", NS: "NS", CNAME: "CNAME", SOA: "SOA", MX: "MX", TXT: "TXT", AAAA: "AAAA"}

_FLAG_QR = 0x80  # in byte 2
_FLAG_TC = 0x02  # in byte 2
_FLAG_RD = 0x01  # in byte 2
_OPCODE_MASK = 0x78  # in byte 2
_CLASS_IN = b"\x00\x01"


class WireError(ValueError):
    """A name that cannot be written as a DNS question."""


def encode_name(name: str) -> bytes:
    """The wire form of a domain name, lower-cased: ``kestrel.ml`` -> ``\\x07kestrel\\x02ml\\x00``.

    Accepts a trailing dot. Raises ``WireError`` for an empty label, a label over 63 octets, a name
    over 255 octets on the wire, or non-ASCII text (give A-labels).
    """
    text = name[:-1] if name.endswith(".") else name
    if not text.isascii():
        raise WireError(f"{name!r} is not ASCII; give the A-label (xn--) form")
    out = bytearray()
    if text:
        for label in text.lower().split("."):
            raw = label.encode("ascii")
            if not raw:
                raise WireError(f"{name!r} has an empty label")
            if len(raw) > MAX_LABEL:
                raise WireError(f"{name!r} has a label longer than {MAX_LABEL} octets")
            out.append(len(raw))
            out += raw
    out.append(0)
    if len(out) > MAX_NAME_WIRE:
        raise WireError(f"{name!r} is longer than {MAX_NAME_WIRE} octets on the wire")
    return bytes(out)


def question(qname: bytes, qtype: int) -> bytes:
    """The question section for ``qname`` (wire form from ``encode_name``), ``qtype``, class IN."""
    return qname + qtype.to_bytes(2, "big") + _CLASS_IN


def build_query(qid: int, qname: bytes, qtype: int, *, edns_payload: int = 0) -> bytes:
    """A standard recursive query (RD set) for one question.

    ``edns_payload`` > 0 adds an EDNS(0) OPT record advertising that UDP payload size (RFC 6891), so
    stage-2 answers with many records fit a datagram; the fast path leaves it out (the header is all
    it reads, and NXDOMAIN replies stay small).
    """
    header = (
        qid.to_bytes(2, "big")
        + bytes((_FLAG_RD, 0))
        + b"\x00\x01\x00\x00\x00\x00"
        + (b"\x00\x01" if edns_payload else b"\x00\x00")
    )
    body = header + question(qname, qtype)
    if edns_payload:
        # root owner, type OPT, class = payload size, TTL = ext-rcode/version/flags 0, no options
        body += b"\x00\x00\x29" + edns_payload.to_bytes(2, "big") + b"\x00\x00\x00\x00\x00\x00"
    return body


def reply_id(data: bytes) -> int | None:
    """The id of a datagram that is long enough to be a DNS message, else None."""
    if len(data) < HEADER_LEN:
        return None
    return (data[0] << 8) | data[1]


def match(data: bytes, qid: int, qname: bytes, qtype: int) -> bool:
    """True when ``data`` is a response to exactly the query (``qid``, ``qname``, ``qtype``, IN).

    The name is compared case-insensitively (resolvers may echo 0x20-mixed case); length octets are
    at most 63, below ``A``, so lower-casing never changes the label structure.
    """
    n = len(qname)
    if len(data) < HEADER_LEN + n + 4:
        return False
    if ((data[0] << 8) | data[1]) != qid:
        return False
    flags = data[2]
    if not flags & _FLAG_QR or flags & _OPCODE_MASK:
        return False
    if data[4] != 0 or data[5] != 1:
        return False
    end = HEADER_LEN + n
    return data[HEADER_LEN:end].lower() == qname and data[end : end + 4] == question(b"", qtype)


@dataclass(frozen=True, slots=True)
class Header:
    """What the fast path reads from a reply."""

    rcode: int
    truncated: bool
    authoritative: bool
    ancount: int
    nscount: int
    arcount: int


def header(data: bytes) -> Header:
    """The header fields of a message at least ``HEADER_LEN`` long (the caller checked ``match``)."""
    return Header(
        rcode=data[3] & 0x0F,
        truncated=bool(data[2] & _FLAG_TC),
        authoritative=bool(data[2] & 0x04),
        ancount=(data[6] << 8) | data[7],
        nscount=(data[8] << 8) | data[9],
        arcount=(data[10] << 8) | data[11],
    )


def rcode_of(data: bytes) -> int:
    """The header's 4-bit RCODE of a message (``full_rcode`` adds the OPT record's bits)."""
    return data[3] & 0x0F


def ancount_of(data: bytes) -> int:
    return (data[6] << 8) | data[7]


def skip_name(data: bytes, offset: int) -> int:
    """The offset just past the (possibly compressed) name at ``offset``; -1 when it is malformed.

    A compression pointer ends the name; its target is not followed (the fast path never reads
    names in records, it only needs their extent).
    """
    end = len(data)
    i = offset
    while i < end:
        length = data[i]
        if length == 0:
            return i + 1
        if length & 0xC0 == 0xC0:
            return i + 2 if i + 1 < end else -1
        if length & 0xC0:
            return -1  # obsolete extended label types (RFC 6891 §5)
        i += length + 1
    return -1


def walk(data: bytes, offset: int, records: int) -> bool:
    """True when exactly ``records`` resource records fill ``data`` from ``offset`` to its end.

    Each record is a name, ten fixed octets (type, class, TTL, RDLENGTH) and RDLENGTH octets of data.
    A count that promises more records than the message holds, or bytes left over, is malformed.
    """
    end = len(data)
    i = offset
    for _ in range(records):
        i = skip_name(data, i)
        if i < 0 or i + 10 > end:
            return False
        i += 10 + ((data[i + 8] << 8) | data[i + 9])
        if i > end:
            return False
    return i == end


def full_rcode(data: bytes, offset: int) -> int:
    """The whole RCODE of a reply whose records start at ``offset``: the header's four bits, and the
    eight of the OPT record's EXTENDED-RCODE above them (RFC 6891 §6.1.3), so a NOERROR header with
    an OPT saying BADVERS reads 16. -1 when the sections do not hold exactly the records the header
    counts, or the additional section holds two OPT records (RFC 6891 §6.1.1: FORMERR).
    """
    end = len(data)
    answers = ((data[6] << 8) | data[7]) + ((data[8] << 8) | data[9])
    records = answers + ((data[10] << 8) | data[11])
    rcode = data[3] & 0x0F
    opt = False
    i = offset
    for n in range(records):
        i = skip_name(data, i)
        if i < 0 or i + 10 > end:
            return -1
        if n >= answers and data[i] == 0 and data[i + 1] == OPT:
            if opt:
                return -1
            opt = True
            rcode |= data[i + 4] << 4
        i += 10 + ((data[i + 8] << 8) | data[i + 9])
        if i > end:
            return -1
    return rcode if i == end else -1


def well_formed(data: bytes, qname: bytes) -> bool:
    """True when a reply that ``match``ed holds exactly the records its header counts."""
    records = ((data[6] << 8) | data[7]) + ((data[8] << 8) | data[9]) + ((data[10] << 8) | data[11])
    return walk(data, HEADER_LEN + len(qname) + 4, records)


def decode_name(qname: bytes) -> str:
    """The text form of a wire name from ``encode_name`` (no trailing dot; ``""`` for the root)."""
    labels: list[str] = []
    i = 0
    while i < len(qname) and qname[i]:
        length = qname[i]
        labels.append(qname[i + 1 : i + 1 + length].decode("ascii", "replace"))
        i += length + 1
    return ".".join(labels)
