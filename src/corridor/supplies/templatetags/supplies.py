"""``{% load supplies %}{% blockade_card %}``: the blockade card for the dashboard, and its colours."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from corridor import clock
from corridor.notices import Notice
from corridor.supplies import display, queries, wording
from corridor.supplies.chart import LEVEL_COLOURS
from corridor.supplies.models import Dependence

register = template.Library()

LEVEL_LABELS = {
    "critical": _("critical"),
    "low": _("low"),
    "ok": _("enough"),
    "unknown": _("no estimate"),
}


@register.inclusion_tag("supplies/_dashboard_card.html", takes_context=True)
def blockade_card(context: template.Context) -> dict[str, Any]:
    """The card for the site and day of the page it is on (the dashboard's ``site`` and ``today``)."""
    today = context.get("today") or clock.today()
    return display.card(context.get("site"), today)


@register.filter
def level_colour(level: str) -> str:
    return LEVEL_COLOURS.get(level, LEVEL_COLOURS["unknown"])


@register.filter
def level_label(level: str) -> str:
    return str(LEVEL_LABELS.get(level, level))


@register.filter
def need_labels(needs: tuple[str, ...]) -> str:
    """The needs of a patient at risk in words ("dialysis, medicine kept cold (insulin…)")."""
    words = dict(Dependence.Need.choices)
    return ", ".join(str(words.get(need, _("power") if need == "power" else need)) for need in needs)


@register.filter
def notice(value: Notice, names: dict[str, str] | None = None) -> SafeString:
    """An alert or note of an item in the active language."""
    return wording.html(value, names)


@register.filter
def alert_text(value: queries.Alert, names: dict[str, str] | None = None) -> SafeString:
    return wording.html_alert(value, names)


@register.filter
def unit(value: str) -> str:
    return wording.unit(value or "")


@register.filter
def on_day(value: dt.date | None) -> SafeString | str:
    """A date that does not break across lines, or a dash."""
    return wording.day(value) if value else "—"


@register.simple_tag
def between(low: float | None, high: float | None, decimals: int = 1) -> SafeString:
    return wording.between(low, high, decimals)


@register.filter
def get_item(names: dict[str, str] | None, code: str) -> str:
    """What people call the item with ``code`` (the code itself when it has no name)."""
    return (names or {}).get(code, code)


@register.filter
def names_of(codes: tuple[str, ...], names: dict[str, str] | None) -> str:
    return wording.and_list([get_item(names, c) for c in codes])


@register.filter
def month_of(value: dt.date) -> str:
    return wording.month(value)


@register.filter
def share(value: float) -> str:
    """A share as a percentage in the active language's digits."""
    return wording.percent(value)
