"""Break the glass: an admin or auditor sees an identity only through a recorded, time-limited grant with a
reason, shown on every coordinator's dashboard and to the auditors until another auditor acknowledges it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from corridor.accounts import breakglass
from corridor.accounts.roles import ROLE_CAPABILITIES, Can, Role
from corridor.errors import InvalidInput, NotAllowed, NotFound
from corridor.ledger.models import Entry
from corridor.register import services as register


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def patient(make_referral: Any) -> Any:
    return make_referral("P-0001").patient


def test_only_coordinators_and_clinicians_see_identities_without_breaking_the_glass() -> None:
    seeing = {role for role, caps in ROLE_CAPABILITIES.items() if Can.SEE_IDENTITIES in caps}
    assert seeing == {Role.COORDINATOR, Role.CLINICIAN}
    breaking = {role for role, caps in ROLE_CAPABILITIES.items() if Can.BREAK_GLASS in caps}
    assert breaking == {Role.ADMIN, Role.AUDITOR}


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_an_admin_or_auditor_without_a_grant_is_refused_everywhere(
    role: str, users: dict[str, Any], patient: Any
) -> None:
    with pytest.raises(NotAllowed, match="breaking the glass"):
        register.view_identity(patient, by=users[role], purpose="curious")
    client = _client(users[role])
    assert client.post("/patients/P-0001/identity/", {"purpose": "curious"}).status_code == 403
    assert not Entry.objects.filter(type="identity.viewed").exists()


def test_breaking_the_glass_needs_a_reason_and_a_role_that_may(users: dict[str, Any], patient: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        breakglass.open_break_glass(patient, reason="  ", by=users["admin"])
    assert refused.value.field == "reason"
    with pytest.raises(NotAllowed):
        breakglass.open_break_glass(patient, reason="need it", by=users["monitor"])
    response = _client(users["admin"]).post("/patients/P-0001/break-glass/", {"reason": ""})
    assert response.status_code == 422
    assert not Entry.objects.filter(type="access.break_glass").exists()


def test_a_grant_shows_the_identity_records_both_acts_and_ends_when_it_expires(
    users: dict[str, Any], patient: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.BREAK_GLASS_SECONDS = 600
    client = _client(users["admin"])
    opened = client.post("/patients/P-0001/break-glass/", {"reason": "the hospital cannot match the patient"})
    assert opened.status_code == 302 and opened["Location"] == "/patients/P-0001/identity/"
    grant_entry = Entry.objects.get(type="access.break_glass")
    assert grant_entry.recorded_by == "admin"
    assert grant_entry.payload["reason"] == "the hospital cannot match the patient"
    grant = breakglass.active_grant(users["admin"], patient)
    assert grant is not None and (grant.expires_at - grant.opened_at) == dt.timedelta(seconds=600)

    shown = client.post("/patients/P-0001/identity/", {"purpose": "call the hospital"})
    assert shown.status_code == 200 and "Test Person P-0001" in shown.content.decode()
    assert "by breaking the glass" in shown.content.decode()
    viewed = Entry.objects.get(type="identity.viewed")
    assert viewed.recorded_by == "admin" and viewed.payload["break_glass_entry"] == grant_entry.seq

    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=601)
    monkeypatch.setattr(breakglass, "_now", lambda: later)
    assert client.post("/patients/P-0001/identity/", {"purpose": "again"}).status_code == 403
    with pytest.raises(NotAllowed):
        register.view_identity(patient, by=users["admin"], purpose="again")


def test_a_grant_is_for_one_patient_only(users: dict[str, Any], patient: Any, make_referral: Any) -> None:
    other = make_referral("P-0002").patient
    breakglass.open_break_glass(patient, reason="emergency", by=users["auditor"])
    with pytest.raises(NotAllowed):
        register.view_identity(other, by=users["auditor"], purpose="while I am here")


def test_every_coordinator_and_auditor_sees_it_until_another_auditor_acknowledges_it(
    users: dict[str, Any], patient: Any
) -> None:
    from django.contrib.auth.models import User

    from corridor.accounts.services import create_user

    second_auditor = create_user(username="auditor-2", role="auditor", password="x", by=None, check_password=False)
    grant = breakglass.open_break_glass(patient, reason="family tracing request", by=users["auditor"])
    for who in ("coordinator", "auditor"):
        page = _client(users[who]).get("/").content.decode()
        assert 'id="break-glass"' in page and "family tracing request" in page, who
    assert 'id="break-glass"' not in _client(users["monitor"]).get("/").content.decode()
    listing = _client(second_auditor).get("/audit/break-glass/").content.decode()
    assert "family tracing request" in listing

    with pytest.raises(NotAllowed, match="another auditor"):
        breakglass.acknowledge(grant.pk, by=users["auditor"])
    with pytest.raises(NotAllowed):
        breakglass.acknowledge(grant.pk, by=users["coordinator"])
    assert _client(second_auditor).post(f"/audit/break-glass/{grant.pk}/acknowledge/").status_code == 302
    acknowledged = Entry.objects.get(type="access.break_glass_acknowledged")
    assert acknowledged.recorded_by == "auditor-2"
    assert acknowledged.payload["break_glass_entry"] == grant.entry_seq
    assert 'id="break-glass"' not in _client(users["coordinator"]).get("/").content.decode()
    assert User.objects.filter(username="auditor-2").exists()


def test_through_the_api_an_admin_reads_an_identity_only_after_breaking_the_glass(
    users: dict[str, Any], patient: Any
) -> None:
    from corridor.accounts.tokens import issue_token

    _, secret = issue_token(users["admin"], by=None, label="test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/patients/P-0001/identity?purpose=check").status_code == 403
    opened = client.post(
        "/api/patients/P-0001/break-glass", {"reason": "hospital query"}, content_type="application/json"
    )
    assert opened.status_code == 201, opened.content
    response = client.get("/api/patients/P-0001/identity?purpose=check")
    assert response.status_code == 200 and response.json()["full_name"] == "Test Person P-0001"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [("an hour", "must be a whole number"), ("30", "must be at least 60")],
    ids=["words", "too short"],
)
def test_a_malformed_break_glass_time_stops_the_start_naming_the_variable(
    tmp_path: Any, seconds: str, said: str
) -> None:
    import os
    import subprocess
    import sys

    environment = {**os.environ, "CORRIDOR_DATA_DIR": str(tmp_path), "CORRIDOR_BREAK_GLASS_SECONDS": seconds}
    environment.pop("CORRIDOR_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", "from corridor.cli import main; main()", "users", "list"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and f"CORRIDOR_BREAK_GLASS_SECONDS {said}" in done.stderr


def test_a_grant_is_shown_to_the_coordinators_of_the_patients_site_not_to_another_sites(
    users: dict[str, Any], patient: Any, crossing: Any
) -> None:
    breakglass.open_break_glass(patient, reason="family tracing request", by=users["auditor"])
    assert "family tracing request" in _client(users["coordinator"]).get("/").content.decode()
    elsewhere = _client(crossing.users["coordinator"]).get("/").content.decode()
    assert 'id="break-glass"' not in elsewhere and "P-0001" not in elsewhere


def test_an_auditor_of_another_site_can_neither_see_nor_acknowledge_a_grant(
    users: dict[str, Any], patient: Any, crossing: Any
) -> None:
    grant = breakglass.open_break_glass(patient, reason="family tracing request", by=users["auditor"])
    elsewhere = crossing.users["auditor"]
    assert "family tracing request" not in _client(elsewhere).get("/audit/break-glass/").content.decode()
    with pytest.raises(NotFound):
        breakglass.acknowledge(grant.pk, by=elsewhere)
    assert _client(elsewhere).post(f"/audit/break-glass/{grant.pk}/acknowledge/").status_code in (302, 404)
    assert not Entry.objects.filter(type="access.break_glass_acknowledged").exists()
