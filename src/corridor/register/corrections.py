"""What a correction or retraction of a death changes in the register's rows.

``record_death`` sets the patient deceased and closes their open referrals as "died" on the date of
death (or the referral's date if later), each with its own ``referral.closed`` entry. When the
``patient.died`` entry is corrected or retracted, the rows follow the entry as it now stands
(:mod:`corridor.ledger.consequences`):

- retracted: the patient is alive again, the referrals the death closed are open again as they were
  before it (no closing date), and the ``referral.closed`` entries the death wrote are retracted in the
  same transaction, so the ledger no longer says those referrals were closed;
- a corrected date: the referrals' closing dates move with it, and their ``referral.closed`` entries
  are corrected to say so. A date in the future, before the patient's year of birth or a day they were
  seen at a hospital, not a date, or removed is refused with a code, and nothing of the correction is
  written.

A referral's own closing (``referral.closed``, whoever wrote it) is handled the same way:

- retracted: the referral is open again, with no closing date, unless another closing of it stands (the
  rows then say what that one says); a patient neither dead nor gone is given their status again;
- a corrected reason or date: the referral's status or closing date moves with it. A reason that does
  not close a referral, a date in the future, before the referral's or a day its patient was seen for
  it, not a date, or removed is refused with a code, and nothing of the correction is written.

A death's retraction retracts its closings through that handler, so the two cannot disagree: a closing
retracted on its own before the death is no longer the death's to retract.

A visit's outcome corrected or retracted (:mod:`corridor.transfers.corrections`) re-derives the referral
the same way. The referral's status, follow-up deadline and closing date are those its standing visits
and closings give by the episodes of care's rule (:func:`corridor.register.episodes.replay`): waiting
before any visit, then as each visit's outcome (as corrected) moves it, closed by a closing that stands.
The patient's is the one the episodes give: waiting before any visit at which they were seen, then in
care while a referral is open, care complete when none is; a patient dead or gone keeps that status.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_noop as _

from corridor import clock, validate
from corridor.errors import InvalidInput
from corridor.ledger import consequences
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register import episodes
from corridor.register.models import Patient, Referral
from corridor.register.services import check_closing_day, check_death_day
from corridor.reports.obstruction import Record, effective

CLOSED = episodes.CLOSED
ABOUT_REFERRAL = (CLOSED, *episodes.VISITS)
CLOSING_REASONS = tuple(s for s in Referral.Status.values if s not in Referral.OPEN)
RETRACTED_DEATH = "the death (entry {seq}) was retracted"
CORRECTED_DEATH = "the date of the death (entry {seq}) was corrected"


def standing(entry: Entry) -> Record | None:
    """``entry`` as it stands after every correction (``None``: retracted)."""
    records = effective(Record.of(fields) for fields in consequences.with_fixes([entry]))
    return next((r for r in records if r.seq == entry.seq), None)


def _not_retracted() -> Any:
    return ~Exists(Entry.objects.filter(type=consequences.RETRACTED, corrects=OuterRef("seq")))


def _closings(death: Entry) -> dict[int, Entry]:
    """Referral id -> the ``referral.closed`` entry the death wrote for it, while it stands.

    ``record_death`` appends them right after the death, one a referral, in its transaction (which holds
    the append lock to the end), so they are the entries that follow it: a later death of the same
    patient, recorded after this one was retracted, closes the same referrals with entries of its own.
    """
    ids = [int(w["referral"]) for w in death.fields["payload"].get("waiting_referrals") or []]
    found: dict[int, Entry] = {}
    entries = (
        Entry.objects.filter(type="referral.closed", seq__gt=death.seq, seq__lte=death.seq + len(ids))
        .filter(_not_retracted())
        .order_by("seq")
    )
    for entry in entries:
        payload = entry.fields["payload"]
        referral = payload.get("referral")
        if payload.get("reason") == Referral.Status.DIED and referral in ids and referral not in found:
            found[referral] = entry
    return found


def _another_death(patient: Patient, death: Entry) -> bool:
    """Whether a death of the patient other than ``death`` stands (recorded after it was retracted)."""
    return (
        Entry.objects.filter(type="patient.died", subject_rows__key=f"patient:{patient.code}")
        .exclude(seq=death.seq)
        .filter(_not_retracted())
        .exists()
    )


def _standing_about(key: str, types: tuple[str, ...]) -> list[Record]:
    """The entries of ``types`` about subject ``key`` as they stand after every correction, oldest first."""
    entries = Entry.objects.filter(type__in=types, subject_rows__key=key)
    return [r for r in effective(Record.of(f) for f in consequences.with_fixes(entries)) if r.type in types]


def follow_ledger(referral: Referral) -> None:
    """Give the (locked) referral the status, follow-up deadline and closing date its standing entries give."""
    state = episodes.replay((r.type, r.payload) for r in _standing_about(f"referral:{referral.pk}", ABOUT_REFERRAL))
    if (referral.status, referral.follow_up_due, referral.closed_on) != (*_row(state),):
        referral.status, referral.follow_up_due, referral.closed_on = _row(state)
        referral.save(update_fields=["status", "follow_up_due", "closed_on"])


def _row(state: episodes.Standing) -> tuple[str, dt.date | None, dt.date | None]:
    return state.status, state.follow_up_due, None if state.status in Referral.OPEN else state.closed_on


def _patient_status(patient: Patient) -> str:
    """The patient's status by the episodes' rule, from their standing visits and their referrals as they now are."""
    visits = _standing_about(f"patient:{patient.code}", episodes.VISITS)
    if not any(v.payload.get("outcome") in episodes.SEEN for v in visits):
        return Patient.Status.WAITING
    still_open = patient.referrals.filter(status__in=Referral.OPEN).exists()
    return Patient.Status.IN_TREATMENT if still_open else Patient.Status.TREATED


def patient_follows(patient_id: int) -> None:
    """Give a patient neither dead nor gone the status the episodes give (after their referrals changed)."""
    patient = Patient.objects.select_for_update().get(pk=patient_id)
    if patient.status not in (Patient.Status.DECEASED, Patient.Status.LEFT):
        status = _patient_status(patient)
        if patient.status != status:
            patient.status = status
            patient.save(update_fields=["status"])


def _corrected_date(correction: Entry, patient: Patient) -> dt.date | None:
    """The date the correction gives the death, checked; ``None`` when it does not change the date."""
    changes: dict[str, Any] = correction.fields["payload"].get("changes") or {}
    if "date" not in changes:
        return None
    value = changes["date"]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(
            _("a death's date cannot be removed; retract the death if it did not happen"),
            "changes.date",
            code="patient.death_date_removed",
        )
    return check_death_day(patient, "changes.date", value)


def evidence(correction: Entry) -> dict[str, Any]:
    """Who corrected, and on what evidence: the entries written as a consequence say the same."""
    fields = correction.fields
    return {"by": fields["recorded_by"], "source": fields["source"], "certainty": fields["certainty"]}


@consequences.register("patient.died", dates=("date",))
def death_fixed(death: Entry, correction: Entry) -> None:
    """Bring the patient and the referrals the death closed in line with the death as it now stands.

    The referrals' rows follow their closings, which this corrects or retracts (:func:`closing_fixed`).
    """
    patient = Patient.objects.select_for_update().get(code=death.fields["payload"]["patient"])
    day = _corrected_date(correction, patient)
    stands = standing(death)
    closings = _closings(death)
    referrals = Referral.objects.select_for_update().filter(pk__in=sorted(closings), status=Referral.Status.DIED)
    if stands is None:
        if patient.status != Patient.Status.DECEASED or _another_death(patient, death):
            return
        for referral in referrals:
            ledger.correct(
                closings[referral.pk].seq,
                reason=RETRACTED_DEATH.format(seq=death.seq),
                changes={},
                retract=True,
                **evidence(correction),
            )
        patient.status = _patient_status(patient)
        patient.save(update_fields=["status"])
        return
    if day is None:  # another value corrected, or a correction retracted: the date as the entry now says it
        try:
            day = validate.date(stands.payload.get("date"), "date")
        except InvalidInput:
            return  # a date an older correction made unreadable: the rows keep the recorded one
    if patient.status != Patient.Status.DECEASED:
        return
    for referral in referrals:
        closed_on = max(day, referral.referral_date)
        if referral.closed_on == closed_on:
            continue
        ledger.correct(
            closings[referral.pk].seq,
            reason=CORRECTED_DEATH.format(seq=death.seq),
            changes={"closed_on": closed_on.isoformat()},
            **evidence(correction),
        )


def _check_closing(correction: Entry, referral: Referral) -> None:
    """Refuse a correction that gives the closing a reason that closes nothing, or a date that cannot be."""
    changes: dict[str, Any] = correction.fields["payload"].get("changes") or {}
    if "reason" in changes and changes["reason"] not in CLOSING_REASONS:
        raise InvalidInput(
            _("must be one of %(choices)s"),
            "changes.reason",
            code="referral.unknown_reason",
            choices=", ".join(CLOSING_REASONS),
        )
    if "closed_on" not in changes:
        return
    value = changes["closed_on"]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(
            _("a referral's closing date cannot be removed; retract the closing if the referral is still open"),
            "changes.closed_on",
            code="referral.closing_date_removed",
        )
    day = clock.check_day("changes.closed_on", validate.date(value, "changes.closed_on"))
    check_closing_day(referral, "changes.closed_on", day)


@consequences.register(CLOSED, dates=("closed_on",))
def closing_fixed(closing: Entry, correction: Entry) -> None:
    """Bring the referral in line with its standing visits and closings: as the latest closing says, else open again."""
    referral = Referral.objects.select_for_update().get(pk=int(closing.fields["payload"]["referral"]))
    _check_closing(correction, referral)
    was_open = referral.status in Referral.OPEN
    follow_ledger(referral)
    if was_open != (referral.status in Referral.OPEN):
        patient_follows(referral.patient_id)
