"""Daily plans from the register: build the planner's instance, record its proposal, accept it.

The planner (:mod:`corridor.planning`) is a pure core that knows days as numbers and patients as
ids. This module is the adapter: day 0 is the plan's date, each waiting referral is one planner
"patient", the access rules in force give each day's capacity, hospitals a day and allowed weekdays.
Every trip already requested, approved or done (departed, returned) counts against its day: its seats and
its hospitals are taken from what the rules allow, and its patients are not proposed again, so a plan for
any day never exceeds the rules in force, counting what is already booked. A cancelled or denied trip
books nothing: re-planning frees its seats (except on a day that has come, which it closes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor import clock
from corridor.accounts.roles import Actor, Can, require
from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.planning.budget import Budget
from corridor.register.models import AccessRuleSet, Facility, Referral, Site
from corridor.register.scoping import require_site
from corridor.transfers import bounds
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip, TripPassenger

# Recorded plans are searched within this much work, not a number of seconds: the same register gives
# the same proposal on any machine and under any load, and ``corridor plan replay`` re-derives it.
RECORDED_BUDGET = Budget()
# The parts of that budget a caller may lower for a quicker plan (still reproducible: the entry records
# the budget it ran). None may be raised: a shared server's planning time is everyone's.
LOWERABLE = ("dual_iterations", "search_rounds", "windows", "window_nodes", "polish_iterations")


def lowered_budget(parts: Any) -> Budget:
    """The recorded budget with some parts lowered; anything else is refused, naming the part (a job's
    parameters arrive as any JSON, so ``parts`` is checked to be an object too)."""
    if not isinstance(parts, dict):
        raise InvalidInput(_("must be an object"), "budget", code="plan.budget_not_an_object")
    for name, value in parts.items():
        if name not in LOWERABLE:
            raise InvalidInput(
                _("%(part)s is not a part of the planning budget that can be lowered (%(parts)s)"),
                "budget",
                code="plan.budget_unknown_part",
                part=name,
                parts=", ".join(LOWERABLE),
            )
        least, most = (1 if name == "window_nodes" else 0), getattr(RECORDED_BUDGET, name)
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            raise InvalidInput(
                _("must be a whole number from %(least)s to %(most)s"),
                f"budget.{name}",
                code="plan.budget_out_of_range",
                least=least,
                most=most,
            )
    return dataclasses.replace(RECORDED_BUDGET, **parts)


PENDING = (Trip.Status.REQUESTED, Trip.Status.APPROVED)
BOOKED = (Trip.Status.REQUESTED, Trip.Status.APPROVED, Trip.Status.DEPARTED, Trip.Status.RETURNED)


def booked_on(site: Site, start: dt.date, days: int) -> dict[dt.date, dict[str, Any]]:
    """What is already booked on each day from ``start``: trips, patient seats, hospitals."""
    out: dict[dt.date, dict[str, Any]] = {}
    trips = Trip.objects.filter(
        site=site, date__gte=start, date__lt=start + dt.timedelta(days=days), status__in=BOOKED
    ).select_related("facility")
    for trip in trips.order_by("date", "pk"):
        day = out.setdefault(trip.date, {"trips": [], "seats": 0, "facilities": [], "patients": []})
        on_board = list(
            trip.passengers.filter(removed=False, role="patient").values_list("referral_id", "patient__code")
        )
        day["trips"].append(trip.code)
        day["seats"] += len(on_board)
        day["patients"] += [code for _, code in on_board]
        if trip.facility.code not in day["facilities"]:
            day["facilities"].append(trip.facility.code)
    return out


def _planner_ids(referrals: Sequence[Referral]) -> dict[int, str]:
    """Readable ids for the planner: the patient's code, with the referral number when a patient has two."""
    codes = [r.patient.code for r in referrals]
    return {
        r.pk: (r.patient.code if codes.count(r.patient.code) == 1 else f"{r.patient.code}/{r.pk}") for r in referrals
    }


