"""The phone's outbox as the server sees it: the send route, the trip page's part, the timeline, the worker."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.test import Client
from django.urls import reverse

from corridor.ledger.models import Entry
from corridor.register.models import Facility
from corridor.transfers import services as transfers
from corridor.transfers.models import GateTap, Trip
from corridor.web.tests.conftest import Scene

CAMP_TIME = dt.timezone(dt.timedelta(hours=3))  # the test camp's Etc/GMT-3


def _todays_trip(scene: Scene) -> Trip:
    day = scene.trip.date - dt.timedelta(days=1)  # the scene's today
    trip = transfers.request_trip(
        site=scene.site,
        day=day,
        facility=Facility.objects.get(code="H-1"),
        referrals=scene.referrals[:1],
        by=None,
        at=dt.datetime.combine(day - dt.timedelta(days=2), dt.time(9), tzinfo=dt.UTC),
    )
    return transfers.approve_trip(trip, by=None, at=dt.datetime.combine(day, dt.time(5), tzinfo=CAMP_TIME))


def _tapped(trip: Trip, hhmm: str) -> str:
    """The phone's clock, as its script sends it (toISOString: UTC, milliseconds, Z)."""
    moment = dt.datetime.combine(trip.date, dt.time.fromisoformat(hhmm), tzinfo=CAMP_TIME).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _send(client: Client, taps: list[dict[str, Any]], **headers: Any) -> Any:
    return client.post(reverse("web:outbox"), json.dumps({"taps": taps}), content_type="application/json", **headers)


def _tap(trip: Trip, step: str, hhmm: str, **fields: str) -> dict[str, Any]:
    return {"key": str(uuid.uuid4()), "trip": trip.pk, "step": step, "tapped_at": _tapped(trip, hhmm), **fields}


