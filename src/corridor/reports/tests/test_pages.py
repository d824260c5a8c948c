"""The reports page: pick a month, open the report, download the PDF and exports — by role."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from corridor.ledger.models import Entry
from corridor.reports.tests import fixtures


@pytest.fixture
def october(camp: Any, settings: Any) -> None:
    settings.TODAY = fixtures.AS_OF
    fixtures.build(camp)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anyone_without_a_role_is_kept_out(db: Any, users: dict[str, Any]) -> None:
    assert Client().get("/reports/").status_code == 302
    assert _client(users["outsider"]).get("/reports/").status_code == 403
    assert _client(users["outsider"]).post("/reports/monthly/", {"month": "2014-10"}).status_code == 403


def test_a_monitor_makes_reports_but_sees_no_export_form(october: None, users: dict[str, Any]) -> None:
    page = _client(users["monitor"]).get("/reports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'action="/reports/monthly/"' in html and "2014-10" in html
    assert 'action="/reports/export/"' not in html
    assert _client(users["monitor"]).post("/reports/export/", {"dataset": "trips"}).status_code == 403


def test_the_html_report_opens_in_the_page_with_its_stylesheet_linked_and_is_recorded(
    october: None, users: dict[str, Any]
) -> None:
    response = _client(users["monitor"]).post(
        "/reports/monthly/", {"month": "2014-10", "language": "fa", "format": "html"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Disposition"].startswith("inline;")
    html = response.content.decode()
    assert 'dir="rtl"' in html and "reports/report.css" in html and "<style>" not in html
    assert 'style="' not in html  # the content policy forbids inline styles
    entry = Entry.objects.filter(type="export.created").latest("seq")
    assert (entry.recorded_by, entry.payload["language"], entry.payload["format"]) == ("monitor", "fa", "html")


def test_the_pdf_downloads_as_an_attachment(october: None, users: dict[str, Any]) -> None:
    response = _client(users["coordinator"]).post(
        "/reports/monthly/", {"month": "2014-10", "language": "en", "format": "pdf", "public": "on"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="corridor-report-2014-10-en-public.pdf"'
    assert response.content.startswith(b"%PDF")


def test_an_auditor_downloads_an_export(october: None, users: dict[str, Any]) -> None:
    response = _client(users["auditor"]).post(
        "/reports/export/", {"dataset": "incidents", "format": "hxl", "month": "2014-10", "audience": "public"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="corridor-incidents-2014-10.hxl.csv"'
    assert response.content.decode().splitlines()[1].startswith("#country+code,#date+occurred,")


def test_a_month_not_yet_begun_comes_back_as_a_message(october: None, users: dict[str, Any]) -> None:
    client = _client(users["auditor"])
    response = client.post("/reports/monthly/", {"month": "2015-01", "language": "en", "format": "html"}, follow=True)
    assert response.redirect_chain[-1][0] == "/reports/"
    assert "has not begun yet" in response.content.decode()
    assert not Entry.objects.filter(type="export.created").exists()


def test_a_role_that_may_not_export_gets_the_public_report_however_it_asks(
    october: None, users: dict[str, Any]
) -> None:
    from corridor.errors import NotAllowed
    from corridor.reports import services

    page = _client(users["monitor"]).get("/reports/").content.decode()
    assert 'name="public"' in page and "disabled" in page.split('name="public"')[1].split(">")[0]
    # Without "public" in the form (the box left unticked, or the request made by hand): small counts blanked.
    response = _client(users["monitor"]).post(
        "/reports/monthly/", {"month": "2014-10", "language": "en", "format": "html"}
    )
    assert response.status_code == 200
    assert Entry.objects.filter(type="export.created").latest("seq").payload["audience"] == "public"
    assert "-public." in response["Content-Disposition"]
    with pytest.raises(NotAllowed, match="public edition only"):
        services.monthly_report(month="2014-10", fmt="html", public=False, by=users["monitor"])
    # A role that may export chooses.
    response = _client(users["coordinator"]).post(
        "/reports/monthly/", {"month": "2014-10", "language": "en", "format": "html"}
    )
    assert Entry.objects.filter(type="export.created").latest("seq").payload["audience"] == "partners"


def test_a_monitor_writes_the_months_narrative_and_the_report_prints_it_with_who_wrote_it(
    october: None, users: dict[str, Any], settings: Any
) -> None:
    settings.REPORT_ORGANISATION = "Camp Health Committee"
    settings.REPORT_CONTACT = "reports@example.org"
    client = _client(users["monitor"])
    text = "The gate closed early all month.\n\nFamilies have stopped asking for routine permits."
    page = client.post("/reports/narrative/", {"month": "2014-10", "language": "en", "text": text}, follow=True)
    assert "Narrative recorded as ledger entry" in page.content.decode()
    entry = Entry.objects.filter(type="report.narrative").latest("seq")
    assert (entry.recorded_by, entry.payload["month"]) == ("monitor", "2014-10")
    assert entry.subjects == ["report:2014-10", "site:CAMP-T"]  # the sites its writer works at
    html = client.post("/reports/monthly/", {"month": "2014-10", "language": "en", "format": "html"}).content.decode()
    assert "<p>The gate closed early all month.</p>" in html
    assert "Written by monitor on " in html and f"ledger entry {entry.seq}." in html
    assert "Camp Health Committee" in html and "reports@example.org" in html
    for label in ("Period covered", "Data as of", "Generated", "Issued by", "Contact"):
        assert f"<dt>{label}</dt>" in html
    # Denials and cancellations with the reasons given, hospitals by name.
    assert "Permits denied and trips cancelled, with the reasons given" in html
    assert "<td>Heart</td><td>trip denied</td><td>the authority</td>" in html and "<td>security</td>" in html
    assert "<td>Eyes</td><td>trip cancelled</td><td>the hospital</td>" in html and "<td>doctor away</td>" in html
    assert "no reason given" in html  # T7, cancelled by the authority without a word


def test_only_those_who_record_incidents_write_narratives_and_an_empty_one_writes_nothing(
    october: None, users: dict[str, Any]
) -> None:
    data = {"month": "2014-10", "language": "en", "text": "x"}
    assert _client(users["auditor"]).post("/reports/narrative/", data).status_code == 403
    assert _client(users["clinician"]).post("/reports/narrative/", data).status_code == 403
    assert 'action="/reports/narrative/"' not in _client(users["auditor"]).get("/reports/").content.decode()
    response = _client(users["monitor"]).post("/reports/narrative/", {**data, "text": "   "}, follow=True)
    assert "text:" in response.content.decode()
    assert not Entry.objects.filter(type="report.narrative").exists()
