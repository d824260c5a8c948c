"""What every supply action checks the same way: who may act, numbers, days, units, text."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils.translation import gettext_noop as _

from corridor import clock, validate
from corridor.accounts.roles import Actor, Can, can
from corridor.errors import InvalidInput, NotAllowed
from corridor.supplies import autonomy
from corridor.supplies.models import Category, SupplyItem

ITEMS = tuple(Category.values)


# What a role that may not act is told, by the first capability the act needs.
_NOT_ALLOWED = {
    Can.MANAGE_REFERENCE: _("your role may not manage reference"),
    Can.MANAGE_PATIENTS: _("your role may not manage patients"),
}


def _require_any(by: Actor, *capabilities: Can) -> None:
    if not any(can(by, c) for c in capabilities):
        raise NotAllowed(_NOT_ALLOWED[capabilities[0]], code="supply.not_allowed")


def _code(value: str | None) -> str:
    """An item's or a generator's code, stripped; refused unless it is letters, digits, '.', '_' or '-'."""
    code = (value or "").strip()
    if not validate.CODE.match(code):
        raise InvalidInput(
            _("use %(least)s–%(most)s letters, digits, '.', '_' or '-'"),
            "code",
            code="supply.bad_code",
            least=1,
            most=32,
        )
    return code


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
