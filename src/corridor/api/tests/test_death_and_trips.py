"""A death recorded through the API names its own entry, and the patient leaves the trips to come."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from corridor.ledger.models import Entry
from corridor.register.models import Facility, Referral, Site
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip

pytestmark = pytest.mark.django_db


def test_a_death_posted_by_a_monitor_returns_the_death_entry_and_cancels_the_trip_it_empties(
    camp: Site,
    make_referral: Callable[..., Referral],
    tokens: dict[str, str],
    api_client: Callable[[str | None], Client],
) -> None:
    day = dt.date(2014, 10, 13)
    trip = transfers.request_trip(
        site=camp,
        day=day,
        facility=Facility.objects.get(code="H-1"),
        referrals=[make_referral("P-DIES")],
        by=None,
        at=dt.datetime(2014, 10, 8, 9, tzinfo=dt.UTC),
    )
    response = api_client(tokens["monitor"]).post(
        "/api/patients/P-DIES/death",
        {"on": "2014-10-10", "source": "witness", "certainty": "probable"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = json.loads(response.content)
    died = Entry.objects.get(type="patient.died")
    assert body["entry"]["seq"] == died.seq and body["entry"]["type"] == "patient.died"
    trip.refresh_from_db()
    assert (trip.status, trip.cancelled_by) == (Trip.Status.CANCELLED, Trip.CancelledBy.CAMP)
    assert Entry.objects.get(type="trip.cancelled").payload["because_of"] == died.seq
