"""The correction endpoint changes the rows the API reads, and refuses a correction they cannot follow."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.transfers import services as transfers

pytestmark = pytest.mark.django_db


def test_a_cancellation_retracted_through_the_api_gives_the_trip_back_its_approval(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], trips: dict[str, Any]
) -> None:
    trip = transfers.cancel_trip(trips["approved"], reason="closure", cancelled_by="camp", by=None)
    client = api_client(tokens["coordinator"])
    cancelled = Entry.objects.get(type="trip.cancelled")
    wrong = {"reason": "typed on the wrong trip", "changes": {"cancelled_by": "the moon"}}
    refused = client.post(f"/api/ledger/{cancelled.seq}/corrections", wrong, content_type="application/json")
    error = json.loads(refused.content)["error"]
    assert refused.status_code == 422 and (error["reason"], error["field"]) == (
        "trip.unknown_canceller",
        "changes.cancelled_by",
    )
    assert not Entry.objects.filter(type="entry.corrected").exists()
    body = {"reason": "typed on the wrong trip", "retract": True}
    made = client.post(f"/api/ledger/{cancelled.seq}/corrections", body, content_type="application/json")
    assert made.status_code == 201 and made.json()["type"] == "entry.retracted"
    shown = client.get(f"/api/trips/{trip.pk}").json()
    assert (shown["status"], shown["status_reason"], shown["cancelled_by"]) == ("approved", "", "")
    assert ledger.verify().ok


def test_a_closing_retracted_through_the_api_shows_the_referral_open_again(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], make_referral: Callable[..., Any]
) -> None:
    from corridor.register import services as register

    referral = make_referral("P-2")
    register.close_referral(referral, reason="withdrawn", on=referral.referral_date, by=None)
    closing = Entry.objects.get(type="referral.closed")
    client = api_client(tokens["coordinator"])
    removed = {"reason": "no date was given", "changes": {"closed_on": None}}
    refused = client.post(f"/api/ledger/{closing.seq}/corrections", removed, content_type="application/json")
    error = json.loads(refused.content)["error"]
    assert refused.status_code == 422
    assert (error["reason"], error["field"]) == ("referral.closing_date_removed", "changes.closed_on")
    body = {"reason": "withdrawn by mistake", "retract": True}
    made = client.post(f"/api/ledger/{closing.seq}/corrections", body, content_type="application/json")
    assert made.status_code == 201
    shown = client.get(f"/api/referrals/{referral.pk}").json()
    assert (shown["status"], shown["closed_on"]) == ("waiting", None)
