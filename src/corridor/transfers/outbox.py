"""Gate steps tapped on a phone without a connection, applied when its outbox is sent.

The phone gives each tap a key (a UUID) and reads its clock at the tap. :func:`apply_tap` applies a
tap once: the key is looked up under the trip's row lock, and a :class:`~corridor.transfers.models.GateTap`
row with the key (unique) is written in the transaction that appends the step's ledger entry, whose
payload carries the key and the tap's time. A tap sent again, by the same phone or through another
server process, finds its row and is answered with what it became the first time; nothing is added.

A tap the trip no longer accepts (another monitor recorded the step meanwhile, the trip was sent back)
is answered with a conflict and writes nothing, so it has no row either: sent again, it is asked of the
trip as it then is. The phone shows the conflict and stops sending that tap.

The time of the tap is the moment of the step (it is what the monitor saw), unless the monitor entered
another; either way it is checked like any entered time. The entry's ``recorded_at`` stays the server's
clock, so a tap sent hours later shows it was recorded late.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from corridor import clock
from corridor.accounts.roles import Actor, Can, require
from corridor.errors import Conflict, InvalidInput
from corridor.ledger import canonical
from corridor.ledger import services as ledger
from corridor.transfers import services, transitions
from corridor.transfers.models import GateTap, Trip

Recorder = Callable[..., Trip]


def _hold(trip: Trip, *, at: dt.datetime, entered: dt.datetime | None, **kw: Any) -> Trip:
    # The hold began when the monitor said (prefilled: the arrival), and was seen at the tap.
    return services.record_gate_hold(trip, since=entered or at, at=at, **kw)


def _moment(recorder: Recorder) -> Recorder:
    def record(trip: Trip, *, at: dt.datetime, entered: dt.datetime | None, **kw: Any) -> Trip:
        return recorder(trip, at=entered or at, **kw)

    return record


# The steps a phone may tap offline: the gate timeline, each needing a moment and nothing a monitor
# cannot say at the gate. Approving, denying, cancelling and outcomes wait for a connection.
STEPS: dict[str, Recorder] = {
    "gate_arrived": _moment(services.record_gate_arrival),
    "gate_held": _hold,
    "gate_released": _moment(services.record_gate_release),
    "turned_back": _moment(services.record_turned_back),
    "hospital_arrived": _moment(services.record_hospital_arrival),
    "returned": _moment(services.record_return),
}
# What each step takes besides the moment.
TEXTS = {"gate_held": "note", "turned_back": "reason"}


@dataclass(frozen=True)
class TapResult:
    """What became of one tap: ``recorded`` (``replayed`` when an earlier sending applied it),
    ``conflict`` (the trip changed meanwhile) or ``refused`` (the tap itself is wrong)."""

    key: str
    step: str
    status: str
    seqs: tuple[int, ...] = ()
    replayed: bool = False
    detail: str = ""
    field: str | None = None


def parse_key(value: object) -> uuid.UUID:
    """The tap's key as a UUID, or InvalidInput."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(_("must be a UUID"), "key", code="tap.key_not_a_uuid") from None


def phone_time(value: object, zone: str) -> dt.datetime:
    """The phone's clock at the tap, as sent (ISO 8601 with its offset), placed on Corridor's clock.

    On a scenario's clock (the demo) whose date is not the real one, the real time of day means nothing
    there: the phone's time of day at the site (time zone ``zone``) is placed on the scenario's date, as
    the server's own clock is (:func:`corridor.clock.now`). Otherwise it is the phone's reading unchanged.
    """
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput(_("must be an ISO 8601 date and time"), "tapped_at", code="tap.not_a_time") from None
    if moment.tzinfo is None:
        raise InvalidInput(_("must include a time zone"), "tapped_at", code="tap.no_time_zone")
    site = moment.astimezone(zoneinfo.ZoneInfo(zone))
    day = clock.today()
    if day == dt.datetime.now(dt.UTC).date() or day == site.date():
        return moment
    return dt.datetime.combine(day, site.time(), tzinfo=site.tzinfo)