def build_instance(
    site: Site, day: dt.date, horizon_days: int
) -> tuple[dict[str, Any], dict[str, Referral], list[dict[str, Any]], bool]:
    """The planning instance as of ``day``: (instance dict, id -> referral, approved trips, cancelled today)."""
    referrals = list(
        Referral.objects.filter(status=Referral.Status.WAITING, patient__site=site)
        .select_related("patient", "priority")
        .prefetch_related("eligible_facilities")
        # The diagnosis text is sealed under each patient's key and the planner never reads it: not opened.
        .defer("diagnosis")
        .order_by("referral_date", "pk")
    )
    referrals = [r for r in referrals if r.patient.status not in ("deceased", "left")]
    # Patients already on a requested or approved trip from today on (for this day or another) are
    # booked: they are not proposed again.
    pending = set(
        TripPassenger.objects.filter(
            trip__site=site, trip__date__gte=min(day, clock.today()), trip__status__in=PENDING, removed=False
        ).values_list("referral_id", flat=True)
    )
    referrals = [r for r in referrals if r.pk not in pending]
    booked = booked_on(site, day, horizon_days)
    # A patient on a trip that already went on a day of the horizon is not proposed for that day again.
    went_on = {code: d for d, b in booked.items() for code in b["patients"]}
    ids = _planner_ids(referrals)
    facilities = list(Facility.objects.order_by("code"))
    days = []
    for offset in range(horizon_days):
        date = day + dt.timedelta(days=offset)
        rules = AccessRuleSet.in_force(site, date)
        taken = booked.get(date, {"seats": 0, "facilities": []})
        seats = 0 if rules is None else rules.max_patients_per_day - taken["seats"]
        hospitals = 0 if rules is None else rules.max_facilities_per_day - len(taken["facilities"])
        if rules is None or not rules.allows(date) or seats <= 0 or hospitals <= 0:
            days.append({"day": offset, "capacity": 0, "max_facilities": 0, "closed": True})
        else:
            days.append({"day": offset, "capacity": seats, "max_facilities": max(1, hospitals), "closed": False})
    patients = []
    for referral in referrals:
        eligible = [f.code for f in referral.eligible_facilities.all()]
        if not eligible:
            continue
        patients.append(
            {
                "id": ids[referral.pk],
                "release": max(
                    0,
                    (referral.release_date - day).days,
                    (went_on[referral.patient.code] - day).days + 1 if referral.patient.code in went_on else 0,
                ),
                "due": (referral.deadline - day).days,
                "weight": referral.priority.weight,
                "facilities": eligible,
                "fixed": None,
            }
        )
    instance = {
        "format": "corridor-planning-instance/1",
        "horizon_days": horizon_days,
        "default_capacity": 0,
        "default_max_facilities": 1,
        "start_weekday": day.weekday(),
        "days": days,
        "facilities": [{"id": f.code, "closed_weekdays": f.closed_weekdays} for f in facilities],
        "patients": patients,
    }
    by_id = {ids[r.pk]: r for r in referrals}
    # Booked trips are counted in the days' capacities above, not given to the planner as fixed trips.
    approved: list[dict[str, Any]] = []
    # A trip cancelled or denied on a day that has come closes that day; on a day still ahead it frees
    # its seats for a new request.
    cancelled_today = (
        day <= clock.today()
        and Trip.objects.filter(site=site, date=day, status__in=(Trip.Status.CANCELLED, Trip.Status.DENIED)).exists()
    )
    return instance, by_id, approved, cancelled_today


RECENT_DAYS = 60


def recent_rates(site: Site, day: dt.date) -> tuple[float, float]:
    """Referrals a day and the share of trips cancelled or denied, over the last ``RECENT_DAYS`` days."""
    since = day - dt.timedelta(days=RECENT_DAYS)
    referrals = Referral.objects.filter(patient__site=site, referral_date__gte=since, referral_date__lt=day).count()
    trips = Trip.objects.filter(site=site, date__gte=since, date__lt=day)
    asked = trips.count()
    failed = trips.filter(status__in=(Trip.Status.CANCELLED, Trip.Status.DENIED)).count()
    return round(referrals / RECENT_DAYS, 3), round(failed / asked, 3) if asked else 0.0


