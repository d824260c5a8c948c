"""Every page × every role, plus an account with no role and an anonymous visitor.

``ROUTES`` is the one list of the workspace's URL names with who may open each, written from
docs/roles.md rather than from the code. A new view without a row here fails the first test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from corridor.web import urls as web_urls
from corridor.web.tests.conftest import ROLES, Scene

EVERY_ROLE = frozenset(ROLES)
COORDINATOR = frozenset({"coordinator"})
CLINICAL = frozenset({"coordinator", "clinician"})
GATE = frozenset({"coordinator", "monitor"})  # records gate timelines, cancellations and deaths
ADMIN = frozenset({"admin"})  # accounts: users, roles, passwords, tokens
AUDITOR = frozenset({"auditor"})  # reviews sign-ins and break-glass accesses
BREAK_GLASS = frozenset({"admin", "auditor"})  # may ask to see one identity for a while, with a reason

# name -> (method, who may). "anyone" pages are open to every signed-in account and to visitors.
ROUTES: dict[str, tuple[str, frozenset[str] | str]] = {
    "dashboard": ("get", EVERY_ROLE),
    "set_language": ("post", "anyone"),
    "about": ("get", "anyone"),
    "password_change": ("get", EVERY_ROLE),
    "users": ("get", ADMIN),
    "user_create": ("get", ADMIN),
    "user": ("get", ADMIN),
    "user_roles": ("post", ADMIN),
    "user_sites": ("post", ADMIN),
    "user_password_reset": ("post", ADMIN),
    "user_active": ("post", ADMIN),
    "user_token_issue": ("post", ADMIN),
    "user_token_revoke": ("post", ADMIN),
    "sign_ins": ("get", AUDITOR),
    "break_glass_list": ("get", AUDITOR),
    "break_glass_acknowledge": ("post", AUDITOR),
    "patient_break_glass": ("get", BREAK_GLASS),
    # Erasure and retention (docs/privacy.md): one admin asks, a second confirms.
    "erasures": ("get", ADMIN),
    "erasure_ask": ("get", ADMIN),
    "erasure_confirm": ("post", ADMIN),
    "erasure_cancel": ("post", ADMIN),
    "retention": ("get", ADMIN),
    "retention_request": ("post", ADMIN),
    "retention_confirm": ("post", ADMIN),
    "patients": ("get", EVERY_ROLE),
    "patient_create": ("get", COORDINATOR),
    "patient_search_by_name": ("get", CLINICAL),
    "patient": ("get", EVERY_ROLE),
    "patient_edit": ("get", COORDINATOR),
    "patient_identity": ("get", CLINICAL),
    "identity_edit": ("get", COORDINATOR),
    "referral_create": ("get", CLINICAL),
    "referral_close": ("get", CLINICAL),
    "patient_death": ("post", GATE),
    "plan": ("get", EVERY_ROLE),
    "plan_propose": ("post", COORDINATOR),
    "plan_accept": ("post", COORDINATOR),
    "plan_check": ("post", COORDINATOR),
    "plan_bound": ("get", EVERY_ROLE),
    "trips": ("get", EVERY_ROLE),
    "trip": ("get", EVERY_ROLE),
    "trip_approve": ("post", COORDINATOR),
    "trip_deny": ("post", COORDINATOR),
    "trip_gate_arrived": ("post", GATE),
    "trip_gate_held": ("post", GATE),
    "trip_gate_released": ("post", GATE),
    "trip_turned_back": ("post", GATE),
    "trip_hospital_arrived": ("post", GATE),
    "trip_outcome": ("post", GATE),
    "trip_returned": ("post", GATE),
    "trip_cancel": ("post", GATE),
    "outbox": ("post", GATE),
    "outbox_worker": ("get", "anyone"),
    "trip_companion_ask": ("post", COORDINATOR),
    "trip_companion_answer": ("post", COORDINATOR),
    "companions": ("get", EVERY_ROLE),
    "companion_create": ("get", COORDINATOR),
    "companion_identity": ("get", CLINICAL),
    # Incidents (docs/roles.md): every role reads the ledger; coordinators and monitors record them.
    "incidents": ("get", EVERY_ROLE),
    "incident_create": ("get", GATE),
    "ledger": ("get", EVERY_ROLE),
    "ledger_entry": ("get", EVERY_ROLE),
    "ledger_text": ("get", AUDITOR),  # reads an entry's withheld text, with a purpose, recorded
    "ledger_retract": ("get", GATE),  # withdraws an entry by a new one (correct_ledger), e.g. a death misrecorded
    "ledger_correct": ("get", GATE),  # corrects a death's or a closing's date by a new entry (correct_ledger)
    "ledger_verify": ("post", EVERY_ROLE),
    # Attachments (docs/roles.md): attach and see derivatives; originals for the roles that see identities.
    "attachment_add": ("post", frozenset({"coordinator", "clinician", "monitor"})),
    "attachment_image": ("get", frozenset({"coordinator", "clinician", "monitor"})),
    "attachment_original": ("get", CLINICAL),
}

VISITORS = (*ROLES, "outsider", "anonymous")


def test_every_url_of_the_workspace_has_a_row_in_the_table() -> None:
    names = {pattern.name for pattern in web_urls.urlpatterns}
    assert names == set(ROUTES)


def _expected(visitor: str, who: frozenset[str] | str, status: int, location: str) -> bool:
    if who == "anyone":
        return status < 400
    if visitor == "anonymous":
        return status == 302 and location.startswith("/accounts/login/")
    if visitor in who:
        return status not in (401, 403, 404, 405) and status < 500
    return status == 403


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_page_opens_for_exactly_the_roles_that_may_use_it(
    name: str, scene: Scene, client_for: Callable[[str], Client]
) -> None:
    # One test per page with every visitor in it: the scene is built once per page, not 8 times.
    method, who = ROUTES[name]
    url = reverse(f"web:{name}", kwargs=scene.kwargs(name))
    wrong = {}
    for visitor in VISITORS:
        response = getattr(client_for(visitor), method)(url)
        if not _expected(visitor, who, response.status_code, response.get("Location", "")):
            wrong[visitor] = response.status_code
    assert wrong == {}


@pytest.mark.parametrize("name", sorted(n for n, (method, _) in ROUTES.items() if method == "post"))
def test_pages_that_record_something_refuse_a_plain_get(
    name: str, scene: Scene, client_for: Callable[[str], Client]
) -> None:
    response = client_for("coordinator").get(reverse(f"web:{name}", kwargs=scene.kwargs(name)))
    assert response.status_code == 405


def test_the_navigation_offers_only_what_the_role_may_open(scene: Scene, client_for: Callable[[str], Client]) -> None:
    for role in ROLES:
        html = client_for(role).get(reverse("web:dashboard")).content.decode()
        assert ('href="/admin/"' in html) == (role == "admin"), role
        assert 'href="/ledger/"' in html


def test_a_refused_page_writes_nothing(scene: Scene, client_for: Callable[[str], Client]) -> None:
    from corridor.ledger.models import Entry

    before = Entry.objects.count()
    client = client_for("monitor")
    assert client.post(reverse("web:trip_approve", kwargs={"pk": scene.trip.pk}), {"time": "08:00"}).status_code == 403
    assert client.post(reverse("web:patient_identity", kwargs={"code": scene.patients[0].code})).status_code == 403
    assert Entry.objects.count() == before


# Pages that concern accounts and the install, not any site's records (docs/roles.md, "Sites").
INSTALL_WIDE = frozenset(
    {
        "set_language",
        "password_change",
        "users",
        "user_create",
        "user",
        "user_roles",
        "user_sites",
        "user_password_reset",
        "user_active",
        "user_token_issue",
        "user_token_revoke",
        "sign_ins",
        "break_glass_acknowledge",
    }
)


def _writes_about(site: Any) -> int:
    from corridor.ledger.models import EntrySite

    return EntrySite.objects.filter(site_id=site.pk).count()


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_no_page_shows_or_changes_the_records_of_a_site_the_visitor_does_not_work_at(
    name: str, scene: Scene, crossing: Any, client_for: Callable[[str], Client]
) -> None:
    # Route × role × (own site, other site), with records at both: the camp's accounts open each page
    # pointed at the camp's records and must see nothing of the crossing; the crossing's accounts open
    # the same addresses and must find nothing of the camp (404 where the address names a record).
    method, who = ROUTES[name]
    kwargs = scene.kwargs(name)
    url = reverse(f"web:{name}", kwargs=kwargs)
    camp_marks = [p.code for p in scene.patients]
    posted = {"site": scene.site.code, "plan": scene.plan.seq, "patient": scene.patients[0].code}
    wrong: dict[str, Any] = {}
    for role in ROLES:
        for visitor, other_site, marks in (
            (client_for(role), crossing.site, crossing.codes),
            (_signed_in(crossing.users[role]), scene.site, camp_marks),
        ):
            before = _writes_about(other_site)
            response = getattr(visitor, method)(url, posted) if method == "post" else visitor.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[union-attr]
            body = body.replace(url.encode(), b"")  # the address asked for, echoed back (the language form)
            seen = [mark for mark in marks if mark.encode() in body]
            key = f"{role} of {'the crossing' if other_site == scene.site else 'the camp'}"
            if seen:
                wrong[key] = f"shows {seen}"
            if _writes_about(other_site) != before:
                wrong[key] = "wrote about the other site"
            names_a_record = bool(kwargs) and name not in INSTALL_WIDE
            allowed_role = who == "anyone" or role in who
            if other_site == scene.site and names_a_record and allowed_role and response.status_code != 404:
                wrong[key] = f"answered {response.status_code}, not 404"
    assert wrong == {}


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client
