"""Every address the project serves is under a role and site matrix, or named here with the test that
holds it to the user's sites: a new page or endpoint fails until someone has said which (docs/roles.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# The namespaces walked by a matrix of their own, which fails on a route without a row.
MATRICES = {
    "web": "corridor/web/tests/test_permissions.py (every route × role × own site, other site)",
    "supplies": "corridor/supplies/tests/test_pages.py (every route × role of another site)",
    "api": "corridor/api/tests/test_roles.py (every route the API mounts × role × own site, other site)",
    "admin": "read-only: corridor/accounts/tests/test_account_acts.py (every model writes through a service)",
}

# Routes outside those matrices, each with why it keeps to the user's sites and the test that shows it.
ELSEWHERE = {
    "login": "signing in, before any site: corridor/web/tests/test_throttle.py",
    "logout": "signing out: corridor/accounts/tests/test_account_acts.py",
    None: "/admin/password_change/, a redirect to the account's own password page",
    "reports:index": "reports/tests/test_sites.py: the reports page offers a choice of site only to a user of several",
    "reports:monthly": "reports/tests/test_sites.py: a crossing coordinator's report counts the crossing alone",
    "reports:export": "reports/tests/test_sites.py::test_the_indicator_export_and_the_api_count_the_callers_sites",
    "reports:narrative": "reports/tests/test_sites.py: a narrative is printed only in its writer's sites' reports",
    "reports:dossier": "below: test_a_dossier_of_another_sites_patient_is_not_found",
    "intake:upload": "intake/tests/test_import.py: an import for a user of another site finds nothing of this one",
    "intake:form": "the shipped XLSForms, the same for every site: intake/tests/test_views.py",
    "intake:push": "a source's secret, not an account; checked like an import: intake/tests/test_push.py",
    "intake:received": "intake/tests/test_sealed.py: another site's patient's refused submission is not shown",
    "jobs:progress": "jobs/tests/test_pages.py::test_a_jobs_progress_and_file_are_shown_to_its_owner_and_admins_only",
    "jobs:result": "jobs/tests/test_pages.py::test_a_jobs_progress_and_file_are_shown_to_its_owner_and_admins_only",
    "jobs:schedule": "install-wide, admins only: jobs/tests/test_pages.py",
}


def _names(patterns: list[Any], namespace: str | None = None) -> Iterator[tuple[str | None, str | None]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield namespace, pattern.name


def test_every_route_of_the_project_is_under_a_matrix_or_named_with_its_site_test() -> None:
    unplaced = {
        f"{namespace}:{name}" if namespace else name
        for namespace, name in _names(get_resolver().url_patterns)
        if namespace not in MATRICES and (f"{namespace}:{name}" if namespace else name) not in ELSEWHERE
    }
    assert unplaced == set()


@pytest.mark.django_db
def test_a_dossier_of_another_sites_patient_is_not_found(crossing: Any, make_referral: Any) -> None:
    from corridor.ledger.models import Entry

    make_referral("P-0001")
    before = Entry.objects.count()
    client = Client()
    client.force_login(crossing.users["coordinator"])
    response = client.post("/reports/dossier/P-0001/", {"language": "en"}, follow=True)
    assert response["Content-Type"].startswith("text/html") and b"%PDF" not in response.content
    assert "there is no patient" in response.content.decode()
    assert Entry.objects.count() == before
