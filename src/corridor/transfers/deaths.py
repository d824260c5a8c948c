"""A death while waiting, in the register and on the trips the patient was to take.

A patient recorded dead does not travel. Left on a trip's manifest, they would be counted as taken to
hospital once the trip left, and their dossier would show a journey after their death: a record saying
what nobody said. So the death takes them off every trip that has not left and is dated after the day
of the death, in the same transaction, each change its own entry pointing to the death's. A trip left
with no patient is cancelled, by the camp, for that reason. Trips dated on or before the day of death
are left alone: the date does not tell whether the patient died before the trip left or after it, and
what happened on that day is for a person to record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from corridor.accounts.roles import Actor
from corridor.ledger.models import Entry
from corridor.register import services as register
from corridor.register.models import Patient
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip, TripPassenger


@dataclass(frozen=True)
class Death:
    """A recorded death: the patient, its ``patient.died`` entry, and the trips it changed."""

    patient: Patient
    entry: Entry
    taken_off: list[Trip] = field(default_factory=list)  # trips others still take
    cancelled: list[Trip] = field(default_factory=list)  # trips nobody was left on


def record_death(
    patient: Patient,
    *,
    on: dt.date,
    by: Actor,
    source: str,
    certainty: str,
    circumstances: str = "",
    after_denied_care: bool = False,
    extra: dict[str, Any] | None = None,
) -> Death:
    """Record a death while waiting: the open referrals close as 'died' and the patient leaves the trips to come.

    Refused as :func:`corridor.register.services.record_death_in_register` refuses it, writing nothing.
    The changes to trips are recorded by the same person, with the same source and certainty, whatever
    their role may otherwise do with trips: they follow from the death, not from a choice.
    """
    with transaction.atomic():
        patient, died = register.record_death_in_register(
            patient,
            on=on,
            by=by,
            source=source,
            certainty=certainty,
            circumstances=circumstances,
            after_denied_care=after_denied_care,
            extra=extra,
        )
        death = Death(patient, died)
        day = dt.date.fromisoformat(died.fields["payload"]["date"])  # as the register checked and recorded it
        for trip in trips_to_leave_after(patient, day):
            left = _off_trip(trip, patient, died, day, by=by, source=source, certainty=certainty)
            (death.taken_off if left else death.cancelled).append(trip)
    return death


def trips_to_leave_after(patient: Patient, day: dt.date) -> list[Trip]:
    """The trips not yet left, dated after ``day``, with ``patient`` on the manifest (as patient or escort)."""
    on_them = TripPassenger.objects.filter(patient=patient, removed=False).values("trip_id")
    return list(
        Trip.objects.filter(
            pk__in=on_them, date__gt=day, status__in=(Trip.Status.REQUESTED, Trip.Status.APPROVED)
        ).order_by("date", "pk")
    )


def _off_trip(
    trip: Trip, patient: Patient, died: Entry, on: dt.date, *, by: Actor, source: str, certainty: str
) -> bool:
    """Take ``patient`` off ``trip`` (True), or cancel it when no other patient is on it (False)."""
    # Which death, by its entry and its patient: pages say it in the reader's language from these.
    because = {"because_of": died.seq, "died": patient.code}
    # Their escorts leave with them (as with any manifest change), so only another patient keeps the trip going.
    others = trip.passengers.filter(role=TripPassenger.Role.PATIENT, removed=False).exclude(patient=patient)
    if others.exists():
        transfers._change_manifest(
            trip,
            add=(),
            remove=[patient],
            reason=f"{patient.code} died on {on.isoformat()}",
            by=by,
            source=source,
            certainty=certainty,
            extra=because,
        )
        return True
    transfers._transition(
        trip,
        "cancel",
        by=by,
        source=source,
        certainty=certainty,
        occurred_at=None,
        extra=because,
        # No reason was given by anyone: the entry says why through ``because_of`` and ``died``.
        payload={"reason": None, "cancelled_by": Trip.CancelledBy.CAMP.value},
        update={"status_reason": "", "cancelled_by": Trip.CancelledBy.CAMP},
        consequence=True,
    )
    return False


@dataclass(frozen=True)
class TripChange:
    """A trip a death changed: the trip, and whether the patient was taken off it or it was cancelled."""

    trip: Trip
    cancelled: bool


def trips_changed_by(death: Entry) -> list[TripChange]:
    """The trips ``death`` (a ``patient.died`` entry) took its patient off or cancelled, in the order it did.

    Read from the entries that name it (``because_of``), among the trips the patient was ever on. A death
    retracted later does not change them back: the trips were told, or left, meanwhile, and whether the
    patient is to travel again is for a coordinator to decide and record.
    """
    code = str(death.payload.get("patient") or "")
    trips = {t.pk: t for t in Trip.objects.filter(passengers__patient__code=code).distinct()}
    entries = Entry.objects.filter(
        type__in=("trip.manifest_changed", "trip.cancelled"),
        seq__gt=death.seq,
        subject_rows__key__in=[f"trip:{pk}" for pk in trips],
    ).order_by("seq")
    return [
        TripChange(trips[int(e.payload["trip"])], cancelled=e.type == "trip.cancelled")
        for e in entries.distinct()
        if e.payload.get("because_of") == death.seq and int(e.payload.get("trip", 0)) in trips
    ]
