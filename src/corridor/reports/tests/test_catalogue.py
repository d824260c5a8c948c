"""The catalogue: what docs/indicators.md says is what the code computes, and other modules can join it."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from corridor.reports import catalogue, exports, strings
from corridor.reports.catalogue import Indicator, Result, Value
from corridor.reports.core import Column, Period, Table

DOCS = Path(__file__).resolve().parents[4] / "docs"


def test_every_indicator_and_section_reads_in_english_persian_and_arabic() -> None:
    assert len(catalogue.indicators()) > 30 and len(catalogue.sections()) > 5
    for language in ("fa", "ar"):
        for section in catalogue.sections():
            assert re.search(r"[\u0600-\u06FF]", strings.title(section, language)), (section.code, language)
        for indicator in catalogue.indicators():
            title, definition = strings.title(indicator, language), strings.definition(indicator, language)
            # gettext gives the English back for a message it lacks: that would pass a length test, not this one.
            assert re.search(r"[\u0600-\u06FF]", title) and re.search(r"[\u0600-\u06FF]", definition), (
                indicator.code,
                language,
            )
    assert strings.title(catalogue.indicator("requests.total"), "en") == "Requests"


def test_the_catalogue_imports_no_django_so_it_translates_nothing_itself() -> None:
    # Titles are translated at the edge (reports.strings); the registry stays importable without Django.
    code = "import sys, corridor.reports.catalogue; print(sorted(m for m in sys.modules if m.startswith('django')))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_every_export_column_is_documented_with_its_hxl_hashtag() -> None:
    text = (DOCS / "exports.md").read_text(encoding="utf-8")
    for columns in (
        exports.REFERRAL_COLUMNS,
        exports.TRIP_COLUMNS,
        exports.INCIDENT_COLUMNS,
        exports.INDICATOR_COLUMNS,
    ):
        for column in columns:
            assert f"| `{column.name}` | `{column.hxl}` |" in text, column.name


@pytest.fixture
def autonomy() -> Any:
    """An indicator another module registers, as the blockade's days of autonomy will."""

    def compute(period: Period) -> Result:
        table = Table("supplies.by_supply", [Column("category", "label"), Column("days", "days")], [["diesel", 3.5]])
        table.indicator = "test.days_of_autonomy"
        return Result({"test.days_of_autonomy": Value(3.5)}, [table])

    indicator = Indicator(
        code="test.days_of_autonomy",
        section="test_supplies",
        title="Days of autonomy",
        definition="How long the stock lasts.",
        formula="stock / daily use",
        unit="days",
        breakdowns=("supply",),
        source="a test",
    )
    catalogue.register(indicator, compute=compute)
    yield indicator
    catalogue.unregister(indicator.code)


def test_another_module_adds_an_indicator_with_one_call_and_it_is_computed_with_the_rest(
    autonomy: Indicator, db: Any
) -> None:
    found = catalogue.compute_all(Period.month("2014-10", dt.date(2014, 10, 14)))
    assert found.value("test.days_of_autonomy") == 3.5
    assert any(t.code == "supplies.by_supply" for t in found.tables())
    assert [s.code for s in catalogue.sections()][-1] == "test_supplies"


def test_an_indicator_cannot_be_registered_twice_or_return_what_it_did_not_declare(
    autonomy: Indicator, db: Any
) -> None:
    with pytest.raises(ValueError, match="already registered"):
        catalogue.register(autonomy, compute=lambda period: Result())
    bad = Indicator("test.bad", "test_supplies", "Bad", "x", "x", "x", (), "x")
    catalogue.register(bad, compute=lambda period: Result())
    try:
        with pytest.raises(RuntimeError, match="test.bad"):
            catalogue.compute_all(Period.month("2014-10", dt.date(2014, 10, 14)))
    finally:
        catalogue.unregister("test.bad")
