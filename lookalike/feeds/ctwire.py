"""Certificate Transparency's wire formats (RFC 6962 §3, C2SP static-ct-api): leaves, data tiles, the
signed tree head's signature, and the log key it is checked with. Both ways: parse (the followers)
and build (the loopback test logs in ``lookalike.demo.ct_server``), so the two cannot drift apart.

Pure. Every parser reads inside the bytes it is given and raises ``ValueError`` at anything malformed.
Must not: fetch, or decide what a bad signature means (``ct`` does).
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from lookalike.feeds.certnames import CertFacts, cert_facts, tbs_of_certificate

X509_ENTRY = 0
PRECERT_ENTRY = 1
SHA256 = 4
SIG_RSA = 1
SIG_ECDSA = 3
TREE_HASH = 1
V1 = 0


class Reader:
    """A cursor over bytes with TLS-style length-prefixed reads; raises ``ValueError`` at the end."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.end:
            raise ValueError(f"truncated: {n} bytes wanted at offset {self.pos}, {self.end - self.pos} left")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, width: int) -> int:
        return int.from_bytes(self.take(width), "big")

    def vector(self, width: int) -> bytes:
        return self.take(self.uint(width))

    @property
    def done(self) -> bool:
        return self.pos == self.end


@dataclass(frozen=True, slots=True)
class Entry:
    """One logged certificate or precertificate, as a follower hands it on."""

    index: int
    timestamp: int
    """Milliseconds since the epoch: when the log accepted it."""
    precert: bool
    names: tuple[str, ...]
    issuer: str
    not_before: datetime | None
    not_after: datetime | None
    serial: str
    problem: str = ""
    """Why the certificate could not be read (``names`` is then empty); the entry itself is verified."""


@dataclass(frozen=True, slots=True)
class Leaf:
    """A TimestampedEntry, with what the Merkle tree hashes (``merkle_leaf``)."""

    timestamp: int
    entry_type: int
    certificate: bytes
    """The DER certificate (X.509 entries) or TBSCertificate (precertificate entries)."""
    issuer_key_hash: bytes
    extensions: bytes
    merkle_leaf: bytes
    """The MerkleTreeLeaf: version, leaf type and the TimestampedEntry."""

    def entry(self, index: int) -> Entry:
        """The leaf as an ``Entry``; a certificate that will not parse gives an entry with a problem."""
        precert = self.entry_type == PRECERT_ENTRY
        try:
            tbs = self.certificate if precert else tbs_of_certificate(self.certificate)
            facts: CertFacts | None = cert_facts(tbs)
        except ValueError as exc:
            facts, problem = None, f"unreadable certificate: {exc}"
        if facts is None:
            return Entry(index, self.timestamp, precert, (), "", None, None, "", problem)
        return Entry(
            index,
            self.timestamp,
            precert,
            facts.names,
            facts.issuer,
            facts.not_before,
            facts.not_after,
            facts.serial,
        )


def _timestamped_entry(r: Reader) -> tuple[int, int, bytes, bytes, bytes]:
    timestamp = r.uint(8)
    entry_type = r.uint(2)
    issuer_key_hash = b""
    if entry_type == X509_ENTRY:
        certificate = r.vector(3)
    elif entry_type == PRECERT_ENTRY:
        issuer_key_hash = r.take(32)
        certificate = r.vector(3)
    else:
        raise ValueError(f"unknown entry type {entry_type}")
    extensions = r.vector(2)
    return timestamp, entry_type, certificate, issuer_key_hash, extensions


def parse_leaf(merkle_leaf: bytes) -> Leaf:
    """An RFC 6962 MerkleTreeLeaf (``get-entries``' ``leaf_input``). Raises ``ValueError``."""
    r = Reader(merkle_leaf)
    version, leaf_type = r.uint(1), r.uint(1)
    if version != V1 or leaf_type != 0:
        raise ValueError(f"unknown leaf version {version} or type {leaf_type}")
    fields = _timestamped_entry(r)
    if not r.done:
        raise ValueError("bytes after the TimestampedEntry")
    return Leaf(*fields, merkle_leaf=merkle_leaf)


