"""Planner benchmark: loaded instances, reference solutions and the online simulation.

    python benchmarks/planner.py                      # offline table + online simulation
    python benchmarks/planner.py --only offline       # just the table
    python benchmarks/planner.py --make-references    # recompute benchmarks/references/ (slow, 20 min)

Instances come from :func:`corridor.planning.generate.generate` (documented there): 12 facilities,
eligibility at 1-3 of them, weights {1, 2, 5, 10}, 4 seats and one facility a day, releases uniform
over the horizon, due = release + U[1, 30]. Seeds are fixed below, so every run sees the same
instances. References are the best of a 300-second HiGHS MILP (1 thread) and a 300-second 8-worker
CP-SAT run on the full strong model, computed once and stored as JSON; the table compares against
them without recomputing unless asked.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from corridor.planning import arrays
from corridor.planning.cpsat import cpsat_pattern, milp_pattern
from corridor.planning.generate import generate
from corridor.planning.model import Instance, check_plan, plan_to_dict

HERE = Path(__file__).resolve().parent
REFERENCES = HERE / "references"

# name -> (patients, horizon, seed, has a stored reference)
INSTANCES: dict[str, tuple[int, int, int, bool]] = {
    "loaded-450": (450, 90, 450, True),
    "loaded-1000": (1000, 90, 1000, True),
    "large-2000": (2000, 180, 2000, False),
}


def instance(name: str) -> Instance:
    n, horizon, seed, _ = INSTANCES[name]
    return generate(n, horizon=horizon, seed=seed)


def make_reference(name: str, seconds: float) -> dict[str, Any]:
    """Run the HiGHS MILP and then the 8-worker CP-SAT model, one after the other, keep both."""
    inst = instance(name)
    a = arrays.compile_instance(inst)
    runs: dict[str, Any] = {}
    best: tuple[float, dict[str, Any]] | None = None
    for method, run in (
        ("highs-milp", lambda: milp_pattern(a, seconds, threads=1)),
        ("cpsat-8-workers", lambda: cpsat_pattern(a, seconds, workers=8)),
    ):
        start = time.monotonic()
        pattern, bound = run()
        result = arrays.assign(a, pattern)
        plan = arrays.to_plan(a, pattern, result.day)
        assert not check_plan(inst, plan), check_plan(inst, plan)[:3]
        runs[method] = {"objective": plan.objective, "bound": bound, "seconds": round(time.monotonic() - start, 1)}
        print(f"{name} {method}: objective {plan.objective} bound {bound:.1f}", flush=True)
        if best is None or (plan.objective or 0) < best[0]:
            best = (plan.objective or 0.0, plan_to_dict(plan))
    assert best is not None
    return {
        "instance": name,
        "patients": INSTANCES[name][0],
        "horizon_days": INSTANCES[name][1],
        "seed": INSTANCES[name][2],
        "seconds_per_run": seconds,
        "runs": runs,
        "objective": best[0],
        "plan": best[1],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--make-references", action="store_true", help="recompute the stored references")
    parser.add_argument("--reference-seconds", type=float, default=300.0)
    parser.add_argument("--instances", nargs="*", default=list(INSTANCES))
    args = parser.parse_args(argv)
    if args.make_references:
        REFERENCES.mkdir(exist_ok=True)
        for name in args.instances:
            if not INSTANCES[name][3]:
                continue
            ref = make_reference(name, args.reference_seconds)
            (REFERENCES / f"{name}.json").write_text(json.dumps(ref, indent=1) + "\n")
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
