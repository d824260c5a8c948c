"""Patients' dependences on a supply and generators' power days through the API: each write is one ledger
entry with the evidence given, a figure nobody gave stays unknown, and another site's records do not exist."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from corridor import sensitivity
from corridor.accounts.roles import ROLE_CAPABILITIES, Can
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.supplies.models import Dependence, PowerDay

Clients = Callable[[str | None], Client]


def _post(client: Client, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = client.post(path, body, content_type="application/json")
    return response.status_code, json.loads(response.content)


def _only_new_entry(before: int, answer: dict[str, Any]) -> Entry:
    """The one entry appended since ``before``, checked to be the one the answer names."""
    entries = list(Entry.objects.filter(seq__gt=before))
    assert len(entries) == 1, [e.type for e in entries]
    entry = entries[0]
    assert answer["entry"] == {"seq": entry.seq, "hash": entry.hash, "type": entry.type}
    return entry


def test_a_dependence_is_recorded_as_one_entry_with_the_evidence_given(
    tokens: dict[str, str], api_client: Clients, blockade: dict[str, Any]
) -> None:
    before = ledger.head()[0]
    status, answer = _post(
        api_client(tokens["clinician"]),
        "/api/supplies/dependences",
        {
            "patient": "P-WAIT",
            "item": "insulin",
            "need": "refrigerated_medicine",
            "since": "2014-10-02",
            "daily_quantity": 2,
            "source": "witness",
            "certainty": "probable",
        },
    )
    assert status == 201, answer
    entry = _only_new_entry(before, answer)
    assert (entry.type, entry.source, entry.certainty, entry.recorded_by) == (
        "dependence.recorded",
        "witness",
        "probable",
        "clinician",
    )
    dependence = Dependence.objects.get(pk=answer["id"])
    assert (dependence.patient.code, dependence.item.code, dependence.need) == (
        "P-WAIT",
        "insulin",
        "refrigerated_medicine",
    )
    assert dependence.since == dt.date(2014, 10, 2) and dependence.daily_quantity == 2
    assert answer["needs_power"] is True and answer["until"] is None and answer["recorded_seq"] == entry.seq


def test_a_dependence_ends_as_one_entry_and_leaves_the_list_of_open_ones(
    tokens: dict[str, str], api_client: Clients, blockade: dict[str, Any]
) -> None:
    dependence = blockade["dependence"]
    client = api_client(tokens["coordinator"])
    before = ledger.head()[0]
    status, answer = _post(
        client,
        f"/api/supplies/dependences/{dependence.pk}/end",
        {"on": "2014-10-12", "reason": "moved to insulin that keeps", "source": "document", "certainty": "possible"},
    )
    assert status == 200, answer
    entry = _only_new_entry(before, answer)
    assert (entry.type, entry.source, entry.certainty) == ("dependence.ended", "document", "possible")
    assert answer["until"] == "2014-10-12"
    dependence.refresh_from_db()
    assert dependence.until == dt.date(2014, 10, 12)
    assert json.loads(client.get("/api/supplies/dependences").content)["items"] == []
    # Sent again (a phone retrying), it is refused and nothing more is written.
    status, answer = _post(
        client, f"/api/supplies/dependences/{dependence.pk}/end", {"on": "2014-10-12", "reason": "x"}
    )
    assert (status, answer["error"]["reason"]) == (409, "dependence.ended")
    assert ledger.head()[0] == entry.seq


@pytest.mark.parametrize(
    ("path", "body", "field", "reason"),
    [
        (
            "/api/supplies/dependences/{dependence}/end",
            {"on": "2014-09-30", "reason": "r"},
            "on",
            "dependence.ended_before",
        ),
        ("/api/supplies/dependences/{dependence}/end", {"on": "2099-01-01", "reason": "r"}, "on", "date.in_future"),
        (
            "/api/supplies/dependences",
            {"patient": "P-WAIT", "item": "insulin", "need": "dialysis", "since": "2099-01-01"},
            "since",
            "date.in_future",
        ),
        (
            "/api/supplies/power",
            {"site": "CAMP-T", "generator": "GEN-1", "on": "2099-01-01", "hours_run": 4},
            "on",
            "date.in_future",
        ),
    ],
)
def test_an_impossible_day_is_refused_by_the_service_naming_the_field_and_nothing_is_written(
    tokens: dict[str, str],
    api_client: Clients,
    blockade: dict[str, Any],
    path: str,
    body: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    head = ledger.head()
    status, answer = _post(api_client(tokens["coordinator"]), path.format(dependence=blockade["dependence"].pk), body)
    assert status == 422, answer
    assert (answer["error"]["field"], answer["error"]["reason"]) == (field, reason)
    assert ledger.head() == head


def test_a_power_day_known_only_by_its_fuel_stores_no_hours_and_no_outage(
    tokens: dict[str, str], api_client: Clients, blockade: dict[str, Any]
) -> None:
    before = ledger.head()[0]
    status, answer = _post(
        api_client(tokens["coordinator"]),
        "/api/supplies/power",
        {"site": "CAMP-T", "generator": "GEN-1", "on": "2014-10-12", "fuel_used": 80, "certainty": "probable"},
    )
    assert status == 201, answer
    entry = _only_new_entry(before, answer)
    assert (entry.type, entry.source, entry.certainty) == ("power.recorded", "witness", "probable")
    # 80 litres at 16 an hour would be 5 hours: the answer, the row and the entry leave the hours unknown.
    assert (answer["hours_run"], answer["outage_hours"], answer["fuel_used"]) == (None, None, 80)
    day = PowerDay.objects.get(generator=blockade["generator"], on=dt.date(2014, 10, 12))
    assert (day.hours_run, day.outage_hours, day.fuel_used) == (None, None, 80)
    assert (entry.payload["hours_run"], entry.payload["outage_hours"]) == (None, None)


def test_a_power_day_with_no_figure_is_refused_with_its_code_and_nothing_is_written(
    tokens: dict[str, str], api_client: Clients, blockade: dict[str, Any]
) -> None:
    head = ledger.head()
    status, answer = _post(
        api_client(tokens["coordinator"]),
        "/api/supplies/power",
        {"site": "CAMP-T", "generator": "GEN-1", "on": "2014-10-12", "note": "the meter is broken"},
    )
    assert status == 422, answer
    assert (answer["error"]["code"], answer["error"]["reason"]) == ("invalid_input", "power.no_hours")
    assert ledger.head() == head and not PowerDay.objects.exists()


def test_a_power_day_sent_twice_is_recorded_once(
    tokens: dict[str, str], api_client: Clients, blockade: dict[str, Any]
) -> None:
    client = api_client(tokens["coordinator"])
    body = {"site": "CAMP-T", "generator": "GEN-1", "on": "2014-10-12", "hours_run": 6, "outage_hours": 18}
    assert _post(client, "/api/supplies/power", body)[0] == 201
    head = ledger.head()
    status, answer = _post(client, "/api/supplies/power", body)
    assert (status, answer["error"]["reason"]) == (409, "power.already_recorded")
    assert ledger.head() == head and PowerDay.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "path", "body"),
    [
        (
            "monitor",
            "/api/supplies/dependences",
            {"patient": "P-WAIT", "item": "insulin", "need": "dialysis", "since": "2014-10-02"},
        ),
        ("admin", "/api/supplies/dependences/{dependence}/end", {"on": "2014-10-12", "reason": "r"}),
        (
            "clinician",
            "/api/supplies/power",
            {"site": "CAMP-T", "generator": "GEN-1", "on": "2014-10-12", "hours_run": 4},
        ),
        (
            "monitor",
            "/api/supplies/power",
            {"site": "CAMP-T", "generator": "GEN-1", "on": "2014-10-12", "hours_run": 4},
        ),
    ],
)
def test_a_role_that_may_not_record_it_is_refused_403_and_nothing_is_written(
    tokens: dict[str, str], api_client: Clients, blockade: dict[str, Any], role: str, path: str, body: dict[str, Any]
) -> None:
    head = ledger.head()
    status, answer = _post(api_client(tokens[role]), path.format(dependence=blockade["dependence"].pk), body)
    assert (status, answer["error"]["code"], answer["error"]["reason"]) == (403, "not_allowed", "role.may_not")
    assert ledger.head() == head


def test_another_sites_patient_dependence_and_generator_do_not_exist(
    tokens: dict[str, str], api_client: Clients, blockade: dict[str, Any], crossing: Any
) -> None:
    from corridor.accounts.tokens import issue_token
    from corridor.supplies import actions as supplies

    fuel = supplies.define_item(site=crossing.site, code="diesel", name="Diesel", category="diesel", unit="L", by=None)
    supplies.add_generator(site=crossing.site, code="GEN-X", fuel=fuel, litres_per_hour=8, by=None)
    camp = api_client(tokens["coordinator"])  # works at the camp only
    there = api_client(issue_token(crossing.users["coordinator"], by=None, label="test")[1])
    head = ledger.head()
    refusals = [
        _post(
            camp,
            "/api/supplies/dependences",
            {"patient": "X-0001", "item": "diesel", "need": "dialysis", "since": "2014-10-02"},
        ),
        _post(
            there,
            "/api/supplies/dependences",
            {"patient": "P-WAIT", "item": "insulin", "need": "dialysis", "since": "2014-10-02"},
        ),
        _post(there, f"/api/supplies/dependences/{blockade['dependence'].pk}/end", {"on": "2014-10-12", "reason": "r"}),
        _post(camp, "/api/supplies/dependences/2147483647/end", {"on": "2014-10-12", "reason": "r"}),
        _post(
            there, "/api/supplies/power", {"site": "CAMP-T", "generator": "GEN-1", "on": "2014-10-12", "hours_run": 4}
        ),
        _post(
            camp, "/api/supplies/power", {"site": "XING-T", "generator": "GEN-X", "on": "2014-10-12", "hours_run": 4}
        ),
        _post(
            camp, "/api/supplies/power", {"site": "CAMP-T", "generator": "GEN-X", "on": "2014-10-12", "hours_run": 4}
        ),
    ]
    assert [(status, answer["error"]["reason"]) for status, answer in refusals] == [
        (404, "patient.not_found"),
        (404, "patient.not_found"),
        (404, "dependence.not_found"),
        (404, "dependence.not_found"),  # the same answer as for a dependence that does not exist
        (404, "site.not_found"),
        (404, "site.not_found"),
        (404, "generator.not_found"),
    ]
    assert ledger.head() == head


def test_the_list_holds_the_open_dependences_of_the_callers_sites_only(
    tokens: dict[str, str], api_client: Clients, blockade: dict[str, Any], crossing: Any
) -> None:
    from corridor.supplies import actions as supplies

    oxygen = supplies.define_item(
        site=crossing.site, code="oxygen", name="Oxygen", category="oxygen", unit="L", by=None
    )
    supplies.record_dependence(patient=crossing.patient, item=oxygen, need="oxygen", since=dt.date(2014, 9, 1), by=None)
    ended = supplies.record_dependence(
        patient=blockade["dependence"].patient,
        item=blockade["diesel"],
        need="dialysis",
        since=dt.date(2014, 9, 1),
        by=None,
    )
    supplies.end_dependence(ended, on=dt.date(2014, 9, 20), reason="dialysed elsewhere", by=None)
    # Codes and needs are pseudonymous (corridor.sensitivity), shown to every role, as on the supplies page.
    for role in ("coordinator", "clinician", "monitor", "auditor", "admin"):
        listed = json.loads(api_client(tokens[role]).get("/api/supplies/dependences").content)
        assert listed["count"] == 1, role
        assert {k: listed["items"][0][k] for k in ("patient", "site", "item", "need")} == {
            "patient": "P-REQ",
            "site": "CAMP-T",
            "item": "insulin",
            "need": "refrigerated_medicine",
        }
    response = api_client(tokens["outsider"]).get("/api/supplies/dependences")
    assert response.status_code == 403
    # Naming another site is as naming none that exists.
    response = api_client(tokens["monitor"]).get("/api/supplies/dependences?site=XING-T")
    assert (response.status_code, json.loads(response.content)["error"]["reason"]) == (404, "site.not_found")


def test_the_list_withholds_a_need_from_the_roles_its_class_keeps_it_from(
    tokens: dict[str, str], api_client: Clients, blockade: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Should the table class the need and the quantity as clinical, the list follows it with no change.
    classes = dict(sensitivity.FIELDS["supplies.Dependence"])
    classes |= {"need": sensitivity.CLINICAL, "daily_quantity": sensitivity.CLINICAL}
    monkeypatch.setitem(sensitivity.FIELDS, "supplies.Dependence", classes)
    Dependence.objects.filter(pk=blockade["dependence"].pk).update(daily_quantity=3)

    def first(role: str) -> dict[str, Any]:
        item: dict[str, Any] = json.loads(api_client(tokens[role]).get("/api/supplies/dependences").content)["items"][0]
        return item

    assert (first("clinician")["need"], first("clinician")["daily_quantity"]) == ("refrigerated_medicine", 3)
    assert (first("monitor")["need"], first("monitor")["daily_quantity"]) == ("[withheld]", None)
    assert first("monitor")["patient"] == "P-REQ"


def test_every_role_that_manages_patients_manages_referrals_so_the_routes_guard_is_the_services() -> None:
    # The service lets either capability record a dependence; the route's guard names manage_referrals.
    for capabilities in ROLE_CAPABILITIES.values():
        assert Can.MANAGE_PATIENTS not in capabilities or Can.MANAGE_REFERRALS in capabilities


def test_a_dependence_without_the_day_it_began_is_refused_rather_than_dated_today(
    tokens: dict[str, str], api_client: Clients, blockade: dict[str, Any]
) -> None:
    head = ledger.head()
    body = {"patient": "P-WAIT", "item": "insulin", "need": "dialysis"}
    status, answer = _post(api_client(tokens["coordinator"]), "/api/supplies/dependences", body)
    assert status == 422, answer
    assert answer["error"]["field"] == "since", answer
    assert ledger.head() == head
