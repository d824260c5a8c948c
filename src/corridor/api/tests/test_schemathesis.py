"""Schemathesis against the OpenAPI document, every operation, in-process: no server error, no response
that breaks the schema. A bounded number of examples per operation keeps CI short."""

from __future__ import annotations

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
def test_every_operation_answers_within_its_schema(case: Any, every_role_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {every_role_token}", "Host": "127.0.0.1"}, checks=CHECKS)
