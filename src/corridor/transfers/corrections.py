"""What a correction or retraction of a trip's status entry changes in the trip's row.

A trip's status is the one its latest standing status entry set (the request, then each step of the
state machine that moves it: :data:`corridor.transfers.transitions.STATUS_EVENTS`). When one of those
entries is corrected or retracted, the row is derived again from the entries as they now stand
(:mod:`corridor.ledger.consequences`): the status, the reason it was denied, cancelled or sent back, who
cancelled it, and whether it was turned back at the gate. A trip no longer turned back is no longer
returned at the time the gate gave, and its patients' "turned back" outcomes are pending again.

A correction naming a canceller that is not one of the vocabulary's is refused with a code
(``trip.unknown_canceller``) and nothing of it is written. The gate's times (arrival, hold, release,
hospital) are not derived again: a corrected time is read by the indicators from the entry.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop as _

from corridor import vocabulary
from corridor.errors import InvalidInput
from corridor.ledger import consequences
from corridor.ledger.models import Entry
from corridor.reports.obstruction import Record, effective
from corridor.transfers.models import Trip, TripPassenger
from corridor.transfers.transitions import STATUS_EVENTS

TURNED_BACK = "gate.turned_back"
CANCELLED = "trip.cancelled"


def _check_canceller(correction: Entry) -> None:
    changes: dict[str, Any] = correction.fields["payload"].get("changes") or {}
    cancellers = vocabulary.codes("cancelled_by")
    if "cancelled_by" in changes and changes["cancelled_by"] not in cancellers:
        raise InvalidInput(
            _("must be one of %(choices)s"),
            "changes.cancelled_by",
            code="trip.unknown_canceller",
            choices=", ".join(cancellers),
        )


def latest_standing(trip_id: int) -> Record | None:
    """The trip's latest status entry as it stands after every correction (``None``: none stands)."""
    entries = Entry.objects.filter(type__in=tuple(STATUS_EVENTS), subject_rows__key=f"trip:{trip_id}")
    records = [
        r
        for r in effective(Record.of(fields) for fields in consequences.with_fixes(entries))
        if r.type in STATUS_EVENTS and r.trip == str(trip_id)
    ]
    return records[-1] if records else None


# The request itself is left out: a trip whose request is withdrawn keeps its row (the indicators no longer
# count it), since no status says "never requested".
@consequences.register(*(event for event in STATUS_EVENTS if event != "trip.requested"))
def status_fixed(entry: Entry, correction: Entry) -> None:
    """Derive the trip's status, reason, canceller and turned-back flag again from its standing entries."""
    _check_canceller(correction)
    trip = Trip.objects.select_for_update().get(pk=int(entry.fields["payload"]["trip"]))
    latest = latest_standing(trip.pk)
    if latest is None:
        return
    was_turned_back = trip.turned_back_at_gate
    trip.status = STATUS_EVENTS[latest.type]
    trip.status_reason = str(latest.payload.get("reason") or "").strip()
    canceller = latest.payload.get("cancelled_by") if latest.type == CANCELLED else ""
    if canceller == "" or canceller in vocabulary.codes("cancelled_by"):
        trip.cancelled_by = str(canceller)
    trip.turned_back_at_gate = latest.type == TURNED_BACK
    if trip.status != Trip.Status.RETURNED:
        trip.returned_at = None
    trip.save(update_fields=["status", "status_reason", "cancelled_by", "turned_back_at_gate", "returned_at"])
    if was_turned_back and not trip.turned_back_at_gate:
        trip.passengers.filter(
            role=TripPassenger.Role.PATIENT, removed=False, outcome=TripPassenger.Outcome.TURNED_BACK
        ).update(outcome=TripPassenger.Outcome.PENDING)
