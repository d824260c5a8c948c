"""Today's trip under uncertainty: the facility that does best across sampled futures.

A plan of only the patients waiting today treats the coming weeks as empty and every trip as sure
to leave. In a camp where referrals keep arriving and trips get cancelled, such a plan postpones
anyone not yet late, and the newcomers pay for it. Here each sampled future adds referrals copied
from past ones (at the observed daily rate) and prices a trip close to a patient's deadline as
if, at the observed cancellation rate, it left some days later (:func:`arrays.with_risk`). For every
facility open today, the future's plan is ATC's day choices with today's facility swapped in, and
patients are placed exactly by min-cost flow. The facility with the lowest total over the futures
wins. Today's seats go to the patients that those plans send today most often.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from corridor.planning.arrays import IntArray, assign, compile_instance, with_risk
from corridor.planning.baselines import atc_pattern
from corridor.planning.model import Instance, Patient

# ATC look-aheads tried for each sampled future (fewer than the offline search: this runs daily).
LOOKAHEADS = (0.5, 1.0, 2.0, 4.0, 8.0)


def sample_future(
    current: Instance, templates: Sequence[Patient], rate: float, today: int, rng: np.random.Generator
) -> Instance:
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


def decide_today(
    current: Instance,
    today: int,
    templates: Sequence[Patient],
    rate: float,
    cancel_rate: float,
    delay: int,
    scenarios: int,
    rng: np.random.Generator,
) -> tuple[int, IntArray] | None:
    """(facility index, patient indices into ``current.patients``) for today, or None if no trip.

    ``current`` must already be the situation as of today (past days closed, approved trips fixed).
    """
    base = compile_instance(current)
    options = [int(h) for h in np.nonzero(base.open[today])[0]] if base.cap[today] > 0 else []
    if not options or scenarios <= 0:
        return None
    totals = np.zeros(base.H)
    votes = np.zeros((base.H, base.n))
    share = max(1, round(10 * cancel_rate)) if cancel_rate > 0 else 0
    for _ in range(scenarios):
        a = compile_instance(sample_future(current, templates, rate, today, rng))
        if share:
            a = with_risk(a, share, delay)
        pattern, _, _ = atc_pattern(a, LOOKAHEADS)
        for h in options:
            trial = pattern.copy()
            trial[today] = -1
            trial[today, 0] = h
            result = assign(a, trial)
            totals[h] += result.cost
            votes[h] += result.day[: base.n] == today
    best = min(options, key=lambda h: (totals[h], h))
    chosen = np.nonzero(votes[best] > 0)[0]
    # Most votes first; ties by the ATC index at a middle look-ahead, then by list order.
    slack = np.maximum(base.due[chosen] - today, 0)
    urgency = base.weight[chosen] * np.exp(-slack / 2.0)
    order = np.lexsort((np.arange(len(chosen)), -urgency, -votes[best][chosen]))
    free = int(base.cap[today] - (base.fixed_day == today).sum())
    return best, chosen[order][: max(0, free)]
