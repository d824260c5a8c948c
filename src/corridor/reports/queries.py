"""The ORM aggregation behind the indicators: SQL that runs the same on SQLite and PostgreSQL.

Each function groups and counts in the database and returns plain rows (dicts and tuples) for the
pure maths in :mod:`corridor.reports.core`. "In the period" means dated from the first day of the
month up to and including ``period.as_of``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    Min,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Substr
from django.db.models.sql.compiler import SQLCompiler

from corridor.ledger.models import Entry
from corridor.register.models import Referral, deadline_expression
from corridor.register.scoping import for_sites
from corridor.reports import core, obstruction, scope
from corridor.transfers.models import Trip, TripPassenger

PATIENT = TripPassenger.Role.PATIENT
ESCORT = TripPassenger.Role.ESCORT
SEEN = tuple(str(o) for o in TripPassenger.SEEN_OUTCOMES)
NOT_SEEN = tuple(str(o) for o in TripPassenger.NOT_SEEN_OUTCOMES)
KM_WINDOW_DAYS = 365
T = TypeVar("T")
M = TypeVar("M", bound=Model)

# Reads that several periods ask for alike, kept for the length of one ``shared_reads()`` block.
_shared: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("corridor_shared_reads", default=None)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within the block, a read that many periods repeat is made once and each period filters it.

    The public site computes twelve months in a row: each month's trend counts the five months
    before it again, and the first visits, the time-to-care cohort and the ledger's obstruction
    entries are read whole for every month. Inside this block they are read once. Use it for one
    sitting only: what was read is not refreshed.
    """
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def sharing() -> bool:
    """Whether a ``shared_reads()`` block is open."""
    return _shared.get() is not None


def once(key: tuple[Any, ...], read: Callable[[], T]) -> T:
    """``read()``, made only once per key inside a ``shared_reads()`` block (every time outside one)."""
    memo = _shared.get()
    if memo is None:
        return read()
    key = (*key, scope.current())  # what one reader's sites give is not another's
    if key not in memo:
        memo[key] = read()
    found: T = memo[key]
    return found


def scoped(queryset: QuerySet[M]) -> QuerySet[M]:
    """``queryset`` narrowed to the sites the computation in progress covers (:mod:`corridor.reports.scope`).

    Every indicator's base query goes through here: a trip, a referral or a ledger entry of a site the
    reader does not work at is not counted.
    """
    return for_sites(queryset, scope.current())


class PayloadKey(Func):
    """One top-level key of an entry's payload, as text, read by the database from the stored body."""

    output_field = CharField()

    def __init__(self, key: str) -> None:
        if not key.isidentifier():  # the key is written into SQL
            raise ValueError(key)
        self.key = key
        super().__init__(F("body"))

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, Any]:
        body, params = compiler.compile(self.source_expressions[0])
        return f"json_extract({body}, '$.payload.{self.key}')", params

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> tuple[str, Any]:
        body, params = compiler.compile(self.source_expressions[0])
        return f"(({body})::jsonb -> 'payload' ->> '{self.key}')", params


def not_retracted() -> Any:
    """A filter for ledger entries that no ``entry.retracted`` entry withdraws."""
    return ~Exists(Entry.objects.filter(type="entry.retracted", corrects=OuterRef("seq")))


def _subject(kind: str, outer: str) -> Concat:
    """``kind:<the outer row's field>``: the ledger's subject key for a row of the outer query."""
    return Concat(Value(f"{kind}:"), Cast(OuterRef(outer), output_field=CharField()), output_field=CharField())


def _in_period(period: core.Period, field: str) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})


# ------------------------------------------------------------------------------------------- requests


def _age_group(year: int, field: str) -> Case:
    whens = [When(**{f"{field}__isnull": True}, then=Value(core.UNKNOWN))]
    for label, earliest, latest in core.age_bounds(year):
        bounds: dict[str, int] = {}
        if earliest is not None:
            bounds[f"{field}__gte"] = earliest
        if latest is not None:
            bounds[f"{field}__lte"] = latest
        whens.append(When(**bounds, then=Value(label)))
    return Case(*whens, default=Value(core.UNKNOWN), output_field=CharField())


def answer_subquery(trip_field: str) -> QuerySet[Any, Any]:
    """The first definitive answer about the outer row's trip, as ``"YYYY-MM-DD trip.approved"``.

    A definitive answer is a ``trip.approved`` or ``trip.denied`` entry about the trip that has not
    been retracted; its date is the UTC date it occurred. A correction cannot change what is read
    here (it changes an entry's payload, source or certainty, never its type or when it occurred), so
    leaving retracted answers out is all the ledger's rule asks of it.
    """
    return (
        Entry.objects.filter(type__in=("trip.approved", "trip.denied"), subject_rows__key=_subject("trip", trip_field))
        .filter(not_retracted())
        .order_by("seq")
        .annotate(said=Concat(Substr("occurred_at", 1, 10), Value(" "), "type", output_field=CharField()))
        .values("said")[:1]
    )


