"""Two dispatching baselines: first come first served, and the ATC batching rule (BATC-II).

Both walk through the days once and decide each day from what is known that day, like a coordinator
without a planner would. Fixed appointments that can be kept are seated first and fix their day's
facility.
"""

from __future__ import annotations

import math

import numpy as np

from corridor.planning.arrays import Arrays, IntArray, Pattern, compile_instance, empty_pattern, to_plan
from corridor.planning.model import Instance, Plan

# Look-ahead values tried by :func:`atc`; in days of slack, since a trip takes one day.
LOOKAHEADS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 40.0)


def _seat_fixed(a: Arrays) -> tuple[Pattern, IntArray, IntArray]:
    pattern = empty_pattern(a)
    day = np.where(a.fixed_day >= 0, a.fixed_day, -1)
    seats = a.cap - a.fixed_seats()
    return pattern, day, seats


def _dispatch(a: Arrays, priority: np.ndarray | None, lookahead: float) -> tuple[Pattern, IntArray]:
    """Shared day loop: each day pick facilities by batch value, then the best patients there.

    With ``priority`` (a fixed order, lower first) the batch is led by the first waiting patient in
    that order: FIFO. Otherwise the ATC index ``w * exp(-slack / lookahead)`` ranks patients and a
    facility's batch value is the sum of the indices of the best ``K`` patients it could take (BATC).
    """
    pattern, day, seats = _seat_fixed(a)
    waiting = day < 0
    for t in range(a.T):
        if a.maxfac[t] <= 0 or seats[t] <= 0:
            continue
        ready = waiting & (a.release <= t)
        room = max(0, int(a.maxfac[t]) - int((pattern[t] >= 0).sum()))
        slots = [k for k in range(a.fmax) if pattern[t, k] < 0][:room]
        # Days whose facility is forced by an appointment fill its remaining seats first.
        forced = [int(h) for h in pattern[t] if h >= 0]
        if priority is None:
            slack = np.maximum(a.due - t, 0).astype(np.float64)
            index: np.ndarray = a.weight * np.exp(-slack / lookahead)
        else:
            index = -priority.astype(np.float64)
        for h in forced:
            seats[t] = _take(a, t, h, ready, index, seats[t], day)
        for k in slots:
            if seats[t] <= 0 or not ready.any():
                break
            candidates = [h for h in range(a.H) if a.open[t, h] and h not in pattern[t]]
            if not candidates:
                break
            if priority is None:
                best_h, best_value = -1, -math.inf
                for h in candidates:
                    vals = index[ready & a.elig[:, h]]
                    if len(vals) == 0:
                        continue
                    top = np.partition(vals, -min(len(vals), seats[t]))[-min(len(vals), seats[t]) :]
                    if top.sum() > best_value:
                        best_h, best_value = h, float(top.sum())
                if best_h < 0:
                    break
            else:
                order = np.nonzero(ready)[0]
                order = order[np.argsort(priority[order], kind="stable")]
                best_h = -1
                for i in order:
                    hs = [h for h in a.instance.patients[i].facilities]
                    opts = [h2 for h2 in (_fac(a, f) for f in hs) if h2 in candidates]
                    if opts:
                        best_h = opts[0]
                        break
                if best_h < 0:
                    break
            pattern[t, k] = best_h
            seats[t] = _take(a, t, best_h, ready, index, seats[t], day)
        waiting = day < 0
    return pattern, day


def _fac(a: Arrays, fid: str) -> int:
    return next(h for h, f in enumerate(a.instance.facilities) if f.id == fid)


def _take(a: Arrays, t: int, h: int, ready: np.ndarray, index: np.ndarray, seats: int, day: IntArray) -> int:
    """Seat the best-ranked ready patients eligible at ``h``; returns the seats left."""
    pool = np.nonzero(ready & a.elig[:, h])[0]
    if seats <= 0 or len(pool) == 0:
        return seats
    chosen = pool[np.argsort(-index[pool], kind="stable")[:seats]]
    day[chosen] = t
    ready[chosen] = False
    return seats - len(chosen)


def fifo(instance: Instance) -> Plan:
    """First referred, first out: each day goes where the longest-waiting patient can be seen and
    takes the next patients in referral order who are accepted there."""
    a = compile_instance(instance)
    order = np.argsort(np.array([p.release for p in instance.patients]), kind="stable")
    priority = np.empty(a.n, dtype=np.int64)
    priority[order] = np.arange(a.n)
    pattern, day = _dispatch(a, priority, 1.0)
    plan = to_plan(a, pattern, day)
    plan.meta["method"] = "fifo"
    return plan


def atc_pattern(a: Arrays, lookaheads: tuple[float, ...] = LOOKAHEADS) -> tuple[Pattern, IntArray, float]:
    """BATC-II with the look-ahead parameter searched over ``lookaheads``; the best run wins."""
    from corridor.planning.arrays import cost_of_days

    best: tuple[int, Pattern, IntArray, float] | None = None
    for k in lookaheads:
        pattern, day = _dispatch(a, None, k)
        cost = cost_of_days(a, day)
        if best is None or cost < best[0]:
            best = (cost, pattern, day, k)
    assert best is not None
    return best[1], best[2], best[3]


def atc(instance: Instance, lookaheads: tuple[float, ...] = LOOKAHEADS) -> Plan:
    """The ATC batching heuristic (BATC-II, Mönch et al. 2005) with its look-ahead searched."""
    a = compile_instance(instance)
    pattern, day, k = atc_pattern(a, lookaheads)
    plan = to_plan(a, pattern, day)
    plan.meta.update(method="atc", lookahead=k)
    return plan
