"""Today's trip by rollout: try each candidate trip, play the days after it out, keep the best.

A plan of only the patients waiting today treats the coming weeks as empty and trips as certain;
in a camp where referrals keep arriving and trips get cancelled, that plan postpones anyone not yet
late and the newcomers pay for it. Rollout (Bertsekas' rollout algorithm) judges each candidate for
today by its consequences: for a few sampled futures (referrals copied from past ones, trips
cancelled at the observed rate) it lets the ATC rule run the rest of the horizon and adds up the
weighted lateness of everyone. The same futures serve every candidate, so the comparison is paired,
and ATC's own choice for today is always a candidate, which is why rollout does at least as well as
ATC on the sampled futures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from corridor.planning.arrays import Arrays, IntArray, compile_instance
from corridor.planning.model import Instance, Patient


@dataclass
class Candidate:
    facility: int
    patients: IntArray  # indices into the instance's patients
    source: str  # "atc" or "planner"


def _index(a: Arrays, t: int, lookahead: float) -> np.ndarray:
    slack = np.maximum(a.due - t, 0).astype(np.float64)
    return np.asarray(a.weight * np.exp(-slack / lookahead))


def atc_candidates(a: Arrays, today: int, lookahead: float, count: int) -> list[Candidate]:
    """ATC's batch at each of the ``count`` facilities with the highest batch value today."""
    ready = (a.release <= today) & (a.fixed_day < 0)
    if a.cap[today] <= 0 or a.maxfac[today] <= 0:
        return []
    index = _index(a, today, lookahead)
    options: list[tuple[float, Candidate]] = []
    for h in np.nonzero(a.open[today])[0]:
        pool = np.nonzero(ready & a.elig[:, h])[0]
        if len(pool) == 0:
            continue
        chosen = pool[np.argsort(-index[pool], kind="stable")[: a.cap[today]]]
        options.append((float(index[chosen].sum()), Candidate(int(h), chosen, "atc")))
    options.sort(key=lambda o: -o[0])
    return [c for _, c in options[:count]]


def play_out(a: Arrays, today: int, first: Candidate | None, cancelled: np.ndarray, lookahead: float) -> int:
    """Total weighted lateness if today's trip is ``first`` and ATC decides every later day."""
    day = np.full(a.n, -1, dtype=np.int64)
    waiting = np.ones(a.n, dtype=bool)
    elig = a.elig
    for t in range(today, a.T):
        if cancelled[t] or a.cap[t] <= 0 or a.maxfac[t] <= 0:
            continue
        if t == today and first is not None:
            day[first.patients] = t
            waiting[first.patients] = False
            continue
        ready = waiting & (a.release <= t)
        if not ready.any():
            continue
        index = _index(a, t, lookahead)
        k = int(a.cap[t])
        scores = np.where(ready[:, None] & elig & a.open[t][None, :], index[:, None], 0.0)
        top = -np.partition(-scores, k - 1, axis=0)[:k] if scores.shape[0] > k else scores
        value = top.sum(axis=0)
        h = int(np.argmax(value))
        if value[h] <= 0:  # no open facility accepts anyone ready
            continue
        pool = np.nonzero(ready & elig[:, h])[0]
        if len(pool) == 0:
            continue
        chosen = pool[np.argsort(-index[pool], kind="stable")[:k]]
        day[chosen] = t
        waiting[chosen] = False
    late = np.where(day >= 0, np.maximum(0, day - a.due), np.maximum(0, a.T - a.due))
    return int((a.weight * late).sum())


def sample_future(current: Instance, templates: Sequence[Patient], rate: float, today: int,
                  rng: np.random.Generator) -> Instance:
    """``current`` plus referrals sampled from tomorrow on: Poisson(``rate``) a day, each a copy of
    a random past referral (weight, accepted facilities, time to deadline)."""
    taken = {p.id for p in current.patients}
    extra: list[Patient] = []
    if rate > 0 and templates:
        for t in range(today + 1, current.horizon_days):
            for j in range(int(rng.poisson(rate))):
                p = templates[int(rng.integers(len(templates)))]
                pid = f"~expected-{t}-{j}"
                while pid in taken:
                    pid += "~"
                extra.append(Patient(pid, t, t + max(0, p.due - p.release), p.weight, p.facilities, None))
    return replace(current, patients=current.patients + tuple(extra))


def choose(current: Instance, today: int, candidates: list[Candidate], templates: Sequence[Patient],
           rate: float, cancel_rate: float, scenarios: int, lookahead: float, seed: int) -> tuple[int, list[float]]:
    """Index of the candidate with the lowest mean played-out cost, and all the means.

    Candidates index the patients of ``current``; sampled patients are appended after them, so the
    indices stay valid in every scenario. Ties go to the earlier candidate.
    """
    rng = np.random.default_rng(seed)
    totals = np.zeros(len(candidates))
    for _ in range(scenarios):
        a = compile_instance(sample_future(current, templates, rate, today, rng))
        cancelled = rng.random(a.T) < cancel_rate
        cancelled[today] = False  # today's cancellation hits every candidate alike
        for c, cand in enumerate(candidates):
            totals[c] += play_out(a, today, cand, cancelled, lookahead)
    means = (totals / max(1, scenarios)).tolist()
    best = int(np.argmin(totals)) if len(candidates) else -1
    return best, means
