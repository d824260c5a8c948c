"""A corrected or retracted status entry changes the trip's row as the ledger now says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from conftest import DAY
from corridor.errors import InvalidInput
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.ledger.tests.ledgers import corrected
from corridor.register.models import Facility, Referral, Site
from corridor.reports import catalogue
from corridor.reports.core import Period
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip

pytestmark = pytest.mark.django_db
OCTOBER = Period.month("2014-10", dt.date(2014, 10, 31))
AT = dt.datetime.combine(DAY, dt.time(5), tzinfo=dt.UTC)


def _trip(camp: Site, make_referral: Callable[..., Referral], code: str = "P-1") -> Trip:
    return transfers.request_trip(
        site=camp,
        day=DAY,
        facility=Facility.objects.get(code="H-1"),
        referrals=[make_referral(code)],
        by=None,
        at=AT - dt.timedelta(days=2),
    )


def _entry(trip: Trip, kind: str) -> Entry:
    (entry,) = [e for e in ledger.entries_about(f"trip:{trip.pk}") if e.type == kind]
    return entry


def _fix(entry: Entry, *, retract: bool = False, **changes: Any) -> Entry:
    return corrected(
        entry, changes, by="monitor", reason="the driver says otherwise", source="witness", retract=retract
    )


def _row(trip: Trip) -> tuple[Any, ...]:
    fresh = Trip.objects.get(pk=trip.pk)
    return (fresh.status, fresh.status_reason, fresh.cancelled_by, fresh.turned_back_at_gate, fresh.returned_at)


def _cancelled_by(found: catalogue.IndicatorSet) -> dict[str, Any]:
    return {row[0]: row[1] for row in next(t for t in found.tables() if t.code == "trips.cancelled_by").rows}


def test_a_retracted_cancellation_puts_the_trip_back_to_the_state_before_it(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    approved = transfers.approve_trip(_trip(camp, make_referral), by=None, at=AT - dt.timedelta(days=1))
    transfers.cancel_trip(approved, reason="no fuel", cancelled_by="camp", by=None, at=AT)
    requested = _trip(camp, make_referral, "P-2")
    transfers.cancel_trip(requested, reason="closure", by=None, at=AT)
    assert _row(approved) == ("cancelled", "no fuel", "camp", False, None)
    _fix(_entry(approved, "trip.cancelled"), retract=True)
    _fix(_entry(requested, "trip.cancelled"), retract=True)
    assert _row(approved) == ("approved", "", "", False, None)
    assert _row(requested) == ("requested", "", "", False, None)
    # Back in its state, the trip goes on as any other would.
    transfers.record_gate_arrival(approved, at=AT + dt.timedelta(hours=1), by=None)
    assert Trip.objects.get(pk=approved.pk).status == "departed"


def test_a_retracted_denial_puts_the_trip_back_to_requested(camp: Site, make_referral: Callable[..., Referral]) -> None:
    trip = transfers.deny_trip(_trip(camp, make_referral), reason="security", by=None, at=AT)
    _fix(_entry(trip, "trip.denied"), retract=True)
    assert _row(trip) == ("requested", "", "", False, None)


def test_a_retracted_approval_after_a_cancellation_leaves_the_trip_cancelled(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    trip = transfers.approve_trip(_trip(camp, make_referral), by=None, at=AT - dt.timedelta(days=1))
    transfers.cancel_trip(trip, reason="no fuel", cancelled_by="hospital", by=None, at=AT)
    _fix(_entry(trip, "trip.approved"), retract=True)
    assert _row(trip) == ("cancelled", "no fuel", "hospital", False, None)


def test_a_corrected_canceller_and_reason_change_the_trip_and_the_indicators_equally(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    trip = transfers.cancel_trip(_trip(camp, make_referral), reason="closure", by=None, at=AT)
    assert _cancelled_by(catalogue.compute_all(OCTOBER)) == {"authority": 1}
    _fix(_entry(trip, "trip.cancelled"), cancelled_by="hospital", reason="no surgeon")
    assert _row(trip) == ("cancelled", "no surgeon", "hospital", False, None)
    assert _cancelled_by(catalogue.compute_all(OCTOBER)) == {Trip.objects.get(pk=trip.pk).cancelled_by: 1}


@pytest.mark.parametrize("canceller", ["the moon", "", None, "Camp"])
def test_an_unknown_canceller_is_refused_and_nothing_is_written(
    camp: Site, make_referral: Callable[..., Referral], canceller: str | None
) -> None:
    trip = transfers.cancel_trip(_trip(camp, make_referral), reason="closure", by=None, at=AT)
    before, head = _row(trip), ledger.head()
    with pytest.raises(InvalidInput) as refused:
        _fix(_entry(trip, "trip.cancelled"), cancelled_by=canceller)
    assert (refused.value.code, refused.value.field) == ("trip.unknown_canceller", "changes.cancelled_by")
    assert "authority, camp, hospital, other" in str(refused.value)
    assert _row(trip) == before and ledger.head() == head


def test_a_retracted_turning_back_makes_the_trip_departed_again_with_its_patients_pending(
    camp: Site, make_referral: Callable[..., Referral]
) -> None:
    trip = transfers.approve_trip(_trip(camp, make_referral), by=None, at=AT - dt.timedelta(days=1))
    transfers.record_gate_arrival(trip, at=AT, by=None)
    transfers.record_turned_back(trip, at=AT + dt.timedelta(hours=2), reason="closed", by=None)
    assert _row(trip) == ("returned", "closed", "", True, AT + dt.timedelta(hours=2))
    _fix(_entry(trip, "gate.turned_back"), retract=True)
    assert _row(trip) == ("departed", "", "", False, None)
    assert list(trip.passengers.values_list("outcome", flat=True)) == ["pending"]
    # Let through after all: the gate records the release, as for any trip waiting there.
    transfers.record_gate_release(trip, at=AT + dt.timedelta(hours=3), by=None)
    assert Trip.objects.get(pk=trip.pk).gate_released_at == AT + dt.timedelta(hours=3)
