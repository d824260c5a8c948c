"""``{% load supplies %}{% blockade_card %}``: the blockade card for the dashboard, and its colours."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from corridor import clock
from corridor.supplies import display
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
