"""A recorded plan's strong LP bound is computed after it, in the background, and recorded on its own (#19)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import DAY
from corridor.jobs import queues
from corridor.ledger.models import Entry
from corridor.planning import aside
from corridor.planning import bounds as planning_bounds
from corridor.planning.budget import Budget
from corridor.register.models import Referral, Site
from corridor.transfers import bounds, plans

pytestmark = pytest.mark.django_db

# A short search: its quick dual (3002) stops short of the plan's value (3062), which the LP proves.
QUICK = Budget(seed=5, dual_iterations=20, search_rounds=20, windows=4, window_nodes=30, polish_iterations=20)


@pytest.fixture
def waiting(long_wait: Callable[[dt.date], list[Referral]]) -> list[Referral]:
    return long_wait(DAY)


@pytest.fixture
def plan(camp: Site, waiting: list[Referral]) -> Entry:
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14, budget=QUICK)
    assert entry.payload["lower_bound"] < entry.payload["objective"]  # the quick bound leaves a gap
    return entry


def _queued_for(seq: int) -> list[Any]:
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(task_path=bounds.prove_plan_bound.module_path, status="READY")
    return [r for r in rows if r.args_kwargs["args"] == [seq]]


def test_recording_a_plan_queues_the_computation_of_its_lp_bound(plan: Entry) -> None:
    assert len(_queued_for(plan.seq)) == 1
    assert bounds.recorded(plan) is None  # nothing is recorded before the task runs


def test_a_plan_searched_against_the_clock_queues_nothing(camp: Site, waiting: list[Referral]) -> None:
    timed = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14, budget=None, time_limit=0.5)
    assert _queued_for(timed.seq) == []  # its instance is not in its entry: nobody could recompute a bound


def test_the_task_records_the_lp_bound_with_its_solver_and_the_instance_hash(plan: Entry) -> None:
    assert bounds.prove_plan_bound.call(plan.seq) == "proved"
    entry = Entry.objects.get(type="plan.lp_bound")
    p = entry.payload
    assert p["plan"] == plan.seq and bounds.recorded(plan) == entry
    assert p["instance_sha256"] == plan.payload["planner"]["instance_sha256"]
    assert p["solver"].startswith("HiGHS ") and p["outcome"] == "proved"
    # An auditor recomputes it from the plan's entry alone.
    planner = plan.payload["planner"]
    again = planning_bounds.recorded_plan_relaxation(planner["instance"], planner["inputs"])
    assert again.optimal and p["bound"] == int(again.bound)
    assert plan.payload["lower_bound"] < p["bound"] <= plan.payload["objective"]


def test_a_second_run_of_the_task_records_nothing_new(plan: Entry) -> None:
    bounds.prove_plan_bound.call(plan.seq)
    before = Entry.objects.count()
    assert bounds.prove_plan_bound.call(plan.seq) == "recorded nothing"
    assert Entry.objects.count() == before


def test_the_bound_entry_changes_neither_the_plan_nor_its_replay(plan: Entry) -> None:
    body = plan.body
    bounds.prove_plan_bound.call(plan.seq)
    plan.refresh_from_db()
    assert plan.body == body
    assert plans.replay_plan(plan).identical


def _lp_says(monkeypatch: Any, bound: float, optimal: bool) -> None:
    def relaxation(instance: Any, inputs: Any, time_limit: float = 0.0, **kwargs: Any) -> aside.Relaxed:
        return aside.Relaxed(bound, optimal, 0.1)

    monkeypatch.setattr(aside, "relax_aside", relaxation)


def test_an_lp_bound_above_the_plans_own_value_is_refused_and_never_shown(plan: Entry, monkeypatch: Any) -> None:
    _lp_says(monkeypatch, plan.payload["objective"] + 1, optimal=True)
    assert bounds.prove_plan_bound.call(plan.seq) == "refused"
    entry = Entry.objects.get(type="plan.lp_bound")
    assert entry.payload["bound"] is None and "above the plan's value" in entry.payload["reason"]
    shown = bounds.shown(plan)
    assert (shown.source, shown.state, shown.bound) == ("dual", "refused", int(plan.payload["lower_bound"]))


def test_an_lp_that_does_not_finish_leaves_the_dual_bound_and_says_so(plan: Entry, monkeypatch: Any) -> None:
    _lp_says(monkeypatch, 0.0, optimal=False)
    assert bounds.prove_plan_bound.call(plan.seq) == "timed_out"
    shown = bounds.shown(plan)
    assert (shown.source, shown.state, shown.pending) == ("dual", "timed_out", False)


def test_an_lp_that_fails_is_recorded_as_failed(plan: Entry, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> aside.Relaxed:
        raise MemoryError

    monkeypatch.setattr(aside, "relax_aside", broken)
    assert bounds.prove_plan_bound.call(plan.seq) == "failed"
    assert Entry.objects.get(type="plan.lp_bound").payload["reason"] == "MemoryError"


def test_a_weaker_lp_bound_never_replaces_a_stronger_dual(plan: Entry, monkeypatch: Any) -> None:
    _lp_says(monkeypatch, plan.payload["lower_bound"] - 5, optimal=True)
    bounds.prove_plan_bound.call(plan.seq)
    shown = bounds.shown(plan)
    assert (shown.source, shown.state, shown.bound) == ("dual", "weaker", int(plan.payload["lower_bound"]))


def test_a_bound_still_missing_long_after_its_plan_is_no_longer_waited_for(plan: Entry) -> None:
    assert bounds.shown(plan).pending
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=bounds.WAIT_SECONDS + 1)
    assert bounds.shown(plan, now=later).state == "not_waited"


def test_a_child_that_dies_is_recorded_as_failed_with_how_it_ended(plan: Entry, monkeypatch: Any) -> None:
    def dies(*args: Any, **kwargs: Any) -> aside.Relaxed:
        raise aside.ChildFailed("the LP process ended with exit code -9")

    monkeypatch.setattr(aside, "relax_aside", dies)
    assert bounds.prove_plan_bound.call(plan.seq) == "failed"
    assert Entry.objects.get(type="plan.lp_bound").payload["reason"] == "the LP process ended with exit code -9"


def _lp_children() -> list[int]:
    """This process's children that solve an LP aside (Linux's /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            command = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue  # it ended meanwhile
        ppid = next(int(line.split()[1]) for line in text.splitlines() if line.startswith("PPid:"))
        if ppid == os.getpid() and b"corridor.planning.aside" in command:
            found.append(int(status.parent.name))
    return found