def requests(period: core.Period, role: str = PATIENT) -> QuerySet[Any, Any]:
    """Every place requested on a trip dated in the month, each annotated with what became of it.

    The first definitive answer is read from the ledger in one sub-query (:func:`answer_subquery`).
    A trip whose trip.requested entry was retracted was never requested: its places are not counted.
    """
    places = scoped(TripPassenger.objects.filter(role=role, removed=False))
    withdrawn = sorted(trip for trip, status in _status_fixes().items() if status is None)
    if withdrawn:  # the usual query is left as it was when nothing was withdrawn
        places = places.exclude(trip_id__in=withdrawn)
    return (
        places.filter(_in_period(period, "trip__date"))
        .annotate(
            said=Subquery(answer_subquery("trip_id"), output_field=CharField()),
            trip_day=Cast("trip__date", output_field=CharField()),
        )
        .annotate(answered_on=Substr("said", 1, 10), answer_type=Substr("said", 12))
        .annotate(
            outcome_class=Case(
                When(trip__date__gt=period.as_of, then=Value(core.NOT_DUE)),
                When(answer_type="trip.approved", answered_on__lte=F("trip_day"), then=Value(core.APPROVED)),
                When(answer_type="trip.denied", answered_on__lte=F("trip_day"), then=Value(core.DENIED)),
                default=Value(core.DELAYED),
                output_field=CharField(),
            ),
            age_group=_age_group(period.start.year, "patient__birth_year"),
        )
    )


REQUEST_BREAKDOWNS = {
    "age_group": "age_group",
    "sex": "patient__sex",
    "specialty": "referral__specialty",
    "facility": "trip__facility__code",
    "priority": "referral__priority__code",
}


def request_cube(period: core.Period) -> list[dict[str, Any]]:
    """Patients' requests counted by every breakdown at once and by outcome class (one GROUP BY)."""
    fields = list(REQUEST_BREAKDOWNS.values())
    rows = requests(period).values(*fields, "outcome_class").annotate(n=Count("id")).order_by()
    return [
        {
            **{name: row[field] for name, field in REQUEST_BREAKDOWNS.items()},
            "class": row["outcome_class"],
            "n": row["n"],
        }
        for row in rows
    ]


def escort_counts(period: core.Period) -> dict[str, int]:
    rows = requests(period, ESCORT).values("outcome_class").annotate(n=Count("id")).order_by()
    return {row["outcome_class"]: row["n"] for row in rows}


# --------------------------------------------------------------------------------------- time to care


def _first_visit_rows(outcomes: tuple[str, ...]) -> QuerySet[Any, Any]:
    return (
        scoped(TripPassenger.objects.filter(role=PATIENT, removed=False, outcome__in=outcomes, referral__isnull=False))
        .values("referral_id", "referral__referral_date", "referral__due_date", "referral__priority__code")
        .annotate(first=Min("trip__date"))
        .order_by()
    )


def first_visits(period: core.Period, outcomes: tuple[str, ...] = SEEN) -> list[dict[str, Any]]:
    """Referrals whose first hospital visit with one of ``outcomes`` is in the period: by default the first
    completed visit (seen, procedure done or admitted); the episodes ask for the first treatment."""
    if sharing():  # every referral's first visit read once, each period taking its own
        rows: Any = once(("first_visits", outcomes), lambda: list(_first_visit_rows(outcomes)))
        rows = [row for row in rows if period.start <= row["first"] <= period.as_of]
    else:
        rows = _first_visit_rows(outcomes).filter(first__gte=period.start, first__lte=period.as_of)
    rows = with_first_visit_fixes(list(rows), period, outcomes)
    return [
        {
            "referral": row["referral_id"],
            "referral_date": row["referral__referral_date"],
            "due_date": row["referral__due_date"],
            "priority": row["referral__priority__code"],
            "first": row["first"],
        }
        for row in rows
    ]


# How a referral that closed without a visit ended, as a competing event of time to care. The one place
# that reads closing statuses for the competing-risks estimate: a new way of ending is added here.
COMPETING_EVENTS = {Referral.Status.DIED.value: core.DIED, Referral.Status.LEFT.value: core.LEFT}


