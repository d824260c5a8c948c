"""The import service: matching to the register, edits and repeats of submissions, roles, and dry runs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from corridor.errors import InvalidInput, NotAllowed
from corridor.intake.forms import FORMS
from corridor.intake.models import ImportedSubmission
from corridor.intake.services import ImportReport, import_export
from corridor.intake.tests.cases import Case, answers, at, day, make_trip, new_uuid
from corridor.intake.tests.exports import Submission, kobo_json, kobo_xlsx, odk_zip
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register.models import Referral, Site
from corridor.transfers.models import Trip

pytestmark = pytest.mark.django_db
GATE = FORMS["gate_incident"]


def _json(form: str, submissions: list[Submission], by: Any, **kw: Any) -> ImportReport:
    return import_export(kobo_json(FORMS[form], submissions), platform="kobo", filename="data.json", by=by, **kw)


def _types_since(seq: int) -> list[str]:
    return list(Entry.objects.filter(seq__gt=seq).order_by("seq").values_list("type", flat=True))


def test_an_edited_submission_of_one_already_imported_is_refused_naming_the_entries_to_correct(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("gate_incident")
    first = _json("gate_incident", case.submissions, monitor)
    original = case.submissions[0].uuid
    edited = Submission(new_uuid(), {**case.submissions[0].answers, "meta/deprecatedID": f"uuid:{original}"})
    edited.answers["witnesses"] = "4"
    head = ledger.head()[0]

    report = _json("gate_incident", [edited], monitor)

    assert ledger.head()[0] == head
    [rejected] = report.rejected
    seqs = first.submissions[0].seqs
    assert f"edited version of submission uuid:{original}" in rejected.problems[0].message
    assert f"ledger entries {seqs[0]}–{seqs[-1]}" in rejected.problems[0].message
    assert "record a correction" in rejected.problems[0].message


def test_a_submission_imported_before_with_other_answers_is_refused_naming_them(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("death")
    _json("death", case.submissions, monitor)
    case.submissions[1].answers["circumstances"] = "added later"
    head = ledger.head()[0]

    report = _json("death", case.submissions, monitor)

    assert ledger.head()[0] == head
    assert [s.status for s in report.submissions] == ["duplicate", "rejected"]
    assert "with other answers (circumstances)" in report.submissions[1].problems[0].message


def test_the_same_submission_twice_in_one_file_is_imported_once(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("death")
    report = _json("death", [case.submissions[0], case.submissions[0]], monitor)
    assert [s.status for s in report.submissions] == ["imported", "duplicate"]
    assert str(report.submissions[1].note) == "already imported: submission 1 of this file"
    assert ImportedSubmission.objects.count() == 1


def test_submissions_the_server_marks_rejected_are_left_out_without_holding_back_the_rest(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("death")
    case.submissions[0].meta["ReviewState"] = "rejected"
    report = import_export(odk_zip(FORMS["death"], case.submissions), platform="odk", filename="d.zip", by=monitor)
    assert [s.status for s in report.submissions] == ["excluded", "imported"]
    assert "marked rejected in ODK Central" in report.lines()[0]

    other = field_state("gate_incident")
    other.submissions[1].meta["_validation_status"] = {"uid": "validation_status_not_approved", "label": "Not Approved"}
    report = _json("gate_incident", other.submissions, monitor)
    assert [s.status for s in report.submissions] == ["imported", "excluded", "imported", "imported"]
    assert other.trips[1].passengers.count() == 1 and Trip.objects.get(pk=other.trips[1].pk).status == "approved"


def test_a_dry_run_checks_every_submission_and_writes_nothing(field_state: Callable[[str], Case], monitor: Any) -> None:
    case = field_state("gate_incident")
    head = ledger.head()[0]
    report = _json("gate_incident", case.submissions, monitor, dry_run=True)
    assert ledger.head()[0] == head and not ImportedSubmission.objects.exists()
    assert [s.status for s in report.submissions] == ["ready"] * 4
    assert report.summary().startswith("0 imported, 4 would be imported")
    assert all(line.endswith("would be imported") for line in report.lines())


def test_times_written_without_an_offset_are_taken_as_the_camps_local_time(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("gate_incident")
    data = kobo_xlsx(GATE, case.submissions[:1], typed=True, groups=False)
    report = import_export(data, platform="kobo", filename="gate.xlsx", by=monitor)
    arrived = Entry.objects.get(seq__in=report.submissions[0].seqs, type="gate.arrived")
    assert arrived.occurred_at == "2014-10-12T06:00:00.000000Z"  # 09:00 at the camp, UTC+3
    trip = Trip.objects.get(pk=case.trips[0].pk)
    assert trip.hours_held == 4.5


@pytest.mark.parametrize("role", ["auditor", "clinician", "admin", "outsider"])
def test_a_role_that_does_not_record_at_the_gate_cannot_import(
    role: str, field_state: Callable[[str], Case], users: dict[str, Any]
) -> None:
    case = field_state("gate_incident")
    head = ledger.head()[0]
    with pytest.raises(NotAllowed):
        _json("gate_incident", case.submissions, users[role])
    assert ledger.head()[0] == head


def test_a_refusal_by_the_services_is_reported_with_the_forms_row_and_field(
    camp: Site, make_referral: Callable[..., Referral], monitor: Any
) -> None:
    requested = make_trip(camp, [make_referral("P-401")], 0, status="requested")
    departed = make_trip(camp, [make_referral("P-402")], 1, status="departed")
    make_referral("P-403")
    gate = Submission(
        new_uuid(),
        answers(
            "gate_incident",
            trip_number=requested.code,
            outcome="held",
            time_at_gate=at(0, "09:00"),
            certainty="confirmed",
        ),
    )
    outcome = Submission(
        new_uuid(),
        answers("trip_outcome", trip_number=departed.code, certainty="confirmed"),
        {"patients": [{"patient_code": "P-402", "outcome": "seen"}, {"patient_code": "P-403", "outcome": "seen"}]},
    )
    head = ledger.head()[0]

    gate_report = _json("gate_incident", [gate], monitor)
    outcome_report = _json("trip_outcome", [outcome], monitor)

    assert ledger.head()[0] == head
    [problem] = gate_report.rejected[0].problems
    assert problem.field is None and f"trip {requested.code} is requested; cannot record" in problem.message
    [problem] = outcome_report.rejected[0].problems
    assert (str(problem.where), problem.field) == ("submission 1, patients 2", "patient_code")
    assert problem.message == f"P-403 is not a patient on trip {departed.code}"


def test_a_later_report_of_the_same_trip_adds_to_its_timeline_without_repeating_it(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("gate_incident")
    held = case.submissions[3]
    _json("gate_incident", [held], monitor)
    released = Submission(
        new_uuid(),
        {
            **held.answers,
            "outcome": "released",
            "time_released": at(3, "15:00"),
            "reason_given": "",
        },
    )
    head = ledger.head()[0]

    _json("gate_incident", [released], monitor)

    assert _types_since(head) == ["gate.released"]
    assert Trip.objects.get(pk=case.trips[3].pk).hours_held == 5.0


def test_a_trip_named_by_camp_date_and_hospital_must_be_the_only_one(
    camp: Site, make_referral: Callable[..., Referral], monitor: Any
) -> None:
    make_trip(camp, [make_referral("P-501")], 0)
    make_trip(camp, [make_referral("P-502")], 0)
    submission = Submission(
        new_uuid(),
        answers(
            "gate_incident",
            site="CAMP-T",
            trip_date=day(0),
            facility="H-1",
            outcome="held",
            time_at_gate=at(0, "09:00"),
            certainty="probable",
        ),
    )
    report = _json("gate_incident", [submission], monitor)
    [problem] = report.rejected[0].problems
    assert problem.field == "trip_number" and "several trips from CAMP-T to H-1 on 2014-10-12" in problem.message


def test_a_trip_number_that_contradicts_the_date_given_is_refused(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("gate_incident")
    case.submissions[0].answers["trip_date"] = day(5)
    report = _json("gate_incident", case.submissions, monitor)
    [problem] = report.rejected[0].problems
    assert problem.field == "trip_date" and "is on 2014-10-12, not 2014-10-17" in problem.message


def test_a_gate_time_far_from_the_trips_date_is_taken_for_a_typing_mistake(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("gate_incident")
    case.submissions[0].answers["time_at_gate"] = "2014-11-12T09:00:00.000+03:00"
    case.submissions[0].answers["time_released"] = "2014-11-12T10:00:00.000+03:00"
    report = _json("gate_incident", case.submissions, monitor)
    problems = [(p.field, p.message) for p in report.rejected[0].problems]
    trip = case.trips[0]
    assert ("time_at_gate", f"2014-11-12 is not the day of trip {trip.code} (2014-10-12) or the day after") in problems


def test_certainty_is_taken_from_the_form_and_the_source_defaults_to_a_witness(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("gate_incident")
    report = _json("gate_incident", case.submissions[1:2], monitor)
    entries = Entry.objects.filter(seq__in=report.submissions[0].seqs, type__startswith="gate.")
    assert {(e.source, e.certainty) for e in entries} == {("witness", "probable")}
    del case.submissions[2].answers["certainty"]
    report = _json("gate_incident", case.submissions[2:3], monitor)
    assert report.rejected[0].problems[0].field == "certainty"


def test_a_delivery_let_through_without_a_request_on_record_is_refused(
    camp: Site, monitor: Any, make_referral: Callable[..., Referral]
) -> None:
    submission = Submission(
        new_uuid(),
        answers("supply_delivery", site="CAMP-T", delivery_date=day(1), certainty="confirmed"),
        {"items": [{"category": "food", "status": "allowed", "quantity": "300", "unit": "rations"}]},
    )
    report = _json("supply_delivery", [submission], monitor)
    [problem] = report.rejected[0].problems
    assert problem.field == "delivery_number" and "no open request for food at CAMP-T" in problem.message


def test_the_raw_submission_in_the_ledger_is_the_export_as_it_was_read(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("death")
    data = kobo_json(FORMS["death"], case.submissions[:1])
    report = import_export(data, platform="kobo", filename="d.json", by=monitor)
    died = Entry.objects.get(seq__in=report.submissions[0].seqs, type="patient.died")
    assert died.payload["submission"]["data"] == json.loads(data)["results"][0]
    assert died.payload["patient"] == "P-301" and died.payload["after_denied_care"] is True
    assert died.occurred_at.startswith((dt.date(2014, 10, 18)).isoformat())


def test_an_export_is_imported_as_coming_from_the_server_that_made_it(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("death")
    with pytest.raises(InvalidInput, match="export from ODK, not KoBoToolbox") as refused:
        import_export(odk_zip(FORMS["death"], case.submissions), platform="kobo", filename="d.zip", by=monitor)
    assert refused.value.field == "platform"
    with pytest.raises(InvalidInput, match="export from KoBoToolbox, not ODK"):
        import_export(kobo_json(FORMS["death"], case.submissions), platform="odk", filename="d.json", by=monitor)
    assert not ImportedSubmission.objects.exists()


def test_an_import_checked_for_a_user_of_another_site_finds_nothing_of_this_one_and_writes_nothing(
    field_state: Callable[[str], Case], crossing: Any
) -> None:
    case = field_state("gate_incident")  # a trip of the camp; the crossing's monitor does not work there
    seq = ledger.head()[0]
    for dry_run in (True, False):
        report = _json("gate_incident", case.submissions, crossing.users["monitor"], dry_run=dry_run)
        [problem] = report.rejected[0].problems
        assert problem.field == "trip_number" and problem.message == f"no trip {case.trips[0].code} in the register"
    assert ledger.head()[0] == seq
