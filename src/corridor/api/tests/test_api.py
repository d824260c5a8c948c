"""The JSON API: one error object, writes through the services with their ledger entries, audited identities."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings

from corridor.accounts.models import ApiToken
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry

Clients = Callable[[str | None], Client]


def _json(response: Any) -> Any:
    return json.loads(response.content)


def _assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = _json(response)
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "field", "details", "reason", "values"}
    assert error["status"] == status and error["code"] == code and error["message"]
    return dict(error)


def test_every_kind_of_refusal_is_the_same_error_object(
    tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    coordinator = api_client(tokens["coordinator"])
    _assert_error(api_client(None).get("/api/sites"), 401, "not_authenticated")
    _assert_error(api_client("cor_" + "x" * 43).get("/api/sites"), 401, "not_authenticated")
    site = {"code": "CAMP-2", "name": "Second Camp", "country": "XX"}
    _assert_error(
        api_client(tokens["monitor"]).post("/api/sites", site, content_type="application/json"), 403, "not_allowed"
    )
    _assert_error(coordinator.get("/api/patients/P-NOBODY"), 404, "not_found")
    _assert_error(coordinator.get("/api/no/such/path"), 404, "not_found")
    _assert_error(coordinator.delete("/api/sites"), 405, "method_not_allowed")
    _assert_error(coordinator.post("/api/patients", "{not json", content_type="application/json"), 400, "bad_request")
    invalid = _assert_error(
        coordinator.post("/api/patients", {"site": "CAMP-T", "code": "bad code!"}, content_type="application/json"),
        422,
        "invalid_input",
    )
    assert invalid["field"] == "code" and invalid["details"]
    # Refused by a service rather than by the schema: the same object, naming the field.
    refused = _assert_error(
        coordinator.post(
            "/api/patients",
            {"site": "CAMP-T", "code": "P-NEW", "registered_on": "2014-10-01", "birth_year": 2015},
            content_type="application/json",
        ),
        422,
        "invalid_input",
    )
    assert refused["field"] == "birth_year"
    released = f"/api/trips/{trips['requested'].pk}/gate-released"
    _assert_error(
        coordinator.post(released, {"at": "2014-10-13T08:00:00+03:00"}, content_type="application/json"),
        409,
        "conflict",
    )


@override_settings(API_RATE_LIMIT="3/m")
def test_a_token_that_calls_too_often_is_told_when_to_come_back(tokens: dict[str, str], api_client: Clients) -> None:
    client = api_client(tokens["auditor"])
    assert [client.get("/api/dashboard").status_code for _ in range(3)] == [200, 200, 200]
    error = _assert_error(client.get("/api/dashboard"), 429, "rate_limited")
    assert "try again" in error["message"]
    assert int(client.get("/api/dashboard")["Retry-After"]) >= 1
    # Another token has its own allowance.
    assert api_client(tokens["monitor"]).get("/api/dashboard").status_code == 200


@override_settings(API_RATE_LIMIT="3/m")
def test_guessing_tokens_from_one_address_is_slowed_down(api_client: Clients, db: Any) -> None:
    statuses = [api_client(f"cor_guess{i:040d}").get("/api/sites").status_code for i in range(5)]
    assert statuses[:3] == [401, 401, 401] and statuses[-1] == 429


def test_a_gate_timeline_write_answers_with_the_ledger_entry_it_appended(
    tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    trip = trips["approved"]
    response = api_client(tokens["monitor"]).post(
        f"/api/trips/{trip.pk}/gate-arrived",
        {"at": "2014-10-13T07:10:00+03:00", "source": "witness", "certainty": "probable"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = _json(response)
    assert body["status"] == "departed" and body["gate_arrived_at"] == "2014-10-13T04:10:00Z"
    entry = Entry.objects.get(seq=body["entry"]["seq"])
    assert (entry.type, entry.hash) == ("gate.arrived", body["entry"]["hash"]) == (body["entry"]["type"], entry.hash)
    assert f"trip:{trip.pk}" in entry.subjects and entry.recorded_by == "monitor" and entry.certainty == "probable"
    assert ledger.verify().ok
    timeline = _json(api_client(tokens["auditor"]).get(f"/api/trips/{trip.pk}/timeline"))
    assert [e["type"] for e in timeline["events"]] == [
        "trip.requested",
        "trip.approved",
        "trip.departed",
        "gate.arrived",
    ]


def test_a_refused_write_leaves_the_ledger_and_the_record_as_they_were(
    tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    trip = trips["at_gate"]
    head = ledger.head()
    response = api_client(tokens["coordinator"]).post(
        f"/api/trips/{trip.pk}/gate-released",
        {"at": "2014-10-13T01:00:00+00:00"},  # before it reached the gate
        content_type="application/json",
    )
    _assert_error(response, 422, "invalid_input")
    trip.refresh_from_db()
    assert ledger.head() == head and trip.gate_released_at is None


def test_lists_come_in_pages_with_the_total(tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]) -> None:
    client = api_client(tokens["clinician"])
    first = _json(client.get("/api/patients?limit=2"))
    second = _json(client.get("/api/patients?limit=2&offset=2"))
    assert first["count"] == second["count"] == 5
    assert [p["code"] for p in first["items"] + second["items"]] == ["P-APP", "P-ARR", "P-GATE", "P-REQ"]
    _assert_error(client.get("/api/patients?limit=501"), 422, "invalid_input")
    waiting = _json(client.get("/api/referrals?status=waiting&patient=P-WAIT"))
    assert waiting["count"] == 1 and waiting["items"][0]["due_date"] == "2014-09-15"


def test_the_ledger_is_read_page_by_page_after_a_sequence_number(
    tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    client = api_client(tokens["auditor"])
    seen: list[int] = []
    after = 0
    while True:
        page = _json(client.get(f"/api/ledger?limit=7&after={after}"))
        seen += [e["seq"] for e in page["items"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert seen == list(range(1, ledger.head()[0] + 1))
    filtered = _json(client.get("/api/ledger?type=trip.approved&count=true"))
    assert filtered["count"] == 3 and {e["type"] for e in filtered["items"]} == {"trip.approved"}
    assert _json(client.get("/api/ledger/verify")) == {
        "ok": True,
        "count": ledger.head()[0],
        "head_hash": ledger.head()[1],
        "bad_seq": None,
        "problem": None,
    }


def test_the_ledger_is_filtered_by_any_subject_the_ledger_accepts(
    tokens: dict[str, str], api_client: Clients, users: dict[str, Any]
) -> None:
    # A user's subject is ``user:NAME`` and names may hold @ and +: the API's filter reads the ledger's
    # own subject pattern, so what the ledger can hold the API can find.
    from corridor.accounts.services import create_user

    create_user(
        username="field.worker+2@example.org", role="monitor", password="x", by=users["admin"], check_password=False
    )
    page = _json(api_client(tokens["auditor"]).get("/api/ledger?subject=user:field.worker%2B2@example.org&count=true"))
    assert page["count"] == 1 and page["items"][0]["type"] == "user.created"


def test_a_monitor_never_sees_a_name(tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]) -> None:
    client = api_client(tokens["monitor"])
    bodies = [
        client.get(path).content
        for path in ("/api/patients", "/api/patients/P-REQ", "/api/trips", f"/api/trips/{trips['arrived'].pk}/timeline")
    ]
    assert all(b"Test Person" not in body for body in bodies)
    _assert_error(client.get("/api/patients/P-REQ?with_identity=true"), 403, "not_allowed")
    _assert_error(client.get("/api/patients/P-REQ/identity"), 403, "not_allowed")
    _assert_error(api_client(tokens["auditor"]).get("/api/patients/P-REQ/identity"), 403, "not_allowed")
    assert not Entry.objects.filter(type="identity.viewed").exists()


def test_reading_an_identity_is_recorded_and_an_auditor_can_list_who_read_whose(
    tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    coordinator = api_client(tokens["coordinator"])
    listed = _json(coordinator.get("/api/patients"))
    assert all(p["identity"] is None for p in listed["items"])  # lists are pseudonymous even for coordinators
    one = _json(coordinator.get("/api/patients/P-REQ?with_identity=true&purpose=arrange+escort"))
    assert one["identity"]["full_name"] == "Test Person P-REQ"
    viewed = Entry.objects.get(seq=one["identity"]["viewed_entry"])
    assert viewed.type == "identity.viewed" and viewed.recorded_by == "coordinator"
    token_id = ApiToken.objects.get(user__username="coordinator").pk
    assert viewed.payload == {
        "patient": "P-REQ",
        "purpose": "arrange escort",
        "token": token_id,
        "token_issued_by": "system",
    }
    assert "Test Person" not in viewed.body
    _json(api_client(tokens["clinician"]).get("/api/patients/P-APP/identity?purpose=call+the+family"))
    audit = _json(api_client(tokens["auditor"]).get("/api/audit/identity-views"))
    # The auditor sees who read whose identity and that a purpose was given; its words are withheld
    # (clinical and identifying text) and read through GET /api/ledger/{seq}/text, itself recorded.
    assert [(v["viewed_by"], v["patient"], v["purpose"]) for v in audit["items"]] == [
        ("clinician", "P-APP", "[withheld]"),
        ("coordinator", "P-REQ", "[withheld]"),
    ]
    mine = _json(coordinator.get("/api/audit/identity-views"))
    assert [v["purpose"] for v in mine["items"]] == ["call the family", "arrange escort"]
    only = _json(api_client(tokens["auditor"]).get("/api/audit/identity-views?patient=P-REQ"))
    assert only["count"] == 1 and only["items"][0]["seq"] == viewed.seq


def test_identities_are_written_through_the_service_and_the_ledger_never_holds_them(
    tokens: dict[str, str], api_client: Clients, camp: Any
) -> None:
    coordinator = api_client(tokens["coordinator"])
    created = coordinator.post(
        "/api/patients",
        {
            "site": "CAMP-T",
            "code": "P-API",
            "registered_on": "2014-10-01",
            "sex": "f",
            "identity": {"full_name": "Synthetic Api Person", "contact": "Block 9"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert _json(created)["entry"]["type"] == "patient.registered"
    changed = coordinator.put(
        "/api/patients/P-API/identity",
        {"full_name": "Synthetic Api Person", "contact": "Block 10"},
        content_type="application/json",
    )
    assert _json(changed)["type"] == "identity.changed"
    assert not Entry.objects.filter(body__contains="Synthetic Api").exists()
    assert not Entry.objects.filter(body__contains="Block 10").exists()
    assert _json(coordinator.get("/api/patients/P-API/identity?purpose=check+the+contact"))["contact"] == "Block 10"


def test_a_revoked_token_is_refused_from_the_moment_it_is_revoked(users: dict[str, Any], api_client: Clients) -> None:
    from corridor.accounts.tokens import issue_token, revoke_token

    token, secret = issue_token(users["auditor"], by=users["auditor"], label="laptop")
    client = api_client(secret)
    assert client.get("/api/me").status_code == 200
    revoke_token(token.pk, by=users["auditor"], reason="laptop lost")
    _assert_error(client.get("/api/me"), 401, "not_authenticated")


def test_a_plan_is_proposed_read_and_accepted_through_the_api(
    tokens: dict[str, str], api_client: Clients, make_referral: Callable[..., Any]
) -> None:
    make_referral("P-PLAN", referral_date=dt.date(2014, 10, 1))
    client = api_client(tokens["coordinator"])
    proposed = client.post(
        "/api/sites/CAMP-T/plans",
        {"date": "2014-10-13", "horizon_days": 14},
        content_type="application/json",
    )
    assert proposed.status_code == 201, proposed.content
    plan = _json(proposed)
    assert plan["entry"]["type"] == "plan.proposed" and plan["trip"]["patients"][0]["patient"] == "P-PLAN"
    latest = _json(client.get("/api/sites/CAMP-T/plans/latest?on=2014-10-13"))
    assert latest["seq"] == plan["seq"] == plan["entry"]["seq"]
    accepted = client.post(f"/api/plans/{plan['seq']}/accept", {}, content_type="application/json")
    assert accepted.status_code == 201, accepted.content
    trip = _json(accepted)
    assert trip["entry"]["type"] == "trip.requested" and [p["patient"] for p in trip["passengers"]] == ["P-PLAN"]
    assert Entry.objects.get(seq=trip["entry"]["seq"]).payload["plan"] == plan["seq"]


def test_a_plan_asked_for_with_less_work_records_that_budget_and_replays_and_a_time_limit_is_refused(
    tokens: dict[str, str], api_client: Clients, make_referral: Callable[..., Any]
) -> None:
    from corridor.transfers import plans

    for n in range(3):
        make_referral(f"P-QUICK{n}", referral_date=dt.date(2014, 10, 1 + n))
    client = api_client(tokens["coordinator"])

    def propose(body: dict[str, Any]) -> Any:
        return client.post("/api/sites/CAMP-T/plans", {"date": "2014-10-13", **body}, content_type="application/json")

    before = Entry.objects.count()
    # Plans are bounded by work, not seconds: a time limit would be dropped, so it is refused, by name.
    refused = _assert_error(propose({"time_limit": 1}), 422, "invalid_input")
    assert refused["field"] == "time_limit"
    # No part of the budget may be raised above the default, nor a part named that is not one.
    too_much = _assert_error(propose({"budget": {"windows": plans.RECORDED_BUDGET.windows + 1}}), 422, "invalid_input")
    assert too_much["field"] == "budget.windows"
    assert propose({"budget": {"seed": 7}}).status_code == 422
    assert Entry.objects.count() == before

    quick = propose({"budget": {"windows": 2, "search_rounds": 10}})
    assert quick.status_code == 201, quick.content
    entry = Entry.objects.get(seq=_json(quick)["seq"])
    recorded = entry.payload["planner"]["budget"]
    assert (recorded["windows"], recorded["search_rounds"]) == (2, 10)
    assert recorded["dual_iterations"] == plans.RECORDED_BUDGET.dual_iterations
    assert plans.replay_plan(entry).identical


def test_the_docs_page_loads_nothing_from_the_internet(client: Client, db: Any) -> None:
    page = client.get("/api/docs", HTTP_HOST="127.0.0.1")
    assert page.status_code == 200
    html = page.content.decode()
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert references and all(ref.startswith("/static/") for ref in references), references
    settings_json = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.DOTALL).group(1))  # type: ignore[union-attr]
    assert settings_json["validatorUrl"] is None and settings_json["url"] == "/api/openapi.json"
    assert "Content-Security-Policy" in page and "https:" not in page["Content-Security-Policy"]
    for ref in references:
        assert client.get(ref, HTTP_HOST="127.0.0.1").status_code == 200, ref


def test_the_openapi_document_covers_every_resource(client: Client, db: Any) -> None:
    spec = json.loads(client.get("/api/openapi.json", HTTP_HOST="127.0.0.1").content)
    paths = set(spec["paths"])
    for expected in (
        "/api/sites",
        "/api/facilities",
        "/api/patients",
        "/api/patients/{code}/identity",
        "/api/referrals",
        "/api/sites/{code}/rules",
        "/api/trips",
        "/api/trips/{trip_id}/timeline",
        "/api/trips/{trip_id}/gate-arrived",
        "/api/sites/{code}/plans",
        "/api/plans/{seq}/accept",
        "/api/ledger",
        "/api/audit/identity-views",
        "/api/incidents",
        "/api/dashboard",
    ):
        assert expected in paths, expected
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert {"401", "403", "422", "429"} <= set(operation["responses"]), (method, path)


@pytest.mark.parametrize("field", ["source", "certainty"])
def test_evidence_levels_outside_the_catalogue_are_refused(
    field: str, tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    response = api_client(tokens["monitor"]).post(
        f"/api/trips/{trips['approved'].pk}/departed",
        {"at": "2014-10-13T06:00:00+03:00", field: "rumour"},
        content_type="application/json",
    )
    assert _assert_error(response, 422, "invalid_input")["field"] == field


def _values(codes: Any) -> list[str]:
    # The enums are built from the vocabulary at run time; mypy knows them as plain strings.
    return [member.value for member in codes]


def test_the_api_s_choices_are_the_catalogues_choices() -> None:
    from corridor.api import schemas
    from corridor.ledger.catalogue import Certainty, Source
    from corridor.register.models import Specialty
    from corridor.transfers.models import Trip

    assert _values(schemas.SpecialtyCode) == Specialty.values
    assert _values(schemas.SourceCode) == Source.values
    assert _values(schemas.CertaintyCode) == Certainty.values
    assert _values(schemas.CancelledByCode) == Trip.CancelledBy.values


def test_an_export_answers_the_file_with_its_sha256_and_ledger_entry_and_no_name(
    tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    import hashlib

    response = api_client(tokens["auditor"]).post(
        "/api/exports", {"dataset": "trips", "format": "csv", "month": "2014-10"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = _json(response)
    assert hashlib.sha256(body["content"].encode()).hexdigest() == body["sha256"]
    entry = Entry.objects.get(seq=body["entry"]["seq"])
    assert entry.type == "export.created" and entry.payload["sha256"] == body["sha256"]
    assert "P-REQ" in body["content"] and "Test Person" not in body["content"]
    refused = api_client(tokens["monitor"]).post("/api/exports", {"dataset": "trips"}, content_type="application/json")
    _assert_error(refused, 403, "not_allowed")


def test_public_indicators_blank_small_counts_that_partners_see(
    tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    public = {
        v["code"]: v["value"]
        for v in _json(api_client(tokens["monitor"]).get("/api/indicators?month=2014-10"))["values"]
    }
    partners = {
        v["code"]: v["value"]
        for v in _json(api_client(tokens["auditor"]).get("/api/indicators?month=2014-10&audience=partners"))["values"]
    }
    assert partners["requests.total"] == 4  # four patients on trips in October
    assert public["requests.total"] is None  # fewer than five: blank, never zero
    _assert_error(
        api_client(tokens["monitor"]).get("/api/indicators?month=2014-10&audience=partners"), 403, "not_allowed"
    )
    catalogue = _json(api_client(tokens["monitor"]).get("/api/indicators/catalogue"))
    assert {i["code"] for i in catalogue} == set(partners)


def test_the_api_s_status_filters_are_the_models_statuses() -> None:
    from typing import get_args

    from corridor.api.register import PatientFilter, ReferralFilter
    from corridor.api.transfers import TripFilter
    from corridor.register.models import Patient, Referral
    from corridor.transfers.models import Trip

    for schema, model in ((PatientFilter, Patient), (ReferralFilter, Referral), (TripFilter, Trip)):
        codes = get_args(schema.model_fields["status"].annotation)[0]
        assert _values(codes) == model.Status.values, schema


@pytest.mark.parametrize("text", ["a\\u0000b", "\\ud800", "\\u001b[31m"])
def test_a_correction_carrying_text_the_ledger_cannot_store_is_refused_before_anything_is_written(
    text: str, tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    head = ledger.head()
    body = '{"reason": "typo", "changes": {"note": "' + text + '"}}'
    response = api_client(tokens["monitor"]).post("/api/ledger/1/corrections", body, content_type="application/json")
    assert _assert_error(response, 422, "invalid_input")["field"] == "changes"
    assert ledger.head() == head


@pytest.mark.django_db
def test_the_ledger_filters_by_a_recorder_named_in_any_script_and_refuses_a_name_over_150_characters(
    camp: Any, tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    # The pattern is "[\w.@+-]+" with a length limit rather than "{1,150}", which costs 13 MB per process.
    ledger.append("incident.recorded", by="ناظر.۲", subjects=[f"site:{camp.code}"], payload={}, source="witness")
    client = api_client(tokens["monitor"])
    found = client.get("/api/ledger", {"recorded_by": "ناظر.۲"})
    assert found.status_code == 200 and [e["recorded_by"] for e in found.json()["items"]] == ["ناظر.۲"]
    assert client.get("/api/ledger", {"recorded_by": "a" * 150}).status_code == 200
    assert client.get("/api/ledger", {"recorded_by": "a" * 151}).status_code == 422
    assert client.get("/api/ledger", {"recorded_by": "a b"}).status_code == 422
    assert client.get("/api/audit/identity-views", {"viewed_by": "a" * 151}).status_code == 422
