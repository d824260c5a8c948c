"""The transfers' refusals carry a code and their values, and are said in Persian and Arabic with local digits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import translation

from conftest import DAY
from corridor.errors import CorridorError, InvalidInput
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
        plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=400, time_limit=1)
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
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14, time_limit=1)
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
