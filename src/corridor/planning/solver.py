"""The planner: constructive start, local search, then exact re-optimisation of windows of days.

1. Start from the better of ATC (look-ahead searched) and FIFO, patients re-placed by min-cost flow.
2. Local search over single days' facilities, screened by reduced values (:mod:`.search`).
3. Large neighbourhood search: free the facility choice of a window of consecutive days, hold every
   other day's facility, let *all* patients move, and solve that MILP exactly with HiGHS
   (:func:`corridor.planning.cpsat.window_milp`). Held days contribute one facility each, so the
   model stays small however large the instance; this is how big instances decompose instead of
   handing one huge model to a solver.
4. The second core first computes the strong LP bound (interior point), then solves windows of its
   own; its windows are merged into the current plan when they still improve it.

The Lagrangian dual gives a quick bound from the start; the LP bound replaces it when it is better.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from corridor.planning.arrays import Arrays, Pattern, assign, compile_instance, to_plan
from corridor.planning.baselines import LOOKAHEADS, _dispatch, atc_pattern
from corridor.planning.budget import Budget
from corridor.planning.cpsat import window_milp
from corridor.planning.lagrange import Dual, Lagrangian, solve_dual
from corridor.planning.lp import relax
from corridor.planning.model import Instance, Plan
from corridor.planning.search import local_search

# progress(elapsed seconds, best objective so far, best lower bound so far, phase)
Progress = Callable[[float, float, float, str], None]


@dataclass
class _State:
    a: Arrays
    pattern: Pattern
    cost: int
    bound: float
    start: float
    progress: Progress | None

    def offer(self, pattern: Pattern, phase: str) -> bool:
        cost = assign(self.a, pattern).cost
        if cost < self.cost:
            self.pattern, self.cost = pattern, cost
            self.report(phase)
            return True
        return False

    def report(self, phase: str) -> None:
        if self.progress is not None:
            self.progress(time.monotonic() - self.start, float(self.cost), self.bound, phase)


_WORKER_ARRAYS: Arrays | None = None


def _init_worker(a: Arrays) -> None:
    global _WORKER_ARRAYS
    _WORKER_ARRAYS = a


def _worker_relax(time_limit: float) -> tuple[float, bool]:
    assert _WORKER_ARRAYS is not None
    r = relax(_WORKER_ARRAYS, time_limit)
    return r.bound, r.optimal


def _worker_relax_exact(background: bool = False) -> tuple[float, bool]:
    assert _WORKER_ARRAYS is not None
    if background:
        # The windows' cores come first: the plan waits for them, only the bound waits for the LP.
        os.nice(19)
    r = relax(_WORKER_ARRAYS, math.inf)
    return r.bound, r.optimal


def _worker_window(pattern: Pattern, free: np.ndarray, time_limit: float) -> Pattern | None:
    assert _WORKER_ARRAYS is not None
    return window_milp(_WORKER_ARRAYS, pattern, free, time_limit)


def _worker_window_budgeted(
    pattern: Pattern, free: np.ndarray, nodes: int, seed: int, search: Search, cost: int
) -> Pattern | None:
    assert _WORKER_ARRAYS is not None
    return _budgeted_window(_WORKER_ARRAYS, pattern, free, nodes, seed, search, cost)


def _budgeted_window(
    a: Arrays, pattern: Pattern, free: np.ndarray, nodes: int, seed: int, search: Search, cost: int
) -> Pattern | None:
    return window_milp(
        a,
        pattern,
        free,
        math.inf,
        nodes=nodes,
        seed=seed,
        screen=search.screen,
        cost=cost,
        options=dict(search.window_options),
    )


# A window's MILP is stopped after this long; its incumbent is still used.
WINDOW_SECONDS = 2.0


def _windows(T: int, width: int, rng: np.random.Generator, focus: int | None = None) -> list[tuple[int, int]]:
    """One sweep of half-overlapping windows over the horizon, from a random offset; with ``focus``
    the sweep starts there (rolling planning: today's decision matters most)."""
    step = max(1, width // 2)
    if focus is not None:
        starts = list(range(focus, T, step))
        return [(s, min(T, s + width)) for s in starts]
    offset = int(rng.integers(0, step))
    starts = list(range(-offset, T, step))
    return [(max(0, s), min(T, s + width)) for s in starts if min(T, s + width) > max(0, s)]


def solve_arrays(
    a: Arrays,
    time_limit: float = 30.0,
    progress: Progress | None = None,
    *,
    workers: int = 2,
    seed: int = 0,
    window: int = 6,
    lp_bound: bool = True,
    start_pattern: Pattern | None = None,
    focus: int | None = None,
    lookahead: float = 2.0,
    budget: Budget | None = None,
) -> tuple[Pattern, int, float, dict[str, Any]]:
    """Best pattern within ``time_limit`` seconds; returns (pattern, objective, lower bound, stats).

    With ``budget`` the search is bounded by work instead (see :class:`Budget`; ``time_limit`` and
    ``seed`` are then ignored) and goes to :func:`solve_budgeted`.
    """
    if budget is not None:
        return solve_budgeted(
            a,
            budget,
            progress,
            workers=workers,
            lp_bound=lp_bound,
            start_pattern=start_pattern,
            focus=focus,
            lookahead=lookahead,
            window=window,
        )
    start = time.monotonic()
    deadline = start + time_limit
    rng = np.random.default_rng(seed)
    lag = Lagrangian(a)
    candidates, k = _candidates(a, start_pattern, lookahead)
    timed = time.monotonic()
    costs = [(assign(a, p).cost, name, p) for name, p in candidates]
    # Keep back time for the final placement and for taking the helper down, so the whole call
    # stays within the limit even on large instances.
    deadline -= 2 * (time.monotonic() - timed) / len(candidates) + 0.1
    polish = min(2.5, 0.08 * time_limit)  # final dual iterations when the LP is not solved
    deadline -= polish
    cost, name, pattern = min(costs, key=lambda c: c[0])
    state = _State(a, pattern, cost, 0.0, start, progress)
    state.report(f"start ({name})")
    stats: dict[str, Any] = {"start": name, "atc_lookahead": k, "windows": 0, "merged": 0}

    pool: ProcessPoolExecutor | None = None
    lp_done = False
    lp_future: Future[tuple[float, bool]] | None = None
    win_future: Future[Pattern | None] | None = None
    win_free: np.ndarray | None = None
    if workers > 1 and time_limit >= 2.0 and (os.cpu_count() or 1) > 1:
        try:
            ctx = multiprocessing.get_context("fork")
            pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_init_worker, initargs=(a,))
            # The LP takes about a second of CPU per 4,000 patient-day-facility columns; when it cannot
            # finish in most of the budget, the helper goes straight to windows and the Lagrangian
            # bound stands.
            columns = int((a.active[:, None] & a.elig).sum()) * a.T // 2
            if lp_bound and columns / 4000 < 0.6 * time_limit:
                lp_future = pool.submit(_worker_relax, max(0.5, 0.9 * time_limit - 0.5))
        except (ValueError, OSError):  # pragma: no cover - platforms without fork
            pool = None

    try:
        # A quick dual bound, its day choices tried as starts (Lagrangian heuristic), and a short local
        # search; with a budget of a second or less (daily re-planning) windows are the better use.
        if time_limit > 1.0:
            dual = solve_dual(a, min(0.05 * time_limit, 1.5), upper=float(state.cost), iterations=150, lag=lag)
            state.bound = dual.bound
            for p in dual.patterns[-5:]:
                state.offer(p, "lagrangian")
            ls = local_search(a, lag, state.pattern, min(deadline, time.monotonic() + 0.05 * time_limit))
            state.offer(ls.pattern, "local search")

        # Small windows solve in a fraction of a second and already fix most of a constructive plan;
        # a full sweep without improvement widens them.
        widths = [w for w in (window, window + window // 2, 2 * window) if w <= max(window, a.T)]
        level = 0
        overhead = 0.05  # time a window takes beyond its solver limit (building the model), largest seen
        while time.monotonic() < deadline - overhead and state.cost > state.bound:
            width = widths[level]
            before = state.cost
            for lo, hi in _windows(a.T, width, rng, focus):
                if time.monotonic() >= deadline - overhead or state.cost <= state.bound:
                    break
                free = np.zeros(a.T, dtype=bool)
                free[lo:hi] = True
                if pool is not None and lp_future is not None and lp_future.done():
                    bound, optimal = lp_future.result()
                    lp_done = lp_done or optimal
                    if optimal and bound > state.bound:
                        state.bound = bound
                        state.report("lp bound")
                    lp_future = None
                if pool is not None and lp_future is None:
                    if win_future is not None and win_future.done():
                        result = win_future.result()
                        if result is not None and win_free is not None:
                            merged = state.pattern.copy()
                            merged[win_free] = result[win_free]
                            if state.offer(merged, "window (core 2)"):
                                stats["merged"] += 1
                        win_future = None
                    if win_future is None:
                        # The other core takes the window half a horizon away, where it interacts least.
                        shift = (lo + a.T // 2) % a.T
                        win_free = np.zeros(a.T, dtype=bool)
                        win_free[shift : min(a.T, shift + width)] = True
                        left = deadline - time.monotonic()
                        win_future = pool.submit(
                            _worker_window,
                            state.pattern.copy(),
                            win_free,
                            min(WINDOW_SECONDS, max(0.1, left - 0.2)),
                        )
                left = deadline - time.monotonic()
                limit = min(WINDOW_SECONDS, max(0.05, left - overhead))
                began = time.monotonic()
                result = window_milp(a, state.pattern, free, limit)
                overhead = max(overhead, time.monotonic() - began - limit)
                stats["windows"] += 1
                if result is not None:
                    state.offer(result, "window")
            if state.cost >= before:
                level = min(level + 1, len(widths) - 1)
        if win_future is not None and win_free is not None:
            try:
                result = win_future.result(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - a late or failed helper never costs the plan
                result = None
            if result is not None:
                merged = state.pattern.copy()
                merged[win_free] = result[win_free]
                state.offer(merged, "window (core 2)")
        if lp_future is not None:
            try:
                bound, optimal = lp_future.result(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - an unfinished LP leaves the Lagrangian bound
                bound, optimal = 0.0, False
            lp_done = lp_done or optimal
            if optimal and bound > state.bound:
                state.bound = bound
        if not lp_done and time_limit > 1.0 and time.monotonic() < deadline + polish:
            # No LP bound: run the dual again, aiming at the final plan's cost and starting from the
            # prices that plan implies (each patient's saving in it), which converges far faster
            # than from zero on loaded instances.
            more = dual_from_plan(a, state.pattern, polish, lag)
            state.bound = max(state.bound, more.bound)
    finally:
        if pool is not None:
            # A helper still inside HiGHS would hold the core past the limit: stop it outright.
            helpers = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in helpers:
                proc.terminate()
    stats["seconds"] = round(time.monotonic() - start, 2)
    bound = min(state.bound, float(state.cost))
    return state.pattern, state.cost, bound, stats


def _candidates(a: Arrays, start_pattern: Pattern | None, lookahead: float) -> tuple[list[tuple[str, Pattern]], float]:
    """The constructive starts, named: ATC (look-ahead searched) and FIFO, or yesterday's plan; and the
    look-ahead ATC used."""
    candidates: list[tuple[str, Pattern]] = []
    # Re-planning from yesterday's plan needs no full look-ahead search: the windows matter more.
    lookaheads = (lookahead,) if start_pattern is not None else LOOKAHEADS
    atc_pat, _, k = atc_pattern(a, lookaheads)
    candidates.append(("atc", atc_pat))
    if start_pattern is None:
        order = np.argsort(a.release, kind="stable")
        priority = np.empty(a.n, dtype=np.int64)
        priority[order] = np.arange(a.n)
        candidates.append(("fifo", _dispatch(a, priority, 1.0)[0]))
    else:
        candidates.append(("previous", start_pattern))
    return candidates, k


def _start(a: Arrays, start_pattern: Pattern | None, lookahead: float) -> tuple[list[tuple[int, str, Pattern]], float]:
    """The constructive starts and their costs: ATC (look-ahead searched) and FIFO, or yesterday's plan."""
    candidates, k = _candidates(a, start_pattern, lookahead)
    return [(assign(a, p).cost, name, p) for name, p in candidates], k


def solve_budgeted(
    a: Arrays,
    budget: Budget,
    progress: Progress | None = None,
    *,
    workers: int = 2,
    lp_bound: bool = True,
    start_pattern: Pattern | None = None,
    focus: int | None = None,
    lookahead: float = 2.0,
    window: int = 6,
) -> tuple[Pattern, int, float, dict[str, Any]]:
    """The planner bounded by work: same steps as :func:`solve_arrays`, no clock in any decision.

    The plan depends only on ``a``, ``start_pattern``, ``focus`` and ``budget``. With ``workers`` > 1
    and ``lp_bound`` a helper process solves the strong LP to optimality meanwhile; the bound is
    reported as soon as it is known and stops the search only once the plan is proven optimal, which
    cannot change the plan (only strictly better plans are ever accepted). From budget version 2 a
    second helper solves the second window of each pair, and a bound the LP has not delivered by the
    end of the search is not waited for (the dual gives one instead): the plan stays the same, only
    the bound reported with it may be the LP's on one run and the dual's on another.
    """
    start = time.monotonic()
    rng = np.random.default_rng(budget.seed)
    lag = Lagrangian(a)
    costs, k = _start(a, start_pattern, lookahead)
    cost, name, pattern = min(costs, key=lambda c: c[0])
    state = _State(a, pattern, cost, 0.0, start, progress)
    state.report(f"start ({name})")
    stats: dict[str, Any] = {"start": name, "atc_lookahead": k, "windows": 0, "budget": budget.to_dict()}

    search = SEARCHES[budget.version]
    pool: ProcessPoolExecutor | None = None
    helper: ProcessPoolExecutor | None = None  # the second window of each pair, when pairs are solved
    lp_future: Future[tuple[float, bool]] | None = None
    lp_done = False
    if workers > 1 and (os.cpu_count() or 1) > 1:
        try:
            ctx = multiprocessing.get_context("fork")
            if lp_bound:
                pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_init_worker, initargs=(a,))
                lp_future = pool.submit(_worker_relax_exact, not search.wait_for_lp)
            if search.group > 1:
                helper = ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_init_worker, initargs=(a,))
        except (ValueError, OSError):  # pragma: no cover - platforms without fork
            pool = helper = None

    def take_lp(wait: bool) -> None:
        nonlocal lp_future, lp_done
        if lp_future is None or not (wait or lp_future.done()):
            return
        bound, optimal = lp_future.result()
        lp_future = None
        lp_done = optimal
        if optimal and bound > state.bound:
            state.bound = bound
            state.report("lp bound")

    try:
        if budget.dual_iterations > 0:
            dual = solve_dual(a, math.inf, upper=float(state.cost), iterations=budget.dual_iterations, lag=lag)
            state.bound = dual.bound
            for p in dual.patterns[-5:]:
                state.offer(p, "lagrangian")
        if budget.search_rounds > 0:
            ls = local_search(a, lag, state.pattern, math.inf, max_rounds=budget.search_rounds)
            state.offer(ls.pattern, "local search")
        if search.own_width:
            window = max(1, budget.window_width)
        widths = [w for w in (window, window + window // 2, 2 * window) if w <= max(window, a.T)]
        widest = len(widths) - 1
        level, stalled = 0, 0
        # A count of sweeps, not of seconds, ends the search when the widest windows stop paying.
        while stats["windows"] < budget.windows and state.cost > state.bound and stalled < budget.stall_sweeps:
            before = state.cost
            for group in search.groups(_windows(a.T, widths[level], rng, focus)):
                take_lp(wait=False)
                if stats["windows"] >= budget.windows or state.cost <= state.bound:
                    break
                _window_group(a, state, budget, search, group, helper, stats)
            stalled = stalled + 1 if state.cost >= before and level == widest else 0
            if search.widen_every_sweep or state.cost >= before:
                level = min(level + 1, widest)
        take_lp(wait=search.wait_for_lp)
        if not lp_done and budget.polish_iterations > 0:
            if search.polish_from_plan:
                more = dual_from_plan(a, state.pattern, math.inf, lag, iterations=budget.polish_iterations)
            else:
                more = solve_dual(a, math.inf, upper=float(state.cost), iterations=budget.polish_iterations, lag=lag)
            state.bound = max(state.bound, more.bound)
    finally:
        for executor in (pool, helper):
            if executor is not None:
                helpers = list((getattr(executor, "_processes", None) or {}).values())
                executor.shutdown(wait=False, cancel_futures=True)
                for proc in helpers:
                    proc.terminate()
    stats["seconds"] = round(time.monotonic() - start, 2)
    return state.pattern, state.cost, min(state.bound, float(state.cost)), stats


@dataclass(frozen=True)
class Search:
    """How a budget version solves a sweep's windows, and what it does around them. A recorded plan
    replays with its version's search, so an entry here never changes once plans were recorded with it."""

    group: int  # windows solved from the same plan: 1 one after another, 2 in pairs half a sweep apart
    screen: bool  # each window's LP first (see :func:`window_milp`)
    own_width: bool  # the first windows are ``Budget.window_width`` days wide, not the caller's width
    widen_every_sweep: bool  # else only after a sweep without a gain
    wait_for_lp: bool  # else a bound the LP has not delivered by the end is left to the dual
    polish_from_plan: bool  # the final dual starts from the plan's prices, else from zero
    window_options: tuple[tuple[str, bool | int | float], ...] = ()  # HiGHS options of each window's MILP

    def groups(self, sweep: list[tuple[int, int]]) -> list[tuple[tuple[int, int], ...]]:
        """The sweep's windows in the groups solved together; a pair's two windows lie half a sweep
        apart, where they interact least."""
        if self.group == 1:
            return [(w,) for w in sweep]
        half = (len(sweep) + 1) // 2
        return [(sweep[k], sweep[k + half]) if k + half < len(sweep) else (sweep[k],) for k in range(half)]


# Version 1 waited for the LP, which on a loaded 450-patient instance takes several times the search.
# Version 2 widens every sweep: on loaded instances the narrow windows stop paying after a sweep, and
# the widest find the most (waiting for a sweep without a gain cost twice the work for the same plan
# on the 450-patient benchmark). Its final dual starts from zero: on that instance 1,000 iterations
# reach 120 that way and under 90 from the plan's own prices.
# Version 3 is version 2 without HiGHS's restart after the root node's presolve in each window's MILP: a
# window's model is small and starts from the current plan, and the restart solved the root again for
# little. On the demo camp's plans the same plans came in about a fifth less CPU time (docs/planning.md).
# Leaving out RINS and RENS too halved that time but made loaded-450's plan 146 instead of 138.
# Pairing windows close in time instead (two windows or a quarter of a sweep apart), so that a pair's two
# take about as long as each other, saved 5 to 8 % of the wall time on loaded-450 but made its plan 142 and
# 141: the later days' windows, which cost several times the others, then interact within a pair.
SEARCHES: dict[int, Search] = {
    1: Search(group=1, screen=False, own_width=False, widen_every_sweep=False, wait_for_lp=True, polish_from_plan=True),
    2: Search(group=2, screen=True, own_width=True, widen_every_sweep=True, wait_for_lp=False, polish_from_plan=False),
    3: Search(
        group=2,
        screen=True,
        own_width=True,
        widen_every_sweep=True,
        wait_for_lp=False,
        polish_from_plan=False,
        window_options=(("mip_allow_restart", False),),
    ),
}


def _window_group(
    a: Arrays,
    state: _State,
    budget: Budget,
    search: Search,
    group: tuple[tuple[int, int], ...],
    helper: ProcessPoolExecutor | None,
    stats: dict[str, Any],
) -> None:
    """Solve a group's windows from the current plan and keep what improves it, in the group's order.
    All start from the same plan whether one core or two solve them, so the plan does not depend on
    ``helper``: only the seconds do."""
    base = state.pattern.copy()
    frees = []
    for lo, hi in group:
        free = np.zeros(a.T, dtype=bool)
        free[lo:hi] = True
        frees.append(free)
    nodes, seed, cost = budget.window_nodes, budget.seed, state.cost
    later: Future[Pattern | None] | None = None
    if helper is not None and len(frees) == 2:
        later = helper.submit(_worker_window_budgeted, base, frees[1], nodes, seed, search, cost)
    stats["windows"] += len(frees)
    first = _budgeted_window(a, base, frees[0], nodes, seed, search, cost)
    if len(frees) == 1 and not search.screen:
        # The first search offered a window's own pattern as it came back.
        if first is not None:
            state.offer(first, "window")
        return
    # The first window's result is offered while the second is still being solved: it is offered
    # first either way, and the second is merged into whatever plan that leaves.
    _merge(state, frees[0], first)
    if len(frees) == 2:
        second = later.result() if later is not None else _budgeted_window(a, base, frees[1], nodes, seed, search, cost)
        _merge(state, frees[1], second)


def _merge(state: _State, free: np.ndarray, result: Pattern | None) -> None:
    """Offer the plan with ``free``'s days taken from a window's ``result``."""
    if result is not None:
        merged = state.pattern.copy()
        merged[free] = result[free]
        state.offer(merged, "window")


def dual_from_plan(
    a: Arrays, pattern: Pattern, seconds: float, lag: Lagrangian | None = None, *, iterations: int = 5000
) -> Dual:
    """The Lagrangian bound, aimed at ``pattern``'s cost and started from the prices it implies
    (each patient's saving in it); from there it converges far faster than from zero."""
    lag = lag or Lagrangian(a)
    final = assign(a, pattern)
    lam0 = np.zeros(a.n)
    planned = np.nonzero((final.day >= 0) & a.active)[0]
    lam0[planned] = lag.S[planned, final.day[planned]]
    return solve_dual(a, seconds, upper=float(final.cost), iterations=iterations, lag=lag, lam0=lam0)


def solve(
    instance: Instance,
    time_limit: float = 30.0,
    progress: Progress | None = None,
    *,
    workers: int = 2,
    seed: int = 0,
    budget: Budget | None = None,
) -> Plan:
    """The best plan found within ``time_limit`` seconds, or within ``budget``'s work (reproducible),
    with its objective and a proven lower bound."""
    a = compile_instance(instance)
    pattern, cost, bound, stats = solve_arrays(a, time_limit, progress, workers=workers, seed=seed, budget=budget)
    result = assign(a, pattern)
    plan = to_plan(a, pattern, result.day)
    plan.lower_bound = bound
    plan.meta.update(method="planner", **stats)
    return plan
