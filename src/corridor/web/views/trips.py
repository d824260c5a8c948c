"""Trips and the gate timeline, made to be recorded quickly from a phone.

Each action is one large button opening a small form (the time, prefilled; the reason where one is
asked; source and certainty folded away with sensible defaults) and one service call, which writes
its ledger entry. ``ACTIONS`` lists them; the URLs and the buttons are generated from it.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from corridor import clock, sensitivity
from corridor.accounts.roles import Can
from corridor.errors import CorridorError
from corridor.ledger import services as ledger
from corridor.ledger.catalogue import Source
from corridor.register.models import Patient
from corridor.register.scoping import visible
from corridor.transfers import outbox, transitions
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip, TripPassenger
from corridor.transfers.transitions import TRANSITIONS
from corridor.web import forms
from corridor.web.access import allowed, refuse, requires
from corridor.web.views.common import evidence, page

# Trips with nothing left to record at the gate: the phone need not keep their pages.
DONE = (Trip.Status.DENIED, Trip.Status.CANCELLED)
# Fields folded away under "date, source and certainty": their defaults are right most of the time.
FOLDED = ("date", "source", "certainty")


@dataclass(frozen=True)
class Action:
    """A button on the trip page. For a gate transition, when it shows and who may press it come from
    :data:`corridor.transfers.transitions.TRANSITIONS` (the table the service enforces)."""

    label: str | Promise
    form: type[forms.EvidenceForm]
    record: Callable[[Trip, forms.EvidenceForm, Any], Any]
    style: str = ""  # "stop" for the red buttons (cancel, deny, turned back)
    source: str = Source.WITNESS
    capability: Can = Can.RECORD_GATE  # for steps outside the table (the outcomes)
    extra_shown: Callable[[Trip], bool] | None = None  # for steps outside the table

    def shown(self, name: str, trip: Trip) -> bool:
        if name in TRANSITIONS:
            return transitions.offered(name, trip)
        return bool(self.extra_shown and self.extra_shown(trip))

    def needs(self, name: str) -> Can:
        return TRANSITIONS[name].capability if name in TRANSITIONS else self.capability


def _pending(trip: Trip) -> list[str]:
    return list(
        trip.passengers.filter(role=TripPassenger.Role.PATIENT, removed=False, outcome=TripPassenger.Outcome.PENDING)
        .order_by("patient__code")
        .values_list("patient__code", flat=True)
    )


def _evidence(form: forms.EvidenceForm) -> dict[str, Any]:
    return evidence(form.cleaned_data)


def _at(form: forms.EvidenceForm, trip: Trip) -> dt.datetime:
    assert isinstance(form, forms.MomentForm) and not isinstance(form, forms.AnswerForm)
    return form.moment(trip.site.time_zone)


def _answered(form: forms.EvidenceForm, trip: Trip) -> dt.datetime | dt.date:
    """The moment entered, or the date alone when the time of day was left empty."""
    assert isinstance(form, forms.AnswerForm)
    return form.moment(trip.site.time_zone)


def _outcome_at(form: forms.EvidenceForm, trip: Trip) -> dt.datetime | None:
    """The time of day entered for an outcome, on the trip's date; None when not known."""
    entered = form.cleaned_data.get("time")
    if entered is None:
        return None
    return dt.datetime.combine(trip.date, entered, tzinfo=zoneinfo.ZoneInfo(trip.site.time_zone))


def _moment(label: Promise, service: Callable[..., Any]) -> Action:
    """A step that records only when it happened, and how that is known."""
    return Action(label, forms.MomentForm, lambda t, f, by: service(t, at=_at(f, t), by=by, **_evidence(f)))


