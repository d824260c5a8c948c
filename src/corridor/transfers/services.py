"""Trips: request, answer, cancel, and the gate timeline, each with its ledger entry.

The access rules in force on the trip's date are checked when a trip is requested or its manifest
changes: the gate's capacity, its weekdays, how many hospitals a day, and each hospital's hours.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor import clock
from corridor.accounts.roles import Actor, Can, require
from corridor.errors import Conflict, InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Certainty, Source
from corridor.ledger.models import Entry
from corridor.register import corrections as register_corrections
from corridor.register import episodes
from corridor.register.models import AccessRuleSet, Facility, Patient, Referral, Site
from corridor.register.scoping import require_site
from corridor.transfers.models import Trip, TripPassenger
from corridor.transfers.transitions import TRANSITIONS, conflict
from corridor.validate import evidence as _evidence

ACTIVE = (
    Trip.Status.REQUESTED,
    Trip.Status.APPROVED,
    Trip.Status.DEPARTED,
    Trip.Status.RETURNED,
)
CANCELLERS = tuple(Trip.CancelledBy.values)


def _aware(moment: dt.datetime, field: str) -> dt.datetime:
    if not isinstance(moment, dt.datetime):
        raise InvalidInput(_("must be a date and time"), field, code="moment.not_a_time")
    if moment.tzinfo is None:
        raise InvalidInput(_("must include a time zone"), field, code="moment.no_time_zone")
    return moment


def _moment_of(trip: Trip, type: str, order: str, *, hour_known: bool = False) -> dt.datetime | None:
    """When ``trip``'s step ``type`` was recorded as happening: its first entry (``order="seq"``) or its
    latest (``"-seq"``); None when there is none. With ``hour_known``, also None for a step known by its
    date only, whose stored hour is there to sort by and was said by nobody."""
    entry = Entry.objects.filter(subject_rows__key=f"trip:{trip.pk}", type=type).order_by(order).first()
    if entry is None or (hour_known and entry.fields["payload"].get("precision") == "date"):
        return None
    return dt.datetime.fromisoformat(entry.occurred_at.replace("Z", "+00:00"))


def _requested_at(trip: Trip) -> dt.datetime | None:
    """When the trip's request was recorded as made (a request known by its date alone is checked with a
    day's margin, :data:`corridor.clock.REQUEST_MARGIN`)."""
    return _moment_of(trip, "trip.requested", "seq")


def _departed_at(trip: Trip) -> dt.datetime | None:
    """When the trip was recorded as leaving the camp (its latest ``trip.departed``), if its hour is known."""
    return _moment_of(trip, "trip.departed", "-seq", hour_known=True)


# The steps of a trip on its way, each after it left the camp (when its departure was recorded apart).
AFTER_DEPARTURE = ("gate_arrived", "hospital_arrived", "returned")


def check_trip_moment(trip: Trip, field: str, moment: dt.datetime | dt.date) -> dt.datetime | dt.date:
    """A moment of ``trip``'s day as evidence: not in the future, not before the trip was requested.

    A trip event may be up to :data:`corridor.clock.REQUEST_MARGIN` before the request's recorded moment
    (a request written down late carries the time it was written). A date alone (the time of day not
    known) is checked as a date.
    """
    requested = _requested_at(trip)
    if not isinstance(moment, dt.datetime) and isinstance(moment, dt.date):
        return clock.check_day(
            "on" if field == "at" else field,  # a date alone is given as "on"
            moment,
            not_before=(requested - clock.REQUEST_MARGIN).date() if requested else None,
            what=_("the day before the trip was requested"),
        )
    return clock.check_moment(
        field,
        moment,
        not_before=requested - clock.REQUEST_MARGIN if requested else None,
        what=_("the trip was requested, less a day's margin"),
        zone=trip.site.time_zone,
    )


def _subjects(trip: Trip) -> list[str]:
    codes = trip.passengers.filter(removed=False).values_list("patient__code", flat=True)
    return [f"trip:{trip.pk}", f"facility:{trip.facility.code}", *(f"patient:{c}" for c in codes)]


