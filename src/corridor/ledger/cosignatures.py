"""Witness cosignatures (C2SP tlog-cosignature, Ed25519 ``cosignature/v1``) and signed-note lines: no Django.

A witness that checked a checkpoint extends the last one it saw adds one signature line to it::

    — witness.example/w1 base64(key ID || timestamp || signature)

The key ID is the first 4 bytes of SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key) (0x04 is
the cosignature/v1 type), the timestamp is 8 bytes big-endian (POSIX seconds, never zero), and the
signature is Ed25519 over::

    cosignature/v1
    time <timestamp>
    <the checkpoint's text, every line above the blank line, final newline included>

A witness key is published as ``name+keyid(hex)+base64(0x04 || public key)`` (a signed-note verifier key
with the cosignature type). The message does not name the witness, so each witness has its own key.

This module also holds what the witness protocol (C2SP tlog-witness) needs to read any checkpoint
(origin, size, root hash, extension lines, signature lines), and the ``add-checkpoint`` request body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

COSIGNATURE_ALGORITHM = b"\x04"
NOTE_ALGORITHM = b"\x01"
SIGNATURE_DASH = "\u2014 "
COSIGNATURE_HEADER = "cosignature/v1\n"
MAX_PROOF_LINES = 63
_NAME = re.compile(r"^[^\s+]+$")
_SIZE = re.compile(r"^(0|[1-9][0-9]{0,18})$")


class NoteError(ValueError):
    """A note, key or request is malformed."""


@dataclass(frozen=True)
class WitnessKey:
    """A witness's public key: its name, key ID and raw Ed25519 public key."""

    name: str
    key_id: bytes
    public: bytes

    def encode(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(COSIGNATURE_ALGORITHM + self.public).decode()}"


def cosigner_key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + COSIGNATURE_ALGORITHM + public).digest()[:4]


def witness_key_for(name: str, key: Ed25519PrivateKey) -> WitnessKey:
    if not _NAME.match(name):
        raise NoteError("a witness name is one word without spaces or '+'")
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return WitnessKey(name, cosigner_key_id(name, public), public)


def parse_witness_key(text: str) -> WitnessKey:
    """Read ``name+keyid+base64(0x04 || key)`` and check that the ID matches the name and the key."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not _NAME.match(parts[0]) or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise NoteError(f"a witness key reads name+8-hex-digit-key-id+base64-key; got {text.strip()[:60]!r}")
    try:
        raw = base64.b64decode(parts[2], validate=True)
    except binascii.Error:
        raise NoteError("the witness key's key is not base64") from None
    if len(raw) != 33 or raw[:1] != COSIGNATURE_ALGORITHM:
        raise NoteError("the witness key is not an Ed25519 cosignature/v1 key (type 0x04)")
    key = WitnessKey(parts[0], bytes.fromhex(parts[1]), raw[1:])
    if cosigner_key_id(key.name, key.public) != key.key_id or key.encode() != text.strip():
        raise NoteError("the witness key's ID does not match its name and key")
    return key


@dataclass(frozen=True)
class Note:
    """A checkpoint as any tlog-checkpoint reader sees it: three lines, extensions, signature lines."""

    text: str  # every line above the blank line, final newline included: what the signatures cover
    origin: str
    size: int
    root: bytes
    signatures: tuple[tuple[str, bytes], ...]  # (key name, base64-decoded key ID || signature)


def parse_note(note: str) -> Note:
    """Split a checkpoint note into its text and signature lines (C2SP signed-note, tlog-checkpoint)."""
    if not note.endswith("\n") or any(ord(char) < 0x20 and char != "\n" for char in note):
        raise NoteError("a note is lines ending in a newline, without control characters")
    # The text ends at the last blank line (signed-note); a checkpoint's own lines are never empty.
    text, separator, rest = note[:-1].rpartition("\n\n")
    rest += "\n"
    if not separator or not rest:
        raise NoteError("a note is its text, a blank line, and at least one signature line")
    lines = text.split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise NoteError("a checkpoint's text has at least three non-empty lines: origin, size, root hash")
    origin, size, root = lines[:3]
    if not _SIZE.match(size):
        raise NoteError("the tree size must be a whole number written plainly")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except binascii.Error:
        raise NoteError("the root hash is not base64") from None
    if len(root_hash) != 32:
        raise NoteError("the root hash is not 32 bytes")
    signatures = []
    for line in rest[:-1].split("\n"):
        if not line.startswith(SIGNATURE_DASH):
            raise NoteError("a signature line starts with an em dash and a space")
        name, _, encoded = line[len(SIGNATURE_DASH) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError("a signature is not base64") from None
        if not _NAME.match(name) or len(raw) < 5:
            raise NoteError("a signature line is a key name and base64 of a key ID and a signature")
        signatures.append((name, raw))
    return Note(text + "\n", origin, int(size), root_hash, tuple(signatures))


def cosigned_message(text: str, timestamp: int) -> bytes:
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{text}".encode()


def cosign(text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature line (with its newline) of checkpoint ``text`` by witness ``name`` at ``timestamp``."""
    if not 0 < timestamp < 2**63:
        raise NoteError("a cosignature's timestamp is POSIX seconds, above zero")
    kid = witness_key_for(name, key).key_id
    signature = key.sign(cosigned_message(text, timestamp))
    raw = kid + timestamp.to_bytes(8, "big") + signature
    return f"{SIGNATURE_DASH}{name} {base64.b64encode(raw).decode()}\n"