def km_cohort(period: core.Period) -> list[tuple[dt.date, dt.date | None, dt.date | None, str, str]]:
    """Referrals made in the twelve months to ``as_of``: (referral date, closed on, first visit, class, status).

    The first visit is the earliest on or before ``as_of``: the earliest of all if it was by then, else none.
    """
    since = period.as_of - dt.timedelta(days=KM_WINDOW_DAYS)
    seen = Q(trips__outcome__in=SEEN, trips__removed=False, trips__role=PATIENT)
    if sharing():  # every referral read once, each period taking its twelve months
        rows: Any = once(
            ("km_cohort",),
            lambda: list(
                scoped(Referral.objects.all())
                .annotate(first=Min("trips__trip__date", filter=seen))
                .values_list("id", "referral_date", "closed_on", "first", "priority__code", "status")
                .order_by()
            ),
        )
        rows = [row for row in rows if since < row[1] <= period.as_of]
    else:
        rows = (
            scoped(Referral.objects.filter(referral_date__gt=since, referral_date__lte=period.as_of))
            .annotate(first=Min("trips__trip__date", filter=seen & Q(trips__trip__date__lte=period.as_of)))
            .values_list("id", "referral_date", "closed_on", "first", "priority__code", "status")
            .order_by()
        )
    fixes = first_visit_fixes(SEEN)
    out = []
    for referral, referral_date, closed_on, first, code, status in rows:
        first = fixes.get(referral, first)  # an outcome corrected or retracted since
        seen_by = first if first is not None and first <= period.as_of else None
        out.append((referral_date, closed_on, seen_by, code, status))
    return out


# -------------------------------------------------------------------------------------------- backlog


def first_visit_on_or_before(as_of: dt.date) -> Q:
    """A referral (the outer row) was first seen at the hospital on or before ``as_of``: as the places'
    rows say, but for a referral one of whose outcome entries was corrected or retracted, as they stand."""
    found = Exists(
        TripPassenger.objects.filter(
            referral=OuterRef("pk"), role=PATIENT, removed=False, outcome__in=SEEN, trip__date__lte=as_of
        )
    )
    fixes = first_visit_fixes(SEEN)
    if not fixes:
        return Q(found)
    seen = sorted(referral for referral, first in fixes.items() if first is not None and first <= as_of)
    return (Q(found) & ~Q(pk__in=sorted(fixes))) | Q(pk__in=seen)


def first_visit_fixes(outcomes: tuple[str, ...]) -> dict[int, dt.date | None]:
    """Referrals one of whose places' outcome entries was corrected or retracted: referral id -> the
    date of its first trip with an outcome in ``outcomes`` as they all stand (``None``: there is none).

    A visit counted from the rows (time to care, treatment, the backlog) is replaced by this for those
    few referrals; two small queries, whatever the size of the register.
    """

    def read() -> dict[int, dt.date | None]:
        fixes = _outcome_fixes()
        if not fixes:
            return {}
        places = TripPassenger.objects.filter(role=PATIENT, removed=False, referral__isnull=False)
        near = places.filter(trip_id__in=sorted({trip for trip, _patient in fixes}))
        touched = {
            referral
            for trip, patient, referral in near.values_list("trip_id", "patient__code", "referral_id")
            if (trip, patient) in fixes
        }
        firsts: dict[int, dt.date | None] = dict.fromkeys(sorted(touched))
        rows = places.filter(referral_id__in=sorted(touched)).values_list(
            "referral_id", "trip_id", "patient__code", "outcome", "trip__date"
        )
        for referral, trip, patient, outcome, day in rows:
            known = firsts[referral]
            if fixes.get((trip, patient), outcome) in outcomes and (known is None or day < known):
                firsts[referral] = day
        return firsts

    return once(("first_visit_fixes", outcomes), read)


