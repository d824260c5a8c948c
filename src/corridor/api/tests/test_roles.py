"""Who may call what: every endpoint against every role, a role-less account, a revoked token and no token.

The expectations below are written from docs/roles.md, not derived from the code: a role that may act
gets a success (each call runs in its own savepoint, rolled back, so every role acts on the same
state); any other role gets 403; a revoked token or none gets 401. Nothing refused writes anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from corridor.ledger import services as ledger

ROLES = ("coordinator", "clinician", "monitor", "auditor", "admin")
EVERYONE = frozenset(ROLES)
COORDINATOR = frozenset({"coordinator"})
GATE = frozenset({"coordinator", "monitor"})  # records gate timelines, cancellations, deaths, incidents
REFERRALS = frozenset({"coordinator", "clinician"})
IDENTITIES = frozenset({"coordinator", "clinician"})
REFERENCE = frozenset({"admin"})
RULES = frozenset({"coordinator", "admin"})
CORRECTIONS = frozenset({"coordinator", "monitor"})
EXPORTS = frozenset({"coordinator", "auditor"})
ADMIN = frozenset({"admin"})
AUDITOR = frozenset({"auditor"})
BREAK_GLASS = frozenset({"admin", "auditor"})
PASSPHRASE = "a long enough passphrase"

AT = "2014-10-13T09:00:00+03:00"

# (method, path template, body, roles that may call it). {requested}, {approved}, {at_gate}, {arrived}
# and {waiting} are filled in with the fixture's trips and referral.
MATRIX: list[tuple[str, str, dict[str, Any] | None, frozenset[str]]] = [
    ("get", "/api/sites", None, EVERYONE),
    ("get", "/api/sites/CAMP-T", None, EVERYONE),
    ("post", "/api/sites", {"code": "CAMP-2", "name": "Second", "country": "XX"}, REFERENCE),
    ("get", "/api/facilities", None, EVERYONE),
    ("get", "/api/facilities/H-1", None, EVERYONE),
    ("post", "/api/facilities", {"code": "H-9", "name": "New", "specialties": ["imaging"]}, REFERENCE),
    ("patch", "/api/facilities/H-1", {"travel_minutes": 95}, REFERENCE),
    ("get", "/api/sites/CAMP-T/rules", None, EVERYONE),
    ("get", "/api/sites/CAMP-T/rules/in-force?on=2014-10-13", None, EVERYONE),
    (
        "post",
        "/api/sites/CAMP-T/rules",
        {"effective_from": "2014-11-01", "max_patients_per_day": 2, "source": "official_statement"},
        RULES,
    ),
    ("get", "/api/patients", None, EVERYONE),
    ("get", "/api/patients/P-REQ", None, EVERYONE),
    ("get", "/api/patients/P-REQ?with_identity=true&purpose=escort", None, IDENTITIES),
    ("get", "/api/patients/P-REQ/identity?purpose=escort", None, IDENTITIES),
    ("put", "/api/patients/P-REQ/identity", {"full_name": "Test Person Renamed"}, COORDINATOR),
    ("post", "/api/patients", {"site": "CAMP-T", "code": "P-NEW", "registered_on": "2014-10-01"}, COORDINATOR),
    ("patch", "/api/patients/P-REQ", {"birth_year": 1971}, COORDINATOR),
    ("post", "/api/patients/P-WAIT/death", {"on": "2014-10-12", "source": "witness"}, GATE),
    ("get", "/api/referrals", None, EVERYONE),
    ("get", "/api/referrals/{waiting}", None, EVERYONE),
    (
        "post",
        "/api/referrals",
        {"patient": "P-WAIT", "specialty": "cardiology", "priority": "P3", "referral_date": "2014-10-01"},
        REFERRALS,
    ),
    ("post", "/api/referrals/{waiting}/close", {"reason": "withdrawn", "on": "2014-10-12"}, REFERRALS),
    ("get", "/api/trips", None, EVERYONE),
    ("get", "/api/trips/{arrived}", None, EVERYONE),
    ("get", "/api/trips/{arrived}/timeline", None, EVERYONE),
    (
        "post",
        "/api/trips",
        {"site": "CAMP-T", "date": "2014-10-13", "facility": "H-1", "referrals": ["{waiting}"]},
        COORDINATOR,
    ),
    ("post", "/api/trips/{requested}/approve", {}, COORDINATOR),
    ("post", "/api/trips/{requested}/deny", {"reason": "no reason given"}, COORDINATOR),
    ("post", "/api/trips/{requested}/cancel", {"cancelled_by": "authority"}, GATE),
    ("post", "/api/trips/{requested}/manifest", {"add": ["{waiting}"], "reason": "urgent case"}, COORDINATOR),
    ("post", "/api/trips/{approved}/departed", {"at": AT}, GATE),
    ("post", "/api/trips/{approved}/gate-arrived", {"at": AT}, GATE),
    ("post", "/api/trips/{at_gate}/gate-held", {"since": AT}, GATE),
    ("post", "/api/trips/{at_gate}/gate-released", {"at": AT}, GATE),
    ("post", "/api/trips/{at_gate}/turned-back", {"at": AT, "reason": "closed"}, GATE),
    ("post", "/api/trips/{at_gate}/hospital-arrived", {"at": AT}, GATE),
    ("post", "/api/trips/{arrived}/outcomes", {"patient": "P-ARR", "outcome": "seen"}, GATE),
    ("post", "/api/trips/{arrived}/missed-appointments", {"patient": "P-ARR", "reason": "held at the gate"}, GATE),
    ("post", "/api/trips/{arrived}/returned", {"at": "2014-10-14T16:00:00+03:00"}, GATE),
    ("get", "/api/companions", None, EVERYONE),
    (
        "post",
        "/api/companions",
        {"site": "CAMP-T", "code": "C-NEW", "kind": "escort", "registered_on": "2014-10-01"},
        COORDINATOR,
    ),
    ("get", "/api/companions/C-INT/identity?purpose=escort", None, IDENTITIES),
    ("get", "/api/trips/{requested}/companions", None, EVERYONE),
    ("post", "/api/trips/{requested}/companions", {"companion": "C-NURSE", "for_patient": "P-REQ"}, COORDINATOR),
    ("post", "/api/trips/{requested}/companions/C-INT/answer", {"answer": "rejected"}, COORDINATOR),
    ("post", "/api/sites/CAMP-T/plans", {"date": "2014-10-13", "horizon_days": 7}, COORDINATOR),
    ("get", "/api/sites/CAMP-T/plans/latest?on=2014-10-15", None, EVERYONE),
    ("get", "/api/plans/{plan}", None, EVERYONE),
    ("post", "/api/plans/{plan}/accept", {}, COORDINATOR),
    ("get", "/api/ledger", None, EVERYONE),
    ("get", "/api/ledger/1", None, EVERYONE),
    ("get", "/api/ledger/verify", None, EVERYONE),
    ("post", "/api/ledger/1/corrections", {"reason": "typo", "changes": {"name": "Fixed"}}, CORRECTIONS),
    ("get", "/api/audit/identity-views", None, EVERYONE),
    (
        "post",
        "/api/incidents",
        {
            "site": "CAMP-T",
            "kind": "obstruction",
            "resource": "ambulance",
            "description": "held 4 h",
            "on": "2014-10-12",
        },
        GATE,
    ),
    ("get", "/api/dashboard", None, EVERYONE),
    ("get", "/api/indicators/catalogue", None, EVERYONE),
    ("get", "/api/indicators?month=2014-10", None, EVERYONE),
    ("get", "/api/indicators?month=2014-10&audience=partners", None, EXPORTS),
    ("post", "/api/exports", {"dataset": "trips", "format": "csv", "month": "2014-10"}, EXPORTS),
    ("get", "/api/supplies?site=CAMP-T", None, EVERYONE),
    (
        "post",
        "/api/supplies/blocked",
        {"site": "CAMP-T", "item": "diesel", "on": "2014-10-12", "source": "witness"},
        GATE,
    ),
    ("get", "/api/supplies/dependences", None, EVERYONE),
    (
        "post",
        "/api/supplies/dependences",
        {"patient": "P-WAIT", "item": "insulin", "need": "refrigerated_medicine", "since": "2014-10-01"},
        REFERRALS,
    ),
    (
        "post",
        "/api/supplies/dependences/{dependence}/end",
        {"on": "2014-10-12", "reason": "another insulin"},
        REFERRALS,
    ),
    (
        "post",
        "/api/supplies/power",
        {"site": "CAMP-T", "generator": "GEN-1", "on": "2014-10-12", "fuel_used": 40},
        COORDINATOR,
    ),
    ("get", "/api/me", None, EVERYONE | {"outsider"}),
    ("get", "/api/users", None, ADMIN),
    ("post", "/api/users", {"username": "new-one", "roles": ["monitor"], "password": PASSPHRASE}, ADMIN),
    ("put", "/api/users/clinician/roles", {"roles": ["clinician", "monitor"]}, ADMIN),
    ("put", "/api/users/clinician/sites", {"sites": []}, ADMIN),
    ("post", "/api/users/clinician/password-reset", {"password": PASSPHRASE}, ADMIN),
    ("post", "/api/users/clinician/deactivate", {"reason": "left"}, ADMIN),
    ("post", "/api/users/clinician/tokens", {"label": "another system"}, ADMIN),
    ("post", "/api/tokens/{token}/revoke", {}, ADMIN),
    ("post", "/api/patients/P-REQ/break-glass", {"reason": "the hospital cannot find the patient"}, BREAK_GLASS),
    ("get", "/api/audit/break-glass", None, AUDITOR),
    ("get", "/api/audit/sign-ins", None, AUDITOR),
    ("get", "/api/erasures", None, ADMIN),
    ("post", "/api/erasures/P-REQ", {"action": "request", "reason": "the family asked"}, ADMIN),
    ("post", "/api/patients/search-by-name", {"query": "Test", "purpose": "escort"}, IDENTITIES),
    # Jobs are queued (202) and run later by a worker, as the job's owner, at the owner's sites.
    ("post", "/api/jobs/verify", {"params": {}}, EVERYONE),
    ("post", "/api/jobs/supply-alerts", {"params": {}}, EVERYONE),
    ("post", "/api/jobs/verify-attachments", {"params": {}}, EVERYONE),
    ("post", "/api/jobs/retention-due", {"params": {}}, ADMIN),
    ("post", "/api/jobs/report", {"params": {"month": "2014-10"}}, EVERYONE),
    ("post", "/api/jobs/simulation", {"params": {}}, EVERYONE),
    ("post", "/api/jobs/export", {"params": {"dataset": "trips", "month": "2014-10"}}, EXPORTS),
    ("post", "/api/jobs/checkpoint", {"params": {}}, ADMIN),
    ("post", "/api/jobs/plan", {"params": {}}, COORDINATOR),
    ("post", "/api/jobs/intake-pull", {"params": {}}, GATE),
]

# Routes the API mounts that are not yet rows of the matrix, each with why and where their scoping is
# tested. A route in neither fails test_every_route_the_api_mounts_is_a_row_of_the_matrix.
OUTSIDE_THE_MATRIX = {
    ("get", "/api/jobs/{job_id}"): "a job of one's own: jobs/tests, test_jobs_api",
    ("get", "/api/jobs/{job_id}/result"): "a job of one's own: jobs/tests, test_jobs_api",
    ("get", "/api/ledger/{seq}/text"): "web/tests/test_sensitivity.py: another site's auditor cannot read it",
    ("get", "/api/ledger/{seq}/attachments"): "api/tests/test_attachments.py: another site's account finds neither",
    ("post", "/api/ledger/{seq}/attachments"): "api/tests/test_attachments.py: another site's account finds neither",
    ("get", "/api/attachments/{seq}/image"): "api/tests/test_attachments.py: another site's account finds neither",
    ("get", "/api/attachments/{seq}/original"): "api/tests/test_attachments.py: another site's account finds neither",
    (
        "post",
        "/api/audit/break-glass/{grant_id}/acknowledge",
    ): "accounts/tests/test_break_glass.py: another site's auditor cannot",
    ("post", "/api/users/{username}/reactivate"): "needs a deactivated account: accounts/tests",
}


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, str):
        for name, number in ids.items():
            if value == "{" + name + "}":
                return number
            value = value.replace("{" + name + "}", str(number))
        return value
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _call(client: Client, method: str, path: str, body: dict[str, Any] | None) -> Any:
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, content_type="application/json")


@pytest.fixture
def plan_seq(camp: Any, trips: dict[str, Any]) -> int:
    import datetime as dt

    from corridor.transfers.plans import propose_plan

    return propose_plan(site=camp, day=dt.date(2014, 10, 15), by=None, horizon_days=7).seq


@dataclass(frozen=True)
class Endpoint:
    """A row of the matrix, its path and body filled in with the records of the scene."""

    method: str
    template: str
    body: dict[str, Any] | None
    allowed: frozenset[str]
    path: str
    payload: Any


@pytest.fixture(params=MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def endpoint(request: pytest.FixtureRequest, trips: dict[str, Any]) -> Endpoint:
    from corridor.accounts.tokens import issue_token

    method, template, body, allowed = request.param
    ids = {name: t.pk for name, t in trips.items() if hasattr(t, "pk")}
    # A live token to revoke, by its own id (PostgreSQL does not restart ids between tests).
    ids["token"] = issue_token(_user("clinician"), by=None, label="to revoke")[0].pk
    if "plan" in template:  # the planner runs only for the tests that need a plan
        ids["plan"] = request.getfixturevalue("plan_seq")
    if template.startswith(("/api/supplies/dependences", "/api/supplies/power")):  # items, a generator, a dependence
        ids["dependence"] = request.getfixturevalue("blockade")["dependence"].pk
    return Endpoint(method, template, body, allowed, _fill(template, ids), _fill(body, ids))


def test_each_role_may_call_exactly_what_its_role_allows(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], endpoint: Endpoint
) -> None:
    from corridor.accounts.tokens import issue_token, revoke_token

    revoked, revoked_secret = issue_token(_user("coordinator"), by=None, label="old")
    revoke_token(revoked.pk, by=None)
    method, path, payload, allowed = endpoint.method, endpoint.path, endpoint.payload, endpoint.allowed
    callers = {**tokens, "revoked": revoked_secret, "nobody": None}
    outcomes = {}
    for caller, secret in callers.items():
        with transaction.atomic():
            head = ledger.head()
            response = _call(api_client(secret), method, path, payload)
            refused = response.status_code in (401, 403)
            if refused:
                assert ledger.head() == head, f"{caller} was refused but something was written"
            transaction.set_rollback(True)
        outcomes[caller] = response.status_code
        if caller in allowed:
            assert response.status_code in (200, 201, 202), (caller, response.status_code, response.content)
    expected = {
        caller: ("ok" if caller in allowed else 401 if caller in ("revoked", "nobody") else 403) for caller in callers
    }
    assert {c: ("ok" if s in (200, 201, 202) else s) for c, s in outcomes.items()} == expected


def _shape(path: str) -> str:
    """A path with each parameter, named or filled in, as ``{}``."""
    return re.sub(r"{[^}]*}|(?<=/)(?:\d+|P-[A-Z]+|C-[A-Z]+|CAMP-T|H-1|clinician)(?=/|$)", "{}", path.split("?")[0])


def test_every_route_the_api_mounts_is_a_row_of_the_matrix() -> None:
    # Both matrices above read MATRIX: a new endpoint without a row would escape the role and the site
    # tests, so it fails here until it has one (or, with a reason, a line in OUTSIDE_THE_MATRIX).
    from corridor.api.main import api

    mounted = {
        (method.lower(), "/api" + prefix + path)
        for prefix, router in api._routers
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }
    rows = {(method, _shape(template)) for method, template, _, _ in MATRIX}
    missing = {
        (method, path)
        for method, path in mounted
        if (method, _shape(path)) not in rows and (method, path) not in OUTSIDE_THE_MATRIX
    }
    assert missing == set()
    assert set(OUTSIDE_THE_MATRIX) <= mounted  # no stale exceptions


def _user(name: str) -> Any:
    from django.contrib.auth.models import User

    return User.objects.get(username=name)


# Reference data every site reads alike (docs/roles.md, "Sites"): the camp's own row in the site list.
SITE_REFERENCE = frozenset({"/api/sites/CAMP-T"})
CAMP_MARKS = ("P-REQ", "P-APP", "P-GATE", "P-ARR", "P-WAIT", "C-INT", "C-NURSE")
CAMP_RECORDS = (
    "{requested}",
    "{approved}",
    "{at_gate}",
    "{arrived}",
    "{waiting}",
    "{plan}",
    "{dependence}",
    "CAMP-T",
    *CAMP_MARKS,
)


def _names_a_camp_record(template: str, body: dict[str, Any] | None) -> bool:
    if template in SITE_REFERENCE or template.split("?")[0] in SITE_REFERENCE:
        return False
    text = template + repr(body or {})
    return any(mark in text for mark in CAMP_RECORDS)


def test_no_endpoint_shows_or_changes_the_records_of_a_site_the_caller_does_not_work_at(
    tokens: dict[str, str],
    trips: dict[str, Any],
    crossing: Any,
    api_client: Callable[[str | None], Client],
    endpoint: Endpoint,
) -> None:
    # Endpoint × role × (own site, other site), with records at both. The crossing's callers name the
    # camp's records and must find nothing (404 where a record is named, never its contents); the camp's
    # callers must see nothing of the crossing. Nobody's call writes an entry about the other site.
    from corridor.accounts.tokens import issue_token
    from corridor.ledger.models import EntrySite

    method, path, payload, allowed = endpoint.method, endpoint.path, endpoint.payload, endpoint.allowed
    template, body = endpoint.template, endpoint.body
    names_a_record = _names_a_camp_record(template, body) and "/api/users" not in template
    wrong = {}
    for role in ROLES:
        crossing_token = issue_token(crossing.users[role], by=None, label="test")[1]
        for caller, secret, other, marks in (
            (f"{role} of the camp", tokens[role], crossing.site, crossing.codes),
            (f"{role} of the crossing", crossing_token, trips["requested"].site, CAMP_MARKS),
        ):
            with transaction.atomic():
                before = EntrySite.objects.filter(site_id=other.pk).count()
                response = _call(api_client(secret), method, path, payload)
                body_bytes = b"".join(response.streaming_content) if response.streaming else response.content
                wrote = EntrySite.objects.filter(site_id=other.pk).count() != before
                transaction.set_rollback(True)
            # A code the caller sent may come back in the refusal ("no patient with code …"): not a leak.
            asked = path + json.dumps(payload)
            seen = [mark for mark in marks if mark.encode() in body_bytes and mark not in asked]
            if seen:
                wrong[caller] = f"shows {seen}"
            if wrote:
                wrong[caller] = "wrote about the other site"
            if other != crossing.site and names_a_record and role in allowed and response.status_code != 404:
                wrong[caller] = f"answered {response.status_code}, not 404"
    assert wrong == {}
