"""The workspace's job pages: progress only to its owner (and admins), the schedule to admins only."""

from __future__ import annotations

from typing import Any

from django.test import Client

from corridor.jobs import schedule, services


def _client(user: Any) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def test_a_jobs_progress_and_file_are_shown_to_its_owner_and_admins_only(users: dict[str, Any], camp: Any) -> None:
    job = services.submit("export", {"dataset": "trips"}, by=users["auditor"])
    polled = _client(users["auditor"]).get(f"/jobs/{job.pk}/progress/")
    assert polled.status_code == 200 and b'hx-trigger="every 1s"' in polled.content
    assert _client(users["coordinator"]).get(f"/jobs/{job.pk}/progress/").status_code == 404
    assert _client(users["admin"]).get(f"/jobs/{job.pk}/progress/").status_code == 200
    assert _client(users["auditor"]).get(f"/jobs/{job.pk}/result/").status_code == 404  # not done yet
    services.run(job.pk)
    result = _client(users["auditor"]).get(f"/jobs/{job.pk}/result/")
    assert result.status_code == 200 and "attachment" in result["Content-Disposition"]
    assert Client(HTTP_HOST="127.0.0.1").get(f"/jobs/{job.pk}/progress/").status_code == 302  # sign in first


def test_admins_see_each_scheduled_items_last_run_next_run_and_outcome(users: dict[str, Any], camp: Any) -> None:
    ran = {q.item.name: q.job for q in schedule.run_due()}
    services.run(ran["checkpoint"].pk)
    page = _client(users["admin"]).get("/jobs/schedule/")
    assert page.status_code == 200
    text = page.content.decode()
    for item in schedule.ITEMS:
        assert f'id="schedule-{item.name}"' in text
    assert "signed:" in text and "every 15 min" in text
    for role in ("coordinator", "auditor", "monitor"):
        assert _client(users[role]).get("/jobs/schedule/").status_code == 403
