"""Attachments are detected by content, sealed at rest by their SHA-256, named in the ledger and checked by hash."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from corridor.errors import InvalidInput, NotAllowed, NotFound
from corridor.ledger import attachments, evidence
from corridor.ledger import services as ledger
from corridor.ledger.models import Attachment, Entry
from corridor.ledger.tests import samples
from corridor.ledger.tests.ledgers import load_verifier

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_data_dir")]
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n trailer a synthetic denial notice\n"


def _incident() -> int:
    return ledger.append(
        "incident.recorded", by="tester", subjects=["trip:7", "site:GATE"], payload={}, source="witness"
    ).seq


def _stored(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()]


def test_a_file_is_sealed_by_its_hash_and_its_entry_inherits_the_subjects(users: dict[str, Any]) -> None:
    seq = _incident()
    entry = attachments.attach(io.BytesIO(PDF), entry=seq, by=users["monitor"], source="document", certainty="probable")
    digest = hashlib.sha256(PDF).hexdigest()
    assert entry.type == "attachment.added"
    assert entry.payload == {
        "entry": seq,
        "sha256": digest,
        "bytes": len(PDF),
        "media_type": "application/pdf",
        "kind": "document",
        "c2pa": "none",
        "c2pa_manifest": None,
        "derivative": None,
        "thumbnail": None,
        "proofmode": "none",
        "proofmode_detail": None,
    }
    assert entry.subjects == ["site:GATE", "trip:7"] and entry.recorded_by == users["monitor"].username
    sealed = attachments.path_for(digest).read_bytes()
    assert b"synthetic denial notice" not in sealed and sealed.startswith(b"CRDRSEAL1\n")
    assert attachments.read(digest) == PDF


def test_the_type_is_read_from_the_content_and_types_off_the_allow_list_are_refused(users: dict[str, Any]) -> None:
    seq = _incident()
    for content in (b"MZ\x90\x00" + b"\x00" * 200, b"just some text", b"<html><script>alert(1)</script>"):
        with pytest.raises(InvalidInput, match="not accepted; accepted types: application/pdf"):
            attachments.attach(
                io.BytesIO(content), entry=seq, by=users["monitor"], source="media", certainty="possible"
            )
    entry = attachments.attach(
        io.BytesIO(samples.mp4_header() + b"\x00" * 1000),
        entry=seq,
        by=users["monitor"],
        source="media",
        certainty="possible",
    )
    assert (entry.payload["media_type"], entry.payload["kind"], entry.payload["derivative"]) == (
        "video/mp4",
        "video",
        None,
    )
    assert Entry.objects.filter(type="attachment.added").count() == 1


def test_a_file_over_its_kinds_limit_is_refused_naming_the_limit_and_leaves_nothing(
    users: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    settings.ATTACHMENT_MAX_MB = {**settings.ATTACHMENT_MAX_MB, "video": 1}
    big = samples.mp4_header() + b"\x00" * (1024 * 1024)
    with pytest.raises(
        InvalidInput, match=r"larger than the limit of 1 MB for videos \(CORRIDOR_ATTACHMENT_MAX_MB_VIDEO\)"
    ):
        attachments.attach(
            io.BytesIO(big), entry=_incident(), by=users["monitor"], source="media", certainty="possible"
        )
    assert _stored(tmp_path) == [] and not Entry.objects.filter(type="attachment.added").exists()


class _Interrupted(io.RawIOBase):
    """An upload whose connection drops after a few megabytes."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.sent > 3 * 1024 * 1024:
            raise ConnectionResetError("the client went away")
        data = (samples.mp4_header() if self.sent == 0 else b"") + b"\x01" * 65536
        data = data[: len(buffer)]
        buffer[: len(data)] = data
        self.sent += len(data)
        return len(data)


def test_an_interrupted_upload_leaves_no_file_and_no_entry(users: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ConnectionResetError):
        attachments.attach(
            io.BufferedReader(_Interrupted()),
            entry=_incident(),
            by=users["monitor"],
            source="media",
            certainty="possible",
        )
    assert _stored(tmp_path) == [] and not Entry.objects.filter(type="attachment.added").exists()


