"""``corridor simulate``: what the access rules do to waiting, deadlines and lives."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from corridor.cli import UserError
from corridor.simulation.model import (
    DEFAULT_CLASSES,
    POLICIES,
    SINGLE_CLASS,
    PriorityClass,
    Scenario,
    ScenarioError,
    default_class,
)


def _pairs(
    values: tuple[str, ...], flag: str, *, bare_ok: bool = True
) -> tuple[str | None, list[tuple[str, str]]]:
    """Split repeated ``NAME=VALUE`` flags; a single bare VALUE is returned separately."""
    bare: str | None = None
    pairs: list[tuple[str, str]] = []
    for value in values:
        if "=" in value:
            name, _, rest = value.partition("=")
            if not name.strip() or not rest.strip():
                raise UserError(f"{flag} {value!r}: expected NAME=VALUE")
            pairs.append((name.strip(), rest.strip()))
        elif bare_ok and bare is None and not pairs:
            bare = value
        else:
            raise UserError(f"{flag} {value!r}: give one bare value, or NAME=VALUE repeated")
    if bare is not None and pairs:
        raise UserError(f"{flag}: give one bare value, or NAME=VALUE repeated, not both")
    return bare, pairs


def _float(text: str, flag: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UserError(f"{flag}: {text!r} is not a number") from None


def _int(text: str, flag: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UserError(f"{flag}: {text!r} is not a whole number") from None


def _classes_from_rates(values: tuple[str, ...]) -> tuple[PriorityClass, ...]:
    bare, pairs = _pairs(values, "--arrival-rate")
    if bare is not None:
        return (default_class(SINGLE_CLASS, _float(bare, "--arrival-rate")),)
    order = list(DEFAULT_CLASSES)
    named = [default_class(name, _float(rate, "--arrival-rate")) for name, rate in pairs]
    return tuple(sorted(named, key=lambda c: order.index(c.name) if c.name in order else len(order)))


def _apply_per_class(
    classes: tuple[PriorityClass, ...],
    values: tuple[str, ...],
    flag: str,
    field: str,
    parse: Any,
    *,
    bare_means_all: bool,
) -> tuple[PriorityClass, ...]:
    if not values:
        return classes
    bare, pairs = _pairs(values, flag)
    by_name = {c.name: c for c in classes}
    if bare is not None:
        if not bare_means_all and len(classes) > 1:
            raise UserError(f"{flag}: with several classes give CLASS=VALUE for each")
        return tuple(replace(c, **{field: parse(bare, flag)}) for c in classes)
    for name, text in pairs:
        if name not in by_name:
            raise UserError(f"{flag}: no class {name!r} (classes: {', '.join(by_name)})")
        by_name[name] = replace(by_name[name], **{field: parse(text, flag)})
    return tuple(by_name[c.name] for c in classes)


def _overrides(base: Scenario, o: dict[str, Any]) -> Scenario:
    """The scenario with every flag the user gave applied on top."""
    classes = base.classes
    if o["arrival_rates"]:
        bare, pairs = _pairs(o["arrival_rates"], "--arrival-rate")
        if bare is not None and len(classes) > 1:
            raise UserError("--arrival-rate: this scenario has several classes; give CLASS=RATE")
        if bare is not None:
            classes = (replace(classes[0], rate=_float(bare, "--arrival-rate")),)
        else:
            known = {c.name: c for c in classes}
            for name, rate in pairs:
                known[name] = replace(
                    known.get(name) or default_class(name, 0.0), rate=_float(rate, "--arrival-rate")
                )
            classes = tuple(known.values())
    classes = _apply_per_class(
        classes, o["deadline"], "--deadline", "deadline_days", _int, bare_means_all=True
    )
    classes = _apply_per_class(classes, o["weight"], "--weight", "weight", _float, bare_means_all=False)
    classes = _apply_per_class(
        classes, o["death_hazard"], "--death-hazard", "death_hazard", _float, bare_means_all=True
    )
    classes = _apply_per_class(
        classes, o["leave_hazard"], "--leave-hazard", "leave_hazard", _float, bare_means_all=True
    )
    classes = _apply_per_class(
        classes, o["initial_backlog"], "--initial-backlog", "initial_backlog", _int, bare_means_all=False
    )
    # A backlog changed on the command line no longer matches the ledger's ages and specialties.
    classes = tuple(
        c
        if len(c.initial_ages) in (0, c.initial_backlog)
        and len(c.initial_specialties) in (0, c.initial_backlog)
        else replace(c, initial_ages=(), initial_specialties=())
        for c in classes
    )
    changes: dict[str, Any] = {"classes": classes}
    for key in (
        "capacity",
        "trip_probability",
        "facilities_per_day",
        "policy",
        "days",
        "warmup_days",
        "replications",
        "seed",
        "atc_k",
    ):
        if o[key] is not None:
            changes[key] = o[key]
    if o["specialty_mix"]:
        _, pairs = _pairs(o["specialty_mix"], "--specialty-mix", bare_ok=False)
        changes["specialty_mix"] = tuple((n, _float(v, "--specialty-mix")) for n, v in pairs)
    if o["facility"]:
        _, pairs = _pairs(o["facility"], "--facility", bare_ok=False)
        changes["facilities"] = tuple(sorted({**dict(base.facilities), **dict(pairs)}.items()))
    return replace(base, **changes)


def _ledger_events() -> list[dict[str, Any]]:
    """Read the calibration's events from the ledger (the only part of the simulator that needs Django)."""
    from corridor.cli import setup_django

    setup_django()
    from django.db import DatabaseError

    from corridor.ledger.models import Entry
    from corridor.simulation.calibrate import EVENT_TYPES

    # Through the model's own fields and ``payload`` property, not its storage columns, which may change.
    entries = Entry.objects.filter(type__in=EVENT_TYPES).order_by("seq").iterator()
    try:
        return [
            {
                "seq": e.seq,
                "type": e.type,
                "occurred_at": e.occurred_at,
                "payload": e.payload,
                "corrects": getattr(e, "corrects", None),
            }
            for e in entries
        ]
    except DatabaseError as exc:
        raise UserError(
            f"cannot read the ledger ({exc}); run 'corridor migrate' or 'corridor demo' first"
        ) from None


