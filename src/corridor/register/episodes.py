"""Episodes of care: what a hospital visit does to the referral it served.

A referral is not done when the patient is first seen. The visit's outcome moves the referral along
its episode of care:

- seen for diagnosis, procedure done, treatment started, admitted: the referral is *in care*;
- any of those with a follow-up asked for, or "follow-up needed": the referral waits again, with its
  own priority and the follow-up's own deadline (``follow_up_due``), so the planner offers it;
- care complete: the referral closes (code ``treated``, shown as "care complete");
- not seen: nothing changes; the referral keeps waiting.

The referral also closes when the patient dies, leaves, or the referral is withdrawn
(:func:`corridor.register.services.close_referral`). The rules live in :func:`next_state`, a pure
function; :func:`apply_visit` stores its result. The ledger entry is the visit's own
(``patient.seen``, whose payload carries the referral's new status and the follow-up deadline), or
``referral.closed`` when care is complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop as _

from corridor.accounts.roles import Actor
from corridor.errors import InvalidInput

WAITING, IN_CARE, CARE_COMPLETE = "waiting", "in_care", "treated"
SEEN = ("seen", "procedure_done", "admitted", "treatment_started", "follow_up", "care_complete")
NOT_SEEN = ("no_doctor", "refused", "turned_back", "not_seen_other")
OPEN = (WAITING, IN_CARE)
CLOSED, VISITS = "referral.closed", ("patient.seen", "patient.not_seen")


@dataclass(frozen=True)
class Step:
    """The referral after a visit: its status and the deadline of the follow-up it waits for."""

    status: str
    follow_up_due: dt.date | None
    closes: bool = False


def check_follow_up(outcome: str, follow_up_due: dt.date | None, visit_date: dt.date) -> None:
    """Refuse a follow-up deadline that cannot be: missing when one is needed, asked with an outcome
    that does not lead to one, or not after the visit."""
    if outcome == "follow_up" and follow_up_due is None:
        raise InvalidInput(_("give the date the follow-up visit is due by"), "follow_up_due", code="follow_up.no_date")
    if follow_up_due is None:
        return
    if not isinstance(follow_up_due, dt.date) or isinstance(follow_up_due, dt.datetime):
        raise InvalidInput(_("must be a date"), "follow_up_due", code="date.not_a_date")
    if outcome not in SEEN or outcome == "care_complete":
        raise InvalidInput(
            _("a follow-up can only follow a visit at which the patient was seen and care goes on"),
            "follow_up_due",
            code="follow_up.not_after_care",
        )
    if follow_up_due <= visit_date:
        raise InvalidInput(
            _("must be after the visit (%(visit)s)"),
            "follow_up_due",
            code="follow_up.not_after_visit",
            visit=visit_date,
        )


def next_state(status: str, outcome: str, follow_up_due: dt.date | None) -> Step | None:
    """The referral's next state after a visit with ``outcome``; None when the visit changes nothing."""
    if status not in OPEN or outcome not in SEEN:
        return None
    if outcome == "care_complete":
        return Step(CARE_COMPLETE, None, closes=True)
    if follow_up_due is not None:
        return Step(WAITING, follow_up_due)
    return Step(IN_CARE, None)


def apply_visit(
    referral_id: int,
    *,
    outcome: str,
    on: dt.date,
    follow_up_due: dt.date | None,
    by: Actor,
    source: str,
    certainty: str,
) -> str | None:
    """Move the referral along its episode after a visit on ``on``; return its new status (None: unchanged).

    Runs inside the caller's transaction, after the visit's ledger entry. Care complete closes the
    referral through the register's closing service (its own ``referral.closed`` entry); the other
    steps are carried by the visit's entry. The patient is "in care" while any referral is in care
    or waiting for a follow-up after a visit, and "care complete" when none is open any more.
    """
    from corridor.register import services as register
    from corridor.register.models import Patient, Referral

    referral = Referral.objects.select_for_update().select_related("patient").get(pk=referral_id)
    step = next_state(referral.status, outcome, follow_up_due)
    if step is None:
        return None
    if step.closes:
        register._close_referral(
            referral,
            reason=Referral.Status.TREATED,
            on=max(on, referral.referral_date),
            by=by,
            source=source,
            certainty=certainty,
            note="care complete",
        )
    else:
        referral.status = step.status
        referral.follow_up_due = step.follow_up_due
        referral.save(update_fields=["status", "follow_up_due"])
    patient = referral.patient
    if patient.status not in (Patient.Status.DECEASED, Patient.Status.LEFT):
        still_open = patient.referrals.filter(status__in=Referral.OPEN).exists()
        Patient.objects.filter(pk=patient.pk).update(
            status=Patient.Status.IN_TREATMENT if still_open else Patient.Status.TREATED
        )
    return step.status


def predicted_status(status: str, outcome: str, follow_up_due: dt.date | None) -> str:
    """The status the referral will have after the visit (for the visit's ledger payload)."""
    step = next_state(status, outcome, follow_up_due)
    return status if step is None else step.status


@dataclass(frozen=True)
class Standing:
    """A referral as the entries about it that still stand leave it."""

    status: str
    follow_up_due: dt.date | None
    closed_on: dt.date | None


def day_of(value: Any) -> dt.date | None:
    """The date an ISO string in a payload names; ``None`` when absent or unreadable (an older correction's)."""
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def replay(entries: Iterable[tuple[str, Mapping[str, Any]]]) -> Standing:
    """The referral after its standing visits and closings (type, payload as corrected), in ledger order.

    The same rule as :func:`next_state`, folded over the ledger, so a corrected or retracted visit or
    closing gives the row the ledger now says. A visit that completes care closes nothing by itself: its
    closing is an entry of its own, and with that closing retracted the referral is where the visits
    before it left it.
    """
    status, due, closed_on = WAITING, None, None
    for kind, payload in entries:
        if kind == CLOSED:
            reason = payload.get("reason")
            if isinstance(reason, str) and reason and reason not in OPEN:
                status, closed_on = reason, day_of(payload.get("closed_on")) or closed_on
            continue
        if kind in VISITS:
            step = next_state(status, str(payload.get("outcome")), day_of(payload.get("follow_up_due")))
            if step is not None and not step.closes:
                status, due = step.status, step.follow_up_due
    return Standing(status, due, closed_on)
