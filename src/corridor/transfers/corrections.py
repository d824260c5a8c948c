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

A visit's outcome (``patient.seen`` or ``patient.not_seen``) corrected or retracted gives the passenger
the outcome and follow-up deadline the entry now says (pending, when retracted: it can be recorded
again), and derives the referral and the patient again from the outcomes and closings still standing
(:func:`corridor.register.corrections.follow_ledger`). An outcome that no longer completes care has
the closing it wrote retracted, so the referral is open again; one corrected to "care complete" closes
the referral as the service does, with a closing entry of its own. An unknown outcome, or a follow-up
deadline the outcome cannot have, is refused with a code (``trip.unknown_outcome``, ``follow_up.*``).
The outcome's note is not rewritten: the indicators and the dossier read it from the entry.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_noop as _

from corridor import validate, vocabulary
from corridor.errors import InvalidInput
from corridor.ledger import consequences
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register import corrections as register_corrections
from corridor.register import episodes
from corridor.register import services as register
from corridor.register.models import Referral
from corridor.reports.obstruction import Record, effective
from corridor.transfers.models import Trip, TripPassenger
from corridor.transfers.transitions import STATUS_EVENTS

TURNED_BACK = "gate.turned_back"
CANCELLED = "trip.cancelled"
NOT_COMPLETE = "the outcome (entry {seq}) no longer says care is complete"
COMPLETE = "the outcome (entry {seq}) was corrected to care complete"


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


def _outcomes() -> list[str]:
    return [o for o in TripPassenger.Outcome.values if o != TripPassenger.Outcome.PENDING]


def _check_outcome(visit: Entry, correction: Entry, stands: Record | None) -> None:
    """Refuse an outcome that is not one, or a follow-up deadline the corrected visit cannot have."""
    changes: dict[str, Any] = correction.fields["payload"].get("changes") or {}
    if "outcome" in changes and changes["outcome"] not in _outcomes():
        raise InvalidInput(
            _("must be one of %(choices)s"),
            "changes.outcome",
            code="trip.unknown_outcome",
            choices=", ".join(_outcomes()),
        )
    if stands is None or not {"outcome", "follow_up_due"} & set(changes):
        return
    due = stands.payload.get("follow_up_due")
    due = None if due is None or due == "" else validate.date(due, "changes.follow_up_due")
    day = validate.date(visit.fields["payload"]["date"], "date")
    try:
        episodes.check_follow_up(str(stands.payload.get("outcome")), due, day)
    except InvalidInput as refused:
        refused.field = f"changes.{refused.field}"
        raise


def _completes(record: Record | None) -> bool:
    return record is not None and record.payload.get("outcome") == TripPassenger.Outcome.CARE_COMPLETE


def _stood_before(visit: Entry, correction: Entry) -> Record | None:
    """The visit as it stood before ``correction`` was written."""
    fields = [f for f in consequences.with_fixes([visit]) if f["seq"] < correction.seq]
    return next((r for r in effective(Record.of(f) for f in fields) if r.seq == visit.seq), None)


def _closing_of(visit: Entry, referral: Referral) -> Entry | None:
    """The standing closing the visit's "care complete" wrote, if any.

    It is the entry right after the visit (``record_outcome`` writes both in its transaction, which holds
    the append lock to the end), or right after the correction that made the visit complete care.
    """
    after = [f["seq"] + 1 for f in consequences.with_fixes([visit])]
    retracted = Entry.objects.filter(type=consequences.RETRACTED, corrects=OuterRef("seq"))
    candidates = Entry.objects.filter(
        type=register_corrections.CLOSED, seq__in=after, subject_rows__key=f"referral:{referral.pk}"
    ).filter(~Exists(retracted))
    return next((e for e in candidates.order_by("-seq") if e.payload.get("reason") == Referral.Status.TREATED), None)


@consequences.register(*episodes.VISITS)
def outcome_fixed(visit: Entry, correction: Entry) -> None:
    """Give the passenger the visit's outcome as it stands; derive the referral and the patient again."""
    stands = register_corrections.standing(visit)
    _check_outcome(visit, correction, stands)
    payload = visit.fields["payload"]
    place = (
        TripPassenger.objects.select_for_update()
        .filter(trip_id=int(payload["trip"]), patient__code=payload["patient"], role=TripPassenger.Role.PATIENT)
        .filter(removed=False)
        .first()
    )
    if place is not None:
        outcome = TripPassenger.Outcome.PENDING if stands is None else str(stands.payload.get("outcome"))
        if outcome in TripPassenger.Outcome.values:
            place.outcome = outcome
            place.follow_up_due = None if stands is None else episodes.day_of(stands.payload.get("follow_up_due"))
            place.save(update_fields=["outcome", "follow_up_due"])
    if not payload.get("referral"):
        return
    referral = Referral.objects.select_for_update().get(pk=int(payload["referral"]))
    was, now = _completes(_stood_before(visit, correction)), _completes(stands)
    closing = _closing_of(visit, referral) if was and not now else None
    if closing is not None:  # its handler opens the referral again
        ledger.correct(
            closing.seq,
            reason=NOT_COMPLETE.format(seq=visit.seq),
            changes={},
            retract=True,
            **register_corrections.evidence(correction),
        )
    register_corrections.follow_ledger(referral)
    if now and not was and referral.status in Referral.OPEN:
        register._close_referral(
            referral,
            reason=Referral.Status.TREATED,
            on=max(validate.date(payload["date"], "date"), referral.referral_date),
            note="care complete",
            **register_corrections.evidence(correction),
        )
    register_corrections.patient_follows(referral.patient_id)