ACTIONS: dict[str, Action] = {
    "approve": Action(
        _("Approved"),
        forms.AnswerForm,
        lambda t, f, by: transfers.approve_trip(t, by=by, at=_answered(f, t), **_evidence(f)),
        source=Source.OFFICIAL_STATEMENT,
    ),
    "deny": Action(
        _("Denied"),
        forms.AnswerReasonForm,
        lambda t, f, by: transfers.deny_trip(
            t, reason=f.cleaned_data["reason"], by=by, at=_answered(f, t), **_evidence(f)
        ),
        style="stop",
        source=Source.OFFICIAL_STATEMENT,
    ),
    "gate_arrived": _moment(_("At the gate"), transfers.record_gate_arrival),
    "gate_held": Action(
        _("Held at the gate"),
        forms.HoldForm,
        lambda t, f, by: transfers.record_gate_hold(
            t, since=_at(f, t), note=f.cleaned_data["note"], by=by, at=_at(f, t), **_evidence(f)
        ),
    ),
    "gate_released": _moment(_("Released"), transfers.record_gate_release),
    "turned_back": Action(
        _("Turned back"),
        forms.ReasonForm,
        lambda t, f, by: transfers.record_turned_back(
            t, at=_at(f, t), reason=f.cleaned_data["reason"], by=by, **_evidence(f)
        ),
        style="stop",
    ),
    "hospital_arrived": _moment(_("Arrived at the hospital"), transfers.record_hospital_arrival),
    "outcome": Action(
        _("Seen / not seen"),
        forms.OutcomeForm,
        lambda t, f, by: transfers.record_outcome(
            t,
            patient=Patient.objects.get(code=f.cleaned_data["patient"]),
            outcome=f.cleaned_data["outcome"],
            note=f.cleaned_data["note"],
            at=_outcome_at(f, t),
            follow_up_due=f.cleaned_data.get("follow_up_due"),
            by=by,
            **_evidence(f),
        ),
        extra_shown=lambda t: t.hospital_arrived_at is not None and not t.turned_back_at_gate and bool(_pending(t)),
    ),
    "returned": _moment(_("Back in the camp"), transfers.record_return),
    "cancel": Action(
        _("Cancelled"),
        forms.CancelForm,
        lambda t, f, by: transfers.cancel_trip(
            t,
            reason=f.cleaned_data["reason"],
            cancelled_by=f.cleaned_data["cancelled_by"],
            by=by,
            at=_answered(f, t),
            **_evidence(f),
        ),
        style="stop",
    ),
}


def _form(name: str, trip: Trip, data: Any = None) -> forms.EvidenceForm:
    action = ACTIONS[name]
    zone = zoneinfo.ZoneInfo(trip.site.time_zone)
    # The clock is read for the time only when it says something true: on the real date. On a scenario
    # clock in another year, the time is left for the person to enter (or, for an answer, left unknown).
    now = dt.datetime.now(zone)
    day = trip.date
    if issubclass(action.form, forms.AnswerForm):
        day = min(clock.today(), trip.date)  # an answer comes before the trip, and never after today
    initial: dict[str, Any] = {"date": day, "source": action.source}
    if day == now.date():
        initial["time"] = now.strftime("%H:%M")
    if name == "gate_held" and trip.gate_arrived_at:
        since = trip.gate_arrived_at.astimezone(zone)
        initial.update(date=since.date(), time=since.strftime("%H:%M"))
    if action.form is forms.OutcomeForm:
        return forms.OutcomeForm(data, initial=initial, patients=_pending(trip))
    form = action.form(data, initial=initial, prefix=None)
    if name == "gate_held" and trip.gate_arrived_at:
        # The phone's script empties a prefilled "now" (stale on a page kept for the day), not this.
        form.fields["time"].widget.attrs["data-arrival"] = ""
    return form


def day_trips() -> list[str]:
    """The pages a monitor needs for today's trips, for the phone to keep when the connection goes."""
    today = clock.today()
    pks = Trip.objects.filter(date=today).exclude(status__in=DONE).order_by("id").values_list("pk", flat=True)
    return [f"{reverse('web:trips')}?date={today.isoformat()}", *(reverse("web:trip", args=[pk]) for pk in pks)]