def test_the_same_file_twice_on_one_entry_is_one_attachment(users: dict[str, Any], tmp_path: Path) -> None:
    source = tmp_path / "scan.pdf"
    source.write_bytes(PDF)
    seq, other = _incident(), _incident()
    first = attachments.attach(source, entry=seq, by=users["coordinator"], source="document", certainty="confirmed")
    again = attachments.attach(source, entry=seq, by=users["monitor"], source="document", certainty="confirmed")
    elsewhere = attachments.attach(source, entry=other, by=users["monitor"], source="document", certainty="confirmed")
    assert again.seq == first.seq and elsewhere.seq != first.seq
    assert Attachment.objects.count() == 2 and Entry.objects.filter(type="attachment.added").count() == 2
    assert len(_stored(tmp_path)) == 1


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, InvalidInput),
        ({"entry": 99}, NotFound),
        ({"subjects": "patient:P-1"}, InvalidInput),
        ({"subjects": ["P-1"]}, InvalidInput),
    ],
)
def test_bad_input_is_refused_and_nothing_is_recorded(
    users: dict[str, Any], kwargs: dict[str, Any], error: type, tmp_path: Path
) -> None:
    with pytest.raises(error):
        attachments.attach(io.BytesIO(PDF), by=users["monitor"], source="media", certainty="possible", **kwargs)
    assert not Entry.objects.filter(type="attachment.added").exists() and _stored(tmp_path) == []


