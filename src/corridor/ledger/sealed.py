"""Files sealed at rest: AES-256-GCM in chunks, so a file of any size is encrypted and read in bounded memory.

A sealed file is a header and a run of records::

    CRDRSEAL1\\n  KEYID (8 ASCII hex)  SALT (16 bytes)
    [length (4 bytes, big-endian)  ciphertext+tag] ...  the last record being the trailer

Each file has its own key, HKDF-SHA256 of the master key with the file's random salt, so records
cannot be moved between files. Record *n* uses nonce *n* (big-endian, 12 bytes); the trailer uses
the nonce 2**96-1 and holds the plaintext's SHA-256 and size, with that SHA-256 as its additional
authenticated data. A reader told which hash to expect therefore finds a file that was renamed,
truncated, reordered, extended or altered: nothing decrypts, or the trailer does not match.

KEYID is the first 8 hex digits of the master key's SHA-256 (as for identity fields), so a file names
the key it needs without revealing it. This module imports nothing from Django: it is given the keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Iterator, Mapping
from typing import IO, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"CRDRSEAL1\n"
CHUNK = 1 << 20
_TRAILER_NONCE = b"\xff" * 12
_HEADER = len(MAGIC) + 8 + 16


class SealError(Exception):
    """A sealed file cannot be opened: its key is not configured, or it was altered, truncated or renamed."""


def _file_cipher(master: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"corridor attachment v1").derive(master)
    return AESGCM(derived)


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _trailer_context(digest: str) -> bytes:
    return b"corridor.attachment:" + digest.encode("ascii")


class Sealer:
    """Write a sealed file chunk by chunk while hashing the plaintext; ``finish`` writes the trailer."""

    def __init__(self, out: IO[bytes], key_id: str, master: bytes) -> None:
        salt = os.urandom(16)
        self._out = out
        self._cipher = _file_cipher(master, salt)
        self._index = 0
        self._pending = bytearray()
        self.hasher = hashlib.sha256()
        self.size = 0
        out.write(MAGIC + key_id.encode("ascii") + salt)

    def _record(self, ciphertext: bytes) -> None:
        self._out.write(struct.pack(">I", len(ciphertext)) + ciphertext)

    def write(self, data: bytes) -> None:
        self.hasher.update(data)
        self.size += len(data)
        self._pending += data
        while len(self._pending) >= CHUNK:
            self._record(self._cipher.encrypt(_nonce(self._index), bytes(self._pending[:CHUNK]), b"chunk"))
            del self._pending[:CHUNK]
            self._index += 1

    def finish(self) -> str:
        """Seal what remains and the trailer; return the plaintext's SHA-256."""
        if self._pending:
            self._record(self._cipher.encrypt(_nonce(self._index), bytes(self._pending), b"chunk"))
            self._pending.clear()
            self._index += 1
        digest = self.hasher.hexdigest()
        trailer = json.dumps({"sha256": digest, "bytes": self.size, "chunks": self._index}).encode("ascii")
        self._record(self._cipher.encrypt(_TRAILER_NONCE, trailer, _trailer_context(digest)))
        return digest


def _records(handle: BinaryIO) -> Iterator[bytes]:
    while True:
        length = handle.read(4)
        if not length:
            return
        if len(length) != 4:
            raise SealError("the sealed file is truncated")
        (size,) = struct.unpack(">I", length)
        if size > CHUNK + 16:
            raise SealError("the sealed file is damaged (a record is too long)")
        body = handle.read(size)
        if len(body) != size:
            raise SealError("the sealed file is truncated")
        yield body


def _read_header(handle: BinaryIO) -> tuple[str, bytes]:
    """The key id and the salt in a sealed file's header (the handle is left after it); SealError if none."""
    header = handle.read(_HEADER)
    if len(header) != _HEADER or not header.startswith(MAGIC):
        raise SealError("not a sealed file")
    return header[len(MAGIC) : len(MAGIC) + 8].decode("ascii", "replace"), header[len(MAGIC) + 8 :]


def key_id_of(handle: BinaryIO) -> str:
    """The id of the key a sealed file needs (the handle is left after the header)."""
    return _read_header(handle)[0]


def _check_trailer(cipher: AESGCM, record: bytes, digest: str, expected: dict[str, object], handle: BinaryIO) -> None:
    try:
        trailer = json.loads(cipher.decrypt(_TRAILER_NONCE, record, _trailer_context(digest)))
    except InvalidTag:
        raise SealError("the sealed file was altered, or is not the file with this hash") from None
    if handle.read(1):
        raise SealError("the sealed file has data after its trailer")
    if trailer != expected:
        raise SealError("the sealed file does not hold the bytes with this hash")


def open_chunks(handle: BinaryIO, keys: Mapping[str, bytes], digest: str) -> Iterator[bytes]:
    """Yield the plaintext of a sealed file chunk by chunk, checking every chunk and, at the end, the trailer.

    The last chunk is only yielded once the trailer has been checked, so a caller that consumes the
    iterator to the end has read exactly the bytes whose SHA-256 is ``digest``, or gets SealError.
    """
    key_id, salt = _read_header(handle)
    master = keys.get(key_id)
    if master is None:
        raise SealError(f"the file was sealed with key {key_id}, which is not configured")
    cipher = _file_cipher(master, salt)
    hasher = hashlib.sha256()
    size = 0
    held: bytes | None = None
    for index, record in enumerate(_records(handle)):
        try:
            plain = cipher.decrypt(_nonce(index), record, b"chunk")
        except InvalidTag:
            # Not a chunk: it must be the trailer, and the last record.
            _check_trailer(cipher, record, digest, {"sha256": digest, "bytes": size, "chunks": index}, handle)
            if hasher.hexdigest() != digest:
                raise SealError("the sealed file does not hold the bytes with this hash") from None
            if held is not None:
                yield held
            return
        if held is not None:
            yield held
        hasher.update(plain)
        size += len(plain)
        held = plain
    raise SealError("the sealed file is truncated (no trailer)")
