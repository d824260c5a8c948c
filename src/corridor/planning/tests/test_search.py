"""The pieces of the solver: exact placement, local search, window MILPs and the dual bound."""

from __future__ import annotations

import time

import numpy as np

from corridor.planning.arrays import (
    Arrays,
    IntArray,
    Pattern,
    assign,
    compile_instance,
    cost_of_days,
    empty_pattern,
)
from corridor.planning.baselines import atc_pattern
from corridor.planning.cpsat import window_milp
from corridor.planning.generate import generate
from corridor.planning.lagrange import Lagrangian, solve_dual
from corridor.planning.search import local_search


def loaded() -> tuple[Arrays, Pattern, IntArray]:
    inst = generate(120, horizon=20, facilities=5, seed=21, due_window=(1, 8), fixed=4, closed_weekdays=2)
    a = compile_instance(inst)
    pattern, day, _ = atc_pattern(a)
    return a, pattern, day


def test_exact_placement_never_costs_more_than_the_dispatch_it_replaces() -> None:
    a, pattern, day = loaded()
    assert assign(a, pattern).cost <= cost_of_days(a, day)


def test_local_search_only_improves_and_leaves_days_with_appointments_alone() -> None:
    a, pattern, _ = loaded()
    lag = Lagrangian(a)
    result = local_search(a, lag, pattern, time.monotonic() + 5.0)
    assert result.assignment.cost <= assign(a, pattern).cost
    assert result.assignment.cost == assign(a, result.pattern).cost
    forced = [t for t, facs in enumerate(a.forced()) if facs]
    assert forced and all((result.pattern[t] == pattern[t]).all() for t in forced)


def test_a_window_milp_changes_only_its_days_and_never_makes_the_plan_worse() -> None:
    a, pattern, _ = loaded()
    free = np.zeros(a.T, dtype=bool)
    free[4:10] = True
    better = window_milp(a, pattern, free, 10.0)
    assert better is not None
    assert (better[~free] == pattern[~free]).all()
    assert assign(a, better).cost <= assign(a, pattern).cost


def test_every_dual_iterate_bounds_every_plan() -> None:
    a, pattern, _ = loaded()
    dual = solve_dual(a, 2.0, iterations=50)
    assert 0 < dual.bound <= assign(a, pattern).cost
    assert dual.bound <= assign(a, empty_pattern(a)).cost
