"""Planner benchmark: loaded instances, reference solutions and the online simulation.

    python benchmarks/planner.py                      # offline table + online simulation
    python benchmarks/planner.py --only offline       # just the table
    python benchmarks/planner.py --make-references    # recompute benchmarks/references/ (slow, 20 min)
    python benchmarks/planner.py --only reproducible  # the work-bounded planner against the references

The reproducible table runs the planner as recorded plans do, bounded by work (``Budget``) and not
the clock: the plan is the same on every run and every machine; only the seconds it takes vary.

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
import multiprocessing
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from corridor.planning import arrays
from corridor.planning.baselines import atc, fifo
from corridor.planning.budget import Budget
from corridor.planning.cpsat import cpsat_pattern, milp_pattern
from corridor.planning.generate import generate
from corridor.planning.lagrange import solve_dual
from corridor.planning.lp import relax
from corridor.planning.model import Instance, Plan, check_plan, load_plan, objective, plan_to_dict
from corridor.planning.rolling import plan_today, situation
from corridor.planning.solver import solve

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
        runs[method] = {
            "objective": plan.objective,
            "bound": bound,
            "seconds": round(time.monotonic() - start, 1),
        }
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


def offline_row(name: str, seconds: float, bound_seconds: float) -> dict[str, Any]:
    """FIFO, ATC, CP-SAT alone (same time, 2 workers), the planner, the LP bound, the reference."""
    inst = instance(name)
    a = arrays.compile_instance(inst)
    row: dict[str, Any] = {"instance": name, "n": len(inst.patients), "T": inst.horizon_days}
    row["fifo"] = _checked(inst, fifo(inst))
    row["atc"] = _checked(inst, atc(inst))
    pattern, _ = cpsat_pattern(a, seconds, workers=2)
    row["cpsat"] = _checked(inst, arrays.to_plan(a, pattern, arrays.assign(a, pattern).day))
    start = time.monotonic()
    plan = solve(inst, seconds, workers=2)
    row["planner_seconds"] = round(time.monotonic() - start, 1)
    row["planner"] = _checked(inst, plan)
    row["planner_bound"] = plan.lower_bound
    relaxation = relax(a, bound_seconds)
    row["lp_bound"] = relaxation.bound if relaxation.optimal else None
    if row["lp_bound"] is None:
        row["lagrangian_bound"] = solve_dual(a, 30.0, iterations=2000).bound
    ref_path = REFERENCES / f"{name}.json"
    if ref_path.exists():
        ref = json.loads(ref_path.read_text())
        ref_plan = load_plan(ref["plan"])
        assert not check_plan(inst, ref_plan), f"stored reference for {name} breaks a rule"
        row["reference"] = objective(inst, ref_plan)
    return row


def _checked(inst: Instance, plan: Any) -> float:
    violations = check_plan(inst, plan)
    assert not violations, violations[:3]
    return float(objective(inst, plan))


def _ratio(x: float | None, ref: float | None) -> str:
    if x is None or not ref:
        return "-"
    return f"{x / ref:.3f}"


def _print_table(head: tuple[str, ...], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table, to paste into the docs."""
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for cells in rows:
        print("| " + " | ".join(str(c) for c in cells) + " |")


def print_offline(rows: list[dict[str, Any]], seconds: float) -> None:
    print(f"\nOffline, loaded instances ({seconds:g} s for CP-SAT alone and for the planner, 2 cores)\n")
    head = (
        "instance",
        "n",
        "T",
        "FIFO",
        "ATC",
        "CP-SAT",
        "planner",
        "LP bound",
        "reference",
        "ATC/ref",
        "CP-SAT/ref",
        "planner/ref",
        "planner/ATC",
        "gap to bound",
    )
    table = []
    for r in rows:
        ref = r.get("reference")
        bound = r["lp_bound"] if r["lp_bound"] is not None else r.get("lagrangian_bound")
        bound_text = f"{bound:g}" + ("" if r["lp_bound"] is not None else " (Lagrangian)")
        gap = (r["planner"] - bound) / r["planner"] if r["planner"] else 0.0
        table.append(
            (
                r["instance"],
                r["n"],
                r["T"],
                f"{r['fifo']:g}",
                f"{r['atc']:g}",
                f"{r['cpsat']:g}",
                f"{r['planner']:g}",
                bound_text,
                "-" if ref is None else f"{ref:g}",
                _ratio(r["atc"], ref),
                _ratio(r["cpsat"], ref),
                _ratio(r["planner"], ref),
                _ratio(r["planner"], r["atc"]),
                f"{gap:.1%}",
            )
        )
    _print_table(head, table)