def cosignature_time(note: Note, key: WitnessKey) -> int | None:
    """The timestamp of ``key``'s valid cosignature on ``note``, or None if it carries none."""
    for name, raw in note.signatures:
        if name != key.name or raw[:4] != key.key_id or len(raw) != 4 + 8 + 64:
            continue
        timestamp = int.from_bytes(raw[4:12], "big")
        if not 0 < timestamp < 2**63:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key.public).verify(raw[12:], cosigned_message(note.text, timestamp))
        except (InvalidSignature, ValueError):
            continue
        return timestamp
    return None


def cosignature_lines(note: str, key: WitnessKey) -> list[str]:
    """The signature lines of ``note`` that name ``key`` (whether or not they verify)."""
    return [
        f"{SIGNATURE_DASH}{name} {base64.b64encode(raw).decode()}\n"
        for name, raw in parse_note(note).signatures
        if name == key.name and raw[:4] == key.key_id
    ]


# --- the add-checkpoint request body (C2SP tlog-witness) ---------------------------------------------


def add_checkpoint_body(old_size: int, proof: list[bytes], note: str) -> bytes:
    """``old N``, one base64 hash a line, a blank line, then the checkpoint."""
    if len(proof) > MAX_PROOF_LINES:
        raise NoteError("a consistency proof has at most 63 hashes")
    lines = [f"old {old_size}"] + [base64.b64encode(value).decode() for value in proof]
    return ("\n".join(lines) + "\n\n" + note).encode()


def parse_add_checkpoint(body: bytes) -> tuple[int, list[bytes], str]:
    """The old size, the consistency proof and the checkpoint of an ``add-checkpoint`` request."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("the request is not UTF-8") from None
    header, separator, note = text.partition("\n\n")
    if not separator:
        raise NoteError("the request is an old size line, proof lines, a blank line and a checkpoint")
    lines = header.split("\n")
    if not lines[0].startswith("old ") or not _SIZE.match(lines[0][4:]):
        raise NoteError("the first line is 'old' and the size of the previous checkpoint")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise NoteError("a consistency proof has at most 63 hashes")
    proof = []
    for line in lines[1:]:
        try:
            value = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise NoteError("a proof line is not base64") from None
        if len(value) != 32:
            raise NoteError("a proof line is not a 32-byte hash")
        proof.append(value)
    return int(lines[0][4:]), proof, note
