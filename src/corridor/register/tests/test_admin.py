"""The admin maintains reference data through the services, so every change reaches the ledger."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from corridor.ledger.models import Entry
from corridor.register.models import Facility, Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(users: dict[str, Any], camp: Site) -> Client:
    client = Client()
    client.force_login(users["admin"])
    return client


def test_adding_a_hospital_in_the_admin_records_it_in_the_ledger(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/register/facility/add/",
        {
            "code": "H-9",
            "name": "Burns Unit",
            "specialties": '["general_surgery"]',
            "opening_hours": '{"0": ["08:00", "14:00"]}',
            "travel_minutes": "40",
            "closed_dates": "[]",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    facility = Facility.objects.get(code="H-9")
    entry = Entry.objects.filter(type="facility.created").order_by("-seq").first()
    assert entry is not None and entry.recorded_by == "admin" and entry.payload["facility"] == "H-9"
    assert facility.opening_hours == {"0": ["08:00", "14:00"]}


def test_a_change_refused_by_the_service_is_a_form_error_and_writes_nothing(admin_client: Client) -> None:
    facility = Facility.objects.get(code="H-1")
    before = Entry.objects.count()
    response = admin_client.post(
        f"/admin/register/facility/{facility.pk}/change/",
        {
            "name": "Oncology",
            "specialties": '["astrology"]',
            "opening_hours": '{"0": ["08:00", "14:00"]}',
            "travel_minutes": "60",
            "closed_dates": "[]",
        },
    )
    assert response.status_code == 200
    assert "unknown specialty" in response.content.decode()
    assert Entry.objects.count() == before
    facility.refresh_from_db()
    assert facility.specialties == ["oncology"]


def test_changing_a_hospitals_hours_records_only_what_changed(admin_client: Client) -> None:
    facility = Facility.objects.get(code="H-2")
    response = admin_client.post(
        f"/admin/register/facility/{facility.pk}/change/",
        {
            "name": "Eyes",
            "specialties": '["ophthalmology"]',
            "opening_hours": '{"0": ["09:00", "12:00"]}',
            "travel_minutes": "60",
            "closed_dates": "[]",
        },
    )
    assert response.status_code == 302
    entry = Entry.objects.filter(type="facility.changed").get()
    assert entry.payload == {"facility": "H-2", "opening_hours": {"0": ["09:00", "12:00"]}}


def test_new_access_rules_are_a_new_rule_set_never_an_edit(admin_client: Client, camp: Site) -> None:
    response = admin_client.post(
        "/admin/register/accessruleset/add/",
        {
            "site": camp.pk,
            "effective_from": "2014-11-01",
            "max_patients_per_day": "2",
            "max_escorts_per_day": "0",
            "max_facilities_per_day": "1",
            "allowed_weekdays": "[0, 1, 2]",
            "notes": "",
            "source": "official_statement",
            "certainty": "probable",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert camp.rule_sets.count() == 2
    rules = camp.rule_sets.order_by("-effective_from").first()
    assert rules is not None
    page = admin_client.get(f"/admin/register/accessruleset/{rules.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # shown, not editable
    assert Entry.objects.filter(type="rules.changed", recorded_by="admin").count() == 1


@pytest.mark.parametrize("role", ["coordinator", "clinician", "monitor", "auditor", "outsider"])
def test_only_admins_reach_the_admin(users: dict[str, Any], role: str) -> None:
    client = Client()
    client.force_login(users[role])
    assert client.get("/admin/register/facility/").status_code == 302  # sent to the admin login
