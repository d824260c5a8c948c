"""Exact results for one class under FIFO: the discrete-time bulk-service queue.

With Poisson(lambda) referrals a day and a trip of K seats that happens with probability p, the queue
just after each day's trip is

    X[t+1] = max(0, X[t] + A[t+1] - K * B[t+1]),   A ~ Poisson(lambda), B ~ Bernoulli(p),

the discrete-time bulk-service queue of Bailey (1954), studied in this form by Bruneel & Wuyts (1994)
and Janssen & van Leeuwaarden (2005). It is stable when rho = lambda / (p K) < 1. Its stationary law is
computed here from the embedded Markov chain truncated at N states, with N chosen from the geometric
decay of the tail so that the truncated mass is negligible; the waiting-time law follows exactly from it.

These functions are the simulator's reference: the test suite checks simulated means against them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import brentq
from scipy.sparse.linalg import spsolve
from scipy.stats import binom, poisson

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BulkQueue:
    """Stationary solution of the queue above: ``pi[i]`` = P(X = i) just after a day's trip."""

    rate: float
    capacity: int
    trip_probability: float
    pi: FloatArray

    @property
    def rho(self) -> float:
        return self.rate / (self.trip_probability * self.capacity)

    @property
    def mean_queue(self) -> float:
        return float(np.dot(np.arange(len(self.pi)), self.pi))

    def ahead_of_arrival(self) -> FloatArray:
        """Law of the number of patients ahead of a newly referred patient in the queue.

        The queue left by yesterday's trip (independent of today's referrals), plus the patients referred
        earlier the same day: for a patient chosen at random among a Poisson day's referrals, the number
        before it is j with probability P(A > j) / lambda.
        """
        jmax = _poisson_max(self.rate) + 1
        j = np.arange(jmax)
        same_day = poisson.sf(j, self.rate) / self.rate
        return np.convolve(self.pi, same_day)

    def _trips_needed(self) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Law of n, the number of trips that must happen before the patient travels (theirs included)."""
        ahead = self.ahead_of_arrival()
        n = np.arange(len(ahead)) // self.capacity + 1
        probs = np.bincount(n, weights=ahead)
        values = np.arange(len(probs), dtype=np.int64)
        keep = probs > 0
        return values[keep], np.asarray(probs[keep], dtype=np.float64)

    @property
    def mean_wait(self) -> float:
        """E[W]: the n-th trip that happens, counting from the referral day as day 0, comes on average
        after n / p trials, so W = (trial number) - 1."""
        n, probs = self._trips_needed()
        return float(np.dot(n, probs)) / self.trip_probability - 1

    def wait_cdf(self, days: int) -> FloatArray:
        """P(W <= d) for d = 0 .. days: travelling by day d means n trips among the first d + 1 days."""
        n, probs = self._trips_needed()
        d = np.arange(days + 1)
        if self.trip_probability >= 1:
            return np.array([float(probs[n <= x + 1].sum()) for x in d])
        by_n = binom.sf(n[None, :] - 1, d[:, None] + 1, self.trip_probability)
        return np.asarray(by_n @ probs, dtype=float)

    def p_wait_over(self, days: int) -> float:
        return float(1 - self.wait_cdf(days)[-1])


def _poisson_max(rate: float, eps: float = 1e-16) -> int:
    """A count beyond which a Poisson(rate) variable falls with probability below eps."""
    k = int(rate + 10 * math.sqrt(rate) + 20)
    while poisson.sf(k, rate) > eps:
        k *= 2
    return k


def tail_decay(rate: float, capacity: int, trip_probability: float) -> float:
    """The z > 1 with E[z^(A - K B)] = 1: the stationary tail falls like z^-n."""

    def f(log_z: float) -> float:
        z = math.exp(log_z)
        return rate * (z - 1) + math.log(trip_probability * z ** (-capacity) + 1 - trip_probability)

    hi = 1e-3
    while f(hi) < 0:
        hi *= 2
    return math.exp(brentq(f, 1e-12, hi, xtol=1e-14))


def bulk_service_queue(
    rate: float, capacity: int, trip_probability: float, *, tail: float = 1e-13, max_states: int = 400_000
) -> BulkQueue:
    """Solve the stationary law of the bulk-service queue (raises ValueError unless rho < 1)."""
    if rate <= 0 or capacity < 1 or not (0 < trip_probability <= 1):
        raise ValueError("need rate > 0, capacity >= 1 and 0 < trip probability <= 1")
    if rate >= trip_probability * capacity:
        raise ValueError(f"rho = {rate / (trip_probability * capacity):.3f} >= 1: no stationary law")
    z = tail_decay(rate, capacity, trip_probability)
    states = int(math.log(1 / tail) / math.log(z)) + 4 * capacity + _poisson_max(rate) + 50
    if states > max_states:
        raise ValueError(f"rho is too close to 1 for an exact solution within {max_states} states")
    amax = _poisson_max(rate)
    arrivals = poisson.pmf(np.arange(amax + 1), rate)
    arrivals[-1] += 1 - arrivals.sum()

    # Transition i -> j as COO triplets, vectorised over (i, a).
    i = np.repeat(np.arange(states), amax + 1)
    a = np.tile(np.arange(amax + 1), states)
    pa = np.tile(arrivals, states)
    up = np.minimum(i + a, states - 1)  # mass beyond the truncation is lumped on the last state
    served = np.minimum(np.maximum(i + a - capacity, 0), states - 1)
    rows = np.concatenate([i, i])
    cols = np.concatenate([up, served])
    vals = np.concatenate([pa * (1 - trip_probability), pa * trip_probability])
    matrix = sparse.coo_matrix((vals, (rows, cols)), shape=(states, states)).tocsr()
    # pi (P - I) = 0 with sum(pi) = 1: transpose, and replace the last balance equation by the sum.
    system = (matrix.T - sparse.identity(states, format="csr")).tolil()
    system[states - 1, :] = np.ones(states)
    rhs = np.zeros(states)
    rhs[-1] = 1
    pi = np.asarray(spsolve(system.tocsc(), rhs), dtype=float)
    pi = np.maximum(pi, 0)
    pi /= pi.sum()
    return BulkQueue(rate, capacity, trip_probability, pi)
