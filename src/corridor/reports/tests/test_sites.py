"""Reports count the reader's sites only: the indicators, the monthly report and its cover, the
indicator export and the API's indicators, with a crossing beside the camp (docs/roles.md, "Sites")."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from corridor.accounts.tokens import issue_token
from corridor.errors import NotFound
from corridor.reports import catalogue, services

OCTOBER = services.parse_month("2014-10", dt.date(2014, 10, 31))


@pytest.fixture
def two_sites(crossing: Any, make_referral: Callable[..., Any]) -> Any:
    """The camp with three referrals waiting, the crossing with its one."""
    for code in ("P-0001", "P-0002", "P-0003"):
        make_referral(code, referral_date=dt.date(2014, 9, 1))
    return crossing


def _waiting(sites: Any) -> Any:
    return catalogue.compute_all(OCTOBER, only=["backlog"], sites=sites).value("backlog.waiting")


def test_the_indicators_count_the_records_of_the_sites_asked_for_and_every_site_for_a_script(
    two_sites: Any, camp: Any
) -> None:
    assert _waiting([camp.pk]) == 3
    assert _waiting([two_sites.site.pk]) == 1
    assert _waiting(None) == 4
    assert _waiting([]) == 0  # a user of no site counts nothing


def test_a_crossing_coordinators_monthly_report_counts_and_names_the_crossing_alone(
    two_sites: Any, users: dict[str, Any]
) -> None:
    mine = services.monthly_report(month="2014-10", fmt="html", by=two_sites.users["coordinator"])
    theirs = services.monthly_report(month="2014-10", fmt="html", by=users["coordinator"])
    page, camp_page = mine.content.decode(), theirs.content.decode()
    assert "Test Crossing" in page and "Test Camp" not in page
    assert "Test Camp" in camp_page and "Test Crossing" not in camp_page
    assert mine.entry.payload["sites"] == ["XING-T"]
    assert theirs.entry.payload["sites"] == ["CAMP-T"]


def test_a_report_for_a_site_the_user_does_not_work_at_is_refused_as_if_it_did_not_exist(
    two_sites: Any, users: dict[str, Any]
) -> None:
    with pytest.raises(NotFound, match="no site XING-T"):
        services.monthly_report(month="2014-10", fmt="html", by=users["coordinator"], site="XING-T")
    with pytest.raises(NotFound, match="no site NOWHERE"):
        services.monthly_report(month="2014-10", fmt="html", by=None, site="NOWHERE")


def test_a_script_may_ask_for_one_site_and_gets_that_site_alone(two_sites: Any) -> None:
    produced = services.monthly_report(month="2014-10", fmt="html", by=None, site="XING-T")
    assert produced.entry.payload["sites"] == ["XING-T"]
    assert produced.filename == "corridor-report-2014-10-en-XING-T.html"
    assert "Test Camp" not in produced.content.decode()


def _waiting_in(content: bytes) -> Any:
    """The headline value of backlog.waiting in an indicator export (JSON)."""
    rows = json.loads(content)["rows"]
    return next(r["value"] for r in rows if r["indicator"] == "backlog.waiting" and not r["breakdown"])


def test_the_indicator_export_and_the_api_count_the_callers_sites(two_sites: Any, users: dict[str, Any]) -> None:
    crossing_user = two_sites.users["coordinator"]
    ours = services.export(dataset="indicators", fmt="json", month="2014-10", audience="partners", by=crossing_user)
    everyone = services.export(dataset="indicators", fmt="json", month="2014-10", audience="partners", by=None)
    assert _waiting_in(ours.content) == 1 and _waiting_in(everyone.content) == 4
    secret = issue_token(crossing_user, by=None, label="test")[1]
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {secret}")
    answer = client.get("/api/indicators?month=2014-10&audience=partners")
    assert answer.status_code == 200, answer.content
    values = {v["code"]: v["value"] for v in answer.json()["values"]}
    assert values["backlog.waiting"] == 1


def test_the_reports_page_offers_a_choice_of_site_only_to_a_user_of_several(
    two_sites: Any, users: dict[str, Any]
) -> None:
    from corridor.accounts.services import change_sites

    single = Client(HTTP_HOST="127.0.0.1")
    single.force_login(users["coordinator"])
    assert 'name="site"' not in single.get("/reports/").content.decode()

    change_sites(users["coordinator"], sites=["CAMP-T", "XING-T"], by=None)
    both = Client(HTTP_HOST="127.0.0.1")
    both.force_login(users["coordinator"])
    page = both.get("/reports/").content.decode()
    assert 'name="site"' in page and "Test Crossing" in page
    answer = both.post("/reports/monthly/", {"month": "2014-10", "language": "en", "format": "html", "site": "XING-T"})
    assert answer.status_code == 200
    assert "Test Crossing" in answer.content.decode() and "Test Camp" not in answer.content.decode()


def test_a_narrative_is_printed_only_in_the_reports_of_its_writers_sites(two_sites: Any, users: dict[str, Any]) -> None:
    from corridor.ledger.models import Entry

    written = services.write_narrative(
        month="2014-10", text="The crossing closed for nine days.", by=two_sites.users["monitor"]
    )
    assert written.subjects == ["report:2014-10", "site:XING-T"]
    crossing = services.monthly_report(month="2014-10", fmt="html", by=two_sites.users["coordinator"])
    camp = services.monthly_report(month="2014-10", fmt="html", by=users["coordinator"])
    everywhere = services.monthly_report(month="2014-10", fmt="html", by=None)
    assert "The crossing closed for nine days." in crossing.content.decode()
    assert "The crossing closed for nine days." not in camp.content.decode()
    assert "The crossing closed for nine days." in everywhere.content.decode()
    # Nor can the camp read it in the ledger; another site's writer is refused a site of the camp.
    ledger_page = Client()
    ledger_page.force_login(users["coordinator"])
    assert f'href="/ledger/{written.seq}/"' not in ledger_page.get("/ledger/").content.decode()
    with pytest.raises(NotFound, match="no site CAMP-T"):
        services.write_narrative(month="2014-10", text="x", site="CAMP-T", by=two_sites.users["monitor"])
    assert Entry.objects.filter(type="report.narrative").count() == 1


def test_a_monitor_of_both_sites_writes_the_crossings_narrative_from_the_reports_page(
    two_sites: Any, users: dict[str, Any]
) -> None:
    from corridor.accounts.services import change_sites
    from corridor.ledger.models import Entry

    change_sites(users["monitor"], sites=["CAMP-T", "XING-T"], by=None)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(users["monitor"])
    page = client.get("/reports/").content.decode()
    assert page.count('name="site"') == 2  # the report's choice and the narrative's
    text = "Nine days without a crossing."
    client.post("/reports/narrative/", {"month": "2014-10", "language": "en", "text": text, "site": "XING-T"})
    assert Entry.objects.get(type="report.narrative").subjects == ["report:2014-10", "site:XING-T"]
    crossing = services.monthly_report(month="2014-10", fmt="html", by=two_sites.users["coordinator"])
    camp = services.monthly_report(month="2014-10", fmt="html", by=users["coordinator"])
    assert text in crossing.content.decode() and text not in camp.content.decode()
