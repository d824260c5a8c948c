"""A service's refusal reaches an API client with its code and values, worded in the caller's language."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

Clients = Callable[[str | None], Client]


def _refused(client: Client, url: str, body: dict[str, Any], language: str) -> dict[str, Any]:
    response = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 409, response.content
    return json.loads(response.content)["error"]


def test_a_step_out_of_order_is_refused_with_its_code_and_in_the_callers_language(
    tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    trip = trips["requested"]
    url = f"/api/trips/{trip.pk}/gate-released"
    body = {"at": "2014-10-13T08:00:00+03:00"}
    english = _refused(api_client(tokens["monitor"]), url, body, "en")
    arabic = _refused(api_client(tokens["monitor"]), url, body, "ar")
    assert english["code"] == arabic["code"] == "conflict"
    assert english["reason"] == arabic["reason"] == "trip.wrong_state"
    assert english["values"]["trip"] == trip.code and english["values"]["event"] == "gate.released"
    assert english["message"] == f"trip {trip.code} is requested; cannot record released at the gate"
    assert arabic["message"].startswith(f"الرحلة {trip.code} «") and "لا يمكن تسجيل" in arabic["message"]
    assert not any(word in arabic["message"] for word in ("requested", "gate.released", "cannot"))
