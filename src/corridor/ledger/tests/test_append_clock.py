"""The append reads Corridor's clock in the statement that reads the chain's head, and never caches it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from corridor.ledger import services as ledger
from corridor.register.models import Scenario

pytestmark = pytest.mark.django_db


def test_an_entry_on_a_scenario_clock_is_dated_on_the_scenario_day_with_date_precision() -> None:
    Scenario.objects.create(name="demo", checksum="x", today=dt.date(2014, 10, 11), loaded_seq=1)
    entry = ledger.append("gate.released", by=None, payload={"trip": 1})
    assert entry.payload["precision"] == "date"
    assert entry.fields["occurred_at"].startswith("2014-10-11T12:00:00")
    assert entry.fields["recorded_at"][:10] == dt.datetime.now(dt.UTC).date().isoformat()


def test_a_scenario_loaded_between_two_appends_moves_the_very_next_entry() -> None:
    first = ledger.append("gate.released", by=None, payload={"trip": 1})
    assert "precision" not in first.payload  # no scenario: the real moment
    Scenario.objects.create(name="later", checksum="y", today=dt.date(2015, 3, 2), loaded_seq=2)
    second = ledger.append("gate.released", by=None, payload={"trip": 2})
    assert second.fields["occurred_at"].startswith("2015-03-02")
    Scenario.objects.create(name="latest", checksum="z", today=dt.date(2016, 1, 5), loaded_seq=3)
    assert ledger.append("gate.released", by=None).fields["occurred_at"].startswith("2016-01-05")


def test_corridor_today_overrides_the_scenario_clock_for_appends_too() -> None:
    Scenario.objects.create(name="demo", checksum="x", today=dt.date(2014, 10, 11), loaded_seq=1)
    with override_settings(TODAY=dt.date(2013, 5, 6)):
        entry = ledger.append("gate.released", by=None)
    assert entry.fields["occurred_at"].startswith("2013-05-06") and entry.payload == {"precision": "date"}


def test_an_explicit_moment_is_kept_whatever_the_clock_says() -> None:
    Scenario.objects.create(name="demo", checksum="x", today=dt.date(2014, 10, 11), loaded_seq=1)
    moment = dt.datetime(2014, 10, 10, 9, 30, tzinfo=dt.UTC)
    entry = ledger.append("gate.released", by=None, occurred_at=moment)
    assert entry.fields["occurred_at"] == "2014-10-10T09:30:00.000000Z" and "precision" not in entry.payload
