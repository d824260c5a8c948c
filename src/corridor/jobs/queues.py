"""The task queues: ``default`` for the work people ask for and the schedule, ``aside`` for work that may
wait (a recorded plan's LP bound), run only when ``default`` is empty (``corridor.jobs.worker``).

A leaf: tasks of any app name their queue from here, and ask whether someone is waiting.
"""

from __future__ import annotations

DEFAULT = "default"
ASIDE = "aside"


def people_waiting() -> bool:
    """Whether a task of the default queue is ready to run: someone's job, or scheduled work, waits."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().filter(queue_name=DEFAULT).exists()
