"""From simulated patients to the figures a monitor quotes, each with a Monte Carlo 95 % interval.

Replications are independent, so every interval is built across replications:

* means of per-patient quantities (mean wait, P(W > D)) are ratio estimators, sum over all replications
  divided by count over all replications, with the delta-method standard error;
* per-replication quantities (deaths, the time-averaged queue) use the ordinary t interval;
* percentiles use sectioning: the replications are dealt into 20 sections, each section's percentile is
  an independent estimate, and their spread gives the interval around the pooled percentile.

Accumulation is by batch and keeps only per-replication totals and histograms, so memory does not grow
with the patients simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import stdtrit

from corridor.simulation.engine import Batch, Plan
from corridor.simulation.model import WAIT_THRESHOLDS, Scenario

FloatArray = npt.NDArray[np.float64]

PERCENTILES: tuple[int, ...] = (50, 90, 95)
SECTIONS = 20
UNIT = (0.0, 1.0)
TIMING = (
    "patients referred during day t may travel on day t's trip; the wait W is travel day minus referral "
    "day, in whole days; the queue is counted just after each day's trip (deaths and leaving happen after "
    "it); statistics cover the days after the warm-up"
)

# Columns of the per-replication, per-class table.
REFERRED, TREATED, WAIT_SUM, OVER_DEADLINE, DUE, MISSED, DIED, LEFT, QUEUE = range(9)
OVER = {d: 9 + i for i, d in enumerate(WAIT_THRESHOLDS)}
N_STATS = 9 + len(WAIT_THRESHOLDS)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95 % interval; ``None`` where there is nothing to estimate from."""

    value: float | None
    low: float | None = None
    high: float | None = None

    def ci(self) -> list[float | None]:
        return [self.low, self.high]

    def contains(self, x: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= x <= self.high


def _t(df: int) -> float:
    return float(stdtrit(df, 0.975))


def ratio_estimate(
    num: FloatArray,
    den: FloatArray,
    *,
    bounds: tuple[float, float] | None = None,
) -> Estimate:
    """sum(num) / sum(den) over replications, with a delta-method interval (clipped to ``bounds``)."""
    total = float(den.sum())
    if total <= 0:
        return Estimate(None)
    value = float(num.sum()) / total
    r = len(num)
    if r < 2:
        return Estimate(value)
    residual = num - value * den
    se = math.sqrt(float(residual.var(ddof=1)) / r) / (total / r)
    half = _t(r - 1) * se
    low, high = value - half, value + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Estimate(value, low, high)


def mean_estimate(x: FloatArray, *, lower: float | None = None) -> Estimate:
    """Mean over replications with its t interval (clipped below at ``lower``)."""
    r = len(x)
    if r == 0:
        return Estimate(None)
    value = float(x.mean())
    if r < 2:
        return Estimate(value)
    half = _t(r - 1) * math.sqrt(float(x.var(ddof=1)) / r)
    low = value - half if lower is None else max(lower, value - half)
    return Estimate(value, low, value + half)


def paired_ratio_difference(
    num_a: FloatArray, den_a: FloatArray, num_b: FloatArray, den_b: FloatArray
) -> Estimate:
    """(ratio b) - (ratio a) on the same replications: common random numbers make this interval narrow."""
    ta, tb = float(den_a.sum()), float(den_b.sum())
    if ta <= 0 or tb <= 0:
        return Estimate(None)
    ra, rb = float(num_a.sum()) / ta, float(num_b.sum()) / tb
    r = len(num_a)
    value = rb - ra
    if r < 2:
        return Estimate(value)
    influence = (num_b - rb * den_b) / (tb / r) - (num_a - ra * den_a) / (ta / r)
    half = _t(r - 1) * math.sqrt(float(influence.var(ddof=1)) / r)
    return Estimate(value, value - half, value + half)


def _percentile(hist: npt.NDArray[np.int64], q: float) -> float | None:
    """Smallest wait w with P(W <= w) >= q / 100 in a histogram of whole-day waits."""
    total = int(hist.sum())
    if total == 0:
        return None
    return float(np.searchsorted(np.cumsum(hist), q / 100 * total - 1e-9))


@dataclass
class ClassSummary:
    name: str
    deadline_days: int | None
    referred_per_replication: float
    treated_per_replication: float
    mean_wait: Estimate
    percentiles: dict[int, Estimate]
    p_wait_over: dict[int, Estimate]
    p_wait_over_deadline: Estimate
    share_missed_deadline: Estimate
    mean_waiting: Estimate
    deaths: Estimate | None = None
    left: Estimate | None = None
    deaths_per_1000_referred: Estimate | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "deadline_days": self.deadline_days,
            "referred_per_replication": self.referred_per_replication,
            "treated_per_replication": self.treated_per_replication,
            "mean_wait_days": self.mean_wait.value,
            "mean_wait_ci95": self.mean_wait.ci(),
            "wait_percentiles_days": {str(q): e.value for q, e in self.percentiles.items()},
            "wait_percentiles_ci95": {str(q): e.ci() for q, e in self.percentiles.items()},
            "p_wait_over_days": {str(d): e.value for d, e in self.p_wait_over.items()},
            "p_wait_over_days_ci95": {str(d): e.ci() for d, e in self.p_wait_over.items()},
            "p_wait_over_deadline": self.p_wait_over_deadline.value,
            "p_wait_over_deadline_ci95": self.p_wait_over_deadline.ci(),
            "share_treated_past_deadline": self.p_wait_over_deadline.value,
            "share_missed_deadline": self.share_missed_deadline.value,
            "share_missed_deadline_ci95": self.share_missed_deadline.ci(),
            "mean_waiting_after_trip": self.mean_waiting.value,
            "mean_waiting_after_trip_ci95": self.mean_waiting.ci(),
        }
        if self.deaths is not None and self.left is not None and self.deaths_per_1000_referred is not None:
            out["deaths_while_waiting"] = self.deaths.value
            out["deaths_while_waiting_ci95"] = self.deaths.ci()
            out["deaths_per_1000_referred"] = self.deaths_per_1000_referred.value
            out["deaths_per_1000_referred_ci95"] = self.deaths_per_1000_referred.ci()
            out["left_while_waiting"] = self.left.value
            out["left_while_waiting_ci95"] = self.left.ci()
        return out


