"""Break the glass: an admin or auditor who truly needs one patient's identity gets it for a while, in view.

The admin and auditor roles never see identities in the ordinary way. In an emergency one of them opens
a grant for one patient with a reason; it lasts ``settings.BREAK_GLASS_SECONDS`` (one hour unless
configured), each reading under it is still an ``identity.viewed`` entry with its purpose, and the
grant itself (``access.break_glass``) stays on every coordinator's dashboard and on the auditors' list
until an auditor other than the one who opened it acknowledges it (``access.break_glass_acknowledged``),
as DHIS2 does for its "breaking the glass".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor.accounts.models import BreakGlass
from corridor.accounts.roles import Actor, Can, require
from corridor.errors import Conflict, InvalidInput, NotAllowed, NotFound
from corridor.ledger import services as ledger
from corridor.register.scoping import require_site, visible


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def open_break_glass(patient: Any, *, reason: str, by: Actor) -> BreakGlass:
    """Open a time-limited grant for ``by`` to see ``patient``'s identity; refused without a reason."""
    require(by, Can.BREAK_GLASS)
    if not isinstance(by, AbstractBaseUser):
        raise NotAllowed(_("only a signed-in person can break the glass"), code="break_glass.not_a_person")
    require_site(by, patient.site_id, "patient")  # only at a site the admin or auditor works at
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("say why you must see this identity"), "reason", code="break_glass.no_reason")
    if len(reason) > 500:
        raise InvalidInput(_("is longer than %(limit)s characters"), "reason", code="text.too_long", limit=500)
    now = _now()
    expires = now + dt.timedelta(seconds=int(settings.BREAK_GLASS_SECONDS))
    with transaction.atomic():
        entry = ledger.append(
            "access.break_glass",
            by=by,
            subjects=[f"patient:{patient.code}", f"user:{by.get_username()}"],
            payload={
                "patient": patient.code,
                "reason": reason,
                "expires_at": expires.isoformat(timespec="seconds"),
            },
        )
        grant = BreakGlass.objects.create(
            user_id=by.pk, patient=patient, reason=reason, opened_at=now, expires_at=expires, entry_seq=entry.seq
        )
    return grant


def active_grant(user: Actor, patient: Any) -> BreakGlass | None:
    """``user``'s unexpired grant for ``patient``, if any."""
    if not isinstance(user, AbstractBaseUser) or not user.is_authenticated:
        return None
    return (
        BreakGlass.objects.filter(user_id=user.pk, patient_id=patient.pk, expires_at__gt=_now())
        .order_by("-expires_at")
        .first()
    )


def acknowledge(grant_id: int, *, by: Actor, note: str = "") -> BreakGlass:
    """An auditor acknowledges a break-glass access after reviewing it; nobody acknowledges their own."""
    require(by, Can.REVIEW_ACCESS)
    with transaction.atomic():
        grants = visible(BreakGlass.objects.select_for_update().select_related("user", "patient"), by)
        grant = grants.filter(pk=grant_id).first()
        if grant is None:
            raise NotFound(_("there is no break-glass access %(grant)s"), code="break_glass.not_found", grant=grant_id)
        if isinstance(by, AbstractBaseUser) and by.pk == grant.user_id:
            raise NotAllowed(
                _("another auditor must acknowledge your own break-glass access"), code="break_glass.own_access"
            )
        if grant.acknowledged_at is not None:
            raise Conflict(
                _("break-glass access %(grant)s was already acknowledged by %(who)s"),
                code="break_glass.already_acknowledged",
                grant=grant_id,
                who=grant.acknowledged_by,
            )
        grant.acknowledged_at = _now()
        grant.acknowledged_by = ledger.actor_name(by)
        grant.save(update_fields=["acknowledged_at", "acknowledged_by"])
        ledger.append(
            "access.break_glass_acknowledged",
            by=by,
            subjects=[f"patient:{grant.patient.code}", f"user:{grant.user.get_username()}"],
            payload={
                "break_glass_entry": grant.entry_seq,
                "patient": grant.patient.code,
                "user": grant.user.get_username(),
                "note": (note or "").strip() or None,
            },
        )
    return grant


def unacknowledged() -> Any:
    """Break-glass accesses no auditor has acknowledged yet, newest first."""
    return BreakGlass.objects.filter(acknowledged_at=None).select_related("user", "patient").order_by("-opened_at")
