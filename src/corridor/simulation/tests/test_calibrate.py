"""Calibration from ledger events, on synthetic events (no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.simulation.calibrate import CalibrationError, calibrate
from corridor.simulation.model import Scenario, default_class

START = dt.date(2014, 6, 1)


class Ledger:
    """Builds event dicts the way the ledger stores them."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.next_referral = 1
        self.next_trip = 1

    def add(self, kind: str, day: dt.date, **payload: Any) -> int:
        seq = len(self.events) + 1
        at = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.events.append({"seq": seq, "type": kind, "occurred_at": at, "payload": payload})
        return seq

    def refer(self, day: dt.date, priority: str = "P2", specialty: str = "oncology") -> int:
        rid = self.next_referral
        self.next_referral += 1
        self.add(
            "referral.created",
            day,
            referral=rid,
            patient=f"P-{rid:04d}",
            priority=priority,
            specialty=specialty,
            referral_date=day.isoformat(),
            due_date=day.isoformat(),
        )
        return rid

    def close(self, rid: int, day: dt.date, reason: str = "treated") -> None:
        self.add("referral.closed", day, referral=rid, reason=reason, closed_on=day.isoformat())

    def trip(self, day: dt.date, outcome: str | None, referrals: list[int], facility: str = "H-01") -> int:
        tid = self.next_trip
        self.next_trip += 1
        self.add(
            "trip.requested",
            day,
            trip=tid,
            date=day.isoformat(),
            facility=facility,
            patients=[f"P-{r:04d}" for r in referrals],
            referrals=referrals,
        )
        if outcome == "departed":
            self.add("trip.approved", day, trip=tid)
            self.add("trip.departed", day, trip=tid)
            for rid in referrals:
                self.add("patient.seen", day, trip=tid, patient=f"P-{rid:04d}", referral=rid)
        elif outcome is not None:
            self.add(f"trip.{outcome}", day, trip=tid, reason="no reason given")
        return tid


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def test_arrival_rates_are_referrals_per_day_of_the_window_by_class() -> None:
    ledger = Ledger()
    for n in range(10):
        for _ in range(2):
            ledger.refer(day(n), "P3")
        if n % 2 == 0:
            ledger.refer(day(n), "P1")
    c = calibrate(ledger.events)
    assert (c.since, c.until, c.days) == (day(0), day(9), 10)
    assert c.rates == {"P1": pytest.approx(0.5), "P3": pytest.approx(2.0)}
    low, high = c.rate_interval("P3")
    assert low < 2.0 < high
    assert any("from 20 referrals" in line for line in c.describe())


def test_since_limits_the_rates_but_not_the_backlog() -> None:
    ledger = Ledger()
    early = [ledger.refer(day(n)) for n in range(5)]
    for n in range(5, 15):
        ledger.refer(day(n))
    ledger.close(early[0], day(6))
    c = calibrate(ledger.events, since=day(10))
    assert c.referrals == {"P2": 5}
    assert c.rates["P2"] == pytest.approx(1.0)
    assert c.backlog == {"P2": 14}


def test_trip_probability_counts_denied_and_cancelled_trips_as_not_happening() -> None:
    ledger = Ledger()
    rid = ledger.refer(day(0))
    for n in range(7):
        ledger.trip(day(n + 1), "departed", [rid] if n == 0 else [])
    ledger.trip(day(8), "cancelled", [])
    ledger.trip(day(9), "cancelled", [])
    ledger.trip(day(10), "denied", [])
    ledger.trip(day(11), None, [])  # requested, no answer yet
    c = calibrate(ledger.events)
    assert (c.trips_departed, c.trips_requested, c.trips_undecided) == (7, 10, 1)
    assert c.trip_probability == pytest.approx(0.7)
    assert "7 departed of 10 requested" in "\n".join(c.describe())


def test_backlog_is_referrals_created_minus_closed_with_their_ages() -> None:
    ledger = Ledger()
    a = ledger.refer(day(0), "P1")
    ledger.refer(day(2), "P1")
    b = ledger.refer(day(3), "P4")
    ledger.refer(day(4), "P4")
    ledger.close(a, day(1))
    ledger.close(b, day(5), "died")
    ledger.add("incident.recorded", day(9))  # a later event moves the end of the window
    c = calibrate(ledger.events)
    assert c.backlog == {"P1": 1, "P4": 1}
    assert c.backlog_ages == {"P1": [7], "P4": [5]}


def test_a_retracted_referral_is_ignored() -> None:
    ledger = Ledger()
    ledger.refer(day(0))
    wrong = len(ledger.events)
    ledger.refer(day(1))
    ledger.events.append(
        {
            "seq": 99,
            "type": "entry.retracted",
            "occurred_at": "2014-06-03T00:00:00Z",
            "corrects": wrong,
            "payload": {"reason": "entered twice"},
        }
    )
    c = calibrate(ledger.events)
    assert c.referrals == {"P2": 1}
    assert c.retracted == 1


