"""Identities appear on one screen, to the roles that may see them, and each showing is in the ledger."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from corridor.ledger.models import Entry
from corridor.register.models import PatientIdentity
from corridor.web.tests.conftest import IDENTITY_MARK, Scene
from corridor.web.tests.test_permissions import ROUTES


def _identity_values() -> list[str]:
    values = []
    for identity in PatientIdentity.objects.all():
        values += [v for v in (identity.full_name, identity.contact, identity.notes) if v]
    return values


@pytest.mark.parametrize("role", ["monitor", "auditor", "admin"])
def test_no_page_a_role_without_sight_of_identities_can_open_shows_one(
    role: str, scene: Scene, client_for: Callable[[str], Client]
) -> None:
    values = _identity_values()
    assert values and any(IDENTITY_MARK in v for v in values)  # the scene really has identities to leak
    client = client_for(role)
    opened = 0
    for name, (method, who) in ROUTES.items():
        if method != "get" or role not in who:
            continue
        # getvalue(): attached photos are streamed, and are bytes (a name could hide in their metadata too).
        html = client.get(reverse(f"web:{name}", kwargs=scene.kwargs(name))).getvalue().decode(errors="replace")
        opened += 1
        leaked = [v for v in values if v in html]
        assert not leaked, (name, leaked)
    # And the lists and searches with their filters.
    for url in ("/patients/?q=P-0", "/patients/?overdue=1", "/ledger/?subject=P-0000", "/ledger/?type=identity.viewed"):
        html = client.get(url).content.decode()
        assert not [v for v in values if v in html], url
    assert opened >= 8


def test_the_patient_page_never_shows_identity_fields_even_to_a_coordinator(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    html = client_for("coordinator").get(reverse("web:patient", args=[scene.patients[0].code])).content.decode()
    assert IDENTITY_MARK not in html
    assert reverse("web:patient_identity", args=[scene.patients[0].code]) in html  # but it links to the screen


def test_showing_an_identity_is_recorded_with_who_whose_and_why(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    patient = scene.patients[0]
    client = client_for("clinician")
    url = reverse("web:patient_identity", args=[patient.code])
    asked = client.get(url)
    assert IDENTITY_MARK not in asked.content.decode()  # asking is not seeing
    assert not Entry.objects.filter(type="identity.viewed").exists()
    shown = client.post(url, {"purpose": "arrange transport"})
    assert f"{IDENTITY_MARK} {patient.code}" in shown.content.decode()
    viewed = Entry.objects.get(type="identity.viewed")
    assert viewed.recorded_by == "clinician"
    # On the scenario's clock the viewing is known by its date only (the real time of day means nothing there).
    assert viewed.payload == {"patient": patient.code, "purpose": "arrange transport", "precision": "date"}
    assert viewed.subjects == [f"patient:{patient.code}"]


def test_opening_the_identity_form_to_change_it_is_a_recorded_viewing(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    patient = scene.patients[1]
    client = client_for("coordinator")
    url = reverse("web:identity_edit", args=[patient.code])
    html = client.get(url).content.decode()
    assert f"{IDENTITY_MARK} {patient.code}" in html
    assert Entry.objects.filter(type="identity.viewed", recorded_by="coordinator").count() == 1
    response = client.post(url, {"full_name": "Renamed Person", "contact": "Block 9", "notes": ""})
    assert response.status_code == 302
    changed = Entry.objects.get(type="identity.changed")
    assert changed.payload["fields"] == ["contact", "full_name"]
    assert "Renamed" not in changed.body  # the ledger holds which fields changed, never their values


def test_showing_a_companions_identity_asks_why_and_is_recorded_like_a_patients(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    companion = scene.companion()
    client = client_for("coordinator")
    roster = client.get(reverse("web:companions")).content.decode()
    url = reverse("web:companion_identity", args=[companion.code])
    assert url in roster and IDENTITY_MARK not in roster  # the roster links to the screen, never shows a name
    asked = client.get(url).content.decode()
    assert IDENTITY_MARK not in asked  # asking is not seeing
    refused = client.post(url, {"purpose": "  "})
    assert refused.status_code == 422 and IDENTITY_MARK not in refused.content.decode()
    assert not Entry.objects.filter(type="identity.viewed").exists()  # no reason, nothing shown, nothing written
    shown = client.post(url, {"purpose": "arrange the interpreter's pass"}).content.decode()
    assert f"{IDENTITY_MARK} C-0001" in shown and "Block 7" in shown
    viewed = Entry.objects.get(type="identity.viewed")
    assert viewed.recorded_by == "coordinator" and viewed.subjects == ["companion:C-0001"]
    assert viewed.payload == {"companion": "C-0001", "purpose": "arrange the interpreter's pass", "precision": "date"}


@pytest.mark.parametrize("role", ["monitor", "auditor", "admin"])
def test_a_role_without_sight_of_identities_cannot_open_a_companions(
    role: str, scene: Scene, client_for: Callable[[str], Client]
) -> None:
    companion = scene.companion()
    client = client_for(role)
    url = reverse("web:companion_identity", args=[companion.code])
    assert url not in client.get(reverse("web:companions")).content.decode()
    for answer in (client.get(url), client.post(url, {"purpose": "curious"})):
        assert answer.status_code == 403 and IDENTITY_MARK not in answer.content.decode()
    assert not Entry.objects.filter(type="identity.viewed").exists()
