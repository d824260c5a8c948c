"""Long work through the API: 202 at once with the job's URL, then its progress and its result."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from django.test import Client

from corridor.jobs import services
from corridor.ledger.models import Entry


def test_asking_for_a_plan_answers_202_at_once_with_the_job_url_and_nothing_planned_yet(
    tokens: dict[str, str], camp: Any, api_client: Callable[[str | None], Client]
) -> None:
    client = api_client(tokens["coordinator"])
    response = client.post("/api/jobs/plan", {"params": {"site": "CAMP-T"}}, content_type="application/json")
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["url"] == f"/api/jobs/{job['id']}" and job["state"] == "queued" and job["progress"] == 0
    assert not Entry.objects.filter(type="plan.proposed").exists()

    services.run(job["id"])  # what the worker does
    done = client.get(job["url"]).json()
    assert done["state"] == "succeeded" and done["progress"] == 1
    assert done["data"]["entry"] == Entry.objects.get(type="plan.proposed").seq


def test_a_job_is_refused_to_a_role_that_may_not_do_its_work_and_hidden_from_other_users(
    tokens: dict[str, str], camp: Any, api_client: Callable[[str | None], Client]
) -> None:
    body: dict[str, Any] = {"params": {}}
    assert (
        api_client(tokens["auditor"]).post("/api/jobs/plan", body, content_type="application/json").status_code == 403
    )
    assert api_client(None).post("/api/jobs/plan", body, content_type="application/json").status_code == 401
    unknown = api_client(tokens["coordinator"]).post("/api/jobs/x", body, content_type="application/json")
    assert unknown.status_code in (404, 405)  # no such kind: no such route
    job = (
        api_client(tokens["auditor"])
        .post("/api/jobs/export", {"params": {"dataset": "trips"}}, content_type="application/json")
        .json()
    )
    assert api_client(tokens["clinician"]).get(job["url"]).status_code == 404
    assert api_client(tokens["admin"]).get(job["url"]).status_code == 200


def test_an_export_job_gives_its_file_once_done(
    tokens: dict[str, str], camp: Any, api_client: Callable[[str | None], Client]
) -> None:
    client = api_client(tokens["auditor"])
    job = client.post("/api/jobs/export", {"params": {"dataset": "trips"}}, content_type="application/json")
    url = job.json()["url"]
    assert client.get(f"{url}/result").status_code == 404
    services.run(job.json()["id"])
    result = client.get(f"{url}/result").json()
    assert result["filename"].startswith("corridor-trips") and base64.b64decode(result["content_base64"])