def test_a_priority_change_moves_the_referral_to_its_new_class() -> None:
    ledger = Ledger()
    rid = ledger.refer(day(0), "P4")
    ledger.add("referral.changed", day(1), referral=rid, priority="P1")
    assert calibrate(ledger.events).backlog == {"P1": 1}


def test_hospitals_and_observed_waits_come_from_the_trips_that_left() -> None:
    ledger = Ledger()
    onc = [ledger.refer(day(0), "P2", "oncology") for _ in range(3)]
    eye = ledger.refer(day(1), "P3", "ophthalmology")
    ledger.trip(day(4), "departed", onc[:2], facility="H-01")
    ledger.trip(day(6), "departed", [eye], facility="H-02")
    ledger.trip(day(7), "departed", [onc[2]], facility="H-04")
    c = calibrate(ledger.events)
    assert c.facilities == {"oncology": "H-01", "ophthalmology": "H-02"}
    assert c.observed_waits == {"P2": [4, 4, 7], "P3": [5]}
    assert c.largest_trip == 2


def test_death_and_leaving_hazards_are_events_per_patient_day_waiting() -> None:
    ledger = Ledger()
    a = ledger.refer(day(0), "P2")
    b = ledger.refer(day(0), "P2")
    ledger.refer(day(0), "P2")
    ledger.close(a, day(10), "died")
    ledger.close(b, day(20), "left")
    ledger.add("incident.recorded", day(29))
    c = calibrate(ledger.events)
    # Waiting days in the 30-day window: 10 + 20 + 30.
    assert c.deaths["P2"].exposure_days == 60
    assert c.deaths["P2"].rate == pytest.approx(1 / 60)
    assert c.leavings["P2"].rate == pytest.approx(1 / 60)


def test_applying_a_calibration_keeps_the_rules_and_takes_the_record() -> None:
    ledger = Ledger()
    for n in range(20):
        ledger.refer(day(n), "P2" if n % 2 else "P4", "oncology" if n % 4 else "cardiology")
    for n in range(4):
        ledger.trip(day(n + 1), "departed" if n else "cancelled", [])
    c = calibrate(ledger.events)
    base = Scenario(classes=(default_class("P2", 9.0),), capacity=7, facilities_per_day=2, policy="edf")
    s = c.apply(base)
    assert (s.capacity, s.facilities_per_day, s.policy) == (7, 2, "edf")
    assert s.trip_probability == pytest.approx(0.75)
    rates = {cls.name: cls.rate for cls in s.classes}
    assert rates == {"P2": pytest.approx(0.5), "P4": pytest.approx(0.5)}
    p4 = next(cls for cls in s.classes if cls.name == "P4")
    assert p4.initial_backlog == 10 and p4.initial_ages == tuple(range(1, 20, 2))
    # Each waiting referral keeps its specialty: P4 referrals are on even days, cardiology every 4th.
    assert p4.initial_specialties == tuple(
        "cardiology" if (19 - age) % 4 == 0 else "oncology" for age in p4.initial_ages
    )
    assert dict(p4.specialty_mix) == {"cardiology": 5.0, "oncology": 5.0}
    assert all(cls.death_hazard is None for cls in s.classes)
    s.validate()


def test_a_scenario_file_that_states_a_trip_probability_keeps_it() -> None:
    ledger = Ledger()
    ledger.refer(day(0))
    ledger.trip(day(1), "departed", [])
    ledger.trip(day(2), "cancelled", [])
    c = calibrate(ledger.events)
    what_if = Scenario(
        classes=(default_class("P2", 1.0),), trip_probability=1.0, stated=frozenset({"trip_probability"})
    )
    assert c.apply(what_if).trip_probability == 1.0
    assert c.apply(Scenario(classes=(default_class("P2", 1.0),))).trip_probability == pytest.approx(0.5)


def test_a_ledger_without_referrals_cannot_be_calibrated() -> None:
    with pytest.raises(CalibrationError, match=r"referral\.created"):
        calibrate(
            [
                {
                    "type": "trip.requested",
                    "occurred_at": "2014-06-01T00:00:00Z",
                    "payload": {"trip": 1, "date": "2014-06-01", "facility": "H-01"},
                }
            ]
        )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 40),
            st.sampled_from(["P1", "P2", "P3", "P4"]),
            st.one_of(st.none(), st.integers(0, 30)),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_backlog_always_equals_created_minus_closed(referrals: list[tuple[int, str, int | None]]) -> None:
    ledger = Ledger()
    expected: dict[str, int] = {}
    for start, priority, closes_after in referrals:
        rid = ledger.refer(day(start), priority)
        expected[priority] = expected.get(priority, 0) + 1
        if closes_after is not None:
            ledger.close(rid, day(start + closes_after))
            expected[priority] -= 1
    ledger.add("incident.recorded", day(80))
    c = calibrate(ledger.events)
    assert {k: v for k, v in c.backlog.items() if v} == {k: v for k, v in expected.items() if v}
    assert sum(c.referrals.values()) == len(referrals)
    assert all(age >= 0 for ages in c.backlog_ages.values() for age in ages)
