"""``{% trip_companions %}``: the trip page's card of companions asked for and the authority's answers."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("corridor/trips/_companions.html", takes_context=True)
def trip_companions(context: template.Context) -> dict[str, Any]:
    from corridor.web.views.companions import companions_context

    if "companion_rows" in context:  # a form sent back with the service's refusal beside it
        shown = {"companion_rows": context["companion_rows"], "companion_forms": context["companion_forms"]}
    else:
        shown = companions_context(context["request"], context["trip"])
    return {
        **shown,
        "trip": context["trip"],
        "caps": context.get("caps", set()),
        "csrf_token": context.get("csrf_token"),
    }
