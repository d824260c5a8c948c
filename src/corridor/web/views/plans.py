"""The daily plan: the planner's proposal with its reasons; accept it, or change it with a reason.

Changes are checked against the rules in force as the coordinator edits (htmx posts the form to
``plan_check`` on every change and swaps in the answer).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from corridor import clock, refusals
from corridor.accounts.roles import Can
from corridor.errors import CorridorError
from corridor.ledger.models import Entry
from corridor.register.models import Facility, Referral, Site
from corridor.register.scoping import visible
from corridor.transfers import bounds, plans
from corridor.web import forms, labels
from corridor.web.access import requires
from corridor.web.views.common import current_site, page
from corridor.web.views.dashboard import accepted_trip


def _candidates(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The patients a coordinator may put on today's trip: the plan's, then the standby list."""
    seen: set[int] = set()
    out = []
    for group, people in (("trip", (payload.get("trip") or {}).get("patients", [])), ("standby", payload["standby"])):
        for person in people:
            if person["referral"] in seen:
                continue
            seen.add(person["referral"])
            out.append(
                {
                    "referral": person["referral"],
                    "label": f"{person['patient']} · {person['priority']}",
                    "group": group,
                    **person,
                }
            )
    return out


def _open_facilities(day: dt.date) -> list[Facility]:
    return [f for f in Facility.objects.order_by("code") if f.hours_on(day) is not None]


def _change_form(entry: Entry, data: Any = None) -> forms.PlanChangeForm:
    payload = entry.payload
    day = dt.date.fromisoformat(payload["date"])
    trip = payload.get("trip") or {}
    initial = {"facility": trip.get("facility"), "referrals": [str(p["referral"]) for p in trip.get("patients", [])]}
    return forms.PlanChangeForm(
        data, initial=initial, facilities=_open_facilities(day), candidates=_candidates(payload)
    )


def _plan_entry(request: HttpRequest) -> Entry | None:
    try:
        seq = int(request.POST.get("plan", ""))
    except ValueError:
        return None
    return visible(Entry.objects.filter(seq=seq, type="plan.proposed"), request.user).first()


STRIP_DAYS = 14  # the coming days shown as a strip above the plan


def _day(request: HttpRequest, site: Any) -> dt.date:
    """The day asked for (``?date=`` or the posted ``date``), else the next day with no trip requested."""
    given = request.POST.get("date") or request.GET.get("date") or ""
    try:
        return dt.date.fromisoformat(given)
    except ValueError:
        return plans.next_day_to_plan(site) if site else clock.today()


def _plan_url(site: Any, day: dt.date) -> str:
    return f"{reverse('web:plan')}?site={site.code}&date={day.isoformat()}"


@requires(None)
def plan(request: HttpRequest) -> HttpResponse:
    site = current_site(request)
    day = _day(request, site)
    entry = plans.latest_plan(site, day) if site else None
    context: dict[str, Any] = {"site": site, "day": day, "entry": entry, "accepted": accepted_trip(entry)}
    if site is not None:
        strip = plans.day_strip(site, min(day, clock.today()), STRIP_DAYS)
        context["strip"] = [{**d, "url": _plan_url(site, d["date"]), "chosen": d["date"] == day} for d in strip]
    if request.GET.get("job", "").isdigit():
        from corridor.jobs.services import visible_to

        context["job"] = visible_to(request.user).defer("content").filter(pk=int(request.GET["job"])).first()
    if entry is not None:
        payload = entry.payload
        context.update(
            payload=payload,
            **_reasons(entry, day),
            form=_change_form(entry),
            candidates=_candidates(payload),
        )
    return page(request, "corridor/plan/plan.html", context)


def _reasons(entry: Entry, day: dt.date) -> dict[str, Any]:
    """The plan's explanations, its bound apart: the bound shown is the strongest recorded so far (the
    quick dual's, or the LP relaxation's once computed), see :func:`corridor.transfers.bounds.shown`."""
    said = entry.payload.get("explanations", [])
    out: dict[str, Any] = {"explanations": [labels.explanation(e, day) for e in said if e.get("code") != "bound"]}
    if any(e.get("code") == "bound" for e in said):
        out.update(_bound(entry, day))
    return out


def _bound(entry: Entry, day: dt.date) -> dict[str, Any]:
    shown = bounds.shown(entry)
    item = {"code": "bound", "bound": shown.bound, "objective": shown.objective, "gap": shown.gap}
    return {"bound": shown, "bound_sentence": labels.explanation(item, day)}


