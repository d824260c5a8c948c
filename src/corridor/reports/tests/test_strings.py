"""The reports' words come from the gettext catalogues, with the plural form each count needs, and their
numbers and dates from the one formatting layer."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from corridor import vocabulary
from corridor.reports import strings


def _waited(days: int, language: str) -> str:
    return strings.tr("dossier.waited", language, n=days, days=strings.number(days, language))


def test_days_waited_take_the_arabic_plural_form_of_their_count() -> None:
    # One and two are said in words (a dual), three to ten take the plural, eleven to ninety-nine the
    # singular in the accusative, a hundred the singular.
    assert _waited(1, "ar") == "يوم واحد حتى الآن"
    assert _waited(2, "ar") == "يومان حتى الآن"
    assert _waited(3, "ar") == "٣ أيام حتى الآن"
    assert _waited(11, "ar") == "١١ يومًا حتى الآن"
    assert _waited(100, "ar") == "١٠٠ يوم حتى الآن"


def test_days_waited_read_in_persian_and_english_for_one_and_two() -> None:
    assert _waited(1, "fa") == "تاکنون ۱ روز" and _waited(2, "fa") == "تاکنون ۲ روز"
    assert _waited(1, "en") == "1 day so far" and _waited(2, "en") == "2 days so far"


def test_the_count_of_incidents_agrees_with_its_noun() -> None:
    one = strings.tr("summary.incidents", "en", n=1, total="1", kinds="Permit denied 1")
    assert one == "1 obstruction incident was recorded: Permit denied 1."
    assert strings.tr("summary.incidents", "ar", n=2, total="٢", kinds="—") == "سُجّل حادثا عرقلة: —."
    assert strings.tr("summary.incidents", "ar", n=5, total="٥", kinds="—") == "سُجّلت ٥ حوادث عرقلة: —."


@pytest.mark.parametrize("language", ["fa", "ar"])
def test_every_word_of_the_reports_is_translated_by_the_catalogue(language: str) -> None:
    untranslated = [key for key in strings.MESSAGES if strings.tr(key, language) == strings.tr(key, "en")]
    # Headings that are the same in every language: a name of a standard, not a word.
    assert not [key for key in untranslated if re.search(r"[a-z]{3}", strings.tr(key, "en"))], untranslated
    assert all(strings.translate(p, language) != strings.translate(p, "en") for p in strings.METHODS)


def test_a_report_is_written_in_its_own_language_whatever_the_interface_is_in() -> None:
    with translation.override("ar"):
        assert strings.tr("report.title", "fa") == "دسترسی به درمان بیمارستانی: گزارش ماهانه"
        assert translation.get_language() == "ar"


def test_a_code_reads_in_a_report_as_on_every_screen() -> None:
    for kind, name in strings.VOCABULARY.items():
        for code in vocabulary.codes(name):
            for language in strings.LANGUAGES:
                assert strings.label(kind, code, language) == vocabulary.label(name, code, language), (kind, code)


def test_a_date_does_not_break_across_lines_and_is_written_in_the_languages_digits() -> None:
    day = dt.date(2014, 10, 14)
    assert strings.date(day, "en") == "14\u00a0October\u00a02014"
    assert strings.date(day, "fa") == "۱۴\u00a0اکتبر\u00a0۲۰۱۴"
    assert strings.month(day, "ar") == "أكتوبر\u00a0٢٠١٤"
    assert strings.jalali(day) == "۲۲\u00a0مهر\u00a0۱۳۹۳"
    assert strings.number(12.5, "fa", 1, percent=True) == "۱۲٫۵٪" and strings.number(None, "ar") == "—"


def test_a_range_and_a_quantity_are_isolated_in_right_to_left_text_only() -> None:
    low, high = strings.number(6.8, "ar", 1), strings.number(7.3, "ar", 1)
    assert strings.span(low, high, "ar") == "\u2068٦٫٨–٧٫٣\u2069"  # read as one run: never "7.3–6.8"
    assert strings.span("6.8", "7.3", "en") == "6.8–7.3"
    period = strings.span(strings.jalali(dt.date(2014, 10, 1)), strings.jalali(dt.date(2014, 10, 31)), "fa")
    assert period == "\u2068۹\u00a0مهر\u00a0۱۳۹۳ – ۹\u00a0آبان\u00a0۱۳۹۳\u2069"
    assert strings.unit("۴۰", "L", "fa") == "\u2068۴۰\u00a0L\u2069" and strings.unit("40", "boxes", "en") == "40 boxes"


def test_a_trip_counts_its_patients_in_the_form_the_number_needs() -> None:
    def denied(patients: int, language: str) -> str:
        count = strings.number(patients, language)
        return strings.tr("what.permit_denied", language, n=patients, place="H-01", patients=count)

    assert denied(1, "en").endswith("carrying 1 patient.") and denied(3, "en").endswith("carrying 3 patients.")
    assert denied(1, "ar").endswith("تقل مريضًا واحدًا.") and denied(2, "ar").endswith("تقل مريضَين.")
    assert denied(3, "ar").endswith("تقل ٣ مرضى.") and denied(12, "ar").endswith("تقل ١٢ مريضًا.")
    assert denied(2, "fa") == "مقامات مجوز سفر ۲ بیمار به H-01 را رد کردند."
