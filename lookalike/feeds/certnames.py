"""What a logged certificate says about names: its DNS names (subjectAltName dNSNames, and the subject
common name), issuer, validity and serial, read from the DER of a TBSCertificate.

A CT log hashes the TBSCertificate of a precertificate, not the precertificate itself (RFC 6962 §3.2),
so the names worth trusting are the TBSCertificate's; ``cryptography`` reads whole certificates only,
hence this small DER walker. Pure, bounded (it reads only inside the bytes it is given, never recurses
beyond the certificate's fixed structure), and strict: anything malformed is a ``ValueError``.

Must not: judge the certificate (chain, signature, dates): CT logs already accepted it, and what
matters here is which names it was issued for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

SEQUENCE = 0x30
SET = 0x31
OID = 0x06
INTEGER = 0x02
OCTET_STRING = 0x04
BOOLEAN = 0x01
UTC_TIME = 0x17
GENERALIZED_TIME = 0x18
EXPLICIT_0 = 0xA0
EXPLICIT_3 = 0xA3
DNS_NAME = 0x82
SAN_OID = bytes.fromhex("551d11")  # 2.5.29.17
CN_OID = bytes.fromhex("550403")  # 2.5.4.3
MAX_NAMES = 10_000
ATTRIBUTES = {
    bytes.fromhex("550403"): "CN",
    bytes.fromhex("55040a"): "O",
    bytes.fromhex("55040b"): "OU",
    bytes.fromhex("550406"): "C",
    bytes.fromhex("550407"): "L",
    bytes.fromhex("550408"): "ST",
}
_TEXT_TAGS = frozenset({0x0C, 0x13, 0x14, 0x16, 0x1E, 0x1C})


@dataclass(frozen=True, slots=True)
class CertFacts:
    """The facts of one logged certificate that a lookalike hunt needs."""

    names: tuple[str, ...]
    """DNS names: every subjectAltName dNSName, then the subject CN when it is not among them; lower
    case, as written (``*.example.com`` stays a wildcard), without duplicates."""
    issuer: str
    """The issuer's distinguished name, most specific last: ``C=US, O=Let's Encrypt, CN=R11``."""
    not_before: datetime | None
    not_after: datetime | None
    serial: str
    """The serial number in hex."""


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the element at ``pos``; raises ``ValueError``."""
    if pos + 2 > end:
        raise ValueError("truncated DER")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("high-tag-number form is not used in certificates")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise ValueError("DER element runs past its parent")
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    found = []
    pos = start
    while pos < end:
        tag, value, after = _tlv(data, pos, end)
        found.append((tag, value, after))
        pos = after
    return found


def _text(data: bytes, tag: int, start: int, end: int) -> str:
    raw = data[start:end]
    if tag == 0x1E:  # BMPString
        return raw.decode("utf-16-be", "replace")
    if tag == 0x1C:  # UniversalString
        return raw.decode("utf-32-be", "replace")
    return raw.decode("utf-8", "replace")


def _name(data: bytes, start: int, end: int) -> list[tuple[str, str]]:
    """(attribute, value) pairs of an X.501 Name, in order."""
    pairs = []
    for tag, rstart, rend in _children(data, start, end):
        if tag != SET:
            raise ValueError("a Name holds SETs")
        for tag2, astart, aend in _children(data, rstart, rend):
            if tag2 != SEQUENCE:
                raise ValueError("an RDN holds SEQUENCEs")
            parts = _children(data, astart, aend)
            if len(parts) != 2 or parts[0][0] != OID:
                raise ValueError("an attribute is an OID and a value")
            oid = data[parts[0][1] : parts[0][2]]
            vtag, vstart, vend = parts[1]
            if vtag in _TEXT_TAGS:
                pairs.append((ATTRIBUTES.get(oid, oid.hex()), _text(data, vtag, vstart, vend)))
    return pairs


def _time(data: bytes, tag: int, start: int, end: int) -> datetime | None:
    text = data[start:end].decode("ascii", "replace")
    try:
        if tag == UTC_TIME:
            parsed = datetime.strptime(text, "%y%m%d%H%M%SZ")
        elif tag == GENERALIZED_TIME:
            parsed = datetime.strptime(text, "%Y%m%d%H%M%SZ")
        else:
            return None
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC)


def tbs_of_certificate(cert: bytes) -> bytes:
    """The TBSCertificate inside a DER certificate. Raises ``ValueError``."""
    tag, start, end = _tlv(cert, 0, len(cert))
    if tag != SEQUENCE:
        raise ValueError("a certificate is a SEQUENCE")
    tag, _, tend = _tlv(cert, start, end)
    if tag != SEQUENCE:
        raise ValueError("a TBSCertificate is a SEQUENCE")
    return cert[start:tend]


def cert_facts(tbs: bytes) -> CertFacts:
    """The facts of a DER TBSCertificate. Raises ``ValueError`` when it is malformed."""
    tag, start, end = _tlv(tbs, 0, len(tbs))
    if tag != SEQUENCE:
        raise ValueError("a TBSCertificate is a SEQUENCE")
    fields = _children(tbs, start, end)
    if fields and fields[0][0] == EXPLICIT_0:
        fields = fields[1:]
    if len(fields) < 6 or fields[0][0] != INTEGER:
        raise ValueError("a TBSCertificate starts with a serial, algorithm, issuer, validity, subject")
    serial = tbs[fields[0][1] : fields[0][2]].hex().lstrip("0") or "0"
    issuer = _name(tbs, fields[2][1], fields[2][2])
    validity = _children(tbs, fields[3][1], fields[3][2])
    not_before = _time(tbs, *validity[0]) if len(validity) == 2 else None
    not_after = _time(tbs, *validity[1]) if len(validity) == 2 else None
    subject = _name(tbs, fields[4][1], fields[4][2])
    names: dict[str, None] = {}
    for tag, fstart, fend in fields[6:]:
        if tag != EXPLICIT_3:
            continue
        (seq_tag, sstart, send), *_ = _children(tbs, fstart, fend)
        if seq_tag != SEQUENCE:
            raise ValueError("extensions are a SEQUENCE")
        for etag, estart, eend in _children(tbs, sstart, send):
            parts = _children(tbs, estart, eend)
            if etag != SEQUENCE or len(parts) < 2 or parts[0][0] != OID:
                raise ValueError("an extension is an OID, a criticality and a value")
            if tbs[parts[0][1] : parts[0][2]] != SAN_OID:
                continue
            vtag, vstart, vend = parts[-1]
            if vtag != OCTET_STRING:
                raise ValueError("an extension's value is an OCTET STRING")
            gtag, gstart, gend = _tlv(tbs, vstart, vend)
            if gtag != SEQUENCE:
                raise ValueError("subjectAltName is a SEQUENCE")
            for ntag, nstart, nend in _children(tbs, gstart, gend):
                if ntag == DNS_NAME and len(names) < MAX_NAMES:
                    names[tbs[nstart:nend].decode("ascii", "replace").strip().lower()] = None
    for attribute, value in subject:
        if attribute == "CN" and "." in value and " " not in value.strip():
            names.setdefault(value.strip().lower(), None)
    return CertFacts(
        names=tuple(n for n in names if n),
        issuer=", ".join(f"{k}={v}" for k, v in issuer),
        not_before=not_before,
        not_after=not_after,
        serial=serial,
    )


__all__ = ["CertFacts", "cert_facts", "tbs_of_certificate"]
