"""A service's refusal reaches an API client with its code and values, worded in the caller's language."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

Clients = Callable[[str | None], Client]


def _refused(client: Client, url: str, body: dict[str, Any], language: str) -> dict[str, Any]:
    response = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 409, response.content
    return json.loads(response.content)["error"]


def test_a_step_out_of_order_is_refused_with_its_code_and_in_the_callers_language(
    tokens: dict[str, str], api_client: Clients, trips: dict[str, Any]
) -> None:
    trip = trips["requested"]
    url = f"/api/trips/{trip.pk}/gate-released"
    body = {"at": "2014-10-13T08:00:00+03:00"}
    english = _refused(api_client(tokens["monitor"]), url, body, "en")
    arabic = _refused(api_client(tokens["monitor"]), url, body, "ar")
    assert english["code"] == arabic["code"] == "conflict"
    assert english["reason"] == arabic["reason"] == "trip.wrong_state"
    assert english["values"]["trip"] == trip.code and english["values"]["event"] == "gate.released"
    assert english["message"] == f"trip {trip.code} is requested; cannot record released at the gate"
    assert arabic["message"].startswith(f"الرحلة {trip.code} «") and "لا يمكن تسجيل" in arabic["message"]
    assert not any(word in arabic["message"] for word in ("requested", "gate.released", "cannot"))


def test_a_trip_not_found_is_refused_with_its_code_and_its_number_in_local_digits_ungrouped(
    tokens: dict[str, str], api_client: Clients
) -> None:
    client = api_client(tokens["coordinator"])
    english = client.get("/api/trips/123456", HTTP_ACCEPT_LANGUAGE="en")
    persian = client.get("/api/trips/123456", HTTP_ACCEPT_LANGUAGE="fa")
    assert english.status_code == persian.status_code == 404
    english_error, persian_error = json.loads(english.content)["error"], json.loads(persian.content)["error"]
    assert english_error["reason"] == persian_error["reason"] == "trip.not_found"
    assert english_error["values"] == {"trip": 123456}
    assert english_error["message"] == "no trip 123456"
    assert persian_error["message"] == "اعزام ۱۲۳۴۵۶ نیست"


def test_a_role_without_the_capability_is_refused_with_the_capability_named_in_arabic(
    tokens: dict[str, str], api_client: Clients
) -> None:
    client = api_client(tokens["monitor"])
    response = client.post("/api/plans/1/accept", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 403, response.content
    error = json.loads(response.content)["error"]
    assert error["reason"] == "role.may_not" and error["values"] == {"capability": "manage_trips"}
    assert error["message"] == "لا يسمح دورك بإدارة الرحلات"
    english = client.post("/api/plans/1/accept", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert json.loads(english.content)["error"]["message"] == "your role may not manage trips"


def test_a_job_not_found_is_refused_with_its_code_in_persian(tokens: dict[str, str], api_client: Clients) -> None:
    response = api_client(tokens["coordinator"]).get("/api/jobs/4321", HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 404
    error = json.loads(response.content)["error"]
    assert error["reason"] == "job.not_found" and error["values"] == {"job": 4321}
    assert error["message"] == "کار ۴۳۲۱ از آنِ شما نیست"


def test_a_correction_through_the_api_of_an_entry_that_does_not_exist_is_refused_in_the_callers_language(
    tokens: dict[str, str], api_client: Clients
) -> None:
    client = api_client(tokens["monitor"])
    body: dict[str, Any] = {"reason": "the date was misread", "changes": {"day": 3}}
    url = "/api/ledger/123456/corrections"
    english = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    persian = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="fa")
    assert english.status_code == persian.status_code == 404, english.content
    english_error, persian_error = json.loads(english.content)["error"], json.loads(persian.content)["error"]
    # The API refuses before the service is reached: the entry is not among those the caller may see.
    assert english_error["reason"] == persian_error["reason"] == "entry.not_found"
    assert english_error["values"] == persian_error["values"] == {"seq": 123456}
    assert english_error["message"] == "there is no ledger entry 123456"
    assert persian_error["message"] == "مورد ۱۲۳۴۵۶ در دفتر ثبت نیست"


def test_what_the_schema_refuses_is_said_in_the_callers_language_with_pydantics_english_kept_in_the_details(
    tokens: dict[str, str], api_client: Clients
) -> None:
    client = api_client(tokens["coordinator"])
    url = "/api/sites/CAMP-T/plans"
    said: dict[tuple[str, str], str] = {}
    for language in ("en", "fa", "ar"):
        for name, body in (("extra", {"time_limit": 1}), ("at_most", {"budget": {"windows": 99}})):
            response = client.post(
                url, {"date": "2014-10-13", **body}, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
            )
            assert response.status_code == 422, response.content
            error = json.loads(response.content)["error"]
            said[language, name] = error["message"]
            # A client that words it itself still has pydantic's type and English.
            assert error["details"][0]["type"] in ("extra_forbidden", "less_than_equal")
            assert error["details"][0]["msg"].isascii()
    assert said["en", "extra"] == "time_limit: is not a field this request takes"
    assert said["en", "at_most"] == "budget.windows: must be at most 34"
    assert said["fa", "at_most"] == "budget.windows: باید حداکثر ۳۴ باشد"
    assert said["ar", "at_most"] == "budget.windows: يجب ألا يزيد على ٣٤"
    assert said["fa", "extra"].startswith("time_limit: ") and not said["fa", "extra"].isascii()
    assert said["ar", "extra"].startswith("time_limit: ") and not said["ar", "extra"].isascii()


def test_every_schema_finding_worded_by_the_api_has_persian_and_arabic_words() -> None:
    from django.utils import translation

    from corridor.api.core import _SCHEMA_WORDS

    for language in ("fa", "ar"):
        with translation.override(language):
            untranslated = sorted({t for t in _SCHEMA_WORDS.values() if translation.gettext(t) == t})
        assert not untranslated, (language, untranslated)
