"""Rolling re-planning: today's trip, a standby list and the forecast, from the state as of today.

This is the pure API the register calls every day. It takes the horizon as an instance (days
counted from the horizon's start, ``today`` an index into it), the trips already approved, and
what went wrong today; it returns plain data (see :meth:`RollingPlan.to_dict`) that the Django side
records as a ``plan.proposed`` ledger entry.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from corridor.planning.arrays import assign, compile_instance, pattern_of, to_plan
from corridor.planning.explain import Explanation, explain_day
from corridor.planning.model import Appointment, Instance, Patient, Plan, Trip, load_instance
from corridor.planning.rollout import decide_today
from corridor.planning.solver import Budget, dual_from_plan, solve_arrays


@dataclass(frozen=True)
class ForecastEntry:
    patient: str
    planned_day: int | None
    facility: str | None
    days_late: int  # projected lateness; for a patient not planned, counted at the horizon's end
    weighted_late: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "planned_day": self.planned_day,
            "facility": self.facility,
            "days_late": self.days_late,
            "weighted_late": self.weighted_late,
        }


@dataclass
class RollingPlan:
    today: int
    trip: Trip | None  # today's trip (first one if a day may visit several facilities)
    trips_today: list[Trip]
    standby: list[str]  # who goes, in this order, if a seat on today's trip frees up
    forecast: list[ForecastEntry]
    objective: int
    lower_bound: float | None
    plan: Plan
    explanations: list[Explanation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: what a ``plan.proposed`` ledger entry stores."""
        return {
            "today": self.today,
            "trip": None
            if self.trip is None
            else {"day": self.trip.day, "facility": self.trip.facility, "patients": list(self.trip.patients)},
            "trips_today": [
                {"day": t.day, "facility": t.facility, "patients": list(t.patients)} for t in self.trips_today
            ],
            "standby": list(self.standby),
            "forecast": [f.to_dict() for f in self.forecast],
            "objective": self.objective,
            "lower_bound": self.lower_bound,
            "explanations": [e.to_dict() for e in self.explanations],
            "sentences": [e.sentence for e in self.explanations],
        }


def _as_trip(raw: Trip | Mapping[str, Any]) -> Trip:
    if isinstance(raw, Trip):
        return raw
    return Trip(int(raw["day"]), str(raw["facility"]), tuple(str(p) for p in raw["patients"]))


def situation(
    instance: Instance,
    today: int,
    approved: Iterable[Trip | Mapping[str, Any]] = (),
    cancelled_today: bool = False,
    unavailable_today: Iterable[str] = (),
) -> Instance:
    """The instance as it stands today: past days closed, today closed if its trip was cancelled,
    approved trips turned into fixed appointments, patients unable to travel today released tomorrow."""
    days = list(instance.days)
    for t in range(min(today, instance.horizon_days)):
        days[t] = replace(days[t], closed=True)
    if cancelled_today and 0 <= today < instance.horizon_days:
        days[today] = replace(days[today], closed=True)
    fixed: dict[str, Appointment] = {}
    for trip in map(_as_trip, approved):
        if trip.day < today:
            continue
        for pid in trip.patients:
            fixed[pid] = Appointment(trip.facility, trip.day)
    away = set(unavailable_today)
    patients = []
    for p in instance.patients:
        release = max(p.release, today + 1 if p.id in away else today)
        appt = fixed.get(p.id, p.fixed)
        facilities = (
            p.facilities if appt is None or appt.facility in p.facilities else (*p.facilities, appt.facility)
        )
        patients.append(replace(p, release=release, fixed=appt, facilities=facilities))
    return replace(instance, days=tuple(days), patients=tuple(patients))


