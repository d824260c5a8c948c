"""A small October 2014, built through the services, whose every indicator was worked out by hand.

Site CAMP-T (UTC+3) from the ``camp`` fixture: H-1 oncology, H-2 ophthalmology (Monday–Friday),
H-3 cardiology and oncology (closes 12:30). Reported as of 20 October 2014.

    patient  sex  born  referral                      what happens
    A        f    2000  oncology P2   1 Sep           T1 5 Oct approved 4 Oct, seen (34 days, late)
    G        f    1990  oncology P2   1 Oct           T1 5 Oct, procedure done (4 days, in time)
    B        m    1980  oncology P3  20 Sep           T1 no doctor; T4 12 Oct never answered
    C        f    1960  cardiology P1 1 Oct           T2 6 Oct denied that day; T5 14 Oct approved, held
                                                      3.5 h, arrives after closing, no doctor
    D        m    1940  oncology P4   1 Aug           T0 28 Sep cancelled by the camp; T4; T7 16 Oct
                                                      approved 15 Oct then cancelled; T6 25 Oct (not due)
    E        u    —     ophthalmology P3 2 Oct        T3 8 Oct approved on 9 Oct (too late), cancelled
                                                      by the hospital
    F        m    1970  cardiology P2 10 Sep (I21.9)  died 10 Oct (witness, probable): 30 days waited
    X, Y     escorts: X for A on T1 (approved), Y for B on T4 (no answer)

Incidents: 3 Oct medicine blocked (document, confirmed); 7 Oct obstruction of transport (witness,
possible); 11 Oct abduction of patients (unverified, corrected to confirmed); 12 Oct one retracted;
30 Sep one outside the month.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from corridor.ledger import services as ledger
from corridor.register import services as register
from corridor.register.models import Facility, Patient, Referral, Site
from corridor.supplies import actions as supplies
from corridor.transfers import deaths
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip

PLUS3 = dt.timezone(dt.timedelta(hours=3))
AS_OF = dt.date(2014, 10, 20)
IDENTITIES = {
    "A": {"full_name": "Test Person Alpha", "contact": "Block 3, row 9", "notes": "lives with her grandmother"},
    "B": {"full_name": "Test Person Bravo", "contact": "+99 555 0101"},
}


def _utc(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _local(day: dt.date, hhmm: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=PLUS3)


def build(site: Site) -> dict[str, Any]:
    """Build the register above and return its patients, referrals and trips by letter."""
    d = dt.date
    people = {
        "A": ("f", 2000),
        "G": ("f", 1990),
        "B": ("m", 1980),
        "C": ("f", 1960),
        "D": ("m", 1940),
        "E": ("u", None),
        "F": ("m", 1970),
        "X": ("m", 1985),
        "Y": ("f", 1975),
    }
    patients: dict[str, Patient] = {}
    for letter, (sex, born) in people.items():
        patients[letter] = register.register_patient(
            site=site,
            code=f"P-{letter}",
            registered_on=d(2014, 7, 1),
            sex=sex,
            birth_year=born,
            identity=IDENTITIES.get(letter, {"full_name": f"Test Person {letter}{letter}"}),
            by=None,
        )
    referred = {
        "A": ("oncology", "P2", d(2014, 9, 1), ""),
        "G": ("oncology", "P2", d(2014, 10, 1), ""),
        "B": ("oncology", "P3", d(2014, 9, 20), ""),
        "C": ("cardiology", "P1", d(2014, 10, 1), ""),
        "D": ("oncology", "P4", d(2014, 8, 1), ""),
        "E": ("ophthalmology", "P3", d(2014, 10, 2), ""),
        "F": ("cardiology", "P2", d(2014, 9, 10), "I21.9"),
    }
    referrals: dict[str, Referral] = {}
    for letter, (specialty, priority, day, icd) in referred.items():
        referrals[letter] = register.create_referral(
            patient=patients[letter],
            specialty=specialty,
            priority=priority,
            referral_date=day,
            diagnosis_icd10=icd,
            by=None,
        )
    h1, h2, h3 = (Facility.objects.get(code=c) for c in ("H-1", "H-2", "H-3"))

    def ask(
        day: dt.date, facility: Facility, letters: str, escorts: tuple[tuple[str, str], ...] = (), ahead: int = 2
    ) -> Trip:
        return transfers.request_trip(
            site=site,
            day=day,
            facility=facility,
            referrals=[Referral.objects.get(pk=referrals[x].pk) for x in letters],
            escorts=[(patients[e], patients[p]) for e, p in escorts],
            by=None,
            at=_utc(day - dt.timedelta(days=ahead), 5),
        )

    trips: dict[str, Trip] = {}
    # T0, in September: approved, then cancelled by the camp.
    trips["T0"] = t = ask(d(2014, 9, 28), h1, "D")
    transfers.approve_trip(t, by=None, at=_utc(d(2014, 9, 27), 6))
    transfers.cancel_trip(t, cancelled_by="camp", by=None, at=_utc(d(2014, 9, 28), 4))
    # T1: approved the day before, held 2.5 hours, in time; A seen, G procedure, B no doctor.
    trips["T1"] = t = ask(d(2014, 10, 5), h1, "AGB", escorts=(("X", "A"),))
    transfers.approve_trip(t, by=None, at=_utc(d(2014, 10, 4), 9))
    transfers.record_gate_arrival(t, at=_local(d(2014, 10, 5), "07:30"), by=None)
    transfers.record_gate_release(t, at=_local(d(2014, 10, 5), "10:00"), by=None)
    transfers.record_hospital_arrival(t, at=_local(d(2014, 10, 5), "11:00"), by=None)
    transfers.record_outcome(t, patient=patients["A"], outcome="seen", by=None)
    transfers.record_outcome(t, patient=patients["G"], outcome="procedure_done", by=None)
    transfers.record_outcome(t, patient=patients["B"], outcome="no_doctor", by=None)
    transfers.record_return(t, at=_local(d(2014, 10, 5), "17:00"), by=None)
    # T2: denied on the day.
    trips["T2"] = t = ask(d(2014, 10, 6), h3, "C")
    transfers.deny_trip(t, reason="security", by=None, at=_utc(d(2014, 10, 6), 5))
    # T3: approved a day too late, then cancelled by the hospital.
    trips["T3"] = t = ask(d(2014, 10, 8), h2, "E")
    transfers.approve_trip(t, by=None, at=_utc(d(2014, 10, 9), 6))
    transfers.cancel_trip(t, cancelled_by="hospital", reason="doctor away", by=None, at=_utc(d(2014, 10, 9), 7))
    # T4: never answered.
    trips["T4"] = ask(d(2014, 10, 12), h1, "BD", escorts=(("Y", "B"),))
    # T5: approved the day before, held 3.5 hours, after closing: no doctor.
    trips["T5"] = t = ask(d(2014, 10, 14), h3, "C")
    transfers.approve_trip(t, by=None, at=_utc(d(2014, 10, 13), 6))
    transfers.record_gate_arrival(t, at=_local(d(2014, 10, 14), "07:45"), by=None)
    transfers.record_gate_release(t, at=_local(d(2014, 10, 14), "11:15"), by=None)
    transfers.record_hospital_arrival(t, at=_local(d(2014, 10, 14), "12:40"), by=None)
    transfers.record_outcome(t, patient=patients["C"], outcome="no_doctor", by=None)
    transfers.record_return(t, at=_local(d(2014, 10, 14), "17:00"), by=None)
    # T7: approved the day before, cancelled by the authority on the day.
    trips["T7"] = t = ask(d(2014, 10, 16), h1, "D")
    transfers.approve_trip(t, by=None, at=_utc(d(2014, 10, 15), 6))
    transfers.cancel_trip(t, by=None, at=_utc(d(2014, 10, 16), 6))
    # T6: after the as-of date.
    trips["T6"] = ask(d(2014, 10, 25), h1, "D", ahead=6)  # asked on the as-of date, not after it
    # F dies waiting.
    deaths.record_death(patients["F"], on=d(2014, 10, 10), source="witness", certainty="probable", by=None)
    # Incidents.
    supplies.record_blocked_delivery(
        site=site,
        item="medicine",
        on=d(2014, 10, 3),
        quantity=40,
        unit="boxes",
        by=None,
        source="document",
        certainty="confirmed",
    )
    supplies.record_incident(
        site=site,
        kind="Obstruction to delivery of care",
        resource="transport",
        description="the ambulance was stopped for four hours",
        on=d(2014, 10, 7),
        by=None,
        source="witness",
        certainty="possible",
    )
    abduction = supplies.record_incident(
        site=site,
        kind="abduction",
        resource="patients",
        description="Test Person Bravo was taken from the queue",  # a name typed by mistake
        on=d(2014, 10, 11),
        by=None,
        certainty="unverified",
    )
    ledger.correct(
        abduction.seq,
        by=None,
        reason="confirmed by two witnesses",
        changes={"certainty": "confirmed"},
        source="witness",
        certainty="confirmed",
    )
    wrong = supplies.record_incident(
        site=site, kind="obstruction", resource="facility", description="recorded twice", on=d(2014, 10, 12), by=None
    )
    ledger.correct(
        wrong.seq, by=None, reason="duplicate", changes={}, source="witness", certainty="confirmed", retract=True
    )
    supplies.record_incident(
        site=site, kind="obstruction", resource="facility", description="in September", on=d(2014, 9, 30), by=None
    )
    return {"patients": patients, "referrals": referrals, "trips": trips}
