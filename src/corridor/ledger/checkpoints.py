"""Signed checkpoints of the ledger's Merkle tree, in the transparency-log "checkpoint" format: no Django.

A checkpoint is a signed note (the convention certificate-transparency and Go's checksum database use):
the text, a blank line, and one signature line per signer::

    corridor.ledger/3f9a0c1d22e4b7a8
    1042
    nHkV7nO5yW0Qk3mM6n4bq6cSg1s3W7V3D0m2b1qfK1E=
    time 2026-11-23T10:00:00.123456Z
    head 5b0e…(64 hex digits)

    — corridor.ledger/3f9a0c1d22e4b7a8 qm2X…(base64)

Line 1 is the *origin*, the log's name; line 2 the tree size (the number of entries covered: entries
1 to N); line 3 the base64 root hash of the Merkle tree over those entries (``corridor.ledger.merkle``);
then two extension lines: ``time``, when the checkpoint was signed (UTC, the ledger's time format), and
``head``, the chain hash of entry N (``corridor verify``'s head; 64 zeros for an empty ledger). The
signature line is an em dash, a space, the key name (the origin), a space, and the base64 of the 4-byte
key ID followed by the 64-byte Ed25519 signature of the text above the blank line, final newline
included. The key ID is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key).

The public key is published as a *verifier key*: ``name+keyid+base64(0x01 || public key)``, the
signed-note convention's form, which names the key, identifies it, and carries it in one line.
docs/evidence.md states all of this for outsiders; ``verifier/corridor_verify.py`` re-implements it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519_ALGORITHM = b"\x01"
SIGNATURE_DASH = "\u2014 "
_NAME = re.compile(r"^[^\s+]+$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SIZE = re.compile(r"^(0|[1-9][0-9]{0,18})$")


class CheckpointError(ValueError):
    """A checkpoint, signature or key is malformed, or does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint asserts: the log's name, how many entries, their tree's root, when, and the chain head."""

    origin: str
    size: int
    root: bytes
    time: str
    head: str

    def text(self) -> str:
        """The signed text: every line of the checkpoint above the blank line, each ending in a newline."""
        if not _NAME.match(self.origin):
            raise CheckpointError("the origin must be one word without spaces or '+'")
        if self.size < 0 or len(self.root) != 32 or not _TIME.match(self.time) or not _HEX64.match(self.head):
            raise CheckpointError("a checkpoint needs a size, a 32-byte root, a ledger time and a 64-hex head")
        root = base64.b64encode(self.root).decode()
        return f"{self.origin}\n{self.size}\n{root}\ntime {self.time}\nhead {self.head}\n"

    @property
    def moment(self) -> dt.datetime:
        return dt.datetime.strptime(self.time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public: bytes

    def encode(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(ED25519_ALGORITHM + self.public).decode()}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519_ALGORITHM + public).digest()[:4]


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def origin_for(public: bytes) -> str:
    """The log's name: fixed by its key, so two deployments never share one and a new key starts a new log."""
    return f"corridor.ledger/{hashlib.sha256(public).hexdigest()[:16]}"


def verifier_key_for(key: Ed25519PrivateKey) -> VerifierKey:
    public = public_bytes(key)
    name = origin_for(public)
    return VerifierKey(name, key_id(name, public), public)


def parse_verifier_key(text: str) -> VerifierKey:
    """Read a verifier key ``name+keyid+base64`` and check that its ID matches its name and key."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not _NAME.match(parts[0]) or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise CheckpointError("a verifier key reads name+8-hex-digit-key-id+base64-key")
    try:
        raw = base64.b64decode(parts[2], validate=True)
    except binascii.Error:
        raise CheckpointError("the verifier key's key is not base64") from None
    if len(raw) != 33 or raw[:1] != ED25519_ALGORITHM:
        raise CheckpointError("the verifier key is not an Ed25519 key")
    key = VerifierKey(parts[0], bytes.fromhex(parts[1]), raw[1:])
    if key_id(key.name, key.public) != key.key_id or key.encode() != text.strip():
        raise CheckpointError("the verifier key's ID does not match its name and key")
    return key


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> str:
    """The complete signed note for ``checkpoint``, signed by ``key`` under the checkpoint's origin."""
    verifier = verifier_key_for(key)
    if verifier.name != checkpoint.origin:
        raise CheckpointError(f"this key signs for {verifier.name}, not {checkpoint.origin}")
    text = checkpoint.text()
    signature = key.sign(text.encode())
    line = base64.b64encode(verifier.key_id + signature).decode()
    return f"{text}\n{SIGNATURE_DASH}{verifier.name} {line}\n"


