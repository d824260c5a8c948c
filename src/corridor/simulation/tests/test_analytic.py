"""The simulator against the exact discrete-time bulk-service queue (one class, FIFO, K seats, trip
probability p), and the exact solution against closed forms.

Simulated estimates are checked against the 99.9 % interval built from the simulator's own 95 % interval
(same standard error, z = 3.29 instead of 1.96): the suite makes about twenty such comparisons with fixed
seeds, and at 95 % one of them would be expected to fail by chance alone. Each check also requires the
interval to be narrow, so that agreement means something.
"""

from __future__ import annotations

import pytest

from corridor.simulation.analytic import bulk_service_queue, tail_decay
from corridor.simulation.core import simulate
from corridor.simulation.model import PriorityClass, Scenario
from corridor.simulation.results import Estimate

WIDEN = 3.29 / 1.96


def one_class(rate: float, capacity: int, p: float, **kw: object) -> Scenario:
    base: dict[str, object] = {"policy": "fifo", "facilities_per_day": 1, "seed": 7}
    base.update(kw)
    return Scenario(classes=(PriorityClass("P", rate, 30),), capacity=capacity, trip_probability=p, **base)  # type: ignore[arg-type]


def agrees(estimate: Estimate, exact: float, *, max_half_width: float) -> None:
    assert estimate.value is not None and estimate.low is not None and estimate.high is not None
    half = (estimate.high - estimate.low) / 2 * WIDEN
    assert abs(estimate.value - exact) <= half, (
        f"simulated {estimate.value:.4f} ± {half:.4f}, exact {exact:.4f}"
    )
    assert half <= max_half_width, "interval too wide for the check to mean anything"


# (lambda, K, p, warm-up days, measured days): the warm-up grows with 1 / (1 - rho)^2, the relaxation time.
CASES = [
    (1.5, 2, 1.0, 100, 1500),  # rho = 0.75
    (2.0, 4, 0.6, 200, 1500),  # rho = 0.83, many cancellations
    (0.5, 1, 0.6, 300, 2000),  # rho = 0.83, one seat
    (3.0, 4, 0.8, 600, 2500),  # rho = 0.94
    (3.8, 4, 1.0, 800, 3000),  # rho = 0.95, no cancellations
    (3.1, 4, 0.8, 1500, 4000),  # rho = 0.97
]


@pytest.mark.parametrize(("rate", "capacity", "p", "warmup", "days"), CASES)
def test_fifo_means_match_the_bulk_service_queue(
    rate: float, capacity: int, p: float, warmup: int, days: int
) -> None:
    exact = bulk_service_queue(rate, capacity, p)
    result = simulate(one_class(rate, capacity, p, days=days, warmup_days=warmup, replications=200))
    everyone = result.classes["all"]
    # Near rho = 1 queues are long and slow to mix, so the same effort buys a wider interval.
    relative = 0.1 if exact.rho < 0.9 else 0.15
    agrees(everyone.mean_wait, exact.mean_wait, max_half_width=relative * exact.mean_wait)
    agrees(result.mean_waiting_after_trip, exact.mean_queue, max_half_width=relative * exact.mean_queue)
    over = exact.p_wait_over(7)
    agrees(everyone.p_wait_over[7], over, max_half_width=max(0.015, 0.2 * over))


def test_the_median_wait_matches_the_exact_waiting_time_law() -> None:
    exact = bulk_service_queue(3.0, 4, 0.8)
    cdf = exact.wait_cdf(60)
    median = int((cdf >= 0.5).argmax())
    result = simulate(one_class(3.0, 4, 0.8, days=2000, warmup_days=500, replications=100))
    estimate = result.classes["all"].percentiles[50]
    assert estimate.low is not None and estimate.high is not None
    assert estimate.low - 0.5 <= median <= estimate.high + 0.5


