"""A living camp: the demo driven forward day by day through the services, with a seeded authority.

Each day the scenario's clock moves one day on (``scenario.clock_moved``); new patients are referred,
some die waiting; the coordinator plans the day and requests the planned trip; a seeded authority
answers (approves, denies, cancels or leaves it unanswered); an approved trip goes to the gate, is
sometimes held (with the hold's note) or turned back, reaches the hospital, each patient is seen or not,
and the trip comes back; a delivery is sometimes blocked. After every day the checks run: the rules in
force never exceeded, no trip in an impossible state, the dashboard's waiting count equal to the monthly
report's and to a recount from the ledger, the ledger verified, nothing stamped at a time nobody entered.

Run it with ``corridor demo --advance N --seed S`` or ``benchmarks/living_camp.py``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from corridor import clock
from corridor.errors import CorridorError
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register import services as register
from corridor.register.models import AccessRuleSet, Patient, Referral, Scenario, Site
from corridor.supplies import services as supplies
from corridor.transfers import plans
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip, TripPassenger

HOLD_NOTES = ("papers checked again", "gate closed for an hour", "no reason given at the gate")


@dataclass
class Report:
    """What a run did and what it checked."""

    days: int = 0
    checks: int = 0
    violations: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def describe(self) -> str:
        done = ", ".join(f"{v} {k}" for k, v in sorted(self.counts.items()))
        return f"days run: {self.days}; checks made: {self.checks}; violations: {len(self.violations)}" + (
            f"; {done}" if done else ""
        )


def move_clock(to: dt.date, *, by: Any = None) -> Scenario:
    """Move the loaded scenario's clock to ``to`` (never backwards), with its ledger entry."""
    scenario = Scenario.objects.exclude(today=None).order_by("-loaded_seq").first()
    if scenario is None or scenario.today is None:
        raise CorridorError("no scenario with a clock is loaded: run corridor demo first")
    if to <= scenario.today:
        raise CorridorError(f"the scenario's clock is at {scenario.today}; it only moves forward")
    with transaction.atomic():
        before = scenario.today
        scenario.today = to
        scenario.save(update_fields=["today"])
        ledger.append(
            "scenario.clock_moved",
            by=by,
            subjects=[f"scenario:{scenario.name}"],
            payload={"scenario": scenario.name, "from": before.isoformat(), "to": to.isoformat()},
            occurred_on=to,
        )
    return scenario


