"""``lower_bound``: the best proven bound within a time limit, from the LP or its Lagrangian dual;
``recorded_plan_relaxation``: the strong LP bound of a recorded daily plan, computed after it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import highspy

from corridor.planning.arrays import compile_instance
from corridor.planning.lagrange import solve_dual
from corridor.planning.lp import Relaxation, relax
from corridor.planning.model import Instance, load_instance
from corridor.planning.rolling import situation


def lower_bound(instance: Instance, time_limit: float = 300.0) -> float:
    """No plan for ``instance`` has a lower objective than this.

    The strong LP relaxation (solved exactly when it finishes within ``time_limit``) and its
    Lagrangian dual (valid at any point of its iterations) are both computed; the larger is returned.
    """
    a = compile_instance(instance)
    dual = solve_dual(a, min(10.0, time_limit / 4), iterations=600)
    lp = relax(a, time_limit)
    return max(dual.bound, lp.bound if lp.optimal else 0.0)


def recorded_plan_relaxation(
    instance: Mapping[str, Any], inputs: Mapping[str, Any], time_limit: float = 600.0
) -> Relaxation:
    """The strong LP relaxation of the problem a recorded daily plan's bound is about.

    That problem is the waiting patients' own (:func:`corridor.planning.rolling.plan_today` states its
    objective and bound for it): the recorded ``instance`` as it stands on ``inputs["today"]``, with
    the trips kept and today's cancellation applied, but without any trip chosen across sampled
    futures. Anyone holding the plan's ledger entry can recompute this from its ``planner`` part.
    ``optimal`` is False when HiGHS did not finish within ``time_limit`` seconds (then ``bound`` is 0).
    """
    current = situation(
        load_instance(dict(instance)),
        int(inputs["today"]),
        inputs.get("approved", ()),
        cancelled_today=bool(inputs.get("cancelled_today", False)),
    )
    return relax(compile_instance(current), time_limit)


def solver_name() -> str:
    """The LP solver and its version, as recorded beside a bound it computed."""
    return f"HiGHS {highspy.Highs().version()}"
