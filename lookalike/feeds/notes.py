"""Checkpoints: the signed tree heads of static-ct-api logs, as C2SP signed notes (c2sp.org/tlog-
checkpoint, c2sp.org/signed-note), with the RFC 6962 note signature static-ct-api defines.

A checkpoint is ``<origin>\\n<size>\\n<base64 root>\\n``, a blank line, then signature lines
``— <key name> <base64(key ID || signature)>``. The log's signature has the origin as key name, the
key ID ``SHA-256(name || 0x0A || 0x05 || log ID)[:4]`` and the body ``uint64 timestamp ||
DigitallySigned(TreeHeadSignature)``; witnesses' and unknown signatures are ignored, as the spec
requires.

Pure. Must not: fetch, or accept a checkpoint without the log's signature.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from lookalike.feeds.ctwire import Reader, b64, tree_head_input, verify_signature

MAX_NOTE = 1 << 20
"""A note larger than this is refused (the spec allows up to 1 MB)."""
MAX_SIGNATURES = 100
DASH = "\u2014 "
RFC6962_TYPE = b"\x05"


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A signed tree head, verified: the size, the root, and when the log signed it."""

    size: int
    root: bytes
    timestamp: int
    """Milliseconds since the epoch."""


def origin_of(submission_url: str) -> str:
    """A static-ct-api log's checkpoint origin: its submission prefix without scheme or trailing
    slashes (``https://log.example/2026h1/`` -> ``log.example/2026h1``)."""
    text = submission_url.strip()
    for scheme in ("https://", "http://"):
        if text.startswith(scheme):
            text = text[len(scheme) :]
    return text.rstrip("/")


def key_id(origin: str, log_id: bytes) -> bytes:
    return hashlib.sha256(origin.encode() + b"\n" + RFC6962_TYPE + log_id).digest()[:4]


def parse_checkpoint(note: bytes, origin: str, key_der: bytes, log_id: bytes) -> TreeHead:
    """Verify a checkpoint of the log with ``origin`` and key ``key_der`` (ID ``log_id``) and return
    its tree head. Raises ``ValueError`` saying what is wrong."""
    if len(note) > MAX_NOTE:
        raise ValueError(f"the checkpoint is larger than {MAX_NOTE:,} bytes")
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the checkpoint is not UTF-8") from None
    body, sep, signatures = text.partition("\n\n")
    if not sep:
        raise ValueError("the checkpoint has no signature block")
    lines = body.split("\n")
    if len(lines) != 3:
        raise ValueError("a checkpoint signed with an RFC 6962 key has exactly three lines and no extensions")
    if lines[0] != origin:
        raise ValueError(f"the checkpoint's origin {lines[0][:100]!r} is not the log's {origin!r}")
    if not lines[1].isdigit() or (len(lines[1]) > 1 and lines[1].startswith("0")):
        raise ValueError(f"the tree size {lines[1][:40]!r} is not a decimal number")
    size = int(lines[1])
    root = b64(lines[2])
    if len(root) != 32:
        raise ValueError("the root hash is not 32 bytes")
    wanted = key_id(origin, log_id)
    found: TreeHead | None = None
    sig_lines = signatures.split("\n")
    if sig_lines[-1] != "":
        raise ValueError("the checkpoint does not end with a newline")
    for count, line in enumerate(sig_lines[:-1]):
        if count >= MAX_SIGNATURES:
            raise ValueError(f"more than {MAX_SIGNATURES} signatures")
        if not line.startswith(DASH):
            raise ValueError(f"signature line {count + 1} does not start with an em dash")
        name, _, blob = line[len(DASH) :].partition(" ")
        if name != origin:
            continue
        try:
            raw = base64.b64decode(blob, validate=True)
        except ValueError:
            raise ValueError(f"signature line {count + 1} is not base64") from None
        if raw[:4] != wanted:
            continue
        r = Reader(raw, 4)
        timestamp = r.uint(8)
        verify_signature(key_der, tree_head_input(timestamp, size, root), raw[r.pos :])
        found = TreeHead(size, root, timestamp)
    if found is None:
        raise ValueError("the checkpoint carries no signature of the log's key")
    return found


def checkpoint_text(origin: str, head: TreeHead, log_id: bytes, digitally_signed: bytes) -> bytes:
    """A checkpoint with the log's RFC 6962 note signature (the loopback logs build theirs with it)."""
    blob = key_id(origin, log_id) + head.timestamp.to_bytes(8, "big") + digitally_signed
    body = f"{origin}\n{head.size}\n{base64.b64encode(head.root).decode()}\n"
    return f"{body}\n{DASH}{origin} {base64.b64encode(blob).decode()}\n".encode()


__all__ = ["TreeHead", "checkpoint_text", "key_id", "origin_of", "parse_checkpoint"]
