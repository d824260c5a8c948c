"""A living camp: the demo driven 60 days forward through the services, checked after every day."""

from __future__ import annotations

import datetime as dt

import pytest

from corridor import clock
from corridor.errors import CorridorError
from corridor.ledger.models import Entry
from corridor.scenarios import living, loader

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_sixty_days_of_a_living_camp_never_break_a_rule_or_a_count() -> None:
    loader.load("demo-camp")
    start = clock.today()
    report = living.advance(60, seed=13)
    print(report.describe())
    assert report.days == 60 and (clock.today() - start).days == 60
    assert report.violations == []
    assert report.checks >= 60 * 10
    assert report.counts.get("trips went", 0) > 0 and report.counts.get("denied", 0) > 0
    # The seeded authority also answers about each companion, rejecting interpreters and nurses now and then,
    # and deliveries are let through as well as blocked.
    assert report.counts.get("companions asked", 0) > 0
    assert report.counts.get("interpreters rejected", 0) + report.counts.get("nurses rejected", 0) > 0
    assert report.counts.get("deliveries allowed", 0) > 0 and report.counts.get("deliveries blocked", 0) > 0
    assert Entry.objects.filter(type="scenario.clock_moved").count() == 60


def test_the_scenario_clock_moves_only_forward_and_records_each_move() -> None:
    with pytest.raises(CorridorError, match="run corridor demo first"):
        living.advance(1)
    loader.load("demo-camp")
    day = clock.today()
    report = living.advance(2, seed=1)
    assert report.days == 2 and report.violations == [] and report.checks > 0
    moved = Entry.objects.filter(type="scenario.clock_moved").order_by("seq")
    assert [e.payload["to"] for e in moved] == [(day + dt.timedelta(days=n)).isoformat() for n in (1, 2)]
    assert all(e.payload["precision"] == "date" for e in moved)
    with pytest.raises(CorridorError, match="only moves forward"):
        living.move_clock(day)


def test_a_waiting_referral_the_planner_drops_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    from corridor.transfers import plans

    loader.load("demo-camp")
    build = plans.build_instance
    dropped: list[str] = []

    def forgetful(*args: object, **kwargs: object) -> object:
        # A planner adapter with a bug: it leaves the longest-waiting patient out of the instance.
        instance, by_id, approved, cancelled = build(*args, **kwargs)  # type: ignore[arg-type]
        first = instance["patients"].pop(0)
        dropped.append(by_id[first["id"]].patient.code)
        return instance, by_id, approved, cancelled

    monkeypatch.setattr(plans, "build_instance", forgetful)
    report = living.advance(1, seed=3)
    assert dropped
    waiting = [v for v in report.violations if "waiting on neither the plan" in v]
    assert len(waiting) == 1 and dropped[-1] in waiting[0], report.violations


def test_the_living_camp_acts_through_the_api_as_well_as_the_services() -> None:
    loader.load("demo-camp")
    report = living.advance(3, seed=13)
    assert report.violations == []
    assert report.counts["acts via the API"] > 0 and report.counts["acts via the services"] > 0
    by_api = Entry.objects.filter(recorded_by__in=("living-coordinator", "living-monitor"))
    assert by_api.filter(type="plan.proposed").exists() or by_api.filter(type__startswith="trip.").exists()
    assert set(by_api.values_list("type", flat=True)) - {"plan.proposed"}, "only plans went through the API"


def test_an_hour_made_up_for_an_act_given_no_time_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    from corridor.transfers import services as transfers

    loader.load("demo-camp")

    def three_pm(moment: dt.datetime | dt.date | None) -> dict[str, object]:
        # A service with a bug: a date alone is stored as if someone had seen it happen at 15:00.
        if isinstance(moment, dt.date) and not isinstance(moment, dt.datetime):
            moment = dt.datetime.combine(moment, dt.time(15), tzinfo=dt.UTC)
        return {"occurred_at": moment}

    monkeypatch.setattr(transfers, "_when", three_pm)
    report = living.advance(2, seed=13)
    made_up = [v for v in report.violations if "given no time" in v or "were given an hour" in v]
    assert made_up, report.violations
