"""Supply services: each writes its rows and its ledger entry together, or refuses and writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from corridor.errors import Conflict, InvalidInput, NotAllowed
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register import services as register
from corridor.register.models import Patient, Site
from corridor.supplies import actions as supplies
from corridor.supplies import queries
from corridor.supplies.models import Delivery, Dependence, PowerDay, StockRecord, SupplyItem
from corridor.transfers import deaths

pytestmark = pytest.mark.django_db

DAY = dt.date(2014, 8, 13)
EVIDENCE: dict[str, Any] = {"source": "witness", "certainty": "confirmed"}


def _types_since(seq: int) -> list[str]:
    return list(Entry.objects.filter(seq__gt=seq).order_by("seq").values_list("type", flat=True))


@pytest.fixture
def diesel(camp: Site) -> SupplyItem:
    return supplies.define_item(
        site=camp, code="diesel", name="Diesel", category="diesel", unit="L", critical_threshold=500, by=None
    )


def test_defining_an_item_keeps_its_unit_in_canonical_form_and_records_it(camp: Site) -> None:
    before = ledger.head()[0]
    item = supplies.define_item(
        site=camp, code="insulin", name="Insulin", category="medicine", unit="Vials", needs_power=True, by=None
    )
    assert item.unit == "vials" and item.needs_power
    assert _types_since(before) == ["supply.item_defined"]
    entry = Entry.objects.get(seq=before + 1)
    assert entry.subjects == ["site:CAMP-T", "supply:insulin"] and entry.payload["unit"] == "vials"
    with pytest.raises(Conflict):
        supplies.define_item(site=camp, code="insulin", name="Again", category="medicine", unit="vials", by=None)
    with pytest.raises(InvalidInput, match="category"):
        supplies.define_item(site=camp, code="x", name="X", category="gold", unit="bars", by=None)
    assert _types_since(before) == ["supply.item_defined"]


def test_a_count_in_another_unit_of_the_same_kind_is_converted_and_the_report_kept(diesel: SupplyItem) -> None:
    record = supplies.record_count(item=diesel, on=DAY, quantity=2.5, unit="m3", by=None, **EVIDENCE)
    assert record.quantity == 2500
    entry = Entry.objects.get(seq=record.recorded_seq)
    assert entry.type == "supply.counted" and entry.payload["quantity"] == 2500
    assert entry.payload["reported"] == {"quantity": 2.5, "unit": "m3"}
    assert entry.occurred_at.startswith("2014-08-13")


def test_a_count_in_a_unit_that_does_not_convert_is_refused_with_a_clear_error(diesel: SupplyItem) -> None:
    before = ledger.head()[0]
    with pytest.raises(InvalidInput) as refused:
        supplies.record_count(item=diesel, on=DAY, quantity=40, unit="jerrycans", by=None, **EVIDENCE)
    assert refused.value.field == "unit"
    assert "diesel is kept in litres; 40 jerrycans cannot be converted to litres" in str(refused.value)
    assert ledger.head()[0] == before and not StockRecord.objects.exists()


def test_nothing_is_counted_in_the_future(diesel: SupplyItem, settings: Any) -> None:
    settings.TODAY = DAY
    with pytest.raises(InvalidInput, match="after today"):
        supplies.record_count(item=diesel, on=DAY + dt.timedelta(days=1), quantity=1, unit="litres", by=None)


def test_a_negative_adjustment_is_recorded_with_its_reason_and_cannot_take_more_than_there_is(
    diesel: SupplyItem,
) -> None:
    supplies.record_count(item=diesel, on=DAY - dt.timedelta(days=1), quantity=300, unit="litres", by=None)
    with pytest.raises(InvalidInput, match="count it before"):
        supplies.record_adjustment(
            item=diesel, on=DAY - dt.timedelta(days=1), quantity=-1, unit="litres", reason="leak", by=None
        )
    with pytest.raises(InvalidInput, match="reason"):
        supplies.record_adjustment(item=diesel, on=DAY, quantity=-100, unit="litres", reason=" ", by=None)
    before = ledger.head()[0]
    with pytest.raises(InvalidInput, match="at most 300 litres"):
        supplies.record_adjustment(item=diesel, on=DAY, quantity=-301, unit="litres", reason="theft", by=None)
    assert ledger.head()[0] == before
    loss = supplies.record_adjustment(item=diesel, on=DAY, quantity=-0.1, unit="m3", reason="leak", by=None)
    assert loss.quantity == pytest.approx(-100) and loss.kind == "adjustment"
    assert Entry.objects.get(seq=loss.recorded_seq).payload["reason"] == "leak"
    with pytest.raises(InvalidInput, match="at most 200 litres"):
        supplies.record_adjustment(item=diesel, on=DAY, quantity=-250, unit="litres", reason="theft", by=None)


def test_a_delivery_requested_then_partly_allowed_adds_only_what_came_through(diesel: SupplyItem) -> None:
    supplies.record_count(item=diesel, on=DAY - dt.timedelta(days=1), quantity=1000, unit="litres", by=None)
    before = ledger.head()[0]
    delivery = supplies.request_delivery(site=diesel.site, item="diesel", on=DAY, quantity=2000, unit="litres", by=None)
    assert delivery.status == "requested" and delivery.item == diesel
    with pytest.raises(InvalidInput, match="partly allowed"):
        supplies.decide_delivery(delivery, status="allowed", on=DAY, quantity_allowed=500, by=None, **EVIDENCE)
    with pytest.raises(InvalidInput, match="less than the 2000"):
        supplies.decide_delivery(delivery, status="partly_allowed", on=DAY, quantity_allowed=2000, by=None, **EVIDENCE)
    supplies.decide_delivery(
        delivery,
        status="partly_allowed",
        on=DAY,
        quantity_allowed=500,
        reason="one truck of four",
        by=None,
        **EVIDENCE,
    )
    assert _types_since(before) == ["supply.requested", "supply.partly_allowed"]
    decided = Entry.objects.get(type="supply.partly_allowed")
    assert decided.payload["quantity"] == 2000 and decided.payload["quantity_allowed"] == 500
    assert f"delivery:{delivery.pk}" in decided.subjects
    counts, movements = supplies.counts_and_movements(diesel)
    assert [(m.on, m.quantity, m.kind) for m in movements] == [(DAY, 500, "received")]
    with pytest.raises(Conflict, match="already recorded"):
        supplies.decide_delivery(delivery, status="blocked", on=DAY, by=None, **EVIDENCE)


def test_a_blocked_delivery_lets_nothing_through(diesel: SupplyItem) -> None:
    delivery = supplies.request_delivery(site=diesel.site, item=diesel, on=DAY, quantity=2000, unit="litres", by=None)
    with pytest.raises(InvalidInput, match="lets nothing through"):
        supplies.decide_delivery(delivery, status="blocked", on=DAY, quantity_allowed=10, by=None, **EVIDENCE)
    supplies.decide_delivery(delivery, status="blocked", on=DAY, reason="no permit", by=None, **EVIDENCE)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.quantity_allowed, delivery.reason) == ("blocked", 0, "no permit")
    assert Entry.objects.get(seq=int(delivery.decided_seq or 0)).type == "supply.blocked"


def test_the_old_blocked_delivery_call_still_works_for_an_item_or_a_whole_category(
    diesel: SupplyItem,
) -> None:
    entry = supplies.record_blocked_delivery(
        site=diesel.site,
        item="diesel",
        on=DAY,
        quantity=30,
        unit="m3",
        reason="",
        by=None,
        source="publication",
        certainty="unverified",
    )
    assert entry.type == "supply.blocked"
    payload = entry.payload
    assert (payload["site"], payload["item"], payload["date"], payload["quantity"], payload["unit"]) == (
        "CAMP-T",
        "diesel",
        "2014-08-13",
        30000,
        "litres",
    )
    assert payload["reason"] is None
    convoy = supplies.record_blocked_delivery(
        site=diesel.site, item="medicine", on=DAY, quantity=120, unit="boxes", by=None, **EVIDENCE
    )
    assert Delivery.objects.get(pk=convoy.payload["delivery"]).item is None
    assert convoy.payload["category"] == "medicine" and convoy.payload["unit"] == "boxes"
    with pytest.raises(InvalidInput, match="item"):
        supplies.record_blocked_delivery(site=diesel.site, item="gold", on=DAY, by=None, **EVIDENCE)
    with pytest.raises(InvalidInput, match="unit"):
        supplies.record_blocked_delivery(site=diesel.site, item="food", on=DAY, quantity=9, by=None, **EVIDENCE)


def test_roles_who_may_record_what(diesel: SupplyItem, users: dict[str, Any]) -> None:
    with pytest.raises(NotAllowed):
        supplies.record_count(item=diesel, on=DAY, quantity=1, unit="litres", by=users["monitor"])
    with pytest.raises(NotAllowed):
        supplies.define_item(site=diesel.site, code="f", name="F", category="food", unit="rations", by=users["auditor"])
    supplies.record_count(item=diesel, on=DAY, quantity=1, unit="litres", by=users["coordinator"])
    supplies.define_item(site=diesel.site, code="f", name="F", category="food", unit="rations", by=users["admin"])
    # Monitors document what the gate did; clinicians record who depends on what.
    supplies.record_blocked_delivery(site=diesel.site, item="diesel", on=DAY, by=users["monitor"], **EVIDENCE)
    with pytest.raises(NotAllowed):
        supplies.record_blocked_delivery(site=diesel.site, item="diesel", on=DAY, by=users["clinician"], **EVIDENCE)
    delivery = supplies.request_delivery(site=diesel.site, item=diesel, on=DAY, by=users["coordinator"])
    with pytest.raises(NotAllowed):
        supplies.request_delivery(site=diesel.site, item=diesel, on=DAY, by=users["monitor"])
    supplies.decide_delivery(delivery, status="allowed", on=DAY, by=users["monitor"], **EVIDENCE)
    with pytest.raises(NotAllowed):
        supplies.record_adjustment(item=diesel, on=DAY, quantity=-1, unit="litres", reason="x", by=users["outsider"])
    assert Entry.objects.filter(type="supply.counted").values_list("recorded_by", flat=True).get() == "coordinator"


def test_nobody_records_the_stock_power_or_dependences_of_a_site_they_do_not_work_at(
    diesel: SupplyItem, crossing: Any
) -> None:
    from corridor.errors import NotFound

    generator = supplies.add_generator(site=diesel.site, code="GEN-1", fuel=diesel, litres_per_hour=16, by=None)
    patient = register.register_patient(site=diesel.site, code="P-9", registered_on=dt.date(2014, 1, 1), by=None)
    supplies.record_count(item=diesel, on=DAY - dt.timedelta(days=1), quantity=900, unit="L", by=None)
    dependence = supplies.record_dependence(patient=patient, item=diesel, need="dialysis", since=DAY, by=None)
    coordinator, clinician = crossing.users["coordinator"], crossing.users["clinician"]
    before = Entry.objects.count()
    refused = {
        "count": lambda: supplies.record_count(item=diesel, on=DAY, quantity=1, unit="L", by=coordinator),
        "adjustment": lambda: supplies.record_adjustment(
            item=diesel, on=DAY, quantity=-1, unit="L", reason="spilt", by=coordinator
        ),
        "power day": lambda: supplies.record_power_day(generator=generator, on=DAY, hours_run=3, by=coordinator),
        "dependence": lambda: supplies.record_dependence(
            patient=patient, item=diesel, need="oxygen", since=DAY, by=clinician
        ),
        "end of a dependence": lambda: supplies.end_dependence(dependence, on=DAY, reason="moved", by=clinician),
    }
    for what, act in refused.items():
        with pytest.raises(NotFound):  # as if it did not exist, as everywhere else
            act()
        assert Entry.objects.count() == before, what
    assert Dependence.objects.get().until is None and not PowerDay.objects.exists()


def test_a_power_day_stores_only_the_figures_given_and_estimates_hours_from_fuel_only_for_display(
    diesel: SupplyItem,
) -> None:
    generator = supplies.add_generator(site=diesel.site, code="GEN-1", fuel=diesel, litres_per_hour=16, by=None)
    day = supplies.record_power_day(generator=generator, on=DAY, fuel_used=80, by=None)
    # Nobody said how long the generator ran or how long the camp was without power: neither is stored.
    assert (day.hours_run, day.outage_hours, day.fuel_used) == (None, None, 80.0)
    payload = Entry.objects.get(seq=day.recorded_seq).payload
    assert (payload["hours_run"], payload["outage_hours"], payload["fuel_used"]) == (None, None, 80.0)
    assert day.estimated_hours == 5.0  # shown as an estimate, at the generator's burn rate
    told = supplies.record_power_day(generator=generator, on=DAY - dt.timedelta(days=2), outage_hours=19, by=None)
    assert (told.hours_run, told.outage_hours, told.estimated_hours) == (None, 19.0, None)
    ran = supplies.record_power_day(
        generator=generator, on=DAY - dt.timedelta(days=3), hours_run=3, fuel_used=80, by=None
    )
    assert (ran.hours_run, ran.outage_hours, ran.estimated_hours) == (3.0, None, None)  # the hours given win
    with pytest.raises(Conflict):
        supplies.record_power_day(generator=generator, on=DAY, hours_run=3, by=None)
    with pytest.raises(InvalidInput, match="more than a day"):
        supplies.record_power_day(
            generator=generator, on=DAY - dt.timedelta(days=1), hours_run=20, outage_hours=8, by=None
        )
    with pytest.raises(InvalidInput, match="a day has 24 hours"):
        supplies.record_power_day(generator=generator, on=DAY - dt.timedelta(days=1), outage_hours=25, by=None)
    with pytest.raises(InvalidInput, match="the fuel it used or the hours without power"):
        supplies.record_power_day(generator=generator, on=DAY - dt.timedelta(days=1), by=None)
    food = supplies.define_item(site=diesel.site, code="food", name="Food", category="food", unit="rations", by=None)
    with pytest.raises(InvalidInput, match="kept in litres"):
        supplies.add_generator(site=diesel.site, code="GEN-2", fuel=food, litres_per_hour=16, by=None)
    assert PowerDay.objects.count() == 3


def test_the_power_summary_averages_what_was_recorded_and_says_where_hours_are_estimated(diesel: SupplyItem) -> None:
    generator = supplies.add_generator(site=diesel.site, code="GEN-1", fuel=diesel, litres_per_hour=16, by=None)
    supplies.record_power_day(generator=generator, on=DAY, hours_run=4, outage_hours=20, by=None)
    (status,) = queries.power(diesel.site, DAY)
    assert (status.recorded_days, status.recorded_hours_mean, status.hours_estimated) == (1, 4.0, False)
    assert (status.outage_days, status.recorded_outage_mean) == (1, 20.0)
    supplies.record_power_day(generator=generator, on=DAY - dt.timedelta(days=1), fuel_used=128, by=None)
    (status,) = queries.power(diesel.site, DAY)
    # 4 hours recorded and 8 estimated from 128 litres; the outage only on the day it was given.
    assert (status.recorded_days, status.recorded_hours_mean, status.hours_estimated) == (2, 6.0, True)
    assert (status.outage_days, status.recorded_outage_mean) == (1, 20.0)


def test_a_dependence_names_the_supply_and_refuses_the_dead(diesel: SupplyItem, users: dict[str, Any]) -> None:
    patient = register.register_patient(site=diesel.site, code="P-9", registered_on=dt.date(2014, 1, 1), by=None)
    dep = supplies.record_dependence(
        patient=patient, item=diesel, need="dialysis", since=dt.date(2014, 6, 1), by=users["clinician"]
    )
    entry = Entry.objects.get(seq=dep.recorded_seq)
    assert entry.type == "dependence.recorded" and entry.subjects == ["patient:P-9", "supply:diesel"]
    with pytest.raises(Conflict, match="already recorded"):
        supplies.record_dependence(patient=patient, item=diesel, need="dialysis", since=DAY, by=None)
    with pytest.raises(NotAllowed):
        supplies.record_dependence(patient=patient, item=diesel, need="oxygen", since=DAY, by=users["monitor"])
    with pytest.raises(InvalidInput):  # an end, like a start, says who told and how sure it is
        supplies.end_dependence(dep, on=DAY, reason="moved", by=None, source="hearsay", certainty="confirmed")
    ended = supplies.end_dependence(
        dep, on=DAY, reason="moved to a hospital outside", by=None, source="witness", certainty="probable"
    )
    assert Dependence.objects.get().until == DAY
    entry = Entry.objects.get(type="dependence.ended")
    assert (entry.source, entry.certainty) == ("witness", "probable") and ended.until == DAY
    with pytest.raises(Conflict):
        supplies.end_dependence(dep, on=DAY, reason="again", by=None)
    deaths.record_death(patient, on=DAY, circumstances="", by=None, source="witness", certainty="confirmed")
    patient.refresh_from_db()
    assert patient.status == Patient.Status.DECEASED
    with pytest.raises(Conflict):
        supplies.record_dependence(patient=patient, item=diesel, need="dialysis", since=DAY, by=None)


def test_changing_an_item_records_only_what_changed_and_never_its_unit(diesel: SupplyItem) -> None:
    before = ledger.head()[0]
    supplies.change_item(diesel, critical_threshold=800, daily_use_set=120, by=None, reason="ration plan")
    entry = Entry.objects.get(seq=before + 1)
    assert entry.type == "supply.item_changed"
    assert {k: entry.payload[k] for k in ("critical_threshold", "daily_use_set")} == {
        "critical_threshold": 800,
        "daily_use_set": 120,
    }
    with pytest.raises(InvalidInput, match="nothing to change"):
        supplies.change_item(diesel, critical_threshold=800, by=None)
    with pytest.raises(TypeError):
        supplies.change_item(diesel, unit="gallons", by=None)  # type: ignore[call-arg]
