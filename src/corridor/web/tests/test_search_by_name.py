"""The search by name page: a name and a reason, posted; names shown to the roles that may see them, recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from corridor.ledger.models import Entry
from corridor.register import services as register

URL = "/patients/by-name/"


@pytest.fixture
def named(camp: Any) -> None:
    register.register_patient(
        site=camp, code="P-0600", registered_on=dt.date(2014, 1, 1), identity={"full_name": "فاطمه کریمی"}, by=None
    )


def test_the_patients_page_offers_the_name_search_to_roles_that_may_see_identities(
    named: None, client_for: Callable[[str], Client]
) -> None:
    assert 'action="/patients/by-name/"' in client_for("clinician").get("/patients/").content.decode()
    assert 'action="/patients/by-name/"' not in client_for("monitor").get("/patients/").content.decode()


@pytest.mark.parametrize("language", ["en", "fa", "ar"])
def test_a_name_typed_in_arabic_letters_finds_the_persian_spelling_and_is_recorded(
    named: None, client_for: Callable[[str], Client], language: str
) -> None:
    client = client_for("coordinator")
    client.cookies["django_language"] = language
    html = client.post(URL, {"query": "فاطمة كريمي", "purpose": "call the family"}).content.decode()
    assert "P-0600" in html and "فاطمه کریمی" in html
    entry = Entry.objects.get(type="identity.viewed")
    assert entry.payload["purpose"] == "call the family" and entry.payload["patients"] == ["P-0600"]


def test_opening_the_page_or_an_empty_reason_shows_no_name_and_records_nothing(
    named: None, client_for: Callable[[str], Client]
) -> None:
    client = client_for("clinician")
    assert "فاطمه" not in client.get(URL).content.decode()
    response = client.post(URL, {"query": "فاطمه", "purpose": " "})
    assert response.status_code == 200 and "P-0600" not in response.content.decode()
    assert not Entry.objects.filter(type="identity.viewed").exists()


@pytest.mark.parametrize("role", ["monitor", "auditor", "admin", "outsider"])
def test_roles_that_may_not_see_identities_are_refused(
    named: None, client_for: Callable[[str], Client], role: str
) -> None:
    response = client_for(role).post(URL, {"query": "فاطمه", "purpose": "x"})
    assert response.status_code == 403 and "کریمی" not in response.content.decode()
    assert not Entry.objects.filter(type="identity.viewed").exists()
