"""Where the queue found the job task before it moved beside the services it calls.

Rows queued by an older version name ``corridor.jobs.tasks.run_job``; this keeps them runnable.
"""

from __future__ import annotations

from corridor.jobs.services import run_job

__all__ = ["run_job"]
