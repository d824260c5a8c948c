"""The transfers' refusals carry a code and their values, and are said in Persian and Arabic with local digits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from conftest import DAY
from corridor.errors import CorridorError, InvalidInput
from corridor.ledger.models import Entry
from corridor.refusals import in_language
from corridor.register.models import Facility, Referral, Site
from corridor.transfers import outbox, plans
from corridor.transfers import services as transfers

pytestmark = pytest.mark.django_db


def _said(error: CorridorError, language: str) -> str:
    with translation.override(language):
        return in_language(error)


def test_a_plan_horizon_out_of_range_is_refused_with_its_bounds_said_with_local_digits(camp: Site) -> None:
    with pytest.raises(InvalidInput) as refused:
        plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=400)
    error = refused.value
    assert error.code == "plan.horizon_out_of_range" and error.field == "horizon_days"
    assert error.values == {"least": 7, "most": 366}
    assert str(error) == "horizon_days: must be between 7 and 366 days"
    assert _said(error, "fa") == "باید بین ۷ تا ۳۶۶ روز باشد"
    assert _said(error, "ar") == "يجب أن يكون بين ٧ و٣٦٦ يومًا"


def test_a_plan_changed_without_a_reason_and_a_trip_cancelled_by_nobody_known_are_refused_in_words(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    waiting = [make_referral(f"P-{i}", priority="P2", referral_date=DAY - dt.timedelta(days=10 - i)) for i in range(3)]
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14)
    with pytest.raises(InvalidInput) as refused:
        plans.accept_plan(entry, by=None, facility=Facility.objects.get(code="H-1"), referrals=waiting[:1])
    error = refused.value
    assert error.code == "plan.change_without_reason" and error.field == "reason"
    assert str(error) == "reason: say why the trip differs from the plan"
    assert _said(error, "fa") == "بگویید چرا اعزام با برنامه فرق دارد"
    trip = plans.accept_plan(entry, by=None)
    with pytest.raises(InvalidInput) as refused:
        transfers.cancel_trip(trip, cancelled_by="weather", by=None)
    error = refused.value
    assert error.code == "trip.unknown_canceller" and error.field == "cancelled_by"
    assert str(error) == "cancelled_by: must be one of authority, camp, hospital, other"
    assert _said(error, "ar") == "يجب أن يكون أحد هذه: authority، camp، hospital، other"


def test_a_phones_tap_with_a_key_that_is_not_a_uuid_is_refused_with_its_code() -> None:
    with pytest.raises(InvalidInput) as refused:
        outbox.parse_key("tap-1")
    error = refused.value
    assert error.code == "tap.key_not_a_uuid" and str(error) == "key: must be a UUID"
    assert _said(error, "fa") == "باید یک UUID باشد" and _said(error, "ar") == "يجب أن يكون UUID"


def test_every_act_on_a_trip_refuses_a_missing_capability_then_another_sites_trip_then_an_unknown_source(
    crossing: Any, users: dict[str, Any]
) -> None:
    trip, patient = crossing.trip, crossing.patient
    acts: dict[str, Callable[[Any], Any]] = {
        "approve": lambda by: transfers.approve_trip(trip, by=by, source="rumour"),
        "outcome": lambda by: transfers.record_outcome(trip, patient=patient, outcome="seen", by=by, source="rumour"),
        "missed": lambda by: transfers.record_missed_appointment(
            trip, patient=patient, reason="late", by=by, source="rumour"
        ),
        "manifest": lambda by: transfers.change_manifest(trip, remove=[patient], reason="swap", by=by, source="rumour"),
    }
    before = Entry.objects.count()
    for name, act in acts.items():
        codes = []
        for by in (users["outsider"], users["coordinator"], crossing.users["coordinator"]):
            with pytest.raises(CorridorError) as refused:
                act(by)
            codes.append(refused.value.code)
        assert codes == ["role.may_not", "trip.not_found", "evidence.unknown_source"], name
    assert Entry.objects.count() == before
