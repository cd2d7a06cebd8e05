"""Loopback Certificate Transparency logs for the tests, the benchmarks and the demo: an RFC 6962 log
and a static-ct-api (tiled) log, serving the real wire formats from a real Merkle tree of real
certificates, with real signatures.

    ca = TestCA()
    log = CtLog(LogKind.TILED)                       # or LogKind.RFC6962
    log.add([ca.issue(["paypa1.com"]), ca.issue(["x.example"], precert=True)])
    log.publish()                                    # sign a new head (checkpoint or STH)
    async with CtLogServer(log) as server:
        follower = Follower(server.log_entry(), client)

``TestCA`` is a throwaway CA (``cryptography``) issuing certificates and precertificates for any names;
the entries, tiles, proofs and heads are built by ``lookalike.feeds.ctwire``, ``merkle`` and ``notes``,
the same code that parses them, from RFC 6962 and C2SP static-ct-api. Faults real logs should never
show, for the tests: ``fork`` (a head over another tree), ``corrupt_data_tile``, ``corrupt_tile``,
``corrupt_entry``, ``sign_with`` (another key), ``fail_next`` (HTTP 503).

Nothing here is used against the Internet: it exists to be asked, on loopback.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lookalike.endpoints import HostPort
from lookalike.feeds import merkle
from lookalike.feeds.ctwire import (
    digitally_signed,
    leaf_index_extensions,
    log_id,
    timestamped_entry,
    tree_head_input,
)
from lookalike.feeds.loglist import Log, LogKind
from lookalike.feeds.notes import TreeHead, checkpoint_text

POISON = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.3")
MAX_REQUEST_HEAD = 16 * 1024
PAGE = 256
"""Entries per ``get-entries`` answer, like real logs' caps."""


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True, slots=True)
class Issued:
    """One certificate as a log receives it."""

    names: tuple[str, ...]
    certificate: bytes
    """DER: the certificate, or the precertificate (with the poison extension)."""
    tbs: bytes
    """For a precertificate: the TBSCertificate without the poison, as the log hashes it."""
    issuer: bytes
    """The issuer's DER certificate."""
    precert: bool = False


class TestCA:
    """A throwaway certificate authority (one P-256 key, made fresh)."""

    __test__ = False  # not a pytest class

    def __init__(self, name: str = "Lookalike Test CA") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name(
            [x509.NameAttribute(NameOID.COUNTRY_NAME, "ZZ"), x509.NameAttribute(NameOID.COMMON_NAME, name)]
        )
        now = datetime.now(UTC)
        self.certificate = _der(
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.key_hash = hashlib.sha256(
            self._key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).digest()

    def issue(self, names: Sequence[str], *, precert: bool = False, common_name: str | None = None) -> Issued:
        """A certificate (or precertificate) for ``names`` (DNS names, wildcards allowed)."""
        now = datetime.now(UTC)
        cn = common_name if common_name is not None else (names[0] if names else "no name")
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn[:64])]))
            .issuer_name(self.name)
            .public_key(self._leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=90))
        )
        if names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
            )
        final = builder.sign(self._key, hashes.SHA256())
        if not precert:
            der = _der(final)
            return Issued(tuple(names), der, final.tbs_certificate_bytes, self.certificate)
        pre = builder.add_extension(x509.UnrecognizedExtension(POISON, b"\x05\x00"), critical=True).sign(
            self._key, hashes.SHA256()
        )
        return Issued(tuple(names), _der(pre), final.tbs_certificate_bytes, self.certificate, precert=True)


@dataclass(slots=True)
class _Tree:
    """The leaves and every complete subtree hash, level by level."""

    levels: list[list[bytes]] = field(default_factory=lambda: [[]])

    def append(self, leaf_hash: bytes) -> None:
        self.levels[0].append(leaf_hash)
        level = 0
        while len(self.levels[level]) % 2 == 0:
            pair = self.levels[level][-2:]
            if len(self.levels) == level + 1:
                self.levels.append([])
            self.levels[level + 1].append(merkle.node_hash(pair[0], pair[1]))
            level += 1

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def node(self, height: int, index: int) -> bytes:
        return self.levels[height][index]

    def mth(self, start: int, end: int) -> bytes:
        """MTH of ``[start, end)`` for the ranges RFC 6962's recursion asks for."""
        hashes = [self.node(h, i) for h, i in merkle.subtrees(start, end)]
        if not hashes:
            return merkle.EMPTY_ROOT
        acc = hashes[-1]
        for h in reversed(hashes[:-1]):
            acc = merkle.node_hash(h, acc)
        return acc


