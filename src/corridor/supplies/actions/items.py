"""Supply items: defined, changed and looked up at a site (reference data: coordinators and admins)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor import validate
from corridor.accounts.roles import Actor, Can
from corridor.errors import Conflict, InvalidInput
from corridor.ledger import services as ledger
from corridor.register.models import Site
from corridor.supplies import autonomy
from corridor.supplies.actions._common import ITEMS, _code, _number, _require_any, _text
from corridor.supplies.models import SupplyItem

_UNSET: Any = object()


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
    code = _code(code)
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
    changes = validate.name_changes(name, names)
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
