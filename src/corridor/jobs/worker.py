"""``corridor worker``'s loop: recover jobs of dead workers, queue what the schedule says is due, run tasks."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, close_old_connections


def loop(
    *,
    interval: float = 1.0,
    batch: bool = False,
    scheduled: bool = True,
    parent: int | None = None,
    say: Callable[[str], None] = print,
) -> None:
    """Run tasks until stopped; with ``batch``, run what is queued (and due) on the default queue and
    return: work set aside (``corridor.jobs.queues``) is left to a worker that keeps running."""
    from corridor.jobs import services

    name = services.worker_name()
    say(f"worker {name}: running jobs (Ctrl-C stops)")
    while True:
        close_old_connections()
        try:
            for job in services.recover_abandoned():
                say(f"job {job.pk} ({job.kind}): its worker stopped mid-way; now {job.state}")
            for line in _due() if scheduled else []:
                say(line)
            serve_once(name, aside=not batch)
        except (OperationalError, InterfaceError) as exc:
            # The database did not answer this round: another process held its write lock longer than the
            # connection waits (SQLite), or the server went away (PostgreSQL). Every step above is a
            # transaction of its own that wrote nothing when it failed, so the round is simply tried again;
            # a worker that died here would leave every job, plan bound and scheduled check undone, silently.
            say(f"worker {name}: the database did not answer ({exc}); trying again")
            close_old_connections()  # a connection the error left unusable is opened afresh
            time.sleep(max(interval, RETRY_SECONDS))
            continue
        if batch or (parent is not None and os.getppid() != parent):
            return
        time.sleep(interval)


# The least pause before a round the database refused is tried again, so a lasting fault is said a few
# times a minute rather than many times a second.
RETRY_SECONDS = 5.0


def serve_once(name: str, *, aside: bool = True) -> None:
    """Run every ready task of the default queue, then, if nobody's task is waiting, one set aside.

    One at a time, so that a job asked for meanwhile starts after at most that one; and a task set
    aside gives way itself as soon as one is (``corridor.planning.aside``).
    """
    from corridor.jobs import queues

    _run(name, queues.DEFAULT, max_tasks=None)
    if aside and not queues.people_waiting():
        _run(name, queues.ASIDE, max_tasks=1)


def _run(name: str, queue: str, *, max_tasks: int | None) -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=[queue],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=name,
        excluded_queue_names=[],
    ).run()


def _due() -> list[str]:
    """Queue the scheduled work that is due (see corridor.jobs.schedule); one line per item queued."""
    from corridor.jobs import schedule

    return [f"scheduled {run.item.name}: job {run.job.pk}" for run in schedule.run_due()]