@dataclass(slots=True)
class _Record:
    timestamped: bytes
    extra: bytes
    """RFC 6962 ``extra_data``."""
    tile_leaf: bytes
    """static-ct-api TileLeaf."""


class CtLog:
    """One log's contents and published heads."""

    def __init__(
        self, kind: LogKind, *, name: str = "loopback", key: ec.EllipticCurvePrivateKey | None = None
    ) -> None:
        self.kind = kind
        self.name = name
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        self.key_der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.log_id = log_id(self.key_der)
        self.records: list[_Record] = []
        self.tree = _Tree()
        self.head = TreeHead(0, merkle.EMPTY_ROOT, int(time.time() * 1000))
        self.signature = self._sign(self.head)
        self.issuers: dict[str, bytes] = {}
        self.origin = ""
        """Set by the server: the checkpoint origin (``127.0.0.1:PORT/log``)."""
        self.corrupt_data: set[int] = set()
        self.corrupt_tiles: set[tuple[int, int]] = set()
        self.corrupt_entries: set[int] = set()
        self.fail_next = 0
        """Answer this many requests with HTTP 503."""

    def _sign(self, head: TreeHead, key: ec.EllipticCurvePrivateKey | None = None) -> bytes:
        signer = key or self.key
        raw = signer.sign(tree_head_input(head.timestamp, head.size, head.root), ec.ECDSA(hashes.SHA256()))
        return digitally_signed(raw)

    def add(self, issued: Iterable[Issued]) -> None:
        """Log certificates (not visible until ``publish``)."""
        now = int(time.time() * 1000)
        for item in issued:
            index = self.tree.size
            fingerprint = hashlib.sha256(item.issuer).digest()
            self.issuers[fingerprint.hex()] = item.issuer
            extensions = leaf_index_extensions(index) if self.kind is LogKind.TILED else b""
            if item.precert:
                issuer_key_hash = hashlib.sha256(
                    x509.load_der_x509_certificate(item.issuer)
                    .public_key()
                    .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
                ).digest()
                entry = timestamped_entry(
                    now, item.tbs, precert=True, issuer_key_hash=issuer_key_hash, extensions=extensions
                )
                chain = len(item.issuer).to_bytes(3, "big") + item.issuer
                extra = (
                    len(item.certificate).to_bytes(3, "big")
                    + item.certificate
                    + len(chain).to_bytes(3, "big")
                    + chain
                )
                tile_leaf = entry + len(item.certificate).to_bytes(3, "big") + item.certificate
            else:
                entry = timestamped_entry(now, item.certificate, extensions=extensions)
                chain = len(item.issuer).to_bytes(3, "big") + item.issuer
                extra = len(chain).to_bytes(3, "big") + chain
                tile_leaf = entry
            tile_leaf += (32).to_bytes(2, "big") + fingerprint
            self.records.append(_Record(entry, extra, tile_leaf))
            self.tree.append(merkle.leaf_hash(b"\x00\x00" + entry))

    def publish(self, *, key: ec.EllipticCurvePrivateKey | None = None) -> TreeHead:
        """Sign and serve a head over everything logged so far (``key``: sign with another key)."""
        timestamp = max(int(time.time() * 1000), self.head.timestamp + 1)
        self.head = TreeHead(self.tree.size, self.tree.mth(0, self.tree.size), timestamp)
        self.signature = self._sign(self.head, key)
        return self.head

    def fork(self, at: int, replacement: Issued) -> TreeHead:
        """Rebuild the tree with entry ``at`` replaced and publish a head over it: a split view."""
        records = self.records
        self.records, self.tree = [], _Tree()
        for i, record in enumerate(records):
            if i == at:
                self.add([replacement])
            else:
                self.records.append(record)
                self.tree.append(merkle.leaf_hash(b"\x00\x00" + record.timestamped))
        return self.publish()

    # -- what the server answers --------------------------------------------------------------------

    def checkpoint(self) -> bytes:
        return checkpoint_text(self.origin, self.head, self.log_id, self.signature)

    def sth(self) -> dict[str, object]:
        return {
            "tree_size": self.head.size,
            "timestamp": self.head.timestamp,
            "sha256_root_hash": base64.b64encode(self.head.root).decode(),
            "tree_head_signature": base64.b64encode(self.signature).decode(),
        }

    def merkle_tile(self, level: int, index: int, width: int) -> bytes | None:
        count = self.head.size >> (8 * level)
        if width <= 0 or index * 256 + width > count:
            return None
        data = b"".join(self.tree.node(8 * level, index * 256 + i) for i in range(width))
        if (level, index) in self.corrupt_tiles:
            data = data[:-1] + bytes([data[-1] ^ 1])  # the tile's last hash
        return data

    def data_tile(self, index: int, width: int) -> bytes | None:
        if width <= 0 or index * 256 + width > self.head.size:
            return None
        data = b"".join(r.tile_leaf for r in self.records[index * 256 : index * 256 + width])
        if index in self.corrupt_data:
            # Change one byte inside the first certificate: still a TileLeaf, another hash.
            data = data[:40] + bytes([data[40] ^ 1]) + data[41:]
        return data

    def entry_json(self, index: int) -> dict[str, str]:
        record = self.records[index]
        leaf = b"\x00\x00" + record.timestamped
        if index in self.corrupt_entries:
            leaf = leaf[:40] + bytes([leaf[40] ^ 1]) + leaf[41:]
        return {
            "leaf_input": base64.b64encode(leaf).decode(),
            "extra_data": base64.b64encode(record.extra).decode(),
        }


