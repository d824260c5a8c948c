"""POST /api/patients/search-by-name: names found whatever the spelling, for roles that may see them, recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from corridor import sensitivity
from corridor.ledger.models import Entry
from corridor.register import services as register

URL = "/api/patients/search-by-name"


@pytest.fixture
def karimi(camp: Any) -> Any:
    return register.register_patient(
        site=camp, code="P-0500", registered_on=dt.date(2014, 1, 1), identity={"full_name": "علی کریمی"}, by=None
    )


def test_a_clinician_finds_a_persian_name_typed_in_arabic_letters_and_the_showing_is_recorded(
    karimi: Any, tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    response = api_client(tokens["clinician"]).post(
        URL, {"query": "علي كريمي", "purpose": "confirm a transfer"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(i["kind"], i["code"], i["full_name"]) for i in body["items"]] == [("patient", "P-0500", "علی کریمی")]
    entry = Entry.objects.get(seq=body["viewed_entry"])
    assert entry.type == "identity.viewed" and entry.payload["purpose"] == "confirm a transfer"
    assert entry.payload["patients"] == ["P-0500"] and "token" in entry.payload


def test_no_match_shows_nobody_and_records_nothing(
    karimi: Any, tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    response = api_client(tokens["coordinator"]).post(
        URL, {"query": "Nobody Here", "purpose": "check"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json() == {"items": [], "viewed_entry": None}
    assert not Entry.objects.filter(type="identity.viewed").exists()


@pytest.mark.parametrize("role", ["monitor", "auditor", "admin"])
def test_roles_that_may_not_see_identities_are_refused(
    karimi: Any, tokens: dict[str, str], api_client: Callable[[str | None], Client], role: str
) -> None:
    response = api_client(tokens[role]).post(URL, {"query": "علی", "purpose": "x"}, content_type="application/json")
    assert response.status_code == 403 and "کریمی" not in response.content.decode()
    assert not Entry.objects.filter(type="identity.viewed").exists()


def test_the_purpose_is_required(
    karimi: Any, tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    response = api_client(tokens["coordinator"]).post(URL, {"query": "علی"}, content_type="application/json")
    assert response.status_code == 422 and "purpose" in response.content.decode()
    response = api_client(tokens["coordinator"]).post(
        URL, {"query": "علی", "purpose": "  "}, content_type="application/json"
    )
    assert response.status_code == 422 and "کریمی" not in response.content.decode()
    assert not Entry.objects.filter(type="identity.viewed").exists()


def test_the_identity_audit_lists_the_patients_a_search_showed(
    karimi: Any, tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    api_client(tokens["coordinator"]).post(
        URL, {"query": "کریمی", "purpose": "confirm a transfer"}, content_type="application/json"
    )
    audit = api_client(tokens["auditor"]).get("/api/audit/identity-views?patient=P-0500").json()
    # The auditor sees whose names were shown and that a reason was given; its words are read apart.
    assert [(i["patients"], i["purpose"]) for i in audit["items"]] == [(["P-0500"], sensitivity.withheld())]
