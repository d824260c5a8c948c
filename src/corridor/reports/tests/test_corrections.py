"""Every indicator counts the ledger's entries as they stand after corrections; retracted ones not at all.

Each test records through the services (the October 2014 fixture), then corrects or retracts one entry
through the ledger's ``correct`` service, as the API does, and reads the monthly indicators again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from corridor.ledger import consequences
from corridor.ledger import services as ledger
from corridor.reports import catalogue
from corridor.reports.core import Period
from corridor.reports.tests import fixtures

OCTOBER = Period.month("2014-10", fixtures.AS_OF)
SEPTEMBER = Period.month("2014-09", dt.date(2014, 9, 30))


def _entry(subject: str, kind: str, patient: str | None = None) -> Any:
    found = [e for e in ledger.entries_about(subject) if e.type == kind]
    if patient is not None:
        found = [e for e in found if e.payload.get("patient") == patient]
    (entry,) = found
    return entry


def _correct(entry: Any, **changes: Any) -> None:
    ledger.correct(
        entry.seq, by=None, reason="a witness says otherwise", changes=changes, source="witness", certainty="confirmed"
    )


def _retract(entry: Any) -> None:
    ledger.correct(
        entry.seq, by=None, reason="never happened", changes={}, source="witness", certainty="confirmed", retract=True
    )


def _table(found: catalogue.IndicatorSet, code: str) -> dict[str, Any]:
    return {row[0]: row[1] for row in next(t for t in found.tables() if t.code == code).rows}


def test_a_corrected_outcome_moves_the_patient_to_the_outcome_the_correction_gives(camp: Any) -> None:
    made = fixtures.build(camp)
    before = catalogue.compute_all(OCTOBER)
    assert before.value("trips.not_seen") == 2  # B on T1 and C on T5: no doctor
    assert _table(before, "trips.outcomes") == {"no_doctor": 2, "procedure_done": 1, "seen": 1, "pending": 5}
    b = made["patients"]["B"].code
    _correct(_entry(f"trip:{made['trips']['T1'].pk}", "patient.not_seen", b), outcome="seen")
    after = catalogue.compute_all(OCTOBER)
    assert after.value("trips.not_seen") == 1
    assert _table(after, "trips.outcomes") == {"no_doctor": 1, "procedure_done": 1, "seen": 2, "pending": 5}


def test_an_outcome_corrected_to_no_outcome_there_is_counts_as_unknown(camp: Any, monkeypatch: Any) -> None:
    made = fixtures.build(camp)
    c = made["patients"]["C"].code
    # Such a correction is refused now (trip.unknown_outcome); a ledger written before that rule may hold one.
    monkeypatch.delitem(consequences._handlers, "patient.not_seen")
    _correct(_entry(f"trip:{made['trips']['T5'].pk}", "patient.not_seen", c), outcome="teleported")
    found = catalogue.compute_all(OCTOBER)
    assert found.value("trips.not_seen") == 1
    assert _table(found, "trips.outcomes")["unknown"] == 1


def test_a_retracted_outcome_leaves_the_patient_pending_and_out_of_the_not_seen_count(camp: Any) -> None:
    made = fixtures.build(camp)
    c = made["patients"]["C"].code
    _retract(_entry(f"trip:{made['trips']['T5'].pk}", "patient.not_seen", c))
    found = catalogue.compute_all(OCTOBER)
    assert found.value("trips.not_seen") == 1
    assert _table(found, "trips.outcomes") == {"no_doctor": 1, "procedure_done": 1, "seen": 1, "pending": 6}


def test_a_retracted_death_leaves_the_deaths_count(camp: Any) -> None:
    made = fixtures.build(camp)
    assert catalogue.compute_all(OCTOBER).value("deaths.while_waiting") == 1  # F, 10 October
    _retract(_entry(f"patient:{made['patients']['F'].code}", "patient.died"))
    found = catalogue.compute_all(OCTOBER)
    assert found.value("deaths.while_waiting") == 0
    assert found.value("deaths.days_waited_median") is None


def test_a_death_corrected_to_another_month_is_counted_in_that_month(camp: Any) -> None:
    made = fixtures.build(camp)
    assert catalogue.compute_all(SEPTEMBER).value("deaths.while_waiting") == 0
    _correct(_entry(f"patient:{made['patients']['F'].code}", "patient.died"), date="2014-09-25", certainty="confirmed")
    assert catalogue.compute_all(OCTOBER).value("deaths.while_waiting") == 0
    september = catalogue.compute_all(SEPTEMBER)
    assert september.value("deaths.while_waiting") == 1
    assert september.value("deaths.days_waited_median") == 15  # referred 10 September
    (death,) = september.details("deaths")["deaths"]
    assert (death["date"], death["certainty"], death["source"]) == (dt.date(2014, 9, 25), "confirmed", "witness")


def test_a_death_corrected_within_the_month_counts_the_days_waited_to_the_corrected_date(camp: Any) -> None:
    made = fixtures.build(camp)
    assert catalogue.compute_all(OCTOBER).value("deaths.days_waited_median") == 30
    _correct(_entry(f"patient:{made['patients']['F'].code}", "patient.died"), date="2014-10-02")
    found = catalogue.compute_all(OCTOBER)
    assert (found.value("deaths.while_waiting"), found.value("deaths.days_waited_median")) == (1, 22)


def test_a_death_corrected_to_no_date_keeps_the_recorded_date(camp: Any) -> None:
    # The correction service now refuses such a date; a ledger from before it may hold one.
    made = fixtures.build(camp)
    death = _entry(f"patient:{made['patients']['F'].code}", "patient.died")
    ledger.append(
        "entry.corrected",
        by=None,
        subjects=death.subjects,
        payload={"reason": "a witness says otherwise", "corrected_type": death.type, "changes": {"date": "some day"}},
        source="witness",
        corrects=death.seq,
    )
    found = catalogue.compute_all(OCTOBER)
    assert (found.value("deaths.while_waiting"), found.value("deaths.days_waited_median")) == (1, 30)


def test_a_retracted_cancellation_counts_the_trip_under_the_status_it_had_before(camp: Any) -> None:
    made = fixtures.build(camp)
    before = catalogue.compute_all(OCTOBER)
    statuses = _table(before, "trips.by_status")
    _retract(_entry(f"trip:{made['trips']['T3'].pk}", "trip.cancelled"))  # T3 was approved, then cancelled
    after = catalogue.compute_all(OCTOBER)
    moved = _table(after, "trips.by_status")
    assert moved["cancelled"] == statuses["cancelled"] - 1 == after.value("trips.cancelled")
    assert moved["approved"] == statuses.get("approved", 0) + 1
    assert after.value("trips.total") == before.value("trips.total")


def test_a_corrected_cancellation_keeps_the_trip_cancelled(camp: Any) -> None:
    made = fixtures.build(camp)
    before = _table(catalogue.compute_all(OCTOBER), "trips.by_status")
    _correct(_entry(f"trip:{made['trips']['T7'].pk}", "trip.cancelled"), cancelled_by="camp")
    after = catalogue.compute_all(OCTOBER)
    assert _table(after, "trips.by_status") == before  # a correction changes the payload, never the event
    assert _table(after, "trips.cancelled_by") == {"camp": 1, "hospital": 1}


def test_a_withdrawn_request_leaves_the_trip_and_its_places_uncounted(camp: Any) -> None:
    made = fixtures.build(camp)
    before = catalogue.compute_all(OCTOBER)
    _retract(_entry(f"trip:{made['trips']['T4'].pk}", "trip.requested"))  # B and D, never answered
    after = catalogue.compute_all(OCTOBER)
    assert after.value("trips.total") == before.value("trips.total") - 1
    assert _table(after, "trips.by_status").get("requested", 0) == _table(before, "trips.by_status")["requested"] - 1
    assert after.value("requests.total") == before.value("requests.total") - 2
    assert after.value("requests.delayed") == before.value("requests.delayed") - 2


def test_the_dashboards_month_card_counts_a_retracted_cancellation_as_the_report_does(camp: Any) -> None:
    from corridor.web.views.dashboard import month_counts

    made = fixtures.build(camp)
    before = month_counts(camp, fixtures.AS_OF)
    assert (before["cancelled"], before["longest_hold"]) == (2, 3.5)  # T3 and T7; T5 held 3.5 hours
    _retract(_entry(f"trip:{made['trips']['T3'].pk}", "trip.cancelled"))
    _correct(_entry(f"trip:{made['trips']['T5'].pk}", "gate.released"), hours_held=0.5)
    after = month_counts(camp, fixtures.AS_OF)
    assert (after["cancelled"], after["approved"]) == (1, before["approved"] + 1)
    assert (after["held"], after["longest_hold"]) == (before["held"] - 1, 2.5)
    assert after["requested"] == before["requested"] == catalogue.compute_all(OCTOBER).value("trips.total")


def test_a_visit_corrected_to_not_seen_leaves_time_to_care_and_puts_the_patient_back_on_the_waiting_list(
    camp: Any,
) -> None:
    made = fixtures.build(camp)
    before = catalogue.compute_all(OCTOBER)
    assert (before.value("care.seen"), before.value("care.days_median")) == (2, 19)  # A 34 days, G 4 days
    a = made["patients"]["A"].code
    _correct(_entry(f"trip:{made['trips']['T1'].pk}", "patient.seen", a), outcome="no_doctor")
    after = catalogue.compute_all(OCTOBER)
    assert (after.value("care.seen"), after.value("care.days_median")) == (1, 4)
    assert after.value("backlog.waiting") == before.value("backlog.waiting") + 1  # A's referral, not seen after all
    assert after.value("care.km_median_days") != before.value("care.km_median_days")


def test_a_retracted_treatment_leaves_the_treated_count(camp: Any) -> None:
    made = fixtures.build(camp)
    before = catalogue.compute_all(OCTOBER)
    g = made["patients"]["G"].code
    _retract(_entry(f"trip:{made['trips']['T1'].pk}", "patient.seen", g))  # G's procedure
    after = catalogue.compute_all(OCTOBER)
    assert after.value("episodes.treated") == before.value("episodes.treated") - 1
    assert after.value("care.seen") == before.value("care.seen") - 1


def test_after_corrections_and_retractions_the_indicators_equal_the_slow_recount(camp: Any) -> None:
    from corridor.reports.tests.recount import recount

    made = fixtures.build(camp)
    trips, patients = made["trips"], made["patients"]
    _correct(_entry(f"trip:{trips['T1'].pk}", "patient.seen", patients["A"].code), outcome="no_doctor")
    _retract(_entry(f"trip:{trips['T1'].pk}", "patient.seen", patients["G"].code))
    _correct(_entry(f"trip:{trips['T5'].pk}", "patient.not_seen", patients["C"].code), outcome="seen")
    _correct(_entry(f"patient:{patients['F'].code}", "patient.died"), date="2014-10-15")
    _retract(_entry(f"trip:{trips['T4'].pk}", "trip.requested"))
    fast = catalogue.compute_all(OCTOBER)
    slow = recount(OCTOBER.start, OCTOBER.end, OCTOBER.as_of)
    codes = [
        "trips.total",
        "trips.not_seen",
        "requests.total",
        "requests.delayed",
        "care.seen",
        "care.days_median",
        "care.km_median_days",
        "backlog.waiting",
        "episodes.treated",
        "deaths.while_waiting",
        "deaths.days_waited_median",
    ]
    assert {c: fast.value(c) for c in codes} == {c: slow[c] for c in codes}
    # B and now A not seen; C seen after all (the only first visit left); F waited 35 days to 15 October.
    seen = (fast.value("trips.not_seen"), fast.value("care.seen"), fast.value("deaths.days_waited_median"))
    assert seen == (2, 1, 35)


def test_a_retracted_turning_back_leaves_the_dashboards_count_and_the_trip_counts_as_departed(camp: Any) -> None:
    from corridor.transfers import services as transfers
    from corridor.web.views.dashboard import month_counts

    made = fixtures.build(camp)
    t4 = made["trips"]["T4"]
    day = dt.date(2014, 10, 12)
    transfers.approve_trip(t4, by=None, at=dt.datetime(2014, 10, 11, 6, tzinfo=dt.UTC))
    transfers.record_gate_arrival(t4, at=dt.datetime(2014, 10, 12, 5, tzinfo=dt.UTC), by=None)
    transfers.record_turned_back(t4, at=dt.datetime(2014, 10, 12, 6, tzinfo=dt.UTC), by=None)
    assert t4.date == day and month_counts(camp, fixtures.AS_OF)["turned_back"] == 1
    before = _table(catalogue.compute_all(OCTOBER), "trips.by_status")
    _retract(_entry(f"trip:{t4.pk}", "gate.turned_back"))
    assert month_counts(camp, fixtures.AS_OF)["turned_back"] == 0
    after = _table(catalogue.compute_all(OCTOBER), "trips.by_status")
    assert after.get("departed", 0) == before.get("departed", 0) + 1
    assert after["returned"] == before["returned"] - 1
