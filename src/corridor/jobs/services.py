"""Jobs: ask for one, run it (in the worker), report its progress, finish or fail it, recover it.

A job's own writes (its result and the ledger entry of the work) happen in one transaction at the end,
so a worker killed mid-way leaves nothing half-written: the job is still ``running`` under a process
that no longer exists, and :func:`recover_abandoned` queues it again (up to ``ATTEMPTS`` times) or
marks it failed, saying why.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _
from django_tasks import task

from corridor.accounts.roles import Actor, Can, require
from corridor.errors import CorridorError, InvalidInput, stored
from corridor.jobs import registry
from corridor.jobs.models import Job

log = logging.getLogger(__name__)

ATTEMPTS = 2  # a job whose worker died is run once more, then marked failed
STALE_SECONDS = 600  # a running job on another machine with no sign of life for this long is abandoned


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def submit(
    kind: str, params: dict[str, Any] | None = None, *, by: Actor, schedule: str = "", now: dt.datetime | None = None
) -> Job:
    """Queue a job of ``kind`` for ``by``: checked now (who may, which kind), run by a worker later."""
    try:
        spec = registry.kind(kind)
    except KeyError:
        raise InvalidInput(
            _("no job kind %(kind)r; known: %(known)s"),
            "kind",
            code="job.unknown_kind",
            kind=kind,
            known=", ".join(sorted(registry.KINDS)),
        ) from None
    if spec.permission:
        require(by, Can(spec.permission))
    owner: Any = by if by is not None and not isinstance(by, str) and by.is_authenticated else None
    with transaction.atomic():
        job = Job.objects.create(
            owner=owner, kind=kind, params=dict(params or {}), schedule=schedule, created_at=now or _now()
        )
        _enqueue(job)
    return job


def _enqueue(job: Job) -> None:
    # What people asked for runs before the schedule's routine work.
    result = run_job.using(priority=-10 if job.schedule else 0).enqueue(job.pk)
    job.task_id = str(result.id)
    job.save(update_fields=["task_id"])


def report_progress(job_id: int, fraction: float, text: str, data: dict[str, Any] | None = None, **values: Any) -> None:
    """Record how far a running job is (also its sign of life); outside any transaction, so it shows.
    ``text`` is a template with ``values``: kept filled in English and as it is, for the workspace to
    translate. ``data``, when given, is what the job can already show (its result's data replaces it)."""
    fraction = min(max(fraction, 0.0), 1.0)
    sentence = text % values if values else text
    fields: dict[str, Any] = {
        "progress": fraction,
        "progress_text": sentence[:200],
        "progress_said": {"template": text, "values": values},
        "heartbeat_at": _now(),
    }
    if data is not None:
        fields["data"] = data
    Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(**fields)


def run(job_id: int) -> str:
    """Run a queued job (called by the worker's task). Returns its state."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != Job.State.QUEUED:
            return job.state if job else "missing"
        now = _now()
        job.state = Job.State.RUNNING
        job.attempts += 1
        job.worker = worker_name()
        job.started_at = job.heartbeat_at = now
        job.progress = 0.0
        _say_progress(job, _("started"))
        job.save()
    try:
        by = job.owner
        work = registry.resolve(job.kind)(job.params, by, partial(report_progress, job_id))
        if isinstance(work, registry.WritesItself):
            work.run(lambda result: _succeed(job_id, result))
        else:
            with transaction.atomic():
                _succeed(job_id, work())
        return Job.objects.values_list("state", flat=True).get(pk=job_id)
    except CorridorError as exc:
        _fail(job_id, str(exc), said=_refusal_said(exc))
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, job.kind)
        _fail(job_id, f"internal error: {type(exc).__name__}")
    return Job.State.FAILED


def _succeed(job_id: int, result: registry.Result) -> None:
    """Record a job's result; called inside the transaction that writes the work itself."""
    assert transaction.get_connection().in_atomic_block, "a job completes in the transaction of its work"
    done = Job.objects.select_for_update().get(pk=job_id)
    done.state = Job.State.SUCCEEDED
    done.progress = 1.0
    _say_progress(done, _("done"))
    done.answer, done.link, done.data = result.sentence, result.link, result.data
    # Stored as JSON: a date is kept as its ISO form, which the workspace reads back as a date.
    values = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in result.values.items()}
    done.answer_said = {"template": result.answer, "values": values}
    done.content, done.filename, done.media_type = result.content, result.filename, result.media_type
    done.finished_at = _now()
    done.save()


