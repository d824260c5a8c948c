"""The instance format, the checker's rules and the objective."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from corridor.planning.model import (
    Plan,
    Trip,
    check_plan,
    instance_to_dict,
    load_instance,
    load_plan,
    objective,
    plan_to_dict,
)


def small() -> dict[str, Any]:
    return {
        "format": "corridor-planning-instance/1",
        "horizon_days": 5,
        "default_capacity": 2,
        "default_max_facilities": 1,
        "start_weekday": 0,
        "days": [{"day": 2, "capacity": 2, "max_facilities": 1, "closed": True}],
        "facilities": [{"id": "H1", "closed_weekdays": [1]}, {"id": "H2", "closed_weekdays": []}],
        "patients": [
            {"id": "A", "release": 0, "due": 0, "weight": 10, "facilities": ["H1"], "fixed": None},
            {"id": "B", "release": 1, "due": 3, "weight": 2, "facilities": ["H1", "H2"], "fixed": None},
            {
                "id": "C",
                "release": 0,
                "due": 9,
                "weight": 5,
                "facilities": ["H2"],
                "fixed": {"facility": "H2", "day": 3},
            },
        ],
    }


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["patients"][1].__setitem__("due", "soon"), "patients[1].due: must be a whole number"),
        (lambda d: d["patients"][0].__setitem__("weight", 0), "patients[0].weight: must be at least 1"),
        (
            lambda d: d["patients"][2].__setitem__("facilities", ["H9"]),
            "patients[2].facilities[0]: unknown facility",
        ),
        (lambda d: d.__setitem__("horizon_days", 2.5), "horizon_days: must be a whole number"),
        (lambda d: d["days"][0].__setitem__("day", 7), "days[0].day: must be below horizon_days"),
        (
            lambda d: d["facilities"][0].__setitem__("closed_weekdays", [8]),
            "facilities[0].closed_weekdays[0]",
        ),
        (lambda d: d.__setitem__("format", "other/1"), "format: must be"),
        (lambda d: d["patients"][1].__setitem__("id", "A"), "patients[1].id: 'A' is listed twice"),
        (
            lambda d: d["patients"][2]["fixed"].__setitem__("day", True),
            "patients[2].fixed.day: must be a whole number",
        ),
        (lambda d: d["patients"][0].pop("release"), "patients[0].release: is required"),
    ],
)
def test_a_malformed_instance_is_rejected_naming_the_field(edit: Any, message: str) -> None:
    data = small()
    edit(data)
    with pytest.raises(ValueError, match=r"^" + message.replace("[", r"\[").replace("]", r"\]")):
        load_instance(data)


def test_unlisted_days_take_the_defaults_and_the_json_form_round_trips() -> None:
    inst = load_instance(small())
    assert inst.days[0].capacity == 2 and not inst.days[0].closed
    assert inst.days[2].closed
    assert load_instance(instance_to_dict(inst)) == inst


def test_a_plan_keeping_every_rule_has_no_violation_and_its_cost_is_weighted_lateness() -> None:
    inst = load_instance(small())
    # A on day 0 (on time), B on day 4 (1 day late, weight 2), C fixed on day 3.
    plan = Plan([Trip(0, "H1", ("A",)), Trip(3, "H2", ("C",)), Trip(4, "H2", ("B",))])
    assert check_plan(inst, plan) == []
    assert objective(inst, plan) == 2


def test_a_patient_left_out_counts_as_travelling_on_the_horizon_end() -> None:
    inst = load_instance(small())
    plan = Plan([Trip(3, "H2", ("C",))])
    # A: weight 10, due 0, counted at day 5; B: weight 2, due 3, counted at day 5.
    assert objective(inst, plan) == 10 * 5 + 2 * 2


@pytest.mark.parametrize(
    ("trips", "code"),
    [
        ([Trip(2, "H2", ("B",))], "closed-day"),
        ([Trip(1, "H1", ("B",))], "closed-weekday"),
        ([Trip(0, "H2", ("A",))], "not-eligible"),
        ([Trip(0, "H1", ("B",))], "before-release"),
        ([Trip(0, "H1", ("A",)), Trip(1, "H2", ("A",))], "planned-twice"),
        ([Trip(4, "H2", ("A", "B", "C"))], "over-capacity"),
        ([Trip(0, "H1", ("A",)), Trip(0, "H2", ())], "too-many-facilities"),
        ([Trip(9, "H1", ("A",))], "day-outside-horizon"),
        ([Trip(0, "H7", ("A",))], "unknown-facility"),
        ([Trip(0, "H1", ("Z",))], "unknown-patient"),
        ([Trip(4, "H2", ("C",))], "fixed-not-kept"),
    ],
)
def test_each_broken_rule_is_reported_with_its_code(trips: list[Trip], code: str) -> None:
    inst = load_instance(small())
    fixed = [] if any("C" in t.patients for t in trips) else [Trip(3, "H2", ("C",))]
    codes = [v.code for v in check_plan(inst, Plan(trips + fixed))]
    assert code in codes


def test_a_wrong_stated_objective_is_a_violation() -> None:
    inst = load_instance(small())
    plan = Plan([Trip(3, "H2", ("C",))], objective=1.0)
    assert [v.code for v in check_plan(inst, plan)] == ["wrong-objective"]


def test_an_unkeepable_fixed_appointment_binds_nobody() -> None:
    data = small()
    data["patients"][2]["fixed"] = {"facility": "H2", "day": 2}  # day 2 is closed
    inst = load_instance(data)
    assert check_plan(inst, Plan([])) == []


def test_plans_round_trip_through_their_json_form() -> None:
    plan = Plan([Trip(3, "H2", ("C",)), Trip(0, "H1", ("A",))], objective=62.0, lower_bound=10.5)
    again = load_plan(copy.deepcopy(plan_to_dict(plan)))
    assert again.trips == sorted(plan.trips, key=lambda t: t.day)
    assert (again.objective, again.lower_bound) == (62.0, 10.5)


def test_a_malformed_plan_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"^trips\[0\]\.patients\[1\]"):
        load_plan(
            {"format": "corridor-plan/1", "trips": [{"day": 0, "facility": "H1", "patients": ["A", 3]}]}
        )
