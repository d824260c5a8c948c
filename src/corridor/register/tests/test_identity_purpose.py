"""An identity is read only with a purpose: the service refuses an empty one, and so the pages and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from corridor.errors import InvalidInput
from corridor.ledger.models import Entry
from corridor.register import services as register


@pytest.fixture
def patient(make_referral: Any) -> Any:
    return make_referral("P-0001").patient


@pytest.mark.parametrize("purpose", ["", "   ", None])
def test_an_identity_cannot_be_read_with_an_empty_purpose(users: dict[str, Any], patient: Any, purpose: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        register.view_identity(patient, by=users["coordinator"], purpose=purpose)
    assert refused.value.field == "purpose"
    assert not Entry.objects.filter(type="identity.viewed").exists()


def test_the_identity_page_refuses_an_empty_purpose_and_shows_nothing(users: dict[str, Any], patient: Any) -> None:
    client = Client()
    client.force_login(users["clinician"])
    response = client.post("/patients/P-0001/identity/", {"purpose": " "})
    assert response.status_code == 200 and "Test Person P-0001" not in response.content.decode()
    assert not Entry.objects.filter(type="identity.viewed").exists()


@pytest.mark.parametrize("path", ["/api/patients/P-0001/identity", "/api/patients/P-0001?with_identity=true"])
def test_the_api_refuses_an_identity_reading_without_a_purpose(users: dict[str, Any], patient: Any, path: str) -> None:
    from corridor.accounts.tokens import issue_token

    _, secret = issue_token(users["coordinator"], by=None, label="test")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(path)
    assert response.status_code == 422 and "purpose" in response.content.decode()
    assert "Test Person" not in response.content.decode()
    assert not Entry.objects.filter(type="identity.viewed").exists()
