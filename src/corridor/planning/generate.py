"""Seeded random instances: the benchmark's "loaded case" and small variants for the tests.

The loaded case (the benchmark default): 12 facilities, each patient eligible at 1 to 3 of them
chosen uniformly, weights drawn uniformly from {1, 2, 5, 10} (the four priority classes), 4 seats
and one facility a day, releases uniform over the horizon and a deadline 1 to 30 days after release.
With n = 450 on a 90-day horizon there are 360 seats for 450 patients, so many patients cannot
travel at all and the plan decides who. The same seed always gives the same instance.
"""

from __future__ import annotations

import random
from typing import Any, TypedDict, Unpack

from corridor.planning.model import INSTANCE_FORMAT, Instance, load_instance

WEIGHTS = (1, 2, 5, 10)


class Options(TypedDict, total=False):
    """:func:`generate_dict`'s keyword options (their defaults are there), so :func:`generate` takes them too."""

    horizon: int
    facilities: int
    seed: int
    capacity: int
    max_facilities: int
    due_window: tuple[int, int]
    closed_days: int
    closed_weekdays: int
    fixed: int


def generate(n: int, **options: Unpack[Options]) -> Instance:
    """A random instance; ``closed_days``, ``closed_weekdays`` and ``fixed`` add the irregularities the
    tests need (that many closed days, facilities with one closed weekday, fixed appointments)."""
    return load_instance(generate_dict(n, **options))


def generate_dict(
    n: int,
    *,
    horizon: int = 90,
    facilities: int = 12,
    seed: int = 0,
    capacity: int = 4,
    max_facilities: int = 1,
    due_window: tuple[int, int] = (1, 30),
    closed_days: int = 0,
    closed_weekdays: int = 0,
    fixed: int = 0,
) -> dict[str, Any]:
    rng = random.Random(seed)
    fac_ids = [f"H{h + 1}" for h in range(facilities)]
    facs = [
        {"id": fid, "closed_weekdays": [rng.randrange(7)] if h < closed_weekdays else []}
        for h, fid in enumerate(fac_ids)
    ]
    days = [{"day": t, "closed": True} for t in sorted(rng.sample(range(horizon), min(closed_days, horizon)))]
    patients: list[dict[str, Any]] = []
    for k in range(n):
        release = rng.randrange(horizon)
        elig = rng.sample(fac_ids, rng.randint(1, min(3, facilities)))
        patients.append(
            {
                "id": f"P{k + 1}",
                "release": release,
                "due": release + rng.randint(due_window[0], due_window[1]),
                "weight": rng.choice(WEIGHTS),
                "facilities": elig,
                "fixed": None,
            }
        )
    for k in rng.sample(range(n), min(fixed, n)):
        p = patients[k]
        p["fixed"] = {
            "facility": rng.choice(p["facilities"]),
            "day": min(horizon - 1, p["release"] + rng.randrange(5)),
        }
    return {
        "format": INSTANCE_FORMAT,
        "horizon_days": horizon,
        "default_capacity": capacity,
        "default_max_facilities": max_facilities,
        "start_weekday": 0,
        "days": days,
        "facilities": facs,
        "patients": patients,
    }
