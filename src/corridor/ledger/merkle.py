"""The ledger's Merkle tree, as certificate-transparency logs build theirs (RFC 9162 §2.1): pure Python, no Django.

Leaves are the ledger's entries in ``seq`` order: leaf ``i`` is entry ``i + 1``, and its hash is
``SHA-256(0x00 || body)`` where ``body`` is the entry's canonical body as UTF-8 (exactly the bytes whose
SHA-256 is the entry's chain hash). An interior node is ``SHA-256(0x01 || left || right)``. The tree
over ``n`` leaves splits at ``k``, the largest power of two below ``n``: a perfect tree on the left and
the tree of the rest on the right. Every left subtree is therefore *perfect* (``2**level`` leaves) and
*aligned* (it starts at a multiple of ``2**level``), and every range that ever appears in a proof is a
run of such perfect subtrees of decreasing size. That is what makes proofs cheap at a million entries:
a store only has to keep perfect subtree hashes, which never change once the leaves exist.

Proof generation asks a :class:`Source` for the perfect subtrees it needs in one batch; the
verification functions follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by step. The standalone verifier
(``verifier/corridor_verify.py``) repeats the verification in its own single file, and the tests check
that the two agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]  # (level, index): the perfect subtree over leaves [index * 2**level, (index + 1) * 2**level)


def leaf_hash(entry: bytes) -> bytes:
    """The leaf hash of one entry's canonical body bytes."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """``k``, the largest power of two strictly less than ``size`` (for ``size >= 2``)."""
    if size < 2:
        raise ValueError("only a tree of two or more leaves splits")
    return 1 << ((size - 1).bit_length() - 1)


def perfect_parts(start: int, end: int) -> list[Node]:
    """The perfect, aligned subtrees that make up the tree node over leaves ``[start, end)``, left to right.

    Only ranges that are nodes of the RFC 9162 tree are accepted: their parts shrink from left to right,
    and the node's hash is the parts folded from the right (see :func:`fold`).
    """
    if not 0 <= start < end:
        raise ValueError(f"empty or negative range [{start}, {end})")
    parts: list[Node] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while (1 << level) > end - start:
            level -= 1
        if parts and level >= parts[-1][0]:
            raise ValueError(f"[{start}, {end}) is not a node of the tree")
        parts.append((level, start >> level))
        start += 1 << level
    return parts


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a tree node from its perfect parts' hashes, left to right: combined from the right."""
    result = hashes[-1]
    for value in reversed(hashes[:-1]):
        result = node_hash(value, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form the inclusion proof of leaf ``index`` in a tree of ``size`` leaves.

    RFC 9162 §2.1.3.1: PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) if m < k, and
    PATH(m - k, D[k:n]) : MTH(D[0:k]) otherwise; the path runs from the leaf up to the root.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form the proof that the tree of ``old`` leaves is a prefix of ``new``'s.

    RFC 9162 §2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true), with SUBPROOF(m, D[m], true) = {},
    SUBPROOF(m, D[m], false) = {MTH(D[m])}, and for m < n: SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) if
    m <= k, else SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]). Empty when ``old`` is 0 or ``new``.
    """
    if not 0 <= old <= new:
        raise ValueError(f"a tree of {old} cannot be a prefix of a tree of {new}")
    if old in (0, new):
        return []
    ranges: list[tuple[int, int]] = []
    start, end, whole = 0, new, True
    while True:
        if old - start == end - start:
            if not whole:
                ranges.append((start, end))
            break
        k = split_point(end - start)
        if old - start <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            whole = False
    ranges.reverse()
    return ranges


class Source(Protocol):
    """Where proofs get the hashes of perfect subtrees: a database table, or a tree held in memory."""

    def fetch(self, nodes: Sequence[Node]) -> Mapping[Node, bytes]:
        """The hash of each requested perfect subtree (raise KeyError if one is unknown)."""
        ...


def _hashes_of(source: Source, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    parts = [perfect_parts(start, end) for start, end in ranges]
    found = source.fetch(sorted({node for group in parts for node in group}))
    return [fold([found[node] for node in group]) for group in parts]


def root(source: Source, size: int) -> bytes:
    """The tree hash over the first ``size`` leaves (the hash of the empty string for an empty tree)."""
    if size == 0:
        return EMPTY_ROOT
    return _hashes_of(source, [(0, size)])[0]


def inclusion_proof(source: Source, index: int, size: int) -> list[bytes]:
    return _hashes_of(source, inclusion_ranges(index, size))


def consistency_proof(source: Source, old: int, new: int) -> list[bytes]:
    return _hashes_of(source, consistency_ranges(old, new))


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: whether ``leaf`` is leaf ``index`` of the tree of ``size`` leaves with that root."""
    if not 0 <= index < size or len(leaf) != HASH_SIZE or any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn, result = index, size - 1, leaf
    for value in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(value, result)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, value)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == expected_root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: whether the tree of ``old`` leaves with ``old_root`` is a prefix of ``new``'s.

    The equal-size and empty cases, which the RFC leaves to the caller, are decided here: an equal size
    needs an empty proof and equal roots; an empty old tree is a prefix of every tree.
    """
    if not 0 <= old <= new or any(len(p) != HASH_SIZE for p in proof):
        return False
    if old == 0:
        return not proof and old_root == EMPTY_ROOT
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = path[0]
    for value in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first = node_hash(value, first)
            second = node_hash(value, second)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            second = node_hash(second, value)
        fn >>= 1
        sn >>= 1
    return first == old_root and second == new_root and sn == 0


class MemoryTree:
    """Every perfect subtree of a list of leaf hashes, in memory: for tests, exports and small ledgers."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [list(leaves)]
        self._build()

    def __len__(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        self._build()

    def _build(self) -> None:
        level = 0
        while len(self.levels[level]) >= 2:
            below = self.levels[level]
            if level + 1 == len(self.levels):
                self.levels.append([])
            above = self.levels[level + 1]
            for i in range(len(above), len(below) // 2):
                above.append(node_hash(below[2 * i], below[2 * i + 1]))
            level += 1

    def fetch(self, nodes: Sequence[Node]) -> dict[Node, bytes]:
        return {(level, index): self.levels[level][index] for level, index in nodes}

    def root(self, size: int | None = None) -> bytes:
        return root(self, len(self) if size is None else size)


class RootBuilder:
    """The root of a growing tree from its leaves, one at a time, in O(log n) memory (a compact range)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (level, hash) of the perfect subtrees, left to right

    def append(self, leaf: bytes) -> None:
        level, value = 0, leaf
        while self._stack and self._stack[-1][0] == level:
            value = node_hash(self._stack.pop()[1], value)
            level += 1
        self._stack.append((level, value))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        return fold([value for _, value in self._stack])
