"""The blockade: supplies, their stock, deliveries stopped or let through at the gate, power, dependence.

Every function validates its input first and raises :class:`corridor.errors.InvalidInput` (naming the
field), :class:`NotAllowed`, :class:`Conflict` or :class:`NotFound` before anything is written; then it
writes its rows and its ledger entry in one transaction.

Who may do what (checked here, and again by the pages):

- items, thresholds, set daily use, generators: coordinators and admins (reference data);
- stock counts, adjustments, power days and delivery requests: coordinators;
- what the gate did with a delivery, and blocked deliveries: coordinators and monitors;
- a patient's dependence on a supply: coordinators and clinicians.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor import clock, validate
from corridor.accounts.roles import Actor, Can, can, require
from corridor.errors import Conflict, InvalidInput, NotAllowed
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Certainty, Source
from corridor.ledger.models import Entry
from corridor.register.models import Patient, Site
from corridor.register.scoping import require_site
from corridor.supplies import autonomy
from corridor.supplies.models import Category, Delivery, Dependence, Generator, PowerDay, StockRecord, SupplyItem
from corridor.validate import evidence as _evidence

ITEMS = tuple(Category.values)
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,31}$")
_UNSET: Any = object()


# ------------------------------------------------------------------------------------------- helpers


# What a role that may not act is told, by the first capability the act needs.
_NOT_ALLOWED = {
    Can.MANAGE_REFERENCE: _("your role may not manage reference"),
    Can.MANAGE_PATIENTS: _("your role may not manage patients"),
}


def _require_any(by: Actor, *capabilities: Can) -> None:
    if not any(can(by, c) for c in capabilities):
        raise NotAllowed(_NOT_ALLOWED[capabilities[0]], code="supply.not_allowed")


def _g(value: float) -> float | int:
    """A quantity as ``:g`` wrote it in the English sentence: 2000, not 2000.0."""
    return int(value) if float(value).is_integer() else value


def _text(value: str | None, field: str, *, required: bool = False, max_length: int = 2000) -> str:
    return validate.text(value, field, required=required, max_length=max_length)


def _number(value: Any, field: str, *, minimum: float | None = 0.0, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(_("must be a number"), field, code="supply.not_a_number")
    if minimum is not None and value < minimum:
        raise InvalidInput(_("must be %(least)s or more"), field, code="supply.too_small", least=_g(minimum))
    return float(value)


def _day(value: Any, field: str = "on") -> dt.date:
    """A past or present date: nothing about the stock can be recorded before it happens."""
    return clock.check_day(field, value)


def _in_unit(item: SupplyItem, quantity: float, unit: str, field: str = "unit") -> float:
    try:
        return autonomy.convert(quantity, unit, item.unit, item=item.code)
    except autonomy.UnitMismatch as exc:
        raise InvalidInput(exc.template, field, code=exc.code, **exc.values) from None


def _reported(item: SupplyItem, quantity: float | None, unit: str) -> dict[str, Any]:
    """The quantity as reported, kept in the ledger when it was given in another unit than the item's."""
    if quantity is None or autonomy.normalise_unit(unit) == autonomy.normalise_unit(item.unit):
        return {}
    return {"reported": {"quantity": quantity, "unit": unit.strip()}}


def counts_and_movements(item: SupplyItem) -> tuple[list[autonomy.Count], list[autonomy.Movement]]:
    """An item's counts, and what came in or was adjusted, as the pure core takes them."""
    counts: list[autonomy.Count] = []
    movements: list[autonomy.Movement] = []
    for record in item.stock_records.order_by("on", "id"):
        if record.kind == StockRecord.Kind.COUNT:
            counts.append(autonomy.Count(record.on, record.quantity))
        else:
            movements.append(autonomy.Movement(record.on, record.quantity, "adjusted"))
    for delivery in item.deliveries.filter(
        status__in=[Delivery.Status.ALLOWED, Delivery.Status.PARTLY_ALLOWED], quantity_allowed__gt=0
    ):
        assert delivery.decided_on is not None and delivery.quantity_allowed is not None
        movements.append(autonomy.Movement(delivery.decided_on, delivery.quantity_allowed, "received"))
    movements.sort(key=lambda m: m.on)
    return counts, movements


