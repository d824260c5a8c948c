"""The Merkle tree, its proofs and their verification (RFC 9162 §2.1), without a database."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.ledger import merkle
from corridor.ledger.tests.ledgers import flip, leaves_of, ledgers, load_verifier

verifier = load_verifier()


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 §2.1.1 defines it, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])).digest()


# The inputs and roots of the certificate-transparency reference implementation's Merkle tree tests.
CT_INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_the_roots_match_the_certificate_transparency_reference_vectors() -> None:
    leaves = [merkle.leaf_hash(data) for data in CT_INPUTS]
    tree = merkle.MemoryTree(leaves)
    assert [tree.root(size).hex() for size in range(1, 9)] == CT_ROOTS
    assert tree.root(0) == hashlib.sha256(b"").digest()


def test_the_tree_the_builders_and_the_verifier_agree_with_the_rfc_definition_up_to_130_leaves() -> None:
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(130)]
    tree, builder, outsider = merkle.MemoryTree(), merkle.RootBuilder(), verifier.RootBuilder()
    for size in range(131):
        expected = reference_root(leaves[:size])
        assert tree.root() == builder.root() == outsider.root() == merkle.MemoryTree(leaves[:size]).root() == expected
        if size < 130:
            tree.append(leaves[size])
            builder.append(leaves[size])
            outsider.append(leaves[size])


@given(ledgers(max_size=24))
@settings(max_examples=30, deadline=None)
def test_every_entry_of_a_random_ledger_has_an_inclusion_proof_that_verifies(records: list[dict[str, Any]]) -> None:
    leaves = leaves_of(records)
    tree = merkle.MemoryTree(leaves)
    for size in range(1, len(leaves) + 1):
        root = tree.root(size)
        for index in range(size):
            proof = merkle.inclusion_proof(tree, index, size)
            assert merkle.verify_inclusion(index, size, leaves[index], proof, root)
            assert verifier.verify_inclusion(index, size, leaves[index], proof, root)


@given(st.integers(1, 70), st.data())
@settings(max_examples=120, deadline=None)
def test_any_one_bit_change_to_an_entry_a_proof_or_its_position_is_rejected(size: int, data: Any) -> None:
    leaves = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(size)]
    tree = merkle.MemoryTree(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof, root = merkle.inclusion_proof(tree, index, size), tree.root()
    body = f"entry {index}".encode()
    bit = data.draw(st.integers(0, 8 * len(body) - 1))
    altered_leaf = merkle.leaf_hash(flip(body, bit))
    candidates = [(index, altered_leaf, proof, root)]
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        changed = list(proof)
        changed[at] = flip(proof[at], data.draw(st.integers(0, 255)))
        candidates.append((index, leaves[index], changed, root))
        candidates.append((index, leaves[index], proof[:-1], root))
        candidates.append((index, leaves[index], [*proof, proof[0]], root))
    for position_bit in range(8):
        candidates.append((index ^ (1 << position_bit), leaves[index], proof, root))
    candidates.append((index, leaves[index], proof, flip(root, data.draw(st.integers(0, 255)))))
    for position, leaf, path, expected in candidates:
        assert not merkle.verify_inclusion(position, size, leaf, path, expected)
        assert not verifier.verify_inclusion(position, size, leaf, path, expected)


@given(st.integers(1, 64))
@settings(max_examples=30, deadline=None)
def test_every_older_tree_is_proven_a_prefix_of_every_newer_one(new: int) -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(new)]
    tree = merkle.MemoryTree(leaves)
    for old in range(0, new + 1):
        proof = merkle.consistency_proof(tree, old, new)
        assert merkle.verify_consistency(old, new, tree.root(old), tree.root(new), proof)
        assert verifier.verify_consistency(old, new, tree.root(old), tree.root(new), proof)


@given(st.integers(2, 64), st.data())
@settings(max_examples=150, deadline=None)
def test_a_consistency_proof_fails_for_a_rewritten_history(new: int, data: Any) -> None:
    old = data.draw(st.integers(1, new - 1))
    rewritten_at = data.draw(st.integers(0, old - 1))
    original = [merkle.leaf_hash(bytes([i])) for i in range(new)]
    history = list(original)
    history[rewritten_at] = merkle.leaf_hash(b"what the authority would rather have said")
    old_root = merkle.MemoryTree(original).root(old)
    rewritten = merkle.MemoryTree(history)
    # The rewriter's best effort: an honest proof from the rewritten tree, and from the original one.
    for proof in (
        merkle.consistency_proof(rewritten, old, new),
        merkle.consistency_proof(merkle.MemoryTree(original), old, new),
    ):
        assert not merkle.verify_consistency(old, new, old_root, rewritten.root(), proof)
        assert not verifier.verify_consistency(old, new, old_root, rewritten.root(), proof)


@given(st.integers(2, 64), st.data())
@settings(max_examples=150, deadline=None)
def test_any_one_bit_change_to_a_consistency_proof_or_a_root_is_rejected(new: int, data: Any) -> None:
    old = data.draw(st.integers(1, new - 1))
    tree = merkle.MemoryTree([merkle.leaf_hash(bytes([i])) for i in range(new)])
    proof, old_root, new_root = merkle.consistency_proof(tree, old, new), tree.root(old), tree.root(new)
    at = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 255))
    changed = list(proof)
    changed[at] = flip(proof[at], bit)
    for args in [
        (old, new, old_root, new_root, changed),
        (old, new, flip(old_root, bit), new_root, proof),
        (old, new, old_root, flip(new_root, bit), proof),
        (old, new, old_root, new_root, proof[:-1]),
    ]:
        assert not merkle.verify_consistency(*args)
        assert not verifier.verify_consistency(*args)


def test_proof_shapes_follow_the_rfc_examples() -> None:
    # RFC 9162 §2.1.5: in the tree of 7 leaves d0…d6, the path for d0 is [b, h, l]: leaf 1, leaves 2-3, leaves 4-6.
    assert merkle.inclusion_ranges(0, 7) == [(1, 2), (2, 4), (4, 7)]
    assert merkle.inclusion_ranges(3, 7) == [(2, 3), (0, 2), (4, 7)]
    assert merkle.inclusion_ranges(4, 7) == [(5, 6), (6, 7), (0, 4)]
    assert merkle.inclusion_ranges(6, 7) == [(4, 6), (0, 4)]
    # … and the consistency proofs between the trees of 3, 4 and 6 leaves and the tree of 7.
    assert merkle.consistency_ranges(3, 7) == [(2, 3), (3, 4), (0, 2), (4, 7)]
    assert merkle.consistency_ranges(4, 7) == [(4, 7)]
    assert merkle.consistency_ranges(6, 7) == [(4, 6), (6, 7), (0, 4)]


@pytest.mark.parametrize(("index", "size"), [(-1, 3), (3, 3), (0, 0)])
def test_a_leaf_outside_the_tree_has_no_proof(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_ranges(index, size)
    assert not merkle.verify_inclusion(index, size, b"\0" * 32, [], b"\0" * 32)


def test_perfect_parts_refuse_a_range_that_is_not_a_node_of_the_tree() -> None:
    assert merkle.perfect_parts(4, 7) == [(1, 2), (0, 6)]
    with pytest.raises(ValueError):
        merkle.perfect_parts(1, 4)  # leaves 1-3 are never one node
