"""Gate steps tapped offline and sent later: each key applied once, in order, at the time of the tap."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from conftest import DAY
from corridor.errors import InvalidInput, NotAllowed
from corridor.ledger.models import Entry
from corridor.register.models import Facility, Referral, Site
from corridor.transfers import outbox, transitions
from corridor.transfers import services as transfers
from corridor.transfers.models import GateTap, Trip

pytestmark = pytest.mark.django_db
CAMP_TIME = dt.timezone(dt.timedelta(hours=3))
FIVE = ("gate_arrived", "gate_held", "gate_released", "hospital_arrived", "returned")
TIMES = ("08:00", "08:10", "10:40", "11:30", "15:00")


def _at(hhmm: str) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time.fromisoformat(hhmm), tzinfo=CAMP_TIME)


@pytest.fixture
def trip(camp: Site, make_referral: Callable[..., Referral]) -> Trip:
    requested = transfers.request_trip(
        site=camp,
        day=DAY,
        facility=Facility.objects.get(code="H-1"),
        referrals=[make_referral("P-1")],
        by=None,
        at=dt.datetime.combine(DAY - dt.timedelta(days=2), dt.time(9), tzinfo=dt.UTC),
    )
    return transfers.approve_trip(requested, by=None, at=_at("06:00"))


def _tap(trip: Trip, step: str, tapped: dt.datetime, key: uuid.UUID | None = None, **kw: Any) -> outbox.TapResult:
    return outbox.apply_tap(
        trip,
        step=step,
        key=key or uuid.uuid4(),
        tapped_at=tapped,
        source="witness",
        certainty="confirmed",
        by=kw.pop("by", "monitor"),
        **kw,
    )


def test_five_taps_sent_later_become_five_entries_in_order_at_the_times_of_the_taps(trip: Trip) -> None:
    taps = [(step, _at(hhmm), uuid.uuid4()) for step, hhmm in zip(FIVE, TIMES, strict=True)]
    results = [_tap(trip, step, tapped, key) for step, tapped, key in taps]
    assert [r.status for r in results] == ["recorded"] * 5

    # The arrival of an approved trip records its departure first: six entries, the last five the taps.
    entries = list(Entry.objects.filter(subject_rows__key=f"trip:{trip.pk}").order_by("seq"))[-6:]
    assert [e.type for e in entries] == [
        "trip.departed",
        "gate.arrived",
        "gate.held",
        "gate.released",
        "trip.arrived",
        "trip.returned",
    ]
    for entry, (_, tapped, key) in zip(entries[1:], taps, strict=True):
        assert entry.occurred_at == f"{tapped.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%S}.000000Z"
        assert entry.payload["tap"] == {
            "key": str(key),
            "tapped_at": f"{tapped.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%S}.000000Z",
            "via": "outbox",
        }
        assert entry.recorded_at > entry.occurred_at  # recorded late, and the entry says by how much
    assert results[0].seqs == (entries[0].seq, entries[1].seq)
    trip.refresh_from_db()
    assert trip.status == Trip.Status.RETURNED and trip.hours_held == 2.5  # from the hold tapped at 08:10
    assert GateTap.objects.filter(trip=trip).count() == 5


def test_sending_the_same_outbox_again_adds_nothing_and_answers_what_each_tap_became(trip: Trip) -> None:
    taps = [(step, _at(hhmm), uuid.uuid4()) for step, hhmm in zip(FIVE, TIMES, strict=True)]
    first = [_tap(trip, step, tapped, key) for step, tapped, key in taps]
    count = Entry.objects.count()
    again = [_tap(trip, step, tapped, key) for step, tapped, key in taps]
    assert Entry.objects.count() == count
    assert [r.status for r in again] == ["recorded"] * 5 and all(r.replayed for r in again)
    assert [r.seqs for r in again] == [r.seqs for r in first]


def test_a_key_used_for_another_step_is_refused_and_writes_nothing(trip: Trip) -> None:
    key = uuid.uuid4()
    assert _tap(trip, "gate_arrived", _at("08:00"), key).status == "recorded"
    count = Entry.objects.count()
    result = _tap(trip, "gate_released", _at("09:00"), key)
    assert result.status == "refused" and result.field == "key" and "already used for gate_arrived" in result.detail
    assert Entry.objects.count() == count


def test_a_tap_the_trip_changed_under_is_a_conflict_that_writes_nothing_and_keeps_no_key(trip: Trip) -> None:
    transfers.record_gate_arrival(trip, at=_at("07:55"), by="coordinator")  # another phone, online
    count = Entry.objects.count()
    arrived = _tap(trip, "gate_arrived", _at("08:00"))
    assert arrived.status == "conflict" and arrived.detail.startswith("already recorded")
    transfers.record_turned_back(trip, at=_at("08:30"), reason="closed", by="coordinator")
    count += 1
    held = _tap(trip, "gate_held", _at("08:40"))
    assert held.status == "conflict" and "is returned; cannot record gate.held" in held.detail
    assert Entry.objects.count() == count and not GateTap.objects.exists()


def test_the_time_of_the_tap_is_checked_like_any_entered_time(trip: Trip) -> None:
    count = Entry.objects.count()
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)  # a phone whose clock runs ahead
    with pytest.raises(InvalidInput, match="in the future") as caught:
        _tap(trip, "gate_arrived", ahead)
    assert caught.value.field == "tapped_at"
    before_request = dt.datetime.combine(DAY - dt.timedelta(days=5), dt.time(9), tzinfo=dt.UTC)
    refused = _tap(trip, "gate_arrived", before_request)
    assert refused.status == "refused" and refused.field == "at" and "before the trip was requested" in refused.detail
    assert Entry.objects.count() == count


def test_a_time_the_monitor_typed_is_the_moment_and_the_tap_is_kept_beside_it(trip: Trip) -> None:
    _tap(trip, "gate_arrived", _at("08:30"), entered=_at("08:00"))
    entry = Entry.objects.get(type="gate.arrived")
    assert entry.occurred_at.startswith(f"{DAY}T05:00:00")  # 08:00 at the camp (UTC+3)
    assert entry.payload["tap"]["tapped_at"].startswith(f"{DAY}T05:30:00")
    # A hold's beginning is what the monitor entered (prefilled: the arrival); the tap is when it was seen.
    _tap(trip, "gate_held", _at("08:45"), entered=_at("08:05"), text="papers checked")
    trip.refresh_from_db()
    assert trip.held_since == _at("08:05")
    held = Entry.objects.get(type="gate.held")
    assert held.occurred_at.startswith(f"{DAY}T05:45:00") and held.payload["note"] == "papers checked"


def test_only_those_who_record_at_the_gate_may_send_taps(trip: Trip, users: dict[str, Any]) -> None:
    with pytest.raises(NotAllowed):
        _tap(trip, "gate_arrived", _at("08:00"), by=users["auditor"])
    assert not Entry.objects.filter(type="gate.arrived").exists()


def test_a_phone_clock_on_the_real_date_is_placed_on_a_scenarios_date(settings: Any) -> None:
    settings.TODAY = dt.date(2014, 10, 14)
    tapped = dt.datetime(2026, 12, 5, 9, 12, 30, tzinfo=dt.UTC)  # 12:12:30 at the camp (UTC+3)
    assert outbox.phone_time(tapped.isoformat(), "Etc/GMT-3") == dt.datetime(
        2014, 10, 14, 12, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=3))
    )
    on_the_day = dt.datetime(2014, 10, 14, 5, 0, tzinfo=dt.UTC)  # a phone set to the scenario's date
    assert outbox.phone_time(on_the_day.isoformat().replace("+00:00", "Z"), "Etc/GMT-3") == on_the_day
    settings.TODAY = None
    assert outbox.phone_time(tapped.isoformat(), "Etc/GMT-3") == tapped


class _Undo(Exception):
    pass


def test_the_steps_offered_after_waiting_taps_are_those_the_services_leave_the_trip_at(trip: Trip) -> None:
    paths = outbox.ahead(trip)
    assert paths[""] == ["gate_arrived"]
    assert paths["gate_arrived"] == ["gate_held", "gate_released", "turned_back"]
    assert paths["gate_arrived gate_held gate_released"] == ["hospital_arrived"]
    assert paths[" ".join(FIVE)] == []
    for path, offered in paths.items():
        try:
            with transaction.atomic():
                for hour, step in enumerate(path.split(), start=8):
                    assert _tap(Trip.objects.get(pk=trip.pk), step, _at(f"{hour:02d}:00")).status == "recorded"
                recorded = Trip.objects.select_related("site").get(pk=trip.pk)
                assert [s for s in outbox.STEPS if transitions.offered(s, recorded)] == offered, path
                raise _Undo
        except _Undo:
            pass
