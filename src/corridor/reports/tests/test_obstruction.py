"""The obstruction catalogue: every kind of incident from its events, after corrections and retractions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.reports import catalogue, obstruction, queries
from corridor.reports.core import Period
from corridor.reports.obstruction import Record
from corridor.reports.tests import fixtures
from corridor.reports.tests.recount import recount

START, AS_OF = dt.date(2014, 10, 1), dt.date(2014, 10, 20)


def _r(seq: int, type_: str, day: str = "2014-10-06", at: str | None = None, **payload: Any) -> Record:
    return Record(
        seq=seq,
        type=type_,
        occurred_at=(at or day) + "T06:00:00Z",
        payload={"trip": 7, "date": day, "facility": "H-1", **payload},
        source="witness",
        certainty="confirmed",
        subjects=("trip:7", "facility:H-1", "patient:P-0001", "patient:P-0002"),
    )


def _kinds(*records: Record, threshold: float = 2.0) -> list[str]:
    return [i.kind for i in obstruction.derive(records, start=START, as_of=AS_OF, hold_threshold_hours=threshold)]


def test_a_denied_permit_is_an_incident_with_the_reason_given() -> None:
    (incident,) = obstruction.derive([_r(1, "trip.denied", reason="security")], start=START, as_of=AS_OF)
    assert (incident.kind, incident.attack_type, incident.resource, incident.place) == (
        "permit_denied",
        "obstruction",
        "patients",
        "H-1",
    )
    assert incident.patients == ("P-0001", "P-0002")
    text = obstruction.sentence(incident, "en", {"H-1": "Al-Amal Oncology"})
    assert text == (
        "The authority denied the permit for a trip to Al-Amal Oncology carrying 2 patients. Reason given: “security”."
    )
    assert "دلیل اعلام‌شده" in obstruction.sentence(incident, "fa")
    assert "السبب المعلن" in obstruction.sentence(incident, "ar")


def test_a_request_unanswered_by_the_appointment_date_is_an_incident_and_an_answer_in_time_is_not() -> None:
    request = _r(1, "trip.requested", at="2014-10-03")
    assert _kinds(request) == ["no_answer"]
    assert _kinds(request, _r(2, "trip.approved", at="2014-10-06")) == []
    assert _kinds(request, _r(2, "trip.approved", at="2014-10-07")) == ["no_answer"]  # too late
    assert _kinds(request, _r(2, "trip.cancelled", at="2014-10-05", cancelled_by="camp")) == []
    assert _kinds(_r(1, "trip.requested", day="2014-10-25")) == []  # not due by the as-of date


def test_a_cancellation_counts_only_when_the_authority_cancelled() -> None:
    assert _kinds(_r(1, "trip.cancelled", cancelled_by="authority")) == ["cancelled_by_authority"]
    assert _kinds(_r(1, "trip.cancelled", cancelled_by="hospital")) == []


def test_a_hold_at_the_gate_counts_from_the_threshold() -> None:
    assert _kinds(_r(1, "gate.released", hours_held=3.5)) == ["held_at_gate"]
    assert _kinds(_r(1, "gate.released", hours_held=1.5)) == []
    assert _kinds(_r(1, "gate.released", hours_held=1.5), threshold=1.0) == ["held_at_gate"]
    (held,) = obstruction.derive([_r(1, "gate.released", hours_held=3.5)], start=START, as_of=AS_OF)
    assert "held at the gate for 3.5 hours" in obstruction.sentence(held, "en")


def test_turned_back_late_arrival_companion_refused_and_deliveries_are_incidents() -> None:
    assert _kinds(_r(1, "gate.turned_back")) == ["turned_back"]
    assert _kinds(_r(1, "trip.arrived", late=True), _r(2, "trip.arrived", late=False)) == ["arrived_after_closing"]
    refused = _r(1, "trip.companion_answered", answer="rejected", role="interpreter")
    assert _kinds(refused, _r(2, "trip.companion_answered", answer="accepted")) == ["companion_rejected"]
    (incident,) = obstruction.derive([refused], start=START, as_of=AS_OF)
    assert incident.resource == "personnel" and "interpreter" in obstruction.sentence(incident, "en")
    blocked = _r(1, "supply.blocked", category="medicine", quantity=40, unit="boxes")
    cut = _r(2, "supply.partly_allowed", category="diesel", quantity=500, quantity_allowed=200, unit="litres")
    found = obstruction.derive([blocked, cut], start=START, as_of=AS_OF)
    assert [(i.kind, i.item, i.resource) for i in found] == [
        ("delivery_blocked", "medicine", "supplies"),
        ("delivery_cut", "diesel", "supplies"),
    ]
    assert obstruction.sentence(found[0], "en") == "A delivery of medicine (40 boxes) was blocked at the gate."


def test_a_recorded_incident_keeps_its_ssa_type_and_resource() -> None:
    recorded = _r(1, "incident.recorded", kind="Abduction/arrest/detention of health personnel or patients")
    recorded.payload["resource"] = "personnel"
    (incident,) = obstruction.derive([recorded], start=START, as_of=AS_OF)
    assert (incident.kind, incident.attack_type, incident.resource) == ("recorded", "abduction", "personnel")


def test_corrections_apply_and_retractions_remove_with_the_entries_cited() -> None:
    cancelled = _r(1, "trip.cancelled", cancelled_by="authority")
    fix = Record(2, "entry.corrected", "2014-10-07T00:00:00Z", {"changes": {"cancelled_by": "camp"}}, "", "", (), 1)
    assert _kinds(cancelled, fix) == []
    back = Record(3, "entry.retracted", "2014-10-08T00:00:00Z", {}, "", "", (), 2)
    assert _kinds(cancelled, fix, back) == ["cancelled_by_authority"]  # the correction itself was withdrawn
    sure = Record(4, "entry.corrected", "2014-10-08T00:00:00Z", {"changes": {"certainty": "probable"}}, "", "", (), 1)
    (incident,) = obstruction.derive([cancelled, sure], start=START, as_of=AS_OF)
    assert incident.certainty == "probable" and incident.entries == (1, 4)
    gone = Record(5, "entry.retracted", "2014-10-08T00:00:00Z", {}, "", "", (), 1)
    assert _kinds(cancelled, gone) == []


def test_every_kind_in_the_catalogue_reads_in_three_languages() -> None:
    from corridor.reports import strings

    for kind in obstruction.KINDS:
        for language in strings.LANGUAGES:
            assert strings.label("kind", kind, language) != kind
            assert f"what.{kind}" in strings.MESSAGES or f"what.{kind}" in strings.PLURALS


# The corrections below are all a witness's, confirmed: what is tested is what the indicators make of them.
def _correct(entry: Entry, reason: str, changes: dict[str, Any]) -> None:
    ledger.correct(entry.seq, by=None, reason=reason, changes=changes, source="witness", certainty="confirmed")


def _retract(entry: Entry, reason: str) -> None:
    ledger.correct(entry.seq, by=None, reason=reason, changes={}, source="witness", certainty="confirmed", retract=True)


def test_a_corrected_cancellation_changes_the_counts(camp: Any) -> None:
    made = fixtures.build(camp)
    period = Period.month("2014-10", fixtures.AS_OF)
    before = catalogue.compute_all(period)
    assert before.value("trips.cancelled") == 2
    slow = recount(period.start, period.end, period.as_of)  # the slow recount counts by the same rule
    assert (slow["incidents.total"], slow["trips.cancelled"]) == (before.value("incidents.total"), 2)
    by = {r[0]: r[1] for r in next(t for t in before.tables() if t.code == "trips.cancelled_by").rows}
    assert by == {"authority": 1, "hospital": 1}
    # T7 was cancelled by the authority; a witness says the camp cancelled it.
    entry = ledger.entries_about(f"trip:{made['trips']['T7'].pk}")[-1]
    assert entry.type == "trip.cancelled"
    _correct(entry, "the camp called it off", {"cancelled_by": "camp"})
    after = catalogue.compute_all(period)
    by = {r[0]: r[1] for r in next(t for t in after.tables() if t.code == "trips.cancelled_by").rows}
    assert by == {"camp": 1, "hospital": 1}
    assert after.value("incidents.total") == before.value("incidents.total") - 1
    # T3's cancellation (by the hospital) is withdrawn altogether.
    entry = ledger.entries_about(f"trip:{made['trips']['T3'].pk}")[-1]
    _retract(entry, "never happened")
    assert catalogue.compute_all(period).value("trips.cancelled") == 1
    slow = recount(period.start, period.end, period.as_of)
    assert (slow["incidents.total"], slow["trips.cancelled"]) == (after.value("incidents.total"), 1)


def test_a_corrected_or_retracted_hold_at_the_gate_changes_the_hours_held_as_it_changes_the_incidents(
    camp: Any,
) -> None:
    made = fixtures.build(camp)
    period = Period.month("2014-10", fixtures.AS_OF)
    before = catalogue.compute_all(period)
    assert before.value("trips.hours_held_max") == 3.5  # T5, held from 07:45 to 11:15
    released = next(e for e in ledger.entries_about(f"trip:{made['trips']['T5'].pk}") if e.type == "gate.released")
    _correct(released, "the gate log says 1.5 hours", {"hours_held": 1.5})
    after = catalogue.compute_all(period)
    assert after.value("trips.hours_held_max") == 2.5  # T1's hold is now the longest
    assert after.value("incidents.total") == before.value("incidents.total") - 1  # under the 2-hour threshold
    held = {t: h for t, _f, _d, h in queries.holds(period)}
    assert held[made["trips"]["T5"].pk] == 1.5
    _retract(released, "no such release")
    gone = catalogue.compute_all(period)
    assert made["trips"]["T5"].pk not in {t for t, *_rest in queries.holds(period)}
    by_facility = {r[0]: r[1] for r in next(t for t in gone.tables() if t.code == "trips.gate_by_facility").rows}
    was = {r[0]: r[1] for r in next(t for t in before.tables() if t.code == "trips.gate_by_facility").rows}
    assert sum(by_facility.values()) == sum(was.values()) - 1


def test_a_late_arrival_corrected_to_on_time_leaves_the_late_count_and_the_incidents(camp: Any) -> None:
    made = fixtures.build(camp)
    period = Period.month("2014-10", fixtures.AS_OF)
    before = catalogue.compute_all(period)
    late = before.value("trips.arrived_late")
    assert late >= 1
    arrived = next(e for e in ledger.entries_about(f"trip:{made['trips']['T5'].pk}") if e.type == "trip.arrived")
    assert arrived.payload["late"] is True
    _correct(arrived, "it closed later that day", {"late": False})
    after = catalogue.compute_all(period)
    assert after.value("trips.arrived_late") == late - 1
    assert after.value("incidents.total") == before.value("incidents.total") - 1
    _retract(arrived, "no such arrival")

    def arrived_by_hospital(found: catalogue.IndicatorSet) -> int:
        return sum(r[1] for r in next(t for t in found.tables() if t.code == "trips.late_by_facility").rows)

    # The retracted arrival is not counted as an arrival at all.
    assert arrived_by_hospital(catalogue.compute_all(period)) == arrived_by_hospital(before) - 1
