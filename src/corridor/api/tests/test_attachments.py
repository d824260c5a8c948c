"""Uploading evidence through the API: streamed, refused before reading when it may not be, and who may fetch what."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.ledger.tests import samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, settings: Any) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def incident() -> int:
    return ledger.append(
        "incident.recorded", by="tester", subjects=["site:GATE", "patient:P-7"], payload={}, source="witness"
    ).seq


def _upload(client: Client, seq: int, data: bytes, **fields: str) -> Any:
    body = {"file": SimpleUploadedFile("IMG_0042 patient name.jpg", data), "source": "media", "certainty": "confirmed"}
    return client.post(f"/api/ledger/{seq}/attachments", {**body, **fields})


def test_a_monitor_uploads_a_photo_and_the_entry_names_its_hash_not_its_name(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], incident: int
) -> None:
    photo = samples.photo_with_metadata()
    response = _upload(api_client(tokens["monitor"]), incident, photo)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["sha256"] == hashlib.sha256(photo).hexdigest() and out["media_type"] == "image/jpeg"
    assert (out["entry"], out["kind"], out["c2pa"], out["has_derivative"]) == (incident, "image", "none", True)
    added = Entry.objects.get(seq=out["seq"])
    assert "IMG_0042" not in added.body and "patient name" not in added.body
    again = _upload(api_client(tokens["coordinator"]), incident, photo)
    assert again.status_code == 201 and again.json()["seq"] == out["seq"]
    listed = api_client(tokens["auditor"]).get(f"/api/ledger/{incident}/attachments").json()["items"]
    assert [i["seq"] for i in listed] == [out["seq"]]


def test_refusals_name_the_field_and_keep_nothing(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], incident: int, settings: Any, tmp_path: Path
) -> None:
    client = api_client(tokens["monitor"])
    refused = _upload(client, incident, b"MZ\x90\x00" + b"\x00" * 100)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "file"
    assert "not accepted" in refused.json()["error"]["message"]
    assert (
        _upload(client, incident, samples.photo_with_metadata(), source="rumour").json()["error"]["field"] == "source"
    )
    settings.ATTACHMENT_MAX_MB = {"image": 1, "video": 1, "audio": 1, "document": 1}
    too_big = _upload(client, incident, samples.mp4_header() + b"\x00" * (3 * 1024 * 1024))
    assert too_big.status_code == 413 and "1 MB" in too_big.json()["error"]["message"]
    assert _upload(client, 999, samples.photo_with_metadata()).status_code == 404
    assert not Entry.objects.filter(type="attachment.added").exists()
    assert [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()] == []


def test_a_role_that_may_not_attach_is_refused_before_the_body_is_read(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], incident: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.http.multipartparser import MultiPartParser

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(MultiPartParser, "parse", never)
    for caller, status in (("auditor", 403), ("admin", 403), ("outsider", 403)):
        assert _upload(api_client(tokens[caller]), incident, b"%PDF-1.4 x").status_code == status
    assert _upload(api_client(None), incident, b"%PDF-1.4 x").status_code == 401


def test_derivatives_and_originals_go_to_exactly_the_roles_in_the_table(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], incident: int
) -> None:
    photo = samples.photo_with_metadata()
    seq = _upload(api_client(tokens["monitor"]), incident, photo).json()["seq"]
    may_see = {"coordinator", "clinician", "monitor"}
    may_have_original = {"coordinator", "clinician"}
    for caller in ("coordinator", "clinician", "monitor", "auditor", "admin", "outsider"):
        client = api_client(tokens[caller])
        thumb = client.get(f"/api/attachments/{seq}/image?thumbnail=true")
        assert thumb.status_code == (200 if caller in may_see else 403), caller
        if thumb.status_code == 200:
            assert thumb.getvalue().startswith(b"\xff\xd8")
        before = Entry.objects.filter(type="attachment.viewed").count()
        original = client.get(f"/api/attachments/{seq}/original?purpose=case review")
        assert original.status_code == (200 if caller in may_have_original else 403), caller
        if original.status_code == 200:
            assert original.getvalue() == photo
            viewed = Entry.objects.get(seq=int(original["X-Corridor-Viewed-Entry"]))
            assert viewed.type == "attachment.viewed" and viewed.recorded_by == caller
            assert viewed.payload["purpose"] == "case review"
        else:
            assert Entry.objects.filter(type="attachment.viewed").count() == before
    unexplained = api_client(tokens["coordinator"]).get(f"/api/attachments/{seq}/original")
    assert unexplained.status_code == 422 and unexplained.json()["error"]["field"] == "purpose"
    assert Entry.objects.filter(type="attachment.viewed").count() == 2  # the coordinator's and the clinician's


def test_an_entry_that_files_cannot_document_is_refused_before_the_body_is_read(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.http.multipartparser import MultiPartParser

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(MultiPartParser, "parse", never)
    loaded = ledger.append("scenario.loaded", by="tester", payload={}).seq
    refused = _upload(api_client(tokens["monitor"]), loaded, b"%PDF-1.4 x")
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "entry"
    assert _upload(api_client(tokens["monitor"]), 10**6, b"%PDF-1.4 x").status_code == 404


def test_a_proofmode_bundle_uploaded_is_checked_and_a_tampered_one_answers_invalid_with_the_reason(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], incident: int
) -> None:
    client = api_client(tokens["monitor"])
    photo = samples.photo_with_metadata()
    bundle = samples.proofmode_bundle(photo)
    good = _upload(client, incident, bundle)
    assert good.status_code == 201, good.content
    out = good.json()
    assert (out["media_type"], out["kind"], out["proofmode"], out["proofmode_reason"]) == (
        "application/zip",
        "bundle",
        "valid",
        None,
    )
    assert out["sha256"] == hashlib.sha256(bundle).hexdigest() and out["has_derivative"]
    shown = api_client(tokens["monitor"]).get(f"/api/attachments/{out['seq']}/image?thumbnail=true")
    assert shown.status_code == 200 and b"SyntheticPhone" not in shown.getvalue()
    bad = _upload(client, incident, samples.proofmode_bundle(photo, tamper_media=True)).json()
    assert bad["proofmode"] == "invalid" and "as its proof records" in bad["proofmode_reason"]
    plain = _upload(client, incident, photo).json()
    assert (plain["proofmode"], plain["proofmode_reason"]) == ("none", None)
    listed = api_client(tokens["auditor"]).get(f"/api/ledger/{incident}/attachments").json()["items"]
    assert [i["proofmode"] for i in listed] == ["valid", "invalid", "none"]


def test_another_sites_account_finds_neither_the_entry_nor_its_attachments(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], crossing: Any, camp: Any
) -> None:
    from corridor.accounts.tokens import issue_token

    seq = ledger.append(
        "incident.recorded", by="tester", subjects=[f"site:{camp.code}"], payload={}, source="witness"
    ).seq
    added = _upload(api_client(tokens["monitor"]), seq, samples.photo_with_metadata())
    assert added.status_code == 201, added.content
    attachment = added.json()["seq"]
    for role in ("coordinator", "clinician", "monitor"):
        other = api_client(issue_token(crossing.users[role], by=None, label="test")[1])
        assert other.get(f"/api/ledger/{seq}/attachments").status_code == 404, role
        assert other.get(f"/api/attachments/{attachment}/image").status_code == 404, role
        original = other.get(f"/api/attachments/{attachment}/original?purpose=checking")
        assert original.status_code in (403, 404), role  # a monitor may not open originals anywhere
        assert _upload(other, seq, samples.photo_with_metadata()).status_code == 404, role
    assert Entry.objects.filter(type="attachment.viewed").count() == 0
    assert Entry.objects.filter(type="attachment.added").count() == 1


def test_names_that_climb_out_of_the_store_write_nothing_outside_it(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], incident: int, settings: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    settings.DATA_DIR = data
    settings.FILE_UPLOAD_TEMP_DIR = str(data / "attachments" / ".uploads")
    (data / "attachments" / ".uploads").mkdir(parents=True)
    client = api_client(tokens["monitor"])
    photo = samples.photo_with_metadata()
    climbing = "../../../../outside.jpg"
    sent = client.post(
        f"/api/ledger/{incident}/attachments",
        {"file": SimpleUploadedFile(climbing, photo), "source": "media", "certainty": "confirmed"},
    )
    assert sent.status_code == 201, sent.content
    # A ProofMode bundle whose media is named to climb out when extracted (a "zip slip").
    bundle = samples.proofmode_bundle(samples.photo_with_metadata(colour=(1, 2, 3)), name="../../../outside.jpg")
    unpacked = client.post(
        f"/api/ledger/{incident}/attachments",
        {"file": SimpleUploadedFile(climbing, bundle), "source": "media", "certainty": "confirmed"},
    )
    assert unpacked.status_code == 201 and unpacked.json()["proofmode"] == "valid", unpacked.content
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    store = data / "attachments"
    assert written and all(p.is_relative_to(store) for p in written)
    assert all(len(p.name) == 64 and p.parent.parent == store for p in written)  # sealed objects named by hash
    assert not list(tmp_path.parent.parent.rglob("outside.jpg"))
