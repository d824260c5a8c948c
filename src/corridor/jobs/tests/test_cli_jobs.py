"""The command line: long commands queue a job (--job) or follow it with a progress bar (--wait)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corridor.cli import cli
from corridor.jobs.models import Job
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry


@pytest.fixture(autouse=True)
def _keep_the_tests_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker runs in-process here, inside the test's transaction: on PostgreSQL, its between-task
    ``close_old_connections`` would close that transaction's connection, so it is left open."""
    from django_tasks_db.management.commands import db_worker

    from corridor.jobs import worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)


@pytest.mark.django_db
def test_checkpoint_job_returns_at_once_and_a_worker_batch_signs_it(tmp_path: Path) -> None:
    ledger.append("incident.recorded", by="t", payload={"i": 1})
    runner = CliRunner()
    queued = runner.invoke(cli, ["checkpoint", "--job"])
    assert queued.exit_code == 0, queued.output
    job = Job.objects.get()
    assert f"job {job.pk} queued" in queued.output and job.state == "queued"
    assert not Entry.objects.filter(type="checkpoint.signed").exists()

    ran = runner.invoke(cli, ["worker", "--batch", "--no-schedule"])
    assert ran.exit_code == 0, ran.output
    job.refresh_from_db()
    assert job.state == "succeeded" and Entry.objects.filter(type="checkpoint.signed").count() == 1
    listing = runner.invoke(cli, ["jobs"]).output
    assert "checkpoint" in listing and "succeeded" in listing and "signed: " in listing
    assert '"state": "succeeded"' in runner.invoke(cli, ["jobs", str(job.pk)]).output


@pytest.mark.django_db
def test_report_wait_follows_the_job_and_writes_its_file(
    tmp_path: Path, camp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corridor.jobs import cli as jobs_cli
    from corridor.jobs.worker import loop

    waits = []

    def a_worker_runs_meanwhile(seconds: float) -> None:
        waits.append(seconds)
        loop(batch=True, scheduled=False, say=lambda line: None)

    monkeypatch.setattr(jobs_cli.time, "sleep", a_worker_runs_meanwhile)
    out = tmp_path / "report.html"
    args = ["report", "monthly", "--month", "2014-10", "--format", "html", "--out", str(out), "--wait"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert waits and f"job {Job.objects.get().pk} queued" in result.output
    assert b"<html" in out.read_bytes()[:500]
    job = Job.objects.get()
    assert job.state == "succeeded" and Entry.objects.get(type="export.created").seq == job.data["entry"]


@pytest.mark.django_db
def test_jobs_schedule_lists_every_item_with_its_next_run() -> None:
    from corridor.jobs.schedule import ITEMS

    output = CliRunner().invoke(cli, ["jobs", "--schedule"]).output
    for item in ITEMS:
        assert item.name in output
    assert "never run" in output
