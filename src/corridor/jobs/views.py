"""A job's progress as a small htmx partial, its result file, and the schedule page for admins."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from corridor.accounts.roles import Can
from corridor.jobs import schedule, services
from corridor.jobs.models import Job
from corridor.web.access import requires
from corridor.web.views.common import page


def _job(request: HttpRequest, pk: int) -> Job:
    job = services.visible_to(request.user).defer("content").filter(pk=pk).first()
    if job is None:
        raise Http404("no such job")
    return job


@requires(None)
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The partial the workspace polls (every second while the job is unfinished)."""
    return render(request, "jobs/_progress.html", {"job": _job(request, pk)})


@requires(None)
def job_result(request: HttpRequest, pk: int) -> HttpResponse:
    job = services.visible_to(request.user).filter(pk=pk, state=Job.State.SUCCEEDED).exclude(content=None).first()
    if job is None:
        raise Http404("no such result")
    response = HttpResponse(bytes(job.content or b""), content_type=job.media_type or "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return response


@requires(Can.MANAGE_USERS)
def schedule_page(request: HttpRequest) -> HttpResponse:
    return page(request, "jobs/schedule.html", {"items": schedule.status()})