def test_the_exact_solution_obeys_littles_law() -> None:
    # E[queue after trip] = lambda * E[W]: each patient is counted once for each day waited. The two sides
    # come from different calculations (the chain's law, and the negative binomial count of trips).
    for rate, capacity, p in [(1.5, 2, 1.0), (3.0, 4, 0.8), (0.5, 1, 0.6), (7.0, 10, 0.75)]:
        q = bulk_service_queue(rate, capacity, p)
        assert q.mean_queue == pytest.approx(rate * q.mean_wait, rel=1e-9)


@pytest.mark.parametrize(("rate", "p"), [(0.5, 1.0), (0.3, 0.6), (0.55, 0.6), (0.9, 1.0)])
def test_the_one_seat_chain_matches_its_closed_form(rate: float, p: float) -> None:
    # With K = 1 the generating function is solvable by hand:
    #   X(z) = (p - lambda)(z - 1) / (z - A(z)(p + (1 - p) z)),
    # so P(X = 0) = (p - lambda) / p * e^lambda and E[X] = (lambda^2 + 2 lambda (1 - p)) / (2 (p - lambda)).
    q = bulk_service_queue(rate, 1, p)
    closed = (rate**2 + 2 * rate * (1 - p)) / (2 * (p - rate))
    assert q.mean_queue == pytest.approx(closed, rel=1e-8)
    assert q.pi[0] == pytest.approx((p - rate) / p * 2.718281828459045**rate, rel=1e-8)


def test_the_truncated_tail_is_negligible() -> None:
    q = bulk_service_queue(3.1, 4, 0.8)
    assert q.pi.sum() == pytest.approx(1.0)
    assert q.pi[-20:].sum() < 1e-12
    z = tail_decay(3.1, 4, 0.8)
    # Far enough out, successive probabilities fall by the decay rate.
    i = len(q.pi) // 3
    assert q.pi[i + 1] / q.pi[i] == pytest.approx(1 / z, rel=1e-3)


def test_the_exact_solution_refuses_an_unstable_queue() -> None:
    with pytest.raises(ValueError, match="rho"):
        bulk_service_queue(3.2, 4, 0.8)


@pytest.mark.parametrize(("rate", "capacity", "p"), [(5.0, 4, 0.8), (3.2, 4, 0.8), (6.0, 4, 1.0)])
def test_an_overloaded_backlog_grows_by_lambda_minus_pk_a_day(rate: float, capacity: int, p: float) -> None:
    # A backlog large enough never to empty turns the queue into a plain random walk with drift
    # lambda - pK a day, so E[X_t] = X_0 + (t + 1)(lambda - pK) exactly.
    start, days = 400, 150
    scenario = one_class(rate, capacity, p, days=days, replications=200)
    scenario = scenario.with_changes(classes=(PriorityClass("P", rate, 30, initial_backlog=start),))
    backlog = simulate(scenario).backlog
    drift = rate - p * capacity
    for t in (days // 2, days - 1):
        expected = start + (t + 1) * drift
        assert backlog.mean_low[t] - 2 <= expected <= backlog.mean_high[t] + 2 or (
            abs(backlog.mean[t] - expected) <= (backlog.mean_high[t] - backlog.mean_low[t]) / 2 * WIDEN
        )


def test_an_overloaded_queue_started_empty_grows_at_the_same_rate() -> None:
    rate, capacity, p = 5.0, 4, 0.8
    days = 400
    backlog = simulate(one_class(rate, capacity, p, days=days, replications=200)).backlog
    a, b = days // 2, days - 1
    # A conservative interval for the slope from the two days' intervals: (hi_b - lo_a) and (lo_b - hi_a).
    slope_high = (backlog.mean_high[b] - backlog.mean_low[a]) / (b - a)
    slope_low = (backlog.mean_low[b] - backlog.mean_high[a]) / (b - a)
    assert slope_low <= rate - p * capacity <= slope_high
    assert slope_high - slope_low < 0.2
