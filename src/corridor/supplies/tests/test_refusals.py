"""The blockade's refusals carry a code and their values, and are said in Persian and Arabic with local digits."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from corridor.errors import Conflict, InvalidInput
from corridor.refusals import in_language
from corridor.register.models import Site
from corridor.supplies import actions as supplies
from corridor.supplies.models import SupplyItem

pytestmark = pytest.mark.django_db

DAY = dt.date(2014, 8, 13)


@pytest.fixture
def diesel(camp: Site) -> SupplyItem:
    return supplies.define_item(site=camp, code="diesel", name="Diesel", category="diesel", unit="L", by=None)


def _said(error: Exception, language: str) -> str:
    assert isinstance(error, InvalidInput | Conflict)
    with translation.override(language):
        return in_language(error)


def test_taking_more_than_the_stock_is_refused_with_its_code_and_said_with_local_digits(diesel: SupplyItem) -> None:
    supplies.record_count(item=diesel, on=DAY - dt.timedelta(days=1), quantity=1300, unit="litres", by=None)
    with pytest.raises(InvalidInput) as refused:
        supplies.record_adjustment(item=diesel, on=DAY, quantity=-1500, unit="litres", reason="theft", by=None)
    error = refused.value
    assert error.code == "adjustment.more_than_stock" and error.field == "quantity"
    assert error.values["quantity"] == 1500 and error.values["most"] == 1300
    assert str(error) == (
        "quantity: 1500 litres cannot be taken off diesel: at most 1300 litres are recorded on 2014-08-13 "
        "(the count before plus what came in since)"
    )
    persian = _said(error, "fa")
    assert persian.startswith("نمی‌توان ۱٬۵۰۰ litres از diesel کم کرد") and "۱٬۳۰۰" in persian
    assert "۱۳۹۳" in persian  # the day in the solar calendar too
    arabic = _said(error, "ar")
    assert arabic.startswith("لا يمكن خصم ١٬٥٠٠ litres من diesel") and "١٬٣٠٠" in arabic


def test_a_unit_that_does_not_convert_keeps_the_pure_cores_code_and_values(diesel: SupplyItem) -> None:
    with pytest.raises(InvalidInput) as refused:
        supplies.record_count(item=diesel, on=DAY, quantity=40, unit="jerrycans", by=None)
    error = refused.value
    assert error.code == "unit.not_convertible" and error.field == "unit"
    assert str(error) == (
        "unit: diesel is kept in litres; 40 jerrycans cannot be converted to litres "
        "(record it in litres, or convert it first)"
    )
    assert _said(error, "ar").startswith("يُحفظ diesel بـ litres؛ لا يمكن تحويل ٤٠ jerrycans إلى litres")


def test_a_delivery_decided_twice_is_refused_with_what_the_gate_did_in_words(diesel: SupplyItem) -> None:
    delivery = supplies.request_delivery(site=diesel.site, item="diesel", on=DAY, quantity=200, unit="L", by=None)
    supplies.decide_delivery(delivery, status="blocked", on=DAY, by=None, source="witness", certainty="confirmed")
    with pytest.raises(Conflict) as refused:
        supplies.decide_delivery(delivery, status="allowed", on=DAY, by=None, source="witness", certainty="confirmed")
    error = refused.value
    assert error.code == "delivery.already_decided" and error.values["delivery_status"] == "blocked"
    assert str(error) == f"delivery {delivery.pk} was already recorded as blocked"
    number = str(delivery.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert _said(error, "fa") == f"محمولهٔ {number} از پیش «جلوگیری شد» ثبت شده است"
    assert "«مُنعت»" in _said(error, "ar") and "blocked" not in _said(error, "ar")


def test_an_incident_without_a_description_is_refused_through_the_api_with_its_code_in_arabic(
    users: dict[str, Any], camp: Site
) -> None:
    from corridor.accounts.tokens import issue_token

    token = issue_token(users["coordinator"], by=None, label="test")[1]
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {"site": camp.code, "kind": "obstruction", "resource": "ambulance", "description": " ", "on": "2014-10-12"}
    response = client.post("/api/incidents", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 422, response.content
    error = json.loads(response.content)["error"]
    assert error["reason"] == "incident.no_description" and error["field"] == "description"
    assert error["message"] == "description: صِف ما حدث"
