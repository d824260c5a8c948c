"""Attachments are stored once by their SHA-256, named in the ledger, and checked by hash."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from corridor.errors import InvalidInput, NotAllowed, NotFound
from corridor.ledger import attachments, evidence
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.ledger.tests.ledgers import load_verifier

pytestmark = pytest.mark.django_db
PHOTO = b"\xff\xd8\xff\xe0 a synthetic photo of a closed gate \xff\xd9"


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORRIDOR_SIGNING_KEY_FILE", raising=False)
    settings.DATA_DIR = tmp_path


def _incident() -> int:
    return ledger.append(
        "incident.recorded", by="tester", subjects=["trip:7", "site:GATE"], payload={}, source="witness"
    ).seq


def test_a_file_is_stored_by_its_hash_and_its_entry_inherits_the_subjects(users: dict[str, Any]) -> None:
    seq = _incident()
    entry = attachments.attach(
        io.BytesIO(PHOTO), entry=seq, by=users["monitor"], source="media", certainty="probable", media_type="image/jpeg"
    )
    digest = hashlib.sha256(PHOTO).hexdigest()
    assert entry.type == "attachment.added"
    assert entry.payload == {"sha256": digest, "bytes": len(PHOTO), "media_type": "image/jpeg", "entry": seq}
    assert entry.subjects == ["site:GATE", "trip:7"]
    assert attachments.path_for(digest).read_bytes() == PHOTO
    assert attachments.read(digest) == PHOTO


def test_the_same_bytes_are_stored_once(users: dict[str, Any], tmp_path: Path) -> None:
    source = tmp_path / "scan.pdf"
    source.write_bytes(b"%PDF-1.4 synthetic")
    for _ in range(2):
        attachments.attach(
            source, subjects=["patient:P-0042"], by=users["coordinator"], source="document", certainty="confirmed"
        )
    stored = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()]
    assert len(stored) == 1 and Entry.objects.filter(type="attachment.added").count() == 2


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, InvalidInput),
        ({"entry": 99}, NotFound),
        ({"subjects": "patient:P-1"}, InvalidInput),
        ({"subjects": ["P-1"]}, InvalidInput),
        ({"subjects": ["patient:P-1"], "media_type": "a photo"}, InvalidInput),
    ],
)
def test_bad_input_is_refused_and_nothing_is_recorded(
    users: dict[str, Any], kwargs: dict[str, Any], error: type
) -> None:
    with pytest.raises(error):
        attachments.attach(io.BytesIO(PHOTO), by=users["monitor"], source="media", certainty="possible", **kwargs)
    assert not Entry.objects.filter(type="attachment.added").exists()


def test_an_empty_file_and_a_role_without_the_right_are_refused(users: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        attachments.attach(
            io.BytesIO(b""), subjects=["trip:1"], by=users["monitor"], source="media", certainty="possible"
        )
    with pytest.raises(NotAllowed):
        attachments.attach(
            io.BytesIO(PHOTO), subjects=["trip:1"], by=users["auditor"], source="media", certainty="possible"
        )
    assert not Entry.objects.filter(type="attachment.added").exists()


def test_a_damaged_or_missing_file_is_found_by_the_store_check_and_the_outsiders_verifier(
    users: dict[str, Any], tmp_path: Path
) -> None:
    entry = attachments.attach(
        io.BytesIO(PHOTO), subjects=["trip:1"], by=users["monitor"], source="media", certainty="possible"
    )
    digest = entry.payload["sha256"]
    assert attachments.check_store() == []
    bundle = evidence.evidence_for([entry.seq], sign_if_needed=True)
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    verifier = load_verifier()
    key = evidence.verifier_key().encode()
    args = ["evidence", str(tmp_path / "bundle.json"), "--key", key, "--attachments", str(tmp_path / "attachments")]
    assert verifier.main(args) == 0
    path = attachments.path_for(digest)
    path.chmod(0o600)
    path.write_bytes(PHOTO + b"edited")
    assert attachments.check_store() == [f"entry {entry.seq}: attachment {digest} is damaged"]
    with pytest.raises(InvalidInput, match="damaged"):
        attachments.read(digest)
    assert verifier.main(args) == 1
    path.unlink()
    assert attachments.check_store() == [f"entry {entry.seq}: attachment {digest} is missing"]
