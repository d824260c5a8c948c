"""The blockade: deliveries of fuel, food, medicine and services stopped at the gate."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from corridor.accounts.roles import Actor, Can, require
from corridor.clock import start_of
from corridor.errors import InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Certainty, Source
from corridor.ledger.models import Entry
from corridor.register.models import Site

ITEMS = ("diesel", "food", "medicine", "oxygen", "water", "sewage_service", "other")


def record_blocked_delivery(
    *,
    site: Site,
    item: str,
    on: dt.date,
    quantity: float | None = None,
    unit: str = "",
    reason: str = "",
    by: Actor,
    source: str,
    certainty: str,
) -> Entry:
    """A delivery was stopped at the gate: what, how much, and the reason given (if any)."""
    require(by, Can.RECORD_INCIDENTS)
    if item not in ITEMS:
        raise InvalidInput(f"must be one of {', '.join(ITEMS)}", "item")
    if quantity is not None and (not isinstance(quantity, int | float) or quantity < 0):
        raise InvalidInput("must be a number, zero or more", "quantity")
    if quantity is not None and not unit.strip():
        raise InvalidInput("give the unit of the quantity (litres, rations, packs…)", "unit")
    with transaction.atomic():
        return ledger.append(
            "supply.blocked",
            by=by,
            subjects=[f"site:{site.code}", f"supply:{item}"],
            payload={
                "site": site.code,
                "item": item,
                "date": on.isoformat(),
                "quantity": quantity,
                "unit": unit.strip(),
                "reason": reason.strip() or None,
            },
            source=source,
            certainty=certainty,
            occurred_at=start_of(on),
        )


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
    if not description.strip():
        raise InvalidInput("describe what happened", "description")
    if not kind.strip() or not resource.strip():
        raise InvalidInput("give the kind of incident and the resource affected", "kind")
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
            occurred_at=start_of(on),
        )
