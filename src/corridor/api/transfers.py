"""Trips, their manifests, the gate timeline, and the daily plans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from corridor import clock, sensitivity
from corridor.accounts.roles import Can
from corridor.errors import InvalidInput, NotFound
from corridor.ledger.models import Entry
from corridor.register.models import Facility, Referral
from corridor.register.scoping import visible
from corridor.transfers import bounds, plans
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip, TripPassenger
from corridor.transfers.transitions import TRANSITIONS

from .core import Page, acting, page_of, reader, recorded, ref, requires, responses, user_of
from .register import _facility, _my_site, _patient
from .schemas import (
    AnswerIn,
    CancelIn,
    Code,
    Date,
    EntryRef,
    HoldIn,
    Id,
    ManifestIn,
    MissedIn,
    MomentIn,
    OutcomeIn,
    PageMeta,
    PlanAcceptIn,
    PlanOut,
    PlanProposeIn,
    Seq,
    TimelineOut,
    TripIn,
    TripOut,
    TripStatusCode,
    TurnedBackIn,
)

router = Router()
F = TypeVar("F", bound=Callable[..., Any])


def _trips(request: HttpRequest) -> Any:
    return (
        visible(Trip.objects.all(), user_of(request))
        .select_related("site", "facility")
        .prefetch_related(
            Prefetch(
                "passengers",
                queryset=TripPassenger.objects.select_related("patient", "escort_for").order_by("pk"),
            )
        )
    )


def _trip(request: HttpRequest, trip_id: int, trips: QuerySet[Trip] | None = None) -> Trip:
    """Trip ``trip_id`` among ``trips`` (by default the caller's, with their manifests); another site's is
    not found, as one that does not exist."""
    trip = (_trips(request) if trips is None else trips).filter(pk=trip_id).first()
    if trip is None:
        raise NotFound(_("no trip %(trip)s"), code="trip.not_found", trip=trip_id)
    return trip


def _trip_alone(request: HttpRequest, trip_id: int) -> Trip:
    """The trip with its site and facility, not its manifest: all that the services look at (they read it
    again under their lock)."""
    return _trip(request, trip_id, visible(Trip.objects.select_related("site", "facility"), user_of(request)))


def _found_referrals(request: HttpRequest, ids: list[int], field: str) -> list[Referral]:
    """The referrals ``ids`` of the caller's sites; the lowest not found is refused, as ``field``'s."""
    referrals = list(visible(Referral.objects.select_related("patient"), user_of(request)).filter(pk__in=ids))
    missing = sorted(set(ids) - {r.pk for r in referrals})
    if missing:
        raise InvalidInput(_("no referral %(referral)s"), field, code="referral.not_found", referral=missing[0])
    return referrals


def _referrals(request: HttpRequest, ids: list[int]) -> list[Referral]:
    """The referrals ``ids`` of the caller's sites, in the order given; the lowest not found is refused."""
    referrals = _found_referrals(request, ids, "referrals")
    referrals.sort(key=lambda r: ids.index(r.pk))
    return referrals


def trip_out(trip: Trip, user: Any) -> dict[str, Any]:
    return {
        "id": trip.pk,
        "site": trip.site.code,
        "date": trip.date,
        "facility": trip.facility.code,
        "status": trip.status,
        "status_reason": trip.status_reason,
        "cancelled_by": trip.cancelled_by,
        "appointment_time": trip.appointment_time,
        "gate_arrived_at": trip.gate_arrived_at,
        "held_since": trip.held_since,
        "gate_released_at": trip.gate_released_at,
        "hours_held": trip.hours_held,
        "hospital_arrived_at": trip.hospital_arrived_at,
        "facility_closes_at": trip.facility_closes_at,
        "arrived_late": trip.arrived_late,
        "returned_at": trip.returned_at,
        "turned_back_at_gate": trip.turned_back_at_gate,
        "synthetic": trip.synthetic,
        "passengers": [
            {
                "patient": p.patient.code,
                "role": p.role,
                "referral": p.referral_id,
                "escort_for": p.escort_for.code if p.escort_for else None,
                "outcome": p.outcome,
                "outcome_note": sensitivity.field_text(p, "outcome_note", user),
                "follow_up_due": p.follow_up_due,
                "removed": p.removed,
            }
            for p in trip.passengers.all()
        ],
    }


class TripPage(PageMeta):
    items: list[TripOut]


class TripWritten(TripOut):
    entry: EntryRef


class TripFilter(Schema):
    site: Code | None = None
    status: TripStatusCode | None = None
    date: Date | None = None
    date_from: Date | None = None
    date_to: Date | None = None


@router.get("/trips", response=responses(TripPage), tags=["trips"])
def list_trips(request: HttpRequest, page: Query[Page], filters: Query[TripFilter]) -> dict[str, Any]:
    """Trips, newest first, with their manifests and gate timelines."""
    reader(request)
    trips = _trips(request).order_by("-date", "-pk")
    if filters.site:
        trips = trips.filter(site__code=filters.site)
    if filters.status:
        trips = trips.filter(status=filters.status)
    if filters.date:
        trips = trips.filter(date=filters.date)
    if filters.date_from:
        trips = trips.filter(date__gte=filters.date_from)
    if filters.date_to:
        trips = trips.filter(date__lte=filters.date_to)
    return page_of(trips, page, lambda t: trip_out(t, user_of(request)))


@router.get("/trips/{trip_id}", response=responses(TripOut), tags=["trips"])
def get_trip(request: HttpRequest, trip_id: Id) -> dict[str, Any]:
    reader(request)
    return trip_out(_trip(request, trip_id), user_of(request))


@router.get("/trips/{trip_id}/timeline", response=responses(TimelineOut), tags=["trips"])
def trip_timeline(request: HttpRequest, trip_id: Id) -> dict[str, Any]:
    """The trip and every ledger entry about it, in the order recorded: request, answer, gate, hospital."""
    reader(request)
    trip = _trip(request, trip_id)
    entries = visible(Entry.objects.filter(subject_rows__key=f"trip:{trip.pk}"), user_of(request)).order_by("seq")
    return {
        "trip": trip_out(trip, user_of(request)),
        "events": [
            {
                "seq": e.seq,
                "type": e.type,
                "occurred_at": e.occurred_at,
                "recorded_by": e.recorded_by,
                "source": e.source,
                "certainty": e.certainty,
                "payload": sensitivity.redact(e.payload, user_of(request), e.type),
            }
            for e in entries
        ],
    }


@router.post("/trips", response=responses(TripWritten, 201), tags=["trips"], auth=requires(Can.MANAGE_TRIPS))
def request_trip(request: HttpRequest, data: TripIn) -> Status[dict[str, Any]]:
    """Request a trip from the authority with its manifest; the access rules in force are checked."""
    user = acting(request, Can.MANAGE_TRIPS)
    site = _my_site(request, data.site)
    facility = _facility(data.facility)
    referrals = _referrals(request, data.referrals)
    escorts = [(_patient(request, e.escort), _patient(request, e.escorting)) for e in data.escorts]
    trip, entry = recorded(
        lambda: transfers.request_trip(
            site=site,
            day=data.date,
            facility=facility,
            referrals=referrals,
            escorts=escorts,
            appointment_time=data.appointment_time,
            by=user,
            source=data.source,
            certainty=data.certainty,
        )
    )
    return Status(201, {**trip_out(_trip(request, trip.pk), user_of(request)), "entry": entry})


def _when(data: AnswerIn | OutcomeIn) -> dt.datetime | dt.date | None:
    """``at`` when the time of day is known, else ``on`` (the date alone); not both."""
    if data.at is not None and data.on is not None:
        raise InvalidInput(_("give the time (at) or the date alone (on), not both"), "on", code="trip.time_and_date")
    return data.at if data.at is not None else data.on


def _step(request: HttpRequest, trip_id: int, capability: Can, action: Callable[[Trip, Any], Any]) -> dict[str, Any]:
    user = acting(request, capability)
    trip = _trip_alone(request, trip_id)
    _result, entry = recorded(lambda: action(trip, user))
    return {**trip_out(_trip(request, trip_id), user_of(request)), "entry": entry}


@router.post(
    "/trips/{trip_id}/approve", response=responses(TripWritten), tags=["trips"], auth=requires(Can.MANAGE_TRIPS)
)
def approve_trip(request: HttpRequest, trip_id: Id, data: AnswerIn) -> dict[str, Any]:
    """The authority approved the trip."""
    return _step(
        request,
        trip_id,
        TRANSITIONS["approve"].capability,
        lambda t, u: transfers.approve_trip(t, by=u, at=_when(data), source=data.source, certainty=data.certainty),
    )


@router.post("/trips/{trip_id}/deny", response=responses(TripWritten), tags=["trips"], auth=requires(Can.MANAGE_TRIPS))
def deny_trip(request: HttpRequest, trip_id: Id, data: AnswerIn) -> dict[str, Any]:
    """The authority denied the trip; ``reason`` is what it said (empty when it gave none)."""
    return _step(
        request,
        trip_id,
        TRANSITIONS["deny"].capability,
        lambda t, u: transfers.deny_trip(
            t, reason=data.reason, by=u, at=_when(data), source=data.source, certainty=data.certainty
        ),
    )


@router.post("/trips/{trip_id}/cancel", response=responses(TripWritten), tags=["trips"], auth=requires(Can.RECORD_GATE))
def cancel_trip(request: HttpRequest, trip_id: Id, data: CancelIn) -> dict[str, Any]:
    """The trip was cancelled before it left, by the authority, the camp, the hospital or other."""
    return _step(
        request,
        trip_id,
        TRANSITIONS["cancel"].capability,
        lambda t, u: transfers.cancel_trip(
            t,
            reason=data.reason,
            cancelled_by=data.cancelled_by,
            by=u,
            at=_when(data),
            source=data.source,
            certainty=data.certainty,
        ),
    )


@router.post(
    "/trips/{trip_id}/manifest", response=responses(TripWritten), tags=["trips"], auth=requires(Can.MANAGE_TRIPS)
)
def change_manifest(request: HttpRequest, trip_id: Id, data: ManifestIn) -> dict[str, Any]:
    """Add referrals to or take patients off a trip that has not left, with the reason."""
    acting(request, Can.MANAGE_TRIPS)
    _trip(request, trip_id)  # another site's trip is not found, whatever the body names
    add = _found_referrals(request, data.add, "add")
    remove = [_patient(request, code) for code in data.remove]
    return _step(
        request,
        trip_id,
        Can.MANAGE_TRIPS,
        lambda t, u: transfers.change_manifest(t, add=add, remove=remove, reason=data.reason, by=u),
    )


# ------------------------------------------------------------------------------------- gate timeline


def _gate_route(path: str, status: int = 200) -> Callable[[F], F]:
    """A step of the gate timeline: recorded by a role that records the gate, answered with the trip."""
    return router.post(
        path, response=responses(TripWritten, status), tags=["gate timeline"], auth=requires(Can.RECORD_GATE)
    )


def _moment(name: str, service: Callable[..., Any]) -> Callable[[HttpRequest, int, MomentIn], dict[str, Any]]:
    def endpoint(request: HttpRequest, trip_id: int, data: MomentIn) -> dict[str, Any]:
        return _step(
            request,
            trip_id,
            TRANSITIONS[name].capability,
            lambda t, u: service(t, at=data.at, by=u, source=data.source, certainty=data.certainty),
        )

    return endpoint


@_gate_route("/trips/{trip_id}/departed")
def departed(request: HttpRequest, trip_id: Id, data: MomentIn) -> dict[str, Any]:
    """The trip left the camp."""
    return _moment("depart", transfers.record_departure)(request, trip_id, data)


@_gate_route("/trips/{trip_id}/gate-arrived")
def gate_arrived(request: HttpRequest, trip_id: Id, data: MomentIn) -> dict[str, Any]:
    """The trip reached the gate (its departure is recorded first if it was not)."""
    return _moment("gate_arrived", transfers.record_gate_arrival)(request, trip_id, data)


@_gate_route("/trips/{trip_id}/gate-held")
def gate_held(request: HttpRequest, trip_id: Id, data: HoldIn) -> dict[str, Any]:
    """A hold at the gate in progress since a time."""
    return _step(
        request,
        trip_id,
        TRANSITIONS["gate_held"].capability,
        lambda t, u: transfers.record_gate_hold(
            t, since=data.since, note=data.note, by=u, source=data.source, certainty=data.certainty
        ),
    )


@_gate_route("/trips/{trip_id}/gate-released")
def gate_released(request: HttpRequest, trip_id: Id, data: MomentIn) -> dict[str, Any]:
    """The gate let the trip through; the hours held since arrival go into the entry."""
    return _moment("gate_released", transfers.record_gate_release)(request, trip_id, data)


@_gate_route("/trips/{trip_id}/turned-back")
def turned_back(request: HttpRequest, trip_id: Id, data: TurnedBackIn) -> dict[str, Any]:
    """The gate sent the trip back: every patient on it is recorded as not seen."""
    return _step(
        request,
        trip_id,
        TRANSITIONS["turned_back"].capability,
        lambda t, u: transfers.record_turned_back(
            t, at=data.at, reason=data.reason, by=u, source=data.source, certainty=data.certainty
        ),
    )


@_gate_route("/trips/{trip_id}/hospital-arrived")
def hospital_arrived(request: HttpRequest, trip_id: Id, data: MomentIn) -> dict[str, Any]:
    """The trip reached the hospital; late if after the facility closed."""
    return _moment("hospital_arrived", transfers.record_hospital_arrival)(request, trip_id, data)


@_gate_route("/trips/{trip_id}/outcomes", 201)
def outcome(request: HttpRequest, trip_id: Id, data: OutcomeIn) -> Status[dict[str, Any]]:
    """What happened to one patient at the hospital. Seen leaves the referral open, in care or waiting for
    the follow-up due by ``follow_up_due``; only ``care_complete`` closes it."""
    patient = _patient(request, data.patient)
    written = _step(
        request,
        trip_id,
        Can.RECORD_GATE,
        lambda t, u: transfers.record_outcome(
            t,
            patient=patient,
            outcome=data.outcome,
            note=data.note,
            follow_up_due=data.follow_up_due,
            at=_when(data),
            by=u,
            source=data.source,
            certainty=data.certainty,
        ),
    )
    return Status(201, written)


@_gate_route("/trips/{trip_id}/missed-appointments", 201)
def missed(request: HttpRequest, trip_id: Id, data: MissedIn) -> Status[dict[str, Any]]:
    """A patient's appointment was missed because the trip was late, held or cancelled."""
    patient = _patient(request, data.patient)
    written = _step(
        request,
        trip_id,
        Can.RECORD_GATE,
        lambda t, u: transfers.record_missed_appointment(
            t, patient=patient, reason=data.reason, by=u, source=data.source, certainty=data.certainty
        ),
    )
    return Status(201, written)


@_gate_route("/trips/{trip_id}/returned")
def returned(request: HttpRequest, trip_id: Id, data: MomentIn) -> dict[str, Any]:
    """The trip came back to the camp."""
    return _moment("returned", transfers.record_return)(request, trip_id, data)


# --------------------------------------------------------------------------------------------- plans


class PlanWritten(PlanOut):
    entry: EntryRef


class AcceptedOut(TripOut):
    entry: EntryRef


def plan_out(entry: Entry) -> dict[str, Any]:
    payload = entry.payload
    shown = bounds.shown(entry)
    return {
        "seq": entry.seq,
        "hash": entry.hash,
        "recorded_at": entry.recorded_at,
        "recorded_by": entry.recorded_by,
        "site": payload.get("site", ""),
        "date": payload.get("date", ""),
        "trip": payload.get("trip"),
        "standby": payload.get("standby", []),
        "forecast": payload.get("forecast", []),
        "objective": payload.get("objective", 0),
        "lower_bound": payload.get("lower_bound", 0),
        "explanations": payload.get("explanations", []),
        "bound": {
            "value": shown.bound,
            "gap": shown.gap,
            "source": shown.source,
            "state": shown.state,
            "lp_entry": shown.lp_entry,
            "lp_bound": shown.lp_bound,
        },
        "booked": payload.get("booked"),
    }


@router.post(
    "/sites/{code}/plans", response=responses(PlanWritten, 201), tags=["plans"], auth=requires(Can.MANAGE_TRIPS)
)
def propose_plan(request: HttpRequest, code: Code, data: PlanProposeIn) -> Status[dict[str, Any]]:
    """Run the planner for a day and record its proposal (``plan.proposed``)."""
    user = acting(request, Can.MANAGE_TRIPS)
    site = _my_site(request, code)
    budget = plans.lowered_budget(data.budget.model_dump(exclude_none=True) if data.budget else {})
    # The service returns the entry it wrote: no transaction of the API's around it, which would hold the
    # ledger's write lock (SQLite's, taken at BEGIN) for the minutes the planner searches, and the worker,
    # the pages and every other write would wait for it, then fail.
    entry = plans.propose_plan(site=site, day=data.date, by=user, horizon_days=data.horizon_days, budget=budget)
    return Status(201, {**plan_out(entry), "entry": ref(entry)})


@router.get("/sites/{code}/plans/latest", response=responses(PlanOut), tags=["plans"])
def latest_plan(request: HttpRequest, code: Code, on: Date | None = None) -> dict[str, Any]:
    """The most recent plan proposed for a day (default today by Corridor's clock)."""
    reader(request)
    site = _my_site(request, code)
    day = on or clock.today()
    entry = plans.latest_plan(site, day)
    if entry is None:
        raise NotFound(
            _("no plan has been proposed for %(site)s on %(day)s"), code="plan.none_proposed", site=site.code, day=day
        )
    return plan_out(entry)


@router.get("/plans/{seq}", response=responses(PlanOut), tags=["plans"])
def plan(request: HttpRequest, seq: Seq) -> dict[str, Any]:
    """One recorded plan, by its ledger entry: ask again while its ``bound.state`` is ``pending``, as the
    plan page does, to learn the LP bound computed after it was recorded."""
    reader(request)
    return plan_out(_plan(request, seq))


def _plan(request: HttpRequest, seq: int) -> Entry:
    found = visible(Entry.objects.filter(seq=seq, type="plan.proposed"), user_of(request)).first()
    if found is None:
        raise NotFound(_("ledger entry %(seq)s is not a plan"), code="plan.not_a_plan", seq=seq)
    return found


@router.post(
    "/plans/{seq}/accept", response=responses(AcceptedOut, 201), tags=["plans"], auth=requires(Can.MANAGE_TRIPS)
)
def accept_plan(request: HttpRequest, seq: Seq, data: PlanAcceptIn) -> Status[dict[str, Any]]:
    """Request the plan's trip as proposed, or changed (a different hospital or patients need a reason)."""
    user = acting(request, Can.MANAGE_TRIPS)
    plan = _plan(request, seq)
    facility: Facility | None = _facility(data.facility) if data.facility else None
    referrals = _referrals(request, data.referrals) if data.referrals is not None else None
    trip, entry = recorded(
        lambda: plans.accept_plan(plan, by=user, facility=facility, referrals=referrals, reason=data.reason)
    )
    return Status(201, {**trip_out(_trip(request, trip.pk), user_of(request)), "entry": entry})
