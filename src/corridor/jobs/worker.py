"""``corridor worker``'s loop: recover jobs of dead workers, queue what the schedule says is due, run tasks."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from django.db import close_old_connections


def loop(
    *,
    interval: float = 1.0,
    batch: bool = False,
    scheduled: bool = True,
    parent: int | None = None,
    say: Callable[[str], None] = print,
) -> None:
    """Run tasks until stopped; with ``batch``, run what is queued (and due) and return."""
    from django_tasks_db.management.commands.db_worker import Worker

    from corridor.jobs import services

    name = services.worker_name()
    say(f"worker {name}: running jobs (Ctrl-C stops)")
    while True:
        close_old_connections()
        for job in services.recover_abandoned():
            say(f"job {job.pk} ({job.kind}): its worker stopped mid-way; now {job.state}")
        for line in _due() if scheduled else []:
            say(line)
        worker = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=name,
            excluded_queue_names=[],
        )
        worker.run()
        if batch or (parent is not None and os.getppid() != parent):
            return
        time.sleep(interval)


def _due() -> list[str]:
    """Queue the scheduled work that is due (see corridor.jobs.schedule); one line per item queued."""
    from corridor.jobs import schedule

    return [f"scheduled {run.item.name}: job {run.job.pk}" for run in schedule.run_due()]
