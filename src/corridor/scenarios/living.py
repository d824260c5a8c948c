"""A living camp: the demo driven forward day by day through the services and the JSON API, with a seeded
authority.

Each day the scenario's clock moves one day on (``scenario.clock_moved``); new patients are referred,
some die waiting; a seeded authority answers the day's requested trips (approves, denies, cancels or
leaves them unanswered); an approved trip goes to the gate, is sometimes held (with the hold's note) or
turned back, reaches the hospital, each patient is seen or not, and the trip comes back; a delivery is
sometimes let through (in full or in part) or blocked; in the evening the coordinator plans tomorrow and
requests the planned trip, sometimes asking for the roster's interpreter or nurse, about whom the authority
answers with its answer about the trip (approved, rejected, substituted or no answer). About half
the acts go through the JSON API with a token of the role that would do them (see :class:`Hands`), the
rest through the services. After every day the checks run: the rules in force never exceeded, no trip in
an impossible state, the dashboard's waiting count equal to the monthly report's and to a recount from
the ledger, every waiting referral on tomorrow's plan or already on a trip, the companion indicators equal
to a recount of the ledger's asks and answers, the ledger verified, nothing stamped at a time nobody entered
(each act given a date alone or no time wrote exactly one entry with date precision).

Run it with ``corridor demo --advance N --seed S`` or ``benchmarks/living_camp.py``.
"""

from __future__ import annotations

import datetime as dt
import random
import warnings
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor import clock
from corridor.errors import CorridorError
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register import services as register
from corridor.register.models import AccessRuleSet, Patient, Referral, Scenario, Site
from corridor.supplies import actions as supplies
from corridor.supplies.models import Delivery
from corridor.transfers import deaths, plans
from corridor.transfers import services as transfers
from corridor.transfers.models import Companion, Trip, TripCompanion, TripPassenger

HOLD_NOTES = ("papers checked again", "gate closed for an hour", "no reason given at the gate")


@dataclass
class Report:
    """What a run did and what it checked."""

    days: int = 0
    checks: int = 0
    violations: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # The day's acts given a date alone or no time at all, by the event type they write: the checks expect
    # exactly that many of the day's entries of each type with date precision (none made up, none lost).
    untimed: dict[str, int] = field(default_factory=dict)

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
        raise CorridorError(_("no scenario with a clock is loaded: run corridor demo first"), code="scenario.no_clock")
    if to <= scenario.today:
        raise CorridorError(
            _("the scenario's clock is at %(today)s; it only moves forward"),
            code="scenario.clock_backwards",
            today=scenario.today,
        )
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


class Hands:
    """Who does each act and through which door: the services directly, or the JSON API with a token of the
    role that would do it (a coordinator answers for the authority's office, a monitor records the gate).

    The door is drawn from a generator of its own, seeded from the run's seed, so the same seed always sends
    the same acts through the same door, and the camp's story (drawn from the other generator) does not
    depend on which door each act took. About half the acts go through the API: both doors every day.
    """

    def __init__(self, seed: int, report: Report, api_share: float = 0.5) -> None:
        self.rng = random.Random(f"doors:{seed}")
        self.report = report
        self.api_share = api_share
        self.clients: dict[str, Any] = {}

    def _client(self, role: str) -> Any:
        if role not in self.clients:
            self.clients[role] = _api_client(role)
        return self.clients[role]

    def by_api(self) -> bool:
        """Whether the next act goes through the API (else through the services)."""
        chosen = self.rng.random() < self.api_share
        self.report.add("acts via the API" if chosen else "acts via the services")
        return chosen

    def post(self, role: str, path: str, body: dict[str, Any], *, refusals: tuple[int, ...] = ()) -> dict[str, Any]:
        """POST ``body`` to ``/api/<path>`` as ``role``; a refusal not listed in ``refusals`` stops the run."""
        with warnings.catch_warnings():
            # The static files' middleware warns that a data directory without collected static files has
            # none to serve; the API needs none.
            warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
            answer = self._client(role).post(f"/api/{path}", data=body, content_type="application/json")
        payload: dict[str, Any] = answer.json()
        if answer.status_code >= 300 and answer.status_code not in refusals:
            raise CorridorError(
                _("the API refused POST /api/%(path)s as %(role)s: %(status)s %(answer)s"),
                code="living.api_refused",
                path=path,
                role=role,
                status=str(answer.status_code),  # an HTTP status, not a count: never grouped or localised
                answer=str(payload),
            )
        payload["status"] = answer.status_code
        return payload