def propose_plan(
    *,
    site: Site,
    day: dt.date | None = None,
    by: Actor,
    horizon_days: int = 60,
    time_limit: float = 10.0,
    budget: Budget | None = RECORDED_BUDGET,
    then: Callable[[Entry], None] | None = None,
    first: Callable[[dict[str, Any] | None], None] | None = None,
) -> Entry:
    """Run the rolling planner for ``day`` (today by default) and record its proposal as ``plan.proposed``.

    The planner is bounded by ``budget`` (work, not seconds), so the entry records everything needed to
    re-derive the same plan anywhere: the instance, its hash, the seed and the budget (``planner`` in the
    payload; ``corridor plan replay`` checks it). With ``budget=None`` it searches for ``time_limit``
    seconds instead and the plan is not reproducible. ``then`` runs in the transaction that records it
    (a background job records its completion there). ``first`` is handed :func:`first_answer`'s trip
    before the planner starts, so a person waiting sees a fair answer at once; only the planner's is
    recorded.
    """
    require(by, Can.MANAGE_TRIPS)
    require_site(by, site)  # only at a site the user works at; another site's is not found
    day = day or clock.today()
    if not 7 <= horizon_days <= 366:
        raise InvalidInput(
            _("must be between %(least)s and %(most)s days"),
            "horizon_days",
            code="plan.horizon_out_of_range",
            least=7,
            most=366,
        )
    instance, by_id, approved, cancelled_today = build_instance(site, day, horizon_days)
    rules = AccessRuleSet.in_force(site, day)
    arrival_rate, cancel_rate = recent_rates(site, day)
    taken = booked_on(site, day, 1).get(day, {"trips": [], "seats": 0, "facilities": [], "patients": []})
    used_up = bool(instance["days"][0]["closed"] and taken["trips"] and rules is not None and rules.allows(day))
    inputs = {
        "today": 0,
        "approved": approved,
        "cancelled_today": cancelled_today,
        "arrival_rate": arrival_rate,
        "cancel_rate": cancel_rate,
    }
    if not instance["patients"] or used_up:
        result: dict[str, Any] = {
            "trip": None,
            "trips_today": [],
            "standby": [],
            "forecast": [],
            "objective": 0,
            "lower_bound": 0,
            "explanations": [],
        }
    else:
        if first is not None:
            # A trip cancelled or denied today closes the day for the planner: for its first answer too.
            trip = None if cancelled_today else first_answer(instance)
            first(None if trip is None else {**trip, "patients": [by_id[p].patient.code for p in trip["patients"]]})
        # With the recent rates, today's trip is chosen across sampled futures rather than as if nobody
        # else will be referred and no trip cancelled: the planner's tests show the difference online.
        result = run_planner(instance, inputs, budget, time_limit)

    def person(pid: str, **extra: Any) -> dict[str, Any]:
        referral = by_id[pid]
        return {
            "id": pid,
            "patient": referral.patient.code,
            "referral": referral.pk,
            "priority": referral.priority.code,
            "due_date": referral.due_date.isoformat(),
            **extra,
        }

    late = {f["patient"]: f["days_late"] for f in result["forecast"]}
    trip = result["trip"]
    payload = {
        "site": site.code,
        "date": day.isoformat(),
        "horizon_days": horizon_days,
        "trip": None
        if trip is None
        else {
            "facility": trip["facility"],
            "patients": [person(pid, days_late=late.get(pid, 0)) for pid in trip["patients"]],
        },
        "standby": [person(pid) for pid in result["standby"]],
        "forecast": [
            person(
                f["patient"],
                facility=f["facility"],
                days_late=f["days_late"],
                planned_date=None
                if f["planned_day"] is None
                else (day + dt.timedelta(days=f["planned_day"])).isoformat(),
            )
            for f in result["forecast"]
        ],
        "objective": result["objective"],
        "lower_bound": result["lower_bound"],
        "explanations": result["explanations"],
        "kept_trips": approved,
        "cancelled_today": cancelled_today,
        # What the day already holds; used up when the rules leave no seat or no hospital for another trip.
        "booked": {
            "trips": taken["trips"],
            "patients": taken["seats"],
            "facilities": taken["facilities"],
            "used_up": used_up,
        },
        "assumed": {"arrival_rate": arrival_rate, "cancel_rate": cancel_rate},
        "rules": None
        if rules is None
        else {
            "max_patients_per_day": rules.max_patients_per_day,
            "max_facilities_per_day": rules.max_facilities_per_day,
            "allowed_weekdays": rules.allowed_weekdays,
        },
    }
    if budget is not None:
        payload["planner"] = {
            "mode": "reproducible",
            "instance": instance,
            "instance_sha256": instance_hash(instance),
            "inputs": inputs,
            "seed": budget.seed,
            "budget": budget.to_dict(),
            # The planner's own output, hashed: a replay must give these very bytes.
            "result_sha256": result_hash(result),
        }
    else:
        payload["planner"] = {"mode": "timed", "seconds": time_limit}
    subjects = [f"site:{site.code}"]
    if trip is not None:
        subjects += [f"facility:{trip['facility']}", *(f"patient:{by_id[p].patient.code}" for p in trip["patients"])]
    with transaction.atomic():
        entry = ledger.append("plan.proposed", by=by, subjects=subjects, payload=payload)
        if bounds.wanted(payload):
            # The strong LP bound follows in the background (issue #19); its task commits with the plan.
            bounds.enqueue(entry)
        if then is not None:
            then(entry)
        return entry