def test_an_outbox_sent_later_is_applied_in_order_and_a_second_sending_adds_nothing(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    trip = _todays_trip(scene)
    monitor = client_for("monitor")
    taps = [
        _tap(trip, "gate_arrived", "08:00"),
        _tap(trip, "gate_held", "08:05", note="papers checked"),
        _tap(trip, "gate_released", "10:05"),
        _tap(trip, "hospital_arrived", "11:20"),
        _tap(trip, "returned", "15:45"),
    ]
    answer = _send(monitor, taps)
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["recorded"] * 5
    assert [r["key"] for r in results] == [t["key"] for t in taps]
    assert results[1]["message"] == "Recorded: Held at the gate."
    entries = Entry.objects.filter(
        type__in=["gate.arrived", "gate.held", "gate.released", "trip.arrived", "trip.returned"]
    )
    assert [e.payload["tap"]["key"] for e in entries.order_by("seq")] == [t["key"] for t in taps]
    assert [e.occurred_at[:19] for e in entries.order_by("seq")] == [t["tapped_at"][:19] for t in taps]
    trip.refresh_from_db()
    assert trip.hours_held == 2.0 and trip.status == Trip.Status.RETURNED

    count = Entry.objects.count()
    again = _send(monitor, taps).json()["results"]
    assert Entry.objects.count() == count
    assert [(r["status"], r["replayed"]) for r in again] == [("recorded", True)] * 5
    assert [r["seqs"] for r in again] == [r["seqs"] for r in results]

    page = monitor.get(reverse("web:trip", args=[trip.pk])).content.decode()
    # The scene's clock is a scenario's (the real date is later): every tap reads as received late.
    assert page.count("Tapped on a phone without a connection; received") == 5


def test_a_conflict_is_answered_in_the_monitors_language_and_writes_nothing(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    trip = _todays_trip(scene)
    transfers.record_gate_arrival(
        trip, at=dt.datetime.combine(trip.date, dt.time(7, 50), tzinfo=CAMP_TIME), by="coordinator"
    )
    monitor = client_for("monitor")
    count = Entry.objects.count()
    results = _send(monitor, [_tap(trip, "gate_arrived", "08:00")]).json()["results"]
    assert results[0]["status"] == "conflict"
    assert results[0]["message"] == (
        "At the gate, tapped at 08:00, was not recorded: the trip changed meanwhile. "
        "Its arrival at the gate was recorded at 07:50."
    )
    transfers.record_turned_back(
        trip, at=dt.datetime.combine(trip.date, dt.time(9, 10), tzinfo=CAMP_TIME), reason="closed", by="coordinator"
    )
    count += 1
    monitor.post(reverse("web:set_language"), {"language": "fa"})
    results = _send(monitor, [_tap(trip, "gate_released", "09:30")]).json()["results"]
    assert results[0]["status"] == "conflict"
    message = results[0]["message"]
    assert "۰۹:۳۰" in message and "۰۹:۱۰" in message  # the tap's time and the turning back's, Persian digits
    assert not re.search(r"[A-Za-z]{3,}", message), message  # no English left
    assert Entry.objects.count() == count and not GateTap.objects.exists()


def test_the_send_route_wants_the_pages_csrf_token_and_a_role_that_records_at_the_gate(
    scene: Scene, client_for: Callable[[str], Client], users: dict[str, Any]
) -> None:
    trip = _todays_trip(scene)
    careful = Client(enforce_csrf_checks=True)
    careful.force_login(users["monitor"])
    assert _send(careful, [_tap(trip, "gate_arrived", "08:00")]).status_code == 403
    page = careful.get(reverse("web:trip", args=[trip.pk])).content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page)
    assert token is not None
    sent = _send(careful, [_tap(trip, "gate_arrived", "08:00")], HTTP_X_CSRFTOKEN=token.group(1))
    assert sent.status_code == 200 and sent.json()["results"][0]["status"] == "recorded"
    assert _send(client_for("auditor"), [_tap(trip, "gate_held", "08:10")]).status_code == 403
    assert _send(client_for("monitor"), []).status_code == 400
    assert Entry.objects.filter(type="gate.held").count() == 0


def test_a_tap_that_cannot_be_read_is_refused_and_the_others_are_applied(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    trip = _todays_trip(scene)
    taps = [
        {"key": "not-a-key", "trip": trip.pk, "step": "gate_arrived", "tapped_at": _tapped(trip, "08:00")},
        {"key": str(uuid.uuid4()), "trip": trip.pk, "step": "approve", "tapped_at": _tapped(trip, "08:00")},
        _tap(trip, "gate_arrived", "08:01"),
        _tap(trip, "gate_released", "07:00"),  # before the arrival
    ]
    results = _send(client_for("monitor"), taps).json()["results"]
    assert [r["status"] for r in results] == ["refused", "refused", "recorded", "refused"]
    assert results[3]["message"] == "Released, tapped at 07:00, was not recorded: its time does not fit the trip."
    assert "before the arrival" in results[3]["detail"]


def test_the_trip_page_carries_the_outbox_and_the_buttons_of_the_steps_ahead(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    trip = _todays_trip(scene)
    page = client_for("monitor").get(reverse("web:trip", args=[trip.pk])).content.decode()
    assert 'id="outbox" hidden' in page and 'data-send="/trips/outbox/"' in page
    assert f"/trips/{trip.pk}/" in re.search(r'data-pages="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    ahead = json.loads(re.search(r'data-ahead="([^"]+)"', page).group(1).replace("&quot;", '"'))  # type: ignore[union-attr]
    assert ahead[""] == ["gate_arrived"] and ahead["gate_arrived gate_held"] == ["gate_released", "turned_back"]
    # Offered now: shown. Later steps: on the page, hidden until taps waiting on the phone reach them.
    assert re.search(r'<details class="action" id="action-gate_arrived" data-step="gate_arrived">', page)
    assert re.search(r'id="action-gate_released" data-step="gate_released" hidden>', page)
    assert 'data-outbox="returned"' in page and 'data-outbox="cancel"' not in page
    auditor = client_for("auditor").get(reverse("web:trip", args=[trip.pk])).content.decode()
    assert 'id="outbox"' not in auditor and "data-ahead" not in auditor


def test_the_service_worker_is_our_static_file_served_where_it_may_control_the_trip_pages(client: Client) -> None:
    answer = client.get(reverse("web:outbox_worker"))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/javascript")
    assert reverse("web:outbox_worker") == "/trips/worker.js"  # its scope: /trips/
    assert b"caches.open" in answer.content and b"://" not in answer.content  # nothing from elsewhere


def test_the_keys_of_sent_taps_are_read_only_in_the_admin(admin_client: Client) -> None:
    assert admin_client.get("/admin/transfers/gatetap/").status_code == 200
    assert admin_client.get("/admin/transfers/gatetap/add/").status_code == 403  # written only with their entries


def test_an_outbox_nested_past_the_limit_is_refused_as_unreadable_and_writes_nothing(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    before = Entry.objects.count()
    body = '{"taps": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client_for("monitor").post(reverse("web:outbox"), body, content_type="application/json")
    assert response.status_code == 400 and response.json() == {"error": "The outbox could not be read."}
    assert Entry.objects.count() == before
