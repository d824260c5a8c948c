"""Properties every planning method must keep, on many small random instances."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.planning.baselines import atc, fifo
from corridor.planning.generate import generate
from corridor.planning.model import Day, Instance, Plan, binding_appointments, check_plan, objective
from corridor.planning.rolling import plan_today
from corridor.planning.solver import solve

instances = st.builds(
    generate,
    n=st.integers(0, 18),
    horizon=st.integers(1, 9),
    facilities=st.integers(1, 4),
    seed=st.integers(0, 10**6),
    capacity=st.integers(0, 3),
    max_facilities=st.integers(1, 2),
    due_window=st.just((0, 6)),
    closed_days=st.integers(0, 2),
    closed_weekdays=st.integers(0, 3),
    fixed=st.integers(0, 4),
)

METHODS: dict[str, Callable[[Instance], Plan]] = {
    "fifo": fifo,
    "atc": atc,
    "planner": lambda inst: solve(inst, 0.3, workers=1),
    "rolling": lambda inst: plan_today(inst, 0, time_limit=0.2).plan,
}

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(inst=instances, method=st.sampled_from(sorted(METHODS)))
def test_every_plan_from_every_method_passes_the_checker_and_states_its_true_cost(inst: Instance, method: str) -> None:
    plan = METHODS[method](inst)
    assert check_plan(inst, plan) == []
    assert plan.objective == objective(inst, plan)


@SETTINGS
@given(inst=instances, method=st.sampled_from(["fifo", "atc", "planner"]))
def test_a_keepable_fixed_appointment_is_kept(inst: Instance, method: str) -> None:
    plan = METHODS[method](inst)
    where = {pid: (t.day, t.facility) for t in plan.trips for pid in t.patients}
    for pid, appt in binding_appointments(inst).items():
        assert where[pid] == (appt.day, appt.facility)


@SETTINGS
@given(inst=instances, day=st.integers(0, 8), cut=st.integers(0, 2), method=st.sampled_from(sorted(METHODS)))
def test_closing_a_day_or_cutting_capacity_is_never_exceeded(inst: Instance, day: int, cut: int, method: str) -> None:
    day %= inst.horizon_days
    days = list(inst.days)
    days[day] = Day(days[day].capacity, days[day].max_facilities, True)
    other = (day + 1) % inst.horizon_days
    if other != day:
        days[other] = Day(min(cut, days[other].capacity), days[other].max_facilities, days[other].closed)
    changed = replace(inst, days=tuple(days))
    plan = METHODS[method](changed)
    assert all(t.day != day or not t.patients for t in plan.trips)
    if other != day:
        assert sum(len(t.patients) for t in plan.trips if t.day == other) <= changed.days[other].capacity


@settings(max_examples=10, deadline=None)
@given(inst=instances)
def test_the_planner_is_never_worse_than_atc_or_fifo(inst: Instance) -> None:
    best = solve(inst, 0.3, workers=1)
    assert best.objective is not None
    assert best.objective <= objective(inst, atc(inst))
    assert best.objective <= objective(inst, fifo(inst))
    assert best.lower_bound is not None and best.lower_bound <= best.objective
