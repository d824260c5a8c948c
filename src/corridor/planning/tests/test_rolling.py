"""Rolling re-planning: today's trip, standby, forecast and explanations."""

from __future__ import annotations

import json

from corridor.planning.generate import generate, generate_dict
from corridor.planning.model import Trip, check_plan
from corridor.planning.rolling import plan_today, situation


def test_today_gets_one_trip_within_capacity_and_the_forecast_covers_every_patient() -> None:
    inst = generate(30, horizon=10, facilities=3, seed=4, due_window=(0, 4))
    result = plan_today(inst, 2, time_limit=0.5)
    assert result.trip is not None and result.trip.day == 2
    assert len(result.trip.patients) <= inst.days[2].capacity
    assert {f.patient for f in result.forecast} == {p.id for p in inst.patients}
    assert all(t.day >= 2 for t in result.plan.trips)
    assert check_plan(situation(inst, 2), result.plan) == []


def test_standby_patients_are_not_on_todays_trip_and_can_go_there_today() -> None:
    inst = generate(40, horizon=8, facilities=2, seed=5, due_window=(0, 4))
    result = plan_today(inst, 1, time_limit=0.5)
    assert result.trip is not None
    patients = {p.id: p for p in inst.patients}
    for pid in result.standby:
        assert pid not in result.trip.patients
        assert result.trip.facility in patients[pid].facilities
        assert patients[pid].release <= 1


def test_approved_trips_are_kept_and_a_cancelled_today_gets_no_trip() -> None:
    inst = generate(30, horizon=10, facilities=3, seed=6, due_window=(0, 4))
    released = [p for p in inst.patients if p.release <= 3]
    target = released[0]
    approved = [Trip(3, target.facilities[0], (target.id,))]
    result = plan_today(inst, 2, approved, cancelled_today=True, time_limit=0.5)
    assert result.trip is None and not result.trips_today
    assert result.plan.day_of()[target.id] == 3


def test_patients_unavailable_today_are_not_planned_today() -> None:
    inst = generate(30, horizon=6, facilities=1, seed=8, due_window=(0, 3))
    everyone = [p.id for p in inst.patients]
    result = plan_today(inst, 0, unavailable_today=everyone, time_limit=0.3)
    assert result.trip is None


def test_the_result_is_plain_json_with_sentences_and_structured_explanations() -> None:
    data = generate_dict(25, horizon=6, facilities=2, seed=9, due_window=(0, 2))
    result = plan_today(data, 0, time_limit=0.3)
    out = json.loads(json.dumps(result.to_dict()))
    codes = {e["code"] for e in out["explanations"]}
    assert "bound" in codes and ("why-facility" in codes or "no-trip" in codes)
    assert out["sentences"] and all(isinstance(s, str) for s in out["sentences"])
    assert out["lower_bound"] <= out["objective"]


def test_expected_referrals_and_cancellations_shape_todays_trip_but_never_the_rules() -> None:
    inst = generate(40, horizon=12, facilities=3, seed=11, due_window=(0, 5), closed_weekdays=1)
    history = list(inst.patients)
    result = plan_today(inst, 3, time_limit=0.5, arrival_rate=3.0, history=history, cancel_rate=0.1, seed=1)
    assert result.plan.meta["today_decided_by"] == "scenarios"
    assert result.trip is not None and len(result.trip.patients) <= inst.days[3].capacity
    # Only waiting patients are planned; sampled referrals never leak into the result.
    assert {pid for t in result.plan.trips for pid in t.patients} <= {p.id for p in inst.patients}
    assert check_plan(situation(inst, 3), result.plan) == []
    assert result.lower_bound is not None and result.lower_bound <= result.objective


def test_yesterdays_plan_seeds_todays_and_the_same_inputs_give_the_same_trip() -> None:
    inst = generate(30, horizon=10, facilities=3, seed=12, due_window=(0, 4))
    yesterday = plan_today(inst, 0, time_limit=0.3, arrival_rate=2.0, seed=3)
    first = plan_today(inst, 1, time_limit=0.3, previous=yesterday.plan, arrival_rate=2.0, seed=3)
    again = plan_today(inst, 1, time_limit=0.3, previous=yesterday.plan, arrival_rate=2.0, seed=3)
    assert first.trip == again.trip
    assert check_plan(situation(inst, 1), first.plan) == []