def parse(note: str) -> tuple[Checkpoint, list[tuple[str, bytes, bytes]]]:
    """Split a signed checkpoint into what it asserts and its signatures (name, key ID, signature).

    Only the exact form :func:`sign` writes is accepted: any other byte is a reason to distrust it.
    """
    if "\r" in note or not note.endswith("\n"):
        raise CheckpointError("a checkpoint is lines ending in a newline, without carriage returns")
    text, separator, signatures = note.partition("\n\n")
    if not separator or not signatures:
        raise CheckpointError("a checkpoint is its text, a blank line, and at least one signature line")
    lines = text.split("\n")
    if len(lines) != 5:
        raise CheckpointError("a checkpoint's text has five lines: origin, size, root, time and head")
    origin, size, root, time, head = lines
    if not _NAME.match(origin):
        raise CheckpointError("the origin must be one word without spaces or '+'")
    if not _SIZE.match(size):
        raise CheckpointError("the tree size must be a whole number written plainly")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except binascii.Error:
        raise CheckpointError("the root hash is not base64") from None
    if len(root_hash) != 32 or base64.b64encode(root_hash).decode() != root:
        raise CheckpointError("the root hash is not 32 bytes in canonical base64")
    if not time.startswith("time ") or not _TIME.match(time[5:]):
        raise CheckpointError("the fourth line must be 'time YYYY-MM-DDTHH:MM:SS.ffffffZ'")
    if not head.startswith("head ") or not _HEX64.match(head[5:]):
        raise CheckpointError("the fifth line must be 'head' and the chain hash of the last entry")
    checkpoint = Checkpoint(origin, int(size), root_hash, time[5:], head[5:])
    try:
        checkpoint.moment  # noqa: B018 - a well-formed but impossible date (month 13) is refused here
    except ValueError:
        raise CheckpointError("the time is not a real date and time") from None
    found: list[tuple[str, bytes, bytes]] = []
    for line in signatures[:-1].split("\n"):
        if not line.startswith(SIGNATURE_DASH):
            raise CheckpointError("a signature line starts with an em dash and a space")
        name, _, encoded = line[len(SIGNATURE_DASH) :].partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise CheckpointError("a signature is not base64") from None
        # 68 bytes: a key ID and an Ed25519 signature; 76: a witness's cosignature (key ID, time, signature).
        if not _NAME.match(name) or len(raw) not in (68, 76) or base64.b64encode(raw).decode() != encoded:
            raise CheckpointError("a signature line is a key name and 68 (or 76) bytes of canonical base64")
        found.append((name, raw[:4], raw[4:]))
    return checkpoint, found


def verify(note: str, key: VerifierKey) -> Checkpoint:
    """The checkpoint, if ``key`` signed it and it is for ``key``'s log; else CheckpointError.

    Signatures by other keys (a partner's co-signature, say) are allowed and ignored.
    """
    checkpoint, signatures = parse(note)
    text = (note.partition("\n\n")[0] + "\n").encode()
    ours = [signature for name, kid, signature in signatures if name == key.name and kid == key.key_id]
    if not ours:
        raise CheckpointError(f"the checkpoint carries no signature by {key.name}+{key.key_id.hex()}")
    if not any(key.verify(text, signature) for signature in ours):
        raise CheckpointError("the signature does not verify: the checkpoint or the key was altered")
    if checkpoint.origin != key.name:
        raise CheckpointError(f"the checkpoint is for {checkpoint.origin}, the key for {key.name}")
    return checkpoint


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"cannot read the signing key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_or_create_private_key(path: Path) -> Ed25519PrivateKey:
    """The key in ``path``, generated there (readable by its owner only) if there is none yet."""
    if path.exists():
        return load_private_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    # O_EXCL: two processes signing their first checkpoint together must not end up with two keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_private_key(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    return key