def first_answer(instance: dict[str, Any]) -> dict[str, Any] | None:
    """The day's trip by a dispatch rule (ATC, the planner's own baseline): computed in a fraction of a
    second, shown while the planner searches for a better plan, never recorded as the proposal. Its
    patients are the instance's ids."""
    from corridor.planning.baselines import atc
    from corridor.planning.model import load_instance

    plan = atc(load_instance(instance))
    trip = next((t for t in plan.trips if t.day == 0), None)
    return None if trip is None else {"facility": trip.facility, "patients": list(trip.patients)}


def accounted_for(plan: Entry) -> set[int]:
    """The referrals ``plan`` accounts for: those on its trip, its standby list or its forecast (which names
    every referral it planned, on a day of the horizon or as not fitting in it), and those already on a
    trip requested or approved from the plan's day or today, whichever is earlier (the planner leaves
    them out because they are booked). A waiting referral outside this set was dropped by the planner."""
    payload = plan.payload
    listed = [
        *(payload.get("trip") or {}).get("patients", []),
        *payload.get("standby", []),
        *payload.get("forecast", []),
    ]
    day = min(dt.date.fromisoformat(payload["date"]), clock.today())
    booked = TripPassenger.objects.filter(
        trip__site__code=payload["site"], trip__date__gte=day, trip__status__in=PENDING, removed=False
    ).values_list("referral_id", flat=True)
    return {person["referral"] for person in listed} | {pk for pk in booked if pk is not None}


def instance_hash(instance: dict[str, Any]) -> str:
    """SHA-256 of the instance's canonical JSON (keys sorted, no white space): what a replay must match."""
    return hashlib.sha256(canonical_json(instance)).hexdigest()


def result_hash(result: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(result)).hexdigest()


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def run_planner(
    instance: dict[str, Any], inputs: dict[str, Any], budget: Budget | None, time_limit: float = 10.0
) -> dict[str, Any]:
    """The rolling planner's output for a recorded instance and inputs (the same call records and replays)."""
    from corridor.planning.rolling import plan_today

    # With the recent rates, today's trip is chosen across sampled futures rather than as if nobody
    # else will be referred and no trip cancelled: the planner's tests show the difference online.
    return plan_today(
        instance,
        int(inputs["today"]),
        inputs["approved"],
        cancelled_today=bool(inputs["cancelled_today"]),
        time_limit=time_limit,
        arrival_rate=float(inputs["arrival_rate"]),
        cancel_rate=float(inputs["cancel_rate"]),
        budget=budget,
    ).to_dict()


