"""A ProofMode proof bundle is recognised by its content, its hashes and OpenPGP signatures are checked against
the key it carries, and the result is recorded in its attachment.added entry; the bundle is kept whole."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from corridor.errors import InvalidInput
from corridor.ledger import attachments
from corridor.ledger import services as ledger
from corridor.ledger.models import Attachment, Entry
from corridor.ledger.tests import samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, settings: Any) -> None:
    settings.DATA_DIR = tmp_path


def _incident() -> int:
    return ledger.append(
        "incident.recorded", by="tester", subjects=["trip:7", "site:GATE"], payload={}, source="witness"
    ).seq


def _attach(data: bytes, users: dict[str, Any], seq: int | None = None) -> Entry:
    return attachments.attach(
        io.BytesIO(data), entry=seq or _incident(), by=users["monitor"], source="media", certainty="confirmed"
    )


def test_a_signed_bundle_is_valid_kept_whole_and_shown_by_the_photo_inside(users: dict[str, Any]) -> None:
    photo = samples.photo_with_metadata()
    bundle = samples.proofmode_bundle(photo)
    added = _attach(bundle, users)
    p = added.payload
    assert (p["media_type"], p["kind"], p["proofmode"]) == ("application/zip", "bundle", "valid")
    detail = p["proofmode_detail"]
    assert detail["reason"] is None and len(detail["signer"]) == 40
    assert detail["media"] == [
        {"sha256": hashlib.sha256(photo).hexdigest(), "bytes": len(photo), "media_type": "image/jpeg"}
    ]
    assert detail["not_checked"] == [".gst", ".ots"]  # kept in the bundle, said to be unchecked
    # The original is the bundle, byte for byte; its media's name is nowhere in the entry.
    assert p["sha256"] == hashlib.sha256(bundle).hexdigest() and attachments.read(p["sha256"]) == bundle
    assert "IMG_2014" not in added.body and "DCIM" not in added.body
    # What is shown comes from the photo inside, without its metadata.
    shown = attachments.read(p["derivative"])
    assert Image.open(io.BytesIO(shown)).size == (640, 480) and b"SyntheticPhone" not in shown
    assert Attachment.objects.get(added=added).proofmode == "valid"
    # Nothing extracted on the way is left beside the store's objects.
    assert not [d for d in attachments.store_dir().iterdir() if d.name.startswith(".proofmode")]


def test_a_bundle_whose_photo_lost_a_byte_after_signing_is_invalid_with_the_reason(users: dict[str, Any]) -> None:
    photo = samples.photo_with_metadata()
    added = _attach(samples.proofmode_bundle(photo, tamper_media=True), users)
    assert added.payload["proofmode"] == "invalid"
    reason = added.payload["proofmode_detail"]["reason"]
    assert f"not {hashlib.sha256(photo).hexdigest()} as its proof records" in reason
    assert "the signature of media file 1 does not verify with the key in pubkey.asc" in reason
    assert Attachment.objects.get(added=added).proofmode == "invalid"


def test_a_bundle_signed_by_another_key_than_the_one_it_carries_is_invalid(users: dict[str, Any]) -> None:
    added = _attach(samples.proofmode_bundle(samples.photo_with_metadata(), signed_by_another_key=True), users)
    assert added.payload["proofmode"] == "invalid"
    reason = added.payload["proofmode_detail"]["reason"]
    assert "media file 1 is signed by key" in reason and "not by the key in pubkey.asc" in reason
    assert ".proof.json of media file 1 is signed by key" in reason


def test_a_bundle_missing_its_media_signature_or_its_key_is_invalid_and_says_which(users: dict[str, Any]) -> None:
    seq = _incident()
    unsigned = _attach(
        samples.proofmode_bundle(samples.photo_with_metadata(), without_media_signature=True), users, seq
    )
    assert unsigned.payload["proofmode"] == "invalid"
    assert unsigned.payload["proofmode_detail"]["reason"] == "media file 1 has no signature"
    keyless = _attach(samples.proofmode_bundle(samples.photo_with_metadata(), without_public_key=True), users, seq)
    assert keyless.payload["proofmode"] == "invalid" and keyless.payload["proofmode_detail"]["signer"] is None
    assert keyless.payload["proofmode_detail"]["reason"] == "the bundle has no public key (pubkey.asc)"


def test_a_plain_photo_has_no_proofmode_result(users: dict[str, Any]) -> None:
    added = _attach(samples.photo_with_metadata(), users)
    assert (added.payload["proofmode"], added.payload["proofmode_detail"]) == ("none", None)
    assert Attachment.objects.get(added=added).proofmode == "none"


def test_a_zip_that_is_not_a_proofmode_bundle_or_holds_what_is_not_accepted_is_refused_and_leaves_nothing(
    users: dict[str, Any],
) -> None:
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("notes.txt", "a zip of something else")
    with pytest.raises(InvalidInput, match="accepted only as a ProofMode proof bundle"):
        _attach(other.getvalue(), users)
    smuggled = io.BytesIO()
    with zipfile.ZipFile(smuggled, "w") as archive:
        archive.writestr("pubkey.asc", "not really")
        archive.writestr("tool.exe", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(InvalidInput, match="inside the bundle is not of a type accepted"):
        _attach(smuggled.getvalue(), users)
    assert not Entry.objects.filter(type="attachment.added").exists()
    assert not [p for p in attachments.store_dir().rglob("*") if p.is_file()]
    assert not [d for d in attachments.store_dir().iterdir() if d.name.startswith(".proofmode")]


def test_a_bundle_whose_key_is_certified_with_sha1_as_proofmodes_are_is_recorded_unchecked_not_forged(
    users: dict[str, Any],
) -> None:
    import pysequoia

    photo = samples.photo_with_metadata()
    # The same hand-built key certified with SHA-256 verifies: what follows is the SHA-1 certification alone.
    modern = _attach(samples.proofmode_bundle(photo, phone_key=samples.RsaOpenPgpKey(certify_with="SHA256")), users)
    assert modern.payload["proofmode"] == "valid"
    phone = samples.RsaOpenPgpKey(certify_with="SHA1")  # as ProofMode's Bouncy Castle key generation does
    with pytest.raises(RuntimeError):  # Sequoia's standard policy refuses the key, so nothing it signed verifies
        pysequoia.verify(
            bytes=b"x",
            store=lambda _ids: [pysequoia.Cert.from_bytes(phone.public.encode())],
            signature=pysequoia.Sig.from_bytes(phone.sign(b"x")),
        )
    seq = _incident()
    unchecked = _attach(samples.proofmode_bundle(photo, phone_key=phone), users, seq)
    assert unchecked.payload["proofmode"] == "unchecked"
    assert "certified only with SHA-1" in unchecked.payload["proofmode_detail"]["reason"]
    assert unchecked.payload["proofmode_detail"]["signer"] == phone.fingerprint.hex()
    # The hashes are still checked: a changed byte is still found, whatever the key.
    tampered = _attach(samples.proofmode_bundle(photo, phone_key=phone, tamper_media=True), users, seq)
    assert tampered.payload["proofmode"] == "invalid"
    assert "as its proof records" in tampered.payload["proofmode_detail"]["reason"]


def test_corridor_attach_prints_the_proofmode_result_and_the_reason(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from corridor.cli import cli

    photo = samples.photo_with_metadata()
    good, bad = tmp_path / "proof.zip", tmp_path / "tampered.zip"
    good.write_bytes(samples.proofmode_bundle(photo))
    bad.write_bytes(samples.proofmode_bundle(photo, tamper_media=True))
    seq = _incident()
    done = CliRunner().invoke(
        cli, ["attach", str(seq), str(good), str(bad), "--source", "media", "--certainty", "confirmed"]
    )
    assert done.exit_code == 0, done.output
    first, second = done.output.strip().splitlines()
    assert "application/zip" in first and first.endswith("ProofMode valid")
    assert "ProofMode invalid (media file 1 has SHA-256" in second


def test_a_proof_nested_past_the_limit_records_no_hash_rather_than_crash() -> None:
    from corridor.ledger import proofmode

    assert proofmode._recorded_hashes("json", b"[" * 100_000 + b"]" * 100_000) == (set(), set())