def _may_record(trip: Trip, capability: Can | None, *, by: Actor, source: str, certainty: str) -> None:
    """Refuse, in this order, an actor without ``capability``, a trip of a site the actor does not work at (not
    found), and an unknown source or certainty: what every act on an existing trip asks first.

    ``capability`` is None only for a consequence of an act already allowed (a death taking the patient
    off the trips still to leave): the act's own capability was asked for, not this step's.
    """
    if capability is not None:
        require(by, capability)
    require_site(by, trip.site_id, "trip")
    _evidence(source, certainty)


def rules_allowing(site: Site, day: dt.date) -> AccessRuleSet:
    """The access rules in force at ``site`` on ``day``; refused (naming why) when none are recorded or
    they allow no trip that day."""
    rules = AccessRuleSet.in_force(site, day)
    if rules is None:
        raise InvalidInput(
            _("no access rules are recorded for %(site)s on %(day)s; record them first"),
            "date",
            code="trip.no_rules",
            site=site.code,
            day=day,
        )
    if not rules.allows(day):
        raise InvalidInput(
            _("the rules in force do not allow trips on %(day)s"), "date", code="trip.day_not_allowed", day=day
        )
    return rules


def check_manifest(
    *,
    site: Site,
    day: dt.date,
    facility: Facility,
    referrals: Sequence[Referral],
    escorts: int = 0,
    exclude_trip: Trip | None = None,
) -> AccessRuleSet:
    """Check a proposed manifest against the rules in force; return those rules or raise InvalidInput."""
    rules = rules_allowing(site, day)
    if facility.hours_on(day) is None:
        raise InvalidInput(
            _("%(hospital)s is closed on %(day)s"),
            "facility",
            code="trip.hospital_closed",
            hospital=facility.code,
            day=day,
        )
    if not referrals:
        raise InvalidInput(_("name at least one patient"), "patients", code="trip.no_patients")
    same_day = Trip.objects.filter(site=site, date=day, status__in=ACTIVE)
    if exclude_trip is not None:
        same_day = same_day.exclude(pk=exclude_trip.pk)
    seats_taken = TripPassenger.objects.filter(
        trip__in=same_day, role=TripPassenger.Role.PATIENT, removed=False
    ).count()
    if seats_taken + len(referrals) > rules.max_patients_per_day:
        raise InvalidInput(
            _("patients a day the rules allow: %(limit)s; already booked on %(day)s: %(booked)s; asked: %(asked)s"),
            "patients",
            code="trip.over_patients_per_day",
            limit=rules.max_patients_per_day,
            booked=seats_taken,
            day=day,
            asked=len(referrals),
        )
    escorts_taken = TripPassenger.objects.filter(
        trip__in=same_day, role=TripPassenger.Role.ESCORT, removed=False
    ).count()
    if escorts and escorts_taken + escorts > rules.max_escorts_per_day:
        raise InvalidInput(
            _("escorts a day the rules allow: %(limit)s"),
            "escorts",
            code="trip.over_escorts_per_day",
            limit=rules.max_escorts_per_day,
        )
    facilities = set(same_day.values_list("facility_id", flat=True)) | {facility.pk}
    if len(facilities) > rules.max_facilities_per_day:
        raise InvalidInput(
            _("hospitals a day the rules allow: %(limit)s; another trip on %(day)s already goes elsewhere"),
            "facility",
            code="trip.over_hospitals_per_day",
            limit=rules.max_facilities_per_day,
            day=day,
        )
    seen: set[int] = set()
    for referral in referrals:
        code = referral.patient.code
        if referral.pk in seen:
            raise InvalidInput(_("%(patient)s is listed twice"), "patients", code="trip.patient_twice", patient=code)
        seen.add(referral.pk)
        if referral.status not in Referral.OPEN:
            raise InvalidInput(
                _("the referral of %(patient)s is closed (%(referral_status)s)"),
                "patients",
                code="trip.referral_closed",
                patient=code,
                referral_status=referral.status,
            )
        if referral.patient.status in (Patient.Status.DECEASED, Patient.Status.LEFT):
            raise InvalidInput(
                _("%(patient)s is %(patient_status)s"),
                "patients",
                code="trip.patient_not_waiting",
                patient=code,
                patient_status=referral.patient.status,
            )
        if referral.release_date > day:
            raise InvalidInput(
                _("%(patient)s is not referred or fit to travel before %(day)s"),
                "patients",
                code="trip.patient_not_yet_released",
                patient=code,
                day=referral.release_date,
            )
        if not referral.eligible_facilities.filter(pk=facility.pk).exists():
            raise InvalidInput(
                _("%(hospital)s is not eligible for the referral of %(patient)s"),
                "patients",
                code="trip.hospital_not_eligible",
                hospital=facility.code,
                patient=code,
            )
        if TripPassenger.objects.filter(trip__in=same_day, patient=referral.patient, removed=False).exists():
            raise InvalidInput(
                _("%(patient)s is already on a trip on %(day)s"),
                "patients",
                code="trip.patient_already_booked",
                patient=code,
                day=day,
            )
    return rules