class CtLogServer:
    """Serves one ``CtLog`` over HTTP/1.1 on loopback, RFC 6962 or static-ct-api as its kind says. An
    async context manager; ``url`` once entered. Counts requests per path kind in ``requests``."""

    def __init__(
        self, log: CtLog, *, host: str = "127.0.0.1", port: int = 0, gzip_tiles: bool = True
    ) -> None:
        self.ct = log
        self._host, self._port = host, port
        self._gzip = gzip_tiles
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.address = HostPort(host, port)
        self.requests: dict[str, int] = {}

    @property
    def url(self) -> str:
        return f"http://{self.address.host}:{self.address.port}/log/"

    def log_entry(self, name: str | None = None) -> Log:
        """This log as the log list describes it."""
        kind = self.ct.kind
        return Log(
            name=name or self.ct.name,
            description=f"Loopback '{name or self.ct.name}'",
            operator="lookalike tests",
            kind=kind,
            log_id=self.ct.log_id,
            key=self.ct.key_der,
            url=self.url,
            submission_url=self.url if kind is LogKind.TILED else "",
            state="usable",
        )

    def log_list_entry(self, name: str | None = None) -> dict[str, object]:
        """This log as an entry of a v3 log list document (``logs`` or ``tiled_logs``)."""
        entry: dict[str, object] = {
            "description": f"Loopback '{name or self.ct.name}'",
            "log_id": base64.b64encode(self.ct.log_id).decode(),
            "key": base64.b64encode(self.ct.key_der).decode(),
            "mmd": 60,
            "state": {"usable": {"timestamp": "2026-01-01T00:00:00Z"}},
        }
        if self.ct.kind is LogKind.TILED:
            entry |= {"submission_url": self.url, "monitoring_url": self.url}
        else:
            entry["url"] = self.url
        return entry

    async def __aenter__(self) -> CtLogServer:
        self._server = await asyncio.start_server(self._handle, self._host, self._port)
        sockname = self._server.sockets[0].getsockname()
        self.address = HostPort(sockname[0], sockname[1])
        self.ct.origin = self.url.removeprefix("http://").rstrip("/")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
        # Idle keep-alive connections wait in readuntil: hang them up, so their handlers end on their own.
        for writer in list(self._writers):
            writer.transport.abort()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        try:
            while await self._serve(reader, writer):
                pass
            writer.close()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.transport.abort()
        except asyncio.CancelledError:
            writer.transport.abort()
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """One request; False when the client closed the connection."""
        try:
            async with asyncio.timeout(30):
                head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        if len(head) > MAX_REQUEST_HEAD:
            await self._send(writer, 431, b"")
            return False
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            await self._send(writer, 400, b"")
            return False
        keep = not any(
            line.lower().startswith("connection:") and "close" in line.lower() for line in lines[1:]
        )
        target = urlsplit(parts[1])
        status, body, content_type, encoding = self._answer(target.path, parse_qs(target.query))
        await self._send(writer, status, body, content_type=content_type, encoding=encoding, keep=keep)
        return keep

    def _count(self, kind: str) -> None:
        self.requests[kind] = self.requests.get(kind, 0) + 1

    def _answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, bytes, str, str]:
        log = self.ct
        if log.fail_next > 0:
            log.fail_next -= 1
            return 503, b"try later", "text/plain", ""
        if not path.startswith("/log/"):
            return 404, b"", "text/plain", ""
        path = path[len("/log/") :]

        def number(name: str) -> int:
            return int(query[name][0])

        def as_json(document: object) -> tuple[int, bytes, str, str]:
            return 200, json.dumps(document).encode(), "application/json", ""

        try:
            if log.kind is LogKind.RFC6962:
                self._count(path.split("?")[0].rsplit("/", 1)[-1])
                if path == "ct/v1/get-sth":
                    return as_json(log.sth())
                if path == "ct/v1/get-sth-consistency":
                    first, second = number("first"), number("second")
                    if not 0 <= first <= second <= log.head.size:
                        return 400, b"bad range", "text/plain", ""
                    proof = merkle.prove_consistency(first, second, log.tree.mth)
                    return as_json({"consistency": [base64.b64encode(h).decode() for h in proof]})
                if path == "ct/v1/get-entries":
                    start, end = (
                        number("start"),
                        min(number("end"), log.head.size - 1, number("start") + PAGE - 1),
                    )
                    if not 0 <= start <= end:
                        return 400, b"bad range", "text/plain", ""
                    return as_json({"entries": [log.entry_json(i) for i in range(start, end + 1)]})
                if path == "ct/v1/get-entry-and-proof":
                    index, size = number("leaf_index"), number("tree_size")
                    if not 0 <= index < size <= log.head.size:
                        return 400, b"bad range", "text/plain", ""
                    entry = log.entry_json(index)
                    proof = merkle.prove_inclusion(index, size, log.tree.mth)
                    return as_json({**entry, "audit_path": [base64.b64encode(h).decode() for h in proof]})
                return 404, b"", "text/plain", ""
            return self._tiled(path)
        except (KeyError, ValueError, IndexError):
            return 400, b"bad request", "text/plain", ""

    def _tiled(self, path: str) -> tuple[int, bytes, str, str]:
        log = self.ct
        if path == "checkpoint":
            self._count("checkpoint")
            return 200, log.checkpoint(), "text/plain; charset=utf-8", ""
        if path.startswith("issuer/"):
            issuer = log.issuers.get(path[len("issuer/") :])
            return (200, issuer, "application/pkix-cert", "") if issuer else (404, b"", "text/plain", "")
        if not path.startswith("tile/"):
            return 404, b"", "text/plain", ""
        rest = path[len("tile/") :]
        width = 256
        if ".p/" in rest:
            rest, _, w = rest.partition(".p/")
            width = int(w)
            if not 1 <= width <= 255 or str(width) != w:
                return 400, b"bad width", "text/plain", ""
        level_text, _, index_path = rest.partition("/")
        index = _tile_index(index_path)
        if level_text == "data":
            self._count("data")
            body = log.data_tile(index, width)
            if body is None:
                return 404, b"", "text/plain", ""
            if self._gzip:
                return 200, gzip.compress(body, 1), "application/octet-stream", "gzip"
            return 200, body, "application/octet-stream", ""
        self._count("tile")
        tile = log.merkle_tile(int(level_text), index, width)
        return (
            (200, tile, "application/octet-stream", "") if tile is not None else (404, b"", "text/plain", "")
        )

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        *,
        content_type: str = "text/plain",
        encoding: str = "",
        keep: bool = False,
    ) -> None:
        head = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        if encoding:
            head.append(f"Content-Encoding: {encoding}")
        head.append("Connection: keep-alive" if keep else "Connection: close")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()


def _tile_index(path: str) -> int:
    """``x001/x234/067`` -> 1234067; raises ``ValueError`` for anything else."""
    parts = path.split("/")
    if not parts or any(len(p.lstrip("x")) != 3 or not p.lstrip("x").isdigit() for p in parts):
        raise ValueError(path)
    if any(not p.startswith("x") for p in parts[:-1]) or parts[-1].startswith("x"):
        raise ValueError(path)
    value = 0
    for p in parts:
        value = value * 1000 + int(p.lstrip("x"))
    return value


def log_list_document(servers: Sequence[CtLogServer]) -> dict[str, object]:
    """A v3 log list naming the given loopback logs."""
    return {
        "version": "loopback",
        "log_list_timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "operators": [
            {
                "name": "lookalike tests",
                "email": ["nobody@example.invalid"],
                "logs": [s.log_list_entry() for s in servers if s.ct.kind is LogKind.RFC6962],
                "tiled_logs": [s.log_list_entry() for s in servers if s.ct.kind is LogKind.TILED],
            }
        ],
    }


__all__ = ["CtLog", "CtLogServer", "Issued", "TestCA", "log_list_document"]
