"""Exact models handed whole to a solver: CP-SAT and the HiGHS MILP.

These are the "solver alone" baselines and the reference runs of the benchmark. On loaded
instances neither proves optimality in minutes, which is why :mod:`corridor.planning.solver`
decomposes instead; the solver still uses :func:`window_milp` on small windows of days.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import highspy
import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from corridor.planning.arrays import Arrays, Assignment, Pattern, assign, empty_pattern
from corridor.planning.lp import build, pattern_from_columns


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, report: Callable[[float, float], None] | None, const: int) -> None:
        super().__init__()
        self.report = report
        self.const = const

    def on_solution_callback(self) -> None:
        if self.report is not None:
            self.report(self.const - self.objective_value, self.const - self.best_objective_bound)


def cpsat_pattern(
    a: Arrays,
    time_limit: float,
    workers: int = 2,
    hint: Pattern | None = None,
    report: Callable[[float, float], None] | None = None,
    seed: int = 0,
) -> tuple[Pattern, float]:
    """Solve the full model with CP-SAT; returns the best pattern found and CP-SAT's proven bound."""
    T = a.T
    t_idx = np.arange(T)
    fixed_th = a.fixed_by_facility()
    free_cap = a.cap - fixed_th.sum(axis=1)
    allowed = a.open & (a.maxfac > 0)[:, None]
    savings = a.saving_matrix()
    mask = (
        a.active[:, None, None]
        & (t_idx[None, :] >= a.release[:, None])[:, :, None]
        & a.elig[:, None, :]
        & allowed[None, :, :]
        & (free_cap > 0)[None, :, None]
        & (savings > 0)[:, :, None]
    )
    xi, xt, xh = np.nonzero(mask)
    model = cp_model.CpModel()
    y: dict[tuple[int, int], cp_model.IntVar] = {}
    for t, h in zip(*np.nonzero(allowed), strict=True):
        var = model.new_bool_var(f"y{t}_{h}")
        y[int(t), int(h)] = var
        if fixed_th[t, h] > 0:
            model.add(var == 1)
    x = [model.new_bool_var(f"x{k}") for k in range(len(xi))]
    by_patient: dict[int, list[cp_model.IntVar]] = {}
    by_th: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    by_day: dict[int, list[cp_model.IntVar]] = {}
    for k, (i, t, h) in enumerate(zip(xi.tolist(), xt.tolist(), xh.tolist(), strict=True)):
        by_patient.setdefault(i, []).append(x[k])
        by_th.setdefault((t, h), []).append(x[k])
        by_day.setdefault(t, []).append(x[k])
        model.add_implication(x[k], y[t, h])
    for vars_ in by_patient.values():
        model.add_at_most_one(vars_)
    for (t, h), vars_ in by_th.items():
        model.add(sum(vars_) + int(fixed_th[t, h]) <= int(a.cap[t]) * y[t, h])
    for t, vars_ in by_day.items():
        model.add(sum(vars_) <= int(free_cap[t]))
    for t in range(T):
        ys = [y[t, h] for h in range(a.H) if (t, h) in y]
        if ys:
            model.add(sum(ys) <= int(a.maxfac[t]))
    model.maximize(
        sum(int(savings[i, t]) * x[k] for k, (i, t) in enumerate(zip(xi.tolist(), xt.tolist(), strict=True)))
    )
    if hint is not None:
        for (t, h), var in y.items():
            model.add_hint(var, int(h in hint[t]))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    const = a.base_cost - int(_fixed_savings(a))
    status = solver.solve(model, _Progress(report, const))
    pattern = empty_pattern(a)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        fill = (pattern >= 0).sum(axis=1)
        for (t, h), var in y.items():
            if solver.value(var) and h not in pattern[t] and fill[t] < a.fmax:
                pattern[t, fill[t]] = h
                fill[t] += 1
        bound = float(const - solver.best_objective_bound)
    else:
        bound = 0.0
    return pattern, max(0.0, bound)


def _fixed_savings(a: Arrays) -> int:
    from corridor.planning.arrays import fixed_savings

    return int(fixed_savings(a).sum())


