"""A double tap on any gate step records one event: the second is answered "already recorded".

Two threads press the same button at the same moment, each holding its own unlocked copy of the trip.
The service re-reads the trip under its row lock, so whichever comes second finds the step done and
writes nothing. Threads need committed rows and a database of their own (the ledger's append-only
triggers refuse the test runner's flush), so the taps run in a process on a fresh database, SQLite
or PostgreSQL as ``CORRIDOR_DATABASE_URL`` says.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from conftest import DAY, importing_conftest
from corridor.ledger.models import Entry
from corridor.ops.testing import corridor, migrated_install, python
from corridor.register.models import Patient
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip

# Not a pytest-django test (it brings its own database), so marked by hand for the PostgreSQL pass.
pytestmark = pytest.mark.database
CAMP_TIME = dt.timezone(dt.timedelta(hours=3))


def _at(hhmm: str) -> dt.datetime:
    return dt.datetime.combine(_day[0], dt.time.fromisoformat(hhmm), tzinfo=CAMP_TIME)


_day = [DAY]  # the day of the trip being tapped (one trip a day, so the rules never stand in the way)


def _approved(t: Trip) -> Trip:
    return transfers.approve_trip(t, by=None, at=_at("06:00"))


def _at_gate(t: Trip) -> Trip:
    return transfers.record_gate_arrival(_approved(t), at=_at("08:00"), by=None)


def _held(t: Trip) -> Trip:
    return transfers.record_gate_hold(_at_gate(t), since=_at("08:15"), note="papers checked", by=None)


def _released(t: Trip) -> Trip:
    return transfers.record_gate_release(_held(t), at=_at("09:00"), by=None)


def _at_hospital(t: Trip) -> Trip:
    return transfers.record_hospital_arrival(_released(t), at=_at("10:00"), by=None)


def _first_patient(t: Trip) -> Patient:
    return t.passengers.order_by("pk").first().patient  # type: ignore[union-attr]


# step name -> (bring the trip to just before the step, the step, the event it writes)
STEPS: dict[str, tuple[Callable[[Trip], Trip], Callable[[Trip], Any], str]] = {
    "approve": (lambda t: t, lambda t: transfers.approve_trip(t, by=None, at=_at("06:00")), "trip.approved"),
    "deny": (lambda t: t, lambda t: transfers.deny_trip(t, reason="no", by=None, at=_at("06:00")), "trip.denied"),
    "cancel": (_approved, lambda t: transfers.cancel_trip(t, by=None, at=_at("07:00")), "trip.cancelled"),
    "depart": (_approved, lambda t: transfers.record_departure(t, at=_at("07:30"), by=None), "trip.departed"),
    "gate_arrived": (_approved, lambda t: transfers.record_gate_arrival(t, at=_at("08:00"), by=None), "gate.arrived"),
    "gate_held": (
        _at_gate,
        lambda t: transfers.record_gate_hold(t, since=_at("08:15"), note="wait", by=None),
        "gate.held",
    ),
    "gate_released": (_held, lambda t: transfers.record_gate_release(t, at=_at("09:00"), by=None), "gate.released"),
    "turned_back": (
        _held,
        lambda t: transfers.record_turned_back(t, at=_at("09:00"), reason="closed", by=None),
        "gate.turned_back",
    ),
    "hospital_arrived": (
        _released,
        lambda t: transfers.record_hospital_arrival(t, at=_at("10:00"), by=None),
        "trip.arrived",
    ),
    "outcome": (
        _at_hospital,
        lambda t: transfers.record_outcome(t, patient=_first_patient(t), outcome="seen", by=None, at=_at("11:00")),
        "patient.seen",
    ),
    "returned": (_at_hospital, lambda t: transfers.record_return(t, at=_at("13:00"), by=None), "trip.returned"),
}


def _both_at_once(step: Callable[[Trip], Any], trip_id: int) -> list[BaseException | None]:
    gate = threading.Barrier(2)
    results: list[BaseException | None] = []
    lock = threading.Lock()

    def tap() -> None:
        try:
            trip = Trip.objects.select_related("site", "facility").get(pk=trip_id)  # each its own unlocked copy
            gate.wait()
            step(trip)
            outcome: BaseException | None = None
        except BaseException as exc:  # noqa: BLE001 - the test reports what each tap got
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def run() -> None:
    """In a process of its own on a migrated database: tap every step twice at once, print what happened."""
    from conftest import open_camp
    from corridor.register import services as register
    from corridor.register.models import Facility

    site = open_camp()
    report = {}
    for i, (name, (prepare, step, event)) in enumerate(STEPS.items()):
        _day[0] = DAY + dt.timedelta(days=i)
        patient = register.register_patient(
            site=site,
            code=f"P-{i}",
            registered_on=dt.date(2014, 9, 1),
            sex="f",
            birth_year=1970,
            identity={"full_name": f"Test Person {i}"},
            by=None,
        )
        referral = register.create_referral(
            patient=patient, specialty="oncology", priority="P2", referral_date=dt.date(2014, 9, 1), by=None
        )
        trip = transfers.request_trip(
            site=site,
            day=_day[0],
            facility=Facility.objects.get(code="H-1"),
            referrals=[referral],
            by=None,
            at=_at("05:00"),
        )
        trip = prepare(trip)
        before = Entry.objects.filter(type=event).count()
        results = _both_at_once(step, trip.pk)
        report[name] = {
            "taps": len(results),
            "errors": [f"{type(r).__name__}: {r}" for r in results if r is not None],
            "written": Entry.objects.filter(type=event).count() - before,
        }
    print(json.dumps(report))


RUNNER = importing_conftest("from corridor.transfers.tests import test_double_tap\ntest_double_tap.run()\n")


def test_a_double_tap_on_every_gate_step_writes_one_entry(tmp_path: Path) -> None:
    with migrated_install(tmp_path) as install:
        report = json.loads(python(RUNNER, install.variables).strip().splitlines()[-1])
        assert set(report) == set(STEPS)
        for name, seen in report.items():
            assert seen["taps"] == 2, (name, seen)
            assert seen["written"] == 1, (name, seen)
            errors = seen["errors"]
            assert len(errors) == 1 and errors[0].startswith("Conflict: already recorded"), (name, seen)
        corridor(["verify"], install.variables)  # the chain the taps wrote is whole
