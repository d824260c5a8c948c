"""``lower_bound``: the best proven bound within a time limit, from the LP or its Lagrangian dual."""

from __future__ import annotations

from corridor.planning.arrays import compile_instance
from corridor.planning.lagrange import solve_dual
from corridor.planning.lp import relax
from corridor.planning.model import Instance


def lower_bound(instance: Instance, time_limit: float = 300.0) -> float:
    """No plan for ``instance`` has a lower objective than this.

    The strong LP relaxation (solved exactly when it finishes within ``time_limit``) and its
    Lagrangian dual (valid at any point of its iterations) are both computed; the larger is returned.
    """
    a = compile_instance(instance)
    dual = solve_dual(a, min(10.0, time_limit / 4), iterations=600)
    lp = relax(a, time_limit)
    return max(dual.bound, lp.bound if lp.optimal else 0.0)
