"""The demo camp: reproducible, idempotent, and carrying the published case histories."""

from __future__ import annotations

import datetime as dt

import pytest

from corridor import clock
from corridor.errors import Conflict
from corridor.ledger import sealing
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register.models import Patient, Referral, Scenario
from corridor.scenarios import build_demo, loader
from corridor.transfers.models import Trip, TripCompanion


def test_the_shipped_demo_file_is_exactly_what_the_seeded_generator_builds() -> None:
    assert build_demo.path().read_text(encoding="utf-8") == build_demo.dumps(build_demo.build())


def test_the_generator_gives_a_different_camp_for_another_seed() -> None:
    assert build_demo.build(seed=1)["actions"] != build_demo.build()["actions"]


@pytest.mark.django_db
@pytest.mark.slow
def test_the_demo_loads_once_and_a_second_load_changes_nothing(settings: object) -> None:
    first = loader.load("demo-camp")
    counts = (Patient.objects.count(), Referral.objects.count(), Trip.objects.count(), Entry.objects.count())
    second = loader.load("demo-camp")
    assert first.loaded and not second.loaded
    assert (Patient.objects.count(), Referral.objects.count(), Trip.objects.count(), Entry.objects.count()) == counts
    assert second.entries == first.entries
    assert ledger.verify().ok
    texts = sealing.check_texts()  # every committed text of the demo is sealed apart and matches
    assert texts.problems == [] and texts.matched > 0 and texts.erased == 0

    # About 3,000 residents, a few hundred referrals across all classes, 6–8 hospitals.
    waiting = Referral.objects.filter(status="waiting")
    assert 150 <= waiting.count() <= 600
    assert set(waiting.values_list("priority__code", flat=True)) >= {"P2", "P3", "P4"}
    assert 6 <= len({f for f in Referral.objects.values_list("eligible_facilities__code", flat=True)}) <= 8
    assert Scenario.objects.get(name="demo-camp").today == dt.date(2014, 10, 14)
    settings.TODAY = None  # type: ignore[attr-defined]
    assert clock.today() == dt.date(2014, 10, 14)

    # The case histories, from publications, unverified.
    one = ledger.entries_about("patient:P-0001")
    cancelled = [e for e in one if e.type == "trip.cancelled"]
    assert len(cancelled) == 6 and {e.source for e in cancelled} == {"publication"}
    seen = [e for e in one if e.type == "patient.seen"]
    assert seen[0].payload["date"] == "2014-05-15" and "metastatic" in seen[0].payload["note"]
    assert Referral.objects.get(patient__code="P-0001", specialty="orthopaedics").referral_date == dt.date(2014, 4, 5)
    # First seen, cancer found, treatment never started: in care, not treated; the oncology referral waits.
    first_visit = Referral.objects.get(patient__code="P-0001", specialty="orthopaedics")
    assert (first_visit.status, first_visit.closed_on) == ("in_care", None)
    assert Patient.objects.get(code="P-0001").status == "in_treatment"
    assert Referral.objects.get(patient__code="P-0001", specialty="oncology").status == "waiting"
    # The reported cardiac patient: interpreter and nurse refused on every trip asked.
    refused = TripCompanion.objects.filter(role__in=("interpreter", "nurse"), answer__in=("rejected", "substituted"))
    assert refused.count() >= 4 and refused.values("for_patient").distinct().count() == 1
    cardiac = refused.first()
    assert cardiac is not None and cardiac.for_patient.referrals.filter(specialty="cardiology").exists()
    assert not TripCompanion.objects.filter(role="interpreter", answer="approved").exists()
    eyes = Referral.objects.get(patient__code="P-0002")
    assert (dt.date(2014, 10, 14) - eyes.referral_date).days >= 730 and eyes.status == "waiting"
    held = Trip.objects.get(date=dt.date(2014, 10, 11), passengers__patient__code="P-0003")
    assert held.hours_held == 3.5 and held.arrived_late
    died = Entry.objects.get(type="patient.died", subject_rows__key="patient:P-0004")
    assert died.payload["date"] == "2014-09-18" and died.payload["after_denied_care"]
    assert (died.source, died.certainty) == ("publication", "unverified")
    fuel = Entry.objects.filter(type="supply.blocked", body__contains='"diesel"').order_by("occurred_at")
    assert fuel.first() is not None and fuel.first().occurred_at.startswith("2014-08-13")  # type: ignore[union-attr]
    food = Entry.objects.filter(type="supply.blocked", body__contains='"food"').order_by("occurred_at")
    assert food.first().occurred_at.startswith("2014-08-20")  # type: ignore[union-attr]
    # The blockade: fuel and medicine run down from their first blocked delivery, and who is at risk shows.
    from corridor.supplies import queries as supplies
    from corridor.supplies.models import StockRecord, SupplyItem

    site = SupplyItem.objects.get(code="diesel").site
    status = {s.code: s for s in supplies.status(site, dt.date(2014, 10, 14))}
    diesel, insulin = status["diesel"], status["insulin"]
    assert diesel.blocked_since == dt.date(2014, 8, 13) and insulin.blocked_since == dt.date(2014, 8, 20)
    assert diesel.level == "critical" and diesel.run_out_date and diesel.run_out_date.month == 10
    assert insulin.run_out_date and insulin.run_out_date <= dt.date(2014, 11, 14)
    fuel_counts = StockRecord.objects.filter(item__code="diesel", kind="count", on__gte=dt.date(2014, 8, 13))
    levels = list(fuel_counts.order_by("on").values_list("quantity", flat=True))
    assert levels[0] > 5 * levels[-1] and all(a >= b for a, b in zip(levels, levels[1:], strict=False))
    risks = {r.patient: r for r in supplies.patients_at_risk(site, dt.date(2014, 10, 14))}
    assert risks["P-0003"].at_risk_from == diesel.run_out_date and not risks["P-0003"].explicit
    assert any(r.needs == ("refrigerated_medicine",) and "diesel" in r.depends_on for r in risks.values())
    assert not StockRecord.objects.filter(synthetic=False).exists()
    # Synthetic records say so.
    assert Patient.objects.filter(synthetic=True).count() == Patient.objects.count() - 4
    assert Trip.objects.filter(synthetic=False).count() == 10  # the case histories' own trips


@pytest.mark.django_db
def test_a_changed_file_under_a_loaded_name_is_refused(tmp_path: object) -> None:
    import json
    from pathlib import Path

    Scenario.objects.create(name="demo-camp", checksum="0" * 64, loaded_seq=1)
    Entry.objects.none()
    path = Path(str(tmp_path)) / "demo.json"
    path.write_text(json.dumps({"format": "corridor-scenario/1", "name": "demo-camp"}))
    with pytest.raises(Conflict, match="another version"):
        loader.load(str(path))


@pytest.mark.django_db
def test_an_event_without_its_own_time_is_placed_on_the_scenarios_date(settings: object) -> None:
    settings.TODAY = dt.date(2014, 10, 14)  # type: ignore[attr-defined]
    entry = ledger.append("incident.recorded", by="tester", payload={"note": "seen at the gate"})
    assert entry.occurred_at.startswith("2014-10-14T")
    assert not entry.recorded_at.startswith("2014-")  # when it was really written down
