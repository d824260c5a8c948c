"""The phone's outbox: gate steps tapped without a connection, sent when it returns.

A web route rather than an API one: the phone sends with the session it signed in with and the CSRF
token of the page it tapped on, so no API token has to be kept where a page's script could read it,
and the Content Security Policy needs nothing beyond our own origin (``connect-src`` is ``'self'``).
The service worker is a static file of ours, served from ``/trips/`` so that it may control the trip
pages (a worker's scope cannot reach above its own address).

Each tap is applied by :func:`corridor.transfers.outbox.apply_tap`, in the order the phone sent them;
the answer gives, per tap, what became of it and a message in the user's language.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from corridor import jsonlimits, refusals
from corridor.accounts.roles import Can
from corridor.errors import CorridorError, InvalidInput
from corridor.ledger.catalogue import Certainty, Source
from corridor.register.scoping import visible
from corridor.transfers import outbox
from corridor.transfers.models import Trip
from corridor.web import l10n
from corridor.web.access import requires

# A phone that was offline all day sends its day in one request; more than this is not a day at the gate.
MOST_TAPS = 100
# The service worker, a static file of ours.
WORKER = "corridor/outbox-worker.js"

# What the trip shows now, latest first: the sentence saying so, and the moment it names.
RECORDED_MEANWHILE: tuple[tuple[str, Any], ...] = (
    ("turned_back_at_gate", _("It was turned back at the gate at %(time)s.")),
    ("returned_at", _("Its return to the camp was recorded at %(time)s.")),
    ("hospital_arrived_at", _("Its arrival at the hospital was recorded at %(time)s.")),
    ("gate_released_at", _("Its release at the gate was recorded at %(time)s.")),
    ("held_since", _("A hold at the gate since %(time)s was recorded.")),
    ("gate_arrived_at", _("Its arrival at the gate was recorded at %(time)s.")),
)
# The field each step records: a conflict on it says first when that was recorded.
STEP_FIELD = {
    "gate_arrived": "gate_arrived_at",
    "gate_held": "held_since",
    "gate_released": "gate_released_at",
    "turned_back": "turned_back_at_gate",
    "hospital_arrived": "hospital_arrived_at",
    "returned": "returned_at",
}


def _clock(moment: dt.datetime | None, trip: Trip) -> str:
    if moment is None:
        return "–"
    return l10n.clock(moment.astimezone(zoneinfo.ZoneInfo(trip.site.time_zone)), get_language())


def _meanwhile(step: str, trip: Trip) -> str:
    """What the trip says now that refused the tap, in the user's language."""
    own = STEP_FIELD[step]
    for name, sentence in sorted(RECORDED_MEANWHILE, key=lambda pair: pair[0] != own):
        value = getattr(trip, name)
        if value:
            moment = trip.returned_at if name == "turned_back_at_gate" else value
            return str(sentence) % {"time": _clock(moment, trip)}
    return gettext("It is now: %(status)s.") % {"status": trip.status_label}


def _message(result: outbox.TapResult, trip: Trip, label: str, tapped: dt.datetime) -> str:
    when = {"what": label, "time": _clock(tapped, trip)}
    if result.status == "recorded":
        return gettext("Recorded: %(what)s.") % {"what": label}
    if result.status == "conflict":
        trip.refresh_from_db()
        lead = gettext("%(what)s, tapped at %(time)s, was not recorded: the trip changed meanwhile.") % when
        return f"{lead} {_meanwhile(result.step, trip)}"
    if result.field in ("at", "since", "tapped_at"):
        return gettext("%(what)s, tapped at %(time)s, was not recorded: its time does not fit the trip.") % when
    return gettext("%(what)s, tapped at %(time)s, was not recorded.") % when


