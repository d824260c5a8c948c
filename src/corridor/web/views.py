"""The workspace's pages. Each view reads through the ORM or calls one service, then renders."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from corridor import clock
from corridor.ledger.models import Entry
from corridor.register.models import Facility, Patient, Referral
from corridor.transfers.models import Trip


@login_required
def home(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    waiting = Referral.objects.filter(status=Referral.Status.WAITING)
    context = {
        "today": today,
        "patients": Patient.objects.count(),
        "facilities": Facility.objects.count(),
        "waiting": waiting.count(),
        "past_deadline": waiting.filter(due_date__lt=today).count(),
        "by_priority": waiting.values("priority__code", "priority__name")
        .annotate(n=Count("id"))
        .order_by("priority__rank"),
        "trips_by_status": Trip.objects.values("status").annotate(n=Count("id")).order_by("status"),
        "entries": Entry.objects.count(),
        "recent": Entry.objects.order_by("-seq")[:15],
    }
    return render(request, "corridor/home.html", context)
