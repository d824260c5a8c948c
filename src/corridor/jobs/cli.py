"""``corridor worker`` and ``corridor jobs``; :func:`submit_or_wait` gives long commands ``--job``/``--wait``."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

from corridor.cli import UserError, with_django


@click.command()
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 60),
    default=1.0,
    show_default=True,
    help="Seconds to wait when nothing is queued.",
)
@click.option(
    "--batch", is_flag=True, help="Run what is queued (and due on the schedule), then stop; LP bounds are left queued."
)
@click.option("--no-schedule", is_flag=True, help="Run jobs only; leave the schedule to another worker.")
@click.option("--parent", type=int, hidden=True, help="Stop when this process (corridor demo's server) is gone.")
@with_django
def worker(interval: float, batch: bool, no_schedule: bool, parent: int | None = None) -> None:
    """Run background jobs and the schedule: plans, reports, exports, simulations, checkpoints (docs/deploy.md)."""
    from corridor.cli import migrate_database
    from corridor.jobs.worker import loop

    migrate_database()
    loop(
        interval=interval,
        batch=batch,
        scheduled=not no_schedule,
        parent=parent,
        say=lambda line: click.echo(line, err=True),
    )


def _line(job: Any) -> str:
    from corridor.jobs.services import describe

    d = describe(job)
    outcome = d["error"] or d["answer"] or d["progress_text"]
    return (
        f"{d['id']:>5}  {d['kind']:<13} {d['state']:<9} {d['progress'] * 100:>3.0f}%  {d['created_at'][:19]}  {outcome}"
    )


@click.command()
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per job.")
@click.option("--schedule", "show_schedule", is_flag=True, help="The scheduled work: last run, next run, outcome.")
@click.option("--run-due", is_flag=True, help="Queue the scheduled work that is due now (for cron), and say what.")
@click.argument("job_id", required=False, type=int)
@with_django
def jobs(limit: int, as_json: bool, show_schedule: bool, run_due: bool, job_id: int | None) -> None:
    """List background jobs, newest first (or show JOB_ID), or the schedule with --schedule.

    Operator only: every site's jobs (their answers name no one; docs/privacy.md).
    """
    from corridor.jobs import schedule, services
    from corridor.jobs.models import Job

    if run_due:
        for queued in schedule.run_due():
            click.echo(f"scheduled {queued.item.name}: job {queued.job.pk}")
        return
    if show_schedule:
        for s in schedule.status():
            last = s.last
            outcome = "never run" if last is None else f"job {last.pk} {last.state}: {last.error or last.answer}"
            when = last.created_at.isoformat(timespec="seconds") if last else "-"
            click.echo(
                f"{s.item.name:<15} {s.item.rule.describe():<28} last {when}  next "
                f"{s.next_run.isoformat(timespec='seconds')}  {outcome}"
            )
        return
    if job_id is not None:
        job = Job.objects.filter(pk=job_id).first()
        if job is None:
            raise UserError(f"no job {job_id}")
        click.echo(json.dumps(services.describe(job), ensure_ascii=False, indent=1))
        return
    for job in Job.objects.select_related("owner").defer("content")[:limit]:
        click.echo(json.dumps(services.describe(job), ensure_ascii=False) if as_json else _line(job))


def job_options(func: Any) -> Any:
    """``--job`` (queue it and return at once) and ``--wait`` (queue it and follow its progress)."""
    func = click.option("--wait", "wait", is_flag=True, help="Run it as a background job and show its progress.")(func)
    return click.option("--job", "as_job", is_flag=True, help="Queue it as a background job; print its id.")(func)


def submit_or_wait(kind: str, params: dict[str, Any], *, wait: bool, timeout: float = 3600) -> Any:
    """Queue a job for the command line; with ``wait``, show a progress bar until it ends."""
    from corridor.jobs import services
    from corridor.jobs.models import Job

    job = services.submit(kind, params, by=None)
    click.echo(f"job {job.pk} queued (corridor jobs {job.pk}); a running `corridor worker` runs it", err=True)
    if not wait:
        return job
    deadline = time.monotonic() + timeout
    with click.progressbar(length=1000, label=f"job {job.pk}", file=sys.stderr) as bar:
        shown = 0
        while True:
            job = Job.objects.defer("content").get(pk=job.pk)
            target = int(job.progress * 1000)
            if target > shown:
                bar.update(target - shown)
                shown = target
            if job.finished:
                break
            if time.monotonic() > deadline:
                raise UserError(f"job {job.pk} still {job.state} after {timeout:g} s")
            time.sleep(0.2)
    if job.state == Job.State.FAILED:
        raise UserError(f"job {job.pk} failed: {job.error}")
    click.echo(job.answer, err=True)
    return job