def plan_today(
    instance: Instance | Mapping[str, Any],
    today: int,
    approved: Sequence[Trip | Mapping[str, Any]] = (),
    *,
    cancelled_today: bool = False,
    unavailable_today: Iterable[str] = (),
    time_limit: float = 10.0,
    previous: Plan | None = None,
    workers: int = 1,
    standby_size: int = 8,
    explain: bool = True,
    arrival_rate: float = 0.0,
    history: Sequence[Patient] = (),
    cancel_rate: float = 0.0,
    replan_delay: int = 5,
    scenarios: int = 2,
    seed: int = 0,
    budget: Budget | None = None,
) -> RollingPlan:
    """Re-plan the rest of the horizon as of ``today`` and describe today's decision.

    ``instance`` lists the patients still waiting (a JSON dict is validated with
    :func:`load_instance`); ``approved`` trips are kept as they are; ``cancelled_today`` closes
    today; ``unavailable_today`` names patients who cannot travel today. ``previous`` (yesterday's
    plan) seeds the search, so daily re-planning keeps improving one plan instead of starting over.

    With ``arrival_rate`` (referrals a day, e.g. the recent average) or ``cancel_rate`` (share of
    trips cancelled recently), today's trip is chosen across ``scenarios`` sampled futures built
    from ``history`` (past referrals; the waiting patients if empty), see
    :mod:`corridor.planning.rollout`; the rest of the horizon is then planned around it. The
    objective, bound, forecast and explanations are always for the waiting patients and true cost.

    With ``budget`` the search is bounded by work, not by ``time_limit`` (see
    :class:`corridor.planning.solver.Budget`): the same inputs give the same plan on any machine.
    The sampled futures then draw from ``budget.seed`` instead of ``seed``.
    """
    inst = instance if isinstance(instance, Instance) else load_instance(instance)
    if not 0 <= today < inst.horizon_days:
        raise ValueError(f"today: must be a day of the horizon 0..{inst.horizon_days - 1}")
    started = time.monotonic()
    approved = [_as_trip(t) for t in approved]
    current = situation(inst, today, approved, cancelled_today, unavailable_today)
    a = base = compile_instance(current)
    decided_by = "plan"
    if (arrival_rate > 0 or cancel_rate > 0) and not (a.fixed_day == today).any():
        rng = np.random.default_rng((budget.seed if budget is not None else seed) * 100_003 + today)
        choice = decide_today(
            current,
            today,
            list(history) or list(current.patients),
            arrival_rate,
            cancel_rate,
            replan_delay,
            scenarios,
            rng,
        )
        if choice is not None and len(choice[1]):
            h, chosen = choice
            trip = Trip(today, current.facilities[h].id, tuple(current.patients[i].id for i in chosen))
            current = situation(inst, today, [*approved, trip], cancelled_today, unavailable_today)
            a = compile_instance(current)
            decided_by = "scenarios"
    start = pattern_of(a, previous, today) if previous is not None else None
    left = max(0.05, time_limit - (time.monotonic() - started))
    pattern, _, bound, _ = solve_arrays(
        a, left, workers=workers, start_pattern=start, lp_bound=workers > 1, focus=today, budget=budget
    )
    plan = to_plan(a, pattern, assign(a, pattern).day)
    if bound <= 0 or decided_by == "scenarios":
        # Today's trip chosen across futures is fixed in ``a``, so a bound for ``a`` would not hold
        # for the waiting patients' own problem; the dual on ``base`` does, aimed at this plan.
        if budget is not None:
            bound = dual_from_plan(
                base, pattern_of(base, plan, today), math.inf, iterations=budget.polish_iterations
            ).bound
        else:
            bound = dual_from_plan(base, pattern_of(base, plan, today), max(0.02, 0.1 * time_limit)).bound
    plan.lower_bound = min(bound, plan.objective or 0.0)
    plan.meta["today_decided_by"] = decided_by
    trips_today = [t for t in plan.trips if t.day == today]
    on_trip = {pid for t in trips_today for pid in t.patients}
    standby = _standby(a, plan, today, on_trip, trips_today, standby_size)
    forecast = _forecast(current, plan)
    # Explained against the instance without today's choice fixed, so alternatives can be priced.
    explanations = []
    if explain:
        explanations = explain_day(base, pattern_of(base, plan, today), plan, today, decided_by=decided_by)
    return RollingPlan(
        today,
        trips_today[0] if trips_today else None,
        trips_today,
        standby,
        forecast,
        int(plan.objective or 0),
        plan.lower_bound,
        plan,
        explanations,
    )


def _standby(
    a: Any, plan: Plan, today: int, on_trip: set[str], trips_today: list[Trip], size: int
) -> list[str]:
    """Waiting patients who could take a freed seat today, most valuable first: the value of a seat
    is how much later (weighted) the patient would otherwise travel."""
    inst = a.instance
    facs = {t.facility for t in trips_today}
    if not facs:
        return []
    day_of = plan.day_of()
    ranked: list[tuple[int, int, int, str]] = []
    for p in inst.patients:
        if p.id in on_trip or p.release > today or not facs & set(p.facilities):
            continue
        if p.fixed is not None and p.id in day_of and day_of[p.id] != today:
            continue
        later = day_of.get(p.id, inst.horizon_days)
        gain = (
            inst.trip_cost(p, later) - inst.trip_cost(p, today)
            if later < inst.horizon_days
            else (inst.unplanned_cost(p) - inst.trip_cost(p, today))
        )
        ranked.append((-gain, p.due, -p.weight, p.id))
    ranked.sort()
    return [pid for *_, pid in ranked[:size]]


def _forecast(inst: Instance, plan: Plan) -> list[ForecastEntry]:
    where = {pid: (t.day, t.facility) for t in plan.trips for pid in t.patients}
    out = []
    for p in inst.patients:
        day, fac = where.get(p.id, (None, None))
        c = inst.horizon_days if day is None else day
        late = max(0, c - p.due)
        out.append(ForecastEntry(p.id, day, fac, late, late * p.weight))
    return out
