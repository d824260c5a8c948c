"""A patient's dependence on a supply, recorded and ended (coordinators and clinicians)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor import clock
from corridor.accounts.roles import Actor, Can
from corridor.errors import Conflict, InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Certainty, Source
from corridor.register.models import Patient
from corridor.register.scoping import require_site
from corridor.supplies.actions._common import _day, _number, _require_any, _text
from corridor.supplies.models import Dependence, SupplyItem
from corridor.validate import evidence as _evidence


def record_dependence(
    *,
    patient: Patient,
    item: SupplyItem,
    need: str,
    since: dt.date | None = None,
    daily_quantity: float | None = None,
    by: Actor,
    source: str = Source.DOCUMENT,
    certainty: str = Certainty.CONFIRMED,
) -> Dependence:
    """A patient's care depends on ``item`` (and so on power too when the item needs power)."""
    _require_any(by, Can.MANAGE_PATIENTS, Can.MANAGE_REFERRALS)
    require_site(by, patient.site, "patient")  # only at a site the user works at; another site's is not found
    if need not in Dependence.Need.values:
        raise InvalidInput(
            _("must be one of %(choices)s"),
            "need",
            code="dependence.unknown_need",
            choices=", ".join(Dependence.Need.values),
        )
    if item.site_id != patient.site_id:
        raise InvalidInput(
            _("%(item)s is an item of another site than %(patient)s's"),
            "item",
            code="dependence.other_site",
            item=item.code,
            patient=patient.code,
        )
    since = _day(since or clock.today(), "since")
    daily = _number(daily_quantity, "daily_quantity", allow_none=True)
    _evidence(source, certainty)
    if patient.status in (Patient.Status.DECEASED, Patient.Status.LEFT):
        raise Conflict(
            _("%(patient)s is %(patient_status)s"),
            code="dependence.patient_gone",
            patient=patient.code,
            patient_status=patient.status,
        )
    with transaction.atomic():
        if Dependence.objects.filter(patient=patient, item=item, until__isnull=True).exists():
            raise Conflict(
                _("%(patient)s's dependence on %(item)s is already recorded"),
                code="dependence.exists",
                patient=patient.code,
                item=item.code,
            )
        entry = ledger.append(
            "dependence.recorded",
            by=by,
            subjects=[f"patient:{patient.code}", f"supply:{item.code}"],
            payload={
                "patient": patient.code,
                "item": item.code,
                "need": need,
                "since": since.isoformat(),
                "daily_quantity": daily,
                "needs_power": item.needs_power,
            },
            source=source,
            certainty=certainty,
            occurred_on=since,
        )
        return Dependence.objects.create(
            patient=patient, item=item, need=need, since=since, daily_quantity=daily, recorded_seq=entry.seq
        )


def end_dependence(
    dependence: Dependence,
    *,
    on: dt.date,
    reason: str,
    by: Actor,
    source: str = Source.DOCUMENT,
    certainty: str = Certainty.CONFIRMED,
) -> Dependence:
    """A patient no longer depends on the supply (treated, moved to another supply, died, left).

    Who said so and how sure it is are recorded as for its start: an end heard second-hand is not a fact.
    """
    _require_any(by, Can.MANAGE_PATIENTS, Can.MANAGE_REFERRALS)
    require_site(by, dependence.patient.site, "patient")
    on = _day(on)
    reason = _text(reason, "reason", required=True)
    _evidence(source, certainty)
    if on < dependence.since:
        raise InvalidInput(
            _("the dependence was recorded from %(since)s"),
            "on",
            code="dependence.ended_before",
            since=dependence.since,
        )
    with transaction.atomic():
        locked = Dependence.objects.select_for_update().get(pk=dependence.pk)
        if locked.until is not None:
            raise Conflict(_("the dependence already ended on %(until)s"), code="dependence.ended", until=locked.until)
        dependence.until = on
        dependence.save(update_fields=["until"])
        ledger.append(
            "dependence.ended",
            by=by,
            subjects=[f"patient:{dependence.patient.code}", f"supply:{dependence.item.code}"],
            payload={
                "patient": dependence.patient.code,
                "item": dependence.item.code,
                "date": on.isoformat(),
                "reason": reason,
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
    return dependence
