"""``corridor simulate --from-record`` reads the real ledger through the Django adapter."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from click.testing import CliRunner

from corridor.simulation.cli import simulate

pytestmark = pytest.mark.django_db


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC)


def _record(kind: str, day: dt.date, **payload: Any) -> Any:
    from corridor.ledger import services as ledger

    return ledger.append(kind, by="system", payload=payload, occurred_at=_at(day))


def test_from_record_estimates_rates_trips_and_backlog_from_the_ledger() -> None:
    start = dt.date(2014, 6, 1)
    for n in range(20):
        day = start + dt.timedelta(days=n)
        priority = "P2" if n % 2 else "P4"
        _record(
            "referral.created",
            day,
            referral=n + 1,
            patient=f"P-{n + 1:04d}",
            priority=priority,
            specialty="oncology",
            referral_date=day.isoformat(),
            due_date=day.isoformat(),
        )
    for n in range(5):
        _record("referral.closed", start + dt.timedelta(days=n + 1), referral=n + 1, reason="treated")
    for trip in range(1, 5):
        day = start + dt.timedelta(days=trip)
        _record("trip.requested", day, trip=trip, date=day.isoformat(), facility="H-01", patients=[])
        _record("trip.departed" if trip < 4 else "trip.cancelled", day, trip=trip)

    result = CliRunner().invoke(simulate, ["--from-record", "--json", "--replications", "20", "--days", "30"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    calibration = data["calibration"]
    assert calibration["arrival_rates"] == {"P2": 0.5, "P4": 0.5}
    assert calibration["trip_probability"] == 0.75
    assert calibration["backlog"] == {"P2": 8, "P4": 7}  # referrals 1-5 (three P4, two P2) closed
    assert calibration["events_used"] == 20 + 5 + 8
    classes = {c["name"]: c for c in data["scenario"]["classes"]}
    assert classes["P4"]["initial_backlog"] == 7 and classes["P2"]["rate"] == 0.5
    assert data["scenario"]["trip_probability"] == 0.75

    text = CliRunner().invoke(
        simulate, ["--from-record", "--since", "2014-06-11", "--replications", "5", "--days", "10"]
    )
    assert text.exit_code == 0
    assert "from 5 referrals" in text.stderr
    assert "3 departed of 4 requested" not in text.stderr  # the trips fall before --since


def test_from_record_on_an_empty_ledger_is_a_clear_error() -> None:
    result = CliRunner().invoke(simulate, ["--from-record"])
    assert result.exit_code == 2
    assert "no referral.created events" in result.stderr
