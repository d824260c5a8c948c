"""Episodes of care: a first visit leaves the referral open; follow-ups wait with their own deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from conftest import DAY
from corridor.errors import Conflict, InvalidInput
from corridor.ledger.models import Entry
from corridor.refusals import in_language
from corridor.register import corrections
from corridor.register import services as register
from corridor.register.models import Facility, Patient, Referral, Site
from corridor.reports import catalogue
from corridor.reports.core import Period
from corridor.transfers import deaths, plans
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip

pytestmark = pytest.mark.django_db
CAMP_TIME = dt.timezone(dt.timedelta(hours=3))


def _went(camp: Site, referrals: list[Referral], day: dt.date = DAY) -> Trip:
    """A trip that reached the hospital on ``day`` with ``referrals`` on board."""
    asked = dt.datetime.combine(day - dt.timedelta(days=2), dt.time(9, 0), tzinfo=CAMP_TIME)  # days ahead
    trip = transfers.request_trip(
        site=camp, day=day, facility=Facility.objects.get(code="H-1"), referrals=referrals, by=None, at=asked
    )
    transfers.approve_trip(trip, by=None)
    at = dt.datetime.combine(day, dt.time(7, 30), tzinfo=CAMP_TIME)
    transfers.record_gate_arrival(trip, at=at, by=None)
    transfers.record_gate_release(trip, at=at + dt.timedelta(minutes=30), by=None)
    transfers.record_hospital_arrival(trip, at=at + dt.timedelta(minutes=100), by=None)
    return trip


def _fresh(referral: Referral) -> Referral:
    return Referral.objects.select_related("patient").get(pk=referral.pk)


def test_a_first_visit_leaves_the_referral_open_in_care(camp: Site, make_referral: Callable[..., Referral]) -> None:
    referral = make_referral("P-1")
    trip = _went(camp, [referral])
    transfers.record_outcome(trip, patient=referral.patient, outcome="seen", note="metastatic cancer found", by=None)
    referral = _fresh(referral)
    assert (referral.status, referral.closed_on, referral.follow_up_due) == ("in_care", None, None)
    assert referral.patient.status == "in_treatment" and referral.patient.get_status_display() == "in care"
    assert not Entry.objects.filter(type="referral.closed").exists()
    seen = Entry.objects.get(type="patient.seen")
    assert (seen.payload["outcome"], seen.payload["referral_status"]) == ("seen", "in_care")
    # Not on the waiting list any more, but still open: a death closes it as died.
    assert referral not in plans.build_instance(camp, DAY + dt.timedelta(days=1), 7)[1].values()
    deaths.record_death(
        referral.patient, on=DAY + dt.timedelta(days=20), by=None, source="witness", certainty="confirmed"
    )
    assert _fresh(referral).status == "died"


def test_a_follow_up_keeps_its_priority_and_gets_its_own_deadline(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral = make_referral("P-1", priority="P2")
    original_due = referral.due_date
    trip = _went(camp, [referral])
    follow_up = DAY + dt.timedelta(days=21)
    transfers.record_outcome(trip, patient=referral.patient, outcome="follow_up", follow_up_due=follow_up, by=None)
    referral = _fresh(referral)
    assert (referral.status, referral.priority.code, referral.due_date) == ("waiting", "P2", original_due)
    assert (referral.follow_up_due, referral.deadline) == (follow_up, follow_up)
    # The planner offers it again, due by the follow-up's date, and it may go on the next trip.
    day = DAY + dt.timedelta(days=2)
    instance, by_id, _, _ = plans.build_instance(camp, day, 7)
    (offered,) = [p for p in instance["patients"] if by_id[p["id"]].pk == referral.pk]
    assert offered["due"] == (follow_up - day).days
    second = _went(camp, [referral], day)
    transfers.record_outcome(second, patient=referral.patient, outcome="treatment_started", by=None)
    referral = _fresh(referral)
    assert (referral.status, referral.follow_up_due) == ("in_care", None)


def test_care_complete_closes_the_referral(camp: Site, make_referral: Callable[..., Referral]) -> None:
    referral = make_referral("P-1")
    trip = _went(camp, [referral])
    transfers.record_outcome(trip, patient=referral.patient, outcome="care_complete", by=None)
    referral = _fresh(referral)
    assert (referral.status, referral.closed_on, referral.get_status_display()) == ("treated", DAY, "care complete")
    assert referral.patient.status == "treated"
    closed = Entry.objects.get(type="referral.closed")
    assert (closed.payload["reason"], closed.payload["referral"]) == ("treated", referral.pk)
    with pytest.raises(Conflict, match="already recorded"):
        transfers.record_outcome(trip, patient=referral.patient, outcome="seen", by=None)


def test_closing_the_last_open_referral_of_a_patient_in_care_makes_their_care_complete(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    first, second = make_referral("P-1"), make_referral("P-1", specialty="cardiology")
    trip = _went(camp, [first])
    transfers.record_outcome(trip, patient=first.patient, outcome="admitted", by=None)
    register.close_referral(second, reason="withdrawn", on=DAY, by=None)
    assert _fresh(first).patient.status == "in_treatment"  # the first is still open: in care
    register.close_referral(first, reason="treated", on=DAY + dt.timedelta(days=3), by=None)
    assert _fresh(first).patient.status == "treated"
    # As the ledger's rule gives it when the closing is read again (corrections, docs/ledger.md).
    assert corrections._patient_status(_fresh(first).patient) == "treated"


def test_an_outcome_for_a_patient_recorded_dead_before_the_trips_day_is_refused(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    died, lived = make_referral("P-1"), make_referral("P-2")
    trip = _went(camp, [died, lived])
    deaths.record_death(died.patient, on=DAY - dt.timedelta(days=3), by=None, source="witness", certainty="probable")
    before = Entry.objects.count()
    with pytest.raises(InvalidInput, match="died on 2014-10-09") as refused:
        transfers.record_outcome(trip, patient=died.patient, outcome="seen", by=None)
    assert (refused.value.code, refused.value.field) == ("trip.patient_died_before", "patient")
    assert Entry.objects.count() == before and trip.passengers.get(patient=died.patient).outcome == "pending"
    transfers.record_outcome(trip, patient=lived.patient, outcome="seen", by=None)  # the others' visits go on
    # A death recorded on the day of the trip itself leaves the visit possible (seen, then died).
    late = make_referral("P-3")
    second = _went(camp, [late], DAY + dt.timedelta(days=1))
    deaths.record_death(late.patient, on=DAY + dt.timedelta(days=1), by=None, source="witness", certainty="confirmed")
    transfers.record_outcome(second, patient=late.patient, outcome="admitted", by=None)


def test_not_being_seen_leaves_the_referral_waiting(camp: Site, make_referral: Callable[..., Referral]) -> None:
    referral = make_referral("P-1")
    trip = _went(camp, [referral])
    transfers.record_outcome(trip, patient=referral.patient, outcome="not_seen_other", note="power cut", by=None)
    referral = _fresh(referral)
    assert (referral.status, referral.patient.status) == ("waiting", "waiting")
    assert Entry.objects.get(type="patient.not_seen").payload["referral_status"] == "waiting"


@pytest.mark.parametrize(
    ("outcome", "due", "message"),
    [
        ("follow_up", None, "give the date"),
        ("follow_up", DAY, "must be after the visit"),
        ("care_complete", DAY + dt.timedelta(days=5), "care goes on"),
        ("no_doctor", DAY + dt.timedelta(days=5), "care goes on"),
    ],
)
def test_an_impossible_follow_up_is_refused_naming_the_field_and_nothing_is_written(
    camp: Site, make_referral: Callable[..., Referral], outcome: str, due: dt.date | None, message: str
) -> None:
    referral = make_referral("P-1")
    trip = _went(camp, [referral])
    before = Entry.objects.count()
    with pytest.raises(InvalidInput, match=message) as refused:
        transfers.record_outcome(trip, patient=referral.patient, outcome=outcome, follow_up_due=due, by=None)
    assert refused.value.field == "follow_up_due"
    assert Entry.objects.count() == before and _fresh(referral).status == "waiting"
    assert trip.passengers.get().outcome == "pending"


def test_the_episode_indicators_equal_hand_computed_values(camp: Site, make_referral: Callable[..., Referral]) -> None:
    # Three P2 referrals of 1 September (due 60 days later or so) and one P1 referral of 1 October.
    a, b, c = (make_referral(f"P-{i}", referral_date=dt.date(2014, 9, 1)) for i in (1, 2, 3))
    d = make_referral("P-4", priority="P1", referral_date=dt.date(2014, 10, 1))
    first = _went(camp, [a, b, c, d], dt.date(2014, 10, 5))
    transfers.record_outcome(first, patient=a.patient, outcome="seen", by=None)  # diagnosis only
    transfers.record_outcome(first, patient=b.patient, outcome="treatment_started", by=None)
    transfers.record_outcome(
        first, patient=c.patient, outcome="follow_up", follow_up_due=dt.date(2014, 10, 20), by=None
    )
    transfers.record_outcome(first, patient=d.patient, outcome="no_doctor", by=None)
    second = _went(camp, [c, d], DAY)
    transfers.record_outcome(second, patient=c.patient, outcome="procedure_done", by=None)
    transfers.record_outcome(second, patient=d.patient, outcome="care_complete", by=None)

    values = catalogue.compute_all(
        Period(dt.date(2014, 10, 1), dt.date(2014, 10, 31), DAY), only=["episodes", "backlog"]
    ).values()
    # Treatment began: b on 5 Oct (34 days), c on 12 Oct (41 days), d on 12 Oct (11 days).
    assert values["episodes.treated"].value == 3
    assert values["episodes.treatment_days_median"].value == 34
    due = {r.pk: _fresh(r).due_date for r in (b, c, d)}
    within = sum(1 for r, day in ((b, dt.date(2014, 10, 5)), (c, DAY), (d, DAY)) if day <= due[r.pk])
    assert values["episodes.treated_within_deadline_rate"].value == pytest.approx(100 * within / 3)
    # In care at the end of the 12th: a (seen), b (treatment started), c (procedure done); d is complete.
    assert values["episodes.in_care"].value == 3
    assert values["backlog.waiting"].value == 0
    # On the 6th, c waited for its follow-up... as it stands today it does not, so it was in care then;
    # d had not been seen by then, so it was waiting.
    early = catalogue.compute_all(
        Period(dt.date(2014, 10, 1), dt.date(2014, 10, 31), dt.date(2014, 10, 6)), only=["episodes", "backlog"]
    ).values()
    assert (early["episodes.in_care"].value, early["backlog.waiting"].value) == (3, 1)
    assert early["episodes.treated"].value == 1


def test_the_dashboard_counts_follow_ups_as_waiting_and_the_seen_as_in_care(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    from corridor.web.views.dashboard import in_care_referrals, waiting_referrals

    a, b = make_referral("P-1"), make_referral("P-2")
    trip = _went(camp, [a, b])
    transfers.record_outcome(trip, patient=a.patient, outcome="admitted", by=None)
    transfers.record_outcome(
        trip, patient=b.patient, outcome="follow_up", follow_up_due=DAY + dt.timedelta(days=3), by=None
    )
    assert list(waiting_referrals(camp)) == [_fresh(b)]
    assert list(in_care_referrals(camp)) == [_fresh(a)]
    values = catalogue.compute_all(
        Period(dt.date(2014, 10, 1), dt.date(2014, 10, 31), DAY), only=["backlog", "episodes"]
    ).values()
    assert (values["backlog.waiting"].value, values["episodes.in_care"].value) == (1, 1)
    assert Patient.objects.get(code="P-2").status == "in_treatment"


def test_the_patient_and_trip_pages_show_the_follow_up_and_the_care_going_on(
    camp: Site, make_referral: Callable[..., Referral], client: Any, users: dict[str, Any], settings: Any
) -> None:
    settings.TODAY = DAY
    referral = make_referral("P-1")
    trip = _went(camp, [referral])
    transfers.record_outcome(
        trip, patient=referral.patient, outcome="follow_up", follow_up_due=DAY + dt.timedelta(days=21), by=None
    )
    client.force_login(users["monitor"])
    patient_page = client.get("/patients/P-1/").content.decode()
    # Waiting again, for the follow-up: by its own date, and not late although the first deadline has passed.
    assert 'follow-up by <time datetime="2014-11-02">' in patient_page and "days late" not in patient_page
    trip_page = client.get(f"/trips/{trip.pk}/").content.decode()
    assert 'seen, follow-up needed · follow-up by <time datetime="2014-11-02">' in trip_page


@pytest.mark.parametrize(
    ("language", "said"),
    [("fa", "باید پس از ویزیت (۲۰ مهر ۱۳۹۳ (۱۲ اکتبر ۲۰۱۴)) باشد"), ("ar", "يجب أن يكون بعد الزيارة (١٢ أكتوبر ٢٠١٤)")],
)
def test_a_follow_up_before_the_visit_is_refused_in_the_readers_language_with_its_date(
    camp: Site, make_referral: Callable[..., Referral], language: str, said: str
) -> None:
    referral = make_referral("P-1")
    trip = _went(camp, [referral])
    with pytest.raises(InvalidInput) as refused:
        transfers.record_outcome(trip, patient=referral.patient, outcome="follow_up", follow_up_due=DAY, by=None)
    assert refused.value.code == "follow_up.not_after_visit" and refused.value.values == {"visit": DAY}
    with translation.override(language):
        assert in_language(refused.value) == said
