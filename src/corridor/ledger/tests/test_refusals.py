"""The ledger's refusals carry a code and named values, and are said in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from corridor.errors import InvalidInput, NotFound
from corridor.ledger import services as ledger
from corridor.refusals import in_language

pytestmark = pytest.mark.django_db


def _said(error: Exception, language: str) -> str:
    assert isinstance(error, InvalidInput | NotFound)
    with translation.override(language):
        return in_language(error)


def test_an_unknown_event_type_is_refused_with_its_code_and_said_in_persian_and_arabic() -> None:
    with pytest.raises(InvalidInput) as refused:
        ledger.append("patient.teleported", by="coordinator-1", subjects=["patient:P-0001"])
    error = refused.value
    assert error.code == "ledger.unknown_type" and error.field == "type"
    assert error.values == {"type": "patient.teleported"}
    assert str(error) == "type: unknown event type 'patient.teleported'; see the catalogue in docs/ledger.md"
    assert _said(error, "fa") == "نوع رویداد ناشناخته 'patient.teleported'؛ فهرست رویدادها را در docs/ledger.md ببینید"
    assert _said(error, "ar") == "نوع حدث غير معروف 'patient.teleported'؛ انظر قائمة الأحداث في docs/ledger.md"


def test_a_correction_of_an_entry_that_does_not_exist_is_refused_with_its_number_in_local_digits() -> None:
    with pytest.raises(NotFound) as refused:
        ledger.correct(
            123456,
            by="coordinator-1",
            reason="the date was misread",
            changes={"day": 3},
            source="witness",
            certainty="confirmed",
        )
    error = refused.value
    assert error.code == "ledger.no_entry" and error.values == {"seq": 123456}
    assert str(error) == "there is no ledger entry 123456"
    assert _said(error, "fa") == "مورد ۱۲۳۴۵۶ در دفتر ثبت نیست"
    assert _said(error, "ar") == "لا يوجد القيد ١٢٣٤٥٦ في السجل"
