"""Trips under the access rules, and the gate timeline recorded as evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from conftest import DAY
from corridor.errors import Conflict, InvalidInput, NotAllowed
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register.models import Facility, Patient, Referral, Site
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip, TripPassenger

pytestmark = pytest.mark.django_db
CAMP_TIME = dt.timezone(dt.timedelta(hours=3))


def _at(hhmm: str, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=CAMP_TIME)


@pytest.fixture
def four(make_referral: Callable[..., Referral]) -> list[Referral]:
    return [make_referral(f"P-{i}") for i in range(1, 6)][:4]


def _request(camp: Site, referrals: list[Referral], facility: str = "H-1", day: dt.date = DAY, **kw: Any) -> Trip:
    kw.setdefault("at", dt.datetime.combine(day - dt.timedelta(days=2), dt.time(9), tzinfo=dt.UTC))  # asked ahead
    return transfers.request_trip(
        site=camp, day=day, facility=Facility.objects.get(code=facility), referrals=referrals, by=None, **kw
    )


def test_a_requested_trip_records_its_manifest(camp: Site, four: list[Referral]) -> None:
    trip = _request(camp, four)
    entry = Entry.objects.order_by("-seq").first()
    assert entry is not None and entry.type == "trip.requested"
    assert entry.payload["patients"] == ["P-1", "P-2", "P-3", "P-4"]
    assert f"trip:{trip.pk}" in entry.subjects and "patient:P-3" in entry.subjects
    assert trip.passengers.count() == 4


def test_the_daily_capacity_is_never_exceeded(
    camp: Site, make_referral: Callable[..., Referral], four: list[Referral]
) -> None:
    _request(camp, four[:3])
    fifth = make_referral("P-9")
    sixth = make_referral("P-10")
    with pytest.raises(InvalidInput, match=r"the rules allow: 4; already booked on [0-9-]+: 3; asked: 2"):
        _request(camp, [fifth, sixth])
    assert Trip.objects.count() == 1


def test_a_second_hospital_on_the_same_day_is_refused_under_one_hospital_a_day(
    camp: Site, make_referral: Callable[..., Referral], four: list[Referral]
) -> None:
    _request(camp, four[:1])
    eyes = make_referral("P-20", specialty="ophthalmology")
    monday = DAY + dt.timedelta(days=1)
    _request(camp, four[1:2], day=monday)
    with pytest.raises(InvalidInput) as caught:
        _request(camp, [eyes], facility="H-2", day=monday)
    assert caught.value.field == "facility"
    assert "hospitals a day the rules allow: 1;" in str(caught.value)


def test_a_closed_hospital_day_and_an_ineligible_hospital_are_refused(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    eyes = make_referral("P-20", specialty="ophthalmology")
    with pytest.raises(InvalidInput, match="closed"):
        _request(camp, [eyes], facility="H-2")  # H-2 is closed on Sundays
    with pytest.raises(InvalidInput, match="not eligible"):
        _request(camp, [eyes], facility="H-1")


def test_a_patient_cannot_travel_before_the_referral(camp: Site, make_referral: Callable[..., Referral]) -> None:
    late = make_referral("P-30", referral_date=DAY + dt.timedelta(days=2))
    with pytest.raises(InvalidInput, match="not referred or fit to travel before"):
        _request(camp, [late])


def test_a_cardiac_patient_held_three_and_a_half_hours_arrives_after_closing(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    heart = make_referral("P-3", specialty="cardiology", priority="P1", referral_date=DAY - dt.timedelta(days=1))
    trip = _request(camp, [heart], facility="H-3")
    transfers.approve_trip(trip, by=None)
    transfers.record_gate_arrival(trip, at=_at("07:45"), by=None)
    transfers.record_gate_release(trip, at=_at("11:15"), by=None)
    transfers.record_hospital_arrival(trip, at=_at("12:40"), by=None)
    transfers.record_outcome(trip, patient=heart.patient, outcome="no_doctor", note="doctors had left", by=None)
    trip.refresh_from_db()
    assert trip.hours_held == 3.5 and trip.arrived_late is True and trip.status == "departed"
    released = Entry.objects.get(type="gate.released")
    assert released.payload["hours_held"] == 3.5
    arrived = Entry.objects.get(type="trip.arrived")
    assert arrived.payload["late"] is True
    heart.refresh_from_db()
    assert heart.status == "waiting"  # not seen: still waiting
    # The trip's own timeline is the patient's after their registration and referral.
    trip_steps = [
        "trip.requested",
        "trip.approved",
        "trip.departed",
        "gate.arrived",
        "gate.released",
        "trip.arrived",
        "patient.not_seen",
    ]
    assert [e.type for e in ledger.entries_about("patient:P-3")] == [
        "patient.registered",
        "referral.created",
        *trip_steps,
    ]
    assert [e.type for e in ledger.entries_about(f"trip:{trip.pk}")] == trip_steps


def test_a_cancellation_keeps_the_reason_and_frees_the_seats(
    camp: Site, four: list[Referral], make_referral: Callable[..., Referral]
) -> None:
    trip = _request(camp, four)
    transfers.approve_trip(trip, by=None)
    transfers.cancel_trip(trip, reason="no reason given", cancelled_by="authority", by=None)
    trip.refresh_from_db()
    assert (trip.status, trip.status_reason, trip.cancelled_by) == ("cancelled", "no reason given", "authority")
    entry = Entry.objects.get(type="trip.cancelled")
    assert entry.payload["reason"] == "no reason given" and entry.source == "witness"
    again = _request(camp, four)  # the cancelled trip no longer holds seats
    assert again.status == "requested"
    with pytest.raises(Conflict, match="cancelled"):
        transfers.approve_trip(trip, by=None)


def test_the_gate_timeline_refuses_impossible_times(camp: Site, four: list[Referral]) -> None:
    trip = _request(camp, four[:1])
    with pytest.raises(Conflict):
        transfers.record_gate_arrival(trip, at=_at("07:30"), by=None)  # not approved yet
    transfers.approve_trip(trip, by=None)
    with pytest.raises(Conflict, match="approved; cannot record gate.released"):
        transfers.record_gate_release(trip, at=_at("08:00"), by=None)
    transfers.record_gate_arrival(trip, at=_at("07:30"), by=None)
    with pytest.raises(InvalidInput, match="before the arrival"):
        transfers.record_gate_release(trip, at=_at("07:00"), by=None)
    with pytest.raises(InvalidInput, match="time zone"):
        transfers.record_gate_release(trip, at=dt.datetime(2014, 10, 12, 9), by=None)


def test_turned_back_at_the_gate_marks_every_patient(camp: Site, four: list[Referral]) -> None:
    trip = _request(camp, four[:2])
    transfers.approve_trip(trip, by=None)
    transfers.record_gate_arrival(trip, at=_at("07:30"), by=None)
    transfers.record_turned_back(trip, at=_at("10:30"), reason="closed for the day", by=None)
    outcomes = set(trip.passengers.values_list("outcome", flat=True))
    assert outcomes == {TripPassenger.Outcome.TURNED_BACK}
    with pytest.raises(Conflict):
        transfers.record_outcome(trip, patient=four[0].patient, outcome="seen", by=None)


def test_a_manifest_change_records_the_swap_and_the_reason(
    camp: Site, four: list[Referral], make_referral: Callable[..., Referral]
) -> None:
    trip = _request(camp, four)
    newcomer = make_referral("P-77", priority="P1", referral_date=DAY)
    with pytest.raises(InvalidInput, match="patients a day the rules allow: 4"):
        transfers.change_manifest(trip, add=[newcomer], reason="emergency", by=None)
    transfers.change_manifest(trip, add=[newcomer], remove=[four[3].patient], reason="emergency", by=None)
    entry = Entry.objects.get(type="trip.manifest_changed")
    assert entry.payload == {"trip": trip.pk, "added": ["P-77"], "removed": ["P-4"], "reason": "emergency"}
    assert sorted(trip.passengers.filter(removed=False).values_list("patient__code", flat=True)) == [
        "P-1",
        "P-2",
        "P-3",
        "P-77",
    ]


def test_a_manifest_change_that_would_leave_no_patient_on_the_trip_is_refused(camp: Site, four: list[Referral]) -> None:
    trip = _request(camp, four[:2])
    before = Entry.objects.count()
    with pytest.raises(InvalidInput, match="cancel the trip instead") as emptied:
        transfers.change_manifest(trip, remove=[r.patient for r in four[:2]], reason="both unwell", by=None)
    assert (emptied.value.code, emptied.value.field) == ("trip.manifest_empty", "remove")
    assert trip.passengers.filter(removed=False).count() == 2 and Entry.objects.count() == before
    transfers.change_manifest(trip, remove=[four[0].patient], add=[four[2]], reason="one unwell", by=None)
    assert sorted(trip.passengers.filter(removed=False).values_list("patient__code", flat=True)) == ["P-2", "P-3"]


def test_an_escort_leaves_the_trip_with_the_patient_they_escort_and_the_entry_says_so(
    camp: Site, four: list[Referral]
) -> None:
    escort = Patient.objects.get(code="P-5")
    trip = _request(camp, four[:2], escorts=[(escort, four[0].patient)])
    transfers.change_manifest(trip, remove=[four[0].patient], add=[four[2]], reason="unwell", by=None)
    on_board = trip.passengers.filter(removed=False)
    assert sorted(on_board.values_list("patient__code", flat=True)) == ["P-2", "P-3"]
    entry = Entry.objects.filter(type="trip.manifest_changed").get()
    assert entry.payload["removed"] == ["P-1", "P-5"]
    assert entry.payload["escorts_removed_with_their_patient"] == ["P-5"]
    assert "patient:P-5" in entry.subjects


@pytest.mark.parametrize(
    "role, may_request, may_record_gate",
    [
        ("coordinator", True, True),
        ("clinician", False, False),
        ("monitor", False, True),
        ("auditor", False, False),
        ("admin", False, False),
        ("outsider", False, False),
    ],
)
def test_roles_are_enforced_by_the_trip_services(
    camp: Site, four: list[Referral], users: dict[str, Any], role: str, may_request: bool, may_record_gate: bool
) -> None:
    user = users[role]
    if may_request:
        trip = transfers.request_trip(
            site=camp, day=DAY, facility=Facility.objects.get(code="H-1"), referrals=four[:1], by=user, at=_at("06:00")
        )
    else:
        with pytest.raises(NotAllowed):
            transfers.request_trip(
                site=camp, day=DAY, facility=Facility.objects.get(code="H-1"), referrals=four[:1], by=user
            )
        trip = _request(camp, four[:1])
    transfers.approve_trip(trip, by=None)
    if may_record_gate:
        transfers.record_gate_arrival(trip, at=_at("07:30"), by=user)
        assert Entry.objects.filter(type="gate.arrived", recorded_by=user.username).count() == 1
    else:
        with pytest.raises(NotAllowed):
            transfers.record_gate_arrival(trip, at=_at("07:30"), by=user)


def test_a_hold_since_a_time_in_the_future_or_after_it_was_seen_is_refused(camp: Site, four: list[Referral]) -> None:
    trip = _request(camp, four[:1])
    transfers.approve_trip(trip, by=None)
    transfers.record_gate_arrival(trip, at=_at("07:30"), by=None)
    before = Entry.objects.count()
    # A phone's tap gives the moment it was seen; the monitor types when the hold began.
    with pytest.raises(InvalidInput, match="in the future") as future:
        transfers.record_gate_hold(trip, since=_at("08:00", DAY + dt.timedelta(days=9000)), at=_at("08:30"), by=None)
    assert future.value.field == "since"
    with pytest.raises(InvalidInput, match="after it was seen") as later:
        transfers.record_gate_hold(trip, since=_at("09:00"), at=_at("08:30"), by=None)
    assert later.value.field == "since"
    trip.refresh_from_db()
    assert trip.held_since is None and Entry.objects.count() == before
    transfers.record_gate_hold(trip, since=_at("08:00"), at=_at("08:30"), by=None)
    trip.refresh_from_db()
    assert trip.held_since == _at("08:00")


def test_a_return_or_a_turning_back_before_the_trip_reached_or_was_held_at_the_gate_is_refused(
    camp: Site, four: list[Referral]
) -> None:
    trip = _request(camp, four[:1])
    transfers.approve_trip(trip, by=None)
    transfers.record_departure(trip, at=_at("07:00"), by=None)
    transfers.record_gate_arrival(trip, at=_at("07:30"), by=None)
    with pytest.raises(InvalidInput, match="last recorded step"):
        transfers.record_return(trip, at=_at("07:15"), by=None)  # never let through, back before it got there
    transfers.record_gate_hold(trip, since=_at("09:00"), by=None)
    with pytest.raises(InvalidInput, match="last recorded step"):
        transfers.record_return(trip, at=_at("08:30"), by=None)
    with pytest.raises(InvalidInput, match="before the hold began") as early:
        transfers.record_turned_back(trip, at=_at("08:30"), by=None)
    assert early.value.field == "at"
    trip.refresh_from_db()
    assert (trip.status, trip.returned_at, trip.turned_back_at_gate) == ("departed", None, False)
    transfers.record_turned_back(trip, at=_at("11:00"), by=None)
    trip.refresh_from_db()
    assert trip.status == "returned" and trip.returned_at == _at("11:00")


def test_an_outcome_before_the_trip_got_through_the_gate_is_refused_when_its_arrival_at_the_hospital_is_not_known(
    camp: Site, four: list[Referral]
) -> None:
    trip = _request(camp, four[:1])
    transfers.approve_trip(trip, by=None)
    transfers.record_gate_arrival(trip, at=_at("07:30"), by=None)
    transfers.record_gate_release(trip, at=_at("10:00"), by=None)  # nobody saw it reach the hospital
    patient = four[0].patient
    with pytest.raises(InvalidInput, match="last recorded step at the gate") as early:
        transfers.record_outcome(trip, patient=patient, outcome="seen", at=_at("09:00"), by=None)
    assert early.value.field == "at"
    with pytest.raises(InvalidInput, match="last recorded step at the gate"):
        transfers.record_outcome(trip, patient=patient, outcome="seen", at=DAY - dt.timedelta(days=1), by=None)
    assert not Entry.objects.filter(type__in=["patient.seen", "patient.not_seen"]).exists()
    assert trip.passengers.get().outcome == "pending"
    transfers.record_outcome(trip, patient=patient, outcome="seen", at=_at("11:00"), by=None)
    assert trip.passengers.get().outcome == "seen"


def test_reaching_the_gate_or_the_hospital_or_coming_back_before_the_trip_left_the_camp_is_refused(
    camp: Site, four: list[Referral]
) -> None:
    trip = _request(camp, four[:1])
    transfers.approve_trip(trip, by=None)
    transfers.record_departure(trip, at=_at("09:00"), by=None)
    before = Entry.objects.count()
    for record in (transfers.record_gate_arrival, transfers.record_hospital_arrival, transfers.record_return):
        with pytest.raises(InvalidInput, match="before the trip left the camp") as early:
            record(trip, at=_at("08:00"), by=None)
        assert (early.value.code, early.value.field) == ("trip.before_departure", "at")
    trip.refresh_from_db()
    assert (trip.gate_arrived_at, trip.hospital_arrived_at, trip.returned_at) == (None, None, None)
    assert Entry.objects.count() == before
    transfers.record_gate_arrival(trip, at=_at("09:30"), by=None)
    trip.refresh_from_db()
    assert trip.gate_arrived_at == _at("09:30")


def test_a_missed_appointment_on_a_trip_still_to_come_or_of_a_patient_taken_off_it_is_refused(
    camp: Site, four: list[Referral], settings: Any
) -> None:
    trip = _request(camp, four[:2])
    transfers.change_manifest(trip, remove=[four[1].patient], reason="swapped for a more urgent patient", by=None)
    before = Entry.objects.count()
    settings.TODAY = DAY - dt.timedelta(days=1)  # the trip is tomorrow: nothing of it is missed yet
    with pytest.raises(InvalidInput, match="has not come yet") as early:
        transfers.record_missed_appointment(trip, patient=four[0].patient, reason="cancelled", by=None)
    assert early.value.code == "trip.appointment_to_come"
    settings.TODAY = DAY
    with pytest.raises(InvalidInput, match="is not on trip"):
        transfers.record_missed_appointment(trip, patient=four[1].patient, reason="held at the gate", by=None)
    assert Entry.objects.count() == before
    transfers.record_missed_appointment(trip, patient=four[0].patient, reason="held at the gate", by=None)
    missed = Entry.objects.get(type="appointment.missed")
    assert missed.payload["patient"] == four[0].patient.code and missed.occurred_at.startswith("2014-10-12")


def test_an_outcome_before_the_trips_day_has_come_is_refused_rather_than_dated_that_day(
    camp: Site, four: list[Referral], settings: Any
) -> None:
    trip = _request(camp, four[:1])
    transfers.approve_trip(trip, by=None)
    settings.TODAY = DAY - dt.timedelta(days=1)  # the trip left the evening before its day
    evening = _at("18:00", DAY - dt.timedelta(days=1))
    transfers.record_gate_arrival(trip, at=evening, by=None)
    transfers.record_gate_release(trip, at=evening + dt.timedelta(hours=1), by=None)
    with pytest.raises(InvalidInput, match="has not come yet") as early:
        transfers.record_outcome(trip, patient=four[0].patient, outcome="seen", by=None)
    assert early.value.code == "trip.outcome_to_come"
    assert not Entry.objects.filter(type="patient.seen").exists()
    settings.TODAY = DAY
    transfers.record_outcome(trip, patient=four[0].patient, outcome="seen", by=None)
    assert Entry.objects.get(type="patient.seen").occurred_at.startswith("2014-10-12")
