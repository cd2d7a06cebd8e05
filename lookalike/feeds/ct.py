"""Following Certificate Transparency logs: RFC 6962 (``get-sth``, ``get-sth-consistency``,
``get-entries``, ``get-entry-and-proof``) and static-ct-api (checkpoints, Merkle tiles, data tiles,
partial tiles), every head and every entry verified before anything is handed on.

The follower keeps no state: ``Follower.start`` makes a ``Position`` (at the log's head, or at an
index), ``Follower.step`` takes one and returns the next verified batch of entries with the position
after them. The caller persists the position with what it made of the entries, in one transaction,
and a restart after ``kill -9`` resumes exactly there: nothing lost, nothing repeated.

What is verified, at every step:

- each signed tree head or checkpoint, with the log's key from the log list;
- each new head against the last one: never smaller, never another root for the same size, and
  consistent (a consistency proof, or for a tiled log the tiles, must show the old tree is a prefix);
- each batch: its leaves are hashed onto the position's compact range, and the range must be a prefix
  of the verified head (a consistency proof from the range's size, or the tiles to the head's size),
  so a corrupted entry, tile or proof is caught before any entry of the batch is handed on.

A log that fails a check is ``UNTRUSTED``: the step says why and hands back the old position; the
caller reports it and skips the log. Network trouble is ``UNREACHABLE`` (try again later); an answer
that does not parse is ``MALFORMED``.

Every function takes its endpoint (the log's URLs come from the ``Log``) and its httpx client; host
names are resolved with the caller's resolver, never the system's. Must not: match names or persist.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from lookalike.feeds import merkle
from lookalike.feeds.ctwire import (
    Entry,
    Leaf,
    b64,
    parse_data_tile,
    parse_leaf,
    tree_head_input,
    verify_signature,
)
from lookalike.feeds.loglist import Log, LogKind
from lookalike.feeds.merkle import CompactRange, ProofError
from lookalike.feeds.notes import TreeHead, parse_checkpoint
from lookalike.rdap import http_get
from lookalike.whois import Resolve

TILE_WIDTH = 256
TILE_HEIGHT = 8
MAX_RESPONSE = 32 << 20
"""Bytes per answer: a full data tile or a ``get-entries`` page is a few MiB at most."""
DEFAULT_BATCH = 1024
"""Entries per step: four full tiles, or a few ``get-entries`` pages."""


class Verdict(StrEnum):
    """How one step ended."""

    OK = "ok"
    """A verified batch (empty when the log has nothing new)."""
    UNREACHABLE = "unreachable"
    """Timeout, refused, HTTP 429/5xx: try again later."""
    MALFORMED = "malformed"
    """An answer that does not parse."""
    UNTRUSTED = "untrusted"
    """A bad signature, a head inconsistent with the last one, entries or tiles that do not hash to the
    signed head: report the log and skip it."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a follower is in one log: the next entry to read, the compact range of the entries before
    it, and the last verified head. A value the caller keeps (``to_json``/``from_json``)."""

    log: str
    """The log's ID, base64."""
    next: int
    compact: CompactRange
    head: TreeHead

    def to_json(self) -> str:
        return json.dumps(
            {
                "log": self.log,
                "next": self.next,
                "compact": [base64.b64encode(h).decode() for h in self.compact.hashes],
                "head": {
                    "size": self.head.size,
                    "root": base64.b64encode(self.head.root).decode(),
                    "timestamp": self.head.timestamp,
                },
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Position:
        """Raises ``ValueError`` when ``text`` is not a position."""
        try:
            data = json.loads(text)
            head = data["head"]
            position = cls(
                log=str(data["log"]),
                next=int(data["next"]),
                compact=CompactRange(int(data["next"]), tuple(b64(h) for h in data["compact"])),
                head=TreeHead(int(head["size"]), b64(head["root"]), int(head["timestamp"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a CT log position: {exc}") from None
        if position.next > position.head.size or len(position.head.root) != 32:
            raise ValueError("not a CT log position: it is past its head")
        return position


@dataclass(frozen=True, slots=True)
class Step:
    """What one step gives back: a verdict, the position to keep, the verified entries."""

    verdict: Verdict
    position: Position | None
    """After the entries (OK), else the one given (None when ``start`` failed)."""
    entries: tuple[Entry, ...] = ()
    detail: str = ""

    @property
    def behind(self) -> int:
        """Entries the verified head holds beyond the position."""
        return self.position.head.size - self.position.next if self.position else 0


class _Problem(Exception):
    def __init__(self, verdict: Verdict, detail: str) -> None:
        super().__init__(detail)
        self.verdict = verdict
        self.detail = detail


def _untrusted(detail: str) -> _Problem:
    return _Problem(Verdict.UNTRUSTED, detail)


def _malformed(detail: str) -> _Problem:
    return _Problem(Verdict.MALFORMED, detail)


@dataclass(slots=True)
class _Api:
    """What differs between the two kinds of log."""

    log: Log
    client: httpx.AsyncClient
    resolve: Resolve | None
    timeout: float
    requests: int = 0
    _tiles: dict[tuple[int, int, int], list[bytes]] = field(default_factory=dict)

    async def get(self, path: str, accept: str = "*/*") -> bytes:
        url = self.log.url + path
        self.requests += 1
        try:
            async with asyncio.timeout(self.timeout):
                got = await http_get(
                    self.client, url, resolve=self.resolve, max_bytes=MAX_RESPONSE, accept=accept
                )
        except TimeoutError:
            raise _Problem(Verdict.UNREACHABLE, f"{url} did not answer in {self.timeout:g} s") from None
        reply = got.value
        if reply is None:
            verdict = Verdict.UNREACHABLE if got.status.unknown else Verdict.MALFORMED
            raise _Problem(verdict, f"{url}: {got.detail or got.status.value}")
        if reply.status == 429 or reply.status >= 500:
            raise _Problem(Verdict.UNREACHABLE, f"HTTP {reply.status} from {url}")
        if reply.status != 200:
            raise _malformed(f"HTTP {reply.status} from {url}")
        if reply.truncated:
            raise _malformed(f"{url} sent more than {MAX_RESPONSE:,} bytes")
        return reply.body

    async def get_json(self, path: str) -> dict[str, Any]:
        body = await self.get(path, "application/json")
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise _malformed(f"{self.log.url}{path}: not JSON: {str(exc)[:80]}") from None
        if not isinstance(data, dict):
            raise _malformed(f"{self.log.url}{path}: not a JSON object")
        return data

    # -- overridden --------------------------------------------------------------------------------

    async def head(self) -> TreeHead:
        raise NotImplementedError

    async def consistent(self, old: TreeHead, new: TreeHead) -> None:
        raise NotImplementedError

    async def range_at(self, index: int, head: TreeHead) -> CompactRange:
        raise NotImplementedError

    async def leaves(self, start: int, end: int, head: TreeHead) -> list[Leaf]:
        raise NotImplementedError

    async def prefix(self, compact: CompactRange, head: TreeHead) -> None:
        """Raise unless the tree ``compact`` describes is a prefix of ``head``."""
        raise NotImplementedError


class _Rfc6962(_Api):
    async def head(self) -> TreeHead:
        data = await self.get_json("ct/v1/get-sth")
        try:
            size, timestamp = int(data["tree_size"]), int(data["timestamp"])
            root, signature = b64(data["sha256_root_hash"]), b64(data["tree_head_signature"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _malformed(f"{self.log.name}: get-sth: {exc}") from None
        if size < 0 or len(root) != 32:
            raise _malformed(f"{self.log.name}: get-sth: a bad size or root")
        try:
            verify_signature(self.log.key, tree_head_input(timestamp, size, root), signature)
        except ValueError as exc:
            raise _untrusted(f"{self.log.name}: the tree head of size {size}: {exc}") from None
        return TreeHead(size, root, timestamp)

    async def _proof(self, first: int, second: int) -> list[bytes]:
        data = await self.get_json(f"ct/v1/get-sth-consistency?first={first}&second={second}")
        try:
            return [b64(h) for h in data["consistency"]][:64]
        except (KeyError, TypeError, ValueError) as exc:
            raise _malformed(f"{self.log.name}: get-sth-consistency: {exc}") from None

    async def consistent(self, old: TreeHead, new: TreeHead) -> None:
        if old.size == 0:
            return
        proof = await self._proof(old.size, new.size)
        try:
            merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
        except ProofError as exc:
            raise _untrusted(
                f"{self.log.name}: the head of size {new.size} is inconsistent with {old.size}: {exc}"
            ) from None

    async def range_at(self, index: int, head: TreeHead) -> CompactRange:
        if index == 0:
            return CompactRange()
        data = await self.get_json(f"ct/v1/get-entry-and-proof?leaf_index={index - 1}&tree_size={head.size}")
        try:
            leaf = b64(data["leaf_input"])
            path = [b64(h) for h in data["audit_path"]][:64]
        except (KeyError, TypeError, ValueError) as exc:
            raise _malformed(f"{self.log.name}: get-entry-and-proof: {exc}") from None
        try:
            return merkle.range_at(index - 1, head.size, merkle.leaf_hash(leaf), path, head.root)
        except ProofError as exc:
            raise _untrusted(f"{self.log.name}: entry {index - 1}: {exc}") from None

    async def leaves(self, start: int, end: int, head: TreeHead) -> list[Leaf]:
        found: list[Leaf] = []
        while start + len(found) < end:
            first = start + len(found)
            data = await self.get_json(f"ct/v1/get-entries?start={first}&end={end - 1}")
            page = data.get("entries")
            if not isinstance(page, list) or not page:
                raise _malformed(f"{self.log.name}: get-entries from {first} gave no entries")
            for item in page[: end - first]:
                try:
                    found.append(parse_leaf(b64(item["leaf_input"])))
                except (KeyError, TypeError, ValueError) as exc:
                    raise _malformed(f"{self.log.name}: entry {start + len(found)}: {exc}") from None
        return found

    async def prefix(self, compact: CompactRange, head: TreeHead) -> None:
        try:
            if compact.size == head.size:
                if compact.root() != head.root:
                    raise ProofError(f"the entries up to {head.size} do not hash to the signed root")
            else:
                proof = await self._proof(compact.size, head.size)
                merkle.verify_consistency(compact.size, head.size, compact.root(), head.root, proof)
        except ProofError as exc:
            raise _untrusted(f"{self.log.name}: entries before {compact.size}: {exc}") from None


class _Tiled(_Api):
    async def head(self) -> TreeHead:
        note = await self.get("checkpoint", "text/plain")
        try:
            return parse_checkpoint(note, self.log.origin, self.log.key, self.log.log_id)
        except ValueError as exc:
            raise _untrusted(f"{self.log.name}: the checkpoint: {exc}") from None

    async def _tile(self, level: int, index: int, head: TreeHead) -> list[bytes]:
        """The hashes of Merkle tile ``level``/``index`` as the tree of ``head`` has it (partial at
        the right edge), cached: full tiles never change."""
        count = head.size >> (TILE_HEIGHT * level)
        width = TILE_WIDTH if (index + 1) * TILE_WIDTH <= count else count - index * TILE_WIDTH
        if width <= 0:
            raise _malformed(f"{self.log.name}: tile {level}/{index} is beyond the tree")
        for key in ((level, index, TILE_WIDTH), (level, index, width)):
            if key in self._tiles:
                return self._tiles[key]
        path = f"tile/{level}/{tile_path(index)}" + (f".p/{width}" if width < TILE_WIDTH else "")
        data = await self.get(path)
        if len(data) != 32 * width:
            raise _untrusted(f"{self.log.name}: {path} holds {len(data)} bytes, not {width} hashes")
        hashes = [data[i : i + 32] for i in range(0, len(data), 32)]
        if len(self._tiles) > 4096:
            self._tiles.clear()
        self._tiles[(level, index, width)] = hashes
        return hashes

    async def _node(self, height: int, index: int, head: TreeHead) -> bytes:
        """The root of the perfect subtree (height, index), from the tile that holds its leaves' level."""
        level, rest = divmod(height, TILE_HEIGHT)
        first, count = index << rest, 1 << rest
        hashes = (await self._tile(level, first // TILE_WIDTH, head))[first % TILE_WIDTH :][:count]
        if len(hashes) != count:
            raise _untrusted(f"{self.log.name}: tile {level}/{first // TILE_WIDTH} is too short")
        while len(hashes) > 1:
            hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    async def _extend(self, compact: CompactRange, end: int, head: TreeHead) -> CompactRange:
        nodes = [(h, await self._node(h, i, head)) for h, i in merkle.subtrees(compact.size, end)]
        return compact.extend(nodes)

    async def consistent(self, old: TreeHead, new: TreeHead) -> None:
        older = await self._extend(CompactRange(), old.size, new)
        whole = await self._extend(older, new.size, new)
        if older.root() != old.root or whole.root() != new.root:
            raise _untrusted(
                f"{self.log.name}: the tiles of the tree of {new.size} do not contain the tree of {old.size}"
            )

    async def range_at(self, index: int, head: TreeHead) -> CompactRange:
        compact = await self._extend(CompactRange(), index, head)
        await self.prefix(compact, head)
        return compact

    async def leaves(self, start: int, end: int, head: TreeHead) -> list[Leaf]:
        found: list[Leaf] = []
        while start + len(found) < end:
            first = start + len(found)
            tile = first // TILE_WIDTH
            width = min(TILE_WIDTH, head.size - tile * TILE_WIDTH)
            path = f"tile/data/{tile_path(tile)}" + (f".p/{width}" if width < TILE_WIDTH else "")
            body = await self.get(path)
            try:
                leaves = parse_data_tile(body, width)
            except ValueError as exc:
                raise _untrusted(f"{self.log.name}: {path}: {exc}") from None
            found.extend(leaves[first - tile * TILE_WIDTH : end - tile * TILE_WIDTH])
        return found

    async def prefix(self, compact: CompactRange, head: TreeHead) -> None:
        whole = await self._extend(compact, head.size, head)
        if whole.root() != head.root:
            raise _untrusted(
                f"{self.log.name}: the entries before {compact.size} and the tiles after do not hash to "
                f"the checkpoint's root (a corrupted data or Merkle tile)"
            )


def tile_path(index: int) -> str:
    """A tile index in 3-digit path elements, all but the last starting with ``x``: ``x001/x234/067``."""
    parts = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        parts.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(parts))


class Follower:
    """Reads one log, verified, a batch at a time; holds no position of its own."""

    def __init__(
        self,
        log: Log,
        client: httpx.AsyncClient,
        *,
        resolve: Resolve | None = None,
        batch: int = DEFAULT_BATCH,
        timeout: float = 30.0,
    ) -> None:
        kind = _Tiled if log.kind is LogKind.TILED else _Rfc6962
        self.log = log
        self.batch = max(1, batch)
        self._api: _Api = kind(log, client, resolve, timeout)

    @property
    def requests(self) -> int:
        """HTTP requests made so far."""
        return self._api.requests

    async def start(self, since: int | None = None) -> Step:
        """A position at the log's verified head (``since`` None: only what is logged from now on), or
        at entry ``since`` (0: the whole log). A negative ``since`` counts back from the head."""
        try:
            head = await self._api.head()
            index = head.size if since is None else since if since >= 0 else max(0, head.size + since)
            if index > head.size:
                raise _malformed(f"{self.log.name} holds {head.size} entries; cannot start at {index}")
            compact = await self._api.range_at(index, head)
        except _Problem as problem:
            return Step(problem.verdict, None, (), problem.detail)
        return Step(Verdict.OK, Position(self.log.log_id_b64, index, compact, head))

    async def step(self, position: Position) -> Step:
        """The next verified batch after ``position``: at most ``batch`` entries, none when the log has
        nothing new. On any problem the same position comes back with the verdict and why."""
        if position.log != self.log.log_id_b64:
            return Step(
                Verdict.MALFORMED, position, (), f"that position is for another log than {self.log.name}"
            )
        try:
            head = position.head
            if position.next >= head.size:
                head = await self._fresh_head(head)
                if position.next >= head.size:
                    return Step(Verdict.OK, Position(position.log, position.next, position.compact, head))
            end = min(head.size, position.next + self.batch)
            leaves = await self._api.leaves(position.next, end, head)
            compact = position.compact.append(merkle.leaf_hash(leaf.merkle_leaf) for leaf in leaves)
            await self._api.prefix(compact, head)
        except _Problem as problem:
            return Step(problem.verdict, position, (), problem.detail)
        entries = tuple(leaf.entry(position.next + i) for i, leaf in enumerate(leaves))
        return Step(Verdict.OK, Position(position.log, end, compact, head), entries)

    async def _fresh_head(self, old: TreeHead) -> TreeHead:
        new = await self._api.head()
        if new.size < old.size:
            raise _untrusted(f"{self.log.name}: the tree shrank from {old.size} to {new.size} entries")
        if new.size == old.size:
            if new.root != old.root:
                raise _untrusted(f"{self.log.name}: two different roots for a tree of {new.size} (a fork)")
            return old if new.timestamp <= old.timestamp else new
        await self._api.consistent(old, new)
        return new


async def follow_once(followers: Sequence[Follower], positions: dict[str, Position]) -> dict[str, Step]:
    """One step of every follower at once (a position per log ID); a helper for callers that poll."""
    steps = await asyncio.gather(*(f.step(positions[f.log.log_id_b64]) for f in followers))
    return {f.log.log_id_b64: s for f, s in zip(followers, steps, strict=True)}


__all__ = ["DEFAULT_BATCH", "Follower", "Position", "Step", "Verdict", "follow_once", "tile_path"]
