"""Signed checkpoints: the published text, its signature, and the verifier key (no database)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from corridor.ledger import checkpoints
from corridor.ledger.tests.ledgers import flip, load_verifier

verifier = load_verifier()
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
VKEY = checkpoints.verifier_key_for(KEY)


def _note(size: int = 1042) -> str:
    checkpoint = checkpoints.Checkpoint(VKEY.name, size, bytes(range(32)), "2026-11-23T10:00:00.123456Z", "ab" * 32)
    return checkpoints.sign(checkpoint, KEY)


def _both_reject(note: str, key_text: str) -> None:
    with pytest.raises(checkpoints.CheckpointError):
        checkpoints.verify(note, checkpoints.parse_verifier_key(key_text))
    with pytest.raises((verifier.Failed, verifier.Unreadable)):
        verifier.read_checkpoint(note, verifier.Key(key_text))


def test_a_checkpoint_is_the_documented_signed_note() -> None:
    note = _note()
    lines = note.split("\n")
    assert lines[:5] == [
        VKEY.name,
        "1042",
        base64.b64encode(bytes(range(32))).decode(),
        "time 2026-11-23T10:00:00.123456Z",
        "head " + "ab" * 32,
    ]
    assert lines[5] == "" and lines[6].startswith("\u2014 " + VKEY.name + " ") and lines[7] == ""
    raw = base64.b64decode(lines[6].split(" ")[2])
    assert raw[:4] == VKEY.key_id and len(raw) == 68
    published = checkpoints.parse_verifier_key(VKEY.encode())
    assert published.verify(("\n".join(lines[:5]) + "\n").encode(), raw[4:])
    parsed = checkpoints.verify(note, published)
    assert (parsed.size, parsed.root, parsed.head) == (1042, bytes(range(32)), "ab" * 32)
    outsider = verifier.read_checkpoint(note, verifier.Key(VKEY.encode()))
    assert (outsider.size, outsider.root, outsider.time) == (1042, parsed.root, parsed.time)


def test_any_one_bit_change_to_a_checkpoint_is_rejected_by_both_verifiers() -> None:
    data = _note().encode("utf-8")
    for bit in range(8 * len(data)):
        try:
            altered = flip(data, bit).decode("utf-8")
        except UnicodeDecodeError:
            continue  # not even text: no reader would get as far as the signature
        _both_reject(altered, VKEY.encode())


def test_any_one_bit_change_to_the_verifier_key_is_rejected() -> None:
    note = _note()
    text = VKEY.encode()
    name, key_id, encoded = text.split("+", 2)
    raw = base64.b64decode(encoded)
    for bit in range(8 * len(raw)):
        changed = base64.b64encode(flip(raw, bit)).decode()
        _both_reject(note, f"{name}+{key_id}+{changed}")
    for bit in range(32):
        other_id = flip(bytes.fromhex(key_id), bit).hex()
        _both_reject(note, f"{name}+{other_id}+{encoded}")
    # A genuine key of another log, and the same key under another name, are refused too.
    _both_reject(note, checkpoints.verifier_key_for(OTHER).encode())


def test_a_signature_by_another_key_is_ignored_and_one_by_ours_is_required() -> None:
    note = _note()
    theirs = checkpoints.verifier_key_for(OTHER)
    text = note.partition("\n\n")[0] + "\n"
    cosigned = (
        note
        + "\u2014 "
        + theirs.name
        + " "
        + base64.b64encode(theirs.key_id + OTHER.sign(text.encode())).decode()
        + "\n"
    )
    assert checkpoints.verify(cosigned, VKEY).size == 1042
    assert verifier.read_checkpoint(cosigned, verifier.Key(VKEY.encode())).size == 1042
    only_theirs = text + "\n" + cosigned.split("\n\n")[1].split("\n", 1)[1]
    _both_reject(only_theirs, VKEY.encode())


@pytest.mark.parametrize(
    "change",
    [
        lambda n: n.replace("\n", "\r\n"),
        lambda n: n.replace("1042", "01042"),
        lambda n: n.replace("1042", "+1042"),
        lambda n: n.rstrip("\n"),
        lambda n: n.replace("time 2026-11-23T10:00:00.123456Z", "time 2026-13-23T10:00:00.123456Z"),
        lambda n: n.replace("\n\n", "\nextra line\n\n"),
    ],
)
def test_a_checkpoint_not_in_the_exact_form_is_refused(change: object) -> None:
    assert callable(change)
    _both_reject(change(_note()), VKEY.encode())


def test_the_key_is_generated_once_readable_only_by_its_owner_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing-key.pem"
    first = checkpoints.load_or_create_private_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    again = checkpoints.load_or_create_private_key(path)
    assert checkpoints.public_bytes(first) == checkpoints.public_bytes(again)
    path.write_text("not a key")
    with pytest.raises(checkpoints.CheckpointError, match="not an unencrypted PEM"):
        checkpoints.load_private_key(path)


def test_a_key_cannot_sign_for_another_log() -> None:
    checkpoint = checkpoints.Checkpoint(VKEY.name, 1, bytes(32), "2026-11-23T10:00:00.000000Z", "0" * 64)
    with pytest.raises(checkpoints.CheckpointError, match="signs for"):
        checkpoints.sign(checkpoint, OTHER)
