"""On a trip page a coordinator asks for an interpreter, records that the authority rejected them, and sees it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from corridor.ledger.models import Entry
from corridor.transfers import companions
from corridor.transfers.models import TripCompanion
from corridor.web.tests.conftest import Scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def interpreter(scene: Scene) -> str:
    companions.register_companion(
        site=scene.site,
        code="C-0001",
        kind="interpreter",
        registered_on=dt.date(2014, 1, 1),
        identity={"full_name": "Test Interpreter"},
        by=None,
    )
    return "C-0001"


def test_a_coordinator_records_a_rejected_interpreter_and_sees_it_on_the_trip_page(
    scene: Scene, interpreter: str, client_for: Callable[[str], Client]
) -> None:
    client = client_for("coordinator")
    trip = scene.trip
    patient = scene.patients[5].code
    page = client.get(reverse("web:trip", args=[trip.pk])).content.decode()
    assert "Ask for a companion" in page and "No companion asked for on this trip." in page
    moment = {"time": "09:15", "date": "2014-10-12", "source": "system", "certainty": "confirmed"}
    asked = client.post(
        reverse("web:trip_companion_ask", args=[trip.pk]), {"for_patient": patient, "companion": interpreter, **moment}
    )
    assert asked.status_code == 302
    answered = client.post(
        reverse("web:trip_companion_answer", args=[trip.pk]),
        {
            "companion": interpreter,
            "answer": "rejected",
            "note": "no reason given",
            **moment,
            "time": "11:40",
            "source": "official_statement",
        },
    )
    assert answered.status_code == 302
    row = TripCompanion.objects.get(trip=trip)
    assert (row.answer, row.answer_note, row.for_patient.code) == ("rejected", "no reason given", patient)
    entry = Entry.objects.get(type="trip.companion_answered")
    assert entry.source == "official_statement" and entry.occurred_at.startswith("2014-10-12T08:40")
    page = client.get(reverse("web:trip", args=[trip.pk])).content.decode()
    assert 'id="companion-C-0001"' in page and "rejected" in page and "Test Interpreter" not in page
    # The timeline names the person, the role and the patient, each code kept whole on a narrow phone.
    assert '<bdi class="code">C-0001</bdi>, interpreter for <bdi class="code">' in page


def test_a_refused_answer_shows_the_form_again_beside_the_reason(
    scene: Scene, interpreter: str, client_for: Callable[[str], Client]
) -> None:
    client = client_for("coordinator")
    trip = scene.trip
    moment = {"time": "09:15", "date": "2014-10-12", "source": "system", "certainty": "confirmed"}
    client.post(
        reverse("web:trip_companion_ask", args=[trip.pk]),
        {"for_patient": scene.patients[5].code, "companion": interpreter, **moment},
    )
    answer = {"companion": interpreter, "answer": "rejected", **moment}
    assert client.post(reverse("web:trip_companion_answer", args=[trip.pk]), answer).status_code == 302
    again = client.post(reverse("web:trip_companion_answer", args=[trip.pk]), answer)
    assert again.status_code == 422  # nothing left to answer: the form says which choice is wrong
    assert Entry.objects.filter(type="trip.companion_answered").count() == 1


def test_a_monitor_may_not_ask_or_answer(scene: Scene, interpreter: str, client_for: Callable[[str], Client]) -> None:
    client = client_for("monitor")
    before = Entry.objects.count()
    moment = {"time": "09:15", "date": "2014-10-12"}
    url = reverse("web:trip_companion_ask", args=[scene.trip.pk])
    assert (
        client.post(url, {"for_patient": scene.patients[5].code, "companion": interpreter, **moment}).status_code == 403
    )
    assert "Ask for a companion" not in client.get(reverse("web:trip", args=[scene.trip.pk])).content.decode()
    assert Entry.objects.count() == before


def test_a_denied_trip_offers_no_companion_to_ask_for(
    scene: Scene, interpreter: str, client_for: Callable[[str], Client]
) -> None:
    from corridor.transfers import services as transfers

    client = client_for("coordinator")
    url = reverse("web:trip", args=[scene.trip.pk])
    assert "Ask for a companion" in client.get(url).content.decode()
    transfers.deny_trip(scene.trip, reason="", by=None, at=dt.date(2014, 10, 12))
    page = client.get(url).content.decode()
    # The service would refuse: a companion is asked for before the trip leaves, and a denied trip never will.
    assert "Ask for a companion" not in page and 'id="action-companion-ask"' not in page
