"""Deliveries asked for at the gate, what the gate did with them, and those it blocked.

Requests are a coordinator's; decisions and blocked deliveries a coordinator's or a monitor's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor.accounts.roles import Actor, Can, require
from corridor.errors import Conflict, InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Certainty, Source
from corridor.ledger.models import Entry
from corridor.register.models import Site
from corridor.register.scoping import require_site
from corridor.supplies.actions._common import ITEMS, _day, _g, _in_unit, _number, _text
from corridor.supplies.models import Delivery, SupplyItem
from corridor.validate import evidence as _evidence


def _target(site: Site, item: SupplyItem | str) -> tuple[SupplyItem | None, str]:
    """A delivery's item and category: a tracked item of the site, or a whole category."""
    if isinstance(item, SupplyItem):
        if item.site_id != site.pk:
            raise InvalidInput(
                _("%(item)s is an item of another site"), "item", code="supply.other_site", item=item.code
            )
        return item, item.category
    code = (item or "").strip()
    found = SupplyItem.objects.filter(site=site, code=code).first()
    if found is not None:
        return found, found.category
    if code in ITEMS:
        return None, code
    raise InvalidInput(
        _("must be one of %(site)s's items or one of %(choices)s"),
        "item",
        code="delivery.unknown_item",
        site=site.code,
        choices=", ".join(ITEMS),
    )


def _delivery_payload(delivery: Delivery) -> dict[str, Any]:
    return {
        "site": delivery.site.code,
        "delivery": delivery.pk,
        "item": delivery.item.code if delivery.item else delivery.category,
        "category": delivery.category,
        "requested_on": delivery.requested_on.isoformat(),
        "unit": delivery.unit,
        "synthetic": delivery.synthetic,
    }


def _delivery_subjects(delivery: Delivery) -> list[str]:
    what = delivery.item.code if delivery.item else delivery.category
    return [f"site:{delivery.site.code}", f"supply:{what}", f"delivery:{delivery.pk}"]


def _quantity_for(target: SupplyItem | None, quantity: Any, unit: str) -> tuple[float | None, str]:
    given = _number(quantity, "quantity", allow_none=True)
    if given is None:
        return None, (target.unit if target else unit.strip())
    if target is None:
        if not unit.strip():
            raise InvalidInput(
                _("give the unit of the quantity (litres, rations, packs…)"), "unit", code="delivery.no_unit"
            )
        return given, unit.strip()
    return _in_unit(target, given, unit or target.unit), target.unit


def request_delivery(
    *,
    site: Site,
    item: SupplyItem | str,
    on: dt.date,
    quantity: float | None = None,
    unit: str = "",
    by: Actor,
    source: str = Source.DOCUMENT,
    certainty: str = Certainty.CONFIRMED,
    synthetic: bool = False,
    extra: dict[str, Any] | None = None,
) -> Delivery:
    """A delivery asked of the authority: of one item (its stock rises when let through) or a whole category."""
    require(by, Can.MANAGE_TRIPS)
    require_site(by, site)  # only at a site the user works at; another site's is not found
    on = _day(on)
    target, category = _target(site, item)
    amount, unit_text = _quantity_for(target, quantity, unit)
    _evidence(source, certainty)
    with transaction.atomic():
        delivery, _entry = _asked(
            "supply.requested",
            site=site,
            target=target,
            category=category,
            on=on,
            amount=amount,
            unit_text=unit_text,
            blocked_for=None,
            by=by,
            source=source,
            certainty=certainty,
            synthetic=synthetic,
            extra=extra,
        )
    return delivery


