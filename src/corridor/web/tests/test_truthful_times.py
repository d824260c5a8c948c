"""Truthful times: impossible dates refused by every service and form naming the field, nothing written;
a time nobody entered stays unknown from the form to the ledger, the timeline and the exports."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from corridor import clock
from corridor.errors import InvalidInput
from corridor.ledger import exports as ledger_exports
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register import services as register
from corridor.register.models import Referral
from corridor.reports import exports, queries
from corridor.supplies import actions as supplies
from corridor.transfers import deaths
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip
from corridor.web.tests.conftest import Scene
from corridor.web.views.dashboard import waiting_referrals

UTC = dt.UTC


def _moment(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=UTC)


def _refused(field: str, act: Callable[[], Any]) -> None:
    head = ledger.head()
    with pytest.raises(InvalidInput) as caught:
        act()
    assert caught.value.field == field, caught.value
    assert ledger.head() == head  # nothing written


def test_every_service_refuses_moments_in_the_future_or_before_what_they_depend_on(scene: Scene, settings: Any) -> None:
    settings.TODAY = trip_day = scene.trip.date
    trip, patient = scene.trip, scene.patients[0]
    _refused("at", lambda: transfers.cancel_trip(trip, by=None, at=_moment(dt.date(2099, 1, 1), 9)))
    _refused("on", lambda: transfers.approve_trip(trip, by=None, at=dt.date(2099, 1, 1)))
    _refused("at", lambda: transfers.approve_trip(trip, by=None, at=_moment(dt.date(2014, 1, 1), 9)))  # before asked
    transfers.approve_trip(trip, by=None, at=_moment(trip_day, 4))
    _refused("at", lambda: transfers.record_gate_arrival(trip, at=_moment(dt.date(1900, 1, 1), 8), by=None))
    transfers.record_gate_arrival(trip, at=_moment(trip_day, 5), by=None)
    _refused("since", lambda: transfers.record_gate_hold(trip, since=_moment(dt.date(1900, 1, 1), 8), by=None))
    _refused("at", lambda: transfers.record_gate_release(trip, at=_moment(trip_day + dt.timedelta(days=3), 8), by=None))
    transfers.record_gate_release(trip, at=_moment(trip_day, 6), by=None)
    transfers.record_hospital_arrival(trip, at=_moment(trip_day, 7), by=None)
    code = trip.passengers.get().patient
    _refused(
        "at", lambda: transfers.record_outcome(trip, patient=code, outcome="seen", by=None, at=_moment(trip_day, 6))
    )
    _refused(
        "registered_on",
        lambda: register.register_patient(
            site=scene.site,
            code="P-2030",
            registered_on=dt.date(2030, 5, 5),
            by=None,
            source="document",
            certainty="confirmed",
        ),
    )
    _refused(
        "referral_date",
        lambda: register.create_referral(
            patient=patient, specialty="oncology", priority="P2", referral_date=dt.date(2031, 1, 1), by=None
        ),
    )
    _refused(
        "referral_date",
        lambda: register.create_referral(
            patient=patient, specialty="oncology", priority="P2", referral_date=dt.date(1969, 12, 31), by=None
        ),  # the patient was born in 1970
    )
    _refused(
        "on",
        lambda: deaths.record_death(patient, on=dt.date(2099, 1, 1), by=None, source="witness", certainty="confirmed"),
    )
    _refused(
        "on",
        lambda: supplies.record_blocked_delivery(
            site=scene.site, item="medicine", on=dt.date(2099, 1, 1), by=None, source="document", certainty="confirmed"
        ),
    )


def test_the_clock_tolerance_and_the_scenario_day_bound_what_may_be_recorded(settings: Any) -> None:
    real = dt.datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    settings.TODAY = real.date()
    settings.CLOCK_TOLERANCE_MINUTES = 10
    assert clock.check_moment("at", real + dt.timedelta(minutes=9), now=real)
    with pytest.raises(InvalidInput, match="in the future"):
        clock.check_moment("at", real + dt.timedelta(minutes=11), now=real)
    settings.TODAY = dt.date(2014, 10, 14)  # a scenario clock: its whole date has happened, whatever the real hour
    late_evening = dt.datetime(2014, 10, 14, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert clock.check_moment("at", late_evening, now=real, zone="Asia/Gaza")
    with pytest.raises(InvalidInput):
        clock.check_moment("at", late_evening + dt.timedelta(hours=1), now=real, zone="Etc/GMT-3")


def _post(client: Client, name: str, pk: int, **fields: str) -> Any:
    return client.post(reverse(f"web:{name}", args=[pk]), {"source": "witness", "certainty": "confirmed", **fields})


def test_the_forms_refuse_impossible_dates_beside_the_field_and_write_nothing(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    head = ledger.head()
    cancelled = _post(
        client_for("monitor"), "trip_cancel", scene.trip.pk, date="2099-01-01", time="09:00", cancelled_by="authority"
    )
    assert cancelled.status_code == 422
    assert "is in the future" in cancelled.content.decode()
    registered = client_for("coordinator").post(
        reverse("web:patient_create"),
        {
            "code": "P-2030",
            "registered_on": "2030-05-05",
            "sex": "f",
            "full_name": "Test Person X",
            "source": "document",
            "certainty": "confirmed",
        },
    )
    assert registered.status_code in (200, 422) and "is after today" in registered.content.decode()
    referred = client_for("clinician").post(
        reverse("web:referral_create", args=[scene.patients[0].code]),
        {
            "specialty": "oncology",
            "priority": "P2",
            "referral_date": "2031-01-01",
            "source": "document",
            "certainty": "confirmed",
        },
    )
    assert referred.status_code in (200, 422) and "is after today" in referred.content.decode()
    died = client_for("coordinator").post(
        reverse("web:patient_death", args=[scene.patients[0].code]),
        {"on": "2099-01-01", "source": "witness", "certainty": "confirmed"},
    )
    assert died.status_code in (200, 422) and "is after today" in died.content.decode()
    answered = _post(client_for("coordinator"), "trip_approve", scene.trip.pk, date="1900-01-01", time="")
    assert (
        answered.status_code == 422 and "is before the day before the trip was requested" in answered.content.decode()
    )
    assert ledger.head() == head


def test_an_answer_whose_time_is_unknown_stays_unknown_from_form_to_ledger_timeline_and_exports(
    scene: Scene, client_for: Callable[[str], Client], settings: Any
) -> None:
    settings.TODAY = scene.trip.date  # 13 October 2014
    coordinator = client_for("coordinator")
    form = coordinator.get(reverse("web:trip", args=[scene.trip.pk])).content.decode()
    assert 'name="time" value=' not in form.split('id="action-approve"')[1].split("</form>")[0]  # no made-up hour
    answered = _post(coordinator, "trip_approve", scene.trip.pk, date="2014-10-13", time="")
    assert answered.status_code == 302
    entry = Entry.objects.get(type="trip.approved")
    assert entry.payload["precision"] == "date" and entry.occurred_at.startswith("2014-10-13")

    page = coordinator.get(reverse("web:trip", args=[scene.trip.pk])).content.decode()
    assert "13 Oct 2014</time>, time not recorded" in page
    coordinator.post(reverse("web:set_language"), {"language": "fa"})
    persian = coordinator.get(reverse("web:trip", args=[scene.trip.pk])).content.decode()
    assert "ساعت ثبت نشده" in persian

    trips = exports.trips(None, scene.trip.date)
    answered_on = [c.name for c in trips.columns].index("answered_on")
    assert [row[answered_on] for row in trips.rows] == [dt.date(2014, 10, 13)] or [
        str(row[answered_on]) for row in trips.rows
    ] == ["2014-10-13"]
    out = io.StringIO()
    ledger_exports.write_jsonl(out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    exported = next(line for line in lines if line["seq"] == entry.seq)
    assert exported["payload"]["precision"] == "date"


def test_outcomes_and_registrations_without_a_time_are_not_stamped_with_a_made_up_hour(
    scene: Scene, settings: Any
) -> None:
    registered = Entry.objects.filter(type="patient.registered").first()
    referred = Entry.objects.filter(type="referral.created").first()
    assert registered is not None and registered.payload["precision"] == "date"
    assert referred is not None and referred.payload["precision"] == "date"
    settings.TODAY = day = scene.trip.date
    trip = transfers.approve_trip(scene.trip, by=None, at=_moment(day, 4))
    transfers.record_gate_arrival(trip, at=_moment(day, 5), by=None)
    transfers.record_gate_release(trip, at=_moment(day, 6), by=None)
    transfers.record_hospital_arrival(trip, at=_moment(day, 7), by=None)
    place = trip.passengers.get()
    transfers.record_outcome(trip, patient=place.patient, outcome="seen", by=None)  # nobody wrote down the hour
    seen = Entry.objects.get(type="patient.seen")
    assert seen.payload["precision"] == "date" and seen.occurred_at.startswith(day.isoformat())


def test_the_dashboard_waiting_count_equals_the_monthly_reports_for_the_same_day(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    # A referral dated after today (recorded before dates were checked) is not waiting yet, in either count.
    later = Referral.objects.get(pk=scene.referrals[0].pk)
    Referral.objects.filter(pk=later.pk).update(referral_date=dt.date(2031, 1, 1))
    today = clock.today()
    report = sum(row["waiting"] for row in queries.backlog(today))
    assert waiting_referrals(None).count() == report == len(scene.referrals) - 1


@pytest.mark.parametrize(
    ("language", "future", "after_today", "year"),
    [
        ("fa", "در آینده است (ساعت Corridor:", "پس از امروز", "۲۰۹۹"),
        ("ar", "في المستقبل (ساعة Corridor:", "بعد اليوم", "٢٠٩٩"),
    ],
)
def test_an_impossible_date_is_refused_in_the_readers_language_with_local_digits(
    scene: Scene, client_for: Callable[[str], Client], language: str, future: str, after_today: str, year: str
) -> None:
    monitor, coordinator = client_for("monitor"), client_for("coordinator")
    for client in (monitor, coordinator):
        assert client.post(reverse("web:set_language"), {"language": language}).status_code == 302
    cancelled = _post(monitor, "trip_cancel", scene.trip.pk, date="2099-01-01", time="09:00", cancelled_by="authority")
    text = cancelled.content.decode()
    assert cancelled.status_code == 422 and future in text and f"{year} " in text and "in the future" not in text
    registered = coordinator.post(
        reverse("web:patient_create"),
        {
            "code": "P-2030",
            "registered_on": "2099-05-05",
            "sex": "f",
            "full_name": "Test Person X",
            "source": "document",
            "certainty": "confirmed",
        },
    )
    text = registered.content.decode()
    assert after_today in text and year in text and "is after today" not in text


def test_a_late_report_is_kept_and_its_entry_says_how_late_it_was_recorded(
    scene: Scene, client_for: Callable[[str], Client], settings: Any
) -> None:
    late = Entry.objects.filter(type="patient.registered").first()  # happened in 2014, recorded today
    assert late is not None
    days = (dt.datetime.fromisoformat(late.recorded_at).date() - dt.date.fromisoformat(late.occurred_at[:10])).days
    monitor = client_for("monitor")
    page = monitor.get(reverse("web:ledger_entry", args=[late.seq])).content.decode()
    assert f"recorded {days} days after it happened" in page
    settings.TODAY = dt.datetime.now(UTC).date()
    on_time = supplies.record_incident(
        site=scene.site, kind="closure", resource="gate", description="shut", on=settings.TODAY, by=None
    )
    assert "after it happened" not in monitor.get(reverse("web:ledger_entry", args=[on_time.seq])).content.decode()
    monitor.post(reverse("web:set_language"), {"language": "fa"})
    assert "پس از رخ‌دادن ثبت شد" in monitor.get(reverse("web:ledger_entry", args=[late.seq])).content.decode()


def test_recording_a_death_in_the_workspace_says_which_trips_it_cancelled_or_changed(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    dying = scene.patients[5]  # alone on the trip requested for tomorrow
    page = client_for("monitor").post(
        reverse("web:patient_death", args=[dying.code]),
        {"on": scene.trip.date - dt.timedelta(days=1), "source": "witness", "certainty": "probable"},
        follow=True,
    )
    text = page.content.decode()
    assert page.status_code == 200 and f"The death of {dying.code} is recorded." in text
    assert f"Cancelled, nobody being left on them: {scene.trip.code}." in text
    scene.trip.refresh_from_db()
    assert scene.trip.status == Trip.Status.CANCELLED


def test_a_coordinator_retracts_a_misrecorded_death_from_its_entry_and_is_told_the_trips_stay_as_they_are(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    dying = scene.patients[5]  # alone on the trip requested for tomorrow
    death = deaths.record_death(
        dying, on=scene.trip.date - dt.timedelta(days=1), by=None, source="witness", certainty="probable"
    )
    client = client_for("coordinator")
    entry_page = reverse("web:ledger_entry", args=[death.entry.seq])
    retract = reverse("web:ledger_retract", args=[death.entry.seq])
    trip_page = reverse("web:trip", args=[scene.trip.pk])
    said = f'<bdi class="code">{dying.code}</bdi> died (entry {death.entry.seq})'
    assert said in client.get(trip_page).content.decode()
    assert f'href="{retract}"' in client.get(entry_page).content.decode()
    assert f'href="{retract}"' not in client_for("clinician").get(entry_page).content.decode()  # not theirs to do
    form = client.get(retract).content.decode()
    # Said before the retraction too: the coordinator decides knowing the trip will not come back by itself.
    assert f"The trips the death changed stay as they are: {scene.trip.code} (cancelled)." in form

    head = ledger.head()[0]
    answer = client.post(
        retract, {"reason": "another patient's code was typed", "source": "document", "certainty": "confirmed"}
    )
    assert answer.status_code == 302 and answer["Location"] == entry_page
    retraction = Entry.objects.get(seq=head + 1)
    assert (retraction.type, retraction.corrects, retraction.source) == ("entry.retracted", death.entry.seq, "document")
    shown = client.get(entry_page).content.decode()
    assert f"Entry {death.entry.seq} is retracted by entry {retraction.seq}." in shown
    assert f"{scene.trip.code} (cancelled)." in shown and f'href="{retract}"' not in shown
    dying.refresh_from_db()
    scene.trip.refresh_from_db()
    # The cancellation stays, as it happened; the trip's timeline no longer says the patient died.
    assert dying.status != "deceased" and scene.trip.status == Trip.Status.CANCELLED
    text = client.get(trip_page).content.decode()
    assert said not in text
    assert f'<bdi class="code">{dying.code}</bdi> was recorded dead, since retracted (entry {death.entry.seq})' in text

    head = ledger.head()[0]  # the retraction, and the retraction of the referral's closing it brought
    again = client.post(retract, {"reason": "twice", "source": "document", "certainty": "confirmed"})
    assert again.status_code == 422 and "was retracted by entry" in again.content.decode()
    assert ledger.head()[0] == head  # nothing more written