@requires(None)
def plan_bound(request: HttpRequest, seq: int) -> HttpResponse:
    """The plan's bound as a small fragment, polled by the plan page while the LP bound is computed."""
    entry = visible(Entry.objects.filter(seq=seq, type="plan.proposed"), request.user).first()
    if entry is None:
        raise Http404
    day = dt.date.fromisoformat(entry.payload["date"])
    return render(request, "corridor/plan/_bound.html", {"entry": entry, **_bound(entry, day)})


@require_POST
@requires(Can.MANAGE_TRIPS)
def plan_propose(request: HttpRequest) -> HttpResponse:
    site = current_site(request)
    if site is None:
        messages.error(request, _("Add a site first (administration)."))
        return redirect("web:plan")
    day = _day(request, site)
    # The planner runs as a background job; the page keeps showing the previous plan meanwhile.
    from corridor.jobs import services as jobs

    try:
        job = jobs.submit("plan", {"site": site.code, "date": day.isoformat()}, by=request.user)
    except CorridorError as exc:
        messages.error(request, refusals.in_language(exc))
        return redirect(_plan_url(site, day))
    return redirect(f"{_plan_url(site, day)}&job={job.pk}")


def _chosen(request: HttpRequest, form: forms.PlanChangeForm) -> tuple[Facility, list[Referral]]:
    facility = Facility.objects.get(code=form.cleaned_data["facility"])
    wanted = [int(pk) for pk in form.cleaned_data["referrals"]]
    found = {r.pk: r for r in visible(Referral.objects.filter(pk__in=wanted), request.user).select_related("patient")}
    return facility, [found[pk] for pk in wanted if pk in found]


@require_POST
@requires(Can.MANAGE_TRIPS)
def plan_accept(request: HttpRequest) -> HttpResponse:
    """Accept the plan as proposed, or (with ``change``) as edited in the form, which needs a reason."""
    entry = _plan_entry(request)
    if entry is None:
        return HttpResponseBadRequest(_("That plan does not exist."))
    try:
        if request.POST.get("change"):
            form = _change_form(entry, request.POST)
            if not form.is_valid():
                return _replan(request, entry, form)
            facility, referrals = _chosen(request, form)
            trip = plans.accept_plan(
                entry, by=request.user, facility=facility, referrals=referrals, reason=form.cleaned_data["reason"]
            )
        else:
            trip = plans.accept_plan(entry, by=request.user)
    except CorridorError as exc:
        form = _change_form(entry, request.POST if request.POST.get("change") else None)
        if request.POST.get("change"):
            form.is_valid()
            forms.show_error(form, exc)
        else:
            messages.error(request, refusals.in_language(exc))
            site = Site.objects.filter(code=entry.payload.get("site")).first()
            day = dt.date.fromisoformat(entry.payload["date"])
            return redirect(_plan_url(site, day) if site else reverse("web:plan"))
        return _replan(request, entry, form)
    messages.success(request, _("Trip %(trip)s requested.") % {"trip": trip.code})
    return redirect("web:trip", pk=trip.pk)


def _replan(request: HttpRequest, entry: Entry, form: forms.PlanChangeForm) -> HttpResponse:
    payload = entry.payload
    today = dt.date.fromisoformat(payload["date"])
    return page(
        request,
        "corridor/plan/plan.html",
        {
            "day": today,
            "entry": entry,
            "payload": payload,
            "accepted": accepted_trip(entry),
            **_reasons(entry, today),
            "form": form,
            "candidates": _candidates(payload),
            "open_change": True,
        },
        status=422,
    )


@require_POST
@requires(Can.MANAGE_TRIPS)
def plan_check(request: HttpRequest) -> HttpResponse:
    """The rules' verdict on the edited trip, as a fragment for htmx to swap in."""
    entry = _plan_entry(request)
    if entry is None:
        return HttpResponseBadRequest(_("That plan does not exist."))
    form = _change_form(entry, request.POST)
    problems: list[str] = []
    if form.is_valid():
        facility, referrals = _chosen(request, form)
        problems = [refusals.in_language(p) for p in plans.check_plan_change(entry, facility, referrals)]
        planned = entry.payload.get("trip") or {}
        changed = facility.code != planned.get("facility") or [r.pk for r in referrals] != [
            p["referral"] for p in planned.get("patients", [])
        ]
    else:
        problems = [
            f"{form.fields[name].label}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()
        ]
        changed = True
    needs_reason = changed and not (request.POST.get("reason") or "").strip()
    return page(
        request,
        "corridor/plan/_check.html",
        {"problems": problems, "changed": changed, "needs_reason": needs_reason},
    )