def test_an_empty_file_and_a_role_without_the_right_are_refused(users: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        attachments.attach(
            io.BytesIO(b""), subjects=["trip:1"], by=users["monitor"], source="media", certainty="possible"
        )
    with pytest.raises(NotAllowed):
        attachments.attach(
            io.BytesIO(PDF), subjects=["trip:1"], by=users["auditor"], source="media", certainty="possible"
        )
    assert not Entry.objects.filter(type="attachment.added").exists()


def test_a_photo_is_kept_exactly_and_shown_as_a_re_encoding_without_exif_or_gps(users: dict[str, Any]) -> None:
    photo = samples.photo_with_metadata()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(samples.GPS_IFD)  # the sample does carry a position
    entry = attachments.attach(
        io.BytesIO(photo), entry=_incident(), by=users["monitor"], source="media", certainty="confirmed"
    )
    assert entry.payload["sha256"] == hashlib.sha256(photo).hexdigest()
    assert attachments.read(entry.payload["sha256"]) == photo
    for which in ("derivative", "thumbnail"):
        shown = attachments.read(entry.payload[which])
        picture = Image.open(io.BytesIO(shown))
        assert picture.format == "JPEG" and not picture.getexif() and not picture.info.get("exif")
        assert b"SyntheticPhone" not in shown and b"Exif" not in shown and b"GPS" not in shown
        assert set(picture.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive"}
    assert Image.open(io.BytesIO(attachments.read(entry.payload["thumbnail"]))).size == (320, 240)


def test_a_c2pa_signed_photo_verifies_and_a_tampered_one_is_recorded_invalid(users: dict[str, Any]) -> None:
    signed = samples.c2pa_signed(samples.photo_with_metadata())
    seq = _incident()
    good = attachments.attach(io.BytesIO(signed), entry=seq, by=users["monitor"], source="media", certainty="confirmed")
    assert good.payload["c2pa"] == "valid"
    manifest = json.loads(attachments.read(good.payload["c2pa_manifest"]))
    assert "synthetic capture" in json.dumps(manifest)
    assert attachments.read(good.payload["sha256"]) == signed  # the manifest stays embedded in the original
    tampered = bytearray(signed)
    tampered[-200] ^= 0xFF  # a pixel of the image data, after the manifest
    bad = attachments.attach(
        io.BytesIO(bytes(tampered)), entry=seq, by=users["monitor"], source="media", certainty="possible"
    )
    assert bad.payload["c2pa"] == "invalid"
    plain = attachments.attach(
        io.BytesIO(samples.photo_with_metadata()), entry=seq, by=users["monitor"], source="media", certainty="possible"
    )
    assert plain.payload["c2pa"] == "none" and plain.payload["c2pa_manifest"] is None


def test_monitors_see_derivatives_only_and_every_viewing_of_an_original_is_recorded(users: dict[str, Any]) -> None:
    photo = samples.photo_with_metadata()
    added = attachments.attach(
        io.BytesIO(photo), entry=_incident(), by=users["monitor"], source="media", certainty="confirmed"
    )
    shown = attachments.view_derivative(added.seq, by=users["monitor"], thumbnail=True)
    assert shown.media_type == "image/jpeg" and b"".join(shown.chunks).startswith(b"\xff\xd8")
    for role in ("monitor", "auditor", "admin", "outsider"):
        with pytest.raises(NotAllowed):
            attachments.view_original(added.seq, by=users[role])
    assert not Entry.objects.filter(type="attachment.viewed").exists()
    for role in ("auditor", "admin", "outsider"):
        with pytest.raises(NotAllowed):
            attachments.view_derivative(added.seq, by=users[role])
    for unexplained in (None, "", "   "):
        with pytest.raises(InvalidInput, match="required"):
            attachments.view_original(added.seq, by=users["coordinator"], purpose=unexplained)
    assert not Entry.objects.filter(type="attachment.viewed").exists()
    original = attachments.view_original(added.seq, by=users["coordinator"], purpose="case file")
    assert b"".join(original.chunks) == photo
    assert original.viewed is not None and original.viewed.payload == {
        "attachment": added.seq,
        "sha256": added.payload["sha256"],
        "purpose": "case file",
    }
    assert original.viewed.recorded_by == users["coordinator"].username


def test_a_sealed_file_put_under_another_hash_does_not_open(users: dict[str, Any]) -> None:
    one = attachments.attach(
        io.BytesIO(PDF), subjects=["trip:1"], by=users["monitor"], source="media", certainty="possible"
    )
    two = attachments.attach(
        io.BytesIO(PDF + b"2"), subjects=["trip:1"], by=users["monitor"], source="media", certainty="possible"
    )
    first, second = attachments.path_for(one.payload["sha256"]), attachments.path_for(two.payload["sha256"])
    second.chmod(0o600)
    second.write_bytes(first.read_bytes())
    assert attachments.check_store() == [f"entry {two.seq}: attachment {two.payload['sha256']} is damaged"]


def test_a_damaged_or_missing_file_is_found_by_the_store_check_and_the_outsiders_verifier(
    users: dict[str, Any], tmp_path: Path
) -> None:
    entry = attachments.attach(
        io.BytesIO(PDF), subjects=["trip:1"], by=users["monitor"], source="media", certainty="possible"
    )
    digest = entry.payload["sha256"]
    assert attachments.check_store() == []
    bundle = evidence.evidence_for([entry.seq], sign_if_needed=True)
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    handed = tmp_path / "handed-over"
    assert attachments.export_files([entry.seq], handed) == [digest]
    verifier = load_verifier()
    key = evidence.verifier_key().encode()
    args = ["evidence", str(tmp_path / "bundle.json"), "--key", key, "--attachments", str(handed)]
    assert verifier.main(args) == 0
    (handed / digest[:2] / digest).write_bytes(PDF + b"edited")
    assert verifier.main(args) == 1
    path = attachments.path_for(digest)
    path.chmod(0o600)
    data = bytearray(path.read_bytes())
    data[60] ^= 1
    path.write_bytes(bytes(data))
    assert attachments.check_store() == [f"entry {entry.seq}: attachment {digest} is damaged"]
    with pytest.raises(InvalidInput, match="damaged"):
        attachments.read(digest)
    path.unlink()
    assert attachments.check_store() == [f"entry {entry.seq}: attachment {digest} is missing"]


def test_a_key_rotation_reseals_every_attachment_before_the_old_key_is_dropped(
    users: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    from corridor import env
    from corridor.ops import keys
    from corridor.register.crypto import key_id

    old = env.new_identity_key()
    (tmp_path / env.IDENTITY_KEY_FILE_NAME).write_text(old + "\n")
    settings.IDENTITY_KEYS, settings.IDENTITY_KEY_ORIGIN = [old], "data-dir"
    photo = samples.photo_with_metadata()
    entry = attachments.attach(
        io.BytesIO(photo), subjects=["trip:1"], by=users["monitor"], source="media", certainty="possible"
    )
    assert attachments.keys_in_use() == {key_id(old): 3}  # the original, the derivative and the thumbnail
    rotation = keys.rotate()
    assert rotation.attachments == 3 and old not in settings.IDENTITY_KEYS
    assert attachments.keys_in_use() == {rotation.key: 3}
    assert attachments.read(entry.payload["sha256"]) == photo and attachments.check_store() == []


def test_a_photo_taken_sideways_is_shown_upright_and_a_large_one_is_decoded_at_a_reduced_scale(
    users: dict[str, Any],
) -> None:
    from corridor.ledger import media

    picture = Image.new("RGB", (640, 480), (20, 80, 160))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    sideways = io.BytesIO()
    picture.save(sideways, "JPEG", exif=exif.tobytes())
    made = media.derivatives(io.BytesIO(sideways.getvalue()))
    assert Image.open(io.BytesIO(made.image)).size == (480, 640)
    assert not Image.open(io.BytesIO(made.image)).getexif()
    large = io.BytesIO()
    Image.new("RGB", (6400, 4800), (1, 2, 3)).save(large, "JPEG")
    opened = Image.open(io.BytesIO(large.getvalue()))
    opened.draft("RGB", (1600, 1200))
    assert opened.size == (1600, 1200)  # what derivatives() asks of the decoder: 1/4 of the pixels a side
    assert Image.open(io.BytesIO(media.derivatives(io.BytesIO(large.getvalue())).image)).size == (1600, 1200)


def test_a_copy_removed_by_another_failed_upload_meanwhile_is_put_back_by_the_upload_that_names_it(
    users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = samples.photo_with_metadata()
    first = attachments.attach(
        io.BytesIO(photo), entry=_incident(), by=users["monitor"], source="media", certainty="possible"
    )
    removed = [attachments.path_for(first.payload[k]) for k in ("sha256", "derivative", "thumbnail")]
    describe = attachments._describe

    def meanwhile(*args: Any) -> Any:
        found = describe(*args)
        for path in removed:  # what a concurrent upload of the same bytes does when its own entry is refused
            path.chmod(0o600)
            path.unlink()
        return found

    monkeypatch.setattr(attachments, "_describe", meanwhile)
    second = attachments.attach(
        io.BytesIO(photo), entry=_incident(), by=users["monitor"], source="media", certainty="possible"
    )
    assert second.seq != first.seq and attachments.read(second.payload["sha256"]) == photo
    assert attachments.check_store() == []


def test_what_a_killed_upload_left_is_removed_before_the_next_and_a_live_ones_files_are_not(
    users: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "attachments" / ".uploads")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process that received an upload and was killed: its id now names no process
    store = tmp_path / "attachments"
    (store / ".uploads").mkdir(parents=True)
    left = [
        store / ".uploads" / f"{dead.pid}-abc.upload",
        store / f".incoming-{dead.pid}-xyz",
        store / f".proofmode-{dead.pid}-q1" / "media-0",
    ]
    live = [store / ".uploads" / f"{os.getpid()}-def.upload", store / f".incoming-{os.getpid()}-uvw"]
    for path in [*left, *live]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half an upload")
    attachments.attach(io.BytesIO(PDF), subjects=["trip:1"], by=users["monitor"], source="media", certainty="possible")
    assert not any(p.exists() for p in left) and not (store / f".proofmode-{dead.pid}-q1").exists()
    assert all(p.exists() for p in live)


def test_the_nightly_scheduled_check_fails_naming_a_damaged_or_missing_attachment(
    users: dict[str, Any], camp: Any
) -> None:
    from corridor.jobs import schedule, services
    from corridor.jobs.models import Job

    item = next(i for i in schedule.ITEMS if i.kind == "verify-attachments")
    assert isinstance(item.rule, schedule.Daily)
    photo = attachments.attach(
        io.BytesIO(samples.photo_with_metadata()),
        entry=_incident(),
        by=users["monitor"],
        source="media",
        certainty="confirmed",
    )
    document = attachments.attach(
        io.BytesIO(PDF), entry=_incident(), by=users["monitor"], source="document", certainty="confirmed"
    )

    def scheduled_run() -> Job:
        job = services.submit(item.kind, {}, by=None, schedule=item.name)
        services.run(job.pk)
        job.refresh_from_db()
        return job

    healthy = scheduled_run()
    assert healthy.state == Job.State.SUCCEEDED and healthy.data["count"] == 2
    damaged = attachments.path_for(photo.payload["thumbnail"])
    damaged.chmod(0o600)
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    attachments.path_for(document.payload["sha256"]).unlink()
    broken = scheduled_run()
    assert broken.state == Job.State.FAILED
    assert f"entry {photo.seq}: attachment {photo.payload['thumbnail']} is damaged" in broken.error
    assert f"entry {document.seq}: attachment {document.payload['sha256']} is missing" in broken.error
