"""Every API write checks the caller's role before it reads the body: an unauthorised role learns nothing
from a malformed, deep or oversized body (403), and every refusal is the API's JSON error object."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from corridor.accounts.roles import ROLE_CAPABILITIES, Can, Role
from corridor.api.core import Requires
from corridor.api.main import api

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def write_routes() -> Iterator[tuple[str, str, Any]]:
    """(method, path, operation) for every write operation the API mounts, found by walking its routers."""
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in set(operation.methods) & WRITE_METHODS:
                    yield method, "/api" + prefix + path, operation


def _concrete(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: "1" if m.group(1) in ("trip_id", "seq", "referral_id") else "X", path)


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    error: dict[str, Any] = json.loads(response.content)["error"]
    assert error["status"] == status
    assert set(error) == {"status", "code", "message", "field", "details", "reason", "values"}
    return error


def test_every_write_route_declares_the_capability_it_needs() -> None:
    routes = list(write_routes())
    assert len(routes) >= 30
    for method, path, operation in routes:
        guards = [c for c in operation.auth_callbacks if isinstance(c, Requires)]
        assert guards and len(guards) == len(operation.auth_callbacks), f"{method} {path} has no requires(Can.…)"


@pytest.mark.django_db
def test_an_unauthorised_role_with_a_malformed_body_gets_403_on_every_write_route(
    tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    checked = 0
    for method, path, operation in write_routes():
        capability: Can = next(c for c in operation.auth_callbacks if isinstance(c, Requires)).capability
        refused = [role.value for role in Role if capability not in ROLE_CAPABILITIES[role]] + ["outsider"]
        for name in refused:
            client = api_client(tokens[name])
            send = getattr(client, method.lower())
            for body in ('{"broken": [1, 2', '{"unexpected": true}', "[" * 5000 + "]" * 5000):
                response = send(_concrete(path), data=body, content_type="application/json")
                assert _error(response, 403)["code"] == "not_allowed", (method, path, name, body[:20])
                checked += 1
    assert checked > 100


@pytest.mark.django_db
def test_a_body_over_the_limit_is_413_with_the_error_object(
    tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    big = json.dumps({"type": "x", "note": "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = api_client(tokens["coordinator"]).post("/api/incidents", data=big, content_type="application/json")
    error = _error(response, 413)
    assert error["code"] == "too_large" and str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in error["message"]
    # The role is checked first: one that may not record incidents is told so, whatever it sent.
    response = api_client(tokens["clinician"]).post("/api/incidents", data=big, content_type="application/json")
    _error(response, 403)


@pytest.mark.django_db
def test_a_deeply_nested_or_undecodable_body_is_a_clear_400(
    tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    client = api_client(tokens["coordinator"])
    deep = '{"note": ' + "[" * 100_000 + "]" * 100_000 + "}"
    error = _error(client.post("/api/incidents", data=deep, content_type="application/json"), 400)
    assert "more than 64 levels deep" in error["message"]
    binary = b"\xff\xfe\x00{" * 10
    error = _error(client.post("/api/incidents", data=binary, content_type="application/json"), 400)
    assert "not valid JSON" in error["message"]
