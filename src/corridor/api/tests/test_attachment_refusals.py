"""An attachment's refusals carry a code and their values, and reach an API client in Persian and Arabic."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from corridor.errors import InvalidInput
from corridor.ledger import attachments
from corridor.ledger import services as ledger
from corridor.ledger.tests import samples
from corridor.refusals import in_language

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, settings: Any) -> None:
    settings.DATA_DIR = tmp_path


def test_a_file_over_its_kinds_limit_is_refused_with_the_kind_in_words_and_the_limit_in_local_digits(
    users: dict[str, Any], settings: Any
) -> None:
    settings.ATTACHMENT_MAX_MB = {**settings.ATTACHMENT_MAX_MB, "video": 12}
    incident = ledger.append("incident.recorded", by="tester", subjects=["site:GATE"], payload={}).seq
    big = samples.mp4_header() + b"\x00" * (12 * 1024 * 1024)
    with pytest.raises(InvalidInput) as refused:
        attachments.attach(io.BytesIO(big), entry=incident, by=users["monitor"], source="media", certainty="possible")
    error = refused.value
    assert error.code == "attachment.too_large" and error.field == "file"
    assert error.values == {"limit": 12, "setting": "CORRIDOR_ATTACHMENT_MAX_MB_VIDEO"}
    assert (
        str(error) == "file: the video is larger than the limit of 12 MB for videos (CORRIDOR_ATTACHMENT_MAX_MB_VIDEO)"
    )
    with translation.override("fa"):
        assert in_language(error) == "ویدیو از سقف ۱۲ مگابایتیِ ویدیوها بزرگ‌تر است (CORRIDOR_ATTACHMENT_MAX_MB_VIDEO)"


def test_an_entry_files_cannot_document_is_refused_through_the_api_with_what_it_is_in_arabic(
    tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    loaded = ledger.append("scenario.loaded", by="tester", payload={}).seq
    body = {"file": SimpleUploadedFile("notice.pdf", b"%PDF-1.4 x"), "source": "media", "certainty": "confirmed"}
    response = api_client(tokens["monitor"]).post(f"/api/ledger/{loaded}/attachments", body, HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["reason"] == "attachment.not_attachable" and error["values"] == {"event": "scenario.loaded"}
    assert error["message"].startswith("entry: لا يمكن لملف أن يوثّق قيدًا من نوع «")
    assert "scenario.loaded" not in error["message"], error["message"]
    english = api_client(tokens["monitor"]).post(
        f"/api/ledger/{loaded}/attachments",
        {"file": SimpleUploadedFile("notice.pdf", b"%PDF-1.4 x"), "source": "media", "certainty": "confirmed"},
    )
    # The English reader reads the event in words too; the log keeps its code (the English sentence).
    assert english.json()["error"]["message"] == (
        "entry: a file cannot document a scenario loaded entry; attach it to what happened"
    )
