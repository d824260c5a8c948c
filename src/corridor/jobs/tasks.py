"""The one task the queue knows: run a job by its id. Everything else is in :mod:`corridor.jobs.services`."""

from __future__ import annotations

from django_tasks import task


@task()
def run_job(job_id: int) -> str:
    from corridor.jobs import services

    return services.run(job_id)