def request_trip(
    *,
    site: Site,
    day: dt.date,
    facility: Facility,
    referrals: Sequence[Referral],
    escorts: Iterable[tuple[Patient, Patient]] = (),
    appointment_time: dt.time | None = None,
    plan_seq: int | None = None,
    synthetic: bool = False,
    by: Actor,
    source: str = Source.SYSTEM,
    certainty: str = Certainty.CONFIRMED,
    at: dt.datetime | None = None,
) -> Trip:
    """Request a trip from the authority with its manifest: patients (by referral) and escorts.

    ``escorts`` pairs (escort, escorted patient). ``plan_seq`` links the trip to the plan it follows.
    """
    require(by, Can.MANAGE_TRIPS)
    require_site(by, site)  # only at a site the user works at; another site's is not found
    _evidence(source, certainty)
    if at is not None:
        clock.check_moment("at", at, zone=site.time_zone)
    escort_pairs = list(escorts)
    with transaction.atomic():
        check_manifest(site=site, day=day, facility=facility, referrals=referrals, escorts=len(escort_pairs))
        trip = Trip.objects.create(
            site=site,
            date=day,
            facility=facility,
            status=Trip.Status.REQUESTED,
            appointment_time=appointment_time,
            synthetic=synthetic,
        )
        for referral in referrals:
            TripPassenger.objects.create(trip=trip, patient=referral.patient, referral=referral)
        for escort, escorted in escort_pairs:
            TripPassenger.objects.create(trip=trip, patient=escort, role=TripPassenger.Role.ESCORT, escort_for=escorted)
        ledger.append(
            "trip.requested",
            by=by,
            subjects=_subjects(trip),
            payload={
                "trip": trip.pk,
                "date": day.isoformat(),
                "facility": facility.code,
                "patients": [r.patient.code for r in referrals],
                "referrals": [r.pk for r in referrals],
                "escorts": [{"escort": e.code, "for": p.code} for e, p in escort_pairs],
                "appointment_time": appointment_time.isoformat() if appointment_time else None,
                "plan": plan_seq,
                "synthetic": synthetic,
            },
            source=source,
            certainty=certainty,
            occurred_at=at,
        )
    return trip


def _transition(
    trip: Trip,
    name: str,
    *,
    by: Actor,
    source: str,
    certainty: str,
    occurred_at: dt.datetime | dt.date | None,
    payload: dict[str, object] | Callable[[Trip], dict[str, object]] | None = None,
    update: dict[str, object] | None = None,
    check: Callable[[Trip], None] | None = None,
    extra: dict[str, Any] | None = None,
    field: str = "at",
    consequence: bool = False,
) -> Trip:
    """Record transition ``name`` of :data:`TRANSITIONS` on ``trip``, or refuse and write nothing.

    The trip is read again under its row lock and every precondition (the table's states and guard, then
    ``check`` on the input) is asked of that locked row, never of the caller's copy: of two identical
    taps, the second finds the step recorded and is answered "already recorded". ``payload`` may be a
    function of the locked row (e.g. the hours held, counted from what the row holds). ``occurred_at``
    may be a date alone when the time of day is not known: the entry then has date precision.
    """
    step = TRANSITIONS[name]
    _may_record(trip, None if consequence else step.capability, by=by, source=source, certainty=certainty)
    with transaction.atomic():
        locked = Trip.objects.select_for_update().select_related("site", "facility").get(pk=trip.pk)
        why = conflict(name, locked)
        if why is not None:
            raise why
        if occurred_at is not None:
            check_trip_moment(locked, field, occurred_at)
            if name in AFTER_DEPARTURE and isinstance(occurred_at, dt.datetime):
                departed = _departed_at(locked)
                if departed is not None and occurred_at < departed:
                    raise InvalidInput(
                        _("cannot be before the trip left the camp (%(departed)s)"),
                        field,
                        code="trip.before_departure",
                        departed=departed.astimezone(dt.UTC),
                    )
        if check is not None:
            check(locked)
        if name == "gate_arrived" and locked.status == Trip.Status.APPROVED:
            # Reaching the gate shows the trip left: record the departure first, in this transaction.
            locked = _transition(
                locked,
                "depart",
                by=by,
                source=source,
                certainty=certainty,
                occurred_at=occurred_at,
                payload={"at": occurred_at.isoformat() if occurred_at else None},
            )
        body = payload(locked) if callable(payload) else payload
        locked.status = step.target(locked)
        fields = ["status"]
        for key, value in (update or {}).items():
            setattr(locked, key, value)
            fields.append(key)
        locked.save(update_fields=fields)
        ledger.append(
            step.event,
            by=by,
            subjects=_subjects(locked),
            payload={
                **(extra or {}),  # e.g. the field submission an import recorded this from; never overrides
                "trip": locked.pk,
                "date": locked.date.isoformat(),
                "facility": locked.facility.code,
                **(body or {}),
            },
            source=source,
            certainty=certainty,
            **_when(occurred_at),
        )
    trip.refresh_from_db()
    return trip


