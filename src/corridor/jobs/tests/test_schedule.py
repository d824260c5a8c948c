"""The schedule, on a fake clock: what is due when, and a scheduled checkpoint really signed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from corridor.jobs import schedule, services
from corridor.jobs.models import Job
from corridor.ledger.models import Entry

T0 = dt.datetime(2014, 10, 12, 8, 0, tzinfo=dt.UTC)


def _item(name: str) -> schedule.Item:
    return next(i for i in schedule.ITEMS if i.name == name)


def test_an_interval_item_is_due_when_it_never_ran_and_again_after_its_interval() -> None:
    item = _item("checkpoint")
    assert schedule.is_due(item, None, T0)
    assert not schedule.is_due(item, T0, T0 + dt.timedelta(minutes=14))
    assert schedule.is_due(item, T0, T0 + dt.timedelta(minutes=15))
    assert schedule.next_run(item, T0, T0 + dt.timedelta(minutes=1)) == T0 + dt.timedelta(minutes=15)


def test_a_daily_item_is_due_once_after_its_hour_and_a_monthly_one_once_a_month() -> None:
    verify, report = _item("verify"), _item("monthly-report")
    ran = T0.replace(hour=2, minute=5)
    assert not schedule.is_due(verify, ran, T0.replace(hour=23))
    assert schedule.is_due(verify, ran, ran + dt.timedelta(days=1))
    assert schedule.next_run(verify, ran, T0) == ran.replace(day=13, minute=0)
    ran = dt.datetime(2014, 10, 1, 3, 1, tzinfo=dt.UTC)
    assert not schedule.is_due(report, ran, dt.datetime(2014, 10, 31, 23, tzinfo=dt.UTC))
    assert schedule.is_due(report, ran, dt.datetime(2014, 11, 1, 3, tzinfo=dt.UTC))
    assert schedule.next_run(report, ran, T0) == dt.datetime(2014, 11, 1, 3, tzinfo=dt.UTC)


def test_the_schedule_runs_a_checkpoint_on_a_fake_clock(camp: Any) -> None:
    queued = {q.item.name: q.job for q in schedule.run_due(now=T0)}
    assert set(queued) == {i.name for i in schedule.ITEMS}
    job = queued["checkpoint"]
    assert job.owner is None and job.schedule == "checkpoint" and job.params == {"if_due": True}
    assert services.run(job.pk) == Job.State.SUCCEEDED
    signed = Entry.objects.filter(type="checkpoint.signed")
    assert signed.count() == 1

    assert schedule.run_due(now=T0 + dt.timedelta(minutes=10)) == []  # nothing due yet
    again = [q.job for q in schedule.run_due(now=T0 + dt.timedelta(minutes=16))]
    assert [j.kind for j in again] == ["checkpoint"]
    assert services.run(again[0].pk) == Job.State.SUCCEEDED
    again[0].refresh_from_db()
    assert again[0].answer == "no checkpoint due" and signed.count() == 1  # due by the clock, not by the ledger

    status = {s.item.name: s for s in schedule.status(now=T0 + dt.timedelta(minutes=17))}
    assert status["checkpoint"].last.pk == again[0].pk
    assert status["checkpoint"].next_run == T0 + dt.timedelta(minutes=31)