def test_the_lp_runs_in_a_child_at_the_lowest_priority_which_is_gone_once_it_gave_way(plan: Entry) -> None:
    seen: list[int] = []

    def give_way() -> bool:
        for pid in _lp_children():
            with contextlib.suppress(OSError):
                seen.append(os.getpriority(os.PRIO_PROCESS, pid))
        return 19 in seen or len(seen) > 40

    planner = plan.payload["planner"]
    with pytest.raises(aside.GaveWay) as stopped:
        aside.relax_aside(planner["instance"], planner["inputs"], 600.0, give_way=give_way, poll=0.05)
    assert stopped.value.signum is None
    assert 19 in seen
    assert _lp_children() == []


def test_the_bound_gives_way_to_a_job_someone_queued_and_waits_in_the_queue_again(plan: Entry) -> None:
    from corridor.jobs import services as jobs

    jobs.submit("checkpoint", {}, by=None)
    assert queues.people_waiting()
    assert bounds.prove_plan_bound.call(plan.seq) == "gave way"
    assert len(_queued_for(plan.seq)) == 2  # the row this test did not run, and the one queued again
    assert bounds.recorded(plan) is None and bounds.shown(plan).pending


def test_a_stop_signal_stops_the_lp_and_is_acted_on_once_the_bound_is_queued_again(
    plan: Entry, monkeypatch: Any
) -> None:
    acted: list[int] = []
    asked: list[bool] = []

    def a_stop_arrives_while_the_lp_runs() -> bool:
        if not asked:
            os.kill(os.getpid(), signal.SIGTERM)  # noted by the LP's handler, not acted on yet
        asked.append(True)
        return False

    monkeypatch.setattr(queues, "people_waiting", a_stop_arrives_while_the_lp_runs)
    def act_on(signum: int) -> None:
        assert len(_queued_for(plan.seq)) == 2  # queued again before the worker stops
        acted.append(signum)

    monkeypatch.setattr(aside, "act_on", act_on)
    handler = signal.getsignal(signal.SIGTERM)
    assert bounds.prove_plan_bound.call(plan.seq) == "gave way"
    assert acted == [signal.SIGTERM] and signal.getsignal(signal.SIGTERM) is handler
    assert len(_queued_for(plan.seq)) == 2 and bounds.recorded(plan) is None
    assert _lp_children() == []


@pytest.fixture
def in_process_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker runs in-process, inside the test's transaction: on PostgreSQL its between-task
    ``close_old_connections`` would close that transaction's connection, so it is left open."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def test_a_worker_runs_peoples_jobs_first_and_the_bound_only_when_none_waits(
    plan: Entry, in_process_worker: None
) -> None:
    from corridor.jobs import services as jobs
    from corridor.jobs import worker
    from corridor.jobs.models import Job

    job = jobs.submit("checkpoint", {}, by=None)
    worker.serve_once("test", aside=False)  # as `corridor worker --batch`: what people asked for only
    job.refresh_from_db()
    assert job.state == "succeeded" and len(_queued_for(plan.seq)) == 1 and bounds.recorded(plan) is None

    worker.serve_once("test")
    assert bounds.recorded(plan) is not None and _queued_for(plan.seq) == []
    assert Job.objects.count() == 1
