"""Run a scenario, or several side by side on common random numbers."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from corridor.simulation.engine import Plan, make_plan, simulate_batch
from corridor.simulation.model import WAIT_THRESHOLDS, Scenario
from corridor.simulation.results import (
    DIED,
    OVER,
    QUEUE,
    TREATED,
    WAIT_SUM,
    Accumulator,
    Estimate,
    SimulationResult,
    paired_ratio_difference,
)

# A batch's working memory: per patient, a handful of 4- and 8-byte arrays; per queue and day, a handful
# of 8-byte arrays (referrals, ends and heads of the queues). Batches are sized to stay near this budget,
# large enough that NumPy's per-call overhead is shared by many replications.
BATCH_BYTES = 200_000_000
BYTES_PER_PATIENT = 48
BYTES_PER_QUEUE_DAY = 56
MAX_BATCH = 1000


def auto_batch_size(plan: Plan) -> int:
    """Replications per batch, from the memory one replication is expected to need."""
    s = plan.scenario
    patients = s.total_rate * plan.total_days + sum(c.initial_backlog for c in s.classes)
    per_replication = BYTES_PER_PATIENT * patients + BYTES_PER_QUEUE_DAY * plan.n_cells * (
        plan.offset + plan.total_days
    )
    return max(1, min(MAX_BATCH, s.replications, int(BATCH_BYTES / max(per_replication, 1.0))))


def simulate(
    scenario: Scenario, *, batch_size: int | None = None, progress: Callable[[int], None] | None = None
) -> SimulationResult:
    """Simulate ``scenario.replications`` independent runs in batches and summarise them.

    Results depend only on the scenario (seed included), not on ``batch_size``: every random number is a
    function of the seed and of the replication, day and patient it is for (see ``streams``).
    """
    started = time.perf_counter()
    plan = make_plan(scenario)
    if batch_size is None:
        batch_size = auto_batch_size(plan)
    if batch_size < 1:
        raise ValueError("batch size must be >= 1")
    acc = Accumulator(plan)
    for first in range(0, scenario.replications, batch_size):
        count = min(batch_size, scenario.replications - first)
        acc.add(simulate_batch(plan, first, count))
        if progress is not None:
            progress(count)
    return acc.result(seconds=time.perf_counter() - started)


@dataclass
class Difference:
    """One scenario against the first, on the same replications: (this) - (first)."""

    name: str
    mean_wait: dict[str, Estimate]
    p_wait_over: dict[int, Estimate]
    mean_waiting_after_trip: Estimate
    deaths: Estimate | None = None  # only when both scenarios model deaths

    def to_dict(self) -> dict[str, object]:
        extra = (
            {}
            if self.deaths is None
            else {"deaths_while_waiting": self.deaths.value, "deaths_while_waiting_ci95": self.deaths.ci()}
        )
        return extra | {
            "scenario": self.name,
            "mean_wait_days": {k: e.value for k, e in self.mean_wait.items()},
            "mean_wait_ci95": {k: e.ci() for k, e in self.mean_wait.items()},
            "p_wait_over_days_all": {str(d): e.value for d, e in self.p_wait_over.items()},
            "p_wait_over_days_all_ci95": {str(d): e.ci() for d, e in self.p_wait_over.items()},
            "mean_waiting_after_trip": self.mean_waiting_after_trip.value,
            "mean_waiting_after_trip_ci95": self.mean_waiting_after_trip.ci(),
        }


def differences(results: Sequence[SimulationResult]) -> list[Difference]:
    """Paired differences of every result from the first (classes matched by name)."""
    if not results:
        return []
    base = results[0]
    base_names = list(base.classes)
    out = []
    for other in results[1:]:
        if other.per_replication.shape[0] != base.per_replication.shape[0]:
            raise ValueError("paired differences need the same number of replications in every scenario")
        names = [n for n in other.classes if n in base.classes]
        waits = {}
        for name in names:
            a = base.per_replication[:, base_names.index(name), :]
            b = other.per_replication[:, list(other.classes).index(name), :]
            waits[name] = paired_ratio_difference(
                a[:, WAIT_SUM], a[:, TREATED], b[:, WAIT_SUM], b[:, TREATED]
            )
        a, b = base.per_replication[:, -1, :], other.per_replication[:, -1, :]
        over = {
            d: paired_ratio_difference(a[:, OVER[d]], a[:, TREATED], b[:, OVER[d]], b[:, TREATED])
            for d in WAIT_THRESHOLDS
        }
        ones = np.ones(len(a))
        queue = paired_ratio_difference(a[:, QUEUE], ones, b[:, QUEUE], ones)
        deaths = None
        if base.scenario.has_hazards and other.scenario.has_hazards:
            deaths = paired_ratio_difference(a[:, DIED], ones, b[:, DIED], ones)
        out.append(Difference(other.scenario.name, waits, over, queue, deaths))
    return out


def compare(
    scenarios: Sequence[Scenario],
    *,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[SimulationResult], list[Difference]]:
    """Simulate scenarios on common random numbers: the same seed, so the same referrals (for classes
    with the same rate) and the same cancellation draws, which makes their differences precise."""
    if len({s.seed for s in scenarios}) > 1 or len({s.replications for s in scenarios}) > 1:
        raise ValueError("compared scenarios must share the seed and the number of replications")
    results = [simulate(s, batch_size=batch_size, progress=progress) for s in scenarios]
    return results, differences(results)