def milp_pattern(
    a: Arrays, time_limit: float, threads: int = 1, report: Callable[[float, float], None] | None = None
) -> tuple[Pattern, float]:
    """Solve the full strong MILP with HiGHS; returns the incumbent's pattern and the dual bound."""
    m = build(a, integer=True, threads=threads)
    h = m.highs
    h.setOptionValue("time_limit", max(0.1, time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.run()
    info = h.getInfo()
    pattern = empty_pattern(a)
    if info.primal_solution_status == 2:  # feasible
        pattern = pattern_from_columns(m, np.asarray(h.getSolution().col_value))
    bound = float(m.const + info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else 0.0
    return pattern, max(0.0, bound)


def window_milp(
    a: Arrays,
    pattern: Pattern,
    free_days: NDArray[np.bool_],
    time_limit: float,
    *,
    nodes: int | None = None,
    seed: int = 0,
    screen: bool = False,
    cost: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> Pattern | None:
    """Re-choose the facilities of ``free_days`` optimally (all patients may move), others held.

    Returns the improved pattern, or None when HiGHS found nothing within ``time_limit``. With
    ``nodes`` (and an infinite ``time_limit``) HiGHS stops after that many branch-and-bound nodes
    instead: one thread and a fixed seed make the result the same on any machine.

    With ``screen`` the window's LP relaxation is solved first (a tenth of the MILP's time): when its
    bound cannot beat the current plan the MILP is skipped, and when its facility choice is already
    integral it is the answer. On a loaded instance most windows of a sweep end at the LP, which is
    what pays for more and wider windows within the same work. ``cost``, when the caller knows it, is
    ``pattern``'s cost: the placement of its patients is then only worked out for the MILP's warm start.
    ``options`` are HiGHS options for the MILP (a search version's, :data:`corridor.planning.solver.SEARCHES`).
    """
    start = time.monotonic()
    m = build(a, integer=not screen, pattern=pattern, free_days=free_days)
    h = m.highs
    current: Assignment | None = None
    if cost is None:
        current = assign(a, pattern)
        cost = current.cost
    if screen:
        h.setOptionValue("solver", "simplex")
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        # Plans cost whole numbers: an LP value above current - 1 means no better plan here.
        if math.ceil(m.const + h.getInfo().objective_function_value - 1e-6) >= cost:
            return None
        col = np.asarray(h.getSolution().col_value)
        ys = col[m.nx :]
        if np.all(np.abs(ys - np.round(ys)) < 1e-6):
            return pattern_from_columns(m, col)
        ny = len(m.yt)
        h.changeColsIntegrality(
            ny, np.arange(m.nx, m.nx + ny, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * ny)
        )
        h.setOptionValue("solver", "choose")
        # Plans cost whole numbers: a proof within less than one unit is a proof of optimality.
        h.setOptionValue("mip_abs_gap", 0.99)
    if math.isfinite(time_limit):
        h.setOptionValue("time_limit", max(0.05, time_limit - (time.monotonic() - start)))
    if nodes is not None:
        h.setOptionValue("mip_max_nodes", max(1, nodes))
        h.setOptionValue("random_seed", seed)
    for name, value in (options or {}).items():
        h.setOptionValue(name, value)
    # Warm start from the current pattern: its y as given, each planned patient at the first chosen
    # facility of their day that accepts them.
    if current is None:
        current = assign(a, pattern)
    chosen = np.zeros((a.T, a.H), dtype=bool)
    for k in range(pattern.shape[1]):
        ok = pattern[:, k] >= 0
        chosen[np.nonzero(ok)[0], pattern[ok, k]] = True
    col = np.zeros(m.nx + len(m.yt))
    col[m.nx :] = chosen[m.yt, m.yh]
    taken = np.zeros(a.n, dtype=bool)
    for c in np.nonzero((current.day[m.xi] == m.xt) & chosen[m.xt, m.xh])[0]:
        if not taken[m.xi[c]]:
            col[c] = 1.0
            taken[m.xi[c]] = True
    sol = highspy.HighsSolution()
    sol.col_value = col.tolist()
    h.setSolution(sol)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return None
    return pattern_from_columns(m, np.asarray(h.getSolution().col_value))