def decide_delivery(
    delivery: Delivery,
    *,
    status: str,
    on: dt.date,
    quantity_allowed: float | None = None,
    reason: str = "",
    by: Actor,
    source: str,
    certainty: str,
    extra: dict[str, Any] | None = None,
) -> Delivery:
    """What the gate did with a requested delivery: allowed in full, partly allowed, or blocked.

    An allowed delivery of an item adds the allowed quantity to its stock on ``on``.
    """
    require(by, Can.RECORD_GATE)
    if status not in (Delivery.Status.ALLOWED, Delivery.Status.PARTLY_ALLOWED, Delivery.Status.BLOCKED):
        raise InvalidInput(
            _("must be one of %(choices)s"),
            "status",
            code="delivery.unknown_decision",
            choices=", ".join((Delivery.Status.ALLOWED, Delivery.Status.PARTLY_ALLOWED, Delivery.Status.BLOCKED)),
        )
    on = _day(on)
    if on < delivery.requested_on:
        raise InvalidInput(
            _("the delivery was requested on %(requested_on)s, after %(on)s"),
            "on",
            code="delivery.decided_before_requested",
            requested_on=delivery.requested_on,
            on=on,
        )
    requested = delivery.quantity_requested
    allowed = _number(quantity_allowed, "quantity_allowed", allow_none=True)
    if status == Delivery.Status.BLOCKED:
        if allowed:
            raise InvalidInput(
                _("a blocked delivery lets nothing through; record it as partly allowed"),
                "status",
                code="delivery.blocked_with_quantity",
            )
        allowed = 0.0
    elif status == Delivery.Status.ALLOWED:
        if allowed is None:
            allowed = requested
        elif requested is not None and allowed < requested:
            raise InvalidInput(
                _("%(allowed)s of %(requested)s %(unit)s is a partly allowed delivery"),
                "quantity_allowed",
                code="delivery.partly_allowed",
                allowed=_g(allowed),
                requested=_g(requested),
                unit=delivery.unit,
            )
    else:
        if requested is None or allowed is None:
            raise InvalidInput(
                _("a partly allowed delivery needs the quantity requested and allowed"),
                "quantity_allowed",
                code="delivery.partly_without_quantities",
            )
        if not 0 < allowed < requested:
            raise InvalidInput(
                _("must be more than %(least)s and less than the %(requested)s requested"),
                "quantity_allowed",
                code="delivery.bad_part",
                least=0,
                requested=_g(requested),
            )
    _evidence(source, certainty)
    reason = _text(reason, "reason")
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status != Delivery.Status.REQUESTED:
            raise Conflict(
                _("delivery %(delivery)s was already recorded as %(delivery_status)s"),
                code="delivery.already_decided",
                delivery=delivery.pk,
                delivery_status=locked.status,
            )
        delivery.status, delivery.decided_on = status, on
        delivery.quantity_allowed, delivery.reason = allowed, reason
        entry = ledger.append(
            f"supply.{status}",
            by=by,
            subjects=_delivery_subjects(delivery),
            payload={
                **(extra or {}),  # e.g. the field submission an import recorded this from; never overrides
                **_delivery_payload(delivery),
                "date": on.isoformat(),
                "quantity": requested,
                "quantity_allowed": allowed,
                "reason": reason or None,
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
        delivery.decided_seq = entry.seq
        delivery.save(update_fields=["status", "decided_on", "quantity_allowed", "reason", "decided_seq"])
    return delivery


def record_blocked_delivery(
    *,
    site: Site,
    item: SupplyItem | str,
    on: dt.date,
    quantity: float | None = None,
    unit: str = "",
    reason: str = "",
    by: Actor,
    source: str,
    certainty: str,
    synthetic: bool = False,
    extra: dict[str, Any] | None = None,
) -> Entry:
    """A delivery was stopped at the gate: what, how much, and the reason given (if any).

    For a delivery that was not recorded as requested first: it is recorded as requested and blocked
    on the same day, in one ``supply.blocked`` entry. ``item`` is an item of the site or a category.
    """
    require(by, Can.RECORD_INCIDENTS)
    require_site(by, site)  # only at a site the user works at; another site's is not found
    if (
        isinstance(item, str)
        and item.strip() not in ITEMS
        and not SupplyItem.objects.filter(site=site, code=item.strip()).exists()
    ):
        raise InvalidInput(
            _("must be one of %(choices)s or one of %(site)s's items"),
            "item",
            code="delivery.unknown_item",
            choices=", ".join(ITEMS),
            site=site.code,
        )
    if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int | float) or quantity < 0):
        raise InvalidInput(_("must be a number, zero or more"), "quantity", code="delivery.bad_quantity")
    if quantity is not None and not unit.strip():
        raise InvalidInput(
            _("give the unit of the quantity (litres, rations, packs…)"), "unit", code="delivery.no_unit"
        )
    on = _day(on)
    target, category = _target(site, item)
    amount, unit_text = _quantity_for(target, quantity, unit)
    _evidence(source, certainty)
    reason = _text(reason, "reason")
    with transaction.atomic():
        _delivery, entry = _asked(
            "supply.blocked",
            site=site,
            target=target,
            category=category,
            on=on,
            amount=amount,
            unit_text=unit_text,
            blocked_for=reason,
            by=by,
            source=source,
            certainty=certainty,
            synthetic=synthetic,
            extra=extra,
        )
    return entry


def _asked(
    event: str,
    *,
    site: Site,
    target: SupplyItem | None,
    category: str,
    on: dt.date,
    amount: float | None,
    unit_text: str,
    blocked_for: str | None,
    by: Actor,
    source: str,
    certainty: str,
    synthetic: bool,
    extra: dict[str, Any] | None,
) -> tuple[Delivery, Entry]:
    """A delivery asked of the authority and its ledger entry (the caller holds the transaction).

    With ``blocked_for`` (the reason given, perhaps empty) it was stopped the same day it was asked for,
    and the one entry records both.
    """
    blocked = blocked_for is not None
    decision: dict[str, Any] = (
        {"status": Delivery.Status.BLOCKED, "decided_on": on, "quantity_allowed": 0.0, "reason": blocked_for}
        if blocked
        else {}
    )
    delivery = Delivery.objects.create(
        site=site,
        item=target,
        category=category,
        requested_on=on,
        quantity_requested=amount,
        unit=unit_text,
        source=source,
        certainty=certainty,
        synthetic=bool(synthetic),
        **decision,
    )
    entry = ledger.append(
        event,
        by=by,
        subjects=_delivery_subjects(delivery),
        payload={
            **(extra or {}),  # e.g. the field submission an import recorded this from; never overrides
            **_delivery_payload(delivery),
            "date": on.isoformat(),
            "quantity": amount,
            **({"quantity_allowed": 0.0, "reason": blocked_for or None} if blocked else {}),
        },
        source=source,
        certainty=certainty,
        occurred_on=on,
    )
    delivery.requested_seq = entry.seq
    if blocked:
        delivery.decided_seq = entry.seq
    delivery.save(update_fields=["requested_seq", "decided_seq"] if blocked else ["requested_seq"])
    return delivery, entry
