"""The erasure and retention pages: one admin asks, the same admin cannot confirm, a second confirms, and
the identity then reads as erased everywhere while the ledger says that and when, never what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from corridor.accounts.services import create_user
from corridor.accounts.tokens import issue_token
from corridor.ledger.models import Entry
from corridor.register import crypto
from corridor.register import services as register
from corridor.register.models import Erasure, Patient, PatientIdentity
from corridor.transfers import companions

NAME = "Synthetic Pagefold Erasable"
REASON = "mkEraseReason5581 the family asked after the funeral"


@pytest.fixture
def second_admin(users: dict[str, Any], camp: Any) -> Any:
    return create_user(
        username="admin-two", role="admin", password="x", by=None, check_password=False, sites=[camp.code]
    )


@pytest.fixture
def person(camp: Any) -> Patient:
    return register.register_patient(
        site=camp, code="P-ERASE", registered_on=dt.date(2014, 10, 1), identity={"full_name": NAME}, by=None
    )


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_an_admin_asks_cannot_confirm_a_second_confirms_and_the_identity_reads_erased_everywhere(
    person: Patient, second_admin: Any, client_for: Callable[[str], Client], users: dict[str, Any]
) -> None:
    first = client_for("admin")
    ask = reverse("web:erasure_ask", args=[person.code])
    shown = first.get(ask).content.decode()
    assert "What stays" in shown and "The ledger: every entry" in shown and "Backups made before" in shown

    # The reason and the acknowledgement are both needed; a refused form writes nothing.
    assert first.post(ask, {"reason": REASON}).status_code == 422
    assert first.post(ask, {"understood": "on"}).status_code == 422
    assert not Entry.objects.filter(type__startswith="erasure.").exists()
    assert first.post(ask, {"reason": REASON, "understood": "on"}).status_code == 302
    assert Erasure.objects.get().state == "requested"
    listed = first.get(reverse("web:erasures")).content.decode()
    assert REASON in listed and "You asked for this erasure" in listed  # the reason is for the second admin

    # The admin who asked cannot confirm: the service's refusal, in that admin's language.
    first.post(reverse("web:set_language"), {"language": "fa"})
    refused = first.post(reverse("web:erasure_confirm", args=[person.code]), follow=True)
    [said] = _messages(refused)
    assert "مدیر سامانه" in said and "admin" not in said, said
    assert PatientIdentity.objects.get(patient=person).full_name == NAME
    first.post(reverse("web:set_language"), {"language": "en"})

    second = Client()
    second.force_login(second_admin)
    second.post(reverse("web:erasure_confirm", args=[person.code]))
    assert PatientIdentity.objects.get(patient=person).full_name == crypto.ERASED
    erasure = Erasure.objects.get()
    assert (erasure.state, erasure.requested_by, erasure.decided_by) == ("confirmed", "admin", "admin-two")

    # Every role's patient page says it was erased, when, and by whose request and confirmation; never what.
    for role in ("monitor", "coordinator", "admin"):
        page = client_for(role).get(reverse("web:patient", args=[person.code])).content.decode()
        assert "identity was erased on" in page and "admin-two" in page, role
        assert NAME not in page and "mkEraseReason5581" not in page, role
        assert "Ask for erasure" not in page and "Break the glass" not in page  # nothing left to open
    identity = client_for("coordinator").post(reverse("web:patient_identity", args=[person.code]), {"purpose": "x"})
    assert NAME not in identity.content.decode()
    token = issue_token(users["coordinator"], by=None, label="check")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    answer = api.get(f"/api/patients/{person.code}/identity", {"purpose": "checking"}).json()
    assert answer["erased"] is True and NAME not in str(answer)

    # The ledger has both acts; a monitor reads that they happened, not the reason.
    asked, confirmed = Entry.objects.filter(type__startswith="erasure.").order_by("seq")
    assert (asked.type, confirmed.type) == ("erasure.requested", "erasure.confirmed")
    monitor = client_for("monitor")
    for entry in (asked, confirmed):
        page = monitor.get(reverse("web:ledger_entry", args=[entry.seq])).content.decode()
        assert "mkEraseReason5581" not in page and NAME not in page
    assert "[withheld]" in monitor.get(reverse("web:ledger_entry", args=[asked.seq])).content.decode()
    assert "mkEraseReason5581" not in str(monitor.get(reverse("web:ledger")).content)


def test_a_request_is_cancelled_with_a_reason_and_nothing_is_erased(
    person: Patient, client_for: Callable[[str], Client]
) -> None:
    admin = client_for("admin")
    admin.post(reverse("web:erasure_ask", args=[person.code]), {"reason": "mistaken", "understood": "on"})
    assert "waits for a second admin" in admin.get(reverse("web:patient", args=[person.code])).content.decode()
    admin.post(reverse("web:erasure_cancel", args=[person.code]), {"reason": "the wrong patient"})
    assert Erasure.objects.get().state == "cancelled"
    assert PatientIdentity.objects.get(patient=person).full_name == NAME
    assert Entry.objects.filter(type="erasure.cancelled").get().payload["reason"] == "the wrong patient"
    nothing = admin.post(reverse("web:erasure_confirm", args=[person.code]), follow=True)
    assert any("one admin asks first" in m for m in _messages(nothing))


def test_a_companion_is_asked_for_from_the_roster_and_another_sites_person_is_not_found(
    camp: Any, crossing: Any, client_for: Callable[[str], Client]
) -> None:
    companions.register_companion(
        site=camp, code="C-0009", kind="interpreter", registered_on=dt.date(2014, 10, 1),
        identity={"full_name": "Synthetic Interpreter Nine"}, by=None,
    )  # fmt: skip
    roster = client_for("admin").get(reverse("web:companions")).content.decode()
    assert reverse("web:erasure_ask", args=["C-0009"]) in roster
    assert client_for("admin").get(reverse("web:erasure_ask", args=["C-0009"])).status_code == 200
    assert "Ask for erasure" not in client_for("coordinator").get(reverse("web:companions")).content.decode()
    outside = crossing.users["admin"]
    client = Client()
    client.force_login(outside)
    assert client.get(reverse("web:erasure_ask", args=["C-0009"])).status_code == 404


def test_retention_lists_what_is_due_asks_and_a_second_admin_confirms_through_the_web(
    camp: Any, second_admin: Any, client_for: Callable[[str], Client], settings: Any
) -> None:
    settings.TODAY = dt.date(2021, 6, 1)
    settings.RETENTION_YEARS = 5
    for code, registered in (("P-GONE-OLD", dt.date(2014, 1, 1)), ("P-GONE-NEW", dt.date(2020, 1, 1))):
        register.register_patient(
            site=camp, code=code, registered_on=registered, identity={"full_name": f"Synthetic {code}"}, by=None
        )
    Patient.objects.update(status=Patient.Status.LEFT)
    admin = client_for("admin")
    listed = admin.get(reverse("web:retention")).content.decode()
    assert "P-GONE-OLD" in listed and "P-GONE-NEW" not in listed
    assert "Ask for the erasure of 1 identity" in listed
    asked = admin.post(reverse("web:retention_request"))
    assert asked.status_code == 302 and asked["Location"] == reverse("web:retention")
    assert _messages(asked) == ["Erasure asked for 1 identity; another admin confirms it."]
    assert Erasure.objects.get().retention is True
    assert "Confirm 1 erasure" not in admin.get(reverse("web:retention")).content.decode()  # not the one who asked
    second = Client()
    second.force_login(second_admin)
    assert "Confirm 1 erasure another admin asked for" in second.get(reverse("web:retention")).content.decode()
    confirmed = second.post(reverse("web:retention_confirm"))
    assert confirmed.status_code == 302 and _messages(confirmed) == ["1 identity erased."]
    assert PatientIdentity.objects.get(patient__code="P-GONE-OLD").full_name == crypto.ERASED
    assert PatientIdentity.objects.get(patient__code="P-GONE-NEW").full_name == "Synthetic P-GONE-NEW"
    assert "Nobody is due." in second.get(reverse("web:retention")).content.decode()


def test_without_a_retention_period_the_page_says_so(
    camp: Any, client_for: Callable[[str], Client], settings: Any
) -> None:
    settings.RETENTION_YEARS = 0
    assert "No retention period is set" in client_for("admin").get(reverse("web:retention")).content.decode()


def test_asking_for_the_due_erasures_without_a_retention_period_says_why_and_asks_for_nothing(
    camp: Any, client_for: Callable[[str], Client], settings: Any
) -> None:
    settings.RETENTION_YEARS = 0
    asked = client_for("admin").post(reverse("web:retention_request"))
    assert asked.status_code == 302 and asked["Location"] == reverse("web:retention")
    said = _messages(asked)
    assert len(said) == 1 and "retention" in said[0]
    assert not Erasure.objects.exists()
