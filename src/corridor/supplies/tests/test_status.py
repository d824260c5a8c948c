"""Status, alerts, patients at risk, power and the month's figures, read back from recorded supplies."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from click.testing import CliRunner

from corridor.cli import cli
from corridor.register import services as register
from corridor.register.models import Site
from corridor.supplies import actions as supplies
from corridor.supplies import queries, wording
from corridor.supplies.models import SupplyItem
from corridor.transfers import deaths

pytestmark = pytest.mark.django_db

START = dt.date(2014, 8, 3)  # a Sunday
TODAY = dt.date(2014, 8, 31)
EVIDENCE: dict[str, Any] = {"source": "witness", "certainty": "confirmed"}


@pytest.fixture
def stocked(camp: Site, settings: Any) -> dict[str, SupplyItem]:
    """Diesel used at 100 litres a day and blocked from the 13th; insulin (kept cold) never counted twice."""
    settings.TODAY = TODAY
    diesel = supplies.define_item(
        site=camp, code="diesel", name="Diesel", category="diesel", unit="litres", critical_threshold=1500, by=None
    )
    insulin = supplies.define_item(
        site=camp, code="insulin", name="Insulin", category="medicine", unit="vials", needs_power=True, by=None
    )
    supplies.add_generator(site=camp, code="GEN-1", fuel=diesel, litres_per_hour=10, by=None)
    stock = 2300.0
    for offset in range(0, 28, 7):
        day = START + dt.timedelta(days=offset)
        if offset:
            stock -= 700
        if offset == 7:  # the 10th: a delivery still let through
            delivery = supplies.request_delivery(site=camp, item=diesel, on=day, quantity=700, unit="litres", by=None)
            supplies.decide_delivery(delivery, status="allowed", on=day, by=None, **EVIDENCE)
            stock += 700
        supplies.record_count(item=diesel, on=day, quantity=stock, unit="litres", by=None)
    for day in (dt.date(2014, 8, 13), dt.date(2014, 8, 20), dt.date(2014, 8, 27)):
        supplies.record_blocked_delivery(
            site=camp, item="diesel", on=day, quantity=700, unit="litres", by=None, **EVIDENCE
        )
    supplies.record_count(item=insulin, on=START, quantity=40, unit="vials", by=None)
    supplies.record_blocked_delivery(site=camp, item="medicine", on=dt.date(2014, 8, 20), by=None, **EVIDENCE)
    return {"diesel": diesel, "insulin": insulin}


def test_the_status_gives_stock_days_run_out_and_blockade_start_per_item(stocked: dict[str, SupplyItem]) -> None:
    rows = {r.code: r for r in queries.status(stocked["diesel"].site, TODAY)}
    diesel = rows["diesel"]
    # Counted 900 on the 24th, 100 a day since: 200 at the close of the 31st, two days left.
    assert diesel.last_count_on == dt.date(2014, 8, 24) and diesel.last_count == 900
    assert diesel.daily_use == pytest.approx(100)
    assert diesel.stock == pytest.approx(200)
    assert diesel.days_of_autonomy == pytest.approx(2)
    assert diesel.run_out_date == dt.date(2014, 9, 2)
    assert diesel.blocked_since == dt.date(2014, 8, 13) and diesel.blockade_days == 19
    assert diesel.level == "critical" and len(diesel.alerts) == 2
    insulin = rows["insulin"]
    assert insulin.days_of_autonomy is None and insulin.use_basis == "none" and insulin.level == "unknown"
    assert insulin.blocked_since == dt.date(2014, 8, 20)  # the medicine convoy counts against each medicine
    notes = [wording.english(note) for note in insulin.notes]
    assert any("no consumption recorded" in note for note in notes)
    assert "needs power: the fuel (diesel) runs out about 2014-09-02, before it" in notes


def test_alerts_follow_the_configured_number_of_days(stocked: dict[str, SupplyItem], settings: Any) -> None:
    site = stocked["diesel"].site
    supplies.change_item(stocked["diesel"], critical_threshold=None, by=None)
    settings.AUTONOMY_ALERT_DAYS = 2
    assert queries.alerts(site, TODAY) == []
    assert queries.status(site, TODAY)[0].level == "low"  # under twice the alert days
    settings.AUTONOMY_ALERT_DAYS = 3
    (alert,) = queries.alerts(site, TODAY)
    assert alert.item == "diesel" and "less than 3 days" in alert.message and "2014-09-02" in alert.message


def test_patients_on_power_or_on_a_cold_medicine_are_at_risk_from_the_fuel_run_out(
    stocked: dict[str, SupplyItem],
) -> None:
    site = stocked["diesel"].site

    def patient(code: str, **extra: Any) -> Any:
        return register.register_patient(site=site, code=code, registered_on=START, by=None, **extra)

    cold = patient("P-1")
    supplies.record_dependence(
        patient=cold, item=stocked["insulin"], need="refrigerated_medicine", since=START, by=None
    )
    patient("P-2", depends_on_power=True)  # flagged, nothing recorded: depends on the fuel
    dead = patient("P-3")
    supplies.record_dependence(patient=dead, item=stocked["diesel"], need="dialysis", since=START, by=None)
    deaths.record_death(dead, on=dt.date(2014, 8, 30), by=None, **EVIDENCE)
    patient("P-4")
    risks = {r.patient: r for r in queries.patients_at_risk(site, TODAY)}
    assert set(risks) == {"P-1", "P-2"}
    assert risks["P-1"].depends_on == ("diesel", "insulin") and risks["P-1"].explicit
    assert risks["P-1"].at_risk_from == dt.date(2014, 9, 2) and risks["P-1"].first_short == "diesel"
    assert risks["P-1"].blocked_since == dt.date(2014, 8, 13)
    assert risks["P-2"].needs == ("power",) and not risks["P-2"].explicit


def test_generator_hours_come_from_the_fuel_used(stocked: dict[str, SupplyItem]) -> None:
    (generator,) = queries.power(stocked["diesel"].site, TODAY)
    assert generator.hours_per_day == pytest.approx(10) and generator.outage_hours_per_day == pytest.approx(14)


def test_the_month_figures_count_blockade_days_and_the_share_allowed(stocked: dict[str, SupplyItem]) -> None:
    figures = {f.item: f for f in queries.month_figures(stocked["diesel"].site, 2014, 8, TODAY)}
    diesel = figures["diesel"]
    assert diesel.blockade_days == 19  # the 13th to the 31st
    assert diesel.deliveries_decided == 4 and diesel.share_allowed == pytest.approx(0.25)
    assert diesel.quantity_requested == 4 * 700 and diesel.quantity_allowed == 700
    assert figures["insulin"].blockade_days == 12 and figures["insulin"].share_allowed == 0
    assert queries.month_figures(stocked["diesel"].site, 2014, 7, TODAY)[0].blockade_days == 0


def test_the_command_prints_the_status_and_its_json(stocked: dict[str, SupplyItem]) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["supplies", "status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    diesel = next(i for i in data["items"] if i["code"] == "diesel")
    assert {k: diesel[k] for k in ("stock", "unit", "days_of_autonomy", "run_out_date", "blocked_since")} == {
        "stock": 200.0,
        "unit": "litres",
        "days_of_autonomy": 2.0,
        "run_out_date": "2014-09-02",
        "blocked_since": "2014-08-13",
    }
    assert data["today"] == "2014-08-31" and data["alerts"][0]["item"] == "diesel"
    assert data["power"][0]["generator"] == "GEN-1" and data["power"][0]["hours_per_day"] == pytest.approx(10)
    text = runner.invoke(cli, ["supplies", "status"])
    assert text.exit_code == 0 and "diesel" in text.output and "2014-09-02" in text.output
    assert "GEN-1: about 10.0 hours a day on the fuel used, 14.0 without power" in text.output
    month = runner.invoke(cli, ["supplies", "month", "2014-08", "--json"])
    assert month.exit_code == 0 and json.loads(month.output)[0]["blockade_days"] == 19


def test_the_command_refuses_a_bad_date_or_site_in_one_line(stocked: dict[str, SupplyItem]) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["supplies", "status", "--today", "31/08/2014"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output and "Traceback" not in bad.output
    unknown = runner.invoke(cli, ["supplies", "status", "--site", "NOWHERE"])
    assert unknown.exit_code == 2 and "no site 'NOWHERE'" in unknown.output
    month = runner.invoke(cli, ["supplies", "month", "August"])
    assert month.exit_code == 2 and "YYYY-MM" in month.output


def test_the_supply_alerts_job_names_the_alerts_of_the_askers_sites_only(
    stocked: dict[str, SupplyItem], users: dict[str, Any], crossing: Any
) -> None:
    from corridor.jobs import kinds

    def alerts(by: Any) -> list[str]:
        return list(kinds.supply_alerts({}, by, lambda fraction, text, data=None, **values: None)().data["alerts"])

    camp = stocked["diesel"].site.code
    everywhere = alerts(None)  # the schedule's own run covers every site
    assert everywhere and all(line.startswith(f"{camp}: ") for line in everywhere)
    assert alerts(users["coordinator"]) == everywhere
    assert alerts(crossing.users["coordinator"]) == []  # the camp's diesel is none of the crossing's business