def _outbox_context(request: HttpRequest, ahead: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """What the page's outbox needs: who taps, and the pages to keep; on a trip page, its next steps."""
    if not allowed(request.user, Can.RECORD_GATE):
        return {}
    context: dict[str, Any] = {
        "outbox": {"user": request.user.get_username(), "pages": json.dumps(day_trips())},
    }
    if ahead is not None:
        context["outbox"]["ahead"] = json.dumps(ahead, separators=(",", ":"))
    return context


def _trip_context(request: HttpRequest, trip: Trip, open_form: tuple[str, Any] | None = None) -> dict[str, Any]:
    actions = []
    # Steps the phone may tap later without a connection: their buttons are on the page, hidden until
    # taps waiting in its outbox bring the trip to them (without a script they stay hidden).
    ahead = outbox.ahead(trip) if allowed(request.user, Can.RECORD_GATE) else {}
    later = {name for steps in ahead.values() for name in steps}
    for name, action in ACTIONS.items():
        answering = bool(open_form and open_form[0] == name)  # a refused tap shows its form with the reason
        shown = action.shown(name, trip) or answering
        if not (shown or name in later) or not allowed(request.user, action.needs(name)):
            continue
        form = open_form[1] if open_form and open_form[0] == name else _form(name, trip)
        actions.append(
            {
                "name": name,
                "url": reverse(f"web:trip_{name}", args=[trip.pk]),
                "label": action.label,
                "style": action.style,
                "form": form,
                "main": [form[f] for f in form.fields if f not in FOLDED],
                "more": [form[f] for f in form.fields if f in FOLDED],
                "open": bool(open_form and open_form[0] == name),
                "offline": name in outbox.STEPS,
                "hidden": not shown,
            }
        )
    passengers = trip.passengers.select_related("patient", "referral__priority", "escort_for").order_by(
        "role", "patient__code"
    )
    return {
        "trip": trip,
        "site": trip.site,
        "zone": trip.site.time_zone,
        "passengers": passengers,
        "actions": actions,
        "entries": sensitivity.redact_entries(ledger.entries_about(f"trip:{trip.pk}"), request.user),
        **_outbox_context(request, ahead),
    }


@requires(None)
def trip_list(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    trips = (
        visible(Trip.objects.select_related("facility"), request.user)
        .annotate(patients=Count("passengers", filter=Q(passengers__role="patient", passengers__removed=False)))
        .order_by("-date", "-id")
    )
    status = request.GET.get("status") or ""
    if status in Trip.Status.values:
        trips = trips.filter(status=status)
    day = request.GET.get("date") or ""
    try:
        trips = trips.filter(date=dt.date.fromisoformat(day)) if day else trips
    except ValueError:
        day = ""
    pages = Paginator(trips, 50)
    current = pages.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page(
        request,
        "corridor/trips/list.html",
        {
            "page_obj": current,
            "status": status,
            "date": day,
            "statuses": Trip.Status.choices,
            "today": today,
            "query": query.urlencode(),
            **_outbox_context(request),
        },
    )


@requires(None)
def trip_detail(request: HttpRequest, pk: int) -> HttpResponse:
    trip = get_object_or_404(visible(Trip.objects.select_related("site", "facility"), request.user), pk=pk)
    return page(request, "corridor/trips/trip.html", _trip_context(request, trip))


def _record(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    action = ACTIONS[name]
    if not allowed(request.user, action.needs(name)):
        return refuse(request)
    trip = get_object_or_404(visible(Trip.objects.select_related("site", "facility"), request.user), pk=pk)
    form = _form(name, trip, request.POST)
    if form.is_valid():
        try:
            action.record(trip, form, request.user)
        except CorridorError as exc:
            forms.show_error(form, exc)
        else:
            messages.success(request, gettext("Recorded: %(what)s.") % {"what": action.label})
            return redirect("web:trip", pk=trip.pk)
    trip.refresh_from_db()
    return page(request, "corridor/trips/trip.html", _trip_context(request, trip, (name, form)), status=422)


def recorder(name: str) -> Callable[..., HttpResponse]:
    """The view recording action ``name`` on a trip (POST only)."""

    @require_POST
    @requires(ACTIONS[name].needs(name))
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        return _record(request, pk, name)

    view.__name__ = f"trip_{name}"
    return view