def _api_client(role: str) -> Any:
    """A client of the JSON API (in this process, through every middleware) with a fresh token of ``role``.

    The living camp's users (``living-<role>``) are created through the accounts services on first use, and
    each run issues its own token: both are ledger entries like any other user's.
    """
    import secrets

    from django.contrib.auth.models import User
    from django.test import Client

    from corridor.accounts.services import create_user
    from corridor.accounts.tokens import issue_token

    username = f"living-{role}"
    user = User.objects.filter(username=username).first()
    if user is None:
        from corridor.register.models import Site

        # The camp's own staff: with a second site in the install they must be given the camp explicitly.
        sites = list(Site.objects.order_by("pk").values_list("code", flat=True)[:1])
        user = create_user(username=username, role=role, password=secrets.token_urlsafe(24), by=None, sites=sites)
    secret = issue_token(user, by=None, label="living camp")[1]
    return Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {secret}")


def _live_day(
    site: Site,
    day: dt.date,
    rng: random.Random,
    report: Report,
    serial: list[int],
    hands: Hands,
    aside: random.Random,
) -> None:
    """One day of the camp. ``aside`` draws the companions and the deliveries let through, apart from ``rng``,
    so that adding them left the rest of a seed's story as it was."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(site.time_zone)

    def step(trip: Trip, action: str, service: Any, role: str = "monitor", **facts: Any) -> None:
        """One act on a trip through the door ``hands`` picks: ``service(trip, **facts)`` or
        ``POST /api/trips/<id>/<action>`` with the same facts in JSON (a moment as ISO 8601 with its zone,
        a date alone as ``on``, a patient by code)."""
        if action in UNTIMED_EVENTS and not isinstance(facts.get("at", facts.get("since")), dt.datetime):
            event = UNTIMED_EVENTS[action]
            if action == "outcomes":
                event = "patient.seen" if facts["outcome"] in TripPassenger.SEEN_OUTCOMES else "patient.not_seen"
            report.untimed[event] = report.untimed.get(event, 0) + 1
        if not hands.by_api():
            service(trip, by=None, **facts)
            return
        body: dict[str, Any] = {}
        for name, value in facts.items():
            if isinstance(value, Patient):
                body[name] = value.code
            elif isinstance(value, dt.datetime):
                body[name] = value.isoformat()
            elif isinstance(value, dt.date):
                body["on"] = value.isoformat()
            elif value is not None:
                body[name] = value
        hands.post(role, f"trips/{trip.pk}/{action}", body)

    # New referrals: a new patient, sometimes two, each referred today. These stay on the services' door:
    # they are made-up people, and the API (rightly) has no way to mark what it is given as synthetic.
    for _new in range(rng.choice((0, 1, 1, 2))):
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
            if hands.by_api():
                body = {"on": day.isoformat(), "source": "witness", "certainty": "probable"}
                hands.post("monitor", f"patients/{patient.code}/death", body)
            else:
                deaths.record_death(patient, on=day, by=None, source="witness", certainty="probable")
            report.add("deaths")
    # A delivery asked for and let through in full or in part, or blocked, now and then, drawn from a
    # generator of its own so that the rest of the camp's story does not depend on it (made up, so through
    # the services, as referrals are).
    if aside.random() < 0.15:
        asked = supplies.request_delivery(
            site=site, item="medicine", on=day, quantity=20, unit="boxes", by=None, synthetic=True
        )
        let = Delivery.Status
        decision = aside.choice((let.ALLOWED, let.ALLOWED, let.PARTLY_ALLOWED, let.BLOCKED))
        supplies.decide_delivery(
            asked,
            status=decision,
            on=day,
            quantity_allowed=aside.choice((5, 10, 15)) if decision == let.PARTLY_ALLOWED else None,
            reason="" if decision == let.ALLOWED else "no reason given at the gate",
            by=None,
            source="witness",
            certainty="probable",
        )
        report.add(f"deliveries {decision.replace('_', ' ')}")
    # A delivery blocked at the gate, now and then (made up, so through the services, as referrals are).
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
    # The authority answers today's requested trips; approved trips go.
    for trip in Trip.objects.filter(site=site, date=day, status=Trip.Status.REQUESTED).select_related(
        "site", "facility"
    ):
        roll = rng.random()
        if roll < 0.12:
            report.add("no answer")
            continue
        _answer_companions(trip, day, zone, aside, report, hands)
        if roll < 0.27:
            reason = rng.choice(("", "security"))
            step(trip, "deny", transfers.deny_trip, "coordinator", reason=reason, at=_at(day, zone, 6, 30))
            report.add("denied")
            continue
        step(trip, "approve", transfers.approve_trip, "coordinator", at=day)  # the hour of the answer is not known
        report.add("approved")
        if rng.random() < 0.1:
            closed = _at(day, zone, 7)
            step(trip, "cancel", transfers.cancel_trip, reason="closure announced", cancelled_by="authority", at=closed)
            report.add("cancelled")
            continue
        arrived = _at(day, zone, 7, rng.choice((0, 15, 30)))
        step(trip, "gate-arrived", transfers.record_gate_arrival, at=arrived)
        if rng.random() < 0.3:
            since = arrived + dt.timedelta(minutes=rng.choice((0, 15, 30)))
            step(trip, "gate-held", transfers.record_gate_hold, since=since, note=rng.choice(HOLD_NOTES))
            report.add("holds")
            if rng.random() < 0.15:
                back = since + dt.timedelta(hours=2)
                step(trip, "turned-back", transfers.record_turned_back, at=back, reason="gate closed")
                report.add("turned back")
                continue
            released = since + dt.timedelta(minutes=rng.randint(30, 240))
        else:
            released = arrived + dt.timedelta(minutes=rng.randint(10, 40))
        step(trip, "gate-released", transfers.record_gate_release, at=released)
        reached = released + dt.timedelta(minutes=rng.randint(40, 90))
        step(trip, "hospital-arrived", transfers.record_hospital_arrival, at=reached)
        for place in trip.passengers.filter(role=TripPassenger.Role.PATIENT, removed=False).select_related("patient"):
            outcome = rng.choices(("seen", "procedure_done", "admitted", "no_doctor"), (6, 2, 1, 1))[0]
            known = rng.random() < 0.5  # half the time nobody wrote down the hour of the visit
            visit = reached + dt.timedelta(minutes=30) if known else None
            step(trip, "outcomes", transfers.record_outcome, patient=place.patient, outcome=outcome, at=visit)
        step(trip, "returned", transfers.record_return, at=reached + dt.timedelta(hours=5))
        report.add("trips went")
    # In the evening, with the day's news in, the coordinator plans tomorrow and requests it (permits are
    # asked a day ahead), so tomorrow's plan accounts for everyone waiting tonight.
    tomorrow = day + dt.timedelta(days=1)
    if hands.by_api():
        wanted: dict[str, Any] = {"date": tomorrow.isoformat(), "horizon_days": 14, "budget": EVENING_WORK}
        proposal = hands.post("coordinator", f"sites/{site.code}/plans", wanted)
        if proposal["trip"] is not None:
            # A request the rules refuse is a conflict or an invalid input, as it is to anyone.
            accepted = hands.post("coordinator", f"plans/{proposal['seq']}/accept", {}, refusals=(400, 409))
            report.add("trips requested" if accepted["status"] == 201 else "requests refused")
    else:
        entry = plans.propose_plan(site=site, day=tomorrow, by=None, horizon_days=14, budget=EVENING_BUDGET)
        if entry.payload["trip"] is not None:
            try:
                plans.accept_plan(entry, by=None)
                report.add("trips requested")
            except CorridorError:
                report.add("requests refused")
    _ask_companions(site, tomorrow, aside, report, hands)


# The evening plan's work, well under the recorded default's: a run checks every day's plan accounts for
# everyone waiting and keeps the rules, which a quicker plan tests as well, and at the default sixty days
# of plans took most of the run. Each plan is still reproducible: its entry records this budget.
EVENING_WORK = {"dual_iterations": 50, "search_rounds": 40, "windows": 4, "window_nodes": 20, "polish_iterations": 200}
EVENING_BUDGET = plans.lowered_budget(EVENING_WORK)


# The demo's roster (scenarios/build_demo.py): the interpreter and the nurse the cardiac patient needed.
ASKED_FOR = (("C-0001", 0.4), ("C-0002", 0.25))
# The authority's answers about each person, with their weights: approved, rejected, substituted, none.
COMPANION_ANSWERS = (
    (TripCompanion.Answer.APPROVED, 5),
    (TripCompanion.Answer.REJECTED, 3),
    (TripCompanion.Answer.SUBSTITUTED, 1),
    (TripCompanion.Answer.NO_ANSWER, 1),
)


def _ask_companions(site: Site, day: dt.date, aside: random.Random, report: Report, hands: Hands) -> None:
    """The coordinator asks, now and then, for the roster's interpreter or nurse on ``day``'s requested
    trip, for its first patient; the time of the ask is the clock's (a date alone on the scenario's)."""
    from corridor.transfers import companions

    trip = Trip.objects.filter(site=site, date=day, status=Trip.Status.REQUESTED).order_by("pk").first()
    if trip is None:
        return
    first = trip.passengers.filter(role=TripPassenger.Role.PATIENT, removed=False).order_by("pk").first()
    if first is None:
        return
    for code, share in ASKED_FOR:
        if aside.random() >= share:
            continue
        report.untimed["trip.companion_asked"] = report.untimed.get("trip.companion_asked", 0) + 1
        if hands.by_api():
            hands.post(
                "coordinator", f"trips/{trip.pk}/companions", {"companion": code, "for_patient": first.patient.code}
            )
        else:
            companion = companions.get_companion(code)
            companions.ask_companion(trip, companion=companion, for_patient=first.patient, by=None)
        report.add("companions asked")


def _answer_companions(
    trip: Trip, day: dt.date, zone: dt.tzinfo, aside: random.Random, report: Report, hands: Hands
) -> None:
    """The authority's answer about each companion asked for on ``trip``, given with its answer about the
    trip; half the time the hour of the answer is known."""
    from corridor.transfers import companions

    for asked in trip.companions.filter(answer=TripCompanion.Answer.PENDING).select_related("companion"):
        answer = aside.choices([a for a, _ in COMPANION_ANSWERS], [w for _, w in COMPANION_ANSWERS])[0]
        at: dt.datetime | None = _at(day, zone, 6, 15) if aside.random() < 0.5 else None
        if at is None:
            report.untimed["trip.companion_answered"] = report.untimed.get("trip.companion_answered", 0) + 1
        note = "a nurse of the authority's choosing" if answer == "substituted" else ""
        if hands.by_api():
            body: dict[str, Any] = {"answer": answer, "note": note, "source": "official_statement"}
            if at is not None:
                body["at"] = at.isoformat()
            hands.post("coordinator", f"trips/{trip.pk}/companions/{asked.companion.code}/answer", body)
        else:
            companions.record_companion_answer(
                trip, companion=asked.companion, answer=answer, note=note, by=None, at=at
            )
        report.add(f"{asked.role}s {answer.replace('_', ' ')}")


# Events this run records by their date only: none of them may carry an hour.
DATE_ONLY = ("patient.registered", "referral.created", "trip.approved", "patient.died", "scenario.clock_moved")
# Acts on a trip (by the API's action name) that the run sometimes gives no hour, and the event each writes.
UNTIMED_EVENTS = {"approve": "trip.approved", "outcomes": "patient.seen"}
UNTIMED_CHECKED = (
    "trip.approved",
    "patient.seen",
    "patient.not_seen",
    "trip.companion_asked",
    "trip.companion_answered",
)


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
    # Every waiting referral (as the dashboard counts them) is on tomorrow's plan, which was made last thing
    # today: on its trip, its standby list or its forecast for the horizon (planned on a day or named as
    # not fitting in it), or already on a trip requested or approved from today on. None dropped silently.
    tomorrow = day + dt.timedelta(days=1)
    plan = plans.latest_plan(site, tomorrow)
    check(plan is not None, f"no plan was proposed for {tomorrow}")
    if plan is not None:
        missing = sorted(
            waiting_referrals(site).exclude(pk__in=plans.accounted_for(plan)).values_list("patient__code", flat=True)
        )
        check(not missing, f"{len(missing)} waiting on neither the plan for {tomorrow} nor a trip: {missing[:5]}")
    # Nothing stamped at a time nobody entered: today's entries with a moment carry one that was given.
    check(ledger.verify().ok, "the ledger does not verify")
    made_up = [
        e.seq for e in Entry.objects.filter(seq__gt=since, type__in=DATE_ONLY) if e.payload.get("precision") != "date"
    ]
    check(not made_up, f"entries {made_up[:5]} known only by their date were given an hour")
    # And each act given a date alone or no time wrote exactly one entry with date precision: no hour made up
    # for it, and no hour that was given lost.
    for event in UNTIMED_CHECKED:
        dated = sum(1 for e in Entry.objects.filter(seq__gt=since, type=event) if e.payload.get("precision") == "date")
        expected = report.untimed.get(event, 0)
        check(dated == expected, f"{dated} {event} entries by date alone, {expected} acts given no time")
    # The companions' indicators for the month so far equal a recount of the ledger's asks and answers.
    from corridor.reports.core import Period
    from corridor.transfers.indicators import compute_companions

    month = Period.month(day.strftime("%Y-%m"), day)
    values = compute_companions(month).values

    def in_month(entry_date: str) -> bool:
        return month.start.isoformat() <= entry_date <= month.as_of.isoformat()

    asks = [e.payload for e in Entry.objects.filter(type="trip.companion_asked")]
    answers = {
        (e.payload["trip"], e.payload["companion"]): e.payload
        for e in Entry.objects.filter(type="trip.companion_answered").order_by("seq")
    }
    asked_n = sum(1 for p in asks if in_month(p["date"]))
    approved_n = sum(
        1 for p in answers.values() if in_month(p["date"]) and p["answer"] == TripCompanion.Answer.APPROVED
    )
    clinical = (Companion.Kind.INTERPRETER, Companion.Kind.NURSE)
    refused = (TripCompanion.Answer.REJECTED, TripCompanion.Answer.SUBSTITUTED)
    refused_n = sum(
        1 for p in answers.values() if in_month(p["date"]) and p["role"] in clinical and p["answer"] in refused
    )
    indicator = (
        values["companions.asked"].value,
        values["companions.approved_rate"].numerators,
        values["companions.interpreter_nurse_refused"].value,
    )
    check(
        indicator == (asked_n, (approved_n,), refused_n),
        f"companions (asked, approved, interpreters and nurses refused): indicators {indicator}, ledger "
        f"{(asked_n, (approved_n,), refused_n)}",
    )


def advance(days: int, *, seed: int = 0, check: bool = True) -> Report:
    """Drive the loaded demo camp ``days`` days forward; return what was done and checked."""
    if not 1 <= days <= 366:
        raise CorridorError(_("advance between %(least)s and %(most)s days"), code="living.bad_days", least=1, most=366)
    rng = random.Random(seed)
    site = Site.objects.order_by("pk").first()
    if site is None:
        raise CorridorError(_("no site: run corridor demo first"), code="living.no_site")
    report = Report()
    serial = [Patient.objects.filter(code__startswith="P-L").count()]
    hands = Hands(seed, report)
    aside = random.Random(f"aside:{seed}")
    for _day in range(days):
        day = clock.today() + dt.timedelta(days=1)
        since = ledger.head()[0]
        report.untimed = {}
        with transaction.atomic():
            move_clock(day)
            _live_day(site, day, rng, report, serial, hands, aside)
        report.days += 1
        if check:
            check_day(site, day, report, since)
    return report
