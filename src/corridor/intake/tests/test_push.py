"""KoBoToolbox's REST Services pushing one submission: recorded or kept as refused before any 2xx."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from corridor.intake.models import ImportedSubmission, Refusal
from corridor.intake.parse import Problem
from corridor.intake.sources import Source
from corridor.intake.tests.conftest import PUSH_SECRET
from corridor.intake.tests.recorded import RECORDED
from corridor.ledger import services as ledger
from corridor.register.models import Referral

pytestmark = pytest.mark.django_db
URL = "/intake/push/deaths-push/"
BODY = (RECORDED / "kobo/push-death.json").read_bytes()


def _push(body: bytes = BODY, secret: str | None = PUSH_SECRET, url: str = URL) -> Any:
    headers = {"X-Corridor-Secret": secret} if secret is not None else {}
    return Client().post(url, data=body, content_type="application/json", headers=headers)


def test_a_pushed_submission_is_recorded_before_the_answer_and_a_second_push_is_a_duplicate(
    intake_sources: dict[str, Source], make_referral: Callable[..., Referral]
) -> None:
    make_referral("P-305")
    head = ledger.head()[0]

    first = _push()

    assert first.status_code == 201
    assert first.json()["status"] == "imported"
    assert first.json()["id"] == "1e0a7f52-2c41-4d8e-9a1b-000000000305"
    assert first.json()["ledger"] == [head + 1, head + 2]
    assert ImportedSubmission.objects.get().file_format == "push"

    # KoBoToolbox retries when it missed the answer: the same submission again writes nothing.
    again = _push()
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert ledger.head()[0] == head + 2


@pytest.mark.parametrize("secret", [None, "", "synthetic-push-secret-0123456780"])
def test_a_push_without_its_secret_is_401_and_writes_nothing(
    intake_sources: dict[str, Source], make_referral: Callable[..., Referral], secret: str | None
) -> None:
    make_referral("P-305")
    head = ledger.head()[0]

    response = _push(secret=secret)

    assert response.status_code == 401
    assert ledger.head()[0] == head and not Refusal.objects.exists()


@pytest.mark.parametrize("url", ["/intake/push/nowhere/", "/intake/push/gate-kobo/"])
def test_a_push_to_an_unknown_source_or_one_that_does_not_push_is_404(
    intake_sources: dict[str, Source], url: str
) -> None:
    response = _push(url=url)
    assert response.status_code == 404
    assert "gate-kobo" not in response.content.decode()  # no configured name is given away


def test_the_push_endpoint_takes_only_post(intake_sources: dict[str, Source]) -> None:
    assert Client().get(URL, HTTP_X_CORRIDOR_SECRET=PUSH_SECRET).status_code == 405


def test_a_refused_push_is_kept_for_coordinators_and_recorded_once_corrected(
    intake_sources: dict[str, Source], make_referral: Callable[..., Referral], users: dict[str, Any]
) -> None:
    head = ledger.head()[0]

    refused = _push()  # P-305 is not in the register yet

    assert refused.status_code == 200
    assert refused.json()["status"] == "refused"
    [problem] = refused.json()["problems"]
    assert problem["code"] == "intake.no_patient" and problem["field"] == "patient_code"
    assert problem["message"].startswith("no patient with code 'P-305'")
    assert ledger.head()[0] == head
    refusal = Refusal.objects.get()
    assert (refusal.source, refusal.way, refusal.form) == ("deaths-push", "push", "death")
    assert refusal.instance_id == "1e0a7f52-2c41-4d8e-9a1b-000000000305"
    assert refusal.received() is not None and refusal.received()["patient_code"] == "P-305"
    coordinator = Client()
    coordinator.force_login(users["coordinator"])
    page = coordinator.get("/intake/").content.decode()
    assert "Refused submissions" in page and "no patient with code" in page and "deaths-push" in page

    make_referral("P-305")  # a coordinator registers the patient; KoBoToolbox (or a monitor) sends it again
    recorded = _push()

    assert recorded.status_code == 201
    refusal.refresh_from_db()
    assert refusal.settled_at is not None
    assert "Refused submissions" not in coordinator.get("/intake/").content.decode()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<data><patient_code>P-305</patient_code></data>", "the body is not JSON"),
        (b"[1, 2]", "not one submission"),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "more than 64 levels deep"),
        (json.dumps({"_id": 1, "name": "a survey of something else"}).encode(), "corridor_form"),
    ],
)
def test_a_push_that_is_not_a_submission_of_a_corridor_form_is_kept_not_lost(
    intake_sources: dict[str, Source], body: bytes, problem: str
) -> None:
    response = _push(body)

    assert response.status_code == 200
    assert response.json()["status"] == "refused"
    refusal = Refusal.objects.get()
    assert problem in str(Problem.from_json(refusal.problems[0]))
    assert refusal.received()
