"""Daily plans from the register: proposed by the planner, recorded, accepted or changed with a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from conftest import DAY
from corridor.errors import InvalidInput, NotAllowed
from corridor.ledger.models import Entry
from corridor.planning.model import check_plan, load_instance
from corridor.register.models import Facility, Referral, Site
from corridor.transfers import plans
from corridor.transfers import services as transfers

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(make_referral: Callable[..., Referral]) -> list[Referral]:
    made = [make_referral(f"P-{i}", priority="P2", referral_date=DAY - dt.timedelta(days=20 - i)) for i in range(6)]
    made.append(make_referral("P-90", specialty="cardiology", priority="P1", referral_date=DAY))
    made.append(make_referral("P-91", specialty="ophthalmology", priority="P4", referral_date=DAY - dt.timedelta(5)))
    return made


def test_the_instance_follows_the_rules_in_force_and_the_register(camp: Site, waiting: list[Referral]) -> None:
    instance, by_id, approved, cancelled = plans.build_instance(camp, DAY, 14)
    parsed = load_instance(instance)  # the planner's own validation accepts it
    assert len(parsed.patients) == 8 and approved == [] and not cancelled
    assert all(d["capacity"] == 4 and d["max_facilities"] == 1 for d in instance["days"])
    urgent = next(p for p in instance["patients"] if p["id"] == "P-90")
    assert (urgent["due"], urgent["weight"], urgent["facilities"]) == (1, 10, ["H-3"])
    overdue = next(p for p in instance["patients"] if p["id"] == "P-0")
    assert overdue["due"] == -6  # referred 20 days ago with a 14-day deadline
    assert {f["id"]: f["closed_weekdays"] for f in instance["facilities"]}["H-2"] == [5, 6]


def test_a_proposed_plan_is_recorded_with_todays_trip_standby_and_explanations(
    camp: Site, waiting: list[Referral], users: dict[str, Any]
) -> None:
    entry = plans.propose_plan(site=camp, day=DAY, by=users["coordinator"], horizon_days=14)
    assert entry.type == "plan.proposed" and entry.recorded_by == "coordinator"
    payload = entry.payload
    trip = payload["trip"]
    assert trip is not None and 1 <= len(trip["patients"]) <= 4
    assert payload["objective"] >= (payload["lower_bound"] or 0)
    assert payload["explanations"] and all(e["sentence"] for e in payload["explanations"])
    assert {p["patient"] for p in payload["forecast"]} == {r.patient.code for r in waiting}
    instance, *_ = plans.build_instance(camp, DAY, 14)
    planned = {
        "format": "corridor-plan/1",
        "trips": [{"day": 0, "facility": trip["facility"], "patients": [p["id"] for p in trip["patients"]]}],
    }
    from corridor.planning.model import load_plan

    assert check_plan(load_instance(instance), load_plan(planned)) == []
    assert plans.latest_plan(camp, DAY) == entry


def test_accepting_the_plan_requests_its_trip_through_the_services(camp: Site, waiting: list[Referral]) -> None:
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14)
    trip = plans.accept_plan(entry, by=None)
    requested = Entry.objects.filter(type="trip.requested").get()
    assert requested.payload["plan"] == entry.seq
    assert trip.facility.code == entry.payload["trip"]["facility"]
    assert [p.patient.code for p in trip.passengers.all()] == [p["patient"] for p in entry.payload["trip"]["patients"]]


def test_changing_the_plan_needs_a_reason_and_is_checked_against_the_rules(camp: Site, waiting: list[Referral]) -> None:
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14)
    eyes = Facility.objects.get(code="H-2")
    five = [r for r in waiting if r.specialty == "oncology"][:5]
    too_many = plans.check_plan_change(entry, Facility.objects.get(code="H-1"), five)
    assert [p.code for p in too_many] == ["trip.over_patients_per_day"] and "allow: 4" in str(too_many[0])
    assert any("closed" in str(p) for p in plans.check_plan_change(entry, eyes, waiting[-1:]))  # Sunday
    with pytest.raises(InvalidInput) as caught:
        plans.accept_plan(entry, by=None, facility=Facility.objects.get(code="H-1"), referrals=five[:2])
    assert caught.value.field == "reason"
    trip = plans.accept_plan(
        entry,
        by=None,
        facility=Facility.objects.get(code="H-1"),
        referrals=five[:2],
        reason="two patients could not travel today",
    )
    change = Entry.objects.get(type="trip.manifest_changed")
    assert change.payload["reason"] == "two patients could not travel today"
    assert change.payload["trip"] == trip.pk and change.payload["changed_from_plan"] is True


def test_a_cancelled_trip_today_closes_today_in_the_next_plan(camp: Site, waiting: list[Referral]) -> None:
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14)
    trip = plans.accept_plan(entry, by=None)
    transfers.cancel_trip(trip, reason="none given", by=None)
    again = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14)
    assert again.payload["cancelled_today"] is True and again.payload["trip"] is None
    tomorrow = [f for f in again.payload["forecast"] if f["planned_date"] == (DAY + dt.timedelta(1)).isoformat()]
    assert tomorrow  # the waiting patients move to the next days


@pytest.mark.parametrize("role", ["clinician", "monitor", "auditor", "admin", "outsider"])
def test_only_coordinators_may_propose_or_accept_plans(
    camp: Site, waiting: list[Referral], users: dict[str, Any], role: str
) -> None:
    with pytest.raises(NotAllowed):
        plans.propose_plan(site=camp, day=DAY, by=users[role], horizon_days=14)
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14)
    with pytest.raises(NotAllowed):
        plans.accept_plan(entry, by=users[role])


def test_the_plan_assumes_the_recent_rates_of_referral_and_cancellation(camp: Site, waiting: list[Referral]) -> None:
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14)
    assumed = entry.payload["assumed"]
    # Seven of the eight referrals fall in the last 60 days (P-90 is referred today); no trip yet.
    assert assumed == {"arrival_rate": round(7 / 60, 3), "cancel_rate": 0.0}


def test_accepting_a_plan_for_a_day_the_rules_close_names_the_rule_rather_than_a_missing_trip(
    camp: Site, waiting: list[Referral]
) -> None:
    from corridor.register import services as register

    others = [d for d in range(7) if d != DAY.weekday()]  # trips on every weekday but this day's
    register.set_access_rules(
        site=camp,
        effective_from=DAY,
        max_patients_per_day=4,
        allowed_weekdays=others,
        by=None,
        source="official_statement",
        certainty="confirmed",
    )
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14)
    assert entry.payload["trip"] is None
    with pytest.raises(InvalidInput, match="the rules in force do not allow trips on") as refused:
        plans.accept_plan(entry, by=None)
    assert (refused.value.code, refused.value.field) == ("trip.day_not_allowed", "date")
