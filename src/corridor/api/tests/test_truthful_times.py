"""Impossible dates are refused by the API naming the field, and nothing is written; a date alone stays one."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from corridor.ledger import services as ledger
from corridor.ledger.models import Entry

Clients = Callable[[str | None], Client]


def _post(client: Client, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = client.post(path, body, content_type="application/json")
    return response.status_code, json.loads(response.content)


@pytest.mark.parametrize(
    ("who", "path", "body", "field"),
    [
        ("monitor", "/api/trips/{approved}/cancel", {"at": "2099-01-01T09:00:00Z"}, "at"),
        ("monitor", "/api/trips/{at_gate}/gate-held", {"since": "1900-01-01T09:00:00Z"}, "since"),
        ("monitor", "/api/trips/{approved}/gate-arrived", {"at": "2099-01-01T09:00:00Z"}, "at"),
        ("coordinator", "/api/trips/{requested}/approve", {"on": "2031-01-01"}, "on"),
        ("coordinator", "/api/trips/{requested}/deny", {"at": "2014-10-01T09:00:00Z"}, "at"),  # before the request
        (
            "monitor",
            "/api/trips/{arrived}/outcomes",
            {"patient": "P-ARR", "outcome": "seen", "at": "2014-10-14T06:00:00Z"},
            "at",
        ),
        (
            "coordinator",
            "/api/patients",
            {"site": "CAMP-T", "code": "P-NEW", "registered_on": "2030-05-05"},
            "registered_on",
        ),
        (
            "clinician",
            "/api/referrals",
            {"patient": "P-WAIT", "specialty": "oncology", "priority": "P2", "referral_date": "2031-05-05"},
            "referral_date",
        ),
        (
            "clinician",
            "/api/referrals",
            {"patient": "P-WAIT", "specialty": "oncology", "priority": "P2", "referral_date": "1969-05-05"},
            "referral_date",
        ),
        ("monitor", "/api/trips/{at_gate}/gate-released", {"at": "2099-01-01T09:00:00Z"}, "at"),
        ("monitor", "/api/trips/{at_gate}/turned-back", {"at": "1900-01-01T09:00:00Z", "reason": "closed"}, "at"),
        ("monitor", "/api/trips/{arrived}/returned", {"at": "2099-01-01T09:00:00Z"}, "at"),
        ("monitor", "/api/patients/P-WAIT/death", {"on": "2099-01-01"}, "on"),
        ("monitor", "/api/supplies/blocked", {"site": "CAMP-T", "item": "medicine", "on": "2099-01-01"}, "on"),
        (
            "monitor",
            "/api/incidents",
            {"site": "CAMP-T", "kind": "closure", "resource": "gate", "description": "shut", "on": "2099-01-01"},
            "on",
        ),
        (
            "coordinator",
            "/api/trips/{approved}/companions",
            {"companion": "C-NURSE", "for_patient": "P-APP", "at": "2099-01-01T09:00:00Z"},
            "at",
        ),
        (
            "coordinator",
            "/api/trips/{requested}/companions/C-INT/answer",
            {"answer": "rejected", "at": "2014-10-01T09:00:00Z"},  # before the trip was requested
            "at",
        ),
    ],
)
def test_every_kind_of_impossible_date_is_refused_naming_the_field_and_nothing_is_written(
    tokens: dict[str, str],
    api_client: Clients,
    trips: dict[str, Any],
    who: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    path = path.format(**{name: getattr(t, "pk", "") for name, t in trips.items()})
    head = ledger.head()
    status, answer = _post(api_client(tokens[who]), path, {"source": "witness", "certainty": "confirmed", **body})
    assert status == 422, answer
    assert answer["error"]["field"] in (field, f"body.data.{field}", f"data.{field}"), answer
    assert ledger.head() == head


def test_an_answer_known_only_by_its_date_is_stored_with_date_precision(
    tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    trip = trips["requested"]
    status, answer = _post(api_client(tokens["coordinator"]), f"/api/trips/{trip.pk}/approve", {"on": "2014-10-12"})
    assert status == 200, answer
    entry = Entry.objects.get(seq=answer["entry"]["seq"])
    assert entry.payload["precision"] == "date" and entry.occurred_at.startswith("2014-10-12")
    status, both = _post(
        api_client(tokens["coordinator"]),
        f"/api/trips/{trips['approved'].pk}/cancel",
        {"on": "2014-10-12", "at": "2014-10-12T09:00:00Z"},
    )
    assert status == 422 and both["error"]["field"] == "on"