def _refusal_said(exc: CorridorError) -> dict[str, Any]:
    """A refusal as the workspace says it again: its template, values and code, and the phrases of its
    ``lines`` when it has any (each refused submission of a pull, with its problems)."""
    said: dict[str, Any] = {
        "code": exc.code,
        "template": exc.template,
        "values": {k: stored(v) for k, v in exc.values.items()},
    }
    lines = getattr(exc, "lines", ())
    if lines:
        said["lines"] = [stored(line) for line in lines]
    return said


def _say_progress(job: Job, text: str, **values: Any) -> None:
    """Set a job's progress sentence as :func:`report_progress` keeps it: in English, and as its template
    and values, for the workspace to say in the reader's language."""
    job.progress_text = (text % values if values else text)[:200]
    job.progress_said = {"template": text, "values": values}


def _fail(job_id: int, error: str, said: dict[str, Any] | None = None) -> None:
    Job.objects.filter(pk=job_id).exclude(state__in=Job.FINISHED).update(
        state=Job.State.FAILED, error=error, error_said=said or {}, finished_at=_now()
    )


def _alive(worker: str, heartbeat: dt.datetime | None, now: dt.datetime) -> bool:
    host, _, pid = worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return heartbeat is not None and (now - heartbeat).total_seconds() < STALE_SECONDS


def recover_abandoned(now: dt.datetime | None = None) -> list[Job]:
    """Jobs left ``running`` by a worker that died: queue them again, or fail them after ATTEMPTS."""
    now = now or _now()
    recovered = []
    for job in Job.objects.filter(state=Job.State.RUNNING):
        if _alive(job.worker, job.heartbeat_at, now):
            continue
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=job.pk)
            if job.state != Job.State.RUNNING:
                continue
            _drop_task(job.task_id)
            if job.attempts < ATTEMPTS:
                job.state = Job.State.QUEUED
                job.progress = 0.0
                _say_progress(job, _("queued again: worker %(worker)s stopped mid-way"), worker=job.worker)
                job.save()
                _enqueue(job)
            else:
                job.state = Job.State.FAILED
                stopped = CorridorError(
                    _("the worker stopped mid-way %(attempts)s times; nothing of it was written"),
                    code="job.worker_stopped",
                    attempts=job.attempts,
                )
                job.error, job.error_said = str(stopped), _refusal_said(stopped)
                job.finished_at = now
                job.save()
        recovered.append(job)
    return recovered


def _drop_task(task_id: str) -> None:
    """Mark the queue's row of a dead worker's task failed, so it is not shown running forever."""
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult.objects.filter(pk=task_id).first() if task_id else None
    if row is not None and row.status == "RUNNING":
        row.set_failed(RuntimeError("the worker running it stopped"))


def visible_to(user: Actor) -> Any:
    """The jobs ``user`` may see: their own; all of them for an admin."""
    from corridor.accounts.roles import can

    jobs = Job.objects.all()
    if user is None or isinstance(user, str) or can(user, Can.MANAGE_USERS):
        return jobs
    return jobs.filter(owner_id=user.pk)


def describe(job: Job) -> dict[str, Any]:
    """A job as the API and the CLI show it."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "state": job.state,
        "progress": round(job.progress, 3),
        "progress_text": job.progress_text,
        "attempts": job.attempts,
        "owner": job.owner.get_username() if job.owner else None,
        "schedule": job.schedule or None,
        "answer": job.answer,
        "link": job.link,
        "data": job.data,
        "file": job.filename or None,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


@task()
def run_job(job_id: int) -> str:
    """The one task the queue knows: run a job by its id (everything else is in this module)."""
    return run(job_id)
