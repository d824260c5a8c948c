"""The plan page for any day: a date to plan, the coming days as a strip, a used-up day said so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from corridor.jobs import services as jobs
from corridor.ledger.models import Entry
from corridor.transfers import plans
from corridor.transfers.models import Trip
from corridor.web.tests.conftest import Scene


def test_the_plan_page_takes_a_date_and_shows_the_coming_days(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    coordinator = client_for("coordinator")
    today = scene.plan.payload["date"]
    tomorrow = scene.trip.date.isoformat()  # the scene's trip is requested for tomorrow
    page = coordinator.get(reverse("web:plan")).content.decode()
    assert f'<time datetime="{today}">' in page.split("<h1>")[1].split("</h1>")[0]  # today has no trip yet
    assert 'id="day-strip"' in page and 'class="requested"' in page and "T-" in page
    later = (scene.trip.date + dt.timedelta(days=2)).isoformat()
    proposed = coordinator.post(reverse("web:plan_propose"), {"site": scene.site.code, "date": later})
    assert proposed.status_code == 302 and f"date={later}&job=" in proposed["Location"]
    jobs.run(int(proposed["Location"].rsplit("job=", 1)[1]))  # what the worker beside the server does
    entry = Entry.objects.filter(type="plan.proposed").order_by("-seq").first()
    assert entry is not None and entry.payload["date"] == later
    accepted = coordinator.post(reverse("web:plan_accept"), {"plan": entry.seq})
    assert accepted.status_code == 302
    assert set(Trip.objects.filter(status="requested").values_list("date", flat=True)) == {
        dt.date.fromisoformat(tomorrow),
        dt.date.fromisoformat(later),
    }  # two requests pending at once
    again = coordinator.post(reverse("web:plan_propose"), {"site": scene.site.code, "date": later})
    assert again.status_code == 302
    jobs.run(int(again["Location"].rsplit("job=", 1)[1]))
    shown = coordinator.get(reverse("web:plan"), {"date": later}).content.decode()
    latest = plans.latest_plan(scene.site, dt.date.fromisoformat(later))
    assert latest is not None and latest.payload["booked"]["used_up"] is True  # one hospital a day, taken
    assert 'id="used-up"' in shown and "nothing more is proposed" in shown
    assert 'aria-current="date"' in shown