def _when(moment: dt.datetime | dt.date | None) -> dict[str, Any]:
    """The ledger's arguments for a moment, or for a date alone (stored with date precision)."""
    if isinstance(moment, dt.datetime) or moment is None:
        return {"occurred_at": moment}
    return {"occurred_on": moment}


def approve_trip(
    trip: Trip,
    *,
    by: Actor,
    source: str = Source.OFFICIAL_STATEMENT,
    certainty: str = Certainty.CONFIRMED,
    at: dt.datetime | dt.date | None = None,
) -> Trip:
    """The authority approved the trip."""
    return _transition(trip, "approve", by=by, source=source, certainty=certainty, occurred_at=at)


def deny_trip(
    trip: Trip,
    *,
    reason: str = "",
    by: Actor,
    source: str = Source.OFFICIAL_STATEMENT,
    certainty: str = Certainty.CONFIRMED,
    at: dt.datetime | dt.date | None = None,
) -> Trip:
    """The authority denied the trip; ``reason`` is what it said (empty when it gave none)."""
    reason = (reason or "").strip()
    return _transition(
        trip,
        "deny",
        by=by,
        source=source,
        certainty=certainty,
        occurred_at=at,
        payload={"reason": reason or None},
        update={"status_reason": reason},
    )


def cancel_trip(
    trip: Trip,
    *,
    reason: str = "",
    cancelled_by: str = Trip.CancelledBy.AUTHORITY,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    at: dt.datetime | dt.date | None = None,
    extra: dict[str, Any] | None = None,
) -> Trip:
    """The trip was cancelled before it left (by the authority, the camp, the hospital or other)."""
    if cancelled_by not in CANCELLERS:
        raise InvalidInput(
            _("must be one of %(choices)s"),
            "cancelled_by",
            code="trip.unknown_canceller",
            choices=", ".join(CANCELLERS),
        )
    reason = (reason or "").strip()
    return _transition(
        trip,
        "cancel",
        by=by,
        source=source,
        certainty=certainty,
        occurred_at=at,
        extra=extra,
        payload={"reason": reason or None, "cancelled_by": str(cancelled_by)},
        update={"status_reason": reason, "cancelled_by": str(cancelled_by)},
    )


def record_departure(
    trip: Trip,
    *,
    at: dt.datetime,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
) -> Trip:
    """The trip left the camp."""
    _aware(at, "at")
    return _transition(
        trip, "depart", by=by, source=source, certainty=certainty, occurred_at=at, payload={"at": at.isoformat()}
    )


def record_gate_arrival(
    trip: Trip,
    *,
    at: dt.datetime,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    extra: dict[str, Any] | None = None,
) -> Trip:
    """The trip reached the gate (recording its departure first if that was not recorded)."""
    _aware(at, "at")
    return _transition(
        trip,
        "gate_arrived",
        by=by,
        source=source,
        certainty=certainty,
        occurred_at=at,
        extra=extra,
        payload={"at": at.isoformat()},
        update={"gate_arrived_at": at},
    )


