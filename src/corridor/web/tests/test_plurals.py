"""Counts are written with the language's own plural forms: no "1 days", no "hospital(s)".

Arabic has six forms (zero, one, two, a few, many, other), Persian and English two.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import ngettext

from corridor.register.models import PriorityClass
from corridor.reports.monthly import priority_name

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
DAYS = ("%(n)s day", "%(n)s days")


def _days(language: str, n: int) -> str:
    with translation.override(language):
        return ngettext(*DAYS, n) % {"n": n}


def test_arabic_counts_of_days_take_the_forms_for_one_two_eleven_and_a_hundred():
    assert _days("ar", 1) == "يوم واحد"
    assert _days("ar", 2) == "يومين"
    assert _days("ar", 3) == "3 أيام"
    assert _days("ar", 11) == "11 يومًا"
    assert _days("ar", 100) == "100 يوم"
    assert len({_days("ar", n) for n in (1, 2, 3, 11, 100)}) == 5


def test_persian_and_english_counts_of_days_take_their_two_forms():
    assert (_days("en", 1), _days("en", 2)) == ("1 day", "2 days")
    assert (_days("fa", 1), _days("fa", 2)) == ("1 روز", "2 روز")


def test_the_arabic_catalogue_declares_six_plural_forms():
    with translation.override("ar"):
        catalog = translation.trans_real.translation("ar")
        assert catalog.plural(0) == 0
        assert [catalog.plural(n) for n in (1, 2, 3, 11, 100)] == [1, 2, 3, 4, 5]


def _plan_sentence(opening: str) -> str:
    """One of the plan page's own sentences, cut out of its template so the test renders what ships."""
    plan = (TEMPLATES / "corridor" / "plan" / "plan.html").read_text(encoding="utf-8")
    found = re.search(re.escape("{% blocktranslate with " + opening) + r".*?{% endblocktranslate %}", plan)
    assert found, f"the plan page no longer has its sentence opening {opening!r}"
    return "{% load i18n corridor %}" + found.group(0)


def _rules_sentence() -> str:
    return _plan_sentence("n=payload.rules")


@pytest.mark.parametrize(
    ("language", "hospitals", "expected"),
    [
        ("en", 1, "Rules in force: 4 patients a day, 1 hospital a day."),
        ("en", 2, "Rules in force: 4 patients a day, 2 hospitals a day."),
        ("ar", 1, "القواعد السارية: ٤ من المرضى ومستشفى واحد في اليوم."),
        ("ar", 2, "القواعد السارية: ٤ من المرضى ومستشفيان في اليوم."),
        ("ar", 11, "القواعد السارية: ٤ من المرضى و١١ مستشفًى في اليوم."),
        ("ar", 100, "القواعد السارية: ٤ من المرضى و١٠٠ مستشفى في اليوم."),
    ],
)
def test_the_plans_rules_count_hospitals_in_the_languages_plural(language, hospitals, expected):
    rules = {"max_patients_per_day": 4, "max_facilities_per_day": hospitals}
    with translation.override(language):
        assert Template(_rules_sentence()).render(Context({"payload": {"rules": rules}})) == expected


def test_a_priority_class_with_a_one_day_deadline_reads_one_day_in_the_report():
    emergency = PriorityClass(code="P1", name="emergency", deadline_days=1, weight=8, rank=1)
    assert priority_name(emergency, "en") == "emergency (1 day)"
    assert priority_name(emergency, "ar") == "طارئة (يوم واحد)"
    soon = PriorityClass(code="P3", name="soon", deadline_days=30, weight=2, rank=3)
    assert priority_name(soon, "en") == "soon (30 days)"
    assert priority_name(soon, "ar") == "قريبة (٣٠ يومًا)"


def _used_up_sentence() -> str:
    return _plan_sentence("trips=payload.booked")


@pytest.mark.parametrize(
    ("language", "patients", "expected"),
    [
        ("en", 1, "already take 1 patient place and"),
        ("en", 4, "already take 4 patient places and"),
        ("ar", 1, "مكان المريض الوحيد (١)"),
        ("ar", 2, "مكانَي المريضين (٢)"),
        ("ar", 4, "٤ أماكن للمرضى"),
        ("ar", 11, "١١ مكانًا للمرضى"),
        ("ar", 100, "١٠٠ مكان للمرضى"),
    ],
)
def test_a_used_up_day_counts_its_patient_places_in_the_languages_plural(language, patients, expected):
    booked = {"trips": ["T-0001"], "patients": patients, "used_up": True}
    with translation.override(language):
        shown = Template(_used_up_sentence()).render(Context({"payload": {"booked": booked}}))
    assert expected in shown and "(s)" not in shown and '<bdi class="code">T-0001</bdi>' in shown
