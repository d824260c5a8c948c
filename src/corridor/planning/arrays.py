"""A numpy view of an instance and the exact patient assignment for a given choice of facilities.

Once each day's facilities are chosen, putting patients on days is a transportation problem
(patients supply one unit, days take up to their free seats, a patient-day arc exists when the
patient is released and eligible at one of the day's facilities) and its linear relaxation is
integral, so a min-cost flow solves it exactly. Every solver in this package therefore searches over
the *pattern* (facilities per day) and lets :func:`assign` place the patients.

Patients whose deadline is at or after the horizon cost nothing wherever they go; they are left out
of the optimisation ("inactive") and only fill seats nobody else can use.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from corridor.planning.model import Instance, Plan, Trip, binding_appointments

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass
class Arrays:
    """The instance as arrays; indices: i patients, t days, h facilities."""

    instance: Instance
    n: int
    T: int
    H: int
    fmax: int
    release: IntArray  # clipped to >= 0
    due: IntArray
    weight: IntArray
    elig: BoolArray  # (n, H)
    open: BoolArray  # (T, H): a trip to h on day t is allowed
    cap: IntArray  # (T,) seats, 0 on closed days
    maxfac: IntArray  # (T,) facilities allowed, 0 on closed days
    unplanned: IntArray  # (n,) cost when not planned
    fixed_day: IntArray  # (n,) -1 when no binding appointment
    fixed_fac: IntArray
    active: BoolArray  # (n,) not fixed and costs something when left out

    # Cost model: a patient travelling on day t costs late_cost(t); see with_risk. Defaults: the objective.
    scale: int = 1
    risk_share: int = 0
    risk_delay: int = 0

    @property
    def base_cost(self) -> int:
        return int(self.unplanned.sum())

    def late_cost(self, w: IntArray, d: IntArray, t: IntArray | int) -> IntArray:
        """Cost of travelling on day ``t`` in this cost model (the objective when not risk-adjusted)."""
        late = (self.scale - self.risk_share) * w * np.maximum(0, t - d)
        if self.risk_share:
            late = late + self.risk_share * w * np.maximum(0, np.asarray(t) + self.risk_delay - d)
        return np.asarray(np.minimum(late, self.scale * w * np.maximum(0, self.T - d)), dtype=np.int64)

    def saving_matrix(self) -> IntArray:
        """(n, T) cost avoided by travelling on day t rather than not at all; zero where the patient is
        not yet released or inactive."""
        t = np.arange(self.T)
        s = self.unplanned[:, None] - self.late_cost(self.weight[:, None], self.due[:, None], t[None, :])
        s = np.where(t[None, :] >= self.release[:, None], s, 0)
        s[~self.active] = 0
        return np.maximum(s, 0).astype(np.int64)

    def fixed_seats(self) -> IntArray:
        seats = np.zeros(self.T, dtype=np.int64)
        days = self.fixed_day[self.fixed_day >= 0]
        np.add.at(seats, days, 1)
        return seats

    def fixed_by_facility(self) -> IntArray:
        """(T, H) how many patients a binding appointment puts on day t at facility h."""
        counts = np.zeros((self.T, self.H), dtype=np.int64)
        fixed = np.nonzero(self.fixed_day >= 0)[0]
        np.add.at(counts, (self.fixed_day[fixed], self.fixed_fac[fixed]), 1)
        return counts

    def forced(self) -> list[set[int]]:
        """Facilities each day must include because of binding appointments."""
        out: list[set[int]] = [set() for _ in range(self.T)]
        for i in np.nonzero(self.fixed_day >= 0)[0]:
            out[int(self.fixed_day[i])].add(int(self.fixed_fac[i]))
        return out


def compile_instance(instance: Instance) -> Arrays:
    fac_index = {f.id: h for h, f in enumerate(instance.facilities)}
    n, T, H = len(instance.patients), instance.horizon_days, len(instance.facilities)
    elig = np.zeros((n, H), dtype=bool)
    for i, p in enumerate(instance.patients):
        elig[i, [fac_index[f] for f in p.facilities]] = True
    open_ = np.array([[instance.is_open(t, f) for f in instance.facilities] for t in range(T)], dtype=bool)
    open_ = open_.reshape(T, H)
    cap = np.array([d.capacity for d in instance.days], dtype=np.int64)
    maxfac = np.array([d.max_facilities for d in instance.days], dtype=np.int64)
    day_open = open_.any(axis=1)
    cap[~day_open] = 0
    maxfac[~day_open] = 0
    release = np.array([max(0, p.release) for p in instance.patients], dtype=np.int64).reshape(n)
    due = np.array([p.due for p in instance.patients], dtype=np.int64).reshape(n)
    weight = np.array([p.weight for p in instance.patients], dtype=np.int64).reshape(n)
    unplanned = weight * np.maximum(0, T - due)
    fixed_day = np.full(n, -1, dtype=np.int64)
    fixed_fac = np.full(n, -1, dtype=np.int64)
    index = {p.id: i for i, p in enumerate(instance.patients)}
    for pid, appt in binding_appointments(instance).items():
        fixed_day[index[pid]] = appt.day
        fixed_fac[index[pid]] = fac_index[appt.facility]
    active = (fixed_day < 0) & (unplanned > 0) & (release < T)
    return Arrays(
        instance,
        n,
        T,
        H,
        max(1, int(maxfac.max(initial=1))),
        release,
        due,
        weight,
        elig,
        open_,
        cap,
        maxfac,
        unplanned,
        fixed_day,
        fixed_fac,
        active,
    )


# A pattern is a (T, fmax) int array of facility indices per day, -1 for "no facility in this slot".
Pattern = IntArray


def empty_pattern(a: Arrays) -> Pattern:
    pattern = np.full((a.T, a.fmax), -1, dtype=np.int64)
    for t, facs in enumerate(a.forced()):
        for k, h in enumerate(sorted(facs)):
            pattern[t, k] = h
    return pattern


def reach(a: Arrays, pattern: Pattern) -> BoolArray:
    """(n, T): patient i could travel on day t under ``pattern`` (released, eligible, seat exists)."""
    mask = np.zeros((a.n, a.T), dtype=bool)
    for k in range(pattern.shape[1]):
        col = pattern[:, k]
        ok = col >= 0
        mask[:, ok] |= a.elig[:, col[ok]]
    mask &= np.arange(a.T)[None, :] >= a.release[:, None]
    return mask


@dataclass
class Assignment:
    cost: int
    day: IntArray  # (n,) day each patient travels, -1 if not planned


def assign(a: Arrays, pattern: Pattern, savings: IntArray | None = None) -> Assignment:
    """Optimal patients for a fixed pattern, by min-cost flow; fixed appointments stay where they are."""
    if savings is None:
        savings = a.saving_matrix()
    free = a.cap - a.fixed_seats()
    usable = (pattern >= 0).any(axis=1) & (free > 0)
    mask = reach(a, pattern) & (savings > 0) & usable[None, :]
    mask[~a.active] = False
    pi, pt = np.nonzero(mask)
    day = np.where(a.fixed_day >= 0, a.fixed_day, -1)
    if len(pi) == 0:
        cost = a.base_cost - int(fixed_savings(a).sum())
        return Assignment(cost, day)
    n, T = a.n, a.T
    source, sink = n + T, n + T + 1
    patients = np.unique(pi)
    days = np.unique(pt)
    smcf = min_cost_flow.SimpleMinCostFlow()
    # Arc order: patient->day arcs first so their flows are the first len(pi) entries.
    tails = np.concatenate([pi, np.full(len(patients), source), patients, n + days])
    heads = np.concatenate([n + pt, patients, np.full(len(patients), sink), np.full(len(days), sink)])
    caps = np.concatenate([np.ones(len(pi) + 2 * len(patients), dtype=np.int64), free[days]])
    costs = np.concatenate([-savings[pi, pt], np.zeros(2 * len(patients) + len(days), dtype=np.int64)])
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(n + T + 2, dtype=np.int64)
    supplies[source] = len(patients)
    supplies[sink] = -len(patients)
    smcf.set_nodes_supplies(np.arange(n + T + 2), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:  # pragma: no cover - the bypass arcs make every instance feasible
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flows = smcf.flows(np.arange(len(pi)))
    chosen = flows > 0
    day[pi[chosen]] = pt[chosen]
    cost = a.base_cost - int(fixed_savings(a).sum()) + int(smcf.optimal_cost())
    return Assignment(cost, day)


def fixed_savings(a: Arrays) -> IntArray:
    i = np.nonzero(a.fixed_day >= 0)[0]
    if len(i) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.maximum(0, a.unplanned[i] - a.late_cost(a.weight[i], a.due[i], a.fixed_day[i]))


def with_risk(a: Arrays, share: int, delay: int, scale: int = 10) -> Arrays:
    """The same instance with a cost that hedges against cancelled trips (rolling planning).

    A trip is cancelled with probability about ``share / scale``, and its patients then travel some
    ``delay`` days later. Costing a trip on day t as ``(1 - p) * late(t) + p * late(t + delay)``
    makes a patient planned right on their deadline cost more than one planned with room to spare,
    which the tardiness objective alone ignores. Costs are scaled by ``scale`` to stay integers.
    """
    return replace(
        a,
        scale=scale,
        risk_share=share,
        risk_delay=delay,
        unplanned=scale * a.weight * np.maximum(0, a.T - a.due),
    )


def cost_of_days(a: Arrays, day: IntArray) -> int:
    """Objective of a patient->day vector (-1 = not planned)."""
    planned = day >= 0
    late = np.where(planned, np.maximum(0, day - a.due), np.maximum(0, a.T - a.due))
    return int((a.weight * late).sum())


def to_plan(a: Arrays, pattern: Pattern, day: IntArray, *, fill: bool = True) -> Plan:
    """Turn a pattern and patient days into trips; spare seats go to waiting patients at no cost.

    Filling a spare seat never raises the objective (travelling before the horizon ends is never
    later than not travelling) and gets more people out, so every method ends here.
    """
    inst = a.instance
    day = day.copy()
    seats = np.zeros(a.T, dtype=np.int64)
    np.add.at(seats, day[day >= 0], 1)
    if fill:
        # Earliest deadline first among those still waiting; released, eligible, day not full.
        waiting = sorted((int(i) for i in np.nonzero(day < 0)[0]), key=lambda i: (a.due[i], a.release[i], i))
        for t in range(a.T):
            facs = [int(h) for h in pattern[t] if h >= 0]
            if not facs or seats[t] >= a.cap[t]:
                continue
            for i in list(waiting):
                if seats[t] >= a.cap[t]:
                    break
                if a.release[i] <= t and a.elig[i, facs].any():
                    day[i] = t
                    seats[t] += 1
                    waiting.remove(i)
    members: dict[tuple[int, int], list[str]] = {}
    for t in range(a.T):
        for h in pattern[t]:
            if h >= 0:
                members.setdefault((t, int(h)), [])
    for j in np.nonzero(day >= 0)[0]:
        t = int(day[j])
        if a.fixed_day[j] == t:
            fac = int(a.fixed_fac[j])
        else:
            fac = next(int(k) for k in pattern[t] if k >= 0 and a.elig[j, k])
        members.setdefault((t, fac), []).append(inst.patients[j].id)
    trips = [Trip(t, inst.facilities[h].id, tuple(ps)) for (t, h), ps in sorted(members.items()) if ps]
    plan = Plan(trips)
    plan.objective = float(cost_of_days(a, day))
    return plan


def pattern_of(a: Arrays, plan: Plan, first_day: int = 0) -> Pattern:
    """The facilities each day of ``plan`` visits (from ``first_day`` on), forced days kept as forced."""
    pattern = empty_pattern(a)
    index = {f.id: h for h, f in enumerate(a.instance.facilities)}
    fill = (pattern >= 0).sum(axis=1)
    for trip in plan.sorted().trips:
        h, t = index.get(trip.facility, -1), trip.day
        if h < 0 or not first_day <= t < a.T or not a.open[t, h] or h in pattern[t] or fill[t] >= a.fmax:
            continue
        if fill[t] >= max(1, int(a.maxfac[t])):
            continue
        pattern[t, fill[t]] = h
        fill[t] += 1
    return pattern
