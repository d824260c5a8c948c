"""The register's boundary refusals (another site's records, a record not found) carry a code, said in Persian and
Arabic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from corridor.errors import CorridorError, InvalidInput, NotFound
from corridor.ledger.models import Entry
from corridor.refusals import in_language
from corridor.register import services as register
from corridor.register.models import Facility, Patient
from corridor.register.scoping import get_visible

pytestmark = pytest.mark.django_db


def _said(error: CorridorError, language: str) -> str:
    with translation.override(language):
        return in_language(error)


def test_a_record_of_another_site_is_refused_as_not_found_with_its_code_in_persian_and_arabic(
    crossing: Any, users: dict[str, Any]
) -> None:
    with pytest.raises(NotFound) as refused:
        register.create_referral(
            patient=crossing.patient,
            specialty="oncology",
            priority="P3",
            referral_date=dt.date(2014, 1, 3),
            by=users["clinician"],
        )
    error = refused.value
    assert error.code == "patient.not_found" and str(error) == "there is no such patient"
    assert _said(error, "fa") == "چنین بیماری نیست" and _said(error, "ar") == "لا يوجد مريض كهذا"
    with pytest.raises(NotFound) as refused:
        get_visible(Patient.objects.all(), users["clinician"], "patient", code="X-0001")
    error = refused.value
    assert error.code == "patient.not_found" and error.values == {"patient": "X-0001"}
    assert str(error) == "there is no patient X-0001" and _said(error, "ar") == "لا يوجد مريض X-0001"


def test_an_unknown_time_zone_and_a_travel_time_beyond_a_day_are_refused_alike_on_creating_and_on_changing(
    camp: Any,
) -> None:
    before = Entry.objects.count()
    refusals = []
    for attempt in (
        lambda: register.create_site(code="S-2", name="Two", country="XX", time_zone="Mars/Olympus", by=None),
        lambda: register.change_site(camp, time_zone="Mars/Olympus", by=None),
        lambda: register.create_facility(
            code="H-9", name="Far", specialties=["oncology"], travel_minutes=1441, by=None
        ),
        lambda: register.change_facility(Facility.objects.get(code="H-1"), travel_minutes=-1, by=None),
    ):
        with pytest.raises(InvalidInput) as refused:
            attempt()
        refusals.append((refused.value.code, refused.value.field))
    assert refusals == [
        ("site.unknown_time_zone", "time_zone"),
        ("site.unknown_time_zone", "time_zone"),
        ("facility.bad_travel_minutes", "travel_minutes"),
        ("facility.bad_travel_minutes", "travel_minutes"),
    ]
    assert Entry.objects.count() == before