@dataclass
class BacklogSeries:
    """Patients waiting just after each day's trip, day 0 being the first simulated day."""

    mean: FloatArray
    mean_low: FloatArray
    mean_high: FloatArray
    band_low: FloatArray  # 2.5th percentile over replications
    band_high: FloatArray  # 97.5th percentile over replications

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": list(range(len(self.mean))),
            "mean": _round(self.mean),
            "mean_ci95_low": _round(self.mean_low),
            "mean_ci95_high": _round(self.mean_high),
            "band95_low": _round(self.band_low),
            "band95_high": _round(self.band_high),
        }


def _round(x: FloatArray) -> list[float]:
    return [round(float(v), 4) for v in x]


@dataclass
class SimulationResult:
    scenario: Scenario
    classes: dict[str, ClassSummary]
    mean_waiting_after_trip: Estimate
    backlog: BacklogSeries
    per_replication: FloatArray  # (replications, classes + 1 for "all", N_STATS)
    wait_histogram: npt.NDArray[np.int64]  # (classes + 1, max wait + 1), pooled over replications
    facilities: tuple[str, ...] = field(default=())
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "scenario": scenario_dict(s),
            "timing": TIMING,
            "load_rho": None if math.isinf(s.load) else s.load,
            "classes": {name: summary.to_dict() for name, summary in self.classes.items()},
            "mean_waiting_after_trip": self.mean_waiting_after_trip.value,
            "mean_waiting_after_trip_ci95": self.mean_waiting_after_trip.ci(),
            "backlog": self.backlog.to_dict(),
            "seconds": round(self.seconds, 3),
        }


def scenario_dict(s: Scenario) -> dict[str, Any]:
    return {
        "name": s.name,
        "description": s.description,
        "policy": s.policy,
        "capacity": s.capacity,
        "trip_probability": s.trip_probability,
        "facilities_per_day": s.facilities_per_day,
        "days": s.days,
        "warmup_days": s.warmup_days,
        "replications": s.replications,
        "seed": s.seed,
        "atc_k": s.atc_k,
        "classes": [
            {
                "name": c.name,
                "rate": c.rate,
                "deadline_days": c.deadline_days,
                "weight": c.weight,
                "death_hazard": c.death_hazard,
                "leave_hazard": c.leave_hazard,
                "initial_backlog": c.initial_backlog,
            }
            for c in s.ranked
        ],
        "specialty_mix": dict(s.specialty_mix),
        "facilities": dict(s.facilities),
    }


