"""The blockade's actions: supplies, their stock, deliveries stopped or let through at the gate, power, dependence.

One small module per family of actions (as zulip's ``zerver/actions/``): :mod:`.items`, :mod:`.stock`,
:mod:`.deliveries`, :mod:`.power`, :mod:`.dependences`, :mod:`.incidents`; the checks they share are in
:mod:`._common`. Callers read them as one namespace (``from corridor.supplies import actions as supplies``;
``supplies.record_count(...)``), which is why the functions are named here.

Every function validates its input first and raises :class:`corridor.errors.InvalidInput` (naming the
field), :class:`NotAllowed`, :class:`Conflict` or :class:`NotFound` before anything is written; then it
writes its rows and its ledger entry in one transaction.

Who may do what (checked here, and again by the pages):

- items, thresholds, set daily use, generators: coordinators and admins (reference data);
- stock counts, adjustments, power days and delivery requests: coordinators;
- what the gate did with a delivery, and blocked deliveries: coordinators and monitors;
- a patient's dependence on a supply: coordinators and clinicians.
"""

from corridor.supplies.actions._common import ITEMS
from corridor.supplies.actions.deliveries import decide_delivery, record_blocked_delivery, request_delivery
from corridor.supplies.actions.dependences import end_dependence, record_dependence
from corridor.supplies.actions.incidents import record_incident
from corridor.supplies.actions.items import change_item, define_item, get_item
from corridor.supplies.actions.power import add_generator, record_power_day
from corridor.supplies.actions.stock import counts_and_movements, record_adjustment, record_count

__all__ = [
    "ITEMS",
    "add_generator",
    "change_item",
    "counts_and_movements",
    "decide_delivery",
    "define_item",
    "end_dependence",
    "get_item",
    "record_adjustment",
    "record_blocked_delivery",
    "record_count",
    "record_dependence",
    "record_incident",
    "record_power_day",
    "request_delivery",
]