# --------------------------------------------------------------------------------------------- items


def define_item(
    *,
    site: Site,
    code: str,
    name: str,
    category: str,
    unit: str,
    critical_threshold: float | None = None,
    daily_use_set: float | None = None,
    needs_power: bool = False,
    synthetic: bool = False,
    names: Mapping[str, str] | None = None,
    by: Actor,
) -> SupplyItem:
    """Add an item to a site's stock list, with the unit all its quantities are kept in.

    ``names`` gives its name in Persian and Arabic ({"fa": …, "ar": …}), each optional.
    """
    _require_any(by, Can.MANAGE_REFERENCE, Can.MANAGE_TRIPS)
    code = (code or "").strip()
    if not _CODE.match(code):
        raise InvalidInput(
            _("use %(least)s–%(most)s letters, digits, '.', '_' or '-'"),
            "code",
            code="supply.bad_code",
            least=1,
            most=32,
        )
    name = _text(name, "name", required=True, max_length=200)
    other_names = validate.names(names)
    if category not in ITEMS:
        raise InvalidInput(
            _("must be one of %(choices)s"), "category", code="supply.unknown_category", choices=", ".join(ITEMS)
        )
    try:
        unit = autonomy.normalise_unit(unit)
    except autonomy.UnitMismatch as exc:
        raise InvalidInput(exc.template, "unit", code=exc.code, **exc.values) from None
    if len(unit) > 32:
        raise InvalidInput(_("is longer than %(limit)s characters"), "unit", code="supply.unit_too_long", limit=32)
    threshold = _number(critical_threshold, "critical_threshold", allow_none=True)
    daily = _number(daily_use_set, "daily_use_set", allow_none=True)
    with transaction.atomic():
        if SupplyItem.objects.filter(site=site, code=code).exists():
            raise Conflict(
                _("%(site)s already has an item %(item)s"), code="supply.item_exists", site=site.code, item=code
            )
        item = SupplyItem.objects.create(
            site=site,
            code=code,
            name=name,
            names=other_names,
            category=category,
            unit=unit,
            critical_threshold=threshold,
            daily_use_set=daily,
            needs_power=bool(needs_power),
            synthetic=bool(synthetic),
        )
        ledger.append(
            "supply.item_defined",
            by=by,
            subjects=[f"site:{site.code}", f"supply:{code}"],
            payload={
                "site": site.code,
                "item": code,
                "name": name,
                "names": other_names,
                "category": category,
                "unit": unit,
                "critical_threshold": threshold,
                "daily_use_set": daily,
                "needs_power": bool(needs_power),
                "synthetic": bool(synthetic),
            },
        )
    return item


def change_item(
    item: SupplyItem,
    *,
    by: Actor,
    name: str | None = None,
    names: Mapping[str, str] | None = None,
    critical_threshold: float | None = _UNSET,
    daily_use_set: float | None = _UNSET,
    needs_power: bool | None = None,
    reason: str = "",
) -> SupplyItem:
    """Change an item's name (``names``: all its other-language names, given anew), threshold, set daily use
    (None: measure it again) or need of power.

    The unit cannot change: every recorded quantity is in it. Define a new item instead.
    """
    _require_any(by, Can.MANAGE_REFERENCE, Can.MANAGE_TRIPS)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _text(name, "name", required=True, max_length=200)
    if names is not None:
        changes["names"] = validate.names(names)
    if critical_threshold is not _UNSET:
        changes["critical_threshold"] = _number(critical_threshold, "critical_threshold", allow_none=True)
    if daily_use_set is not _UNSET:
        changes["daily_use_set"] = _number(daily_use_set, "daily_use_set", allow_none=True)
    if needs_power is not None:
        changes["needs_power"] = bool(needs_power)
    changes = {k: v for k, v in changes.items() if getattr(item, k) != v}
    if not changes:
        raise InvalidInput(_("nothing to change"), code="change.nothing")
    with transaction.atomic():
        for key, value in changes.items():
            setattr(item, key, value)
        item.save(update_fields=list(changes))
        ledger.append(
            "supply.item_changed",
            by=by,
            subjects=[f"site:{item.site.code}", f"supply:{item.code}"],
            payload={"site": item.site.code, "item": item.code, **changes, "reason": _text(reason, "reason") or None},
        )
    return item