def record_gate_hold(
    trip: Trip,
    *,
    since: dt.datetime,
    note: str = "",
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    at: dt.datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> Trip:
    """A hold at the gate in progress since ``since`` (as entered); the hours held count from it."""
    _aware(since, "since")

    def check(locked: Trip) -> None:
        if at is not None:
            # ``since`` is typed by the monitor, ``at`` is when the hold was seen (a phone's tap): both are
            # evidence, and a hold cannot begin in the future or after someone saw it.
            check_trip_moment(locked, "since", since)
            if since > at:
                raise InvalidInput(
                    _("the hold cannot begin after it was seen at the gate"), "since", code="trip.hold_after_seen"
                )
        if locked.gate_arrived_at is not None and since < locked.gate_arrived_at:
            raise InvalidInput(
                _("the hold cannot begin before the trip reached the gate"), "since", code="trip.hold_before_gate"
            )

    return _transition(
        trip,
        "gate_held",
        by=by,
        source=source,
        certainty=certainty,
        occurred_at=at or since,
        field="at" if at else "since",
        extra=extra,
        check=check,
        payload={"since": since.isoformat(), "note": (note or "").strip()},
        update={"held_since": since},
    )


def record_gate_release(
    trip: Trip,
    *,
    at: dt.datetime,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    extra: dict[str, Any] | None = None,
) -> Trip:
    """The gate let the trip through; the hours held (from the hold as entered, else the arrival) go in."""
    _aware(at, "at")

    def check(locked: Trip) -> None:
        assert locked.gate_arrived_at is not None  # the guard asked
        if at < locked.gate_arrived_at:
            raise InvalidInput(
                _("the release cannot be before the arrival at the gate"), "at", code="trip.release_before_gate"
            )
        if locked.held_since is not None and at < locked.held_since:
            raise InvalidInput(_("the release cannot be before the hold began"), "at", code="trip.release_before_hold")

    def payload(locked: Trip) -> dict[str, object]:
        start = locked.held_since or locked.gate_arrived_at
        assert start is not None
        return {"at": at.isoformat(), "hours_held": round((at - start).total_seconds() / 3600, 2)}

    return _transition(
        trip,
        "gate_released",
        by=by,
        source=source,
        certainty=certainty,
        occurred_at=at,
        extra=extra,
        check=check,
        payload=payload,
        update={"gate_released_at": at},
    )


def record_turned_back(
    trip: Trip,
    *,
    at: dt.datetime,
    reason: str = "",
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    extra: dict[str, Any] | None = None,
) -> Trip:
    """The gate sent the trip back: every patient on it is recorded as not seen (turned back)."""
    _aware(at, "at")

    def check(locked: Trip) -> None:
        if locked.gate_arrived_at is not None and at < locked.gate_arrived_at:
            raise InvalidInput(
                _("the trip cannot be sent back before it reached the gate"), "at", code="trip.turned_back_before_gate"
            )
        if locked.held_since is not None and at < locked.held_since:
            raise InvalidInput(
                _("the trip cannot be sent back before the hold began"), "at", code="trip.turned_back_before_hold"
            )

    with transaction.atomic():
        trip = _transition(
            trip,
            "turned_back",
            by=by,
            source=source,
            certainty=certainty,
            occurred_at=at,
            extra=extra,
            check=check,
            payload={"at": at.isoformat(), "reason": (reason or "").strip() or None},
            update={"turned_back_at_gate": True, "returned_at": at, "status_reason": reason},
        )
        trip.passengers.filter(role=TripPassenger.Role.PATIENT, removed=False).update(
            outcome=TripPassenger.Outcome.TURNED_BACK
        )
    return trip


def record_hospital_arrival(
    trip: Trip,
    *,
    at: dt.datetime,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    extra: dict[str, Any] | None = None,
) -> Trip:
    """The trip reached the hospital; the entry says whether it was after the facility closed."""
    _aware(at, "at")

    def check(locked: Trip) -> None:
        if locked.gate_arrived_at and at < locked.gate_arrived_at:
            raise InvalidInput(
                _("the arrival at the hospital cannot be before the arrival at the gate"),
                "at",
                code="trip.arrival_before_gate",
            )
        if locked.gate_released_at and at < locked.gate_released_at:
            raise InvalidInput(
                _("the arrival at the hospital cannot be before the release at the gate"),
                "at",
                code="trip.arrival_before_release",
            )

    closes_at = facility_closing(trip)
    late = bool(closes_at and at > closes_at)
    return _transition(
        trip,
        "hospital_arrived",
        by=by,
        source=source,
        certainty=certainty,
        occurred_at=at,
        extra=extra,
        check=check,
        payload={
            "at": at.isoformat(),
            "late": late,
            "facility_closes_at": closes_at.isoformat() if closes_at else None,
        },
        update={"hospital_arrived_at": at, "facility_closes_at": closes_at},
    )


def facility_closing(trip: Trip) -> dt.datetime | None:
    """When the trip's facility closes on the trip's date, in the site's time zone."""
    hours = trip.facility.hours_on(trip.date)
    if hours is None:
        return None
    zone = zoneinfo.ZoneInfo(trip.site.time_zone)
    return dt.datetime.combine(trip.date, hours[1], tzinfo=zone)


def record_outcome(
    trip: Trip,
    *,
    patient: Patient,
    outcome: str,
    note: str = "",
    follow_up_due: dt.date | None = None,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    at: dt.datetime | dt.date | None = None,
    extra: dict[str, Any] | None = None,
) -> TripPassenger:
    """What happened to one patient at the hospital, and what it does to the referral's episode of care.

    Being seen does not close the referral: it is in care (or waits for the follow-up due by
    ``follow_up_due``) until care is complete; see :mod:`corridor.register.episodes`.
    """
    _may_record(trip, Can.RECORD_GATE, by=by, source=source, certainty=certainty)
    if outcome not in TripPassenger.Outcome.values or outcome == TripPassenger.Outcome.PENDING:
        choices = [o for o in TripPassenger.Outcome.values if o != "pending"]
        raise InvalidInput(
            _("must be one of %(choices)s"), "outcome", code="trip.unknown_outcome", choices=", ".join(choices)
        )
    episodes.check_follow_up(outcome, follow_up_due, trip.date)
    # The visit is dated the trip's day (the episode's too): before that day comes, it cannot be told.
    _day_has_come(trip, "trip.outcome_to_come")
    with transaction.atomic():
        trip = Trip.objects.select_for_update().get(pk=trip.pk)
        if trip.status not in (Trip.Status.DEPARTED, Trip.Status.RETURNED) or trip.turned_back_at_gate:
            raise Conflict(
                _("trip %(trip)s did not reach the hospital (%(status)s)"),
                code="trip.not_at_hospital",
                trip=trip.code,
                status=trip.status,
            )
        try:
            place = trip.passengers.select_related("referral").get(
                patient=patient, role=TripPassenger.Role.PATIENT, removed=False
            )
        except TripPassenger.DoesNotExist:
            raise InvalidInput(
                _("%(patient)s is not a patient on trip %(trip)s"),
                "patient",
                code="trip.not_a_passenger",
                patient=patient.code,
                trip=trip.code,
            ) from None
        if place.outcome != TripPassenger.Outcome.PENDING:
            raise Conflict(
                _("already recorded: the outcome of %(patient)s on trip %(trip)s; correct it instead"),
                code="trip.outcome_already_recorded",
                patient=patient.code,
                trip=trip.code,
            )
        died = _died_on(patient)
        if died is not None and died < trip.date:
            raise InvalidInput(
                _("%(patient)s died on %(day)s, before trip %(trip)s's day"),
                "patient",
                code="trip.patient_died_before",
                patient=patient.code,
                day=died,
                trip=trip.code,
            )
        place.outcome = outcome
        place.outcome_note = (note or "").strip()
        place.follow_up_due = follow_up_due
        place.save(update_fields=["outcome", "outcome_note", "follow_up_due"])
        seen = outcome in TripPassenger.SEEN_OUTCOMES
        if at is not None:
            check_trip_moment(trip, "at", at)
            arrived = trip.hospital_arrived_at
            if arrived is not None and _before(at, arrived, trip):
                raise InvalidInput(
                    _("the outcome cannot be before the arrival at the hospital"),
                    "at",
                    code="trip.outcome_before_arrival",
                )
            # Its arrival at the hospital not known, the patient was still seen after the trip got through.
            gate = max((m for m in (trip.gate_arrived_at, trip.held_since, trip.gate_released_at) if m), default=None)
            if arrived is None and gate is not None and _before(at, gate, trip):
                raise InvalidInput(
                    _("the outcome cannot be before the trip's last recorded step at the gate"),
                    "at",
                    code="trip.outcome_before_gate",
                )
        referral_status = (
            episodes.predicted_status(place.referral.status, outcome, follow_up_due) if place.referral else None
        )
        ledger.append(
            "patient.seen" if seen else "patient.not_seen",
            by=by,
            subjects=[
                f"trip:{trip.pk}",
                f"patient:{patient.code}",
                *([f"referral:{place.referral_id}"] if place.referral_id else []),
            ],
            payload={
                **(extra or {}),
                "trip": trip.pk,
                "patient": patient.code,
                "referral": place.referral_id,
                "outcome": outcome,
                "note": place.outcome_note,
                "date": trip.date.isoformat(),
                "follow_up_due": follow_up_due.isoformat() if follow_up_due else None,
                "referral_status": referral_status,
            },
            source=source,
            certainty=certainty,
            **_when(at or trip.date),  # known only by its date: stored as such, never as a made-up hour
        )
        if seen and place.referral_id:
            episodes.apply_visit(
                place.referral_id,
                outcome=outcome,
                on=trip.date,
                follow_up_due=follow_up_due,
                by=by,
                source=source,
                certainty=certainty,
            )
    return place


def _day_has_come(trip: Trip, code: str) -> None:
    """Refuse (with ``code``) what is dated ``trip``'s day while that day is still to come."""
    today = clock.today()
    if trip.date > today:
        raise InvalidInput(
            _("trip %(trip)s is on %(day)s, which has not come yet (Corridor's clock: %(today)s)"),
            None,
            code=code,
            trip=trip.code,
            day=trip.date,
            today=today,
        )


def _died_on(patient: Patient) -> dt.date | None:
    """The date of ``patient``'s death as its entry now stands (corrected), or ``None`` when not dead."""
    if not Patient.objects.filter(pk=patient.pk, status=Patient.Status.DECEASED).exists():
        return None
    deaths = Entry.objects.filter(type="patient.died", subject_rows__key=f"patient:{patient.code}").order_by("-seq")
    for death in deaths:
        record = register_corrections.standing(death)
        if record is not None:
            return dt.date.fromisoformat(str(record.payload["date"]))
    return None


def _before(moment: dt.datetime | dt.date, step: dt.datetime, trip: Trip) -> bool:
    """Whether ``moment`` (a date alone: that day) is before ``step``, a recorded moment of ``trip``."""
    if isinstance(moment, dt.datetime):
        return moment < step
    return moment < step.astimezone(zoneinfo.ZoneInfo(trip.site.time_zone)).date()


def record_missed_appointment(
    trip: Trip,
    *,
    patient: Patient,
    reason: str,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
) -> Trip:
    """A patient's appointment was missed because the trip was late, held or cancelled."""
    _may_record(trip, Can.RECORD_GATE, by=by, source=source, certainty=certainty)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("say why the appointment was missed"), "reason", code="trip.missed_without_reason")
    # The entry is dated the trip's day: before that day comes, nothing of it has been missed.
    _day_has_come(trip, "trip.appointment_to_come")
    if not trip.passengers.filter(patient=patient, role=TripPassenger.Role.PATIENT, removed=False).exists():
        raise InvalidInput(
            _("%(patient)s is not on trip %(trip)s"),
            "patient",
            code="trip.not_on_trip",
            patient=patient.code,
            trip=trip.code,
        )
    with transaction.atomic():
        ledger.append(
            "appointment.missed",
            by=by,
            subjects=[f"trip:{trip.pk}", f"patient:{patient.code}"],
            payload={
                "trip": trip.pk,
                "patient": patient.code,
                "reason": reason,
                "date": trip.date.isoformat(),
            },
            source=source,
            certainty=certainty,
            occurred_on=trip.date,
        )
    return trip


