"""API test fixtures: a token per role, a client that sends it, and the demo-sized camp's trips."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # Rate limits are counted in a cache, which a test's rollback does not undo.
    from django.core.cache import caches

    caches["api-throttle"].clear()


@pytest.fixture
def tokens(users: dict[str, Any]) -> dict[str, str]:
    """One token per role, plus ``outsider`` (a token issued while it had a role that it has since lost)."""
    from django.contrib.auth.models import Group

    from corridor.accounts.tokens import issue_token

    made = {}
    for name, user in users.items():
        if name == "outsider":
            group = Group.objects.get(name="monitor")
            user.groups.add(group)
            made[name] = issue_token(user, by=None, label="test")[1]
            user.groups.remove(group)
        else:
            made[name] = issue_token(user, by=None, label="test")[1]
    return made


@pytest.fixture
def api_client() -> Callable[[str | None], Client]:
    def make(token: str | None) -> Client:
        headers = {"HTTP_HOST": "127.0.0.1"}
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        client = Client()
        client.defaults.update(headers)
        return client

    return make


@pytest.fixture
def trips(camp: Any, make_referral: Callable[..., Any]) -> dict[str, Any]:
    """Trips at each step of the gate timeline, all on Monday 13 October 2014 to hospital H-1."""
    from corridor.register.models import Facility
    from corridor.transfers import services as transfers

    day = dt.date(2014, 10, 13)
    at = dt.datetime(2014, 10, 13, 5, 0, tzinfo=dt.UTC)
    facility = Facility.objects.get(code="H-1")

    def trip(code: str, day: dt.date = day) -> Any:
        referral = make_referral(code)
        return transfers.request_trip(
            site=camp,
            day=day,
            facility=facility,
            referrals=[referral],
            by=None,
            at=dt.datetime.combine(day - dt.timedelta(days=2), dt.time(9), tzinfo=dt.UTC),  # asked ahead
        )

    requested = trip("P-REQ")
    approved = transfers.approve_trip(trip("P-APP"), by=None)
    at_gate = transfers.record_gate_arrival(transfers.approve_trip(trip("P-GATE"), by=None), at=at, by=None)
    arrived = transfers.approve_trip(trip("P-ARR", dt.date(2014, 10, 14)), by=None)
    arrived = transfers.record_gate_arrival(arrived, at=at + dt.timedelta(days=1), by=None)
    arrived = transfers.record_gate_release(arrived, at=at + dt.timedelta(days=1, hours=2), by=None)
    arrived = transfers.record_hospital_arrival(arrived, at=at + dt.timedelta(days=1, hours=3), by=None)
    waiting = make_referral("P-WAIT")
    # The roster: an interpreter asked for P-REQ on the requested trip (no answer yet), and a free nurse.
    from corridor.transfers import companions

    interpreter = companions.register_companion(
        site=camp,
        code="C-INT",
        kind="interpreter",
        registered_on=dt.date(2014, 1, 1),
        identity={"full_name": "Test Interpreter"},
        by=None,
    )
    companions.register_companion(site=camp, code="C-NURSE", kind="nurse", registered_on=dt.date(2014, 1, 1), by=None)
    companions.ask_companion(requested, companion=interpreter, for_patient=requested.passengers.get().patient, by=None)
    return {
        "requested": requested,
        "approved": approved,
        "at_gate": at_gate,
        "arrived": arrived,
        "waiting": waiting,
        "facility": facility,
    }


@pytest.fixture
def blockade(camp: Any, trips: dict[str, Any]) -> dict[str, Any]:
    """The camp's diesel and insulin (kept cold), its generator GEN-1, and P-REQ's dependence on insulin."""
    from corridor.register.models import Patient
    from corridor.supplies import actions as supplies

    diesel = supplies.define_item(site=camp, code="diesel", name="Diesel", category="diesel", unit="litres", by=None)
    insulin = supplies.define_item(
        site=camp, code="insulin", name="Insulin", category="medicine", unit="vials", needs_power=True, by=None
    )
    generator = supplies.add_generator(site=camp, code="GEN-1", fuel=diesel, litres_per_hour=16, by=None)
    dependence = supplies.record_dependence(
        patient=Patient.objects.get(code="P-REQ"),
        item=insulin,
        need="refrigerated_medicine",
        since=dt.date(2014, 10, 1),
        by=None,
    )
    return {"diesel": diesel, "insulin": insulin, "generator": generator, "dependence": dependence}