def _at(day: dt.date, zone: dt.tzinfo, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def _live_day(site: Site, day: dt.date, rng: random.Random, report: Report, serial: list[int]) -> None:
    import zoneinfo

    zone = zoneinfo.ZoneInfo(site.time_zone)
    # New referrals: a new patient, sometimes two, each referred today.
    for _ in range(rng.choice((0, 1, 1, 2))):
        serial[0] += 1
        patient = register.register_patient(
            site=site,
            code=f"P-L{serial[0]:04d}",
            registered_on=day,
            sex=rng.choice("fm"),
            birth_year=rng.randint(1940, 2012),
            synthetic=True,
            by=None,
        )
        register.create_referral(
            patient=patient,
            specialty=rng.choice(("oncology", "oncology", "cardiology", "nephrology", "ophthalmology")),
            priority=rng.choice(("P1", "P2", "P2", "P3")),
            referral_date=day,
            synthetic=True,
            by=None,
        )
        report.add("referrals")
    # Someone waiting dies, now and then.
    if rng.random() < 0.05:
        waiting = list(
            Referral.objects.filter(status=Referral.Status.WAITING, patient__site=site)
            .exclude(patient__trip_places__trip__status__in=plans.PENDING)
            .values_list("patient_id", flat=True)[:50]
        )
        if waiting:
            patient = Patient.objects.get(pk=rng.choice(waiting))
            register.record_death(patient, on=day, by=None, source="witness", certainty="probable")
            report.add("deaths")
    # A delivery blocked at the gate, now and then.
    if rng.random() < 0.1:
        supplies.record_blocked_delivery(
            site=site,
            item="medicine",
            on=day,
            quantity=rng.randint(5, 50),
            unit="boxes",
            by=None,
            source="witness",
            certainty="probable",
            synthetic=True,
        )
        report.add("deliveries blocked")
    # The coordinator plans tomorrow and requests it (permits are asked a day ahead).
    tomorrow = day + dt.timedelta(days=1)
    proposal = plans.propose_plan(site=site, day=tomorrow, by=None, horizon_days=14, time_limit=0.3)
    if proposal.payload["trip"] is not None:
        try:
            plans.accept_plan(proposal, by=None)
            report.add("trips requested")
        except CorridorError:
            report.add("requests refused")
    # The authority answers today's requested trips; approved trips go.
    for trip in Trip.objects.filter(site=site, date=day, status=Trip.Status.REQUESTED).select_related(
        "site", "facility"
    ):
        roll = rng.random()
        if roll < 0.12:
            report.add("no answer")
            continue
        if roll < 0.27:
            transfers.deny_trip(trip, reason=rng.choice(("", "security")), by=None, at=_at(day, zone, 6, 30))
            report.add("denied")
            continue
        transfers.approve_trip(trip, by=None, at=day)  # the hour of the answer is not known
        report.add("approved")
        if rng.random() < 0.1:
            transfers.cancel_trip(
                trip, reason="closure announced", cancelled_by="authority", by=None, at=_at(day, zone, 7)
            )
            report.add("cancelled")
            continue
        arrived = _at(day, zone, 7, rng.choice((0, 15, 30)))
        transfers.record_gate_arrival(trip, at=arrived, by=None)
        if rng.random() < 0.3:
            since = arrived + dt.timedelta(minutes=rng.choice((0, 15, 30)))
            transfers.record_gate_hold(trip, since=since, note=rng.choice(HOLD_NOTES), by=None)
            report.add("holds")
            if rng.random() < 0.15:
                transfers.record_turned_back(trip, at=since + dt.timedelta(hours=2), reason="gate closed", by=None)
                report.add("turned back")
                continue
            released = since + dt.timedelta(minutes=rng.randint(30, 240))
        else:
            released = arrived + dt.timedelta(minutes=rng.randint(10, 40))
        transfers.record_gate_release(trip, at=released, by=None)
        reached = released + dt.timedelta(minutes=rng.randint(40, 90))
        transfers.record_hospital_arrival(trip, at=reached, by=None)
        for place in trip.passengers.filter(role=TripPassenger.Role.PATIENT, removed=False).select_related("patient"):
            outcome = rng.choices(("seen", "procedure_done", "admitted", "no_doctor"), (6, 2, 1, 1))[0]
            known = rng.random() < 0.5  # half the time nobody wrote down the hour of the visit
            transfers.record_outcome(
                trip,
                patient=place.patient,
                outcome=outcome,
                by=None,
                at=reached + dt.timedelta(minutes=30) if known else None,
            )
        transfers.record_return(trip, at=reached + dt.timedelta(hours=5), by=None)
        report.add("trips went")


# Events this run records by their date only: none of them may carry an hour.
DATE_ONLY = ("patient.registered", "referral.created", "trip.approved", "patient.died", "scenario.clock_moved")


def check_day(site: Site, day: dt.date, report: Report, since: int = 0) -> None:
    """The checks after a day; each failed one is a violation with a sentence."""
    from corridor.reports import queries
    from corridor.web.views.dashboard import waiting_referrals

    def check(ok: bool, sentence: str) -> None:
        report.checks += 1
        if not ok:
            report.violations.append(f"{day}: {sentence}")

    # The rules in force never exceeded, on any day with a trip booked.
    for date, booked in plans.booked_on(site, day - dt.timedelta(days=1), 3).items():
        rules = AccessRuleSet.in_force(site, date)
        check(rules is not None, f"trip booked on {date} with no rules in force")
        if rules is not None:
            check(booked["seats"] <= rules.max_patients_per_day, f"{booked['seats']} patients booked on {date}")
            check(
                len(booked["facilities"]) <= rules.max_facilities_per_day, f"hospitals {booked['facilities']} on {date}"
            )
    # No trip in an impossible state.
    for trip in Trip.objects.filter(
        site=site, date__gte=day - dt.timedelta(days=1), date__lte=day + dt.timedelta(days=1)
    ):
        went = trip.status in (Trip.Status.DEPARTED, Trip.Status.RETURNED)
        check(went or trip.gate_arrived_at is None, f"{trip.code} is {trip.status} but reached the gate")
        if trip.gate_released_at and trip.gate_arrived_at:
            check(trip.gate_released_at >= trip.gate_arrived_at, f"{trip.code} released before it arrived")
        if trip.held_since and trip.gate_arrived_at:
            check(trip.held_since >= trip.gate_arrived_at, f"{trip.code} held before it arrived")
        check(not (trip.turned_back_at_gate and trip.hospital_arrived_at), f"{trip.code} turned back yet arrived")
        check(trip.date <= day or not went, f"{trip.code} went before its day")
    # The dashboard's waiting count = the monthly report's = a recount from the ledger. The report and the
    # recount are the install's, so the dashboard is counted over every site (the demo has a crossing too).
    dashboard = waiting_referrals(None).count()
    report_count = sum(row["waiting"] for row in queries.backlog(day))
    created = {
        e.payload["referral"]
        for e in Entry.objects.filter(type="referral.created")
        if e.payload["referral_date"] <= day.isoformat()  # a referral dated after today is not yet waiting
    }
    closed = {e.payload["referral"] for e in Entry.objects.filter(type="referral.closed")}
    # An episode of care: after a visit the referral is in care, or waits again for its follow-up.
    episode = {
        e.payload["referral"]: e.payload["referral_status"]
        for e in Entry.objects.filter(type__in=("patient.seen", "patient.not_seen")).order_by("seq")
        if e.payload.get("referral") and e.payload.get("referral_status")
    }
    gone = set(
        Referral.objects.filter(patient__status__in=(Patient.Status.DECEASED, Patient.Status.LEFT)).values_list(
            "pk", flat=True
        )
    )
    recount = sum(1 for r in created - closed - gone if episode.get(r, "waiting") == "waiting")
    check(
        dashboard == report_count == recount, f"waiting: dashboard {dashboard}, report {report_count}, ledger {recount}"
    )
    # Nothing stamped at a time nobody entered: today's entries with a moment carry one that was given.
    check(ledger.verify().ok, "the ledger does not verify")
    made_up = [
        e.seq for e in Entry.objects.filter(seq__gt=since, type__in=DATE_ONLY) if e.payload.get("precision") != "date"
    ]
    check(not made_up, f"entries {made_up[:5]} known only by their date were given an hour")


def advance(days: int, *, seed: int = 0, check: bool = True) -> Report:
    """Drive the loaded demo camp ``days`` days forward; return what was done and checked."""
    if not 1 <= days <= 366:
        raise CorridorError("advance between 1 and 366 days")
    rng = random.Random(seed)
    site = Site.objects.order_by("pk").first()
    if site is None:
        raise CorridorError("no site: run corridor demo first")
    report = Report()
    serial = [Patient.objects.filter(code__startswith="P-L").count()]
    for _ in range(days):
        day = clock.today() + dt.timedelta(days=1)
        since = ledger.head()[0]
        with transaction.atomic():
            move_clock(day)
            _live_day(site, day, rng, report, serial)
        report.days += 1
        if check:
            check_day(site, day, report, since)
    return report
