"""The gate timeline as a person reads it: the hold's note, its beginning, its status, one tap per step."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from corridor.ledger.models import Entry
from corridor.register.models import Facility
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip
from corridor.web.tests.conftest import Scene


def _yesterdays_trip(scene: Scene) -> Trip:
    # Yesterday's trip: every time of day recorded on it is in the past, whatever the real clock says.
    day = scene.trip.date - dt.timedelta(days=2)
    trip = transfers.request_trip(
        site=scene.site,
        day=day,
        facility=Facility.objects.get(code="H-1"),
        referrals=scene.referrals[:2],
        by=None,
        at=dt.datetime.combine(day - dt.timedelta(days=3), dt.time(9), tzinfo=dt.UTC),  # asked ahead
    )
    return transfers.approve_trip(trip, by=None, at=dt.datetime.combine(day, dt.time(5), tzinfo=dt.UTC))


def _post(client: Client, trip: Trip, action: str, **fields: str) -> tuple[int, str]:
    data = {"date": trip.date.isoformat(), "source": "witness", "certainty": "confirmed", **fields}
    response = client.post(reverse(f"web:trip_{action}", args=[trip.pk]), data)
    return response.status_code, response.content.decode()


def test_a_held_trip_reads_held_at_the_gate_with_its_note_and_cannot_be_held_twice(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    trip = _yesterdays_trip(scene)
    monitor = client_for("monitor")
    assert _post(monitor, trip, "gate_arrived", time="08:00")[0] == 302
    assert _post(monitor, trip, "gate_held", time="08:15", note="papers checked twice")[0] == 302
    page = monitor.get(reverse("web:trip", args=[trip.pk])).content.decode()
    assert re.search(r'<span class="status held">held at the gate</span>', page)
    # The note is clinical text (corridor.sensitivity): the monitor who typed it sees that one was written;
    # a coordinator reads it on the timeline, not only in the raw entry.
    assert "papers checked twice" not in page and "[withheld]" in page
    assert "papers checked twice" in client_for("coordinator").get(reverse("web:trip", args=[trip.pk])).content.decode()
    assert 'id="action-gate_held"' not in page and 'id="action-gate_released"' in page

    status, again = _post(monitor, trip, "gate_held", time="08:15", note="papers checked twice")
    assert status == 422 and "already recorded" in again
    assert Entry.objects.filter(type="gate.held").count() == 1

    assert _post(monitor, trip, "gate_released", time="11:45")[0] == 302
    trip.refresh_from_db()
    assert trip.hours_held == 3.5  # from the hold's beginning as entered (08:15), not the arrival (08:00)
    assert Entry.objects.get(type="gate.released").payload["hours_held"] == 3.5
    page = monitor.get(reverse("web:trip", args=[trip.pk])).content.decode()
    assert re.search(r'<span class="status departed">departed</span>', page)


def test_each_outcome_line_names_its_patient(scene: Scene, client_for: Callable[[str], Client]) -> None:
    trip = _yesterdays_trip(scene)
    on = dt.datetime.combine(trip.date, dt.time(6), tzinfo=dt.UTC)
    transfers.record_gate_arrival(trip, at=on, by=None)
    transfers.record_gate_release(trip, at=on + dt.timedelta(hours=1), by=None)
    transfers.record_hospital_arrival(trip, at=on + dt.timedelta(hours=2), by=None)
    for referral, outcome in zip(scene.referrals[:2], ("seen", "no_doctor"), strict=True):
        transfers.record_outcome(
            trip, patient=referral.patient, outcome=outcome, by=None, at=on + dt.timedelta(hours=3)
        )
    page = client_for("monitor").get(reverse("web:trip", args=[trip.pk])).content.decode()
    first, second = (r.patient.code for r in scene.referrals[:2])
    code = r'<bdi class="code">{}</bdi>'  # each code kept whole on a narrow phone
    assert re.search(rf"{code.format(trip.code)} · {code.format(first)} · seen", page)
    assert re.search(rf"{code.format(trip.code)} · {code.format(second)} · not seen: no doctor", page)


def test_a_code_in_a_timeline_sentence_is_kept_whole_and_typed_text_around_it_stays_escaped(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    trip = _yesterdays_trip(scene)
    # A reason typed by a person: markup in it is text, a code in it is a code.
    transfers.cancel_trip(trip, reason="<b>P-0001</b> & the escort", by=None, at=trip.date)
    client = client_for("monitor")
    for language in ("en", "ar"):
        client.post(reverse("web:set_language"), {"language": language})
        page = client.get(reverse("web:trip", args=[trip.pk])).content.decode()
        assert f'<html lang="{language}"' in page
        timeline = page[page.index('id="trip-timeline"') :]
        assert '&lt;b&gt;<bdi class="code">P-0001</bdi>&lt;/b&gt; &amp; the escort' in timeline, language
        assert "<b>" not in timeline
        # "P-" at the end of one line and "0001" on the next is what a narrow phone showed without it.
        assert f'<bdi class="code">{trip.code}</bdi>' in timeline
        assert "\u2068" not in timeline  # the isolate is the bdi's own, not a second one around it