@dataclass(frozen=True)
class Replay:
    entry: int
    instance_sha256: str
    recorded_sha256: str
    replayed_sha256: str
    result: dict[str, Any]

    @property
    def identical(self) -> bool:
        return self.recorded_sha256 == self.replayed_sha256


def replay_plan(plan: Entry) -> Replay:
    """Re-derive a recorded plan from its entry alone: same instance (hash checked), seed and budget.

    Raises InvalidInput when the entry is not a plan, was searched against the clock, or its stored
    instance no longer matches its recorded hash.
    """
    if plan.type != "plan.proposed":
        raise InvalidInput(_("ledger entry %(seq)s is not a plan"), "plan", code="plan.not_a_plan", seq=plan.seq)
    planner = plan.payload.get("planner") or {}
    if planner.get("mode") != "reproducible":
        raise InvalidInput(
            _("ledger entry %(seq)s was searched against the clock: it cannot be replayed"),
            "plan",
            code="plan.not_reproducible",
            seq=plan.seq,
        )
    instance = planner["instance"]
    digest = instance_hash(instance)
    if digest != planner["instance_sha256"]:
        raise InvalidInput(
            _("ledger entry %(seq)s: the stored instance does not match its hash"),
            "plan",
            code="plan.instance_tampered",
            seq=plan.seq,
        )
    from corridor.planning.budget import ALGORITHM

    budget = Budget.from_dict(planner["budget"])
    if budget.version > ALGORITHM:
        # This code does not have that search: a different plan would be no evidence either way.
        raise InvalidInput(
            _("ledger entry %(seq)s was planned by a newer planner (search %(version)s): replay it there"),
            "plan",
            code="plan.newer_planner",
            seq=plan.seq,
            version=budget.version,
        )
    result = run_planner(instance, planner["inputs"], budget)
    return Replay(plan.seq, digest, planner["result_sha256"], result_hash(result), result)


def latest_plan(site: Site, day: dt.date) -> Entry | None:
    """The most recent plan proposed for ``site`` on ``day``."""
    return (
        Entry.objects.filter(type="plan.proposed", subject_rows__key=f"site:{site.code}")
        .filter(body__contains=f'"date":"{day.isoformat()}"')
        .order_by("-seq")
        .first()
    )


def _plan_trip(plan: Entry) -> tuple[Site, dt.date, Facility | None, list[Referral]]:
    if plan.type != "plan.proposed":
        raise InvalidInput(_("ledger entry %(seq)s is not a plan"), "plan", code="plan.not_a_plan", seq=plan.seq)
    payload = plan.payload
    try:
        site = Site.objects.get(code=payload["site"])
    except Site.DoesNotExist:
        raise NotFound(_("site %(site)s no longer exists"), code="plan.site_gone", site=payload["site"]) from None
    day = dt.date.fromisoformat(payload["date"])
    trip = payload.get("trip")
    if trip is None:
        return site, day, None, []
    facility = Facility.objects.get(code=trip["facility"])
    referrals = list(Referral.objects.filter(pk__in=[p["referral"] for p in trip["patients"]]))
    referrals.sort(key=lambda r: [p["referral"] for p in trip["patients"]].index(r.pk))
    return site, day, facility, referrals


def check_plan_change(plan: Entry, facility: Facility, referrals: Sequence[Referral]) -> list[InvalidInput]:
    """What the rules in force say about a changed trip, as refusals (empty when it is allowed)."""
    site, day, _facility, _referrals = _plan_trip(plan)
    try:
        transfers.check_manifest(site=site, day=day, facility=facility, referrals=referrals)
    except InvalidInput as exc:
        return [exc]
    return []


