"""Recording an incident from the workspace, then attaching to it; the site's list of incidents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from corridor.accounts.services import change_sites
from corridor.ledger.models import Entry
from corridor.ledger.tests import samples
from corridor.register import services as register
from corridor.supplies import actions as supplies

pytestmark = pytest.mark.django_db

DAY = dt.date(2014, 10, 14)


@pytest.fixture
def on_day(settings: Any) -> dt.date:
    settings.TODAY = DAY
    return DAY


def _form(**changes: Any) -> dict[str, Any]:
    return {
        "site": "CAMP-T",
        "on": "2014-10-13",
        "kind": "obstruction",
        "resource": "transport",
        "description": "The ambulance was stopped at the second checkpoint for three hours.",
        "source": "witness",
        "certainty": "probable",
    } | changes


def test_a_monitor_records_an_incident_and_lands_on_its_entry_to_attach_a_photo(
    camp: Any, users: dict[str, Any], on_day: dt.date, client_for: Callable[[str], Client]
) -> None:
    monitor = client_for("monitor")
    form = monitor.get(reverse("web:incident_create")).content.decode()
    assert 'value="violence_heavy_weapons"' in form and 'value="warehouse"' in form  # the SSA's lists
    assert 'type="time"' not in form  # the service takes a day: no time is asked, none invented
    response = monitor.post(reverse("web:incident_create"), _form())
    entry = Entry.objects.get(type="incident.recorded")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:ledger_entry", args=[entry.seq]) + f"#attach-{entry.seq}"
    assert entry.payload == {
        "site": "CAMP-T",
        "kind": "obstruction",
        "resource": "transport",
        "description": "The ambulance was stopped at the second checkpoint for three hours.",
        "date": "2014-10-13",
        "precision": "date",  # a day, as entered: the ledger says no time is known
    }
    assert (entry.source, entry.certainty, entry.recorded_by) == ("witness", "probable", "monitor")
    assert entry.occurred_at.startswith("2014-10-13")
    page = monitor.get(response["Location"]).content.decode()
    assert f'action="{reverse("web:attachment_add", args=[entry.seq])}"' in page and " capture" in page
    attached = monitor.post(
        reverse("web:attachment_add", args=[entry.seq]),
        {"file": SimpleUploadedFile("IMG_1.jpg", samples.photo_with_metadata()), "source": "media"},
    )
    assert attached.status_code == 302
    added = Entry.objects.get(type="attachment.added")
    assert added.payload["entry"] == entry.seq
    thumbnail = reverse("web:attachment_image", args=[added.seq]) + "?thumbnail=1"
    assert f'src="{thumbnail}"' in monitor.get(reverse("web:ledger_entry", args=[entry.seq])).content.decode()


def test_an_incident_dated_tomorrow_is_refused_in_the_readers_language_and_nothing_is_written(
    camp: Any, users: dict[str, Any], on_day: dt.date, client_for: Callable[[str], Client]
) -> None:
    monitor = client_for("monitor")
    before = Entry.objects.count()
    english = monitor.post(reverse("web:incident_create"), _form(on="2014-10-15"))
    assert english.status_code == 422
    assert "is after today" in english.content.decode()
    persian = client_for("monitor")
    persian.cookies["django_language"] = "fa"
    with translation.override("fa"):
        refused = persian.post(reverse("web:incident_create"), _form(on="2014-10-15"), HTTP_ACCEPT_LANGUAGE="fa")
    assert refused.status_code == 422
    text = refused.content.decode()
    assert 'lang="fa"' in text and "is after today" not in text and "پس از امروز" in text
    assert Entry.objects.count() == before


def test_a_description_left_blank_or_a_type_off_the_ssa_list_is_refused(
    camp: Any, users: dict[str, Any], on_day: dt.date, client_for: Callable[[str], Client]
) -> None:
    monitor = client_for("monitor")
    assert monitor.post(reverse("web:incident_create"), _form(description="  ")).status_code == 422
    assert monitor.post(reverse("web:incident_create"), _form(kind="made_up")).status_code == 422
    assert not Entry.objects.filter(type="incident.recorded").exists()


def test_the_patients_and_trips_concerned_become_the_entrys_subjects_and_another_sites_are_refused(
    camp: Any,
    users: dict[str, Any],
    on_day: dt.date,
    client_for: Callable[[str], Client],
    make_referral: Callable[..., Any],
) -> None:
    patient = make_referral("P-0042").patient
    other = register.create_site(code="OTHER", name="Other", country="XX", population=10, time_zone="UTC", by=None)
    change_sites(users["coordinator"], sites=["CAMP-T", "OTHER"], by=None)
    stranger = register.register_patient(site=other, code="P-0900", registered_on=DAY, by=None)
    monitor = client_for("monitor")
    refused = monitor.post(reverse("web:incident_create"), _form(concerns=f"{patient.code}, {stranger.code}"))
    assert refused.status_code == 422
    assert "P-0900 is not a patient or a trip of this site." in refused.content.decode()
    assert not Entry.objects.filter(type="incident.recorded").exists()
    assert monitor.post(reverse("web:incident_create"), _form(concerns="p-0042 ، P-0042")).status_code == 302
    entry = Entry.objects.get(type="incident.recorded")
    assert sorted(entry.subjects) == ["patient:P-0042", "site:CAMP-T"]  # named once, in the ledger's form


def test_a_monitor_cannot_record_an_incident_at_a_site_they_do_not_work_at(
    camp: Any, users: dict[str, Any], on_day: dt.date, client_for: Callable[[str], Client]
) -> None:
    register.create_site(code="OTHER", name="Other", country="XX", population=10, time_zone="UTC", by=None)
    response = client_for("monitor").post(reverse("web:incident_create"), _form(site="OTHER"))
    assert response.status_code == 422
    assert not Entry.objects.filter(type="incident.recorded").exists()


def test_the_list_shows_the_sites_incidents_newest_first_in_the_ssas_words_and_no_other_sites(
    camp: Any, users: dict[str, Any], on_day: dt.date, client_for: Callable[[str], Client]
) -> None:
    other = register.create_site(code="OTHER", name="Other", country="XX", population=10, time_zone="UTC", by=None)
    change_sites(users["coordinator"], sites=["CAMP-T", "OTHER"], by=None)
    older = supplies.record_incident(
        site=camp, kind="abduction", resource="personnel", description="A nurse held overnight.", on=DAY, by="m"
    )
    newer = supplies.record_incident(
        site=camp, kind="Removal of health care assets", resource="supplies", description="Fuel taken.", on=DAY, by="m"
    )
    elsewhere = supplies.record_incident(
        site=other, kind="obstruction", resource="facility", description="Elsewhere.", on=DAY, by="coordinator"
    )
    html = client_for("monitor").get(reverse("web:incidents")).content.decode()
    assert html.index("Fuel taken.") < html.index("A nurse held overnight.")
    assert "Removal of health care assets" in html and "Abduction/arrest/detention" in html
    assert reverse("web:ledger_entry", args=[newer.seq]) in html
    assert reverse("web:ledger_entry", args=[older.seq]) in html
    assert "Elsewhere." not in html and reverse("web:ledger_entry", args=[elsewhere.seq]) not in html
    monitor_fa = client_for("monitor")
    monitor_fa.cookies["django_language"] = "fa"
    assert "ربودن، بازداشت" in monitor_fa.get(reverse("web:incidents")).content.decode()


def test_the_supplies_page_offers_recording_an_incident_to_those_who_may(
    camp: Any, users: dict[str, Any], on_day: dt.date, client_for: Callable[[str], Client]
) -> None:
    for role, offered in (("monitor", True), ("coordinator", True), ("clinician", False), ("auditor", False)):
        html = client_for(role).get(reverse("supplies:status")).content.decode()
        assert (reverse("web:incident_create") in html) is offered, role
        assert reverse("web:incidents") in html, role