def record_return(
    trip: Trip,
    *,
    at: dt.datetime,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    extra: dict[str, Any] | None = None,
) -> Trip:
    """The trip came back to the camp."""
    _aware(at, "at")

    def check(locked: Trip) -> None:
        steps = (locked.gate_arrived_at, locked.held_since, locked.gate_released_at, locked.hospital_arrived_at)
        latest = max((m for m in steps if m), default=None)
        if latest is not None and at < latest:
            raise InvalidInput(
                _("the return cannot be before the last recorded step of the trip"),
                "at",
                code="trip.return_before_last_step",
            )

    return _transition(
        trip,
        "returned",
        by=by,
        source=source,
        certainty=certainty,
        occurred_at=at,
        extra=extra,
        check=check,
        payload={"at": at.isoformat()},
        update={"returned_at": at},
    )


def change_manifest(
    trip: Trip,
    *,
    add: Sequence[Referral] = (),
    remove: Sequence[Patient] = (),
    reason: str,
    by: Actor,
    source: str = Source.SYSTEM,
    certainty: str = Certainty.CONFIRMED,
) -> Trip:
    """Swap patients on a trip that has not left yet, with the reason recorded."""
    _may_record(trip, Can.MANAGE_TRIPS, by=by, source=source, certainty=certainty)
    return _change_manifest(trip, add=add, remove=remove, reason=reason, by=by, source=source, certainty=certainty)


