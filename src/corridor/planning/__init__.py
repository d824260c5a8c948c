"""Day-level transfer planning: which facility each day and which patients, as few weighted days late
as possible. Pure Python, no Django; the register calls :func:`plan_today` and records its result.

Map of the package:

- ``model``      instances, plans, :func:`load_instance` (raises :class:`InstanceError`), :func:`check_plan`
                 (the rules, as :class:`Violation` s) and :func:`objective` (total weighted tardiness)
- ``arrays``     numpy view of an instance; exact patient placement for fixed facilities (min-cost flow)
- ``baselines``  :func:`fifo` (referral order) and :func:`atc` (BATC-II, look-ahead searched)
- ``lp``         the strong facility-indexed LP relaxation and MILP (HiGHS)
- ``bounds``     :func:`lower_bound`: the best of the LP and its Lagrangian dual
- ``lagrange``   the same bound through its Lagrangian dual, fast; reduced values guide the search
- ``cpsat``      whole-model CP-SAT and HiGHS MILP runs, and the exact window sub-problem
- ``search``     local search over each day's facility
- ``solver``     :func:`solve`: start, local search, window MILPs on two cores, bound
- ``rolling``    :func:`plan_today`: today's trip, standby list, forecast, explanations
- ``rollout``    today's trip chosen across sampled futures (referrals arriving, trips cancelled)
- ``explain``    plain-English explanations with structured fields
- ``generate``   the seeded benchmark and test instance generator
- ``cli``        ``corridor plan solve | check | bound``

Heavy modules load on first use, so importing this package does not pull in the solvers.
"""

from __future__ import annotations

import importlib
from typing import Any

from corridor.planning.model import (
    Instance,
    InstanceError,
    Plan,
    Trip,
    Violation,
    check_plan,
    instance_to_dict,
    load_instance,
    load_plan,
    objective,
    plan_to_dict,
)

_LAZY = {
    "solve": "corridor.planning.solver",
    "fifo": "corridor.planning.baselines",
    "atc": "corridor.planning.baselines",
    "plan_today": "corridor.planning.rolling",
    "RollingPlan": "corridor.planning.rolling",
    "lower_bound": "corridor.planning.bounds",
}

__all__ = [
    "Instance",
    "InstanceError",
    "Plan",
    "RollingPlan",
    "Trip",
    "Violation",
    "atc",
    "check_plan",
    "fifo",
    "instance_to_dict",
    "load_instance",
    "load_plan",
    "lower_bound",
    "objective",
    "plan_to_dict",
    "plan_today",
    "solve",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'corridor.planning' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
