"""Iterated local search over each day's facility, patients placed exactly by min-cost flow.

A move gives one day another facility. Scoring every move exactly would take one flow per move, so
moves are screened first: with each patient priced at the saving they get in the current plan, the
reduced value of facility h on day t (the same computation as the Lagrangian dual, see
:mod:`corridor.planning.lagrange`) estimates what the move gains, and only the most promising few
are scored exactly. The search stops when none of the screened moves helps; the window MILPs of
:mod:`corridor.planning.solver` take over from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from corridor.planning.arrays import Arrays, Assignment, IntArray, Pattern, assign
from corridor.planning.lagrange import Lagrangian


@dataclass
class SearchResult:
    pattern: Pattern
    assignment: Assignment
    evaluations: int
    rounds: int


def _current_savings(a: Arrays, lag: Lagrangian, day: IntArray) -> np.ndarray:
    lam = np.zeros(a.n)
    planned = np.nonzero((day >= 0) & a.active)[0]
    lam[planned] = lag.S[planned, day[planned]]
    return lam


def _day_load(a: Arrays, lag: Lagrangian, day: IntArray) -> np.ndarray:
    load = np.zeros(a.T)
    planned = np.nonzero((day >= 0) & a.active)[0]
    np.add.at(load, day[planned], lag.S[planned, day[planned]])
    return load


def local_search(
    a: Arrays,
    lag: Lagrangian,
    pattern: Pattern,
    deadline: float,
    *,
    screen: int = 12,
    on_improve: Callable[[int], None] | None = None,
    max_rounds: int | None = None,
) -> SearchResult:
    """Improve ``pattern`` until no screened single-day move helps, ``deadline`` passes or
    ``max_rounds`` rounds are done (a work limit: the result then does not depend on the clock)."""
    current = assign(a, pattern, lag.S.astype(np.int64))
    S_int = lag.S.astype(np.int64)
    evals, rounds = 1, 0
    pattern = pattern.copy()
    movable = (a.maxfac > 0) & ~lag.forced.any(axis=1) & lag.allowed.any(axis=1)
    while time.monotonic() < deadline and (max_rounds is None or rounds < max_rounds):
        rounds += 1
        _, _, value, _ = lag.evaluate(_current_savings(a, lag, current.day))
        load = _day_load(a, lag, current.day)
        gain = value - load[:, None]
        # Only single-facility slot 0 moves; days with several facilities change one slot.
        cur = pattern[:, 0]
        has = cur >= 0
        gain[np.nonzero(has)[0], cur[has]] = -np.inf
        gain[~movable] = -np.inf
        gain[~lag.allowed] = -np.inf
        flat = np.argsort(-gain, axis=None)
        improved = False
        checked = 0
        for f in flat:
            t, h = divmod(int(f), a.H)
            if not np.isfinite(gain[t, h]) or checked >= screen or time.monotonic() >= deadline:
                break
            checked += 1  # noqa: SIM113 - counts only the moves actually scored
            trial = pattern.copy()
            trial[t, 0] = h
            result = assign(a, trial, S_int)
            evals += 1
            if result.cost < current.cost:
                pattern, current, improved = trial, result, True
                if on_improve is not None:
                    on_improve(current.cost)
                break
        if not improved:
            break
    return SearchResult(pattern, current, evals, rounds)
