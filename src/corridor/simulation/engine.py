"""The vectorised simulation engine: many replications of the daily queue at once, no object per patient.

How it works, and why it is fast:

* Patients of one priority class bound for one facility form a first-in-first-out queue under every
  policy (FIFO, priority, earliest-deadline and ATC all rank a class's patients by referral day), so the
  engine keeps one queue per (class, facility) pair: a "cell". A batch of replications lays all its
  patients out in flat arrays ordered by (replication, cell, referral day); a cell's queue is then the
  slice between a head pointer and the number of patients referred so far.
* Each day only the first K patients of each cell can travel, so the day's choice is a sort of at most
  cells x K candidates per replication, done for all replications at once.
* Arrivals, cancellations, deaths and leaving are drawn up front for the whole horizon (a patient's
  death or leaving day is sampled at referral; it happens unless the patient travels first), and every
  statistic is computed afterwards from the per-patient arrays with ``bincount``.

Timing convention: patients referred during day t may travel on day t's trip; the wait is travel day
minus referral day in whole days; the queue is counted just after each day's trip; deaths and leaving
happen after the trip, so they are counted in that day's queue and gone the next day.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corridor.simulation.model import ANY_FACILITY, Scenario

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NEVER = np.iinfo(np.int32).max // 2
_INF = np.iinfo(np.int64).max // 4

# Random stream purposes. Each (replication, purpose, class) has its own counter-based generator, so
# scenarios that share a class's arrival rate see the same referrals, and results do not depend on
# how replications are split into batches.
_ARRIVALS, _TRIPS, _HAZARDS = 1, 2, 3


def _stream(seed: int, replication: int, purpose: int, label: str = "") -> np.random.Generator:
    tag = (purpose << 28) | (zlib.crc32(label.encode()) & 0x0FFFFFFF)
    return np.random.Generator(np.random.Philox(key=[seed, (replication << 32) | tag]))


@dataclass(frozen=True)
class Plan:
    """A scenario turned into arrays: one entry per cell (class x facility), classes in urgency order."""

    scenario: Scenario
    facilities: tuple[str, ...]
    cell_class: IntArray
    cell_facility: IntArray
    cell_rate: npt.NDArray[np.float64]
    initial: IntArray  # (cells, offset): initial backlog by cell and referral day + offset
    offset: int  # referral day r is stored at column r + offset; initial patients have r < 0
    deadline: IntArray  # by class
    weight: npt.NDArray[np.float64]
    death: npt.NDArray[np.float64]  # daily hazard by class, 0 when not modelled
    leave: npt.NDArray[np.float64]

    @property
    def n_classes(self) -> int:
        return len(self.deadline)

    @property
    def n_cells(self) -> int:
        return len(self.cell_class)

    @property
    def total_days(self) -> int:
        return self.scenario.warmup_days + self.scenario.days

    @property
    def limits_facilities(self) -> bool:
        return len(self.facilities) > self.scenario.facilities_per_day

    @property
    def has_hazards(self) -> bool:
        return bool(np.any(self.death + self.leave > 0))


def make_plan(scenario: Scenario) -> Plan:
    """Validate the scenario and lay it out as cells.

    When the trip may visit as many facilities as there are, the facility cannot matter, so the cells
    collapse to one per class and the day's choice stays small.
    """
    scenario.validate()
    facilities, cells = scenario.cell_layout()
    if len(facilities) <= scenario.facilities_per_day:
        facilities = [ANY_FACILITY]
        cells = [(c, 0, cls.rate) for c, cls in enumerate(scenario.ranked)]
    ranked = scenario.ranked
    cell_class = np.array([c for c, _, _ in cells], dtype=np.int64)
    cell_facility = np.array([f for _, f, _ in cells], dtype=np.int64)
    cell_rate = np.array([rate for _, _, rate in cells], dtype=np.float64)

    oldest = max((max(cls.initial_ages, default=0) for cls in ranked if cls.initial_backlog), default=-1)
    offset = oldest + 1
    initial = np.zeros((len(cells), offset), dtype=np.int64)
    for c, cls in enumerate(ranked):
        if not cls.initial_backlog:
            continue
        own = np.flatnonzero(cell_class == c)
        total = cell_rate[own].sum()
        shares = cell_rate[own] / total if total > 0 else np.full(len(own), 1 / len(own))
        ages = sorted(cls.initial_ages or [0] * cls.initial_backlog, reverse=True)
        # Spread the backlog over the class's facilities in proportion to its mix, deterministically: the
        # j-th patient goes to the facility whose cumulative share covers (j + 1/2) / n.
        bounds = np.cumsum(shares)
        positions = (np.arange(len(ages)) + 0.5) / len(ages)
        which = np.minimum(np.searchsorted(bounds, positions), len(own) - 1)
        for age, k in zip(ages, which, strict=True):
            initial[own[k], offset - 1 - age] += 1

    return Plan(
        scenario=scenario,
        facilities=tuple(facilities),
        cell_class=cell_class,
        cell_facility=cell_facility,
        cell_rate=cell_rate,
        initial=initial,
        offset=offset,
        deadline=np.array([cls.deadline_days for cls in ranked], dtype=np.int64),
        weight=np.array([cls.weight for cls in ranked], dtype=np.float64),
        death=np.array([cls.death_hazard or 0.0 for cls in ranked], dtype=np.float64),
        leave=np.array([cls.leave_hazard or 0.0 for cls in ranked], dtype=np.float64),
    )


@dataclass
class Batch:
    """One batch of replications, patient by patient, as flat arrays (the engine's whole output).

    ``served_day`` is -1 for a patient who never travelled; ``abandon_day`` is the day after whose trip
    the patient dies or leaves if still waiting (``NEVER`` when no hazard applies).
    """

    first_replication: int
    replications: int
    rep: IntArray
    cell: IntArray
    referral_day: IntArray
    served_day: IntArray
    abandon_day: IntArray
    dies: BoolArray
    trips: BoolArray  # (replications, days): whether each day's trip happened


class _Keys:
    """Integer sort keys (lower travels first) for a patient of class ``c`` referred on day ``r`` at day t.

    Every policy is lexicographic (e.g. class, then referral day); encoding it in one int64 lets a single
    sort choose the day's patients for all replications at once.
    """

    def __init__(self, plan: Plan) -> None:
        s = plan.scenario
        self.policy = s.policy
        self.n_classes = plan.n_classes
        self.deadline = plan.deadline
        self.shift = plan.offset + 1  # makes r + shift >= 1
        span = plan.offset + plan.total_days + int(plan.deadline.max()) + 2
        self.span = span
        if s.policy == "atc":
            # The ATC index w/p * exp(-max(0, d - t - p) / (k * pbar)) with unit processing times depends on
            # the class and the slack d - t only, so its ranking is one fixed table over (class, slack);
            # ties (overdue patients of one class) go to the earlier due date, then the more urgent class.
            lo = -(plan.offset + plan.total_days)
            hi = plan.total_days + int(plan.deadline.max()) + 1
            slack = np.arange(lo, hi + 1)
            rows = []
            for c in range(plan.n_classes):
                index = -np.log(plan.weight[c]) + np.maximum(0, slack - 1) / s.atc_k
                rows.append(np.stack([index, slack, np.full(len(slack), c)], axis=1))
            table = np.concatenate(rows)
            order = np.lexsort((table[:, 2], table[:, 1], table[:, 0]))
            rank = np.empty(len(order), dtype=np.int64)
            # Equal (index, slack, class) rows get equal ranks so identical patients tie exactly.
            sorted_rows = table[order]
            new = np.ones(len(order), dtype=bool)
            new[1:] = np.any(sorted_rows[1:] != sorted_rows[:-1], axis=1)
            rank[order] = np.cumsum(new)
            self.atc_rank = rank.reshape(plan.n_classes, len(slack))
            self.slack_lo = lo

    def __call__(self, cls: IntArray, referral: IntArray, t: int) -> IntArray:
        r = referral + self.shift
        if self.policy == "fifo":
            return r * self.n_classes + cls
        if self.policy == "priority":
            return cls * self.span + r
        due = referral + self.deadline[cls]
        if self.policy == "edf":
            return (due + self.shift) * self.n_classes + cls
        return self.atc_rank[cls, due - t - self.slack_lo]


def simulate_batch(plan: Plan, first: int, count: int) -> Batch:
    """Simulate replications ``first`` .. ``first + count - 1`` of the plan's scenario."""
    s = plan.scenario
    T, R, C = plan.total_days, count, plan.n_cells
    K = s.capacity
    D = plan.offset + T

    counts = np.zeros((R, C, D), dtype=np.int64)
    counts[:, :, : plan.offset] = plan.initial
    trips = np.zeros((R, T), dtype=bool)
    class_cells = [np.flatnonzero(plan.cell_class == c) for c in range(plan.n_classes)]
    names = [cls.name for cls in s.ranked]
    for i in range(R):
        rep = first + i
        for c, own in enumerate(class_cells):
            draws = _stream(s.seed, rep, _ARRIVALS, names[c]).poisson(plan.cell_rate[own], size=(T, len(own)))
            counts[i, own, plan.offset :] = draws.T
        # Comparing one uniform per day with p couples scenarios: a trip that happens at p = 0.8 also
        # happens at p = 0.9, so differences between scenarios are not noise.
        trips[i] = _stream(s.seed, rep, _TRIPS).random(T) < s.trip_probability

    per_queue = counts.sum(axis=2).reshape(-1)
    n = int(per_queue.sum())
    start = (np.cumsum(per_queue) - per_queue).reshape(R, C)
    referral_day = np.repeat(np.tile(np.arange(D, dtype=np.int64) - plan.offset, R * C), counts.reshape(-1))
    cell = np.repeat(np.tile(np.arange(C, dtype=np.int64), R), per_queue)
    rep_index = np.repeat(np.arange(R, dtype=np.int64), per_queue.reshape(R, C).sum(axis=1))
    # end_by_day[t] = one past the last patient of each queue referred by day t.
    end_by_day = np.ascontiguousarray(
        np.moveaxis(start[:, :, None] + np.cumsum(counts, axis=2)[:, :, plan.offset :], 2, 0)
    )
    del counts

    abandon_day = np.full(n, NEVER, dtype=np.int64)
    dies = np.zeros(n, dtype=bool)
    if plan.has_hazards:
        _draw_abandonment(plan, first, R, start, per_queue.reshape(R, C), referral_day, abandon_day, dies)

    served_day = np.full(n, -1, dtype=np.int64)
    if n and K > 0:
        _run_days(plan, trips, start, end_by_day, referral_day, abandon_day, served_day)

    return Batch(first, R, rep_index, cell, referral_day, served_day, abandon_day, dies, trips)


def _draw_abandonment(
    plan: Plan,
    first: int,
    R: int,
    start: IntArray,
    per_queue: IntArray,
    referral_day: IntArray,
    abandon_day: IntArray,
    dies: BoolArray,
) -> None:
    """Sample each patient's death-or-leaving day at referral, from the class's daily hazards.

    With a constant daily hazard h the number of nights survived is geometric, so sampling it up front
    is exact; the patient dies or leaves on that day only if still waiting then.
    """
    names = [cls.name for cls in plan.scenario.ranked]
    for c in range(plan.n_classes):
        hazard = plan.death[c] + plan.leave[c]
        if hazard <= 0:
            continue
        own = np.flatnonzero(plan.cell_class == c)
        for i in range(R):
            # A class's cells are contiguous in the layout, so its patients in one replication are too.
            lo = int(start[i, own[0]])
            hi = int(start[i, own[-1]] + per_queue[i, own[-1]])
            if hi == lo:
                continue
            g = _stream(plan.scenario.seed, first + i, _HAZARDS, names[c])
            nights = g.geometric(hazard, size=hi - lo)
            abandon_day[lo:hi] = np.maximum(referral_day[lo:hi], 0) + nights - 1
            dies[lo:hi] = g.random(hi - lo) < plan.death[c] / hazard


def _run_days(
    plan: Plan,
    trips: BoolArray,
    start: IntArray,
    end_by_day: IntArray,
    referral_day: IntArray,
    abandon_day: IntArray,
    served_day: IntArray,
) -> None:
    """Walk the days, choosing each day's travellers in every replication whose trip happens."""
    s = plan.scenario
    K = s.capacity
    C = plan.n_cells
    keys = _Keys(plan)
    hazards = plan.has_hazards
    head = start.copy()
    last = len(referral_day) - 1
    cell_class = plan.cell_class
    F = s.facilities_per_day
    H = len(plan.facilities)
    limited = plan.limits_facilities
    if limited:
        # cells of each facility, padded with C (an always-empty sentinel cell) to a rectangle
        width = max(int(np.sum(plan.cell_facility == f)) for f in range(H))
        by_facility = np.full((H, width), C, dtype=np.int64)
        for f in range(H):
            own = np.flatnonzero(plan.cell_facility == f)
            by_facility[f, : len(own)] = own
    all_cells = np.arange(C, dtype=np.int64)

    for t in range(plan.total_days):
        rows = np.flatnonzero(trips[:, t])
        if rows.size == 0:
            continue
        end = end_by_day[t][rows]
        h = head[rows]
        if hazards:
            h = _skip_departed(h, end, abandon_day, last, t)
        if limited:
            head_key = np.full((len(rows), C + 1), _INF, dtype=np.int64)
            waiting = h < end
            r0 = referral_day[np.minimum(h, last)]
            head_key[:, :C] = np.where(waiting, keys(cell_class[None, :], r0, t), _INF)
            best = head_key[:, by_facility].min(axis=2)  # (rows, facilities)
            chosen = np.argsort(best, axis=1, kind="stable")[:, :F]
            open_ = np.take_along_axis(best, chosen, axis=1) < _INF
            cells = by_facility[chosen].reshape(len(rows), -1)
            cells = np.where(np.repeat(open_, by_facility.shape[1], axis=1), cells, C)
        else:
            cells = np.broadcast_to(all_cells, (len(rows), C))
        head[rows] = _choose(
            keys, t, h, end, cells, K, referral_day, abandon_day, served_day, cell_class, hazards
        )


def _skip_departed(h: IntArray, end: IntArray, abandon_day: IntArray, last: int, t: int) -> IntArray:
    """Move each queue's head past patients who died or left before day t."""
    h = h.copy()
    while True:
        gone = (h < end) & (abandon_day[np.minimum(h, last)] < t)
        if not gone.any():
            return h
        h += gone


def _choose(
    keys: _Keys,
    t: int,
    h: IntArray,
    end: IntArray,
    cells: npt.NDArray[np.int64],
    K: int,
    referral_day: IntArray,
    abandon_day: IntArray,
    served_day: IntArray,
    cell_class: IntArray,
    hazards: bool,
) -> IntArray:
    """Send the day's best K patients among the allowed queues; return the queues' new heads.

    Each queue is already in the policy's order, so its first K living patients always include every
    one of its patients who can travel today: the choice is a sort of at most (queues x K) candidates.
    ``cells`` lists each replication's allowed queues, with ``C`` (one past the last) meaning none.
    """
    rows, C = h.shape
    last = len(referral_day) - 1
    sentinel = np.zeros((rows, 1), dtype=np.int64)
    first = np.take_along_axis(np.concatenate([h, sentinel], axis=1), cells, axis=1)
    stop = np.take_along_axis(np.concatenate([end, sentinel], axis=1), cells, axis=1)
    width = K
    while True:
        window = np.arange(width, dtype=np.int64)
        idx = first[:, :, None] + window  # (rows, allowed queues, width)
        valid = idx < stop[:, :, None]
        safe = np.minimum(idx, last)
        if not hazards:
            break
        # Patients who died or left are still in the arrays; widen the window until it holds K living
        # patients of every queue, or the whole queue.
        valid &= abandon_day[safe] >= t
        short = (valid.sum(axis=2) < K) & (first + width < stop)
        if not short.any():
            break
        width *= 2
    cls = cell_class[np.minimum(cells, C - 1)][:, :, None]
    # Ties inside a queue go by position, so the chosen patients of a queue always come first in it.
    key = np.where(valid, keys(cls, referral_day[safe], t) * width + window, _INF).reshape(rows, -1)
    order = np.argsort(key, axis=1, kind="stable")[:, :K]
    chosen = np.zeros(key.shape, dtype=bool)
    np.put_along_axis(chosen, order, True, axis=1)
    chosen &= key < _INF
    chosen3 = chosen.reshape(idx.shape)
    served_day[idx[chosen3]] = t
    advance = (chosen3 * (window + 1)).max(axis=2)
    new_h = np.concatenate([h, sentinel], axis=1)
    np.put_along_axis(new_h, cells, first + advance, axis=1)  # the sentinel column absorbs "no queue"
    return new_h[:, :C]
