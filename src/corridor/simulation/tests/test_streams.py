"""The counter-based random numbers behave like independent uniforms, and their transforms are exact."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from corridor.simulation import streams

REPS = np.arange(400, dtype=np.uint64)[:, None]
DAYS = np.arange(500, dtype=np.uint64)[None, :] + np.uint64(streams.DAY_SHIFT)


def test_uniforms_are_uniform_and_neighbours_uncorrelated() -> None:
    u = streams.uniforms(streams.key(7, streams.ARRIVALS, "P1"), REPS, DAYS)
    assert u.shape == (400, 500) and u.min() >= 0 and u.max() < 1
    assert stats.kstest(u.ravel(), "uniform").pvalue > 1e-3
    for a, b in ((u[:, :-1], u[:, 1:]), (u[:-1, :], u[1:, :])):
        assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 0.01


def test_streams_for_different_classes_seeds_and_purposes_are_unrelated() -> None:
    base = streams.uniforms(streams.key(7, streams.ARRIVALS, "P1"), REPS, DAYS).ravel()
    for other in (
        streams.key(7, streams.ARRIVALS, "P2"),
        streams.key(8, streams.ARRIVALS, "P1"),
        streams.key(7, streams.TRIPS, "P1"),
    ):
        u = streams.uniforms(other, REPS, DAYS).ravel()
        assert abs(np.corrcoef(base, u)[0, 1]) < 0.01


def test_a_draw_depends_only_on_its_coordinates() -> None:
    k = streams.key(7, streams.TRIPS)
    whole = streams.uniforms(k, REPS, DAYS)
    part = streams.uniforms(k, REPS[100:150], DAYS)
    np.testing.assert_array_equal(whole[100:150], part)


@pytest.mark.parametrize("rate", [0.05, 0.8, 3.0, 25.0])
def test_poisson_counts_have_the_poisson_law(rate: float) -> None:
    u = streams.uniforms(streams.key(3, streams.ARRIVALS, "X"), REPS, DAYS).ravel()
    counts = streams.poisson_from_uniform(u, rate)
    top = int(rate + 6 * np.sqrt(rate) + 3)
    observed = np.bincount(np.minimum(counts, top), minlength=top + 1)
    expected = stats.poisson.pmf(np.arange(top + 1), rate) * len(u)
    expected[-1] += stats.poisson.sf(top, rate) * len(u)
    keep = expected > 5
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3


def test_a_higher_rate_only_adds_referrals() -> None:
    u = streams.uniforms(streams.key(3, streams.ARRIVALS, "X"), REPS, DAYS)
    low, high = streams.poisson_from_uniform(u, 2.0), streams.poisson_from_uniform(u, 2.5)
    assert np.all(high >= low) and high.sum() > low.sum()


def test_geometric_trials_have_mean_one_over_p() -> None:
    u = streams.uniforms(streams.key(3, streams.HAZARD, "X"), REPS, DAYS).ravel()
    for p in (0.01, 0.2, 1.0):
        trials = streams.geometric_from_uniform(u, p)
        assert trials.min() >= 1
        assert trials.mean() == pytest.approx(1 / p, rel=0.02)
