"""The vectorised simulation engine: many replications of the daily queue at once, no object per patient.

How it works, and why it is fast:

* Patients of one priority class bound for one facility form a first-in-first-out queue under every
  policy (FIFO, priority, earliest-deadline and ATC all rank a class's patients by referral day), so the
  engine keeps one queue per (class, facility) pair: a "cell". A batch of replications lays all its
  patients out in flat arrays ordered by (replication, cell, referral day); a cell's queue is then the
  slice between a head pointer and the number of patients referred so far.
* Each day only the first K patients of each cell can travel, so the day's choice is a sort of at most
  cells x K candidates per replication, done for all replications at once.
* Arrivals, cancellations, deaths and leaving are drawn up front for the whole horizon from
  counter-based streams (a patient's death or leaving day is sampled at referral; it happens unless
  the patient travels first). The day loop only moves each queue's head; the day each patient
  travelled is recovered afterwards from how far the heads moved each day, and every
  statistic is computed from the per-patient arrays with ``bincount``.

Timing convention: patients referred during day t may travel on day t's trip; the wait is travel day
minus referral day in whole days; the queue is counted just after each day's trip; deaths and leaving
happen after the trip, so they are counted in that day's queue and gone the next day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from corridor.simulation import streams
from corridor.simulation.model import ANY_FACILITY, Scenario

IntArray = npt.NDArray[np.signedinteger[Any]]
BoolArray = npt.NDArray[np.bool_]

NEVER = np.iinfo(np.int32).max // 2
# The fixed-order shortcut in _run_days; tests switch it off to check it against the general path.
FAST_PATH = True
_INF = np.iinfo(np.int64).max // 4


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
        ages = list(cls.initial_ages or [0] * cls.initial_backlog)
        if cls.initial_specialties and len(own) > 1:
            # Each waiting patient queues for the hospital of their own specialty.
            cell_of = {facilities[int(cell_facility[k])]: int(k) for k in own}
            cells_of_patients = [cell_of[scenario.facility_of(sp)] for sp in cls.initial_specialties]
        else:
            total = cell_rate[own].sum()
            shares = cell_rate[own] / total if total > 0 else np.full(len(own), 1 / len(own))
            # Spread the backlog over the class's facilities in proportion to its mix, deterministically:
            # the positions (j + 1/2) / n, each mapped to the facility whose cumulative share covers it,
            # dealt to the patients in a golden-ratio order so that old and recent referrals mix.
            deal = np.argsort(np.argsort((np.arange(len(ages)) * 0.6180339887498949) % 1.0))
            positions = (deal + 0.5) / len(ages)
            picks = np.minimum(np.searchsorted(np.cumsum(shares), positions), len(own) - 1)
            cells_of_patients = [int(own[k]) for k in picks]
        for age, k in zip(ages, cells_of_patients, strict=True):
            initial[k, offset - 1 - age] += 1

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
    cells: int
    queue_id: IntArray  # replication (within the batch) x cells + cell
    referral_day: IntArray
    served_day: IntArray
    abandon_day: IntArray
    dies: BoolArray
    trips: BoolArray  # (replications, days): whether each day's trip happened
    # (replications, classes, days): waiting just after each trip; None when deaths make it a recount
    queue: IntArray | None = None
    referrals: IntArray | None = None  # (replications, classes, offset + days) referrals by day
    offset: int = 0

    @property
    def rep(self) -> IntArray:
        """Replication of each patient, counted from the batch's first."""
        return self.queue_id // self.cells

    @property
    def cell(self) -> IntArray:
        return self.queue_id % self.cells


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
        self.weight = plan.weight
        self.atc_k = s.atc_k
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

    def atc_index(self, cls: IntArray, referral: IntArray, t: int) -> npt.NDArray[np.float64]:
        """The ATC index w / p * exp(-max(0, d - t - p) / (k * pbar)) with p = pbar = 1."""
        slack = referral + self.deadline[cls] - t
        index: npt.NDArray[np.float64] = self.weight[cls] * np.exp(-np.maximum(0, slack - 1) / self.atc_k)
        return index

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
    D = plan.offset + T
    reps = np.arange(first, first + R, dtype=np.uint64)[:, None]
    days = np.arange(T, dtype=np.uint64)[None, :] + np.uint64(streams.DAY_SHIFT)

    counts = np.zeros((R, C, D), dtype=np.int64)
    counts[:, :, : plan.offset] = plan.initial
    for c, cls in enumerate(s.ranked):
        own = np.flatnonzero(plan.cell_class == c)
        rate = float(plan.cell_rate[own].sum())
        u = streams.uniforms(streams.key(s.seed, streams.ARRIVALS, cls.name), reps, days)
        total = streams.poisson_from_uniform(u, rate)
        if len(own) == 1:
            counts[:, own[0], plan.offset :] = total
        elif rate > 0:
            counts[:, own, plan.offset :] = _split(s.seed, cls.name, first, total, plan.cell_rate[own] / rate)
    # One uniform per day compared with p: a trip that happens at p = 0.8 also happens at p = 0.9.
    trips = streams.uniforms(streams.key(s.seed, streams.TRIPS), reps, days) < s.trip_probability

    per_queue = counts.sum(axis=2).reshape(-1)
    n = int(per_queue.sum())
    start = (np.cumsum(per_queue) - per_queue).reshape(R, C)
    flat_counts = counts.reshape(-1)
    # Per-patient arrays are 32-bit: they are the bulk of the memory traffic, and days and ids fit.
    referral_day = np.repeat(np.tile(np.arange(D, dtype=np.int32) - plan.offset, R * C), flat_counts)
    queue_id = np.repeat(np.arange(R * C, dtype=np.int32), per_queue)
    # ends[:, :, t] = one past the last patient of each queue referred by day t.
    ends = start[:, :, None] + np.cumsum(counts, axis=2)[:, :, plan.offset :]

    abandon_day = np.full(n, NEVER, dtype=np.int32)
    dies = np.zeros(n, dtype=bool)
    if plan.has_hazards:
        # A patient's coordinates: replication, referral day, place among that day's referrals to the cell.
        block_start = np.cumsum(flat_counts) - flat_counts
        place = np.arange(n, dtype=np.int64) - np.repeat(block_start, flat_counts)
        _draw_abandonment(plan, first + queue_id // C, queue_id % C, referral_day, place, abandon_day, dies)

    if n and s.capacity > 0:
        heads = _run_days(plan, trips, start, ends, referral_day, abandon_day)
    else:
        heads = np.broadcast_to(start[:, :, None], (R, C, T))
    # A queue's head passes its patients in order, so the day each patient was passed is the day index
    # repeated by how far the head moved that day (day T, "never", for those still behind it).
    moved = np.empty((R, C, T + 1), dtype=np.int64)
    moved[:, :, :T] = np.diff(heads, axis=2, prepend=start[:, :, None])
    moved[:, :, T] = per_queue.reshape(R, C) - (heads[:, :, -1] - start)
    passed = np.repeat(np.tile(np.arange(T + 1, dtype=np.int32), R * C), moved.reshape(-1))
    # Passed over while dead means died or left; passed alive means travelled that day.
    travelled = passed < T
    if plan.has_hazards:
        travelled &= abandon_day >= passed
    served_day = np.where(travelled, passed, np.int32(-1))
    queue = None
    if not plan.has_hazards:
        waiting = ends - heads  # (R, cells, T)
        queue = np.zeros((R, plan.n_classes, T), dtype=np.int64)
        for c in range(plan.n_classes):
            queue[:, c, :] = waiting[:, plan.cell_class == c, :].sum(axis=1)
    # Referrals per (replication, class) and referral day, for the counts that need no per-patient detail.
    by_class = np.zeros((R, plan.n_classes, D), dtype=np.int64)
    for c in range(plan.n_classes):
        by_class[:, c, :] = counts[:, plan.cell_class == c, :].sum(axis=1)
    return Batch(
        first,
        R,
        C,
        queue_id,
        referral_day,
        served_day,
        abandon_day,
        dies,
        trips,
        queue,
        by_class,
        plan.offset,
    )


def _split(seed: int, name: str, first: int, total: IntArray, shares: npt.NDArray[np.float64]) -> IntArray:
    """Send each of a class's referrals to a hospital by the class's specialty mix: (R, cells, T) counts."""
    R, T = total.shape
    flat = total.reshape(-1)
    n = int(flat.sum())
    slot = np.repeat(np.arange(R * T, dtype=np.int64), flat)
    place = np.arange(n, dtype=np.int64) - np.repeat(np.cumsum(flat) - flat, flat)
    rep, day = slot // T, slot % T
    u = streams.uniforms(streams.key(seed, streams.SPLIT, name), rep + first, day + streams.DAY_SHIFT, place)
    which = np.minimum(np.searchsorted(np.cumsum(shares), u, side="right"), len(shares) - 1)
    out = np.bincount((rep * len(shares) + which) * T + day, minlength=R * len(shares) * T)
    return out.reshape(R, len(shares), T)


def _draw_abandonment(
    plan: Plan,
    rep: IntArray,
    cell: IntArray,
    referral_day: IntArray,
    place: IntArray,
    abandon_day: IntArray,
    dies: BoolArray,
) -> None:
    """Sample each patient's death-or-leaving day at referral, from the class's daily hazards.

    With a constant daily hazard h the number of nights survived is geometric, so sampling it up front
    is exact; the patient dies or leaves on that day only if still waiting then.
    """
    seed = plan.scenario.seed
    cls_of = plan.cell_class[cell]
    for c, cls in enumerate(plan.scenario.ranked):
        hazard = float(plan.death[c] + plan.leave[c])
        mine = np.flatnonzero(cls_of == c)
        if hazard <= 0 or mine.size == 0:
            continue
        coords = (
            rep[mine],
            referral_day[mine] + streams.DAY_SHIFT,
            place[mine],
            plan.cell_facility[cell[mine]],
        )
        u = streams.uniforms(streams.key(seed, streams.HAZARD, cls.name), *coords)
        abandon_day[mine] = np.maximum(referral_day[mine], 0) + streams.geometric_from_uniform(u, hazard) - 1
        u = streams.uniforms(streams.key(seed, streams.DEATH, cls.name), *coords)
        dies[mine] = u < plan.death[c] / hazard


def _run_days(
    plan: Plan,
    trips: BoolArray,
    start: IntArray,
    ends: IntArray,
    referral_day: IntArray,
    abandon_day: IntArray,
) -> IntArray:
    """Walk the days; return each queue's head just after each day's trip, shape (R, cells, days)."""
    s = plan.scenario
    K = s.capacity
    C = plan.n_cells
    T = plan.total_days
    heads = np.empty((*start.shape, T), dtype=np.int64)
    head = start.copy()
    hazards = plan.has_hazards
    fixed_order = s.policy == "priority" or plan.n_classes == 1
    if FAST_PATH and fixed_order and not hazards and not plan.limits_facilities:
        # The order between queues never changes (one queue per class, served most urgent first), so a day
        # is just filling the seats class by class: a few operations on (R, classes) arrays.
        seats = np.where(trips, K, 0).T.copy()  # (T, R)
        by_day = np.ascontiguousarray(ends.transpose(2, 1, 0))  # (T, classes, R): rows stay contiguous
        by_class = np.ascontiguousarray(head.T)
        for t in range(T):
            room = seats[t].copy()
            for c in range(C):
                take = np.minimum(by_day[t, c] - by_class[c], room)
                by_class[c] += take
                room -= take
            heads[:, :, t] = by_class.T
        return heads

    keys = _Keys(plan)
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

    for t in range(T):
        rows = np.flatnonzero(trips[:, t])
        if rows.size:
            end = ends[rows, :, t]
            h = head[rows]
            if hazards:
                h = _skip_departed(h, end, abandon_day, last, t)
            if limited and s.policy == "atc":
                cells = _atc_batches(
                    keys, t, h, end, K, F, by_facility, referral_day, abandon_day, cell_class, hazards
                )
            elif limited:
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
            head[rows] = _choose(keys, t, h, end, cells, K, referral_day, abandon_day, cell_class, hazards)
        heads[:, :, t] = head
    return heads


def _atc_batches(
    keys: _Keys,
    t: int,
    h: IntArray,
    end: IntArray,
    K: int,
    F: int,
    by_facility: IntArray,
    referral_day: IntArray,
    abandon_day: IntArray,
    cell_class: IntArray,
    hazards: bool,
) -> IntArray:
    """The day's hospitals under ATC, as the planner's batching rule (BATC) picks them: the F hospitals
    whose best K waiting patients have the largest sum of ATC indices. Returns the allowed queues."""
    rows, C = h.shape
    idx, valid, safe, _ = _window(h, end, K, abandon_day, len(referral_day) - 1, hazards, t)
    index = np.where(valid, keys.atc_index(cell_class[None, :, None], referral_day[safe], t), 0.0)
    padded = np.concatenate([index, np.zeros((rows, 1, index.shape[2]))], axis=1)
    per_facility = padded[:, by_facility, :].reshape(rows, by_facility.shape[0], -1)
    value = -np.sort(-per_facility, axis=2)[:, :, :K].sum(axis=2)  # (rows, hospitals)
    anyone = np.concatenate([valid.any(axis=2), np.zeros((rows, 1), dtype=bool)], axis=1)
    value = np.where(anyone[:, by_facility].any(axis=2), value, -np.inf)
    chosen = np.argsort(-value, axis=1, kind="stable")[:, :F]
    open_ = np.take_along_axis(value, chosen, axis=1) > -np.inf
    cells = by_facility[chosen].reshape(rows, -1)
    return np.where(np.repeat(open_, by_facility.shape[1], axis=1), cells, C)


def _window(
    first: IntArray, stop: IntArray, K: int, abandon_day: IntArray, last: int, hazards: bool, t: int
) -> tuple[IntArray, BoolArray, IntArray, IntArray]:
    """The candidates of each queue: positions ``first`` .. up to K living patients before ``stop``.

    Returns the patient indices (queues x width), which are real living patients, the same indices
    clipped to the arrays (for safe gathering), and the window offsets.
    """
    width = K
    while True:
        window = np.arange(width, dtype=np.int64)
        idx = first[..., None] + window
        valid = idx < stop[..., None]
        safe = np.minimum(idx, last)
        if not hazards:
            return idx, valid, safe, window
        # Patients who died or left are still in the arrays; widen the window until it holds K living
        # patients of every queue, or the whole queue.
        valid &= abandon_day[safe] >= t
        short = (valid.sum(axis=-1) < K) & (first + width < stop)
        if not short.any():
            return idx, valid, safe, window
        width *= 2


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
    cell_class: IntArray,
    hazards: bool,
) -> IntArray:
    """Send the day's best K patients among the allowed queues; return the queues' new heads.

    Each queue is already in the policy's order, so its first K living patients always include every
    one of its patients who can travel today: the choice is a sort of at most (queues x K) candidates.
    ``cells`` lists each replication's allowed queues, with ``C`` (one past the last) meaning none.
    """
    rows, C = h.shape
    sentinel = np.zeros((rows, 1), dtype=np.int64)
    first = np.take_along_axis(np.concatenate([h, sentinel], axis=1), cells, axis=1)
    stop = np.take_along_axis(np.concatenate([end, sentinel], axis=1), cells, axis=1)
    idx, valid, safe, window = _window(first, stop, K, abandon_day, len(referral_day) - 1, hazards, t)
    width = len(window)
    cls = cell_class[np.minimum(cells, C - 1)][:, :, None]
    # Ties inside a queue go by position, so the chosen patients of a queue always come first in it.
    key = np.where(valid, keys(cls, referral_day[safe], t) * width + window, _INF).reshape(rows, -1)
    order = np.argsort(key, axis=1, kind="stable")[:, :K]
    chosen = np.zeros(key.shape, dtype=bool)
    np.put_along_axis(chosen, order, True, axis=1)
    chosen &= key < _INF
    chosen3 = chosen.reshape(idx.shape)
    advance = (chosen3 * (window + 1)).max(axis=2)
    new_h = np.concatenate([h, sentinel], axis=1)
    np.put_along_axis(new_h, cells, first + advance, axis=1)  # the sentinel column absorbs "no queue"
    return new_h[:, :C]