class Accumulator:
    """Totals that stay the same size whatever the number of replications (bar one row each)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.T = plan.total_days
        self.C = plan.n_classes
        self.max_wait = plan.offset + self.T
        self.sections = min(SECTIONS, plan.scenario.replications)
        self.rows: list[FloatArray] = []
        self.wait_hist = np.zeros((self.sections, self.C, self.max_wait + 1), dtype=np.int64)
        self.queue_sum = np.zeros(self.T)
        self.queue_sumsq = np.zeros(self.T)
        self.queue_hist = np.zeros((self.T, 1), dtype=np.int64)
        self.count = 0

    def add(self, b: Batch) -> None:
        """Fold one batch of simulated patients into the totals."""
        plan, T, C, R = self.plan, self.T, self.C, b.replications
        warm = plan.scenario.warmup_days
        # (replication, class) of each patient, through a small table indexed by its queue
        group_of_queue = (np.arange(R)[:, None] * C + plan.cell_class[None, :]).reshape(-1)
        group = group_of_queue[b.queue_id]
        r, s = b.referral_day, b.served_day
        stats = np.zeros((R * C, N_STATS))

        def count(mask: npt.NDArray[np.bool_]) -> FloatArray:
            return np.bincount(group[mask], minlength=R * C).astype(float)

        # Waits of the treated as one histogram per (replication, class): every wait statistic, and the
        # sections' histograms for the percentile intervals, are sums over it.
        treated = s >= warm
        width = self.max_wait + 1
        hist = np.bincount(group[treated] * width + (s - r)[treated], minlength=R * C * width)
        hist = hist.reshape(R * C, width)
        below = np.cumsum(hist, axis=1)  # below[:, d] = treated with W <= d
        stats[:, TREATED] = below[:, -1]
        # Sum of waits = sum over d of the number waiting more than d (no matrix product: BLAS threads
        # would compete with the other work on the machine for nothing).
        stats[:, WAIT_SUM] = (below[:, -1:] - below).sum(axis=1)
        for d, column in OVER.items():
            stats[:, column] = below[:, -1] - below[:, min(d, width - 1)]
        group_deadline = np.minimum(np.tile(plan.deadline, R), width - 1)
        stats[:, OVER_DEADLINE] = below[:, -1] - below[np.arange(R * C), group_deadline]
        section = (b.first_replication + np.arange(R)) % self.sections
        by_replication = hist.reshape(R, C, width)
        for g in range(self.sections):
            self.wait_hist[g] += by_replication[section == g].sum(axis=0)

        assert b.referrals is not None
        by_day = b.referrals  # (R, classes, offset + T), column = referral day + offset
        days = np.arange(by_day.shape[2]) - b.offset
        stats[:, REFERRED] = by_day[:, :, days >= warm].sum(axis=2).reshape(-1)
        due_by_day = days[None, :] + plan.deadline[:, None]  # (classes, days)
        due_window = (due_by_day >= warm) & (due_by_day < T)
        stats[:, DUE] = (by_day * due_window[None, :, :]).sum(axis=2).reshape(-1)
        due = r + np.tile(plan.deadline, R)[group]
        # Missed: due inside the window and not travelled by the due day.
        missed = (due >= warm) & (due < T) & ((s < 0) | (s > due))
        stats[:, MISSED] = count(missed)
        if plan.has_hazards:
            gone = (s < 0) & (b.abandon_day < T) & (b.abandon_day >= warm)
            stats[:, DIED] = count(gone & b.dies)
            stats[:, LEFT] = count(gone & ~b.dies)

        # Queue just after each trip: in from referral (day 0 for the initial backlog) until travel, or
        # until the day after dying or leaving, or the end.
        if b.queue is not None:
            queue = b.queue
        else:
            entry = np.maximum(r, 0)
            exit_ = np.where(s >= 0, s, np.where(b.abandon_day < T, b.abandon_day + 1, T))
            exit_ = np.minimum(exit_, T)
            width = T + 1
            flow = np.bincount(group * width + entry, minlength=R * C * width) - np.bincount(
                group * width + exit_, minlength=R * C * width
            )
            queue = np.cumsum(flow.reshape(R, C, width), axis=2)[:, :, :T]
        stats[:, QUEUE] = queue[:, :, warm:].mean(axis=2).reshape(-1)

        total = queue.sum(axis=1)  # (R, T)
        self.queue_sum += total.sum(axis=0)
        self.queue_sumsq += (total.astype(float) ** 2).sum(axis=0)
        top = int(total.max(initial=0)) + 1
        if top > self.queue_hist.shape[1]:
            grown = np.zeros((T, top), dtype=np.int64)
            grown[:, : self.queue_hist.shape[1]] = self.queue_hist
            self.queue_hist = grown
        bins = self.queue_hist.shape[1]
        self.queue_hist += np.bincount(
            (np.arange(T)[None, :] * bins + total).reshape(-1), minlength=T * bins
        ).reshape(T, bins)

        self.rows.append(stats.reshape(R, C, N_STATS))
        self.count += R

    def result(self, seconds: float = 0.0) -> SimulationResult:
        """Summaries per class and for all classes together."""
        plan = self.plan
        s = plan.scenario
        table = np.concatenate(self.rows, axis=0)
        table = np.concatenate([table, table.sum(axis=1, keepdims=True)], axis=1)
        hist = np.concatenate([self.wait_hist, self.wait_hist.sum(axis=1, keepdims=True)], axis=1)
        names = [c.name for c in s.ranked] + ["all"]
        deadlines: list[int | None] = [int(d) for d in plan.deadline] + [None]
        classes: dict[str, ClassSummary] = {}
        for k, name in enumerate(names):
            col = table[:, k, :]
            summary = ClassSummary(
                name=name,
                deadline_days=deadlines[k],
                referred_per_replication=float(col[:, REFERRED].mean()),
                treated_per_replication=float(col[:, TREATED].mean()),
                mean_wait=ratio_estimate(col[:, WAIT_SUM], col[:, TREATED], bounds=(0.0, math.inf)),
                percentiles={q: self._percentile(hist[:, k, :], q) for q in PERCENTILES},
                p_wait_over={
                    d: ratio_estimate(col[:, OVER[d]], col[:, TREATED], bounds=UNIT) for d in WAIT_THRESHOLDS
                },
                p_wait_over_deadline=ratio_estimate(col[:, OVER_DEADLINE], col[:, TREATED], bounds=UNIT),
                share_missed_deadline=ratio_estimate(col[:, MISSED], col[:, DUE], bounds=UNIT),
                mean_waiting=mean_estimate(col[:, QUEUE], lower=0.0),
            )
            if s.has_hazards:
                summary.deaths = mean_estimate(col[:, DIED], lower=0.0)
                summary.left = mean_estimate(col[:, LEFT], lower=0.0)
                summary.deaths_per_1000_referred = ratio_estimate(1000 * col[:, DIED], col[:, REFERRED])
            classes[name] = summary
        return SimulationResult(
            scenario=s,
            classes=classes,
            mean_waiting_after_trip=classes["all"].mean_waiting,
            backlog=self._backlog(),
            per_replication=table,
            wait_histogram=hist.sum(axis=0),
            facilities=plan.facilities,
            seconds=seconds,
        )

    def _percentile(self, hist: npt.NDArray[np.int64], q: int) -> Estimate:
        pooled = _percentile(hist.sum(axis=0), q)
        if pooled is None:
            return Estimate(None)
        totals = hist.sum(axis=1)
        found = np.argmax(np.cumsum(hist, axis=1) >= q / 100 * totals[:, None] - 1e-9, axis=1)
        values = [float(v) for v, total in zip(found, totals, strict=True) if total > 0]
        if len(values) < 2:
            return Estimate(pooled)
        half = _t(len(values) - 1) * float(np.std(values, ddof=1)) / math.sqrt(len(values))
        return Estimate(pooled, pooled - half, pooled + half)

    def _backlog(self) -> BacklogSeries:
        n = self.count
        mean = self.queue_sum / n
        if n > 1:
            var = np.maximum(self.queue_sumsq - n * mean**2, 0) / (n - 1)
            half = _t(n - 1) * np.sqrt(var / n)
        else:
            half = np.zeros_like(mean)
        cdf = np.cumsum(self.queue_hist, axis=1)
        low = np.argmax(cdf >= 0.025 * n - 1e-9, axis=1).astype(float)
        high = np.argmax(cdf >= 0.975 * n - 1e-9, axis=1).astype(float)
        return BacklogSeries(mean, mean - half, mean + half, low, high)
