"""The strong LP bound through its Lagrangian dual, and the facility scores that guide the search.

Relax "each patient travels at most once" with a price ``lam_i >= 0``. What is left splits by day:
choose the day's facility and take its best ``K_t`` patients by reduced value ``saving - lam``.
For one day that choice has the integrality property (for fixed y the best x is linear in y), so
the Lagrangian dual equals the facility-indexed LP relaxation with ``x[i,t,h] <= y[t,h]`` and
``sum_i x[i,t,h] <= K_t y[t,h]``: the same bound, computed in milliseconds per iteration instead of
one large LP. Every ``lam >= 0`` gives a valid bound, so stopping early is always safe.

Days that may visit several facilities are bounded by the sum of their best facilities' values,
which never undercuts the true day value, so the bound stays valid there too (just less tight).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from corridor.planning.arrays import Arrays, IntArray, Pattern, empty_pattern, fixed_savings

FloatArray = NDArray[np.float64]


@dataclass
class Dual:
    bound: float  # best valid lower bound on the objective found
    lam: FloatArray  # prices giving that bound
    value: FloatArray  # (T, H) reduced value of each facility-day at those prices; -inf if not allowed
    seconds: float
    iterations: int
    patterns: list[Pattern] = field(default_factory=list)  # the day choices met on the way


class Lagrangian:
    """Evaluates the dual function; holds the per-facility patient lists it needs."""

    def __init__(self, a: Arrays) -> None:
        self.a = a
        self.S = a.saving_matrix().astype(np.float64)
        fixed_th = a.fixed_by_facility()
        self.free = np.maximum(0, a.cap - fixed_th.sum(axis=1))
        self.forced = fixed_th > 0
        self.allowed = a.open & (a.maxfac > 0)[:, None] & ((self.free > 0)[:, None] | self.forced)
        self.kmax = max(1, int(self.free.max(initial=1)))
        self.members = [np.nonzero(a.active & a.elig[:, h])[0] for h in range(a.H)]
        self.const = float(a.base_cost - fixed_savings(a).sum())
        rank = np.arange(self.kmax)[:, None]
        self.rank_ok = rank < self.free[None, :]  # (kmax, T): rank r is a seat on day t
        self.columns = np.arange(a.T)[None, :]
        # What the day loop of evaluate() needs that does not depend on the prices, worked out once:
        # the days with a choice, how many facilities each takes, its forced facilities in order.
        self.choosable = self.allowed & ~self.forced
        self.days = [
            (t, int(a.maxfac[t]), np.nonzero(self.forced[t])[0])
            for t in range(a.T)
            if int(a.maxfac[t]) > 0 and self.allowed[t].any()
        ]

    def evaluate(self, lam: FloatArray) -> tuple[float, FloatArray, FloatArray, Pattern]:
        """Dual value L(lam) (an upper bound on total savings), its subgradient, the (T, H) facility
        values and the day choice that attains it."""
        a = self.a
        T = a.T
        value = np.full((T, a.H), -np.inf)
        picks: list[tuple[IntArray, NDArray[np.bool_]]] = []
        R = self.S - lam[:, None]
        columns = self.columns
        for h, members in enumerate(self.members):
            if len(members) == 0:
                value[self.allowed[:, h], h] = 0.0
                picks.append((members, np.zeros((0, T), dtype=bool)))
                continue
            V = np.maximum(R[members], 0.0)
            k = min(self.kmax, len(members))
            if k < len(members):
                top = np.argpartition(-V, k - 1, axis=0)[:k]
            else:
                top = np.broadcast_to(np.arange(len(members))[:, None], (k, T))
            # Indexing with the day of each column is what take_along_axis does, without its checks.
            topv = V[top, columns]
            order = np.argsort(-topv, axis=0)
            top = top[order, columns]
            topv = topv[order, columns]
            sel = self.rank_ok[:k] & (topv > 0)
            v = np.where(sel, topv, 0.0).sum(axis=0)
            value[:, h] = np.where(self.allowed[:, h], v, -np.inf)
            picks.append((members[top], sel))
        pattern = empty_pattern(a)
        total = float(lam.sum())
        # Each day's facilities by value, all days in one sort (each row is sorted as it would be alone).
        ranked = np.argsort(-value, axis=1)
        taken: list[IntArray] = []
        width = pattern.shape[1]
        for t, m, forced in self.days:
            row = ranked[t]
            rest = row[self.choosable[t, row]]
            chosen = (np.concatenate([forced, rest]) if len(forced) else rest)[: max(m, len(forced))]
            pattern[t, : min(len(chosen), width)] = chosen[:width]
            for h in chosen.tolist():
                # One addition at a time, in this order: the dual's steps depend on the last bit of it.
                total += max(0.0, float(value[t, h]))
                ids, sel = picks[h]
                if len(ids):
                    taken.append(ids[:, t][sel[:, t]])
        count = (np.bincount(np.concatenate(taken), minlength=a.n) if taken else np.zeros(a.n)).astype(np.float64)
        grad = 1.0 - count
        grad[~a.active] = 0.0
        return total, grad, value, pattern

    def bound_of(self, total: float) -> float:
        return max(0.0, math.ceil(self.const - total - 1e-6))


def solve_dual(
    a: Arrays,
    time_limit: float,
    upper: float | None = None,
    iterations: int = 400,
    on_pattern: Callable[[Pattern], float | None] | None = None,
    lag: Lagrangian | None = None,
    lam0: FloatArray | None = None,
) -> Dual:
    """Subgradient optimisation with Polyak steps towards the best known plan's cost ``upper``.

    The step factor starts at 2 and halves after 30 iterations without a better bound; halving
    sooner stalls far from the LP value on loaded instances.

    ``on_pattern`` is called with each new day choice (the Lagrangian heuristic); if it returns a
    plan cost lower than ``upper`` the step target tightens.
    """
    start = time.monotonic()
    lag = lag or Lagrangian(a)
    lam = np.zeros(a.n)
    if lam0 is not None:
        lam = lam0.copy()
    elif a.active.any():
        # Start from a price near the typical saving of the patients that will not fit.
        lam[a.active] = np.quantile(lag.S[a.active].max(axis=1), 0.5) * 0.5
    best_total, best_lam, best_value = math.inf, lam.copy(), np.zeros((a.T, a.H))
    theta, stall = 2.0, 0
    seen: set[bytes] = set()
    patterns: list[Pattern] = []
    it = 0
    for it in range(1, iterations + 1):  # noqa: B007 - reported below
        total, grad, value, pattern = lag.evaluate(lam)
        if total < best_total - 1e-9:
            best_total, best_lam, best_value, stall = total, lam.copy(), value, 0
        else:
            stall += 1
            if stall >= 30:
                theta, stall = theta / 2, 0
        key = pattern.tobytes()
        if key not in seen:
            seen.add(key)
            patterns.append(pattern)
            if on_pattern is not None:
                cost = on_pattern(pattern)
                if cost is not None and (upper is None or cost < upper):
                    upper = cost
        norm = float((grad * grad).sum())
        if norm < 1e-12 or theta < 1e-4 or time.monotonic() - start > time_limit:
            break
        target = lag.const - upper if upper is not None else 0.95 * total
        gap = max(total - target, 1e-3 * max(1.0, abs(total)))
        lam = np.maximum(0.0, lam - theta * gap / norm * grad)
    return Dual(lag.bound_of(best_total), best_lam, best_value, time.monotonic() - start, it, patterns)
