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