def apply_tap(
    trip: Trip,
    *,
    step: str,
    key: uuid.UUID,
    tapped_at: dt.datetime,
    entered: dt.datetime | None = None,
    text: str = "",
    source: str,
    certainty: str,
    by: Actor,
) -> TapResult:
    """Apply one tap of gate step ``step`` on ``trip`` once, or answer why not (writing nothing).

    ``tapped_at`` is the phone's clock at the tap (see :func:`phone_time`); ``entered`` the moment the
    monitor typed, if any; ``text`` the hold's note or the reason given for turning back. A key applied
    before is answered with its first result; a key applied to another trip or step is refused.
    """
    require(by, Can.RECORD_GATE)
    if step not in STEPS:
        raise InvalidInput(_("must be one of %(choices)s"), "step", code="tap.unknown_step", choices=", ".join(STEPS))
    clock.check_moment("tapped_at", tapped_at, zone=trip.site.time_zone)
    text_field = TEXTS.get(step)
    kwargs: dict[str, Any] = {text_field: text} if text_field else {}
    extra = {"tap": {"key": str(key), "tapped_at": canonical.format_time(tapped_at), "via": "outbox"}}
    try:
        with transaction.atomic():
            # The trip's row lock first (as every gate step takes it), so that of two sendings of one
            # key the second waits here and then finds the first's row.
            Trip.objects.select_for_update().filter(pk=trip.pk).first()
            earlier = GateTap.objects.filter(key=key).first()
            if earlier is not None:
                return _replayed(earlier, trip, step)
            before = ledger.lock()[0]
            try:
                STEPS[step](
                    trip,
                    at=tapped_at,
                    entered=entered,
                    by=by,
                    source=source,
                    certainty=certainty,
                    extra=extra,
                    **kwargs,
                )
            except Conflict as exc:
                return TapResult(str(key), step, "conflict", detail=str(exc))
            except InvalidInput as exc:
                return TapResult(str(key), step, "refused", detail=exc.detail, field=exc.field)
            seqs = tuple(range(before + 1, ledger.head()[0] + 1))
            GateTap.objects.create(
                key=key,
                trip=trip,
                step=step,
                seqs=list(seqs),
                tapped_at=tapped_at,
                received_at=timezone.now(),
                recorded_by=ledger.actor_name(by),
            )
    except IntegrityError:
        # Another process applied this key between our look-up and our insert (keys of two trips do not
        # share a row lock): its entry stands, ours was rolled back with the insert.
        earlier = GateTap.objects.filter(key=key).first()
        if earlier is None:
            raise
        return _replayed(earlier, trip, step)
    return TapResult(str(key), step, "recorded", seqs=seqs)


def _replayed(earlier: GateTap, trip: Trip, step: str) -> TapResult:
    if earlier.trip_id != trip.pk or earlier.step != step:
        return TapResult(
            str(earlier.key),
            step,
            "refused",
            detail=f"this key was already used for {earlier.step} on trip T-{earlier.trip_id}",
            field="key",
        )
    return TapResult(str(earlier.key), step, "recorded", seqs=tuple(earlier.seqs), replayed=True)


# ------------------------------------------------------------------------ what the phone may tap next

S = Trip.Status


def _effect(step: str, moment: dt.datetime) -> dict[str, Any]:
    """What recording ``step`` changes on the trip's row (as the services in ``STEPS`` write it)."""
    effects: dict[str, dict[str, Any]] = {
        "gate_arrived": {"gate_arrived_at": moment},
        "gate_held": {"held_since": moment},
        "gate_released": {"gate_released_at": moment},
        "turned_back": {"turned_back_at_gate": True, "returned_at": moment},
        "hospital_arrived": {"hospital_arrived_at": moment},
        "returned": {"returned_at": moment},
    }
    return effects[step]


def after(trip: Trip, step: str, moment: dt.datetime) -> Trip:
    """A copy of ``trip`` (not saved) as it would be once ``step`` is recorded at ``moment``."""
    then = copy.copy(trip)
    then.status = transitions.TRANSITIONS[step].target(trip)
    for name, value in _effect(step, moment).items():
        setattr(then, name, value)
    return then


def ahead(trip: Trip, moment: dt.datetime | None = None) -> dict[str, list[str]]:
    """The gate steps the trip page offers after each sequence of taps still waiting on the phone.

    Keyed by the waiting steps' names joined by spaces (``""``: none waiting, ``"gate_arrived
    gate_held"``…). A phone without a connection reads it to show the buttons of the trip's next
    moments, as the page would once its taps are sent; it is the transition table asked of the trip
    as each tap would leave it.
    """
    moment = moment or timezone.now()
    steps: dict[str, list[str]] = {}

    def walk(state: Trip, path: tuple[str, ...]) -> None:
        offered = [name for name in STEPS if transitions.offered(name, state)]
        steps[" ".join(path)] = offered
        for name in offered:
            if name not in path:
                walk(after(state, name, moment), (*path, name))

    walk(trip, ())
    return steps
