"""A correction changes what an entry says, never whom or what it is about, nor its evidence beyond the catalogue."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register.models import Patient
from corridor.reports.obstruction import Record, effective
from corridor.transfers.deaths import record_death

pytestmark = pytest.mark.django_db


def _correct(client: Client, seq: int, changes: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body = {"reason": "typed wrong", "changes": changes, "source": "document", "certainty": "confirmed"}
    answer = client.post(f"/api/ledger/{seq}/corrections", body, content_type="application/json")
    return answer.status_code, json.loads(answer.content)


def test_a_death_is_not_moved_to_another_patient_by_a_correction_and_nothing_is_written(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], make_referral: Callable[..., Any]
) -> None:
    make_referral("P-2")
    make_referral("P-3")
    death = record_death(
        Patient.objects.get(code="P-2"), on=dt.date(2014, 10, 1), by=None, source="witness", certainty="confirmed"
    ).entry
    client = api_client(tokens["coordinator"])
    head = ledger.head()
    status, answer = _correct(client, death.seq, {"patient": "P-3"})
    assert status == 422
    assert (answer["error"]["reason"], answer["error"]["field"]) == ("ledger.subject_fixed", "changes.patient")
    assert ledger.head() == head
    # Naming the same patient again changes nothing about whom it is about: the date is corrected.
    status, answer = _correct(client, death.seq, {"patient": "P-2", "date": "2014-09-30"})
    assert status == 201 and answer["type"] == "entry.corrected"
    assert Patient.objects.get(code="P-3").status != Patient.Status.DECEASED


def test_a_count_is_not_moved_to_another_supply_item(
    tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    counted = ledger.append(
        "supply.counted",
        by="coordinator-1",
        subjects=["site:CAMP-1", "supply:diesel"],
        payload={"item": "diesel", "site": "CAMP-1", "quantity": 400, "date": "2014-10-01"},
        occurred_on=dt.date(2014, 10, 1),
    )
    client = api_client(tokens["coordinator"])
    for key, value in (("item", "insulin"), ("site", "XING-1")):
        status, answer = _correct(client, counted.seq, {key: value, "quantity": 300})
        assert status == 422 and answer["error"]["field"] == f"changes.{key}"
    assert not Entry.objects.filter(type="entry.corrected").exists()
    status, _answer = _correct(client, counted.seq, {"quantity": 300})
    assert status == 201


@pytest.mark.parametrize(("key", "value"), [("certainty", "certain"), ("source", "rumour"), ("certainty", None)])
def test_a_correction_gives_an_entry_no_source_or_certainty_outside_the_catalogue(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], key: str, value: Any
) -> None:
    said = ledger.append("rules.changed", by="coordinator-1", subjects=["site:CAMP-1"], payload={"notes": "4 a day"})
    client = api_client(tokens["coordinator"])
    status, answer = _correct(client, said.seq, {key: value})
    assert status == 422
    assert (answer["error"]["reason"], answer["error"]["field"]) == (f"ledger.unknown_{key}", f"changes.{key}")
    status, _answer = _correct(client, said.seq, {key: "probable" if key == "certainty" else "official_statement"})
    assert status == 201
    (standing,) = effective(Record.of(e.fields) for e in Entry.objects.filter(seq__gte=said.seq))
    assert getattr(standing, key) == ("probable" if key == "certainty" else "official_statement")
