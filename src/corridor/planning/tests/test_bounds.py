"""Bounds never exceed the true optimum, and the planner finds it on instances small enough to enumerate."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.planning.arrays import assign, compile_instance, empty_pattern
from corridor.planning.bounds import lower_bound
from corridor.planning.generate import generate
from corridor.planning.lagrange import solve_dual
from corridor.planning.lp import relax
from corridor.planning.model import Instance
from corridor.planning.solver import solve

tiny = st.builds(
    generate,
    n=st.integers(1, 14),
    horizon=st.integers(1, 4),
    facilities=st.integers(1, 3),
    seed=st.integers(0, 10**6),
    capacity=st.integers(1, 3),
    due_window=st.just((0, 3)),
    fixed=st.integers(0, 2),
    closed_weekdays=st.integers(0, 2),
)


def optimum(inst: Instance) -> int:
    """Enumerate every choice of one facility a day; patients are then placed exactly."""
    a = compile_instance(inst)
    base = empty_pattern(a)
    options = [[int(base[t, 0])] if base[t, 0] >= 0 else [-1, *np.nonzero(a.open[t])[0].tolist()] for t in range(a.T)]
    best = None
    for choice in itertools.product(*options):
        pattern = base.copy()
        pattern[:, 0] = choice
        cost = assign(a, pattern).cost
        best = cost if best is None else min(best, cost)
    assert best is not None
    return best


@settings(max_examples=25, deadline=None)
@given(inst=tiny)
def test_no_bound_exceeds_the_enumerated_optimum_and_the_planner_reaches_it(inst: Instance) -> None:
    opt = optimum(inst)
    a = compile_instance(inst)
    lp = relax(a, 30)
    assert lp.optimal and lp.bound <= opt
    dual = solve_dual(a, 2.0, iterations=200)
    assert dual.bound <= lp.bound
    assert lower_bound(inst, 30) <= opt
    plan = solve(inst, 1.0, workers=1)
    assert plan.objective == opt


def test_the_lp_bound_is_far_above_zero_on_a_loaded_instance() -> None:
    # 60 patients for 20 seats: many must be left out, and the bound must see that.
    inst = generate(60, horizon=5, facilities=3, seed=7, due_window=(1, 3))
    a = compile_instance(inst)
    assert relax(a, 30).bound > 0.5 * solve(inst, 1.0, workers=1).objective  # type: ignore[operator]