def get_item(site: Site, code: str) -> SupplyItem:
    item = SupplyItem.objects.filter(site=site, code=code).first()
    if item is None:
        known = ", ".join(SupplyItem.objects.filter(site=site).values_list("code", flat=True))
        if not known:
            raise InvalidInput(
                _("%(site)s has no item %(item)r (items: none yet)"),
                "item",
                code="supply.unknown_item",
                site=site.code,
                item=code,
            )
        raise InvalidInput(
            _("%(site)s has no item %(item)r (items: %(known)s)"),
            "item",
            code="supply.unknown_item",
            site=site.code,
            item=code,
            known=known,
        )
    return item


# --------------------------------------------------------------------------------------------- stock


def record_count(
    *,
    item: SupplyItem,
    on: dt.date,
    quantity: float,
    unit: str,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    note: str = "",
    synthetic: bool = False,
    extra: dict[str, Any] | None = None,
) -> StockRecord:
    """The stock of ``item`` counted at the close of ``on``. A second count on the same day stands over the first."""
    require(by, Can.MANAGE_TRIPS)
    on = _day(on)
    given = _number(quantity, "quantity")
    assert given is not None
    value = _in_unit(item, given, unit)
    _evidence(source, certainty)
    note = _text(note, "note")
    with transaction.atomic():
        entry = ledger.append(
            "supply.counted",
            by=by,
            subjects=[f"site:{item.site.code}", f"supply:{item.code}"],
            payload={
                **(extra or {}),  # e.g. the field submission an import recorded this from; never overrides
                "site": item.site.code,
                "item": item.code,
                "date": on.isoformat(),
                "quantity": value,
                "unit": item.unit,
                "note": note or None,
                "synthetic": bool(synthetic),
                **_reported(item, given, unit),
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
        return StockRecord.objects.create(
            item=item,
            on=on,
            kind=StockRecord.Kind.COUNT,
            quantity=value,
            reason=note,
            source=source,
            certainty=certainty,
            synthetic=bool(synthetic),
            recorded_seq=entry.seq,
        )


def record_adjustment(
    *,
    item: SupplyItem,
    on: dt.date,
    quantity: float,
    unit: str,
    reason: str,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    synthetic: bool = False,
    extra: dict[str, Any] | None = None,
) -> StockRecord:
    """A change of stock that is not use: negative for a loss, spoilage or theft, positive for stock found.

    Refused when it would take more than the recorded stock (the last count plus what came in since).
    """
    require(by, Can.MANAGE_TRIPS)
    on = _day(on)
    given = _number(quantity, "quantity", minimum=None)
    assert given is not None
    if given == 0:
        raise InvalidInput(_("an adjustment of zero changes nothing"), "quantity", code="adjustment.zero")
    value = _in_unit(item, given, unit)
    reason = _text(reason, "reason", required=True)
    _evidence(source, certainty)
    with transaction.atomic():
        counts, movements = counts_and_movements(item)
        # A count is the stock at the close of its day, after that day's adjustments: what an adjustment
        # can take is bounded by the count before its day and what came in since, less other adjustments.
        upper = autonomy.stock_on(on, [c for c in counts if c.on < on], movements, daily_use=None)
        if upper is None:
            raise InvalidInput(
                _("%(item)s was not counted before %(on)s; count it before adjusting it"),
                "on",
                code="adjustment.not_counted",
                item=item.code,
                on=on,
            )
        if upper + value < -1e-9:
            raise InvalidInput(
                _(
                    "%(quantity)s %(unit)s cannot be taken off %(item)s: at most %(most)s %(unit)s are "
                    "recorded on %(on)s (the count before plus what came in since)"
                ),
                "quantity",
                code="adjustment.more_than_stock",
                quantity=_g(-value),
                unit=item.unit,
                item=item.code,
                most=_g(upper),
                on=on,
            )
        entry = ledger.append(
            "supply.adjusted",
            by=by,
            subjects=[f"site:{item.site.code}", f"supply:{item.code}"],
            payload={
                **(extra or {}),  # e.g. the field submission an import recorded this from; never overrides
                "site": item.site.code,
                "item": item.code,
                "date": on.isoformat(),
                "quantity": value,
                "unit": item.unit,
                "reason": reason,
                "synthetic": bool(synthetic),
                **_reported(item, given, unit),
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
        return StockRecord.objects.create(
            item=item,
            on=on,
            kind=StockRecord.Kind.ADJUSTMENT,
            quantity=value,
            reason=reason,
            source=source,
            certainty=certainty,
            synthetic=bool(synthetic),
            recorded_seq=entry.seq,
        )


# ---------------------------------------------------------------------------------------- deliveries


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
        )
        entry = ledger.append(
            "supply.requested",
            by=by,
            subjects=_delivery_subjects(delivery),
            payload={
                **(extra or {}),  # e.g. the field submission an import recorded this from; never overrides
                **_delivery_payload(delivery),
                "date": on.isoformat(),
                "quantity": amount,
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
        delivery.requested_seq = entry.seq
        delivery.save(update_fields=["requested_seq"])
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
        delivery = Delivery.objects.create(
            site=site,
            item=target,
            category=category,
            requested_on=on,
            quantity_requested=amount,
            unit=unit_text,
            status=Delivery.Status.BLOCKED,
            decided_on=on,
            quantity_allowed=0.0,
            reason=reason,
            source=source,
            certainty=certainty,
            synthetic=bool(synthetic),
        )
        entry = ledger.append(
            "supply.blocked",
            by=by,
            subjects=_delivery_subjects(delivery),
            payload={
                **(extra or {}),  # e.g. the field submission an import recorded this from; never overrides
                **_delivery_payload(delivery),
                "date": on.isoformat(),
                "quantity": amount,
                "quantity_allowed": 0.0,
                "reason": reason or None,
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
        delivery.requested_seq = delivery.decided_seq = entry.seq
        delivery.save(update_fields=["requested_seq", "decided_seq"])
    return entry


# --------------------------------------------------------------------------------------------- power


def add_generator(
    *, site: Site, code: str, fuel: SupplyItem, litres_per_hour: float, synthetic: bool = False, by: Actor
) -> Generator:
    """A generator burning ``fuel`` (an item kept in litres) at ``litres_per_hour`` at the camp's usual load."""
    _require_any(by, Can.MANAGE_REFERENCE, Can.MANAGE_TRIPS)
    code = (code or "").strip()
    if not _CODE.match(code):
        raise InvalidInput(
            _("use %(least)s–%(most)s letters, digits, '.', '_' or '-'"),
            "code",
            code="supply.bad_code",
            least=1,
            most=32,
        )
    if fuel.site_id != site.pk:
        raise InvalidInput(_("%(item)s is an item of another site"), "fuel", code="supply.other_site", item=fuel.code)
    try:
        autonomy.convert(1, "litres", fuel.unit, item=fuel.code)
    except autonomy.UnitMismatch:
        raise InvalidInput(
            _("a generator's fuel is kept in litres; %(item)s is kept in %(unit)s"),
            "fuel",
            code="generator.fuel_not_litres",
            item=fuel.code,
            unit=fuel.unit,
        ) from None
    rate = _number(litres_per_hour, "litres_per_hour")
    if not rate:
        raise InvalidInput(_("must be more than zero"), "litres_per_hour", code="generator.no_burn_rate")
    with transaction.atomic():
        if Generator.objects.filter(site=site, code=code).exists():
            raise Conflict(
                _("%(site)s already has a generator %(generator)s"),
                code="generator.exists",
                site=site.code,
                generator=code,
            )
        generator = Generator.objects.create(
            site=site, code=code, fuel=fuel, litres_per_hour=rate, synthetic=bool(synthetic)
        )
        ledger.append(
            "power.generator_added",
            by=by,
            subjects=[f"site:{site.code}", f"generator:{code}", f"supply:{fuel.code}"],
            payload={
                "site": site.code,
                "generator": code,
                "fuel": fuel.code,
                "litres_per_hour": rate,
                "synthetic": bool(synthetic),
            },
        )
    return generator


def record_power_day(
    *,
    generator: Generator,
    on: dt.date,
    hours_run: float | None = None,
    fuel_used: float | None = None,
    outage_hours: float | None = None,
    note: str = "",
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.CONFIRMED,
    extra: dict[str, Any] | None = None,
) -> PowerDay:
    """A generator's hours on one day and the hours the camp was without power.

    Hours not given are derived from the fuel used at the generator's burn rate; outage hours not given
    are the rest of the day.
    """
    require(by, Can.MANAGE_TRIPS)
    on = _day(on)
    hours = _number(hours_run, "hours_run", allow_none=True)
    fuel = _number(fuel_used, "fuel_used", allow_none=True)
    outage = _number(outage_hours, "outage_hours", allow_none=True)
    if hours is None:
        if fuel is None:
            raise InvalidInput(
                _("give the hours the generator ran, or the fuel it used"), "hours_run", code="power.no_hours"
            )
        hours = autonomy.generator_hours(fuel, generator.litres_per_hour)[0]
        assert hours is not None
    if hours > 24:
        raise InvalidInput(_("a day has %(hours)s hours"), "hours_run", code="power.more_than_a_day", hours=24)
    if outage is None:
        outage = 24.0 - hours
    if hours + outage > 24 + 1e-9:
        raise InvalidInput(
            _("%(hours)s hours run and %(outage)s without power make more than a day"),
            "outage_hours",
            code="power.more_than_a_day",
            hours=_g(hours),
            outage=_g(outage),
        )
    _evidence(source, certainty)
    note = _text(note, "note")
    with transaction.atomic():
        if PowerDay.objects.filter(generator=generator, on=on).exists():
            raise Conflict(
                _("%(generator)s's hours on %(on)s are already recorded; correct that entry instead"),
                code="power.already_recorded",
                generator=generator.code,
                on=on,
            )
        entry = ledger.append(
            "power.recorded",
            by=by,
            subjects=[f"site:{generator.site.code}", f"generator:{generator.code}"],
            payload={
                **(extra or {}),  # e.g. the field submission an import recorded this from; never overrides
                "site": generator.site.code,
                "generator": generator.code,
                "date": on.isoformat(),
                "hours_run": round(hours, 2),
                "outage_hours": round(outage, 2),
                "fuel_used": fuel,
                "note": note or None,
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
        return PowerDay.objects.create(
            generator=generator,
            on=on,
            hours_run=round(hours, 2),
            outage_hours=round(outage, 2),
            fuel_used=fuel,
            note=note,
            source=source,
            certainty=certainty,
            recorded_seq=entry.seq,
        )


# ---------------------------------------------------------------------------------------- dependence


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


def end_dependence(dependence: Dependence, *, on: dt.date, reason: str, by: Actor) -> Dependence:
    """A patient no longer depends on the supply (treated, moved to another supply, died, left)."""
    _require_any(by, Can.MANAGE_PATIENTS, Can.MANAGE_REFERRALS)
    on = _day(on)
    reason = _text(reason, "reason", required=True)
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
            occurred_on=on,
        )
    return dependence


# ---------------------------------------------------------------------------------------- incidents


def record_incident(
    *,
    site: Site,
    kind: str,
    resource: str,
    description: str,
    on: dt.date,
    subjects: list[str] | None = None,
    by: Actor,
    source: str = Source.WITNESS,
    certainty: str = Certainty.UNVERIFIED,
) -> Entry:
    """An obstruction of health care, in the WHO SSA's terms: the kind of attack and the resource affected."""
    require(by, Can.RECORD_INCIDENTS)
    require_site(by, site)  # only at a site the user works at; another site's is not found
    if not description.strip():
        raise InvalidInput(_("describe what happened"), "description", code="incident.no_description")
    if not kind.strip() or not resource.strip():
        raise InvalidInput(_("give the kind of incident and the resource affected"), "kind", code="incident.no_kind")
    on = _day(on)  # an incident is recorded once it has happened, as every other dated event
    with transaction.atomic():
        return ledger.append(
            "incident.recorded",
            by=by,
            subjects=[f"site:{site.code}", *(subjects or [])],
            payload={
                "site": site.code,
                "kind": kind.strip(),
                "resource": resource.strip(),
                "description": description.strip(),
                "date": on.isoformat(),
            },
            source=source,
            certainty=certainty,
            occurred_on=on,
        )
