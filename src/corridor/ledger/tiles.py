"""The ledger's Merkle tree as static files (C2SP tlog-tiles), for any plain web server to mirror.

``corridor publish-log --out DIR`` writes, for the latest checkpoint of N entries:

``DIR/checkpoint``
    The checkpoint as published: the keeper's signed note and the witnesses' cosignatures.
``DIR/tile/<L>/<N>[.p/<W>]``
    Tiles: 256 hashes (8,192 bytes) of level ``8L`` of the tree, or fewer (``.p/W``) for the rightmost
    partial one. Level 0 holds the leaf hashes; a hash in a level ``L`` tile is the root of a full tile
    of level ``L - 1``.
``DIR/tile/entries/<N>[.p/<W>]``
    Entry bundles: the canonical bodies of entries ``256N + 1`` to ``256N + 256`` (the exact bytes the
    leaf hashes cover, the same fields as ``corridor export ledger`` writes, and so as pseudonymous),
    each preceded by its length as a big-endian uint16.

``<N>`` is written in groups of three digits, all but the last prefixed with ``x`` (``x001/x234/067``).
Full tiles never change once written; the partial ones and the checkpoint are replaced as the log grows.
The checkpoint is written last, so a mirror copied at any moment never names tiles it lacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from corridor.files import write_atomically
from corridor.ledger import merkle

TILE_WIDTH = 256
TILE_HEIGHT = 8


def index_path(index: int) -> str:
    """``1234067`` → ``x001/x234/067``."""
    digits = f"{index:03d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[at : at + 3] for at in range(0, len(digits), 3)]
    return "/".join([*("x" + group for group in groups[:-1]), groups[-1]])


def tile_path(level: int | str, index: int, width: int = TILE_WIDTH) -> str:
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{index_path(index)}{suffix}"


def bundle(bodies: Iterable[bytes]) -> bytes:
    out = bytearray()
    for body in bodies:
        if len(body) > 0xFFFF:
            raise ValueError(f"an entry of {len(body)} bytes does not fit an entry bundle (65,535 at most)")
        out += len(body).to_bytes(2, "big") + body
    return bytes(out)


def unbundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise ValueError("an entry bundle ends inside a length")
        length = int.from_bytes(data[at : at + 2], "big")
        if at + 2 + length > len(data):
            raise ValueError("an entry bundle ends inside an entry")
        entries.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    return entries


def tile_root(hashes: Sequence[bytes]) -> bytes:
    """The root of a full tile: the perfect tree over its 256 hashes."""
    level = list(hashes)
    while len(level) > 1:
        level = [merkle.node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


class Writer:
    """Writes files under ``root``, each whole or not at all, skipping full tiles already there."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written = 0

    def write(self, relative: str, data: bytes, *, immutable: bool) -> None:
        path = self.root / relative
        if immutable and path.exists() and path.stat().st_size == len(data):
            return
        write_atomically(path, data)
        self.written += 1


def write_tiles(writer: Writer, leaves: Sequence[bytes]) -> None:
    """Every tile of the tree over ``leaves`` (level 0 and up), full and partial."""
    level, hashes = 0, list(leaves)
    while True:
        full, rest = divmod(len(hashes), TILE_WIDTH)
        for n in range(full):
            chunk = hashes[n * TILE_WIDTH : (n + 1) * TILE_WIDTH]
            writer.write(tile_path(level, n), b"".join(chunk), immutable=True)
        if rest:
            writer.write(tile_path(level, full, rest), b"".join(hashes[full * TILE_WIDTH :]), immutable=False)
        if full == 0:
            return
        hashes = [tile_root(hashes[n * TILE_WIDTH : (n + 1) * TILE_WIDTH]) for n in range(full)]
        level += 1
