"""Counter-based random numbers: each draw is a pure function of what it is for.

A uniform is the SplitMix64 finaliser (Steele, Lea & Flood 2014, the generator behind Java's
SplittableRandom) applied to a key built from the seed, the purpose, the class and the draw's coordinates
(replication, day, patient). Three things follow, all of which the simulator relies on:

* the figures do not depend on how replications are split into batches, because replication r's
  numbers are the same whichever batch computes them;
* every draw for a whole batch is one vectorised expression, with no generator object per
  replication;
* scenarios compared side by side see common random numbers: the same seed gives the same uniforms
  for the same (replication, day), and Poisson counts and trip outcomes are monotone transforms of
  them, so a higher rate adds referrals and a higher trip probability adds trips, never reshuffles.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import numpy.typing as npt
from scipy.stats import poisson

U64 = npt.NDArray[np.uint64]
FloatArray = npt.NDArray[np.float64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK = (1 << 64) - 1

ARRIVALS, SPLIT, TRIPS, HAZARD, DEATH = 1, 2, 3, 4, 5
# Days are shifted so that the initial backlog's negative referral days stay non-negative.
DAY_SHIFT = 1 << 20


def mix(x: U64) -> U64:
    """SplitMix64's output function: a bijection of 64-bit words with full avalanche."""
    x = x + _GOLDEN  # uint64 arithmetic wraps, as the algorithm intends
    z = (x ^ (x >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _mix_int(x: int) -> int:
    return int(mix(np.array([x & _MASK], dtype=np.uint64))[0])


def key(seed: int, purpose: int, label: str = "") -> int:
    """The key of one stream: a seed, a purpose, and (for per-class streams) the class's name."""
    k = _mix_int(seed)
    k = _mix_int(k ^ purpose)
    return _mix_int(k ^ zlib.crc32(label.encode()))


def uniforms(stream: int, *coordinates: npt.ArrayLike) -> FloatArray:
    """Uniforms in [0, 1), one per element of the broadcast coordinates."""
    words = np.full((1,) * max(np.ndim(c) for c in coordinates), stream, dtype=np.uint64)
    # Mixing coordinate by coordinate as they broadcast keeps the work on the smaller shapes first.
    for c in coordinates:
        words = mix(words ^ np.asarray(c).astype(np.uint64))
    return (words >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def poisson_from_uniform(u: FloatArray, rate: float) -> npt.NDArray[np.int64]:
    """Poisson(rate) counts by inverting the CDF (a table lookup): monotone in the rate for a fixed u."""
    if rate <= 0:
        return np.zeros(np.shape(u), dtype=np.int64)
    top = int(rate + 12 * math.sqrt(rate) + 30)
    cdf = poisson.cdf(np.arange(top), rate)
    return np.searchsorted(cdf, u, side="right").astype(np.int64)


def geometric_from_uniform(u: FloatArray, p: float) -> npt.NDArray[np.int64]:
    """Number of trials up to and including the first success, success probability p per trial."""
    if p >= 1:
        return np.ones(np.shape(u), dtype=np.int64)
    # 1 - u is in (0, 1], so the logarithm is finite; a tiny p can still give astronomically many trials,
    # which are capped far beyond any horizon.
    cap = 1 << 30
    if math.log1p(-p) == 0.0:  # p below double precision: never, as far as any horizon goes
        return np.full(np.shape(u), cap, dtype=np.int64)
    with np.errstate(over="ignore"):  # a tiny p overflows to inf, which the cap absorbs
        trials = np.floor(np.log1p(-u) / math.log1p(-p)) + 1
    return np.minimum(trials, cap).astype(np.int64)
