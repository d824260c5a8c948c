"""The dashboard: today's plan and trips, the backlog, who is past their deadline, this month, the ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse

from corridor import clock, sensitivity
from corridor.accounts.roles import Can, Role
from corridor.ledger.models import Entry
from corridor.register.models import Patient, Referral, Site, deadline_expression
from corridor.register.scoping import for_sites, visible
from corridor.transfers import plans
from corridor.transfers.models import Trip
from corridor.web.access import _roles, allowed, requires
from corridor.web.views.common import current_site, page

WENT = (Trip.Status.DEPARTED, Trip.Status.RETURNED)
HELD_HOURS = 1.0  # a wait at the gate of an hour or more counts as "held"


def break_glass_alerts(user: Any) -> list[Any]:
    """Break-glass accesses no auditor has acknowledged yet, of the user's sites: every coordinator and
    auditor sees them here."""
    from corridor.accounts.breakglass import unacknowledged

    if Role.COORDINATOR not in _roles(user) and not allowed(user, Can.REVIEW_ACCESS):
        return []
    return list(visible(unacknowledged(), user)[:20])


def waiting_referrals(site: Site | None) -> Any:
    """Referrals still waiting, of patients still in the camp, referred by today (as the monthly report
    counts its backlog: a referral dated after today is not yet waiting)."""
    waiting = Referral.objects.filter(status=Referral.Status.WAITING, referral_date__lte=clock.today()).exclude(
        patient__status__in=(Patient.Status.DECEASED, Patient.Status.LEFT)
    )
    return waiting.filter(patient__site=site) if site else waiting


def in_care_referrals(site: Site | None) -> Any:
    """Referrals in care: seen, care going on, no visit due now."""
    in_care = Referral.objects.filter(status=Referral.Status.IN_CARE).exclude(
        patient__status__in=(Patient.Status.DECEASED, Patient.Status.LEFT)
    )
    return in_care.filter(patient__site=site) if site else in_care


def accepted_trip(plan: Entry | None) -> Trip | None:
    """The trip requested from ``plan`` (if it was accepted), whatever became of it since."""
    if plan is None:
        return None
    requested = Entry.objects.filter(type="trip.requested", body__contains=f'"plan":{plan.seq},').first()
    if requested is None:
        return None
    return Trip.objects.filter(pk=requested.payload["trip"]).select_related("facility").first()


def month_days(site: Site | None, today: dt.date) -> list[dict[str, Any]]:
    """Each day of this month so far, with what happened to its trips (for the strip of squares)."""
    start = today.replace(day=1)
    trips = Trip.objects.filter(date__gte=start, date__lte=today)
    if site:
        trips = trips.filter(site=site)
    by_day: dict[dt.date, list[Trip]] = {}
    for trip in trips:
        by_day.setdefault(trip.date, []).append(trip)
    out = []
    for offset in range((today - start).days + 1):
        date = start + dt.timedelta(days=offset)
        day_trips = by_day.get(date, [])
        if any(t.turned_back_at_gate for t in day_trips):
            state = "turned_back"
        elif any(t.status in WENT for t in day_trips):
            held = any((t.hours_held or 0) >= HELD_HOURS for t in day_trips)
            state = "held" if held else "went"
        elif any(t.status == Trip.Status.DENIED for t in day_trips):
            state = "denied"
        elif any(t.status == Trip.Status.CANCELLED for t in day_trips):
            state = "cancelled"
        elif day_trips:
            state = "pending"
        else:
            state = "none"
        out.append({"date": date, "state": state})
    return out


def month_counts(site: Site | None, today: dt.date) -> dict[str, Any]:
    """This month's trips as the monthly report counts them: statuses and holds as their ledger entries
    stand after corrections and retractions (docs/indicators.md), so the card and the report agree."""
    from corridor.reports import queries, scope
    from corridor.reports.core import Period

    period = Period.month(f"{today:%Y-%m}", today)
    with scope.covering(None if site is None else [site.pk]):
        statuses = queries.trips_by_status(period)
        held = [hours for *_rest, hours in queries.holds(period)]
        turned_back = queries.turned_back(period)
    return {
        # Keyed by the statuses' own codes (the template reads month.requested, month.approved, …).
        Trip.Status.REQUESTED: sum(statuses.values()),
        Trip.Status.APPROVED: sum(statuses.get(s, 0) for s in (Trip.Status.APPROVED, *WENT)),
        Trip.Status.DENIED: statuses.get(Trip.Status.DENIED, 0),
        Trip.Status.CANCELLED: statuses.get(Trip.Status.CANCELLED, 0),
        "turned_back": turned_back,
        "held": sum(1 for h in held if h >= HELD_HOURS),
        "longest_hold": round(max(held), 2) if held else None,
    }


@requires(None)
def dashboard(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    site = current_site(request)
    if site is None:  # an account given no site yet sees no per-site count at all
        return page(request, "corridor/no_site.html", {"site": None})
    waiting = waiting_referrals(site)
    waiting = waiting.annotate(next_due=deadline_expression())
    backlog = list(
        waiting.values("priority__code", "priority__name", "priority__rank")
        .annotate(total=Count("id"), overdue=Count("id", filter=Q(next_due__lt=today)))
        .order_by("priority__rank")
    )
    overdue = waiting.filter(next_due__lt=today)
    past_deadline = [
        {"referral": r, "days": (today - r.deadline).days}
        for r in overdue.select_related("patient", "priority").order_by("next_due", "id")[:10]
    ]
    plan = plans.latest_plan(site, today)
    today_trips = (
        Trip.objects.filter(date=today)
        .select_related("facility")
        .annotate(patients=Count("passengers", filter=Q(passengers__role="patient", passengers__removed=False)))
        .filter(site=site)
    )
    context = {
        "site": site,
        "plan": plan.payload if plan else None,
        "plan_entry": plan,
        "accepted": accepted_trip(plan),
        "today_trips": list(today_trips),
        "backlog": backlog,
        "backlog_max": max((row["total"] for row in backlog), default=0),
        "waiting_total": sum(row["total"] for row in backlog),
        "overdue_total": overdue.count(),
        "in_care_total": in_care_referrals(site).count(),
        "past_deadline": past_deadline,
        "month": month_counts(site, today),
        "month_days": month_days(site, today),
        "blocked_this_month": Entry.objects.filter(
            type="supply.blocked",
            site_rows__site_id=site.pk,
            occurred_at__gte=today.replace(day=1).isoformat(),
            occurred_at__lt=(today + dt.timedelta(days=1)).isoformat(),
        ).count(),
        "recent": sensitivity.redact_entries(for_sites(Entry.objects.order_by("-seq"), [site.pk])[:10], request.user),
        "break_glass": break_glass_alerts(request.user),
    }
    return page(request, "corridor/dashboard.html", context)
