"""The blockade's indicators in the report catalogue: days of autonomy per supply, blockade days in the
month, and the share of requested deliveries let through. The reports app imports this module at start-up.

docs/indicators.md documents each indicator in the same words (a test compares them); docs/blockade.md
explains the arithmetic behind them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from corridor.register.models import Site
from corridor.reports import strings
from corridor.reports.catalogue import Indicator, Result, Value, define_section, register
from corridor.reports.core import Column, Period, Table
from corridor.reports.queries import scoped
from corridor.supplies import autonomy, queries
from corridor.supplies.models import Delivery, SupplyItem

SECTION = "supplies"
SOURCE = (
    "supplies_supplyitem, supplies_stockrecord (counts and adjustments) and supplies_delivery (requested, "
    "allowed, partly allowed or blocked; of one item or a whole category), through corridor.supplies.queries"
)

define_section(
    SECTION,
    gettext_noop("Supplies under blockade"),
    order=55,
)

# Words for this section's table headings (gettext messages); added only where the report has none of its own.
strings.add_words(
    {
        "by.item": _("supply"),
        "col.unit": _("Unit"),
        "col.stock": _("Stock"),
        "col.days_of_autonomy": _("Days of autonomy"),
        "col.run_out": _("Runs out"),
        "col.blockade_days": _("Blockade days"),
        "col.answered": _("Deliveries answered"),
        "col.share_allowed": _("Let through %"),
    }
)

DAYS_OF_AUTONOMY = Indicator(
    code="supplies.days_of_autonomy",
    section=SECTION,
    title=gettext_noop("Days of autonomy, scarcest supply"),
    definition=gettext_noop(
        "How many days the scarcest supply lasts at its expected daily use, on the as-of date; every "
        "supply in the table."
    ),
    formula="the least, over the supply items, of the stock on the as-of date divided by the expected daily use "
    "(the mean use between counts in the 28 days before, or the daily use set); the stock is the last count plus "
    "what came in since, less the expected use since (docs/blockade.md)",
    unit="days",
    breakdowns=("supply",),
    source=SOURCE,
)
BLOCKADE_DAYS = Indicator(
    code="supplies.blockade_days",
    section=SECTION,
    title=gettext_noop("Blockade days"),
    definition=gettext_noop(
        "Days of the period on which deliveries of at least one supply were under blockade; every supply in the table."
    ),
    formula="count of the days from the 1st to the as-of date inside a blockade period of any supply item: from a "
    "blocked delivery of the item (or of its whole category) to the day before the next delivery allowed in full",
    unit="days",
    breakdowns=("supply",),
    source=SOURCE,
)
SHARE_ALLOWED = Indicator(
    code="supplies.share_allowed",
    section=SECTION,
    title=gettext_noop("Deliveries let through"),
    definition=gettext_noop(
        "Share of the deliveries requested in the period, and answered, that the gate let through."
    ),
    formula="100 × (deliveries allowed + the sum over deliveries partly allowed of the quantity allowed ÷ the "
    "quantity requested) ÷ deliveries allowed, partly allowed or blocked, among those requested from the 1st to the "
    "as-of date; deliveries still awaiting an answer are left out",
    unit="%",
    breakdowns=("supply",),
    source=SOURCE,
)


def compute(period: Period) -> Result:
    """The three indicators for ``period`` over every site, with one row per supply item."""
    sites = list(scoped(Site.objects.order_by("code")))
    several = len(sites) > 1
    rows: list[list[object]] = []
    all_periods: list[autonomy.Period] = []
    shortest: float | None = None
    for site in sites:
        statuses = {s.code: s for s in queries.status(site, period.as_of)}
        figures = {f.item: f for f in queries.month_figures(site, period.start.year, period.start.month, period.as_of)}
        for item in SupplyItem.objects.filter(site=site):
            state, month = statuses[item.code], figures[item.code]
            all_periods += queries.periods_for(item, period.as_of)
            if state.days_of_autonomy is not None:
                shortest = state.days_of_autonomy if shortest is None else min(shortest, state.days_of_autonomy)
            rows.append(
                [
                    f"{site.code} {item.code}" if several else item.code,
                    item.unit,
                    None if state.stock is None else round(state.stock),
                    None if state.days_of_autonomy is None else round(state.days_of_autonomy, 1),
                    state.run_out_date.isoformat() if state.run_out_date else None,
                    month.blockade_days,
                    month.deliveries_decided,
                    None if month.share_allowed is None else round(100 * month.share_allowed, 1),
                ]
            )
    answered = scoped(Delivery.objects.filter(requested_on__gte=period.start, requested_on__lte=period.as_of)).exclude(
        status=Delivery.Status.REQUESTED
    )
    decisions = [
        autonomy.Decision(d.requested_on, d.status, d.quantity_requested, d.quantity_allowed) for d in answered
    ]
    share, _ = autonomy.share_allowed(decisions)
    table = Table(
        "supplies.by_item",
        [
            Column("item", "label"),
            Column("unit", "label"),
            Column("stock", "quantity"),
            Column("days_of_autonomy", "days"),
            Column("run_out", "label"),
            Column("blockade_days", "days"),
            Column("answered", "deliveries"),
            Column("share_allowed", "share"),
        ],
        rows,
        indicator=DAYS_OF_AUTONOMY.code,
    )
    return Result(
        values={
            DAYS_OF_AUTONOMY.code: Value(None if shortest is None else round(shortest, 1)),
            BLOCKADE_DAYS.code: Value(autonomy.blockade_days(all_periods, period.start, period.as_of)),
            SHARE_ALLOWED.code: Value(None if share is None else round(100 * share, 1)),
        },
        tables=[table],
    )


register(DAYS_OF_AUTONOMY, BLOCKADE_DAYS, SHARE_ALLOWED, compute=compute)
