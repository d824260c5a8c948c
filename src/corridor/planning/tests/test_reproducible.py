"""A plan bounded by work, not the clock: the same instance gives the same plan under any load."""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys

import pytest

from corridor.planning import cpsat, lagrange, search, solver
from corridor.planning.budget import ALGORITHM, Budget
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


def test_a_second_core_does_not_change_the_plan() -> None:
    # It solves the second window of each pair from the same plan the first core starts from, and
    # the LP, whose bound arrives whenever it arrives: only the reported bound may depend on it.
    inst = instance()
    one, two = (solver.solve(inst, budget=BUDGET, workers=w) for w in (1, 2))
    assert (one.trips, one.objective) == (two.trips, two.objective)
    assert one.lower_bound is not None and two.lower_bound is not None and one.objective is not None
    assert max(one.lower_bound, two.lower_bound) <= one.objective


# A budget recorded before budgets had a version (the defaults of that time) and the plan it gave
# for this instance then: an old ledger entry must still replay byte for byte.
FIRST_BUDGET = {
    "seed": 3,
    "dual_iterations": 60,
    "search_rounds": 40,
    "windows": 12,
    "window_nodes": 50,
    "polish_iterations": 100,
    "stall_sweeps": 2,
}
FIRST_PLAN_SHA256 = "3c8dc10036ab38ed3e97970bd4c196d7ff6bf3978c3072631244d6469cbc2beb"


def test_a_budget_recorded_before_versions_still_runs_the_first_search() -> None:
    budget = Budget.from_dict(FIRST_BUDGET)
    assert budget.version == 1 and Budget().version == ALGORITHM >= 2
    inst = generate(120, horizon=30, seed=19, due_window=(1, 5))
    plan = solver.solve(inst, budget=budget, workers=1)
    assert hashlib.sha256(json.dumps(plan_to_dict(plan), sort_keys=True).encode()).hexdigest() == FIRST_PLAN_SHA256
    # The version is recorded from now on, so a budget read back runs the search it was recorded with.
    assert Budget.from_dict(Budget().to_dict()) == Budget()
    assert Budget.from_dict(budget.to_dict()).version == 1


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
