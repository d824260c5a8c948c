"""A plan bounded by work, not the clock: the same instance gives the same plan under any load."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

from corridor.planning import cpsat, lagrange, search, solver
from corridor.planning.budget import Budget
from corridor.planning.generate import generate
from corridor.planning.model import Instance, check_plan, plan_to_dict
from corridor.planning.rolling import plan_today

# Small enough for a test, large enough that the windows and the local search both have work to do.
BUDGET = Budget(seed=3, dual_iterations=60, search_rounds=40, windows=12, window_nodes=50, polish_iterations=100)


def instance() -> Instance:
    return generate(120, horizon=30, seed=19)


def plan_bytes(inst: Instance, workers: int = 1) -> bytes:
    plan = solver.solve(inst, budget=BUDGET, workers=workers)
    assert check_plan(inst, plan) == []
    data = plan_to_dict(plan)
    return json.dumps(data, sort_keys=True).encode()


def test_the_same_instance_gives_the_identical_plan_with_another_cpu_heavy_process_running() -> None:
    quiet = plan_bytes(instance())
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        loaded = plan_bytes(instance())
        assert hog.poll() is None  # the other process really ran all along
    finally:
        hog.kill()
        hog.wait()
    assert loaded == quiet


def test_the_lp_bound_on_a_second_core_does_not_change_the_plan() -> None:
    # The helper's bound arrives whenever it arrives; only the reported bound may depend on it.
    assert plan_bytes(instance(), workers=2) == plan_bytes(instance(), workers=1)


def test_no_clock_reading_takes_part_in_a_budgeted_search(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = plan_bytes(instance())
    # Every reading of the clock jumps an hour: a deadline anywhere in the search would cut it short.
    ticks = itertools.count()
    for module in (solver, search, lagrange, cpsat):
        monkeypatch.setattr(module.time, "monotonic", lambda: 3600.0 * next(ticks))
    assert plan_bytes(instance()) == expected


def test_another_seed_or_budget_is_recorded_as_a_different_search() -> None:
    assert BUDGET.to_dict()["seed"] == 3
    assert Budget.from_dict(BUDGET.to_dict()) == BUDGET
    assert Budget.from_dict({**BUDGET.to_dict(), "windows": 5}) != BUDGET


def test_a_rolling_plan_with_a_budget_repeats_exactly_with_its_explanations() -> None:
    inst = generate(60, horizon=20, seed=8)
    first = plan_today(inst, 0, budget=BUDGET, arrival_rate=1.0, cancel_rate=0.1)
    again = plan_today(inst, 0, budget=BUDGET, arrival_rate=1.0, cancel_rate=0.1)
    assert first.trip is not None
    assert json.dumps(first.to_dict(), sort_keys=True) == json.dumps(again.to_dict(), sort_keys=True)