def with_first_visit_fixes(
    rows: list[dict[str, Any]], period: core.Period, outcomes: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Rows of first visits in ``period`` (``referral_id``, ``referral__…``, ``first``) with the referrals
    :func:`first_visit_fixes` names taken out and put back as their outcomes stand."""
    fixes = first_visit_fixes(outcomes)
    if not fixes:
        return rows
    kept = [row for row in rows if row["referral_id"] not in fixes]
    due = {ref: day for ref, day in fixes.items() if day is not None and period.start <= day <= period.as_of}
    found = scoped(Referral.objects.filter(pk__in=sorted(due))).values(
        "id", "referral_date", "due_date", "priority__code"
    )
    for row in found:
        kept.append(
            {
                "referral_id": row["id"],
                "referral__referral_date": row["referral_date"],
                "referral__due_date": row["due_date"],
                "referral__priority__code": row["priority__code"],
                "first": due[row["id"]],
            }
        )
    return kept


def open_referrals(as_of: dt.date) -> QuerySet[Referral]:
    """Referrals made by ``as_of`` whose episode of care had not ended by then."""
    return scoped(Referral.objects.filter(referral_date__lte=as_of)).filter(
        Q(closed_on__isnull=True, status__in=Referral.OPEN) | Q(closed_on__gt=as_of)
    )


def waiting_q(as_of: dt.date) -> Q:
    """Of the open referrals, those waiting for a visit at the end of ``as_of``: not yet seen by then, or
    waiting now for a follow-up (a follow-up's wait is known as it stands today)."""
    return ~first_visit_on_or_before(as_of) | Q(closed_on__isnull=True, status=Referral.Status.WAITING)


def backlog(as_of: dt.date) -> list[dict[str, Any]]:
    """Referrals waiting at the end of ``as_of`` by priority class: count, past deadline, oldest."""
    waiting = open_referrals(as_of).filter(waiting_q(as_of)).annotate(next_due=deadline_expression())
    rows = (
        waiting.values("priority__code", "priority__rank")
        .annotate(
            waiting=Count("id"),
            past_deadline=Count("id", filter=Q(next_due__lt=as_of)),
            oldest=Min("referral_date"),
        )
        .order_by("priority__rank")
    )
    return [
        {
            "priority": row["priority__code"],
            "waiting": row["waiting"],
            "past_deadline": row["past_deadline"],
            "oldest": row["oldest"],
        }
        for row in rows
    ]


# ---------------------------------------------------------------------------------------------- trips


def _trips(period: core.Period) -> QuerySet[Trip]:
    return scoped(Trip.objects.filter(date__gte=period.start, date__lte=period.as_of))


def _status_events() -> dict[str, str]:
    """Each ledger event that sets a trip's status -> that status (from the state machine's table)."""
    from corridor.transfers.transitions import STATUS_EVENTS

    return {event: str(status) for event, status in STATUS_EVENTS.items()}


def _status_fixes() -> dict[int, str | None]:
    """Trips one of whose status entries was retracted: trip id -> the status as the ledger now stands
    (the status its latest standing status entry set; ``None`` when its request itself was withdrawn).

    Only a retraction can change a status: a correction changes an entry's payload, never its type.
    """
    setting = _status_events()
    touched = {_trip_of(f.was) for f in fixed_entries(tuple(setting)) if f.now is None} - {None}
    if not touched:
        return {}
    entries = Entry.objects.filter(type__in=tuple(setting), subject_rows__key__in=[f"trip:{t}" for t in touched])
    latest: dict[int, str | None] = dict.fromkeys(sorted(t for t in touched if t is not None))
    for record in obstruction.effective(with_corrections(_records(entries.order_by("seq")))):
        trip = _trip_of(record)
        if trip in latest and record.type in setting:
            latest[trip] = setting[record.type]
    return latest


def trips_by_status(period: core.Period) -> dict[str, int]:
    """The period's trips by status: as their rows say, except a trip one of whose status entries was
    retracted, which counts under the status its standing entries give (not at all if its request
    was withdrawn)."""
    rows = _trips(period).values("status").annotate(n=Count("id")).order_by()
    counts = {row["status"]: row["n"] for row in rows}
    fixes = _status_fixes()
    if fixes:
        for trip, was in _trips(period).filter(pk__in=sorted(fixes)).values_list("id", "status"):
            now = fixes[trip]
            if now != was:
                counts[was] -= 1
                if now is not None:
                    counts[now] = counts.get(now, 0) + 1
    return {status: n for status, n in counts.items() if n}


def turned_back(period: core.Period) -> int:
    """The period's trips sent back at the gate, but for those whose gate.turned_back entry was retracted
    (a correction cannot undo a turning back: it changes the entry's payload, never its type)."""
    withdrawn = [trip for trip, was in _corrected(("gate.turned_back",), "at").items() if was is _RETRACTED]
    return _trips(period).filter(turned_back_at_gate=True).exclude(pk__in=withdrawn).count()


def _patient_places(trip_ids: list[int]) -> list[tuple[int, int]]:
    """(trip id, patient id) of every patient place on these trips."""
    out: list[tuple[int, int]] = []
    for i in range(0, len(trip_ids), 500):
        out += TripPassenger.objects.filter(trip_id__in=trip_ids[i : i + 500], role=PATIENT, removed=False).values_list(
            "trip_id", "patient_id"
        )
    return out


def cancellations(period: core.Period) -> dict[str, Any]:
    """Cancelled trips by who cancelled them, patient places on them, and the patients affected.

    Which trips were cancelled, and by whom, is read from the trip.cancelled entries as they stand
    after corrections and retractions (:func:`standing_cancellations`).
    """
    standing = standing_cancellations(period.start, period.as_of)
    places = _patient_places(sorted(standing))
    by: dict[str, dict[str, Any]] = {}
    for who in standing.values():
        row = by.setdefault(who, {"cancelled_by": who, "trips": 0, "places": 0})
        row["trips"] += 1
    for trip_id, _patient in places:
        by[standing[trip_id]]["places"] += 1
    per_patient: dict[int, int] = {}
    for _trip, patient in _patient_places(sorted(standing_cancellations(None, period.as_of))):
        per_patient[patient] = per_patient.get(patient, 0) + 1
    return {
        "trips": len(standing),
        "by": [by[k] for k in sorted(by)],
        "places": len(places),
        "patients": len({p for _t, p in places}),
        "most_for_one_patient": max(per_patient.values(), default=0),
    }


# A hold counts from when it began as entered, else from the arrival at the gate (as Trip.hours_held).
HOLD_BEGAN = Coalesce("held_since", "gate_arrived_at")


_RETRACTED = object()


@dataclass(frozen=True)
class Fixed:
    """An entry that a correction or retraction names: as it was recorded, and as it now stands
    (``None``: it was retracted)."""

    was: obstruction.Record
    now: obstruction.Record | None


def fixed_entries(events: tuple[str, ...]) -> list[Fixed]:
    """Every entry of ``events`` that an ``entry.corrected`` or ``entry.retracted`` entry names, as it
    was and as it stands after every fix (the ledger's one rule, :func:`obstruction.effective`).

    The indicators count from rows, which say what was recorded; these few entries are what a
    correction changed since. Only the entries some fix names are read, by their numbers (the fixes
    found through the type index, then their targets by primary key), never every entry of the type:
    an indicator pays for the corrections there are, not for the size of the ledger. (A sub-query
    ``seq IN (…)`` made SQLite walk every entry of the type instead.)
    """

    def read() -> list[Fixed]:
        kinds = (obstruction.CORRECTED, obstruction.RETRACTED)
        named = sorted(set(Entry.objects.filter(type__in=kinds).values_list("corrects", flat=True)) - {None})
        records: list[obstruction.Record] = []
        for i in range(0, len(named), 500):
            records += _records(scoped(Entry.objects.filter(seq__in=named[i : i + 500], type__in=events)))
        records.sort(key=lambda r: r.seq)
        if not records:
            return []
        standing = {r.seq: r for r in obstruction.effective(with_corrections(records))}
        return [Fixed(r, standing.get(r.seq)) for r in records]

    return once(("fixed_entries", events), read)


def _trip_of(record: obstruction.Record) -> int | None:
    trip = record.trip
    return int(trip) if trip is not None and trip.isdigit() else None


def _corrected(
    events: tuple[str, ...], key: str, about: Callable[[obstruction.Record], Any] = _trip_of
) -> dict[Any, Any]:
    """What a correction or retraction changed in ``key`` of ``events`` entries: ``about(entry)`` (by
    default its trip id) -> the entry's ``key`` as it now stands (``_RETRACTED`` when it was
    retracted), only where that differs from what was recorded. Every indicator reads fixes through
    here, so each follows the same rule as the incidents."""
    out: dict[Any, Any] = {}
    for fix in fixed_entries(events):
        subject = about(fix.was)
        if subject is None:
            continue
        if fix.now is None:
            out[subject] = _RETRACTED
        elif fix.now.payload.get(key) != fix.was.payload.get(key):
            out[subject] = fix.now.payload.get(key)
    return out


def _hold_fixes() -> dict[int, float | None]:
    """Trips whose gate.released entry was corrected or retracted: trip id -> hours held as the entry now
    stands (None when it was retracted; a corrected value that is no number of hours is left out)."""
    out: dict[int, float | None] = {}
    for trip, hours in _corrected(("gate.released",), "hours_held").items():
        if hours is _RETRACTED:
            out[trip] = None
        elif isinstance(hours, int | float) and not isinstance(hours, bool) and hours >= 0:
            out[trip] = float(hours)
    return out


def holds(period: core.Period) -> list[tuple[int, str, dt.date, float]]:
    """(trip id, facility code, trip date, hours held) for every trip of the period let through the gate.

    Hours come from the trip's gate times, unless its gate.released entry was corrected (the corrected
    hours) or retracted (left out).
    """
    rows = (
        _trips(period)
        .filter(gate_arrived_at__isnull=False, gate_released_at__isnull=False)
        .annotate(began=HOLD_BEGAN)
        .values_list("id", "facility__code", "date", "began", "gate_released_at")
        .order_by("date", "id")
    )
    fixes = _hold_fixes()
    out = []
    for trip, facility, day, began, released in rows:
        if trip in fixes:
            hours = fixes[trip]
            if hours is not None:
                out.append((trip, facility, day, hours))
        elif began and released:
            out.append((trip, facility, day, (released - began).total_seconds() / 3600))
    return out


def _summary(hours: list[float]) -> dict[str, Any]:
    if not hours:
        return {"trips": 0, "mean": None, "longest": None}
    return {
        "trips": len(hours),
        "mean": dt.timedelta(hours=sum(hours) / len(hours)),
        "longest": dt.timedelta(hours=max(hours)),
    }


def gate_holds(period: core.Period, found: list[tuple[int, str, dt.date, float]] | None = None) -> list[dict[str, Any]]:
    """Hours held at the gate by facility: trips released, mean and longest hold (as timedeltas)."""
    by: dict[str, list[float]] = {}
    for _trip, facility, _day, hours in holds(period) if found is None else found:
        by.setdefault(facility, []).append(hours)
    return [{"facility": facility, **_summary(by[facility])} for facility in sorted(by)]


def gate_hold_overall(
    period: core.Period, found: list[tuple[int, str, dt.date, float]] | None = None
) -> dict[str, Any]:
    return _summary([hours for *_rest, hours in (holds(period) if found is None else found)])


def _arrival_fixes() -> dict[int, bool | None]:
    """Trips whose trip.arrived entry was corrected or retracted: trip id -> late as the entry now stands
    (None when it was retracted: the arrival is not counted)."""
    return {
        trip: None if late is _RETRACTED else late is True
        for trip, late in _corrected(("trip.arrived",), "late").items()
    }


def late_arrivals(period: core.Period) -> list[dict[str, Any]]:
    """Trips that reached the hospital, and those that reached it after it closed, by facility.

    Read from the trip's times, unless its trip.arrived entry was corrected (its ``late`` as it stands) or
    retracted (not counted as arrived).
    """
    late = Q(facility_closes_at__isnull=False, hospital_arrived_at__gt=F("facility_closes_at"))
    rows = (
        _trips(period)
        .filter(hospital_arrived_at__isnull=False)
        .annotate(is_late=Case(When(late, then=Value(True)), default=Value(False), output_field=BooleanField()))
        .values_list("id", "facility__code", "is_late")
    )
    fixes = _arrival_fixes()
    by: dict[str, list[int]] = {}
    for trip, facility, was_late in rows:
        is_late = fixes.get(trip, was_late)  # None: its arrival was retracted
        if is_late is None:
            continue
        counts = by.setdefault(facility, [0, 0])
        counts[0] += 1
        counts[1] += 1 if is_late else 0
    return [{"facility": f, "arrived": by[f][0], "late": by[f][1]} for f in sorted(by)]


# The entries that record a patient's outcome at the hospital. (A trip turned back at the gate writes
# "turned_back" on its places with its gate.turned_back entry, which carries no outcome to correct.)
OUTCOME_EVENTS = ("patient.seen", "patient.not_seen")
PENDING = str(TripPassenger.Outcome.PENDING)


def _place_of(record: obstruction.Record) -> tuple[int, str] | None:
    trip, patient = _trip_of(record), record.payload.get("patient")
    return None if trip is None or not isinstance(patient, str) else (trip, patient)


def _outcome_fixes() -> dict[tuple[int, str], str]:
    """Patient places whose outcome entry was corrected or retracted: (trip id, patient code) -> the
    outcome as it stands: pending when it was retracted (no outcome stands), unknown when the
    correction names no outcome there is."""
    known = set(TripPassenger.Outcome.values) - {PENDING}
    return {
        place: PENDING if outcome is _RETRACTED else str(outcome) if outcome in known else core.UNKNOWN
        for place, outcome in _corrected(OUTCOME_EVENTS, "outcome", _place_of).items()
    }


def outcomes(period: core.Period) -> dict[str, int]:
    """Patient places on the period's trips by outcome at the hospital (pending when none recorded).

    Counted from the places' rows, then each place whose outcome entry was corrected or retracted is
    moved to the outcome as it stands (a retracted outcome leaves the place pending).
    """
    rows = (
        TripPassenger.objects.filter(role=PATIENT, removed=False, trip__in=_trips(period))
        .values("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["outcome"]: row["n"] for row in rows}
    fixes = _outcome_fixes()
    if fixes:
        fixed = TripPassenger.objects.filter(
            role=PATIENT, removed=False, trip__in=_trips(period), trip_id__in=sorted({t for t, _p in fixes})
        ).values_list("trip_id", "patient__code", "outcome")
        for trip, patient, was in fixed:
            now = fixes.get((trip, patient), was)
            if now != was:
                counts[was] -= 1
                counts[now] = counts.get(now, 0) + 1
    return {outcome: n for outcome, n in counts.items() if n}


# --------------------------------------------------------------------------------------------- deaths


def _death_fixes() -> dict[str, obstruction.Record | None]:
    """Patients whose patient.died entry was corrected or retracted: code -> the entry as it stands
    (``None``: the death was retracted)."""
    out: dict[str, obstruction.Record | None] = {}
    for fix in fixed_entries(("patient.died",)):
        patient = fix.was.payload.get("patient")
        if isinstance(patient, str):
            out[patient] = fix.now
    return out


def _death_day(record: obstruction.Record) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(record.payload.get("date")))
    except ValueError:
        return None


def deaths(period: core.Period) -> list[dict[str, Any]]:
    """Referrals closed as "died" in the period (one row each), with the death entry's source and certainty.

    As the patient.died entry stands: a retracted death is not counted, and a corrected one counts on
    its corrected date (the referral closing then, or on its referral date if that was later, as the
    service closes it) with its corrected source and certainty; a corrected date that is no date
    leaves the recorded one.
    """
    died = (
        Entry.objects.filter(type="patient.died", subject_rows__key=_subject("patient", "patient__code"))
        .filter(not_retracted())
        .order_by("-seq")
    )
    fixes = _death_fixes()
    closed = Q(closed_on__gte=period.start, closed_on__lte=period.as_of)
    if fixes:  # a corrected date may bring a death from another month into this one
        closed |= Q(patient__code__in=sorted(fixes))
    rows = (
        scoped(Referral.objects.filter(status=Referral.Status.DIED))
        .filter(closed)
        .annotate(
            source=Subquery(died.values("source")[:1], output_field=CharField()),
            certainty=Subquery(died.values("certainty")[:1], output_field=CharField()),
        )
        .values(
            "patient_id",
            "patient__code",
            "referral_date",
            "closed_on",
            "diagnosis_icd10",
            "specialty",
            "priority__code",
            "source",
            "certainty",
        )
        .order_by("closed_on", "patient_id", "referral_date")
    )
    out: list[dict[str, Any]] = []
    for found in rows:
        row: dict[str, Any] = dict(found)
        code = row.pop("patient__code")
        if code in fixes:
            now = fixes[code]
            if now is None:
                continue
            day = _death_day(now)
            if day is not None:
                row["closed_on"] = max(day, row["referral_date"])
            row["source"], row["certainty"] = now.source, now.certainty
            if not period.start <= row["closed_on"] <= period.as_of:
                continue
        out.append(row)
    return sorted(out, key=lambda r: (r["closed_on"], r["patient_id"], r["referral_date"]))


# ------------------------------------------------------------------------------------------ incidents


def months_of_requests(period: core.Period, months: int) -> list[tuple[str, dict[str, int]]]:
    """Requests by outcome class for this month and the ``months - 1`` before it (for the trend chart)."""
    series = []
    for back in range(months - 1, -1, -1):
        month = period.previous(back) if back else period
        series.append((month.label, once(("requests_by_class", month), partial(_requests_by_class, month))))
    return series


def _requests_by_class(month: core.Period) -> dict[str, int]:
    rows = requests(month).values("outcome_class").annotate(n=Count("id")).order_by()
    return {row["outcome_class"]: row["n"] for row in rows}


def holds_by_day(
    period: core.Period, found: list[tuple[int, str, dt.date, float]] | None = None
) -> list[tuple[dt.date, float]]:
    """(trip date, hours held) for every trip of the period let through the gate, for the chart."""
    return [(day, hours) for _trip, _facility, day, hours in (holds(period) if found is None else found)]


# ---------------------------------------------------------------------------------------- obstruction


def _records(rows: QuerySet[Entry]) -> list[obstruction.Record]:
    return [obstruction.Record.of(json.loads(body)) for body in rows.values_list("body", flat=True)]


def _records_of(types: tuple[str, ...]) -> list[obstruction.Record]:
    return _records(scoped(Entry.objects.filter(type__in=types)))


def with_corrections(records: list[obstruction.Record]) -> list[obstruction.Record]:
    """``records`` and every correction or retraction naming them (and retractions of those corrections)."""

    def read(wanted: list[int]) -> list[obstruction.Record]:
        found: list[obstruction.Record] = []
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            found += _records(
                Entry.objects.filter(type__in=(obstruction.CORRECTED, obstruction.RETRACTED), corrects__in=chunk)
            )
        return found

    return _fixed(records, read)


def _fixed(
    records: list[obstruction.Record], fixes_of: Callable[[list[int]], list[obstruction.Record]]
) -> list[obstruction.Record]:
    """``records``, the fixes ``fixes_of`` gives for them, and the fixes of those fixes that are corrections
    (a retraction of a correction): the one rule, whether the fixes are read per query or all at once."""
    out = list(records)
    wanted = [r.seq for r in records]
    for _round in range(2):
        found = fixes_of(wanted)
        out += found
        wanted = [r.seq for r in found if r.type == obstruction.CORRECTED]
        if not wanted:
            break
    return out


def ledger_records(types: tuple[str, ...], first: dt.date | None, last: dt.date) -> list[obstruction.Record]:
    """Entries of ``types`` whose day (the payload's ``date``) falls from ``first`` to ``last``, with their fixes.

    Every trip event carries its trip's date and every incident or delivery its own, so one filter on
    the payload's date finds a trip's request, answers and cancellation together.
    """
    if sharing():  # every entry of these types and every fix read once, each period taking its own days
        everything = once(("ledger_records", types), partial(_records_of, types))
        fixes = once(("ledger_fixes",), _fixes_by_target)
        low, high = first.isoformat() if first is not None else None, last.isoformat()
        chosen = [r for r in everything if _dated_within(r, low, high)]
        return _with_fixes(sorted(chosen, key=lambda r: r.seq), fixes)
    day = PayloadKey("date")
    rows = scoped(Entry.objects.filter(type__in=types)).annotate(day=day).filter(day__lte=last.isoformat())
    if first is not None:
        rows = rows.filter(day__gte=first.isoformat())
    return with_corrections(_records(rows.order_by("seq")))


def _dated_within(record: obstruction.Record, low: str | None, high: str) -> bool:
    """The payload's ``date`` from ``low`` to ``high``, compared as text as the database compares it."""
    day = record.payload.get("date")
    return isinstance(day, str) and day <= high and (low is None or day >= low)


def _fixes_by_target() -> dict[int, list[obstruction.Record]]:
    """Every correction and retraction in the ledger, by the entry it names."""
    found: dict[int, list[obstruction.Record]] = {}
    kinds = (obstruction.CORRECTED, obstruction.RETRACTED)
    for record in _records(Entry.objects.filter(type__in=kinds).order_by("seq")):
        if record.corrects is not None:
            found.setdefault(int(record.corrects), []).append(record)
    return found


def _with_fixes(
    records: list[obstruction.Record], fixes: dict[int, list[obstruction.Record]]
) -> list[obstruction.Record]:
    """What :func:`with_corrections` gives, from fixes already read: the fixes and the retractions of those."""
    return _fixed(records, lambda wanted: [fix for seq in wanted for fix in fixes.get(seq, [])])


def obstruction_incidents(
    period: core.Period, hold_threshold_hours: float | None = None, records: list[obstruction.Record] | None = None
) -> list[obstruction.Incident]:
    """Every obstruction incident of the period, derived from the ledger as it stands (see docs/indicators.md)."""
    if records is None:
        records = obstruction_records(period)
    return obstruction.derive(
        records,
        start=period.start,
        as_of=period.as_of,
        hold_threshold_hours=hold_threshold() if hold_threshold_hours is None else hold_threshold_hours,
    )


def obstruction_records(period: core.Period) -> list[obstruction.Record]:
    """The entries the obstruction catalogue reads for the period, with their corrections."""
    return ledger_records(obstruction.READ_TYPES, period.start, period.as_of)


def narrative(period: core.Period, language: str, sites: frozenset[int] | None = None) -> obstruction.Record | None:
    """The month's standing narrative for a report of ``sites`` (``None``: every site): the latest in
    ``language``, else the latest in any language.

    A narrative is about the sites its writer worked at (its ``site:`` subjects); a report prints only
    one about some of its own sites, so nobody of another site puts words in a site's report. A
    narrative about no site (written by a script) goes only into a report of every site.
    """
    from corridor.ledger.models import EntrySite

    entries = Entry.objects.filter(type="report.narrative", subject_rows__key=f"report:{period.label}")
    if sites is not None:
        about: dict[int, set[int]] = {}
        for entry_id, site_id in EntrySite.objects.filter(entry__in=entries).values_list("entry_id", "site_id"):
            about.setdefault(entry_id, set()).add(site_id)
        entries = entries.filter(pk__in=[e for e, its in about.items() if its <= sites])
    found = [r for r in obstruction.effective(with_corrections(_records(entries))) if r.type == "report.narrative"]
    mine = [r for r in found if r.payload.get("language") == language]
    chosen = (mine or found)[-1:]
    return chosen[0] if chosen else None


def hold_threshold() -> float:
    """Hours held at the gate from which a hold counts as an obstruction incident (a setting)."""
    from django.conf import settings

    return float(getattr(settings, "GATE_HOLD_THRESHOLD_MINUTES", 120)) / 60


def standing_cancellations(first: dt.date | None, last: dt.date) -> dict[int, str]:
    """Trips with a standing trip.cancelled entry dated from ``first`` to ``last``: trip id -> who cancelled it.

    Read from the ledger after corrections and retractions (the same rule as the incidents), not from
    the trip row, so that a corrected or withdrawn cancellation counts as it stands.
    """
    out: dict[int, str] = {}
    for record in obstruction.effective(ledger_records(("trip.cancelled",), first, last)):
        if record.type == "trip.cancelled" and record.trip is not None and record.trip.isdigit():
            out[int(record.trip)] = str(record.payload.get("cancelled_by") or core.UNKNOWN)
    return out
