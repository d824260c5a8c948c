"""A corrected or retracted visit outcome changes the passenger's, the referral's and the patient's rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from corridor.errors import InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.ledger.tests.ledgers import corrected
from corridor.register.models import Referral, Site
from corridor.transfers import corrections, deaths
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip, TripPassenger
from corridor.transfers.tests.journeys import at_the_hospital

pytestmark = pytest.mark.django_db
VISITED_ON = dt.date(2014, 9, 8)


def _seen(camp: Site, make_referral: Callable[..., Referral], outcome: str, **extra: Any) -> tuple[Referral, Entry]:
    referral = make_referral("P-9", referral_date=dt.date(2014, 9, 1))
    trip = at_the_hospital(camp, referral, VISITED_ON)
    transfers.record_outcome(trip, patient=referral.patient, outcome=outcome, by=None, **extra)
    return referral, Entry.objects.get(type__in=("patient.seen", "patient.not_seen"))


def _fix(entry: Entry, *, retract: bool = False, **changes: Any) -> Entry:
    return corrected(
        entry, changes, by="coordinator", reason="the hospital's discharge letter says otherwise", retract=retract
    )


def _rows(referral: Referral) -> tuple[Any, ...]:
    """(the passenger's outcome and follow-up, the referral's status, follow-up and closing, the patient's status)"""
    fresh = Referral.objects.select_related("patient").get(pk=referral.pk)
    place = TripPassenger.objects.get(referral=referral, removed=False)
    return place.outcome, place.follow_up_due, fresh.status, fresh.follow_up_due, fresh.closed_on, fresh.patient.status


def _standing_closings() -> list[Entry]:
    return [
        e
        for e in Entry.objects.filter(type="referral.closed").order_by("seq")
        if not Entry.objects.filter(type="entry.retracted", corrects=e.seq).exists()
    ]


def test_a_retracted_care_complete_reopens_the_referral_and_the_outcome_can_be_recorded_again(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral, visit = _seen(camp, make_referral, "care_complete")
    (closing,) = _standing_closings()
    assert _rows(referral) == ("care_complete", None, "treated", None, VISITED_ON, "treated")
    _fix(visit, retract=True)
    assert _rows(referral) == ("pending", None, "waiting", None, None, "waiting")
    # The closing the visit wrote is withdrawn too, naming the visit, on the correction's word.
    withdrawn = Entry.objects.get(type="entry.retracted", corrects=closing.seq)
    assert (withdrawn.recorded_by, withdrawn.payload["reason"]) == (
        "coordinator",
        corrections.NOT_COMPLETE.format(seq=visit.seq),
    )
    assert ledger.verify().ok
    transfers.record_outcome(Trip.objects.get(), patient=referral.patient, outcome="admitted", by=None)
    assert _rows(referral) == ("admitted", None, "in_care", None, None, "in_treatment")


def test_care_complete_corrected_to_admitted_puts_the_referral_in_care_and_its_retraction_closes_it_again(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral, visit = _seen(camp, make_referral, "care_complete")
    fix = _fix(visit, outcome="admitted")
    assert _rows(referral) == ("admitted", None, "in_care", None, None, "in_treatment")
    assert _standing_closings() == []
    _fix(fix, retract=True)
    assert _rows(referral) == ("care_complete", None, "treated", None, VISITED_ON, "treated")
    (closing,) = _standing_closings()
    assert (closing.payload["reason"], closing.payload["closed_on"]) == ("treated", VISITED_ON.isoformat())
    assert ledger.verify().ok


def test_admitted_corrected_to_care_complete_closes_the_referral_with_its_own_closing(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral, visit = _seen(camp, make_referral, "admitted")
    assert _rows(referral) == ("admitted", None, "in_care", None, None, "in_treatment")
    fix = _fix(visit, outcome="care_complete")
    assert _rows(referral) == ("care_complete", None, "treated", None, VISITED_ON, "treated")
    (closing,) = _standing_closings()
    assert closing.seq == fix.seq + 1 and closing.recorded_by == "coordinator"


def test_an_outcome_corrected_to_a_follow_up_makes_the_referral_wait_for_it(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral, visit = _seen(camp, make_referral, "admitted")
    due = dt.date(2014, 10, 1)
    _fix(visit, outcome="follow_up", follow_up_due=due.isoformat())
    assert _rows(referral) == ("follow_up", due, "waiting", due, None, "in_treatment")


def test_a_retracted_visit_leaves_the_referral_and_the_patient_waiting_as_before_it(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral, visit = _seen(camp, make_referral, "admitted")
    _fix(visit, retract=True)
    assert _rows(referral) == ("pending", None, "waiting", None, None, "waiting")


def test_a_not_seen_corrected_to_seen_puts_the_referral_in_care(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral, visit = _seen(camp, make_referral, "no_doctor")
    assert _rows(referral) == ("no_doctor", None, "waiting", None, None, "waiting")
    _fix(visit, outcome="treatment_started")
    assert _rows(referral) == ("treatment_started", None, "in_care", None, None, "in_treatment")


def test_a_visit_whose_closing_was_retracted_alone_is_not_closed_again_by_a_later_correction(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral, visit = _seen(camp, make_referral, "care_complete")
    (closing,) = _standing_closings()
    _fix(closing, retract=True)
    assert _rows(referral) == ("care_complete", None, "waiting", None, None, "in_treatment")
    head = ledger.head()[0]
    _fix(visit, note="discharged with a letter")  # still "care complete": the retracted closing is not rewritten
    assert ledger.head()[0] == head + 1 and _standing_closings() == []
    _fix(visit, outcome="admitted")  # no longer complete: nothing left to retract, the referral is in care
    assert _rows(referral) == ("admitted", None, "in_care", None, None, "in_treatment")
    assert ledger.head()[0] == head + 2


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"outcome": "healed"}, "changes.outcome", "trip.unknown_outcome"),
        ({"outcome": "pending"}, "changes.outcome", "trip.unknown_outcome"),
        ({"outcome": "follow_up"}, "changes.follow_up_due", "follow_up.no_date"),
        ({"outcome": "follow_up", "follow_up_due": "2014-09-07"}, "changes.follow_up_due", "follow_up.not_after_visit"),
        ({"follow_up_due": "soon"}, "changes.follow_up_due", "date.not_iso"),
        ({"follow_up_due": "2014-10-01"}, "changes.follow_up_due", "follow_up.not_after_care"),
    ],
)
def test_an_unknown_outcome_or_a_follow_up_the_visit_cannot_have_is_refused_and_nothing_is_written(
    camp: Site, make_referral: Callable[..., Referral], changes: dict[str, Any], field: str, code: str
) -> None:
    referral, visit = _seen(camp, make_referral, "care_complete")
    before, head = _rows(referral), ledger.head()
    with pytest.raises(InvalidInput) as refused:
        _fix(visit, **changes)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert _rows(referral) == before and ledger.head() == head


def test_a_death_closing_the_referral_after_a_retracted_visit_reopens_it_waiting(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    referral, visit = _seen(camp, make_referral, "admitted")
    _fix(visit, retract=True)
    deaths.record_death(referral.patient, on=dt.date(2014, 9, 20), by=None, source="witness", certainty="probable")
    _fix(Entry.objects.get(type="patient.died"), retract=True)
    # The visit no longer stands: the referral goes back to waiting, not to the care the visit gave it.
    assert _rows(referral) == ("pending", None, "waiting", None, None, "waiting")