def _change_manifest(
    trip: Trip,
    *,
    add: Sequence[Referral],
    remove: Sequence[Patient],
    reason: str,
    by: Actor,
    source: str,
    certainty: str,
    extra: dict[str, Any] | None = None,
) -> Trip:
    """:func:`change_manifest` once the actor may change it (or the change follows from an act they may do)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("say why the manifest changes"), "reason", code="trip.manifest_without_reason")
    if not add and not remove:
        raise InvalidInput(_("add or remove at least one patient"), "patients", code="trip.manifest_unchanged")
    with transaction.atomic():
        trip = Trip.objects.select_for_update().select_related("site", "facility").get(pk=trip.pk)
        if trip.status not in (Trip.Status.REQUESTED, Trip.Status.APPROVED):
            raise Conflict(
                _("trip %(trip)s is %(status)s; its manifest can no longer change"),
                code="trip.manifest_closed",
                trip=trip.code,
                status=trip.status,
            )
        removed = []
        for patient in remove:
            count = trip.passengers.filter(patient=patient, removed=False).update(removed=True)
            if not count:
                raise InvalidInput(
                    _("%(patient)s is not on trip %(trip)s"),
                    "remove",
                    code="trip.not_on_trip",
                    patient=patient.code,
                    trip=trip.code,
                )
            removed.append(patient.code)
        # An escort goes with the patient they escort: one whose patient leaves the trip leaves with them,
        # said in the same entry, rather than travel alone on a permit asked for someone else.
        left_behind = list(
            trip.passengers.filter(
                role=TripPassenger.Role.ESCORT, removed=False, escort_for__code__in=removed
            ).select_related("patient")
        )
        with_them = []
        for escort in left_behind:
            escort.removed = True
            escort.save(update_fields=["removed"])
            with_them.append(escort.patient.code)
        removed += with_them
        if add:
            check_manifest(site=trip.site, day=trip.date, facility=trip.facility, referrals=list(add))
        for referral in add:
            TripPassenger.objects.update_or_create(
                trip=trip,
                patient=referral.patient,
                defaults={"referral": referral, "removed": False, "role": TripPassenger.Role.PATIENT},
            )
        if not trip.passengers.filter(role=TripPassenger.Role.PATIENT, removed=False).exists():
            raise InvalidInput(
                _("no patient would be left on trip %(trip)s; cancel the trip instead"),
                "remove",
                code="trip.manifest_empty",
                trip=trip.code,
            )
        ledger.append(
            "trip.manifest_changed",
            by=by,
            subjects=[*_subjects(trip), *(f"patient:{c}" for c in removed)],
            payload={
                **(extra or {}),
                "trip": trip.pk,
                "added": [r.patient.code for r in add],
                "removed": removed,
                "reason": reason,
                # Only when there were any, as entries written before escorts left with their patient have none.
                **({"escorts_removed_with_their_patient": with_them} if with_them else {}),
            },
            source=source,
            certainty=certainty,
        )
    return trip
