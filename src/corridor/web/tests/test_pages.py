"""The workspace's pages do what they say, through the services, with clear messages on bad input."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register.models import Patient, Referral
from corridor.transfers.models import Trip
from corridor.web.tests.conftest import Scene


def _text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


# ------------------------------------------------------------------------------------------ dashboard


def test_the_dashboard_lists_who_is_past_the_deadline_longest_first(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    html = client_for("monitor").get("/").content.decode()
    section = html[html.index('id="past-deadline"') : html.index('id="month"')]
    codes = re.findall(r">(P-\d{4})<", section)
    overdue = Referral.objects.filter(due_date__lt=scene.plan.payload["date"]).order_by("due_date")
    assert codes == [r.patient.code for r in overdue] and len(codes) >= 2
    planned = [p["patient"] for p in scene.plan.payload["trip"]["patients"]]
    today_card = html[html.index('id="today"') : html.index('id="backlog"')]
    assert all(code in today_card for code in planned)
    assert 'id="blockade"' in html  # the place kept for the blockade card


# ------------------------------------------------------------------------------------ patients


def test_registering_a_patient_shows_each_mistake_beside_its_field_and_writes_nothing(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    client = client_for("coordinator")
    before = Entry.objects.count()
    bad = client.post(
        reverse("web:patient_create"),
        {
            "code": "has space",
            "registered_on": "14/10/2014",
            "sex": "f",
            "full_name": "",
            "source": "document",
            "certainty": "confirmed",
        },
    )
    assert bad.status_code == 422
    text = _text(bad.content)
    assert "Enter a valid date." in text and "This field is required." in text
    assert Entry.objects.count() == before
    refused = client.post(
        reverse("web:patient_create"),
        {
            "code": "has space",
            "registered_on": "2014-10-01",
            "sex": "f",
            "full_name": "Someone",
            "source": "document",
            "certainty": "confirmed",
        },
    )
    assert refused.status_code == 422 and "use 1–32 letters, digits" in refused.content.decode()
    good = client.post(
        reverse("web:patient_create"),
        {
            "code": "P-0100",
            "registered_on": "2014-10-01",
            "sex": "m",
            "birth_year": "1950",
            "full_name": "Someone",
            "source": "document",
            "certainty": "probable",
        },
    )
    assert good.status_code == 302 and good["Location"] == reverse("web:patient", args=["P-0100"])
    entry = Entry.objects.get(type="patient.registered", subject_rows__key="patient:P-0100")
    assert entry.recorded_by == "coordinator" and entry.certainty == "probable"
    assert Patient.objects.get(code="P-0100").birth_year == 1950


def test_searching_by_code_finds_the_patient(scene: Scene, client_for: Callable[[str], Client]) -> None:
    client = client_for("auditor")
    several = client.get(reverse("web:patients"), {"q": "P-000"})
    assert several.status_code == 200 and all(p.code in several.content.decode() for p in scene.patients)
    one = client.get(reverse("web:patients"), {"q": "p-0003"})
    assert one.status_code == 302 and one["Location"] == reverse("web:patient", args=["P-0003"])
    nothing = client.get(reverse("web:patients"), {"q": "Z-9"})
    assert "No patient matches." in nothing.content.decode()


def test_a_patients_timeline_holds_every_entry_about_them_oldest_first(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    patient = scene.patients[5]  # on the requested trip
    html = client_for("monitor").get(reverse("web:patient", args=[patient.code])).content.decode()
    timeline = html[html.index('class="timeline"') :]
    seqs = [int(s) for s in re.findall(r'href="/ledger/(\d+)/"', timeline)]
    expected = [e.seq for e in ledger.entries_about(f"patient:{patient.code}")]
    assert seqs == expected and len(expected) >= 3
    assert "trip requested" in timeline and "referred" in timeline


def test_a_clinician_refers_a_patient_and_a_wrong_code_is_explained(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    client = client_for("clinician")
    url = reverse("web:referral_create", args=[scene.patients[0].code])
    form = {
        "specialty": "cardiology",
        "priority": "P1",
        "referral_date": "2014-10-12",
        "source": "document",
        "certainty": "confirmed",
    }
    wrong = client.post(url, {**form, "diagnosis_icd10": "heart"})
    assert wrong.status_code == 422 and "is not an ICD-10 code" in wrong.content.decode()
    right = client.post(url, {**form, "diagnosis_icd10": "I21.9", "eligible_facilities": ["H-3"]})
    assert right.status_code == 302
    referral = Referral.objects.get(specialty="cardiology")
    assert referral.due_date == dt.date(2014, 10, 13) and [f.code for f in referral.eligible_facilities.all()] == [
        "H-3"
    ]


def test_a_monitor_records_a_death_and_the_referrals_close(scene: Scene, client_for: Callable[[str], Client]) -> None:
    patient = scene.patients[2]
    response = client_for("monitor").post(
        reverse("web:patient_death", args=[patient.code]),
        {"on": "2014-10-11", "circumstances": "", "source": "witness", "certainty": "probable"},
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.status == Patient.Status.DECEASED
    assert patient.referrals.get().status == Referral.Status.DIED
    assert Entry.objects.get(type="patient.died").recorded_by == "monitor"


# ----------------------------------------------------------------------------------------- plans


def test_accepting_the_plan_requests_its_trip(scene: Scene, client_for: Callable[[str], Client]) -> None:
    client = client_for("coordinator")
    response = client.post(reverse("web:plan_accept"), {"plan": scene.plan.seq})
    trip = Trip.objects.exclude(pk=scene.trip.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("web:trip", args=[trip.pk])
    assert Entry.objects.filter(type="trip.requested").last().payload["plan"] == scene.plan.seq  # type: ignore[union-attr]
    html = client.get(reverse("web:plan"), {"date": scene.plan.payload["date"]}).content.decode()
    assert "Accepted: trip" in html and 'id="accept-plan"' not in html


def test_changing_the_plan_is_checked_as_you_edit_and_needs_a_reason(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    client = client_for("coordinator")
    planned = scene.plan.payload["trip"]
    too_many = [p["referral"] for p in planned["patients"] + scene.plan.payload["standby"]]
    assert len(too_many) > 4
    base = {"plan": scene.plan.seq, "facility": planned["facility"], "change": "1"}
    check = client.post(reverse("web:plan_check"), {**base, "referrals": too_many}, HTTP_HX_REQUEST="true")
    assert check.status_code == 200 and "patients a day the rules allow: 4" in check.content.decode()
    assert "<html" not in check.content.decode()  # a fragment for htmx, not a page
    fewer = [p["referral"] for p in planned["patients"]][:1]
    fine = client.post(reverse("web:plan_check"), {**base, "referrals": fewer, "reason": "family asked"})
    assert "The rules in force allow this trip." in fine.content.decode()
    no_reason = client.post(reverse("web:plan_accept"), {**base, "referrals": fewer})
    assert no_reason.status_code == 422 and "say why the trip differs from the plan" in no_reason.content.decode()
    assert not Trip.objects.exclude(pk=scene.trip.pk).exists()
    accepted = client.post(reverse("web:plan_accept"), {**base, "referrals": fewer, "reason": "family asked"})
    assert accepted.status_code == 302
    changed = Entry.objects.get(type="trip.manifest_changed")
    assert changed.payload["reason"] == "family asked" and changed.payload["changed_from_plan"] is True


def test_proposing_a_plan_records_it(scene: Scene, client_for: Callable[[str], Client]) -> None:
    from corridor.jobs import services as jobs

    client = client_for("coordinator")
    response = client.post(reverse("web:plan_propose"))
    assert response.status_code == 302 and "job=" in response["Location"]
    job_id = int(response["Location"].rsplit("job=", 1)[1])
    # At once: the previous plan stays on the page, with the new one's progress polled beneath the button.
    shown = client.get(response["Location"]).content.decode()
    assert f'hx-get="/jobs/{job_id}/progress/"' in shown and 'id="plan-trip"' in shown
    assert Entry.objects.filter(type="plan.proposed").count() == 1
    jobs.run(job_id)  # what the worker does
    done = client.get(f"/jobs/{job_id}/progress/").content.decode()
    assert "hx-get" not in done and "/plan/?site=" in done
    assert Entry.objects.filter(type="plan.proposed").count() == 2
    assert Entry.objects.filter(type="plan.proposed").last().recorded_by == "coordinator"  # type: ignore[union-attr]


# ----------------------------------------------------------------------------------------- trips


def test_the_gate_timeline_is_recorded_step_by_step_with_source_and_certainty(
    scene: Scene, client_for: Callable[[str], Client], settings: Any
) -> None:
    trip = scene.trip
    settings.TODAY = trip.date  # the trip's day has come: its times are no longer in the future
    coordinator, monitor = client_for("coordinator"), client_for("monitor")
    day = trip.date.isoformat()

    def record(client: Client, action: str, **fields: str) -> int:
        data = {"date": day, "source": "witness", "certainty": "confirmed", **fields}
        return client.post(reverse(f"web:trip_{action}", args=[trip.pk]), data).status_code

    assert record(coordinator, "approve", time="06:00", source="official_statement") == 302
    assert record(monitor, "gate_released", time="11:00") == 422  # not at the gate yet: no such button, refused
    assert record(monitor, "gate_arrived", time="08:00", certainty="probable") == 302
    assert record(monitor, "gate_held", time="08:00", note="no reason given") == 302
    assert record(monitor, "gate_released", time="07:00") == 422  # before the arrival
    assert record(monitor, "gate_released", time="11:00") == 302
    trip.refresh_from_db()
    assert trip.hours_held == 3.0
    released = Entry.objects.get(type="gate.released")
    assert released.payload["hours_held"] == 3.0 and released.recorded_by == "monitor"
    arrived = Entry.objects.get(type="gate.arrived")
    assert arrived.certainty == "probable" and arrived.source == "witness"
    assert arrived.payload["at"] == f"{day}T08:00:00+03:00"  # the site's time zone (Etc/GMT-3)
    page = monitor.get(reverse("web:trip", args=[trip.pk])).content.decode()
    assert re.search(r'id="hours-held"><b>3</b>', page)
    assert 'id="action-hospital_arrived"' in page and 'id="action-gate_released"' not in page


def test_a_cancellation_keeps_who_cancelled_and_the_reason_given(
    scene: Scene, client_for: Callable[[str], Client], settings: Any
) -> None:
    settings.TODAY = scene.trip.date  # the trip's day has come
    response = client_for("monitor").post(
        reverse("web:trip_cancel", args=[scene.trip.pk]),
        {
            "time": "07:10",
            "date": scene.trip.date.isoformat(),
            "reason": "",
            "cancelled_by": "authority",
            "source": "witness",
            "certainty": "confirmed",
        },
    )
    assert response.status_code == 302
    scene.trip.refresh_from_db()
    assert scene.trip.status == Trip.Status.CANCELLED
    entry = Entry.objects.get(type="trip.cancelled")
    assert entry.payload["cancelled_by"] == "authority" and entry.payload["reason"] is None
    html = client_for("auditor").get(reverse("web:trip", args=[scene.trip.pk])).content.decode()
    assert "no reason given" in html and 'class="action' not in html  # auditors read, never record


def test_an_outcome_is_recorded_per_patient(scene: Scene, client_for: Callable[[str], Client], settings: Any) -> None:
    from corridor.transfers import services as transfers

    trip = scene.trip
    settings.TODAY = trip.date  # the trip's day has come
    on = dt.datetime.combine(trip.date, dt.time(8), tzinfo=dt.UTC)
    transfers.approve_trip(trip, by=None)
    transfers.record_gate_arrival(trip, at=on, by=None)
    transfers.record_gate_release(trip, at=on + dt.timedelta(hours=1), by=None)
    transfers.record_hospital_arrival(trip, at=on + dt.timedelta(hours=2), by=None)
    code = scene.patients[5].code
    response = client_for("monitor").post(
        reverse("web:trip_outcome", args=[trip.pk]),
        {
            "patient": code,
            "outcome": "no_doctor",
            "note": "doctor absent",
            "source": "witness",
            "certainty": "confirmed",
        },
    )
    assert response.status_code == 302
    entry = Entry.objects.get(type="patient.not_seen")
    assert entry.payload["outcome"] == "no_doctor" and entry.payload["note"] == "doctor absent"


# ---------------------------------------------------------------------------------------- ledger


def test_the_ledger_filters_by_type_subject_certainty_and_date(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    client = client_for("auditor")
    patient = scene.patients[5].code

    def seqs(**params: str) -> set[int]:
        html = client.get(reverse("web:ledger"), params).content.decode()
        return {int(s) for s in re.findall(r'<td class="n"><a href="/ledger/(\d+)/">', html)}

    assert seqs(type="trip.requested") == set(Entry.objects.filter(type="trip.requested").values_list("seq", flat=True))
    assert seqs(subject=patient) == {e.seq for e in ledger.entries_about(f"patient:{patient}")}
    assert seqs(subject=f"T-{scene.trip.pk}") == {e.seq for e in ledger.entries_about(f"trip:{scene.trip.pk}")}
    assert seqs(certainty="unverified") == set(
        Entry.objects.filter(certainty="unverified").values_list("seq", flat=True)
    )
    referred = Entry.objects.get(type="referral.created", subject_rows__key=f"patient:{patient}")
    day = referred.occurred_at[:10]
    assert referred.seq in seqs(since=day, until=day, type="referral.created")
    assert seqs(since=day, until=day, type="referral.created") == {referred.seq}


def test_an_entry_shows_its_hash_and_links_both_ways_with_its_correction(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    original = Entry.objects.get(type="trip.requested")
    correction = ledger.correct(
        original.seq,
        by=None,
        reason="one source only",
        changes={"certainty": "probable"},
        source="document",
        certainty="confirmed",
    )
    client = client_for("auditor")
    page = client.get(reverse("web:ledger_entry", args=[original.seq])).content.decode()
    assert original.hash in page and original.prev_hash in page
    assert f'href="/ledger/{correction.seq}/"' in page
    corrected = client.get(reverse("web:ledger_entry", args=[correction.seq])).content.decode()
    assert f'href="/ledger/{original.seq}/"' in corrected and "one source only" in corrected


def test_verifying_the_chain_shows_its_head(scene: Scene, client_for: Callable[[str], Client]) -> None:
    html = client_for("auditor").post(reverse("web:ledger_verify")).content.decode()
    count, head = ledger.head()
    assert "The chain is intact" in html and head in html and str(count) in html


@pytest.mark.parametrize(
    ("language", "said"),
    [("fa", "بیمارانی که قاعده‌ها در روز اجازه می‌دهند: ۴"), ("ar", "المرضى المسموح بهم يوميًا وفق القواعد: ٤")],
)
def test_a_refusal_of_the_rules_is_said_in_the_coordinators_language(
    scene: Scene, client_for: Callable[[str], Client], language: str, said: str
) -> None:
    client = client_for("coordinator")
    assert client.post(reverse("web:set_language"), {"language": language}).status_code == 302
    planned = scene.plan.payload["trip"]
    too_many = [p["referral"] for p in planned["patients"] + scene.plan.payload["standby"]]
    base = {"plan": scene.plan.seq, "facility": planned["facility"], "change": "1"}
    html = client.post(reverse("web:plan_check"), {**base, "referrals": too_many}, HTTP_HX_REQUEST="true")
    text = html.content.decode()
    assert said in text and "rules allow" not in text and "already booked" not in text
