"""The companions' roster, and on a trip page: asking for a companion and recording the authority's answer.

Thin views: each parses its form, calls one service of :mod:`corridor.transfers.companions`, and
redirects to the page it came from (or shows the form again beside the service's refusal).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from corridor import clock
from corridor.accounts.roles import Can
from corridor.errors import CorridorError
from corridor.register.scoping import visible
from corridor.transfers import companions as service
from corridor.transfers.models import Companion, Trip, TripCompanion, TripPassenger
from corridor.web import companion_forms as forms
from corridor.web.access import allowed, requires
from corridor.web.forms import PurposeForm, show_error
from corridor.web.views.common import current_site, evidence, page
from corridor.web.views.trips import FOLDED, _trip_context


def _initial(trip: Trip) -> dict[str, Any]:
    now = dt.datetime.now(zoneinfo.ZoneInfo(trip.site.time_zone))
    return {"date": clock.today(), "time": now.strftime("%H:%M")}


def ask_form(trip: Trip, data: Any = None) -> forms.AskCompanionForm:
    patients = list(
        trip.passengers.filter(role=TripPassenger.Role.PATIENT, removed=False)
        .order_by("patient__code")
        .values_list("patient__code", flat=True)
    )
    asked = trip.companions.values_list("companion_id", flat=True)
    roster = list(Companion.objects.filter(site=trip.site).exclude(pk__in=asked).order_by("kind", "code"))
    return forms.AskCompanionForm(data, initial=_initial(trip), patients=patients, companions=roster)


def answer_form(trip: Trip, data: Any = None) -> forms.CompanionAnswerForm:
    asked = list(
        trip.companions.filter(answer=TripCompanion.Answer.PENDING)
        .select_related("companion", "for_patient")
        .order_by("for_patient__code", "role")
    )
    return forms.CompanionAnswerForm(data, initial=_initial(trip), asked=asked)


def companions_context(request: Any, trip: Trip, open_form: tuple[str, Any] | None = None) -> dict[str, Any]:
    """What the trip page's companions card shows: who was asked for whom, the answers, and the forms."""
    rows = list(trip.companions.select_related("companion", "for_patient").order_by("for_patient__code", "role", "id"))
    may = allowed(request.user, Can.MANAGE_TRIPS)
    forms_shown = []
    if may:
        for name, make, label, states in (
            ("ask", ask_form, gettext("Ask for a companion"), service.ASKABLE),
            ("answer", answer_form, gettext("Answer about a companion"), service.ANSWERABLE),
        ):
            if trip.status not in states:  # offered only where the service would accept it
                continue
            form = open_form[1] if open_form and open_form[0] == name else make(trip)
            field = form.fields["companion"]
            if not getattr(field, "choices", None):
                continue
            forms_shown.append(
                {
                    "name": name,
                    "label": label,
                    "url": reverse(f"web:trip_companion_{name}", args=[trip.pk]),
                    "form": form,
                    "main": [form[f] for f in form.fields if f not in FOLDED],
                    "more": [form[f] for f in form.fields if f in FOLDED],
                    "open": bool(open_form and open_form[0] == name),
                }
            )
    return {"companion_rows": rows, "companion_forms": forms_shown}


def _record(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    trip = get_object_or_404(visible(Trip.objects.select_related("site", "facility"), request.user), pk=pk)
    form: Any = ask_form(trip, request.POST) if name == "ask" else answer_form(trip, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            companion = service.get_companion(data["companion"])
            at = form.moment(trip.site.time_zone)
            evidence = {"source": data["source"], "certainty": data["certainty"]}
            if name == "ask":
                patient = trip.passengers.get(patient__code=data["for_patient"]).patient
                service.ask_companion(
                    trip,
                    companion=companion,
                    for_patient=patient,
                    note=data["note"],
                    by=request.user,
                    at=at,
                    **evidence,
                )
            else:
                service.record_companion_answer(
                    trip,
                    companion=companion,
                    answer=data["answer"],
                    note=data["note"],
                    by=request.user,
                    at=at,
                    **evidence,
                )
        except CorridorError as exc:
            show_error(form, exc)
        else:
            messages.success(request, gettext("Recorded."))
            return redirect(reverse("web:trip", args=[trip.pk]) + "#companions")
    context = {**_trip_context(request, trip), **companions_context(request, trip, (name, form))}
    return page(request, "corridor/trips/trip.html", context, status=422)


@require_POST
@requires(Can.MANAGE_TRIPS)
def trip_companion_ask(request: HttpRequest, pk: int) -> HttpResponse:
    return _record(request, pk, "ask")


@require_POST
@requires(Can.MANAGE_TRIPS)
def trip_companion_answer(request: HttpRequest, pk: int) -> HttpResponse:
    return _record(request, pk, "answer")


@requires(None)
def companion_list(request: HttpRequest) -> HttpResponse:
    """The roster: codes and roles only; identities are never listed."""
    site = current_site(request)
    roster = visible(Companion.objects.order_by("kind", "code"), request.user)
    if site:
        roster = roster.filter(site=site)
    return page(request, "corridor/companions/list.html", {"roster": list(roster)})


@requires(Can.SEE_IDENTITIES)
def companion_identity(request: HttpRequest, code: str) -> HttpResponse:
    """GET asks why; POST records the viewing in the ledger (``identity.viewed``) and shows the identity,
    as for a patient's. Only roles that see identities may: companions have no break-glass grants."""
    companion = get_object_or_404(visible(Companion.objects.all(), request.user), code=code)
    form = PurposeForm(request.POST or None)
    identity = None
    if request.method == "POST" and form.is_valid():
        try:
            identity = service.view_companion_identity(companion, by=request.user, purpose=form.cleaned_data["purpose"])
        except CorridorError as exc:
            show_error(form, exc)
    context = {
        "companion": companion,
        "form": form,
        "identity": identity,
        "shown": request.method == "POST" and not form.errors,
    }
    return page(request, "corridor/companions/identity.html", context, status=422 if form.errors else 200)


@requires(Can.MANAGE_PATIENTS)
def companion_create(request: HttpRequest) -> HttpResponse:
    site = current_site(request)
    form = forms.CompanionForm(request.POST or None, initial={"registered_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if site is None:
            form.add_error(None, gettext("Add a site first (administration)."))
        else:
            try:
                service.register_companion(
                    site=site,
                    code=data["code"],
                    kind=data["kind"],
                    registered_on=data["registered_on"],
                    identity=form.identity(),
                    by=request.user,
                    **evidence(data),
                )
            except CorridorError as exc:
                show_error(form, exc)
            else:
                messages.success(request, gettext("Recorded."))
                return redirect("web:companions")
    return page(request, "corridor/companions/new.html", {"form": form}, status=422 if form.errors else 200)
