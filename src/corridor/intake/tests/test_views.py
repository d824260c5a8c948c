"""The upload page: for monitors and coordinators, showing the same report as the command line."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from corridor.intake.forms import FORMS
from corridor.intake.tests.cases import Case
from corridor.intake.tests.exports import kobo_xlsx
from corridor.intake.xlsform import shipped
from corridor.ledger import services as ledger

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["monitor", "coordinator"])
def test_monitors_and_coordinators_get_the_upload_page_with_the_forms(role: str, users: dict[str, Any]) -> None:
    response = _client(users[role]).get("/intake/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    for form in FORMS.values():
        assert f"/intake/forms/{form.form_id}.xlsx" in page


@pytest.mark.parametrize("role", ["auditor", "clinician", "admin", "outsider"])
def test_other_roles_are_refused_the_page_and_the_forms(role: str, users: dict[str, Any]) -> None:
    client = _client(users[role])
    assert client.get("/intake/").status_code == 403
    assert client.get("/intake/forms/corridor_gate_incident.xlsx").status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in() -> None:
    response = Client().get("/intake/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_upload_is_imported_and_the_report_shown(field_state: Callable[[str], Case], users: dict[str, Any]) -> None:
    case = field_state("gate_incident")
    upload = SimpleUploadedFile("gate.xlsx", kobo_xlsx(FORMS["gate_incident"], case.submissions))
    head = ledger.head()[0]

    response = _client(users["monitor"]).post("/intake/", {"platform": "kobo", "file": upload})

    assert response.status_code == 200
    page = response.content.decode()
    assert ledger.head()[0] > head
    assert "4 imported, 0 already imported, 0 excluded, 0 rejected" in page
    for submission in case.submissions:
        assert f"uuid:{submission.uuid}" in page


def test_a_rejected_upload_shows_row_and_field_and_writes_nothing(
    field_state: Callable[[str], Case], users: dict[str, Any]
) -> None:
    case = field_state("trip_outcome")
    case.submissions[0].repeats["patients"][1]["patient_code"] = "P-0000"
    upload = SimpleUploadedFile("out.xlsx", kobo_xlsx(FORMS["trip_outcome"], case.submissions))
    head = ledger.head()[0]

    response = _client(users["coordinator"]).post("/intake/", {"platform": "kobo", "file": upload})

    page = re.sub(r"</?(bdi|code)[^>]*>", "", response.content.decode())  # values and names set apart
    assert ledger.head()[0] == head
    assert "nothing was written" in page
    assert "sheet patients row 3, " in page and "no patient with code &#x27;P-0000&#x27;" in page


def test_a_file_that_is_no_export_is_sent_back_with_the_reason(users: dict[str, Any], db: None) -> None:
    upload = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0 not an export")
    response = _client(users["monitor"]).post("/intake/", {"platform": "odk", "file": upload})
    assert response.status_code == 400
    assert "is not UTF-8 text" in response.content.decode()


def test_a_form_downloads_as_the_shipped_xlsform(users: dict[str, Any]) -> None:
    response = _client(users["monitor"]).get("/intake/forms/corridor_trip_outcome.xlsx")
    assert response.status_code == 200
    assert response.content == shipped(FORMS["trip_outcome"])
    assert response["Content-Disposition"] == 'attachment; filename="corridor_trip_outcome.xlsx"'
    assert _client(users["monitor"]).get("/intake/forms/nothing.xlsx").status_code == 404


def test_the_navigation_leads_monitors_and_coordinators_to_the_page(users: dict[str, Any]) -> None:
    for role in ("monitor", "coordinator", "auditor", "clinician"):
        page = _client(users[role]).get("/").content.decode()
        assert ('href="/intake/"' in page) == (role in ("monitor", "coordinator")), role
