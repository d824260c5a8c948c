"""Plan and request for any day: the booked trips count, a used-up day proposes nothing and says why,
several requests may be pending at once, and a denial frees its seats for a new plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from conftest import DAY
from corridor.register import services as register
from corridor.register.models import Facility, Referral, Site
from corridor.transfers import plans
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip

pytestmark = pytest.mark.django_db
TOMORROW = DAY + dt.timedelta(days=1)
NEXT_WEEK = DAY + dt.timedelta(days=7)


@pytest.fixture(autouse=True)
def _clock(settings: Any) -> None:
    settings.TODAY = DAY  # Sunday 12 October 2014


@pytest.fixture
def waiting(make_referral: Callable[..., Referral]) -> list[Referral]:
    return [make_referral(f"P-{i}", priority="P2", referral_date=DAY - dt.timedelta(days=20 - i)) for i in range(10)]


def _propose(camp: Site, day: dt.date) -> Any:
    return plans.propose_plan(site=camp, day=day, by=None, horizon_days=14)


def _on_trips(status: tuple[str, ...] = plans.BOOKED) -> list[str]:
    return sorted(
        Trip.objects.filter(status__in=status)
        .filter(passengers__removed=False)
        .values_list("passengers__patient__code", flat=True)
    )


def test_a_second_proposal_on_a_used_day_proposes_nothing_and_says_why(camp: Site, waiting: list[Referral]) -> None:
    first = _propose(camp, DAY)
    trip = plans.accept_plan(first, by=None)
    assert first.payload["booked"]["used_up"] is False
    again = _propose(camp, DAY)
    assert again.payload["trip"] is None
    assert again.payload["booked"] == {
        "trips": [trip.code],
        "patients": len(first.payload["trip"]["patients"]),
        "facilities": [trip.facility.code],
        "used_up": True,
    }
    # Still used up once the trip has gone and come back: done trips count too.
    on = dt.datetime.combine(DAY, dt.time(5), tzinfo=dt.UTC)
    transfers.approve_trip(trip, by=None, at=on)
    transfers.record_gate_arrival(trip, at=on + dt.timedelta(hours=1), by=None)
    transfers.record_gate_release(trip, at=on + dt.timedelta(hours=2), by=None)
    transfers.record_hospital_arrival(trip, at=on + dt.timedelta(hours=3), by=None)
    transfers.record_return(trip, at=on + dt.timedelta(hours=6), by=None)
    after = _propose(camp, DAY)
    assert after.payload["trip"] is None and after.payload["booked"]["used_up"] is True


def test_proposals_for_tomorrow_and_next_week_are_requested_and_pending_at_once(
    camp: Site, waiting: list[Referral]
) -> None:
    tomorrow = plans.accept_plan(_propose(camp, TOMORROW), by=None)
    next_week = plans.accept_plan(_propose(camp, NEXT_WEEK), by=None)
    assert (tomorrow.date, next_week.date) == (TOMORROW, NEXT_WEEK)
    assert {tomorrow.status, next_week.status} == {Trip.Status.REQUESTED}
    on_both = _on_trips()
    assert len(on_both) == len(set(on_both))  # nobody is proposed for two pending trips
    # The instance for any other day leaves the booked patients out.
    instance, *_ = plans.build_instance(camp, DAY, 14)
    assert not {p["id"] for p in instance["patients"]} & set(on_both)


def test_a_proposal_never_exceeds_the_rules_counting_what_is_already_booked(
    camp: Site, waiting: list[Referral]
) -> None:
    later = DAY + dt.timedelta(days=3)
    register.set_access_rules(
        site=camp,
        effective_from=later,
        max_patients_per_day=4,
        max_escorts_per_day=2,
        max_facilities_per_day=2,
        by=None,
        source="publication",
        certainty="unverified",
    )
    booked = transfers.request_trip(
        site=camp, day=later, facility=Facility.objects.get(code="H-1"), referrals=waiting[:3], by=None
    )
    proposal = _propose(camp, later)
    trip = proposal.payload["trip"]
    assert proposal.payload["booked"]["patients"] == 3 and proposal.payload["booked"]["used_up"] is False
    assert trip is not None and len(trip["patients"]) <= 1  # 4 a day, 3 already booked
    assert not {p["patient"] for p in trip["patients"]} & {r.patient.code for r in waiting[:3]}
    plans.accept_plan(proposal, by=None)  # and the services agree: it fits
    assert Trip.objects.filter(date=later, status__in=plans.BOOKED).count() == 2
    assert booked.pk in Trip.objects.filter(date=later).values_list("pk", flat=True)
    assert _propose(camp, later).payload["booked"]["used_up"] is True


def test_replanning_after_a_denial_frees_the_seats_and_ranks_again(camp: Site, waiting: list[Referral]) -> None:
    trip = plans.accept_plan(_propose(camp, TOMORROW), by=None)
    assert _propose(camp, TOMORROW).payload["booked"]["used_up"] is True
    transfers.deny_trip(trip, reason="no reason given", by=None)
    again = _propose(camp, TOMORROW)
    assert again.payload["booked"]["used_up"] is False and again.payload["cancelled_today"] is False
    assert again.payload["trip"] is not None  # tomorrow's seats are free again
    second = plans.accept_plan(again, by=None)
    transfers.cancel_trip(second, reason="", cancelled_by="camp", by=None)
    assert _propose(camp, TOMORROW).payload["trip"] is not None


def test_the_day_strip_shows_each_coming_day_and_the_default_day_is_the_next_without_a_request(
    camp: Site, waiting: list[Referral]
) -> None:
    assert plans.next_day_to_plan(camp) == DAY
    today = plans.accept_plan(_propose(camp, DAY), by=None)
    tomorrow = plans.accept_plan(_propose(camp, TOMORROW), by=None)
    transfers.deny_trip(tomorrow, by=None)
    day_after = plans.accept_plan(_propose(camp, DAY + dt.timedelta(days=2)), by=None)
    transfers.approve_trip(day_after, by=None)
    strip = plans.day_strip(camp, DAY, 5)
    assert [d["state"] for d in strip] == ["requested", "denied", "approved", "open", "open"]
    assert strip[0]["trips"] == [today] and strip[0]["used_up"] is True
    assert plans.next_day_to_plan(camp) == TOMORROW  # denied: free to ask again