def accept_plan(
    plan: Entry,
    *,
    by: Actor,
    facility: Facility | None = None,
    referrals: Sequence[Referral] | None = None,
    reason: str = "",
) -> Trip:
    """Request today's trip as planned, or as changed by the coordinator (a change needs a reason)."""
    require(by, Can.MANAGE_TRIPS)
    site, day, planned_facility, planned = _plan_trip(plan)
    chosen_facility = facility or planned_facility
    chosen = list(referrals) if referrals is not None else planned
    if chosen_facility is None or not chosen:
        transfers.rules_allowing(site, day)  # a day the rules close says so, rather than "no trip"
        raise InvalidInput(
            _("the plan has no trip for that day; choose a hospital and patients"), "patients", code="plan.no_trip"
        )
    changed = chosen_facility != planned_facility or [r.pk for r in chosen] != [r.pk for r in planned]
    if changed and not reason.strip():
        raise InvalidInput(_("say why the trip differs from the plan"), "reason", code="plan.change_without_reason")
    if Trip.objects.filter(site=site, date=day, status__in=PENDING, passengers__referral__in=chosen).exists():
        raise Conflict(
            _("some of these patients already have a trip requested that day"), code="plan.already_requested"
        )
    with transaction.atomic():
        trip = transfers.request_trip(
            site=site, day=day, facility=chosen_facility, referrals=chosen, plan_seq=plan.seq, by=by
        )
        if changed:
            ledger.append(
                "trip.manifest_changed",
                by=by,
                subjects=[f"trip:{trip.pk}", *(f"patient:{r.patient.code}" for r in chosen)],
                payload={
                    "trip": trip.pk,
                    "plan": plan.seq,
                    "reason": reason.strip(),
                    "changed_from_plan": True,
                    "planned_facility": planned_facility.code if planned_facility else None,
                    "planned_patients": [r.patient.code for r in planned],
                    "added": [r.patient.code for r in chosen if r not in planned],
                    "removed": [r.patient.code for r in planned if r not in chosen],
                },
            )
    return trip


def day_strip(site: Site, start: dt.date, days: int = 14) -> list[dict[str, Any]]:
    """The coming days as a coordinator sees them: each day's trips and one word for the day.

    The word is the status of the day's booked trip (requested, approved, departed, returned), else
    denied or cancelled when every trip that day was, else open (the rules allow a trip) or closed.
    """
    booked = booked_on(site, start, days)
    trips = Trip.objects.filter(site=site, date__gte=start, date__lt=start + dt.timedelta(days=days)).select_related(
        "facility"
    )
    by_day: dict[dt.date, list[Trip]] = {}
    for trip in trips.order_by("date", "pk"):
        by_day.setdefault(trip.date, []).append(trip)
    out = []
    for offset in range(days):
        date = start + dt.timedelta(days=offset)
        rules = AccessRuleSet.in_force(site, date)
        day_trips = by_day.get(date, [])
        live = [t for t in day_trips if t.status in BOOKED]
        taken = booked.get(date, {"seats": 0, "facilities": []})
        if live:
            state = live[0].status
        elif day_trips:
            state = day_trips[-1].status
        elif rules is not None and rules.allows(date) and rules.max_patients_per_day > 0:
            state = "open"
        else:
            state = "closed"
        used_up = bool(
            live
            and rules is not None
            and (
                taken["seats"] >= rules.max_patients_per_day or len(taken["facilities"]) >= rules.max_facilities_per_day
            )
        )
        out.append({"date": date, "state": state, "trips": day_trips, "used_up": used_up})
    return out


def next_day_to_plan(site: Site, start: dt.date | None = None, days: int = 60) -> dt.date:
    """The first day from ``start`` (today) with no trip requested that the rules allow (else ``start``)."""
    start = start or clock.today()
    for day in day_strip(site, start, days):
        if day["state"] in ("open", "denied", "cancelled"):
            return day["date"]
    return start
