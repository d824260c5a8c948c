"""Stock: counts taken, adjustments made, and what the pure core reads of them (coordinators)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor.accounts.roles import Actor, Can, require
from corridor.errors import InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Certainty, Source
from corridor.register.scoping import require_site
from corridor.supplies import autonomy
from corridor.supplies.actions._common import _day, _g, _in_unit, _number, _reported, _text
from corridor.supplies.models import Delivery, StockRecord, SupplyItem
from corridor.validate import evidence as _evidence


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
    require_site(by, item.site)  # only at a site the user works at; another site's is not found
    on = _day(on)
    given = _number(quantity, "quantity")
    assert given is not None
    value = _in_unit(item, given, unit)
    _evidence(source, certainty)
    note = _text(note, "note")
    with transaction.atomic():
        return _write(
            "supply.counted",
            StockRecord.Kind.COUNT,
            item=item,
            on=on,
            value=value,
            given=given,
            unit=unit,
            text=("note", note),
            by=by,
            source=source,
            certainty=certainty,
            synthetic=synthetic,
            extra=extra,
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
    require_site(by, item.site)
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
        return _write(
            "supply.adjusted",
            StockRecord.Kind.ADJUSTMENT,
            item=item,
            on=on,
            value=value,
            given=given,
            unit=unit,
            text=("reason", reason),
            by=by,
            source=source,
            certainty=certainty,
            synthetic=synthetic,
            extra=extra,
        )


def _write(
    event: str,
    kind: str,
    *,
    item: SupplyItem,
    on: dt.date,
    value: float,
    given: float,
    unit: str,
    text: tuple[str, str],
    by: Actor,
    source: str,
    certainty: str,
    synthetic: bool,
    extra: dict[str, Any] | None,
) -> StockRecord:
    """A stock record and its ledger entry (the caller holds the transaction): a count's note or an
    adjustment's reason goes under its own key, as the event catalogue names it."""
    key, words = text
    entry = ledger.append(
        event,
        by=by,
        subjects=[f"site:{item.site.code}", f"supply:{item.code}"],
        payload={
            **(extra or {}),  # e.g. the field submission an import recorded this from; never overrides
            "site": item.site.code,
            "item": item.code,
            "date": on.isoformat(),
            "quantity": value,
            "unit": item.unit,
            key: words or None,
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
        kind=kind,
        quantity=value,
        reason=words,
        source=source,
        certainty=certainty,
        synthetic=bool(synthetic),
        recorded_seq=entry.seq,
    )
