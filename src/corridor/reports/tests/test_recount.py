"""The SQL indicators against a slow recount from raw rows, on random registers built through the services."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.errors import CorridorError
from corridor.ledger import services as ledger
from corridor.register import services as register
from corridor.register.models import Patient, Referral
from corridor.reports import catalogue
from corridor.reports.core import Period
from corridor.reports.tests.recount import recount
from corridor.supplies import actions as supplies
from corridor.transfers import deaths
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip

PLUS3 = dt.timezone(dt.timedelta(hours=3))
BASE = dt.date(2014, 8, 15)
SPECIALTIES = ("oncology", "ophthalmology", "cardiology")
OUTCOMES = (
    "seen",
    "procedure_done",
    "admitted",
    "treatment_started",
    "follow_up",
    "care_complete",
    "no_doctor",
    "refused",
    "not_seen_other",
)

patient_plan = st.fixed_dictionaries(
    {
        "sex": st.sampled_from(("f", "m", "u")),
        "birth_year": st.one_of(st.none(), st.integers(1930, 2014)),
        "specialty": st.sampled_from(SPECIALTIES),
        "priority": st.sampled_from(("P1", "P2", "P3", "P4")),
        "referred": st.integers(0, 45),
        "second": st.booleans(),
    }
)
trip_plan = st.fixed_dictionaries(
    {
        "day": st.integers(40, 80),
        "patients": st.lists(st.integers(0, 7), min_size=1, max_size=3, unique=True),
        "escort": st.one_of(st.none(), st.integers(0, 1)),
        "answer": st.sampled_from(("none", "approve", "approve", "approve", "deny")),
        "answer_shift": st.sampled_from((-2, -1, 0, 0, 0, 1, 2)),
        "retract_answer": st.sampled_from((False, False, False, False, True)),
        "fate": st.sampled_from(("stay", "cancel", "go", "go", "go", "turned_back", "remove_one")),
        "cancelled_by": st.sampled_from(("authority", "camp", "hospital", "other")),
        "fix_cancellation": st.sampled_from(("keep", "keep", "to_camp", "to_authority", "retract")),
        "gate_minutes": st.one_of(st.none(), st.integers(0, 420), st.integers(0, 420)),
        "arrive_at": st.integers(9 * 60, 15 * 60),
        "outcomes": st.lists(st.sampled_from(OUTCOMES), min_size=3, max_size=3),
    }
)
incident_plan = st.fixed_dictionaries(
    {
        "day": st.integers(40, 85),
        "blocked": st.booleans(),
        "kind": st.sampled_from(("obstruction", "abduction", "Removal of health care assets", "closed road")),
        "certainty": st.sampled_from(("confirmed", "probable", "possible", "unverified")),
        "then": st.sampled_from(("keep", "retract", "confirm")),
    }
)
world = st.fixed_dictionaries(
    {
        "patients": st.lists(patient_plan, min_size=2, max_size=8),
        "trips": st.lists(trip_plan, min_size=1, max_size=8, unique_by=lambda t: t["day"]),
        "deaths": st.lists(st.tuples(st.integers(0, 7), st.integers(30, 85)), max_size=2),
        "incidents": st.lists(incident_plan, max_size=4),
        "month": st.sampled_from(("2014-10", "2014-10", "2014-09")),
        "today": st.integers(47, 90),
    }
)


def _try(action: Any, *args: Any, **kwargs: Any) -> Any:
    """Apply one random action; the services refuse what does not fit the state, and that is fine."""
    try:
        with transaction.atomic():
            return action(*args, **kwargs)
    except CorridorError:
        return None


def _build(camp: Any, plan: dict[str, Any]) -> None:
    patients: list[Patient] = []
    referrals: list[Referral] = []
    for i, p in enumerate(plan["patients"]):
        patient = register.register_patient(
            site=camp,
            code=f"R-{i}",
            registered_on=dt.date(2014, 8, 1),
            sex=p["sex"],
            birth_year=p["birth_year"],
            by=None,
        )
        patients.append(patient)
        day = BASE + dt.timedelta(days=p["referred"])
        referrals.append(
            register.create_referral(
                patient=patient, specialty=p["specialty"], priority=p["priority"], referral_date=day, by=None
            )
        )
        if p["second"]:
            _try(
                register.create_referral,
                patient=patient,
                specialty="oncology",
                priority="P3",
                referral_date=day + dt.timedelta(days=3),
                by=None,
            )
    escorts = [
        register.register_patient(site=camp, code=f"E-{i}", registered_on=dt.date(2014, 8, 1), by=None)
        for i in range(2)
    ]
    events: list[tuple[dt.date, int, Any]] = []
    for t in plan["trips"]:
        events.append((BASE + dt.timedelta(days=t["day"]), 1, t))
    for who, day in plan["deaths"]:
        events.append((BASE + dt.timedelta(days=day), 2, who))
    for _n, (day, _, item) in enumerate(sorted(events, key=lambda e: (e[0], e[1]))):
        if isinstance(item, dict):
            _trip(camp, day, item, patients, escorts)
        elif item < len(patients):
            _try(deaths.record_death, patients[item], on=day, source="witness", certainty="probable", by=None)
    for inc in plan["incidents"]:
        day = BASE + dt.timedelta(days=inc["day"])
        if inc["blocked"]:
            entry = supplies.record_blocked_delivery(
                site=camp, item="medicine", on=day, by=None, source="document", certainty=inc["certainty"]
            )
        else:
            entry = supplies.record_incident(
                site=camp,
                kind=inc["kind"],
                resource="transport",
                description="x",
                on=day,
                by=None,
                certainty=inc["certainty"],
            )
        if inc["then"] == "retract":
            ledger.correct(
                entry.seq, by=None, reason="wrong", changes={}, source="witness", certainty="confirmed", retract=True
            )
        elif inc["then"] == "confirm":
            ledger.correct(
                entry.seq,
                by=None,
                reason="seen",
                changes={"certainty": "confirmed"},
                source="witness",
                certainty="confirmed",
            )


def _trip(camp: Any, day: dt.date, t: dict[str, Any], patients: list[Patient], escorts: list[Patient]) -> None:
    # The destination follows the first patient's referral, so that most random trips can be requested.
    facility = None
    chosen = []
    for index in t["patients"]:
        if index >= len(patients):
            continue
        waiting = Referral.objects.filter(patient=patients[index], status="waiting", referral_date__lte=day)
        if facility is None:
            first = waiting.first()
            options = [f for f in first.eligible_facilities.order_by("code") if f.hours_on(day)] if first else []
            if not options:
                continue
            facility = options[0]
        found = waiting.filter(eligible_facilities=facility).first()
        if found is not None:
            chosen.append(found)
    if facility is None or not chosen:
        return
    pairs = [(escorts[t["escort"]], chosen[0].patient)] if t["escort"] is not None else []
    trip = _try(
        transfers.request_trip,
        site=camp,
        day=day,
        facility=facility,
        referrals=chosen,
        escorts=pairs,
        by=None,
        at=dt.datetime.combine(day - dt.timedelta(days=3), dt.time(5), tzinfo=dt.UTC),
    )
    if trip is None:
        return
    when = dt.datetime.combine(day + dt.timedelta(days=t["answer_shift"]), dt.time(6), tzinfo=dt.UTC)
    if t["fate"] == "remove_one" and len(chosen) > 1:
        _try(transfers.change_manifest, trip, remove=[chosen[-1].patient], reason="unwell", by=None)
    if t["answer"] == "deny":
        answered = _try(transfers.deny_trip, trip, by=None, at=when)
    elif t["answer"] == "approve":
        answered = _try(transfers.approve_trip, trip, by=None, at=when)
    else:
        answered = None
    if answered is not None and t["retract_answer"]:
        entry = ledger.entries_about(f"trip:{trip.pk}")[-1]
        ledger.correct(
            entry.seq, by=None, reason="misread", changes={}, source="witness", certainty="confirmed", retract=True
        )
    trip = Trip.objects.get(pk=trip.pk)
    if t["fate"] == "cancel":
        cancelled = _try(transfers.cancel_trip, trip, cancelled_by=t["cancelled_by"], by=None, at=when)
        if cancelled is not None and t["fix_cancellation"] != "keep":
            entry = ledger.entries_about(f"trip:{trip.pk}")[-1]
            fix = t["fix_cancellation"]
            ledger.correct(
                entry.seq,
                by=None,
                reason="misheard",
                changes={} if fix == "retract" else {"cancelled_by": fix.removeprefix("to_")},
                source="witness",
                certainty="confirmed",
                retract=fix == "retract",
            )
        return
    if t["fate"] not in ("go", "turned_back") or trip.status != "approved" or t["gate_minutes"] is None:
        return
    gate = dt.datetime.combine(day, dt.time(7, 30), tzinfo=PLUS3)
    trip = transfers.record_gate_arrival(trip, at=gate, by=None)
    if t["fate"] == "turned_back":
        transfers.record_turned_back(trip, at=gate + dt.timedelta(minutes=t["gate_minutes"]), by=None)
        return
    released = gate + dt.timedelta(minutes=t["gate_minutes"])
    trip = transfers.record_gate_release(trip, at=released, by=None)
    arrival = max(released, dt.datetime.combine(day, dt.time(0), tzinfo=PLUS3) + dt.timedelta(minutes=t["arrive_at"]))
    trip = transfers.record_hospital_arrival(trip, at=arrival, by=None)
    on_board = [p.patient for p in trip.passengers.filter(role="patient", removed=False).select_related("patient")]
    for patient, outcome in zip(on_board, t["outcomes"], strict=False):
        # A follow-up is due a fortnight after the visit.
        due = trip.date + dt.timedelta(days=14) if outcome == "follow_up" else None
        transfers.record_outcome(trip, patient=patient, outcome=outcome, follow_up_due=due, by=None)


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return bool(abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b))))


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(plan=world)
def test_the_sql_indicators_equal_a_slow_recount_from_raw_rows(camp: Any, plan: dict[str, Any]) -> None:
    with transaction.atomic():
        _build(camp, plan)
        today = BASE + dt.timedelta(days=plan["today"])
        period = Period.month(plan["month"], today)
        found = catalogue.compute_all(period)
        expected = recount(period.start, period.end, period.as_of)
        for code in catalogue.indicators():
            if code.code in expected:
                assert _close(found.value(code.code), expected[code.code]), (
                    code.code,
                    found.value(code.code),
                    expected[code.code],
                )
        for name, counts in expected["breakdowns"].items():
            table = next(t for t in found.tables() if t.code == f"requests.by_{name}")
            assert {str(r[0]): tuple(r[1:5]) for r in table.rows} == counts, name
        curve = {row[0]: row[2] for row in next(t for t in found.tables() if t.code == "care.km_curve").rows}
        for day, share in expected["km_share"].items():
            assert _close(curve[day], None if share is None else 100 * share), ("km", day)
        by_certainty: dict[str, int] = defaultdict(int)
        for row in next(t for t in found.tables() if t.code == "incidents.by_type").rows:
            by_certainty[row[4]] += row[5]
        assert dict(by_certainty) == expected["incidents"]
        transaction.set_rollback(True)
