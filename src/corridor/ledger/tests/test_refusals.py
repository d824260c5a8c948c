"""The ledger's refusals carry a code and named values, and are said in the reader's language."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from corridor.errors import Conflict, InvalidInput, NotFound
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


def test_reading_withheld_text_of_an_entry_that_holds_none_is_refused_with_its_number_in_local_digits(
    users: dict[str, Any],
) -> None:
    from corridor.ledger import withheld

    entry = ledger.append(
        "gate.held",
        by="coordinator-1",
        subjects=["trip:7"],
        payload={"date": "2014-10-11"},
        source="witness",
        certainty="confirmed",
    )
    with pytest.raises(NotFound) as refused:
        withheld.read_text(entry.seq, by=users["auditor"], purpose="checking the monthly report")
    error = refused.value
    assert error.code == "withheld.nothing_withheld" and error.values == {"seq": entry.seq}
    assert str(error) == f"ledger entry {entry.seq} holds no withheld text"
    digits = {"fa": "۰۱۲۳۴۵۶۷۸۹", "ar": "٠١٢٣٤٥٦٧٨٩"}
    local = {language: str(entry.seq).translate(str.maketrans("0123456789", d)) for language, d in digits.items()}
    assert _said(error, "fa") == f"مورد {local['fa']} دفتر ثبت متن پنهانی ندارد"
    assert _said(error, "ar") == f"القيد {local['ar']} في السجل لا يحوي نصًّا محجوبًا"


def test_asking_for_a_checkpoint_never_signed_is_refused_with_its_size_in_local_digits() -> None:
    from corridor.ledger import evidence

    with pytest.raises(NotFound) as refused:
        evidence.checkpoint_of_size(1250)
    error = refused.value
    assert error.code == "evidence.no_checkpoint_of_size" and error.values == {"size": 1250}
    assert str(error) == "no checkpoint of 1250 entries has been signed"
    assert "۱" in _said(error, "fa") and "1250" not in _said(error, "fa")
    assert _said(error, "fa").startswith("هیچ نقطهٔ بازبینی‌ای از ") and _said(error, "fa").endswith(
        " مورد امضا نشده است"
    )
    assert "١" in _said(error, "ar") and _said(error, "ar").startswith("لم تُوقَّع أي نقطة تحقق تشمل ")


def test_an_entry_already_retracted_or_a_retraction_is_not_fixed_again_and_nothing_is_written() -> None:
    said = ledger.append("rules.changed", by="coordinator-1", subjects=["site:CAMP-1"], payload={"notes": "4 a day"})
    evidence: dict[str, Any] = {"by": "coordinator-1", "source": "witness", "certainty": "confirmed"}
    retraction = ledger.correct(said.seq, reason="another camp's rules", changes={}, retract=True, **evidence)
    head = ledger.head()
    for seq, retract, code in (
        (said.seq, True, "ledger.already_retracted"),
        (said.seq, False, "ledger.already_retracted"),
        (retraction.seq, True, "ledger.retraction_final"),
        (retraction.seq, False, "ledger.retraction_final"),
    ):
        with pytest.raises(Conflict) as refused:
            ledger.correct(
                seq, reason="said again", changes={} if retract else {"notes": "3 a day"}, retract=retract, **evidence
            )
        assert refused.value.code == code
        if code == "ledger.already_retracted":  # the retraction is named, so the reader can go and read it
            assert refused.value.values == {"seq": said.seq, "by": retraction.seq}
    assert ledger.head() == head
