"""Schemathesis against the OpenAPI document, every operation, in-process: no server error, no response
that breaks the schema. A bounded number of examples per operation keeps CI short."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from corridor.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, headers={"Host": "127.0.0.1"})

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def keep_the_test_transaction() -> Iterator[None]:
    """The WSGI app closes database connections after each request; in a test that would drop the test's
    transaction (Django's own test client does the same as this)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def every_role_token(users: dict[str, Any], camp: Any, trips: dict[str, Any]) -> str:
    """A token whose user holds every role, so that no operation is refused before it runs."""
    from django.contrib.auth.models import Group, User

    from corridor.accounts.tokens import issue_token

    user = User.objects.create_user(username="everything", password="x")
    user.groups.set(Group.objects.all())
    return issue_token(user, by=None, label="schemathesis")[1]


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_within_its_schema(
    case: Any, every_role_token: str, keep_the_test_transaction: None
) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {every_role_token}", "Host": "127.0.0.1"}, checks=CHECKS)