def parse_data_tile(tile: bytes, expected: int) -> list[Leaf]:
    """The ``expected`` TileLeaf structures of a static-ct-api data tile. Raises ``ValueError``."""
    r = Reader(tile)
    leaves = []
    for _ in range(expected):
        start = r.pos
        timestamp, entry_type, certificate, issuer_key_hash, extensions = _timestamped_entry(r)
        entry_end = r.pos
        if entry_type == PRECERT_ENTRY:
            r.vector(3)  # the precertificate: not hashed into the tree, so not trusted for names
        r.vector(2)  # issuer fingerprints
        merkle_leaf = b"\x00\x00" + tile[start:entry_end]
        leaves.append(Leaf(timestamp, entry_type, certificate, issuer_key_hash, extensions, merkle_leaf))
    if not r.done:
        raise ValueError(f"bytes after {expected} entries in the data tile")
    return leaves


def leaf_index_extension(extensions: bytes) -> int | None:
    """The static-ct-api ``leaf_index`` extension's value, if the extensions hold one."""
    r = Reader(extensions)
    while not r.done:
        kind, data = r.uint(1), r.vector(2)
        if kind == 0 and len(data) == 5:
            return int.from_bytes(data, "big")
    return None


# -- signatures ---------------------------------------------------------------------------------------


def log_id(key_der: bytes) -> bytes:
    """A log's ID: the SHA-256 of its DER SubjectPublicKeyInfo (RFC 6962 §3.2)."""
    return hashlib.sha256(key_der).digest()


def tree_head_input(timestamp: int, size: int, root: bytes) -> bytes:
    """The bytes a signed tree head's signature covers (RFC 6962 §3.5 TreeHeadSignature)."""
    return struct.pack(">BBQQ", V1, TREE_HASH, timestamp, size) + root


def verify_signature(key_der: bytes, signed: bytes, digitally_signed: bytes) -> None:
    """Check a TLS DigitallySigned value (SHA-256 with ECDSA or RSA) over ``signed`` with the log key
    ``key_der`` (DER SubjectPublicKeyInfo). Raises ``ValueError`` when it does not verify."""
    r = Reader(digitally_signed)
    hash_alg, sig_alg = r.uint(1), r.uint(1)
    signature = r.vector(2)
    if not r.done:
        raise ValueError("bytes after the signature")
    if hash_alg != SHA256:
        raise ValueError(f"hash algorithm {hash_alg} is not SHA-256")
    try:
        key = serialization.load_der_public_key(key_der)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"the log key does not parse: {exc}") from None
    try:
        if sig_alg == SIG_ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
        elif sig_alg == SIG_RSA and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise ValueError(f"signature algorithm {sig_alg} does not fit the log's key")
    except InvalidSignature:
        raise ValueError("the signature does not verify with the log's key") from None


def b64(data: str | bytes) -> bytes:
    """Strict base64 (what CT's JSON and notes use). Raises ``ValueError``."""
    try:
        return base64.b64decode(data, validate=True)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not base64: {exc}") from None


# -- building (the loopback logs) ---------------------------------------------------------------------


def timestamped_entry(
    timestamp: int,
    certificate: bytes,
    *,
    precert: bool = False,
    issuer_key_hash: bytes = b"",
    extensions: bytes = b"",
) -> bytes:
    """A TimestampedEntry for an X.509 certificate, or a precertificate's TBSCertificate."""
    out = struct.pack(">QH", timestamp, PRECERT_ENTRY if precert else X509_ENTRY)
    if precert:
        out += issuer_key_hash
    out += len(certificate).to_bytes(3, "big") + certificate
    return out + len(extensions).to_bytes(2, "big") + extensions


def leaf_index_extensions(index: int) -> bytes:
    """The static-ct-api extensions holding a ``leaf_index``."""
    return b"\x00" + (5).to_bytes(2, "big") + index.to_bytes(5, "big")


def digitally_signed(signature: bytes, *, ecdsa: bool = True) -> bytes:
    return bytes([SHA256, SIG_ECDSA if ecdsa else SIG_RSA]) + len(signature).to_bytes(2, "big") + signature


__all__ = [
    "Entry",
    "Leaf",
    "Reader",
    "b64",
    "digitally_signed",
    "leaf_index_extension",
    "leaf_index_extensions",
    "log_id",
    "parse_data_tile",
    "parse_leaf",
    "timestamped_entry",
    "tree_head_input",
    "verify_signature",
]
