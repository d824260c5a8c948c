"""Attaching from the workspace: the attach action under a timeline entry, the thumbnail, and who gets what."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from corridor.ledger.models import Entry
from corridor.ledger.tests import samples
from corridor.web.tests.conftest import Scene

pytestmark = pytest.mark.django_db


def _trip_entry(scene: Scene) -> Entry:
    return Entry.objects.filter(subject_rows__key=f"trip:{scene.trip.pk}").order_by("seq").first()  # type: ignore[return-value]


def test_a_monitor_attaches_a_photo_to_a_trip_step_and_the_timeline_shows_its_thumbnail(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    monitor = client_for("monitor")
    trip_page = reverse("web:trip", args=[scene.trip.pk])
    step = _trip_entry(scene)
    html = monitor.get(trip_page).content.decode()
    assert f'action="{reverse("web:attachment_add", args=[step.seq])}"' in html
    assert 'accept="image/*,video/*,audio/*,application/pdf,application/zip,.zip" capture' in html
    photo = samples.photo_with_metadata()
    response = monitor.post(
        reverse("web:attachment_add", args=[step.seq]),
        {
            "file": SimpleUploadedFile("IMG_7.jpg", photo),
            "source": "media",
            "certainty": "confirmed",
            "next": trip_page,
        },
    )
    assert response.status_code == 302 and response["Location"] == trip_page
    added = Entry.objects.get(type="attachment.added")
    assert added.payload["sha256"] == hashlib.sha256(photo).hexdigest() and added.payload["entry"] == step.seq
    html = monitor.get(trip_page).content.decode()
    thumbnail = reverse("web:attachment_image", args=[added.seq]) + "?thumbnail=1"
    assert f'src="{thumbnail}"' in html
    assert reverse("web:attachment_original", args=[added.seq]) not in html  # a monitor sees the derivative only
    shown = monitor.get(thumbnail)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert b"SyntheticPhone" not in shown.getvalue() and b"Exif" not in shown.getvalue()
    coordinator = client_for("coordinator")
    original = reverse("web:attachment_original", args=[added.seq])
    assert original in coordinator.get(trip_page).content.decode()
    asked = coordinator.get(original)  # the link asks why before anything is read or recorded
    assert asked.status_code == 200 and 'name="purpose"' in asked.content.decode()
    assert coordinator.post(original, {"purpose": ""}).status_code == 422
    assert not Entry.objects.filter(type="attachment.viewed").exists()
    download = coordinator.post(original, {"purpose": "the family's complaint"})
    assert download.status_code == 200 and b"".join(download.streaming_content) == photo  # type: ignore[attr-defined]
    viewed = Entry.objects.get(type="attachment.viewed")
    assert viewed.payload["purpose"] == "the family's complaint" and viewed.recorded_by == "coordinator"


def test_a_refused_or_bad_upload_keeps_nothing_and_says_why(
    scene: Scene, client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    step = _trip_entry(scene)
    url = reverse("web:attachment_add", args=[step.seq])
    bad = client_for("monitor").post(
        url, {"file": SimpleUploadedFile("x.jpg", b"MZ\x90\x00" + b"\x00" * 64)}, follow=True
    )
    assert "not accepted" in bad.content.decode()
    from django.http.multipartparser import MultiPartParser

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(MultiPartParser, "parse", never)
    for who in ("auditor", "admin", "outsider"):
        assert client_for(who).post(url, {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")}).status_code == 403
    assert not Entry.objects.filter(type="attachment.added").exists()


def test_an_upload_without_the_form_token_is_refused_after_the_role_check(scene: Scene, users: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["monitor"])
    url = reverse("web:attachment_add", args=[_trip_entry(scene).seq])
    assert client.post(url, {"file": SimpleUploadedFile("p.jpg", samples.photo_with_metadata())}).status_code == 403
    assert not Entry.objects.filter(type="attachment.added").exists()


def test_a_proofmode_bundle_attached_from_the_workspace_shows_its_photo_and_whether_its_signatures_verify(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    monitor = client_for("monitor")
    trip_page = reverse("web:trip", args=[scene.trip.pk])
    step = _trip_entry(scene)
    for bundle in (
        samples.proofmode_bundle(samples.photo_with_metadata()),
        samples.proofmode_bundle(samples.photo_with_metadata(), signed_by_another_key=True),
    ):
        response = monitor.post(
            reverse("web:attachment_add", args=[step.seq]),
            {"file": SimpleUploadedFile("proof.zip", bundle), "source": "media", "certainty": "confirmed"},
        )
        assert response.status_code == 302
    html = monitor.get(trip_page).content.decode()
    assert html.count("ProofMode proof bundle") == 2 and html.count('class="thumbnail"') == 2
    assert "ProofMode signatures verify" in html and "ProofMode signatures do not verify" in html


def test_a_death_recorded_by_a_monitor_takes_a_document_from_the_patients_timeline(
    scene: Scene, client_for: Callable[[str], Client], settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    monitor = client_for("monitor")
    patient = scene.patients[2]
    recorded = monitor.post(
        reverse("web:patient_death", args=[patient.code]),
        {"on": "2014-10-11", "circumstances": "", "source": "witness", "certainty": "probable"},
    )
    page = reverse("web:patient", args=[patient.code])
    assert recorded.status_code == 302 and recorded["Location"] == page
    died = Entry.objects.get(type="patient.died")
    attach = reverse("web:attachment_add", args=[died.seq])
    assert f'action="{attach}"' in monitor.get(page).content.decode()
    letter = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n trailer a hospital's letter\n"
    response = monitor.post(
        attach, {"file": SimpleUploadedFile("letter.pdf", letter), "source": "document", "next": page}
    )
    assert response.status_code == 302 and response["Location"] == page
    added = Entry.objects.get(type="attachment.added")
    assert added.payload["entry"] == died.seq and added.payload["media_type"] == "application/pdf"
    assert f"patient:{patient.code}" in added.subjects
    assert "letter.pdf" not in added.body
