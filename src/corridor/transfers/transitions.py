"""The trip's state machine as data: one table that the services enforce and every edge reads.

Each gate transition names the states it may start from, the state it leads to, the ledger event it
writes, the capability it needs, and a guard: a question asked of the trip (read again under its row
lock inside the service's transaction) that answers why the step cannot be recorded now, or ``None``.
The web shows a button, and the API accepts a call, exactly when :func:`refusal` finds nothing; the
service asks the same question on the locked row, so a second identical tap is answered "already
recorded" and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_noop as _

from corridor.accounts.roles import Can
from corridor.errors import Conflict
from corridor.transfers.models import Trip

S = Trip.Status


@dataclass(frozen=True)
class Transition:
    name: str
    from_states: tuple[str, ...]
    to_state: str | None  # None: the status stays what it is (a step within "departed")
    event: str
    capability: Can
    guard: Callable[[Trip], str | None] = lambda trip: None
    # When the web offers the button, beyond what the guard allows: the usual order of a trip's day.
    # (The service accepts what the guard allows: a field report may skip a step nobody saw.)
    offered: Callable[[Trip], bool] = lambda trip: True

    def target(self, trip: Trip) -> str:
        return self.to_state or trip.status


def _at_gate(trip: Trip) -> bool:
    """Reached the gate and not yet let through or sent back."""
    return trip.gate_arrived_at is not None and trip.gate_released_at is None and not trip.turned_back_at_gate


def _hhmm(trip: Trip, moment: object) -> str:
    import datetime as dt
    import zoneinfo

    if not isinstance(moment, dt.datetime):
        return ""
    return moment.astimezone(zoneinfo.ZoneInfo(trip.site.time_zone)).strftime("%H:%M")


def _gate_arrival(trip: Trip) -> str | None:
    if trip.gate_arrived_at is not None:
        return f"already recorded: trip {trip.code} reached the gate at {_hhmm(trip, trip.gate_arrived_at)}"
    return None


def _hold(trip: Trip) -> str | None:
    if trip.held_since is not None:
        return f"already recorded: trip {trip.code} is held at the gate since {_hhmm(trip, trip.held_since)}"
    if not _at_gate(trip):
        return f"trip {trip.code} is not waiting at the gate"
    return None


def _release(trip: Trip) -> str | None:
    if trip.gate_released_at is not None:
        return f"already recorded: trip {trip.code} was released at {_hhmm(trip, trip.gate_released_at)}"
    if trip.gate_arrived_at is None:
        return f"record when trip {trip.code} reached the gate first"
    return None


def _turned_back(trip: Trip) -> str | None:
    if trip.gate_released_at is not None:
        return f"trip {trip.code} was already let through the gate"
    if trip.gate_arrived_at is None:
        return f"record when trip {trip.code} reached the gate first"
    return None


def _hospital(trip: Trip) -> str | None:
    if trip.hospital_arrived_at is not None:
        return f"already recorded: trip {trip.code} reached the hospital at {_hhmm(trip, trip.hospital_arrived_at)}"
    return None


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("approve", (S.REQUESTED,), S.APPROVED, "trip.approved", Can.MANAGE_TRIPS),
        Transition("deny", (S.REQUESTED,), S.DENIED, "trip.denied", Can.MANAGE_TRIPS),
        Transition("depart", (S.APPROVED,), S.DEPARTED, "trip.departed", Can.RECORD_GATE),
        # Reaching the gate of an approved trip records its departure first, in the same transaction.
        Transition(
            "gate_arrived", (S.APPROVED, S.DEPARTED), S.DEPARTED, "gate.arrived", Can.RECORD_GATE, _gate_arrival
        ),
        Transition("gate_held", (S.DEPARTED,), None, "gate.held", Can.RECORD_GATE, _hold),
        Transition("gate_released", (S.DEPARTED,), None, "gate.released", Can.RECORD_GATE, _release),
        Transition("turned_back", (S.DEPARTED,), S.RETURNED, "gate.turned_back", Can.RECORD_GATE, _turned_back),
        Transition(
            "hospital_arrived",
            (S.DEPARTED,),
            None,
            "trip.arrived",
            Can.RECORD_GATE,
            _hospital,
            offered=lambda t: t.gate_released_at is not None,
        ),
        Transition(
            "returned",
            (S.DEPARTED,),
            S.RETURNED,
            "trip.returned",
            Can.RECORD_GATE,
            offered=lambda t: t.hospital_arrived_at is not None,
        ),
        Transition("cancel", (S.REQUESTED, S.APPROVED), S.CANCELLED, "trip.cancelled", Can.RECORD_GATE),
    )
}

# Each ledger event that sets a trip's status -> that status: the request, then each step of the table
# that moves the status. What a trip's status is follows from the latest of these entries that stands.
STATUS_EVENTS: dict[str, str] = {
    "trip.requested": S.REQUESTED,
    **{t.event: t.to_state for t in TRANSITIONS.values() if t.to_state is not None},
}


def refusal(name: str, trip: Trip) -> str | None:
    """Why transition ``name`` cannot be recorded on ``trip`` now (``None`` when it can)."""
    why = conflict(name, trip)
    return None if why is None else str(why)


def conflict(name: str, trip: Trip) -> Conflict | None:
    """The refusal of transition ``name`` on ``trip`` now, with its code and values (``None`` when allowed)."""
    step = TRANSITIONS[name]
    status = trip.status  # a code: the English sentence says it as it is, each edge in its own words
    if trip.status not in step.from_states:
        if step.to_state is not None and trip.status == step.to_state:
            return Conflict(
                _("already recorded: trip %(trip)s is already %(status)s"),
                code="trip.already_recorded",
                trip=trip.code,
                status=status,
            )
        return Conflict(
            _("trip %(trip)s is %(status)s; cannot record %(event)s"),
            code="trip.wrong_state",
            trip=trip.code,
            status=status,
            event=step.event,
        )
    guarded = step.guard(trip)
    return None if guarded is None else Conflict(guarded, code="trip.not_now")


def allowed(name: str, trip: Trip) -> bool:
    """Whether the service (and so the API) accepts transition ``name`` on ``trip`` now."""
    return refusal(name, trip) is None


def offered(name: str, trip: Trip) -> bool:
    """Whether the web offers transition ``name``'s button on ``trip``: allowed, and its usual moment."""
    return allowed(name, trip) and TRANSITIONS[name].offered(trip)
