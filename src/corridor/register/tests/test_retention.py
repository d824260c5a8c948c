"""The retention schedule lists the right people, and erases them only once a second admin confirms; the
same two steps through ``corridor erase`` and through the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import translation

from corridor.cli import cli
from corridor.errors import InvalidInput
from corridor.ledger.models import Entry
from corridor.register import crypto, erasure
from corridor.register import services as register
from corridor.register.models import Patient, PatientIdentity
from corridor.transfers import deaths
from corridor.web.templatetags.corridor import answer_said

TODAY = dt.date(2021, 6, 1)


@pytest.fixture
def register_of_2021(camp: Any, settings: Any) -> dict[str, Patient]:
    """Patients who left or died long ago or lately, one still waiting, one who left without an identity."""
    settings.TODAY = TODAY
    made = {}
    for code, identity in (
        ("P-LEFT-OLD", True),
        ("P-LEFT-NEW", True),
        ("P-DIED-OLD", True),
        ("P-DIED-NEW", True),
        ("P-WAITING", True),
        ("P-NO-ID", False),
    ):
        made[code] = register.register_patient(
            site=camp,
            code=code,
            registered_on=dt.date(2014, 1, 1),
            identity={"full_name": f"Synthetic Retained {code}"} if identity else None,
            by=None,
        )
    for code, closed in (("P-LEFT-OLD", dt.date(2015, 3, 1)), ("P-LEFT-NEW", dt.date(2020, 1, 1))):
        referral = register.create_referral(
            patient=made[code], specialty="oncology", priority="P3", referral_date=dt.date(2014, 2, 1), by=None
        )
        register.close_referral(referral, reason="left", on=closed, by=None)
    # No service records a departure from the camp yet (it is known from the closed referral): set it here.
    Patient.objects.filter(code__in=["P-LEFT-OLD", "P-LEFT-NEW", "P-NO-ID"]).update(status=Patient.Status.LEFT)
    deaths.record_death(made["P-DIED-OLD"], on=dt.date(2015, 2, 1), by=None, source="witness", certainty="confirmed")
    deaths.record_death(made["P-DIED-NEW"], on=dt.date(2019, 1, 1), by=None, source="witness", certainty="confirmed")
    return made


def test_the_schedule_lists_those_who_left_or_died_n_years_ago_and_still_have_an_identity(
    register_of_2021: dict[str, Patient], settings: Any
) -> None:
    found = erasure.due(by=None, years=5)
    assert [(d.code, d.since) for d in found] == [
        ("P-DIED-OLD", dt.date(2015, 2, 1)),
        ("P-LEFT-OLD", dt.date(2015, 3, 1)),
    ]
    assert [d.code for d in erasure.due(by=None, years=2)] == ["P-DIED-NEW", "P-DIED-OLD", "P-LEFT-OLD"]
    assert erasure.due(by=None, years=7) == []
    settings.RETENTION_YEARS = 5
    assert [d.code for d in erasure.due(by=None)] == ["P-DIED-OLD", "P-LEFT-OLD"]
    settings.RETENTION_YEARS = 0
    with pytest.raises(InvalidInput, match="CORRIDOR_RETENTION_YEARS"):
        erasure.due(by=None)


def test_the_schedule_counts_from_a_death_date_as_corrected(register_of_2021: dict[str, Patient]) -> None:
    from corridor.ledger import services as ledger

    died = Entry.objects.get(type="patient.died", subject_rows__key="patient:P-DIED-NEW")
    ledger.correct(
        died.seq,
        by=None,
        reason="the burial register",
        changes={"date": "2015-06-01"},
        source="document",
        certainty="confirmed",
    )
    found = erasure.due(by=None, years=5)
    assert [(d.code, d.since) for d in found] == [
        ("P-DIED-NEW", dt.date(2015, 6, 1)),
        ("P-DIED-OLD", dt.date(2015, 2, 1)),
        ("P-LEFT-OLD", dt.date(2015, 3, 1)),
    ]


def test_retention_asks_then_a_second_admin_confirms_through_the_command(
    register_of_2021: dict[str, Patient], admins: tuple[Any, Any]
) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["retention", "list", "--years", "5"])
    assert listed.exit_code == 0, listed.output
    assert "P-DIED-OLD" in listed.output and "P-LEFT-OLD" in listed.output and "P-LEFT-NEW" not in listed.output
    asked = runner.invoke(cli, ["retention", "request", "--years", "5", "--as", "admin"], input="x\n")
    assert asked.exit_code == 0 and "asked for 2 erasures" in asked.output, asked.output
    assert PatientIdentity.objects.get(patient__code="P-LEFT-OLD").full_name == "Synthetic Retained P-LEFT-OLD"
    assert "waiting for confirmation" in runner.invoke(cli, ["retention", "list", "--years", "5"]).output
    same = runner.invoke(cli, ["retention", "confirm", "--as", "admin"], input="x\n")
    assert same.exit_code == 0 and "erased 0 identities" in same.output  # the one who asked cannot confirm
    done = runner.invoke(cli, ["retention", "confirm", "--as", "admin-two"], input="x\n")
    assert done.exit_code == 0 and "erased 2 identities" in done.output, done.output
    for code in ("P-LEFT-OLD", "P-DIED-OLD"):
        assert PatientIdentity.objects.get(patient__code=code).full_name == crypto.ERASED
    assert PatientIdentity.objects.get(patient__code="P-LEFT-NEW").full_name == "Synthetic Retained P-LEFT-NEW"
    assert erasure.due(by=None, years=5) == []
    assert all(e.payload["retention"] for e in Entry.objects.filter(type="erasure.requested"))


def test_corridor_erase_asks_confirms_and_refuses_the_same_admin_twice(
    register_of_2021: dict[str, Patient], admins: tuple[Any, Any]
) -> None:
    runner = CliRunner()
    asked = runner.invoke(cli, ["erase", "P-WAITING", "--reason", "court order 12/2021", "--as", "admin"], input="x\n")
    assert asked.exit_code == 0 and "--confirm" in asked.output, asked.output
    again = runner.invoke(cli, ["erase", "P-WAITING", "--confirm", "--as", "admin"], input="x\n")
    assert again.exit_code == 2 and "second admin" in again.output
    # Naming another admin is not enough: they type their own password.
    impostor = runner.invoke(cli, ["erase", "P-WAITING", "--confirm", "--as", "admin-two"], input="guess\n")
    assert impostor.exit_code == 2 and "not admin-two's password" in impostor.output
    assert PatientIdentity.objects.get(patient__code="P-WAITING").full_name != crypto.ERASED
    done = runner.invoke(cli, ["erase", "P-WAITING", "--confirm", "--as", "admin-two"], input="x\n")
    assert done.exit_code == 0, done.output
    assert PatientIdentity.objects.get(patient__code="P-WAITING").full_name == crypto.ERASED
    verdict = runner.invoke(cli, ["verify"])
    assert verdict.exit_code == 0 and verdict.output.startswith("ok:")
    for arguments in (["P-NOBODY", "--reason", "x", "--as", "admin"], ["P-LEFT-NEW", "--as", "admin"]):
        refused = runner.invoke(cli, ["erase", *arguments], input="x\n")
        assert refused.exit_code == 2 and refused.output.startswith("corridor: error:"), refused.output
    coordinator = runner.invoke(cli, ["erase", "P-LEFT-NEW", "--reason", "x", "--as", "coordinator"], input="x\n")
    assert coordinator.exit_code == 2 and "may not" in coordinator.output


def test_the_api_asks_confirms_and_cancels_erasures_for_admins_only(
    register_of_2021: dict[str, Patient], admins: tuple[Any, Any], users: dict[str, Any]
) -> None:
    from corridor.accounts.tokens import issue_token

    def client(user: Any) -> Client:
        made = Client()
        made.defaults.update(
            HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {issue_token(user, by=None, label='t')[1]}"
        )
        return made

    first, second, coordinator = client(admins[0]), client(admins[1]), client(users["coordinator"])

    def post(who: Client, code: str, body: dict[str, str]) -> Any:
        return who.post(f"/api/erasures/{code}", json.dumps(body), content_type="application/json")

    assert post(coordinator, "P-WAITING", {"action": "request", "reason": "x"}).status_code == 403
    asked = post(first, "P-WAITING", {"action": "request", "reason": "the patient asked"})
    assert asked.status_code == 200, asked.content
    assert asked.json()["state"] == "requested" and asked.json()["entry"]["type"] == "erasure.requested"
    assert post(first, "P-WAITING", {"action": "confirm"}).status_code == 403
    assert [e["person"] for e in second.get("/api/erasures").json()] == ["P-WAITING"]
    done = post(second, "P-WAITING", {"action": "confirm"})
    assert done.status_code == 200 and done.json()["decided_by"] == "admin-two"
    identity = client(users["coordinator"]).get("/api/patients/P-WAITING/identity?purpose=escort").json()
    assert (identity["full_name"], identity["contact"], identity["erased"]) == ("erased", "erased", True)
    assert post(first, "P-LEFT-NEW", {"action": "request", "reason": "mistake"}).status_code == 200
    cancelled = post(second, "P-LEFT-NEW", {"action": "cancel", "reason": "wrong person"})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert post(first, "P-NOBODY", {"action": "request", "reason": "x"}).status_code == 404
    assert post(first, "P-LEFT-NEW", {"action": "confirm"}).status_code == 409


def test_the_schedule_reviews_retention_daily_once_a_period_is_set_and_names_no_patient(
    register_of_2021: dict[str, Patient], admins: tuple[Any, Any], camp: Any, settings: Any
) -> None:
    from corridor.jobs import schedule, services
    from corridor.jobs.models import Job

    now = dt.datetime(2021, 6, 1, 5, 0, tzinfo=dt.UTC)
    settings.RETENTION_YEARS = 0
    assert "retention-due" not in {item.name for item in schedule.items()}

    settings.RETENTION_YEARS = 5
    erasure.request_erasure(register_of_2021["P-DIED-OLD"], reason="asked by the family", by=admins[0])
    queued = {q.item.name: q.job for q in schedule.run_due(now=now)}
    job = queued["retention-due"]
    assert job.owner is None and job.kind == "retention-due"
    assert services.run(job.pk) == Job.State.SUCCEEDED
    job.refresh_from_db()
    assert job.answer.startswith(
        f"2 identities past the 5-year retention period (per site: due/asked for) {camp.code} 2/1;"
    )
    with translation.override("fa"):
        said = answer_said(job)
    assert said.startswith("۲ هویت") and f"{camp.code} 2/1" in said
    for code in register_of_2021:
        assert code not in job.answer and code not in json.dumps(job.data)
    assert job.data["sites"] == {camp.code: {"due": 2, "asked_for": 1}}
    # Nothing was erased or asked for by the schedule: that takes two named admins.
    assert Entry.objects.filter(type="erasure.requested").count() == 1
    assert not Entry.objects.filter(type="erasure.confirmed").exists()

    assert "retention-due" not in {q.item.name for q in schedule.run_due(now=now + dt.timedelta(hours=2))}
    assert "retention-due" in {q.item.name for q in schedule.run_due(now=now + dt.timedelta(days=1))}