def reproducible_row(name: str, budget: Budget) -> dict[str, Any]:
    """The budgeted planner against the reference, on two cores: a second process solves the second
    window of each pair, a third the strong LP at the lowest priority (its bound is shown only if it
    arrives before the search ends; otherwise the bound is the Lagrangian dual's).

    Wall and CPU seconds are both given: on a loaded machine the wall clock says more about the
    neighbours than about the planner, and the plan itself does not depend on either.
    """
    inst = instance(name)
    seen: dict[str, float] = {}

    def progress(elapsed: float, cost: float, bound: float, phase: str) -> None:
        if phase == "lp bound":
            seen["lp_seconds"] = elapsed
            print(f"{name}: LP bound {bound:g} known after {elapsed:.1f} s (best plan so far {cost:g})", flush=True)

    start, cpu = time.monotonic(), time.process_time()
    plan = solve(inst, budget=budget, workers=2, progress=progress)
    row: dict[str, Any] = {
        "instance": name,
        "planner": _checked(inst, plan),
        "bound": plan.lower_bound,
        "seconds": round(time.monotonic() - start, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "lp_seconds": round(seen["lp_seconds"], 1) if "lp_seconds" in seen else None,
        "windows": plan.meta.get("windows"),
    }
    ref_path = REFERENCES / f"{name}.json"
    if ref_path.exists():
        row["reference"] = objective(inst, load_plan(json.loads(ref_path.read_text())["plan"]))
    return row


def print_reproducible(rows: list[dict[str, Any]], budget: Budget) -> None:
    print(f"\nReproducible planner, budget {json.dumps(budget.to_dict())}\n")
    head = (
        "instance",
        "planner",
        "reference",
        "planner/ref",
        "bound",
        "bound known at",
        "seconds (wall)",
        "CPU seconds (main)",
        "windows",
        "gap to bound",
        "bound below reference",
    )
    table = []
    for r in rows:
        ref, bound = r.get("reference"), r["bound"] or 0.0
        table.append(
            (
                r["instance"],
                f"{r['planner']:g}",
                "-" if ref is None else f"{ref:g}",
                _ratio(r["planner"], ref),
                f"{bound:g}",
                "-" if r["lp_seconds"] is None else f"{r['lp_seconds']:g} s",
                r["seconds"],
                r["cpu_seconds"],
                r["windows"],
                f"{(r['planner'] - bound) / r['planner']:.1%}" if r["planner"] else "0%",
                "-" if not ref else f"{(ref - bound) / ref:.1%}",
            )
        )
    _print_table(head, table)
    print(
        "\nThe optimum lies between the bound and the best known plan, so 'bound below reference' is the most"
        "\nthe bound can be below the optimum."
    )


# ------------------------------------------------------------------------------------------ online


def simulate(
    seed: int, policy: str, n: int = 450, horizon: int = 90, budget: float = 0.3, cancel_rate: float = 0.10
) -> float:
    """One run of rolling planning; returns the final weighted tardiness of all referrals.

    Referrals become known on their release day. Each morning the policy picks today's trip from
    what is known: ``atc`` runs the ATC rule (look-ahead searched) on the known patients, ``planner``
    calls :func:`plan_today` with yesterday's plan, the referral rate so far, the past referrals and
    the cancellation rate, and ``budget`` seconds. The trip is then cancelled with probability
    ``cancel_rate``; its patients keep waiting. The draws are the same for every policy, so the
    comparison is paired.
    """
    full = generate(n, horizon=horizon, seed=10_000 + seed)
    cancel = random.Random(seed).random
    cancelled = [cancel() < cancel_rate for _ in range(horizon)]
    travelled: dict[str, int] = {}
    previous: Plan | None = None
    for today in range(horizon):
        known = [p for p in full.patients if p.release <= today and p.id not in travelled]
        if not known:
            continue
        current = replace(full, patients=tuple(known))
        if policy == "atc":
            plan = atc(situation(current, today))
        else:
            referred = [p for p in full.patients if p.release <= today]
            rolling = plan_today(
                current,
                today,
                time_limit=budget,
                previous=previous,
                explain=False,
                arrival_rate=len(referred) / (today + 1),
                history=referred,
                cancel_rate=cancel_rate,
                seed=seed,
            )
            plan, previous = rolling.plan, rolling.plan
        if cancelled[today]:
            continue
        for trip in plan.trips:
            if trip.day == today:
                for pid in trip.patients:
                    travelled[pid] = today
    return float(sum(p.weight * max(0, travelled.get(p.id, horizon) - p.due) for p in full.patients))


def _simulate_pair(seed: int) -> tuple[int, float, float]:
    return seed, simulate(seed, "atc"), simulate(seed, "planner")


def online(seeds: int) -> None:
    start = time.monotonic()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = sorted(pool.map(_simulate_pair, range(1, seeds + 1)))
    print(
        f"\nOnline: referrals arrive over time, 10 % of trips cancelled, re-planned daily "
        f"(n = 450, T = 90, {seeds} seeds, {time.monotonic() - start:.0f} s)\n"
    )
    print("| seed | ATC | planner | planner/ATC |")
    print("|---|---|---|---|")
    for seed, a_cost, p_cost in results:
        print(f"| {seed} | {a_cost:g} | {p_cost:g} | {_ratio(p_cost, a_cost)} |")
    total_a = sum(r[1] for r in results)
    total_p = sum(r[2] for r in results)
    worse = sum(1 for r in results if r[2] > r[1])
    print(f"| total | {total_a:g} | {total_p:g} | {_ratio(total_p, total_a)} |")
    print(
        f"\nplanner vs ATC: {1 - total_p / total_a:.1%} less weighted tardiness in total; "
        f"worse than ATC on {worse} of {seeds} seeds"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--make-references", action="store_true", help="recompute the stored references")
    parser.add_argument("--reference-seconds", type=float, default=300.0)
    parser.add_argument("--instances", nargs="*", default=list(INSTANCES))
    parser.add_argument("--seconds", type=float, default=30.0, help="time for the planner and CP-SAT alone")
    parser.add_argument("--bound-seconds", type=float, default=120.0, help="time for the LP bound")
    parser.add_argument("--seeds", type=int, default=20, help="online simulation seeds")
    parser.add_argument("--only", choices=["offline", "online", "reproducible"])
    parser.add_argument("--windows", type=int, default=Budget().windows, help="window models (reproducible)")
    parser.add_argument("--window-nodes", type=int, default=Budget().window_nodes, help="nodes per window")
    parser.add_argument("--search", type=int, default=Budget().version, help="search version (reproducible)")
    args = parser.parse_args(argv)
    if args.make_references:
        REFERENCES.mkdir(exist_ok=True)
        for name in args.instances:
            if not INSTANCES[name][3]:
                continue
            ref = make_reference(name, args.reference_seconds)
            (REFERENCES / f"{name}.json").write_text(json.dumps(ref, indent=1) + "\n")
        return 0
    if args.only == "reproducible":
        budget = Budget(windows=args.windows, window_nodes=args.window_nodes, version=args.search)
        names = [n for n in args.instances if INSTANCES[n][3]]
        print_reproducible([reproducible_row(n, budget) for n in names], budget)
        return 0
    if args.only != "online":
        rows = []
        for name in args.instances:
            rows.append(offline_row(name, args.seconds, args.bound_seconds))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        print_offline(rows, args.seconds)
    if args.only != "offline":
        online(args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
