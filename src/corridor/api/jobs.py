"""Background jobs: ask for long work (plan, report, export, simulation, checkpoint) and follow it.

``POST /api/jobs/{kind}`` answers 202 at once with the job's URL; ``GET /api/jobs/{id}`` shows its state and
progress until it has succeeded (with its answer and result) or failed (with the reason).
"""

from __future__ import annotations

import base64
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_noop as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from corridor.accounts.roles import Can
from corridor.errors import NotFound
from corridor.jobs.registry import KINDS

from .core import reader, requires, responses

router = Router()


class JobIn(Schema):
    params: dict[str, Any] = Field(
        default_factory=dict,
        description='as the matching command or endpoint takes them, e.g. {"site": "CAMP-1"} for a plan, '
        '{"month": "2014-10", "format": "pdf"} for a report, {"dataset": "trips"} for an export',
    )


class JobOut(Schema):
    id: int
    url: str
    kind: str
    state: str = Field(description="queued, running, succeeded or failed")
    progress: float = Field(description="0 to 1")
    progress_text: str
    attempts: int
    owner: str | None
    schedule: str | None
    answer: str
    link: str
    data: dict[str, Any]
    file: str | None = Field(description="the result file's name; fetch it from /api/jobs/{id}/result")
    error: str = Field(description="why it failed, in English (each refused submission of a pull on a line)")
    error_code: str | None = Field(description="the refusal's code when it was refused with one; null otherwise")
    error_message: str = Field(description="the error in the request's language when it has a code, else as error")
    created_at: str
    started_at: str | None
    finished_at: str | None


class JobResultOut(Schema):
    filename: str
    media_type: str
    content_base64: str


def _out(job: Any) -> dict[str, Any]:
    from corridor.jobs.services import describe
    from corridor.refusals import kept_text

    said = job.error_said or {}
    error = {"error_code": said.get("code") or None, "error_message": kept_text(said, job.error)}
    return {**describe(job), **error, "url": f"/api/jobs/{job.pk}"}


def _job(request: HttpRequest, job_id: int) -> Any:
    from corridor.jobs.services import visible_to

    job = visible_to(reader(request)).filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("no job %(job)s of yours"), code="job.not_found", job=job_id)
    return job


def _submit_route(kind: str, capability: Can, label: str) -> None:
    def submit_job(request: HttpRequest, data: JobIn) -> Status[dict[str, Any]]:
        from corridor.jobs import services

        job = services.submit(kind, data.params, by=reader(request))
        return Status(202, _out(job))

    submit_job.__name__ = f"submit_{kind.replace('-', '_')}_job"
    submit_job.__doc__ = f"Queue a {label} as a job and answer at once (202) with its URL; a worker runs it."
    router.post(f"/jobs/{kind}", response=responses(JobOut, 202), tags=["jobs"], auth=requires(capability))(submit_job)


for _kind in KINDS.values():
    _submit_route(_kind.name, Can(_kind.permission or "read_ledger"), _kind.label)


@router.get("/jobs/{job_id}", response=responses(JobOut), tags=["jobs"])
def get_job(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """A job of yours (any job, for an admin): state, progress, and once done its answer or error."""
    return _out(_job(request, job_id))


@router.get("/jobs/{job_id}/result", response=responses(JobResultOut), tags=["jobs"])
def get_job_result(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """The file a job produced (a report, an export, a checkpoint note), base64-encoded."""
    job = _job(request, job_id)
    if job.content is None:
        if not job.finished:
            raise NotFound(_("job %(job)s has no file yet"), code="job.no_file_yet", job=job_id)
        raise NotFound(_("job %(job)s has no file"), code="job.no_file", job=job_id)
    return {
        "filename": job.filename,
        "media_type": job.media_type,
        "content_base64": base64.b64encode(bytes(job.content)).decode("ascii"),
    }
