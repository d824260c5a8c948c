"""Pulling KoBoToolbox's and ODK Central's submissions: every page, the same checks as a file, idempotent.

The servers are the recorded answers (``recorded/``) served over HTTP on 127.0.0.1 by ``recorded.py``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from corridor.intake import remote, servers
from corridor.intake.models import ImportedSubmission, Refusal
from corridor.intake.parse import Problem
from corridor.intake.readers import Export, odk_submissions
from corridor.intake.services import apply_export
from corridor.intake.sources import TOKEN_PREFIX, Source
from corridor.intake.tests.cases import make_trip
from corridor.intake.tests.conftest import KOBO_TOKEN, ODK_TOKEN
from corridor.intake.tests.recorded import (
    KOBO_DATA,
    KOBO_PAGE_2,
    ODK_PAGE_2,
    ODK_SUBMISSIONS,
    RECORDED,
    RecordedServer,
    serve_kobo,
    serve_odk,
)
from corridor.jobs import services as jobs
from corridor.jobs.models import Job
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register.models import Referral, Site

pytestmark = pytest.mark.django_db


def _types_since(seq: int) -> list[str]:
    return list(Entry.objects.filter(seq__gt=seq).order_by("seq").values_list("type", flat=True))


@pytest.fixture
def waiting(make_referral: Callable[..., Referral]) -> None:
    """The patients the recorded death reports are about."""
    for code in ("P-301", "P-302", "P-303", "P-304", "P-305"):
        make_referral(code)


@pytest.fixture
def trips(camp: Site, make_referral: Callable[..., Referral]) -> None:
    """The trips the recorded hospital reports are about: gone through the gate on days 4, 5 and 6."""
    for days, code in ((4, "P-201"), (5, "P-202"), (6, "P-203")):
        make_trip(camp, [make_referral(code)], days, status="departed")


def test_a_kobo_pull_twice_with_one_new_submission_between_records_only_the_new_one(
    intake_sources: dict[str, Source], recorded_server: RecordedServer, waiting: None
) -> None:
    serve_kobo(recorded_server)
    head = ledger.head()[0]

    first = servers.pull(intake_sources["kobo"])

    assert [s.status for s in first.submissions] == ["imported"] * 3
    assert _types_since(head) == ["patient.died", "referral.closed"] * 3
    # Both pages were read, each with the token as KoBoToolbox's API expects it.
    assert [r.path.split("?")[0] for r in recorded_server.requests] == [KOBO_DATA, KOBO_DATA]
    assert recorded_server.requests[1].path == KOBO_PAGE_2
    assert {r.headers["Authorization"] for r in recorded_server.requests} == {f"Token {KOBO_TOKEN}"}
    entry = Entry.objects.filter(seq__gt=head, type="patient.died").order_by("seq").first()
    assert entry is not None
    assert entry.payload["submission"]["source"] == "gate-kobo"
    assert entry.payload["submission"]["via"] == "kobo api"
    assert entry.payload["submission"]["data"]["_id"] == 9001
    assert not Entry.objects.filter(body__contains=KOBO_TOKEN).exists()  # never in the ledger

    serve_kobo(recorded_server, later=True)  # a day later: one more death reported
    middle = ledger.head()[0]

    second = servers.pull(intake_sources["kobo"])

    assert [s.status for s in second.submissions] == ["duplicate"] * 3 + ["imported"]
    assert second.submissions[3].instance_id == "1e0a7f52-2c41-4d8e-9a1b-000000000304"
    assert _types_since(middle) == ["patient.died", "referral.closed"]

    last = ledger.head()[0]
    third = servers.pull(intake_sources["kobo"])
    assert [s.status for s in third.submissions] == ["duplicate"] * 4
    assert ledger.head()[0] == last  # nothing new, nothing written


def test_an_odk_pull_twice_with_one_submission_edited_between_writes_nothing_and_keeps_the_refusal(
    intake_sources: dict[str, Source], recorded_server: RecordedServer, trips: None
) -> None:
    serve_odk(recorded_server)
    head = ledger.head()[0]

    first = servers.pull(intake_sources["odk"])

    assert [s.status for s in first.submissions] == ["imported"] * 3, first.lines()
    # Each submission's expanded repeat group of patients was read: one patient.seen or not_seen each.
    types = _types_since(head)
    assert types.count("trip.arrived") == 3 and types.count("trip.returned") == 3
    assert types.count("patient.seen") == 2 and types.count("patient.not_seen") == 1
    expected = "Basic " + base64.b64encode(ODK_TOKEN.encode()).decode()
    assert {r.headers["Authorization"] for r in recorded_server.requests} == {expected}
    assert recorded_server.requests[0].path.endswith("?%24top=500&%24count=true&%24expand=%2A")
    assert recorded_server.requests[1].path == ODK_PAGE_2
    # ODK Central's __id is the CSV download's KEY: the same submission imported from a file is a duplicate.
    assert ImportedSubmission.objects.filter(instance_id="b2c3d4e5-0001-4f6a-8b9c-000000000201").exists()

    serve_odk(recorded_server, edited=True)  # the third submission edited on the server
    middle = ledger.head()[0]

    second = servers.pull(intake_sources["odk"])

    assert ledger.head()[0] == middle
    assert [s.status for s in second.submissions] == ["duplicate", "duplicate", "rejected"]
    [rejected] = second.rejected
    # Central keeps the first version's ID as __id (the CSV's KEY), so the edit is known as that submission.
    assert "submission uuid:b2c3d4e5-0003-4f6a-8b9c-000000000203 was imported before" in rejected.line()
    assert "with other answers (patients)" in rejected.line()
    refusal = Refusal.objects.get()
    assert (refusal.source, refusal.way, refusal.form) == ("hospital-odk", "pull", "trip_outcome")
    assert refusal.instance_id == "b2c3d4e5-0103-4f6a-8b9c-000000000203"
    assert "record a correction" in str(Problem.from_json(refusal.problems[0]))
    assert refusal.received() is not None
    assert refusal.received()["meta"]["deprecatedID"] == "uuid:b2c3d4e5-0003-4f6a-8b9c-000000000203"

    servers.pull(intake_sources["odk"])
    refusal.refresh_from_db()
    assert refusal.times == 2 and Refusal.objects.count() == 1  # kept once, counted each time it comes


def test_the_scheduled_job_fails_naming_the_refusal_and_succeeds_once_the_server_is_corrected(
    intake_sources: dict[str, Source], recorded_server: RecordedServer, trips: None
) -> None:
    serve_odk(recorded_server)
    servers.pull(intake_sources["odk"])
    serve_odk(recorded_server, edited=True)

    job = jobs.submit("intake-pull", {"source": "hospital-odk"}, by=None, schedule="intake-pull-hospital-odk")
    assert jobs.run(job.pk) == Job.State.FAILED
    job.refresh_from_db()
    assert "1 rejected" in job.error and "with other answers (patients)" in job.error

    # A coordinator marks the edited submission rejected in ODK Central, as docs/intake.md says: it is left
    # out, the rest is known already, and the refusal leaves the intake page.
    edited = (RECORDED / "odk/submissions-2-edited.json").read_text(encoding="utf-8")
    edited = edited.replace('"reviewState": "edited"', '"reviewState": "rejected"').replace(
        "{server}", recorded_server.url
    )
    recorded_server.answer(ODK_PAGE_2, body=edited.encode())
    retry = jobs.submit("intake-pull", {"source": "hospital-odk"}, by=None, schedule="intake-pull-hospital-odk")
    assert jobs.run(retry.pk) == Job.State.SUCCEEDED
    retry.refresh_from_db()
    assert retry.answer == "hospital-odk: 0 imported, 2 already imported, 1 excluded, 0 rejected"
    assert retry.data == {"source": "hospital-odk", "imported": 0, "duplicate": 2, "excluded": 1}
    assert Refusal.objects.get().settled_at is not None
    assert servers.open_refusals() == []


def test_a_refused_token_fails_the_job_with_the_reason_and_never_the_token(
    intake_sources: dict[str, Source], recorded_server: RecordedServer, waiting: None
) -> None:
    recorded_server.answer(KOBO_DATA, status=401, body=b'{"detail": "Invalid token."}')
    head = ledger.head()[0]

    job = jobs.submit("intake-pull", {"source": "gate-kobo"}, by=None)

    assert jobs.run(job.pk) == Job.State.FAILED
    job.refresh_from_db()
    assert "refused the token (HTTP 401)" in job.error and f"{TOKEN_PREFIX}GATE_KOBO" in job.error
    assert KOBO_TOKEN not in job.error
    assert ledger.head()[0] == head

    serve_kobo(recorded_server)  # the token corrected: the next run records everything
    again = jobs.submit("intake-pull", {"source": "gate-kobo"}, by=None)
    assert jobs.run(again.pk) == Job.State.SUCCEEDED
    assert ImportedSubmission.objects.count() == 3


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"status": 503, "body": b"<html>Service Unavailable</html>"}, "HTTP 503; the next run tries again"),
        ({"body": b"<html>maintenance</html>"}, "page 2: the answer is not JSON"),
        ({"body": b'{"count": 3, "results": "three"}'}, "page 2 is not the data API's"),
        ({"drop": True}, "page 2: no answer from 127.0.0.1"),
    ],
)
def test_a_failure_on_the_second_page_applies_nothing_of_the_first(
    intake_sources: dict[str, Source],
    recorded_server: RecordedServer,
    waiting: None,
    answer: dict[str, Any],
    reason: str,
) -> None:
    serve_kobo(recorded_server)
    recorded_server.answer(KOBO_PAGE_2, **answer)
    head = ledger.head()[0]

    with pytest.raises(remote.PullFailed) as failed:
        servers.pull(intake_sources["kobo"])

    assert reason in str(failed.value)
    assert ledger.head()[0] == head and not ImportedSubmission.objects.exists()


def test_a_count_that_changes_between_pages_fails_so_the_next_run_reads_them_again(
    intake_sources: dict[str, Source], recorded_server: RecordedServer, waiting: None
) -> None:
    serve_kobo(recorded_server)
    recorded_server.answer(KOBO_PAGE_2, "kobo/data-2-later.json")  # a submission arrived between the pages

    with pytest.raises(remote.PullFailed, match="the count went from 3 to 4"):
        servers.pull(intake_sources["kobo"])
    assert not ImportedSubmission.objects.exists()


def test_a_next_page_on_another_server_is_not_followed_so_the_token_stays_home(
    intake_sources: dict[str, Source], recorded_server: RecordedServer, waiting: None
) -> None:
    elsewhere = b'{"count": 3, "next": "http://collector.invalid/steal?start=2", "previous": null, "results": []}'
    recorded_server.answer(KOBO_DATA, body=elsewhere)

    with pytest.raises(remote.PullFailed, match="another server"):
        servers.pull(intake_sources["kobo"])
    assert len(recorded_server.requests) == 1


def test_a_redirect_is_refused_rather_than_followed(
    intake_sources: dict[str, Source], recorded_server: RecordedServer
) -> None:
    recorded_server.answer(KOBO_DATA, status=302, body=b"")

    with pytest.raises(remote.PullFailed, match="redirects"):
        servers.pull(intake_sources["kobo"])
    assert len(recorded_server.requests) == 1


def test_a_server_that_is_not_there_fails_with_no_answer(settings: Any, waiting: None) -> None:
    gone = RecordedServer()  # bound, then closed: its port answers nothing
    gone.httpd.server_close()
    source = Source("gone", "kobo", gone.url, "aSynthDeath01", token=KOBO_TOKEN)

    with pytest.raises(remote.PullFailed, match="no answer from 127.0.0.1"):
        servers.pull(source)


def test_a_form_with_no_submissions_yet_is_a_pull_that_writes_nothing(
    intake_sources: dict[str, Source], recorded_server: RecordedServer
) -> None:
    recorded_server.answer(KOBO_DATA, body=b'{"count": 0, "next": null, "previous": null, "results": []}')
    head = ledger.head()[0]

    job = jobs.submit("intake-pull", {"source": "gate-kobo"}, by=None)

    assert jobs.run(job.pk) == Job.State.SUCCEEDED
    assert ledger.head()[0] == head


def test_an_odk_server_without_next_links_is_paged_with_skip(
    intake_sources: dict[str, Source], recorded_server: RecordedServer, trips: None
) -> None:
    # Central before $skiptoken: the first page counts 3 and holds 2, with no @odata.nextLink.
    page_1 = (RECORDED / "odk/submissions-1.json").read_text(encoding="utf-8")
    page_1 = page_1.replace('"@odata.nextLink"', '"@odata.unused"').replace("{server}", recorded_server.url)
    recorded_server.answer(ODK_SUBMISSIONS, body=page_1.encode())
    recorded_server.answer(
        f"{ODK_SUBMISSIONS}?%24top=500&%24count=true&%24expand=%2A&%24skip=2", "odk/submissions-2.json"
    )

    report = servers.pull(intake_sources["odk"])

    assert [s.status for s in report.submissions] == ["imported"] * 3


def test_each_source_with_a_token_is_pulled_on_the_schedule_every_configured_minutes(
    intake_sources: dict[str, Source], settings: Any
) -> None:
    import datetime as dt

    from corridor.jobs import schedule

    settings.INTAKE_PULL_MINUTES = 5
    pulls = {i.name: i for i in schedule.items() if i.kind == "intake-pull"}
    assert set(pulls) == {"intake-pull-gate-kobo", "intake-pull-hospital-odk"}  # the push-only one is not pulled
    assert pulls["intake-pull-gate-kobo"].params == {"source": "gate-kobo"}
    now = dt.datetime(2014, 10, 20, 8, 0, tzinfo=dt.UTC)

    first = {q.item.name for q in schedule.run_due(now)}
    soon = {q.item.name for q in schedule.run_due(now + dt.timedelta(minutes=4))}
    later = {q.item.name for q in schedule.run_due(now + dt.timedelta(minutes=5))}

    assert set(pulls) <= first
    assert not set(pulls) & soon
    assert set(pulls) <= later
    assert Job.objects.filter(kind="intake-pull", schedule="intake-pull-gate-kobo").count() == 2


def test_the_command_line_pulls_a_source_and_exits_2_when_a_submission_is_refused(
    intake_sources: dict[str, Source], recorded_server: RecordedServer, trips: None
) -> None:
    from click.testing import CliRunner

    from corridor.cli import cli

    serve_odk(recorded_server)
    listed = CliRunner().invoke(cli, ["intake", "sources"])
    assert listed.exit_code == 0
    assert "hospital-odk  odk" in listed.output and ODK_TOKEN not in listed.output

    first = CliRunner().invoke(cli, ["intake", "pull", "hospital-odk"])

    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[-1] == "3 imported, 0 already imported, 0 excluded, 0 rejected"

    serve_odk(recorded_server, edited=True)
    second = CliRunner().invoke(cli, ["intake", "pull"])  # every pulled source: the KoBo one has no answers

    assert second.exit_code == 2
    assert "gate-kobo: page 1: the server has no form aSynthDeath01 (HTTP 404)" in second.output
    assert "with other answers (patients)" in second.output
    assert "nothing was written from gate-kobo, hospital-odk" in second.output


def test_pulling_an_unknown_source_is_one_line_naming_the_configured_ones(intake_sources: dict[str, Source]) -> None:
    from click.testing import CliRunner

    from corridor.cli import cli

    result = CliRunner().invoke(cli, ["intake", "pull", "nowhere"])

    assert result.exit_code == 2
    assert "no intake source 'nowhere'; configured: gate-kobo, hospital-odk, deaths-push" in result.output


@pytest.fixture
def moved_on(
    intake_sources: dict[str, Source],
    recorded_server: RecordedServer,
    trips: None,
    camp: Site,
    make_referral: Callable[..., Referral],
) -> None:
    """The recorded ODK submissions pulled once, then the register moved on: a second trip to the same hospital
    the same day, so "camp, date and hospital" no longer names one trip."""
    serve_odk(recorded_server)
    servers.pull(intake_sources["odk"])
    make_trip(camp, [make_referral("P-209")], 4)


def test_a_submission_recorded_before_stays_a_duplicate_when_the_register_has_moved_on(
    intake_sources: dict[str, Source], moved_on: None
) -> None:
    head = ledger.head()[0]

    again = servers.pull(intake_sources["odk"])

    # Every pull reads the whole history: one old submission refused now would block the server for good.
    assert [s.status for s in again.submissions] == ["duplicate"] * 3, again.lines()
    assert ledger.head()[0] == head
    # A submission not recorded yet is still checked against today's register, and refused.
    page = (RECORDED / "odk/submissions-1.json").read_text(encoding="utf-8")
    new = page.replace("b2c3d4e5-0001", "b2c3d4e5-0009")

    values = json.loads(new)["value"][:1]
    report = apply_export(
        Export("odata", "ODK Central OData", odk_submissions(values), "odk"), platform="odk", name="t", by=None
    )
    assert [s.status for s in report.submissions] == ["rejected"]
    assert "several trips" in report.submissions[0].line()


def test_a_recorded_submission_with_a_passengers_answer_changed_or_added_is_refused_when_the_register_has_moved_on(
    moved_on: None,
) -> None:
    value = json.loads((RECORDED / "odk/submissions-1.json").read_text(encoding="utf-8"))["value"][0]
    # Each entry kept only its own part of the answers: the copy sent again is held to every part.
    noted = json.loads(json.dumps(value))
    noted["patients"][0]["outcome_note"] = "written later"
    added = json.loads(json.dumps(value))
    added["patients"].append({"patient_code": "P-209", "outcome": "seen", "outcome_note": None})

    statuses = []
    for values in ([value], [noted], [added]):
        export = Export("odata", "ODK Central OData", odk_submissions(values), "odk")
        statuses.append(apply_export(export, platform="odk", name="t", by=None).submissions[0].status)

    assert statuses == ["duplicate", "rejected", "rejected"]


def test_coordinators_see_each_sources_last_pull_and_why_it_failed_on_the_intake_page(
    intake_sources: dict[str, Source], recorded_server: RecordedServer, users: dict[str, Any]
) -> None:
    from django.test import Client

    recorded_server.answer(KOBO_DATA, status=401, body=b'{"detail": "Invalid token."}')
    jobs.run(jobs.submit("intake-pull", {"source": "gate-kobo"}, by=None).pk)
    coordinator = Client()
    coordinator.force_login(users["coordinator"])

    page = coordinator.get("/intake/").content.decode()

    assert "gate-kobo" in page and "refused the token (HTTP 401)" in page
    assert "Not pulled yet." in page  # hospital-odk
    assert KOBO_TOKEN not in page and ODK_TOKEN not in page


def test_a_role_that_does_not_record_at_the_gate_cannot_pull_and_the_server_is_not_asked(
    intake_sources: dict[str, Source], recorded_server: RecordedServer, users: dict[str, Any]
) -> None:
    from corridor.errors import NotAllowed

    with pytest.raises(NotAllowed):
        servers.pull(intake_sources["kobo"], by=users["clinician"])
    assert recorded_server.requests == []
