"""What the blockade card and the supplies page show, gathered in one place for both (read only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from corridor.register.models import Site
from corridor.supplies import chart, queries, wording
from corridor.supplies.models import SupplyItem

CHART_PAST_DAYS = 120
CHART_AHEAD_DAYS = 21


def item_chart(item: SupplyItem, state: queries.ItemStatus, today: dt.date, *, width: int = 320) -> SafeString:
    """The stock of ``item`` over the last months and its projection, as inline SVG (escaped in chart)."""
    start = today - dt.timedelta(days=CHART_PAST_DAYS)
    end = today + dt.timedelta(days=CHART_AHEAD_DAYS)
    points = queries.stock_history(item, start, end, today)
    svg = chart.stock_svg(
        points,
        title=item.name_in(get_language()),
        unit=wording.unit(item.unit),
        today=today,
        threshold=item.critical_threshold,
        blocked_since=state.blocked_since,
        level=state.level,
        width=width,
        words=wording.chart_words(),
    )
    return mark_safe(svg)  # noqa: S308 - built from numbers and escaped labels only (see corridor.supplies.chart)


def card(site: Site | None, today: dt.date) -> dict[str, Any]:
    """The dashboard card: each item's autonomy in its colour, the alerts, charts of the items in alert
    (the fuel first), and the patients at risk first."""
    if site is None:
        return {"items": []}
    statuses = queries.status(site, today)
    if not statuses:
        return {"items": [], "site": site}
    by_code = {s.code: s for s in statuses}
    items = {i.code: i for i in SupplyItem.objects.filter(site=site)}
    fuel = queries.power_item(site)
    # The fuel everything hangs on, then the medicine that runs out first: at most two charts on the card.
    shown = [fuel.code] if fuel is not None and fuel.code in by_code else []
    medicines = sorted(
        (s for s in statuses if s.category == "medicine" and s.days_of_autonomy is not None),
        key=lambda s: s.days_of_autonomy or 0.0,
    )
    shown += [s.code for s in medicines[:1]]
    if len(shown) < 2:
        shown += [s.code for s in statuses if s.level == "critical" and s.code not in shown]
    risks = queries.patients_at_risk(site, today, statuses)
    dated = [r.at_risk_from for r in risks if r.at_risk_from is not None]
    return {
        "site": site,
        "today": today,
        "items": statuses,
        "alerts": queries.alerts(site, today, statuses),
        "alert_days": queries.alert_days(),
        "charts": [{"status": by_code[c], "svg": item_chart(items[c], by_code[c], today)} for c in shown[:2]],
        "at_risk": len(risks),
        "first_at_risk": min(dated, default=None),
        "first_risks": risks[:5],
        "power": queries.power(site, today, statuses),
        "names": {code: item.name_in(get_language()) for code, item in items.items()},
    }
