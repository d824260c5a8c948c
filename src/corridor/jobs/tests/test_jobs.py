"""Jobs: asked for at once, run by a worker, progress shown, result and ledger entry written together."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from corridor.errors import InvalidInput, NotAllowed
from corridor.jobs import registry, schedule, services
from corridor.jobs.models import Job
from corridor.ledger.models import Entry


def _queued_task_count() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="READY").count()


def test_asking_for_a_job_queues_it_and_its_task_at_once(users: dict[str, Any]) -> None:
    job = services.submit("verify", {}, by=users["auditor"])
    assert job.state == Job.State.QUEUED and job.owner == users["auditor"] and job.task_id
    assert _queued_task_count() == 1


def test_a_role_that_may_not_do_the_work_may_not_ask_for_the_job(users: dict[str, Any]) -> None:
    with pytest.raises(NotAllowed):
        services.submit("plan", {}, by=users["auditor"])
    with pytest.raises(InvalidInput, match="kind"):
        services.submit("nonsense", {}, by=users["admin"])
    assert not Job.objects.exists()


def test_a_checkpoint_job_writes_its_ledger_entry_and_result_together(users: dict[str, Any], camp: Any) -> None:
    job = services.submit("checkpoint", {}, by=users["admin"])
    assert services.run(job.pk) == Job.State.SUCCEEDED
    job.refresh_from_db()
    entry = Entry.objects.get(type="checkpoint.signed")
    assert job.data["entry"] == entry.seq and job.progress == 1.0
    assert job.content and job.filename == f"checkpoint-{entry.payload['tree_size']}.txt"
    assert services.run(job.pk) == Job.State.SUCCEEDED  # a second delivery of the task does nothing
    assert Entry.objects.filter(type="checkpoint.signed").count() == 1


def test_a_refused_job_fails_with_the_reason_and_writes_nothing(users: dict[str, Any], camp: Any) -> None:
    before = Entry.objects.count()
    job = services.submit("report", {"month": "2014-13"}, by=users["auditor"])
    assert services.run(job.pk) == Job.State.FAILED
    job.refresh_from_db()
    assert "month" in job.error and Entry.objects.count() == before


def test_a_job_left_running_by_a_dead_worker_is_queued_again_then_failed(users: dict[str, Any]) -> None:
    job = services.submit("verify", {}, by=users["auditor"])
    for attempt in (1, 2):
        Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=attempt, worker="nowhere:1")
        old = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=services.STALE_SECONDS + 1)
        Job.objects.filter(pk=job.pk).update(heartbeat_at=old)
        assert [j.pk for j in services.recover_abandoned()] == [job.pk]
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "stopped mid-way 2 times" in job.error


def test_a_job_a_dead_worker_left_is_said_in_the_readers_language_both_queued_again_and_failed(
    users: dict[str, Any],
) -> None:
    from django.utils import translation

    from corridor.web.templatetags.corridor import error_said, progress_said

    job = services.submit("verify", {}, by=users["auditor"])
    said = []
    for attempt in (1, 2):
        Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=attempt, worker="nowhere:1")
        old = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=services.STALE_SECONDS + 1)
        Job.objects.filter(pk=job.pk).update(heartbeat_at=old)
        services.recover_abandoned()
        job.refresh_from_db()
        with translation.override("fa"):
            said.append(progress_said(job) if attempt == 1 else str(error_said(job)))
    assert job.progress_text == "queued again: worker nowhere:1 stopped mid-way"
    assert job.error == "the worker stopped mid-way 2 times; nothing of it was written"
    assert job.error_said["code"] == "job.worker_stopped"
    # In Persian: neither the English sentence nor its words, and the worker's name and count kept.
    assert "queued again" not in said[0] and "nowhere:1" in said[0]
    assert "stopped mid-way" not in said[1] and "۲" in said[1]
    with translation.override("ar"):
        assert "stopped" not in str(error_said(job))


def test_every_kind_names_a_function_that_exists() -> None:
    for name in registry.KINDS:
        assert callable(registry.resolve(name))
    assert {item.kind for item in schedule.ITEMS} <= set(registry.KINDS)


def test_what_a_person_asked_for_runs_before_the_schedules_routine_work(users: dict[str, Any], camp: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    schedule.run_due()
    asked = services.submit("verify", {}, by=users["auditor"])
    first = DBTaskResult.objects.ready().get_locked()
    assert first is not None and str(first.pk) == asked.task_id


def test_a_simulation_job_reports_its_replications_as_progress_and_keeps_the_figures(
    users: dict[str, Any], monkeypatch: Any
) -> None:
    seen: list[tuple[float, str]] = []
    real = services.report_progress

    def watch(job_id: int, fraction: float, text: str, data: Any = None, **values: Any) -> None:
        seen.append((fraction, text % values))
        real(job_id, fraction, text, data, **values)

    monkeypatch.setattr(services, "report_progress", watch)
    job = services.submit("simulation", {"scenario": "demo-gate-4-80", "replications": 20}, by=users["auditor"])
    assert services.run(job.pk) == Job.State.SUCCEEDED
    job.refresh_from_db()
    assert seen[-1] == (1.0, "20 of 20 replications") and job.data["scenario"]["replications"] == 20
    # As the page saw it just before the end:
    job.progress, job.state, job.progress_text = 1.0, Job.State.RUNNING, "20 of 20 replications"
    job.progress_said = {"template": "%(done)s of %(total)s replications", "values": {"done": 20, "total": 20}}
    from django.utils import translation

    from corridor.web.templatetags.corridor import progress_said

    with translation.override("ar"):
        assert progress_said(job) == "٢٠ من ٢٠ تكرارًا"
    job.progress_text = "queued again: worker w1 stopped mid-way"  # a sentence written without its template
    assert progress_said(job) == job.progress_text
    with translation.override("ar"):  # and the finished job's own sentence, said in the reader's language
        job.refresh_from_db()
        assert job.progress_text == "done" and progress_said(job) == "انتهى"


def test_a_plan_job_whose_completion_fails_leaves_no_plan_behind(
    users: dict[str, Any], camp: Any, monkeypatch: Any
) -> None:
    def broken(job_id: int, result: Any) -> None:
        raise RuntimeError("the job's record could not be written")

    monkeypatch.setattr(services, "_succeed", broken)
    job = services.submit("plan", {"site": camp.code}, by=users["coordinator"])
    assert services.run(job.pk) == Job.State.FAILED
    assert not Entry.objects.filter(type="plan.proposed").exists()  # the entry went back with the job's record


def test_a_plan_job_shows_a_first_answer_before_the_planner_and_records_only_the_planners_plan(
    users: dict[str, Any], camp: Any, make_referral: Any, monkeypatch: Any
) -> None:
    from django.template.loader import render_to_string
    from django.utils import translation

    from conftest import DAY

    for i in range(5):
        make_referral(f"P-{i}", priority="P2", referral_date=DAY - dt.timedelta(days=20 - i))
    shown: list[tuple[dict[str, Any], str, int]] = []
    real = services.report_progress

    def watch(job_id: int, fraction: float, text: str, data: dict[str, Any] | None = None, **values: Any) -> None:
        real(job_id, fraction, text, data, **values)
        if data is not None:
            job = Job.objects.get(pk=job_id)
            with translation.override("fa"):
                page = render_to_string("jobs/_progress.html", {"job": job})
            shown.append((job.data, page, Entry.objects.filter(type="plan.proposed").count()))

    monkeypatch.setattr(services, "report_progress", watch)
    job = services.submit("plan", {"site": camp.code}, by=users["coordinator"])
    assert services.run(job.pk) == Job.State.SUCCEEDED
    [(data, page, plans_then)] = shown
    first = data["first"]
    assert plans_then == 0  # shown while the planner still searched
    assert first["facility"] in {"H-1", "H-3"} and 1 <= len(first["patients"]) <= 4
    assert set(first["patients"]) <= {f"P-{i}" for i in range(5)}  # patient codes, not the planner's ids
    assert 'id="first-answer"' in page and "پاسخ نخست" in page
    assert "برنامه‌ریز در پی برنامه‌ای بهتر از پاسخ نخست خود است" in page  # the progress line in Persian too
    # Each code isolated (a right-to-left line would otherwise break "P-1" apart), with the Persian comma.
    assert f'<bdi class="code">{first["patients"][0]}</bdi>' in page
    assert "</bdi>، <bdi" in page or len(first["patients"]) == 1
    job.refresh_from_db()
    assert "first" not in job.data and job.data["entry"]  # the result replaced it
    assert Entry.objects.filter(type="plan.proposed").count() == 1


def test_a_plan_job_asked_for_more_work_than_the_default_fails_naming_the_part_and_records_no_plan(
    users: dict[str, Any], camp: Any, make_referral: Any
) -> None:
    from corridor.transfers.plans import RECORDED_BUDGET

    make_referral("P-1", priority="P2")
    for budget in ({"windows": RECORDED_BUDGET.windows + 1}, [["windows", 2]], {"seed": 4}):
        job = services.submit("plan", {"site": camp.code, "budget": budget}, by=users["coordinator"])
        assert services.run(job.pk) == Job.State.FAILED, budget
        job.refresh_from_db()
        assert job.error.startswith("budget"), job.error
    assert not Entry.objects.filter(type="plan.proposed").exists()
    quick = services.submit("plan", {"site": camp.code, "budget": {"windows": 2}}, by=users["coordinator"])
    assert services.run(quick.pk) == Job.State.SUCCEEDED
    assert Entry.objects.get(type="plan.proposed").payload["planner"]["budget"]["windows"] == 2


def test_a_simulation_job_runs_a_shipped_scenario_never_a_file_of_the_server(
    users: dict[str, Any], tmp_path: Any
) -> None:
    secret = tmp_path / "secret.toml"
    secret.write_text('name = "read from the server"\n', encoding="utf-8")
    for name in (str(secret), str(tmp_path), "/etc/passwd", "../scenarios/demo-gate-4-80"):
        job = services.submit("simulation", {"scenario": name}, by=users["monitor"])
        assert services.run(job.pk) == Job.State.FAILED, name
        job.refresh_from_db()
        assert "no shipped scenario" in job.error and "read from the server" not in job.error, job.error
