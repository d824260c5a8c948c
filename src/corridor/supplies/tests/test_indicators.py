"""The blockade's indicators in the report catalogue, computed for a month from recorded supplies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from corridor.register.models import Site
from corridor.reports import catalogue
from corridor.reports.core import Period
from corridor.supplies import actions as supplies

pytestmark = pytest.mark.django_db

TODAY = dt.date(2014, 8, 31)
EVIDENCE: dict[str, Any] = {"source": "witness", "certainty": "confirmed"}


@pytest.fixture
def blockade(camp: Site, settings: Any) -> Site:
    """Diesel at 100 litres a day, one delivery of two allowed in August, one partly, then blocked from the 20th."""
    settings.TODAY = TODAY
    diesel = supplies.define_item(site=camp, code="diesel", name="Diesel", category="diesel", unit="litres", by=None)
    supplies.define_item(site=camp, code="insulin", name="Insulin", category="medicine", unit="vials", by=None)
    supplies.record_count(item=diesel, on=dt.date(2014, 7, 31), quantity=3000, unit="litres", by=None)
    for day, status, allowed in ((dt.date(2014, 8, 6), "allowed", None), (dt.date(2014, 8, 13), "partly_allowed", 350)):
        delivery = supplies.request_delivery(site=camp, item=diesel, on=day, quantity=700, unit="litres", by=None)
        supplies.decide_delivery(delivery, status=status, on=day, quantity_allowed=allowed, by=None, **EVIDENCE)
    supplies.record_count(item=diesel, on=dt.date(2014, 8, 14), quantity=3000 + 700 + 350 - 1400, unit="l", by=None)
    supplies.record_blocked_delivery(site=camp, item="diesel", on=dt.date(2014, 8, 20), by=None, **EVIDENCE)
    supplies.record_blocked_delivery(site=camp, item="medicine", on=dt.date(2014, 8, 27), by=None, **EVIDENCE)
    return camp


def test_the_month_has_days_of_autonomy_blockade_days_and_the_share_let_through(blockade: Site) -> None:
    found = catalogue.compute_all(Period.month("2014-08", TODAY), only=["supplies"])
    # 2,650 counted on the 14th at 100 a day: 950 on the 31st, 9.5 days.
    assert found.value("supplies.days_of_autonomy") == pytest.approx(9.5)
    assert found.value("supplies.blockade_days") == 12  # from the 20th (diesel) to the 31st
    # Four answered: allowed (1), half let through (0.5), two blocked (0); the convoy counts once.
    assert found.value("supplies.share_allowed") == pytest.approx(100 * 1.5 / 4)
    (table,) = [t for t in found.tables() if t.code == "supplies.by_item"]
    by_item = {r["item"]: r for r in table.as_dicts()}
    assert set(by_item) == {"diesel", "insulin"} and by_item["diesel"]["stock"] == 950
    assert by_item["diesel"]["blockade_days"] == 12 and by_item["diesel"]["share_allowed"] == pytest.approx(50.0)
    assert by_item["insulin"]["blockade_days"] == 5 and by_item["insulin"]["days_of_autonomy"] is None


def test_a_month_before_the_blockade_has_none(blockade: Site) -> None:
    found = catalogue.compute_all(Period.month("2014-07", TODAY), only=["supplies"])
    assert found.value("supplies.blockade_days") == 0 and found.value("supplies.share_allowed") is None
