"""A death while waiting takes the patient off the trips still to leave after it, and says why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from conftest import DAY
from corridor import sensitivity
from corridor.errors import InvalidInput, NotAllowed
from corridor.ledger.models import Entry
from corridor.register.models import Facility, Patient, Referral, Site
from corridor.transfers import deaths
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip
from corridor.web import labels

pytestmark = pytest.mark.django_db
DIED_ON = DAY - dt.timedelta(days=1)


def _request(camp: Site, referrals: list[Referral], day: dt.date, **kw: Any) -> Trip:
    asked = dt.datetime.combine(DAY - dt.timedelta(days=4), dt.time(9), tzinfo=dt.UTC)
    return transfers.request_trip(
        site=camp, day=day, facility=Facility.objects.get(code="H-1"), referrals=referrals, by=None, at=asked, **kw
    )


def _on_board(trip: Trip) -> list[str]:
    return sorted(trip.passengers.filter(removed=False).values_list("patient__code", flat=True))


def test_a_death_takes_the_patient_and_their_escort_off_a_later_trip_that_others_still_take(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    first, second = make_referral("P-1"), make_referral("P-2")
    escort = make_referral("P-5").patient
    trip = _request(camp, [first, second], DAY, escorts=[(escort, first.patient)])
    # The date as a field form gives it: checked and read as the register recorded it.
    deaths.record_death(first.patient, on=DIED_ON.isoformat(), by=None, source="witness", certainty="probable")  # type: ignore[arg-type]
    trip.refresh_from_db()
    assert _on_board(trip) == ["P-2"] and trip.status == Trip.Status.REQUESTED
    died = Entry.objects.get(type="patient.died")
    change = Entry.objects.get(type="trip.manifest_changed")
    assert change.seq > died.seq and change.payload["because_of"] == died.seq
    assert change.payload["removed"] == ["P-1", "P-5"] and change.payload["reason"] == f"P-1 died on {DIED_ON}"
    # Recorded as the death was: the same source and certainty, not as a confirmed fact of the system.
    assert (change.source, change.certainty) == ("witness", "probable")


def test_a_trip_left_with_no_patient_by_a_death_is_cancelled_by_the_camp_for_that_reason(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    alone = make_referral("P-1")
    trip = _request(camp, [alone], DAY + dt.timedelta(days=1))
    transfers.approve_trip(trip, by=None, at=dt.datetime.combine(DAY - dt.timedelta(days=3), dt.time(10), dt.UTC))
    deaths.record_death(alone.patient, on=DIED_ON, by=None, source="witness", certainty="confirmed")
    trip.refresh_from_db()
    assert (trip.status, trip.cancelled_by) == (Trip.Status.CANCELLED, Trip.CancelledBy.CAMP)
    cancelled = Entry.objects.get(type="trip.cancelled")
    assert cancelled.payload["because_of"] == Entry.objects.get(type="patient.died").seq
    # Nobody gave a reason: the entry names the death, and pages say it in the reader's language.
    assert cancelled.payload["cancelled_by"] == "camp" and cancelled.payload["reason"] is None
    assert cancelled.payload["died"] == "P-1" and trip.status_reason == ""
    with translation.override("en"):
        assert "nobody was left on it: P-1 died (entry" in labels.summary(cancelled)
    with translation.override("fa"):
        assert "P-1" in labels.summary(cancelled) and "died" not in labels.summary(cancelled)
    assert not Entry.objects.filter(type="trip.manifest_changed").exists()


def test_a_trip_on_the_day_of_the_death_or_before_it_is_left_as_it_was(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    patient_referral, other = make_referral("P-1"), make_referral("P-2")
    same_day = _request(camp, [patient_referral, other], DIED_ON)
    earlier = _request(camp, [patient_referral], DIED_ON - dt.timedelta(days=1))
    before = Entry.objects.count()
    deaths.record_death(patient_referral.patient, on=DIED_ON, by=None, source="witness", certainty="confirmed")
    # Whether they died before that day's trip left is for a person to say, as is what became of a trip
    # whose day passed with nothing recorded.
    assert _on_board(same_day) == ["P-1", "P-2"] and _on_board(earlier) == ["P-1"]
    written = list(Entry.objects.filter(seq__gt=before).values_list("type", flat=True))
    assert written == ["patient.died", "referral.closed"]


def test_a_monitor_who_may_record_a_death_but_not_change_trips_still_takes_the_patient_off(
    camp: Site, make_referral: Callable[..., Referral], users: dict[str, Any]
) -> None:
    first, second = make_referral("P-1"), make_referral("P-2")
    trip = _request(camp, [first, second], DAY)
    monitor = users["monitor"]
    with pytest.raises(NotAllowed):  # the monitor may not change a manifest by choice
        transfers.change_manifest(trip, remove=[first.patient], reason="unwell", by=monitor)
    deaths.record_death(first.patient, on=DIED_ON, by=monitor, source="witness", certainty="confirmed")
    assert _on_board(trip) == ["P-2"]
    assert Entry.objects.get(type="trip.manifest_changed").recorded_by == "monitor"


def test_a_refused_death_changes_no_trip(camp: Site, make_referral: Callable[..., Referral]) -> None:
    first, second = make_referral("P-1"), make_referral("P-2")
    trip = _request(camp, [first, second], DAY)
    before = Entry.objects.count()
    with pytest.raises(InvalidInput):
        deaths.record_death(first.patient, on=DAY + dt.timedelta(days=9999), by=None, source="witness", certainty="x")
    assert _on_board(trip) == ["P-1", "P-2"] and Entry.objects.count() == before
    assert Patient.objects.get(code="P-1").status != Patient.Status.DECEASED


def test_a_referral_is_not_closed_while_its_patient_is_on_a_trip_for_it_still_to_leave(
    camp: Site, make_referral: Callable[..., Referral], users: dict[str, Any]
) -> None:
    from corridor.errors import Conflict
    from corridor.register import services as register

    first, second = make_referral("P-1"), make_referral("P-2")
    trip = _request(camp, [first, second], DAY)
    before = Entry.objects.count()
    with pytest.raises(Conflict, match=f"P-1 is on trip {trip.code} on {DAY}") as refused:
        register.close_referral(first, reason="withdrawn", on=DIED_ON, by=users["coordinator"])
    assert refused.value.code == "referral.on_trip_to_come" and Entry.objects.count() == before
    # Taken off the trip by the coordinator, as a choice of theirs, the referral may then close.
    transfers.change_manifest(trip, remove=[first.patient], reason="declined the visit", by=users["coordinator"])
    register.close_referral(first, reason="withdrawn", on=DIED_ON, by=users["coordinator"])
    # A trip dated before the closing does not stand in its way: what became of it is for a person to say.
    third = make_referral("P-3")
    stale = _request(camp, [third], DIED_ON - dt.timedelta(days=1))
    register.close_referral(third, reason="withdrawn", on=DIED_ON, by=users["coordinator"])
    assert stale.passengers.filter(removed=False).count() == 1 and second.status == "waiting"


def test_a_monitor_reads_which_death_changed_a_trip_not_withheld_text(
    camp: Site, make_referral: Callable[..., Referral], users: dict[str, Any]
) -> None:
    first, second = make_referral("P-1"), make_referral("P-2")
    _request(camp, [first, second], DAY)
    deaths.record_death(first.patient, on=DIED_ON, by=None, source="witness", certainty="confirmed")
    change = Entry.objects.get(type="trip.manifest_changed")
    # An entry number and a patient's code: neither is clinical, so a role without read_clinical sees both.
    shown = sensitivity.redact(change.payload, users["monitor"], change.type)
    assert shown["because_of"] == Entry.objects.get(type="patient.died").seq and shown["died"] == "P-1"
