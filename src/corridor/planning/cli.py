"""``corridor plan``: solve, check and bound day-level transfer plans from JSON files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from corridor import jsonlimits
from corridor.cli import UserError, with_django
from corridor.planning.model import (
    Instance,
    InstanceError,
    Plan,
    check_plan,
    load_instance,
    load_plan,
    objective,
)


def _read_json(path: str, what: str) -> Any:
    try:
        return jsonlimits.loads(Path(path).read_bytes())
    except OSError as exc:
        raise UserError(f"{what} {path}: cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{what} {path}: not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:  # nested too deeply, or not UTF-8
        raise UserError(f"{what} {path}: cannot be read ({exc})") from None


def _instance(path: str) -> Instance:
    try:
        return load_instance(_read_json(path, "instance"))
    except InstanceError as exc:
        raise UserError(f"instance {path}: {exc}") from None


def _write_plan(plan: Plan, out: str | None) -> None:
    from corridor.planning.model import plan_to_dict

    text = json.dumps(plan_to_dict(plan), indent=1) + "\n"
    if out == "-":
        click.echo(text, nl=False)
    elif out:
        Path(out).write_text(text, encoding="utf-8")


def _summary(plan: Plan) -> str:
    cost = plan.objective or 0.0
    bound = plan.lower_bound
    if bound is None:
        return f"objective {cost:g}; no lower bound"
    gap = (cost - bound) / cost if cost > 0 else 0.0
    return f"objective {cost:g}; lower bound {bound:g}; gap {gap:.1%}"


@click.group()
def plan() -> None:
    """Plan transfers: which facility each day and which patients, to keep weighted lateness low."""


@plan.command()
@click.argument("instance_path", metavar="INSTANCE.json")
@click.option(
    "--time-limit", type=click.FloatRange(min=0.1), default=30.0, show_default=True, help="Seconds to search."
)
@click.option("--out", metavar="PLAN.json", help="Write the plan here ('-' for standard output).")
@click.option(
    "--workers",
    type=click.IntRange(1, 2),
    default=2,
    show_default=True,
    help="Processes to use (the second computes the LP bound, then searches).",
)
@click.option("--method", type=click.Choice(["planner", "atc", "fifo"]), default="planner", show_default=True)
@click.option("--explain", is_flag=True, help="Explain day 0's trip, who is projected late and the bound.")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.option(
    "--reproducible",
    is_flag=True,
    help="Search within the default work budget instead of the time limit: the same plan on any machine.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the search's random choices.")
def solve(
    instance_path: str,
    time_limit: float,
    out: str | None,
    workers: int,
    method: str,
    explain: bool,
    quiet: bool,
    reproducible: bool,
    seed: int,
) -> None:
    """Find the best plan within the time limit (or the work budget); print its objective, the bound and the gap."""
    inst = _instance(instance_path)
    from corridor.planning import baselines, solver

    tty = sys.stderr.isatty()

    def progress(elapsed: float, cost: float, bound: float, phase: str) -> None:
        if quiet:
            return
        line = f"{elapsed:6.1f}s  best {cost:g}  bound {bound:g}  {phase}"
        click.echo(("\r\033[K" + line) if tty else line, err=True, nl=not tty)

    if method == "planner":
        from corridor.planning.budget import Budget

        budget = Budget(seed=seed) if reproducible else None
        result = solver.solve(inst, time_limit, progress, workers=workers, seed=seed, budget=budget)
        if tty and not quiet:
            click.echo("", err=True)
    elif method == "atc":
        result = baselines.atc(inst)
    else:
        result = baselines.fifo(inst)
    _write_plan(result, out)
    stream_is_plan = out == "-"
    click.echo(_summary(result), err=stream_is_plan)
    if explain:
        from corridor.planning.arrays import compile_instance, pattern_of
        from corridor.planning.explain import explain_day

        a = compile_instance(inst)
        for e in explain_day(a, pattern_of(a, result), result, 0):
            click.echo(e.sentence, err=stream_is_plan)


@plan.command()
@click.argument("instance_path", metavar="INSTANCE.json")
@click.argument("plan_path", metavar="PLAN.json")
def check(instance_path: str, plan_path: str) -> None:
    """Check every rule; print the objective, or the first violation and exit 1."""
    inst = _instance(instance_path)
    try:
        result = load_plan(_read_json(plan_path, "plan"))
    except InstanceError as exc:
        raise UserError(f"plan {plan_path}: {exc}") from None
    violations = check_plan(inst, result)
    if violations:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        click.echo(f"violation: {first}{more}", err=True)
        sys.exit(1)
    click.echo(f"ok: objective {objective(inst, result)}")


@plan.command()
@click.argument("instance_path", metavar="INSTANCE.json")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.5),
    default=300.0,
    show_default=True,
    help="Seconds for the LP; the Lagrangian bound is used if it does not finish.",
)
def bound(instance_path: str, time_limit: float) -> None:
    """A lower bound from the strong LP relaxation (x[i,t,h] <= y[t,h]): no plan can do better."""
    inst = _instance(instance_path)
    from corridor.planning.arrays import compile_instance
    from corridor.planning.lagrange import solve_dual
    from corridor.planning.lp import relax

    a = compile_instance(inst)
    # Same as planning.bounds.lower_bound, but says which of the two bounds it is.
    dual = solve_dual(a, min(10.0, time_limit / 4), iterations=600)
    lp = relax(a, time_limit)
    if lp.optimal:
        click.echo(f"lower bound {max(lp.bound, dual.bound):g} (strong LP relaxation, {lp.seconds:.1f}s)")
    else:
        click.echo(
            f"lower bound {dual.bound:g} (Lagrangian dual of the strong LP; the LP itself did not finish "
            f"in {time_limit:g}s)"
        )


@plan.command()
@click.argument("entry", type=int)
@click.option("--out", metavar="RESULT.json", help="Write the re-derived output here ('-' for standard output).")
@with_django
def replay(entry: int, out: str | None) -> None:
    """Re-derive a recorded plan (ledger entry ENTRY) from its instance, seed and budget; exit 1 if it differs.

    The entry holds the instance the planner saw, its hash, the seed and the work budget; the planner is
    run again on them and its output compared byte for byte (by hash) with what was recorded.
    """
    from corridor.errors import NotFound
    from corridor.errors import template as _
    from corridor.ledger.models import Entry
    from corridor.transfers.plans import canonical_json, replay_plan

    found = Entry.objects.filter(seq=entry).first()
    if found is None:
        raise NotFound(_("no ledger entry %(seq)s"), code="entry.not_found", seq=entry)
    result = replay_plan(found)
    if out == "-":
        click.echo(canonical_json(result.result).decode())
    elif out:
        Path(out).write_bytes(canonical_json(result.result) + b"\n")
    click.echo(f"instance sha256 {result.instance_sha256}", err=out == "-")
    if not result.identical:
        click.echo(
            f"differs: entry {entry} recorded {result.recorded_sha256}, the replay gives {result.replayed_sha256}",
            err=True,
        )
        sys.exit(1)
    click.echo(f"identical: entry {entry} re-derived byte for byte (sha256 {result.replayed_sha256})", err=out == "-")