def _entered(item: dict[str, Any], trip: Trip) -> dt.datetime | None:
    """The moment the monitor typed, in the site's time zone; None when the time was left empty."""
    time = str(item.get("time") or "").strip()
    if not time:
        return None
    try:
        day = dt.date.fromisoformat(str(item.get("date") or trip.date.isoformat()))
        at = dt.time.fromisoformat(time)
    except ValueError:
        raise InvalidInput(
            gettext_noop("must be a date and a time of day"), "at", code="tap.not_a_time_of_day"
        ) from None
    return dt.datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(trip.site.time_zone))


def _send(request: HttpRequest, item: Any) -> dict[str, Any]:
    """Apply one tap of the outbox; what became of it, said for the phone."""
    from corridor.web.views.trips import ACTIONS

    if not isinstance(item, dict):
        return {"key": None, "status": "refused", "message": gettext("This tap could not be read.")}
    answer: dict[str, Any] = {"key": str(item.get("key")), "step": item.get("step"), "trip": item.get("trip")}
    number = _number(item.get("trip"))
    # Another site's trip reads as no trip at all, as on every page (docs/roles.md, Sites).
    trips = visible(Trip.objects.select_related("site", "facility"), request.user)
    trip = trips.filter(pk=number).first() if number else None
    step = str(item.get("step"))
    if trip is None or step not in outbox.STEPS:
        return {**answer, "status": "refused", "message": gettext("This tap could not be read.")}
    label = str(ACTIONS[step].label)
    try:
        key = outbox.parse_key(item.get("key"))
        tapped = outbox.phone_time(item.get("tapped_at"), trip.site.time_zone)
    except InvalidInput as exc:
        return {**answer, "status": "refused", "message": gettext("This tap could not be read."), "detail": str(exc)}
    text = str(item.get(outbox.TEXTS.get(step, ""), "") or "")[:2000]
    try:
        result = outbox.apply_tap(
            trip,
            step=step,
            key=key,
            tapped_at=tapped,
            entered=_entered(item, trip),
            text=text,
            source=str(item.get("source") or Source.WITNESS),
            certainty=str(item.get("certainty") or Certainty.CONFIRMED),
            by=request.user,
        )
    except InvalidInput as exc:
        result = outbox.TapResult(str(key), step, "refused", detail=refusals.in_language(exc), field=exc.field)
    except CorridorError as exc:
        result = outbox.TapResult(str(key), step, "refused", detail=refusals.in_language(exc))
    message = _message(result, trip, label, tapped)
    if result.status == "recorded" and not result.replayed:
        messages.success(request, message)  # shown on the page the phone reloads once the outbox is sent
    return {
        **answer,
        "key": result.key,
        "status": result.status,
        "replayed": result.replayed,
        "seqs": list(result.seqs),
        "message": message,
        "detail": result.detail,
    }


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_POST
@requires(Can.RECORD_GATE)
def outbox_send(request: HttpRequest) -> JsonResponse:
    """Apply the taps of a phone's outbox in the order given: ``{"taps": [{key, trip, step, tapped_at,
    date?, time?, note?, reason?, source?, certainty?}, …]}``. Answers ``{"results": [...]}``, one per tap."""
    try:
        body = jsonlimits.loads(request.body or b"null")
    except ValueError:  # not UTF-8, not JSON, or nested past the limit
        body = None
    taps = body.get("taps") if isinstance(body, dict) else None
    if not isinstance(taps, list) or not 0 < len(taps) <= MOST_TAPS:
        return JsonResponse({"error": gettext("The outbox could not be read.")}, status=400)
    return JsonResponse({"results": [_send(request, item) for item in taps]})


@require_GET
def outbox_worker(request: HttpRequest) -> HttpResponse:
    """The service worker that keeps the day's trip pages for a phone without a connection."""
    found = finders.find(WORKER)
    if not found:
        raise Http404(WORKER)
    path = Path(found if isinstance(found, str) else found[0])
    return HttpResponse(
        path.read_bytes(),
        content_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},  # a new version is picked up at the next visit
    )
