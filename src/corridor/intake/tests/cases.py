"""The register each form's submissions are about, and the submissions a monitor would send.

``CASES[form_key](camp, make_referral)`` sets up trips, patients and delivery requests on the test camp (CAMP-T, UTC+3)
and returns the submissions for that form, each with the ledger entry types it must become.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from conftest import DAY
from corridor.intake.forms import FORM_MARKER
from corridor.intake.tests.exports import Submission
from corridor.register.models import Facility, Referral, Site
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip


def at(days: int, hhmm: str) -> str:
    """A time at the camp as ODK Collect writes it."""
    return f"{(DAY + dt.timedelta(days=days)).isoformat()}T{hhmm}:00.000+03:00"


def day(days: int) -> str:
    return (DAY + dt.timedelta(days=days)).isoformat()


def new_uuid() -> str:
    return str(uuid.uuid4())


def answers(form: str, **values: str) -> dict[str, str]:
    return {FORM_MARKER: form, "start": at(0, "06:00"), "end": at(9, "20:00"), **values}


@dataclass
class Case:
    submissions: list[Submission]
    expected: list[list[str]]  # per submission: the ledger entry types it becomes, in order
    trips: list[Trip]


def make_trip(camp: Site, referrals: list[Referral], days: int, status: str = "approved") -> Trip:
    trip = transfers.request_trip(
        site=camp,
        day=DAY + dt.timedelta(days=days),
        facility=Facility.objects.get(code="H-1"),
        referrals=referrals,
        by=None,
        at=dt.datetime.combine(DAY + dt.timedelta(days=days - 2), dt.time(9), tzinfo=dt.UTC),  # asked ahead
    )
    if status in ("approved", "departed"):
        trip = transfers.approve_trip(trip, by=None)
    if status == "departed":
        moment = dt.datetime.fromisoformat(at(days, "08:00"))
        trip = transfers.record_gate_arrival(trip, at=moment, by=None)
        trip = transfers.record_gate_release(trip, at=moment + dt.timedelta(hours=1), by=None)
    return trip


def gate_incident(camp: Site, make_referral: Callable[..., Referral]) -> Case:
    released = make_trip(camp, [make_referral("P-101")], 0)
    turned = make_trip(camp, [make_referral("P-102")], 1)
    cancelled = make_trip(camp, [make_referral("P-103")], 2, status="requested")
    held = make_trip(camp, [make_referral("P-104")], 3)
    form = "gate_incident"
    return Case(
        [
            Submission(
                new_uuid(),
                answers(
                    form,
                    trip_number=released.code,
                    outcome="released",
                    time_at_gate=at(0, "09:00"),
                    time_released=at(0, "13:30"),
                    reason_given="papers checked a second time",
                    witnesses="3",
                    source="witness",
                    certainty="confirmed",
                ),
            ),
            Submission(
                new_uuid(),
                answers(
                    form,
                    site="CAMP-T",
                    trip_date=day(1),
                    facility="H-1",
                    outcome="turned_back",
                    time_at_gate=at(1, "09:15"),
                    time_released=at(1, "11:00"),
                    certainty="probable",
                ),
            ),
            Submission(
                new_uuid(),
                answers(
                    form,
                    trip_number=str(cancelled.pk),
                    outcome="cancelled",
                    cancelled_by="authority",
                    time_at_gate=at(2, "07:00"),
                    source="official_statement",
                    certainty="confirmed",
                ),
            ),
            Submission(
                new_uuid(),
                answers(
                    form,
                    trip_number=held.code,
                    outcome="held",
                    time_at_gate=at(3, "10:00"),
                    reason_given="waiting for a permit",
                    witnesses="2",
                    certainty="possible",
                    note="the driver was questioned",
                ),
            ),
        ],
        [
            ["trip.departed", "gate.arrived", "gate.held", "gate.released"],
            ["trip.departed", "gate.arrived", "gate.turned_back"],
            ["trip.cancelled"],
            ["trip.departed", "gate.arrived", "gate.held"],
        ],
        [released, turned, cancelled, held],
    )


def trip_outcome(camp: Site, make_referral: Callable[..., Referral]) -> Case:
    first = make_trip(camp, [make_referral("P-201"), make_referral("P-202")], 4, status="departed")
    second = make_trip(camp, [make_referral("P-203")], 5, status="departed")
    form = "trip_outcome"
    return Case(
        [
            Submission(
                new_uuid(),
                answers(
                    form,
                    trip_number=first.code,
                    hospital_arrival=at(4, "12:00"),
                    time_returned=at(4, "17:30"),
                    certainty="confirmed",
                ),
                {
                    "patients": [
                        {"patient_code": "P-201", "outcome": "follow_up", "follow_up_due": day(25)},
                        {"patient_code": "P-202", "outcome": "no_doctor", "outcome_note": "the clinic was closed"},
                    ]
                },
            ),
            Submission(
                new_uuid(),
                answers(form, site="CAMP-T", trip_date=day(5), facility="H-1", certainty="probable", source="document"),
                {"patients": [{"patient_code": "P-203", "outcome": "care_complete"}]},
            ),
        ],
        [
            # A follow-up keeps the referral open (waiting for it); care complete closes it.
            ["trip.arrived", "patient.seen", "patient.not_seen", "trip.returned"],
            ["patient.seen", "referral.closed"],
        ],
        [first, second],
    )


def death(camp: Site, make_referral: Callable[..., Referral]) -> Case:
    make_referral("P-301")
    make_referral("P-302")
    form = "death"
    return Case(
        [
            Submission(
                new_uuid(),
                answers(
                    form,
                    patient_code="P-301",
                    date_of_death=day(6),
                    after_denied_care="yes",
                    circumstances="died the night after the trip was cancelled",
                    source="document",
                    certainty="confirmed",
                ),
            ),
            Submission(
                new_uuid(),
                answers(form, patient_code="P-302", date_of_death=day(7), after_denied_care="no", certainty="probable"),
            ),
        ],
        [["patient.died", "referral.closed"], ["patient.died", "referral.closed"]],
        [],
    )


def supply_delivery(camp: Site, make_referral: Callable[..., Referral]) -> Case:
    from corridor.supplies import actions as supplies

    insulin = supplies.define_item(
        site=camp, code="insulin", name="Insulin", category="medicine", unit="vials", by=None
    )
    boxes = supplies.request_delivery(site=camp, item="medicine", on=DAY, quantity=40, unit="boxes", by=None)
    supplies.request_delivery(site=camp, item=insulin, on=DAY, quantity=100, unit="vials", by=None)
    form = "supply_delivery"
    return Case(
        [
            Submission(
                new_uuid(),
                answers(form, site="CAMP-T", delivery_date=day(1), certainty="confirmed"),
                {
                    "items": [
                        {"category": "diesel", "status": "blocked", "quantity": "20000", "unit": "litres"},
                        {
                            "category": "medicine",
                            "delivery_number": f"D-{boxes.pk}",
                            "status": "allowed",
                            "quantity": "40",
                            "unit": "boxes",
                        },
                    ]
                },
            ),
            Submission(
                new_uuid(),
                answers(form, site="CAMP-T", delivery_date=day(2), reason_given="inspection", certainty="probable"),
                {
                    "items": [
                        {
                            "category": "medicine",
                            "item_code": "insulin",
                            "status": "partly_allowed",
                            "quantity": "100",
                            "quantity_allowed": "40",
                            "unit": "vials",
                        }
                    ]
                },
            ),
        ],
        [["supply.blocked", "supply.allowed"], ["supply.partly_allowed"]],
        [],
    )


CASES: dict[str, Callable[[Site, Callable[..., Referral]], Case]] = {
    "gate_incident": gate_incident,
    "trip_outcome": trip_outcome,
    "death": death,
    "supply_delivery": supply_delivery,
}
