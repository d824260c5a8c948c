"""The reports' refusals carry a code and their values, and are said in Persian and Arabic with local digits."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from corridor.errors import InvalidInput
from corridor.ledger.models import Entry
from corridor.refusals import in_language
from corridor.reports import services
from corridor.reports.tests import fixtures


def test_a_month_not_yet_begun_is_refused_with_its_code_and_today_in_the_readers_calendar() -> None:
    with pytest.raises(InvalidInput) as refused:
        services.parse_month("2015-01", dt.date(2014, 10, 14))
    error = refused.value
    assert error.code == "month.not_begun" and error.field == "month"
    assert str(error) == "month: 2015-01 has not begun yet (today is 2014-10-14)"
    with translation.override("fa"):
        assert in_language(error) == "2015-01 هنوز آغاز نشده است (امروز ۲۲ مهر ۱۳۹۳ (۱۴ اکتبر ۲۰۱۴) است)"
    with translation.override("ar"):
        assert in_language(error) == "لم يبدأ 2015-01 بعد (اليوم ١٤ أكتوبر ٢٠١٤)"


def test_a_month_before_1900_names_the_year_without_grouping() -> None:
    with pytest.raises(InvalidInput) as refused:
        services.parse_month("1899-12", dt.date(2014, 10, 14))
    assert refused.value.code == "month.too_early" and refused.value.values["first_year"] == 1900
    with translation.override("ar"):
        assert in_language(refused.value) == "1899-12 قبل ١٩٠٠"


@pytest.mark.django_db
def test_the_reports_page_says_the_refusal_in_persian(camp: Any, settings: Any, users: dict[str, Any]) -> None:
    settings.TODAY = fixtures.AS_OF
    client = Client()
    client.force_login(users["auditor"])
    response = client.post(
        "/reports/monthly/",
        {"month": "2015-01", "language": "en", "format": "html"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="fa",
    )
    page = html.unescape(response.content.decode())
    assert "2015-01 هنوز آغاز نشده است" in page and "has not begun" not in page
    assert not Entry.objects.filter(type="export.created").exists()
