"""Merkle trees as RFC 6962 (and RFC 9162 §2.1) define them: leaf and node hashes, the compact range a
follower keeps, and the inclusion and consistency proofs a log serves, both ways (verify, and for the
loopback test logs, prove).

Pure. A *compact range* of a tree of ``size`` leaves is the list of roots of the perfect subtrees that
cover ``[0, size)``, largest first (one per set bit of ``size``): enough to append leaves and compute
the root without the leaves themselves, so a follower's position is a few hundred bytes whatever the
log's size. Must not: fetch anything, or decide what to do about a proof that fails (``ct`` does).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

Hash = bytes
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> Hash:
    """The hash of one leaf: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: Hash, right: Hash) -> Hash:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def subtrees(start: int, end: int) -> Iterator[tuple[int, int]]:
    """The aligned perfect subtrees that cover ``[start, end)``, left to right: (height, index), the
    subtree of height ``h`` and index ``i`` holding leaves ``[i * 2**h, (i + 1) * 2**h)``."""
    while start < end:
        height = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << height) > end:
            height -= 1
        yield height, start >> height
        start += 1 << height


def root_of(hashes: Sequence[Hash]) -> Hash:
    """The Merkle Tree Hash of a list of leaf hashes (RFC 6962 §2.1), for small lists."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(root_of(hashes[:split]), root_of(hashes[split:]))


@dataclass(frozen=True, slots=True)
class CompactRange:
    """The compact range of ``[0, size)``: immutable, so a position that holds one can be shared."""

    size: int = 0
    hashes: tuple[Hash, ...] = ()

    def __post_init__(self) -> None:
        if len(self.hashes) != self.size.bit_count() or any(len(h) != 32 for h in self.hashes):
            raise ValueError(f"a compact range of {self.size} leaves has {self.size.bit_count()} hashes")

    def append(self, leaf_hashes: Iterable[Hash]) -> CompactRange:
        """The range with these leaf hashes appended."""
        size, stack = self.size, list(self.hashes)
        for leaf in leaf_hashes:
            h, n = leaf, size
            while n & 1:
                h = node_hash(stack.pop(), h)
                n >>= 1
            stack.append(h)
            size += 1
        return CompactRange(size, tuple(stack))

    def extend(self, nodes: Iterable[tuple[int, Hash]]) -> CompactRange:
        """The range with whole subtrees appended: (height, root) each, aligned (``size`` a multiple of
        ``2**height`` when each is appended), as ``subtrees`` lists them."""
        size, stack = self.size, list(self.hashes)
        for height, subtree in nodes:
            if size & ((1 << height) - 1):
                raise ValueError(f"a subtree of height {height} cannot start at leaf {size}")
            h, n = subtree, size >> height
            while n & 1:
                h = node_hash(stack.pop(), h)
                n >>= 1
            stack.append(h)
            size += 1 << height
        return CompactRange(size, tuple(stack))

    def root(self) -> Hash:
        """The Merkle Tree Hash of ``[0, size)``."""
        if not self.hashes:
            return EMPTY_ROOT
        acc = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            acc = node_hash(h, acc)
        return acc


class ProofError(ValueError):
    """A proof that does not prove what it claims."""


def verify_inclusion(index: int, size: int, leaf: Hash, proof: Sequence[Hash], root: Hash) -> list[Hash]:
    """Check that ``leaf`` is leaf ``index`` of the tree of ``size`` leaves with ``root`` (RFC 9162
    §2.1.3.2). Returns the left siblings on the way up, smallest first: reversed, with ``leaf``
    appended, they are the compact range of ``[0, index + 1)``. Raises ``ProofError``."""
    if index >= size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    lefts = []
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            lefts.append(p)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise ProofError(f"leaf {index} is not in the tree of {size} with that root")
    return lefts


def range_at(index: int, size: int, leaf: Hash, proof: Sequence[Hash], root: Hash) -> CompactRange:
    """The compact range of ``[0, index + 1)`` from a verified inclusion proof of leaf ``index``."""
    lefts = verify_inclusion(index, size, leaf, proof, root)
    return CompactRange(index, tuple(reversed(lefts))).append([leaf])


def verify_consistency(
    first: int, second: int, first_root: Hash, second_root: Hash, proof: Sequence[Hash]
) -> None:
    """Check that the tree of ``first`` leaves with ``first_root`` is a prefix of the tree of ``second``
    leaves with ``second_root`` (RFC 9162 §2.1.4.2). Raises ``ProofError``."""
    if first > second:
        raise ProofError(f"a tree of {first} cannot be a prefix of a tree of {second}")
    if first == second:
        if proof or first_root != second_root:
            raise ProofError(f"two different roots for the same tree size {first}")
        return
    if first == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        raise ProofError("the consistency proof is empty")
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise ProofError(f"the tree of {first} is not a prefix of the tree of {second}")


# -- proving (the loopback logs) --------------------------------------------------------------------

NodeReader = Callable[[int, int], Hash]
"""(start, end) -> the Merkle Tree Hash of leaves ``[start, end)``."""


def prove_inclusion(index: int, size: int, mth: NodeReader) -> list[Hash]:
    """The audit path of leaf ``index`` in the tree of ``size`` (RFC 6962 §2.1.1), bottom first."""

    def path(m: int, start: int, end: int) -> list[Hash]:
        n = end - start
        if n <= 1:
            return []
        k = 1 << ((n - 1).bit_length() - 1)
        if m < k:
            return [*path(m, start, start + k), mth(start + k, end)]
        return [*path(m - k, start + k, end), mth(start, start + k)]

    return path(index, 0, size)


def prove_consistency(first: int, second: int, mth: NodeReader) -> list[Hash]:
    """The consistency proof from the tree of ``first`` to that of ``second`` (RFC 6962 §2.1.2)."""

    def subproof(m: int, start: int, end: int, whole: bool) -> list[Hash]:
        n = end - start
        if m == n:
            return [] if whole else [mth(start, end)]
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            return [*subproof(m, start, start + k, whole), mth(start + k, end)]
        return [*subproof(m - k, start + k, end, False), mth(start, start + k)]

    if first in (0, second):
        return []
    return subproof(first, 0, second, True)


__all__ = [
    "EMPTY_ROOT",
    "CompactRange",
    "Hash",
    "NodeReader",
    "ProofError",
    "leaf_hash",
    "node_hash",
    "prove_consistency",
    "prove_inclusion",
    "range_at",
    "root_of",
    "subtrees",
    "verify_consistency",
    "verify_inclusion",
]