class _OneLineErrors(click.Command):
    """Turn click's own usage errors (a bad number, an unknown option) into the one-line UserError."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise UserError(f"{exc.format_message()} (see corridor simulate --help)") from None


@click.command(cls=_OneLineErrors)
@click.argument("scenarios", nargs=-1, metavar="[SCENARIO]...")
@click.option("--compare", is_flag=True, help="Run the SCENARIOs side by side on common random numbers.")
@click.option(
    "--arrival-rate",
    "arrival_rates",
    multiple=True,
    metavar="RATE|CLASS=RATE",
    help="Referrals a day: one rate (one class), or CLASS=RATE repeated (P1..P4 take the register's "
    "deadlines and weights).",
)
@click.option("--capacity", type=int, help="K: patients allowed out a day.  [default: 4]")
@click.option("--trip-probability", type=float, help="p: share of days whose trip happens.  [default: 1]")
@click.option("--facilities-per-day", type=int, help="F: hospitals a trip may visit.  [default: 1]")
@click.option("--policy", type=click.Choice(list(POLICIES)), help="Who travels.  [default: priority]")
@click.option("--days", type=int, help="Days measured, after the warm-up.  [default: 365]")
@click.option(
    "--warmup-days", type=int, help="Days simulated first and left out of the figures.  [default: 0]"
)
@click.option("--replications", type=int, help="Independent runs.  [default: 1000]")
@click.option("--seed", type=int, help="Random seed; the same seed gives the same figures.  [default: 2024]")
@click.option(
    "--initial-backlog", multiple=True, metavar="N|CLASS=N", help="Patients already waiting on day 0."
)
@click.option("--deadline", multiple=True, metavar="DAYS|CLASS=DAYS", help="Clinical deadline of a class.")
@click.option("--weight", multiple=True, metavar="CLASS=W", help="Class weight (for the ATC policy).")
@click.option(
    "--death-hazard",
    multiple=True,
    metavar="H|CLASS=H",
    help="Daily probability of dying while waiting; death figures appear only when given.",
)
@click.option(
    "--leave-hazard", multiple=True, metavar="H|CLASS=H", help="Daily probability of leaving the list."
)
@click.option(
    "--specialty-mix", multiple=True, metavar="SPECIALTY=SHARE", help="Share of referrals by specialty."
)
@click.option("--facility", multiple=True, metavar="SPECIALTY=HOSPITAL", help="Hospital serving a specialty.")
@click.option("--atc-k", type=float, help="Look-ahead k of the ATC policy.  [default: 2]")
@click.option(
    "--from-record", is_flag=True, help="Estimate arrivals, trip probability and backlog from the ledger."
)
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="With --from-record: first day used."
)
@click.option(
    "--with-hazards", is_flag=True, help="With --from-record: also use the recorded death and leaving rates."
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a chart of the backlog and the waits (.png or .svg).",
)
@click.option(
    "--batch-size", type=int, help="Replications simulated at once (default: as many as fit in about 200 MB)."
)
@click.option("--list", "list_scenarios", is_flag=True, help="List the shipped scenarios and stop.")
def simulate(
    scenarios: tuple[str, ...],
    compare: bool,
    from_record: bool,
    since: dt.datetime | None,
    with_hazards: bool,
    as_json: bool,
    chart: Path | None,
    batch_size: int | None,
    list_scenarios: bool,
    **options: Any,
) -> None:
    """What if the authority allowed more patients a day, or cancelled fewer trips?

    Simulates the waiting list many times over: referrals arrive each day by priority class, a trip
    happens with probability p and takes at most K patients to at most F hospitals, chosen by the
    policy. Prints waits per class with 95 % intervals, the chance of waiting more than 7, 30 and 90
    days and past the deadline, the backlog over time, and deaths when hazards are given.

    Timing: patients referred during day t may travel on day t's trip; the wait W is travel day minus
    referral day, in whole days; the queue is counted just after each day's trip.

    \b
    Examples:
      corridor simulate --arrival-rate 3 --capacity 4 --trip-probability 0.8
      corridor simulate --arrival-rate P1=0.1 --arrival-rate P2=0.6 --policy edf --json
      corridor simulate --compare demo-gate-4-80 demo-gate-12-100 --chart compare.png
      corridor simulate --from-record --since 2014-06-15 demo-gate-4-80
    """
    from corridor.simulation import scenario_files

    if list_scenarios:
        for name, path in sorted(scenario_files.shipped().items()):
            click.echo(f"{name}: {scenario_files.load(str(path)).description}")
        return
    if batch_size is not None and batch_size < 1:
        raise UserError("--batch-size must be >= 1")
    if len(scenarios) > 1 and not compare:
        raise UserError("several scenarios given: add --compare to run them side by side")
    if compare and len(scenarios) < 2:
        raise UserError("--compare needs at least two scenarios (files or shipped names; see --list)")
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        raise UserError(f"--chart {chart}: use a .png or .svg file name")
    if since is not None and not from_record:
        raise UserError("--since goes with --from-record")

    try:
        if scenarios:
            bases = [scenario_files.load(name) for name in scenarios]
        elif options["arrival_rates"] or from_record:
            classes = _classes_from_rates(options["arrival_rates"]) if options["arrival_rates"] else ()
            bases = [Scenario(classes=classes, name="command-line")]
        else:
            raise UserError("give --arrival-rate, a scenario file, or --from-record (see --help)")

        calibration = None
        if from_record:
            from corridor.simulation.calibrate import CalibrationError, calibrate

            try:
                calibration = calibrate(_ledger_events(), since=since.date() if since else None)
            except CalibrationError as exc:
                raise UserError(str(exc)) from None
            bases = [calibration.apply(b, with_hazards=with_hazards) for b in bases]
        built = [_overrides(b, options) for b in bases]
        if compare:
            # Common random numbers need one seed and one number of replications for all.
            built = [replace(b, seed=built[0].seed, replications=built[0].replications) for b in built]
        for b in built:
            b.validate()
    except ScenarioError as exc:
        raise UserError(str(exc)) from None

    if calibration is not None and not as_json:
        for line in calibration.describe(with_hazards=with_hazards):
            click.echo(line, err=True)

    from corridor.simulation import report
    from corridor.simulation.core import compare as run_compare
    from corridor.simulation.core import simulate as run_one

    total = sum(b.replications for b in built)
    show = not as_json and sys.stderr.isatty()
    sink: Any = sys.stderr if show else _Null()
    with click.progressbar(length=total, label="simulating", file=sink) as bar:
        if compare:
            results, diffs = run_compare(built, batch_size=batch_size, progress=bar.update)
        else:
            results, diffs = [run_one(built[0], batch_size=batch_size, progress=bar.update)], []

    if chart is not None:
        report.chart(results, chart)

    if as_json:
        payload: dict[str, Any]
        if compare:
            payload = {
                "scenarios": [r.to_dict() for r in results],
                "differences": [d.to_dict() for d in diffs],
            }
        else:
            payload = results[0].to_dict()
        if calibration is not None:
            payload["calibration"] = calibration.to_dict()
        if chart is not None:
            payload["chart"] = str(chart)
        click.echo(json.dumps(payload, indent=1, allow_nan=False))
        return
    for r in results:
        click.echo("\n".join(report.describe(r)))
        click.echo()
    if compare:
        click.echo("\n".join(report.comparison(results, diffs)))
        click.echo()
    click.echo(report.timing_note())
    if chart is not None:
        click.echo(f"chart written to {chart}")


class _Null:
    """A file that swallows the progress bar when nobody is watching."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
