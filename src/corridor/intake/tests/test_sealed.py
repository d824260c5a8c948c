"""Raw field submissions kept sealed: under the patient's data key (erasing them shreds it), else the
install's; a re-import told from an edit without the clear text; shown only through the audited path."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection
from django.test import Client

from corridor.accounts.services import create_user
from corridor.accounts.tokens import issue_token
from corridor.cli import cli
from corridor.errors import InvalidInput, NotAllowed, NotFound
from corridor.intake import sealing, servers
from corridor.intake.forms import FORMS
from corridor.intake.models import ImportedSubmission, Refusal
from corridor.intake.services import ImportReport, import_export
from corridor.intake.sources import Source
from corridor.intake.tests.cases import Case
from corridor.intake.tests.conftest import PUSH_SECRET
from corridor.intake.tests.exports import Submission, kobo_json
from corridor.intake.tests.recorded import RECORDED
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.ops.testing import database_text
from corridor.register import crypto, erasure
from corridor.register.models import DataKey, Patient, Referral
from corridor.transfers.models import TripPassenger

pytestmark = pytest.mark.django_db
MARK = "mkIntakeCircumstance731"
PUSH_MARK = "mkIntakePushed732"
SECOND_MARK = "mkSecondPassenger733"
FIRST_MARK = "mkFirstPassenger734"
TRIP_MARK = "mkTripNote735"
migration = importlib.import_module("corridor.intake.migrations.0003_h18i_sealed_submissions")


def _json(submissions: list[Submission], by: Any) -> ImportReport:
    return import_export(kobo_json(FORMS["death"], submissions), platform="kobo", filename="d.json", by=by)


def _death(field_state: Callable[[str], Case]) -> Case:
    case = field_state("death")
    case.submissions[0].answers["circumstances"] = MARK
    return case


def _push(**changes: Any) -> Any:
    body = {**json.loads((RECORDED / "kobo/push-death.json").read_text()), "circumstances": PUSH_MARK, **changes}
    return Client().post(
        "/intake/push/deaths-push/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-Corridor-Secret": PUSH_SECRET},
    )


def _erase(code: str, users: dict[str, Any], camp: Any) -> None:
    second = create_user(
        username="admin-two", role="admin", password="x", by=None, check_password=False, sites=[camp.code]
    )
    person = Patient.objects.get(code=code)
    erasure.request_erasure(person, reason="the family asked", by=users["admin"])
    erasure.confirm_erasure(person, by=second)


def test_an_imported_submissions_answers_are_stored_sealed_under_its_patients_data_key(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = _death(field_state)
    _json(case.submissions, monitor)

    row = ImportedSubmission.objects.get(instance_id=case.submissions[0].uuid)
    patient = Patient.objects.get(code="P-301")
    assert row.owner == f"patient:{patient.pk}"
    key = DataKey.objects.get(kind="patient", person_id=patient.pk)
    assert row.answers.startswith(f"{crypto.PERSONAL_PREFIX}${key.key_id}$")
    assert row.opened_answers()["circumstances"] == MARK
    assert set(row.digests["answers"]) == set(row.opened_answers())
    assert MARK not in database_text()


def test_a_reimport_is_still_a_duplicate_and_an_edited_copy_is_still_named_after_sealing(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = _death(field_state)
    _json(case.submissions, monitor)
    head = ledger.head()[0]

    again = _json(case.submissions, monitor)
    case.submissions[0].answers["circumstances"] = MARK + " and later"
    edited = _json(case.submissions, monitor)

    assert [s.status for s in again.submissions] == ["duplicate", "duplicate"]
    assert [s.status for s in edited.submissions] == ["rejected", "duplicate"]
    assert "with other answers (circumstances)" in edited.submissions[0].problems[0].message
    assert ledger.head()[0] == head


def test_once_the_key_of_the_answers_hmacs_is_gone_the_sealed_answers_tell_a_reimport_from_an_edit(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = _death(field_state)
    _json(case.submissions, monitor)
    for row in ImportedSubmission.objects.all():  # as after a rotation that dropped the HMACs' key
        row.digests = {**row.digests, "key": "00000000"}
        row.save(update_fields=["digests"])

    again = _json(case.submissions, monitor)
    case.submissions[1].answers["certainty"] = "confirmed"
    edited = _json(case.submissions, monitor)

    assert [s.status for s in again.submissions] == ["duplicate", "duplicate"]
    assert [s.status for s in edited.submissions] == ["duplicate", "rejected"]
    assert "with other answers (certainty)" in edited.submissions[1].problems[0].message


def test_erasing_the_patient_shreds_their_submissions_and_a_copy_sent_again_is_still_a_duplicate(
    field_state: Callable[[str], Case], monitor: Any, users: dict[str, Any], camp: Any
) -> None:
    case = _death(field_state)
    _json(case.submissions, monitor)

    _erase("P-301", users, camp)

    theirs = ImportedSubmission.objects.get(instance_id=case.submissions[0].uuid)
    kept = ImportedSubmission.objects.get(instance_id=case.submissions[1].uuid)
    assert theirs.opened_answers() is sealing.ERASED
    assert kept.opened_answers()["patient_code"] == "P-302"  # nobody else's is touched
    assert MARK not in database_text()
    head = ledger.head()[0]
    assert [s.status for s in _json(case.submissions, monitor).submissions] == ["duplicate", "duplicate"]
    assert ledger.head()[0] == head


def _trip_outcome(field_state: Callable[[str], Case]) -> Case:
    """The hospital's form about a trip with two passengers, P-201 (whose key seals it) and P-202."""
    case = field_state("trip_outcome")
    first, second = case.submissions[0].repeats["patients"]
    first["outcome_note"], second["outcome_note"] = FIRST_MARK, SECOND_MARK
    return case


def _import_trip_outcome(case: Case, by: Any) -> ImportReport:
    return import_export(kobo_json(FORMS["trip_outcome"], case.submissions), platform="kobo", filename="t.json", by=by)


def test_erasing_the_second_passenger_a_trip_outcome_names_shreds_its_answers_sealed_under_the_firsts_key(
    field_state: Callable[[str], Case], monitor: Any, users: dict[str, Any], camp: Any
) -> None:
    case = _trip_outcome(field_state)
    _import_trip_outcome(case, monitor)
    trip = ImportedSubmission.objects.get(instance_id=case.submissions[0].uuid)
    first = Patient.objects.get(code="P-201")
    assert trip.owner == f"patient:{first.pk}"  # sealed under the first passenger's key, not the second's
    assert SECOND_MARK in json.dumps(trip.opened_answers())

    _erase("P-202", users, camp)

    trip.refresh_from_db()
    other = ImportedSubmission.objects.get(instance_id=case.submissions[1].uuid)
    assert trip.opened_answers() is sealing.ERASED
    assert trip.answers == ""  # no ciphertext left that any key could open
    assert trip.owner == f"patient:{Patient.objects.get(code='P-202').pk}"
    assert "P-203" in json.dumps(other.opened_answers())  # not about them: kept
    assert SECOND_MARK not in database_text() and FIRST_MARK not in database_text()
    head = ledger.head()[0]
    assert [s.status for s in _import_trip_outcome(case, monitor).submissions] == ["duplicate", "duplicate"]
    assert ledger.head()[0] == head
    deep = CliRunner().invoke(cli, ["verify", "--deep"])
    assert deep.exit_code == 0, deep.output


def test_erasing_the_second_passenger_leaves_the_first_passengers_own_entries_and_outcome_readable(
    field_state: Callable[[str], Case], monitor: Any, users: dict[str, Any], camp: Any
) -> None:
    case = _trip_outcome(field_state)
    _import_trip_outcome(case, monitor)
    seen = Entry.objects.get(type="patient.seen", subject_rows__key="patient:P-201")

    _erase("P-202", users, camp)

    assert Entry.objects.get(seq=seen.seq).payload["note"] == FIRST_MARK
    assert TripPassenger.objects.get(patient__code="P-201").outcome_note == FIRST_MARK
    assert Entry.objects.get(type="patient.not_seen").payload["note"] != SECOND_MARK  # theirs: erased


def test_erasing_the_second_passenger_leaves_no_entry_of_the_trip_outcome_that_reads_their_answers(
    field_state: Callable[[str], Case], monitor: Any, users: dict[str, Any], camp: Any
) -> None:
    case = _trip_outcome(field_state)
    case.submissions[0].answers["note"] = TRIP_MARK
    before = ledger.head()[0]
    _import_trip_outcome(case, monitor)
    carrying = [e for e in Entry.objects.filter(seq__gt=before).order_by("seq") if "submission" in e.payload]
    assert {e.type for e in carrying} >= {"trip.arrived", "patient.seen", "patient.not_seen", "trip.returned"}
    seen = next(e for e in carrying if e.type == "patient.seen" and "patient:P-201" in e.subjects)

    _erase("P-202", users, camp)

    entries = list(Entry.objects.filter(seq__gt=before).order_by("seq"))
    readable = json.dumps([e.payload for e in entries], ensure_ascii=False)
    assert SECOND_MARK not in readable  # not in any entry's copy of the submission, whoever's key sealed it
    assert "P-202" not in json.dumps([e.payload.get("submission") for e in entries if e.seq != seen.seq])
    own = Entry.objects.get(seq=seen.seq).payload["submission"]
    assert own["part"] == ["P-201"]
    assert [item["patients/patient_code"] for item in own["data"]["patients"]] == ["P-201"]
    assert FIRST_MARK in json.dumps(own) and TRIP_MARK in json.dumps(own)  # theirs, and the trip's
    arrived = next(e for e in Entry.objects.filter(seq__gt=before, type="trip.arrived"))
    assert arrived.payload["submission"]["part"] == []  # about the trip: the answers about no one in particular
    assert TRIP_MARK in json.dumps(arrived.payload) and FIRST_MARK not in json.dumps(arrived.payload)
    deep = CliRunner().invoke(cli, ["verify", "--deep"])
    assert deep.exit_code == 0, deep.output


def test_a_refused_submission_naming_two_patients_is_shredded_by_the_second_ones_erasure(
    field_state: Callable[[str], Case],
    intake_sources: dict[str, Source],
    users: dict[str, Any],
    camp: Any,
) -> None:
    case = _trip_outcome(field_state)
    body = json.loads(kobo_json(FORMS["trip_outcome"], case.submissions[:1]))["results"][0]
    pushed = Client().post(
        "/intake/push/deaths-push/",
        data=json.dumps({**body, "trip_number": "T-9999"}),  # no such trip: refused, kept to be corrected
        content_type="application/json",
        headers={"X-Corridor-Secret": PUSH_SECRET},
    )
    assert pushed.json()["status"] == "refused"
    refusal = Refusal.objects.get()
    assert refusal.owner == f"patient:{Patient.objects.get(code='P-201').pk}"
    assert refusal.received()["patients"][1]["patients/outcome_note"] == SECOND_MARK

    _erase("P-202", users, camp)

    refusal.refresh_from_db()
    assert refusal.received() is sealing.ERASED
    assert refusal.data == ""
    assert refusal.problems[0]["code"] == "intake.no_trip"  # why it was refused is kept


def test_erasing_a_patient_no_refused_submission_names_leaves_every_refusal_readable(
    field_state: Callable[[str], Case], intake_sources: dict[str, Source], users: dict[str, Any], camp: Any
) -> None:
    _trip_outcome(field_state)
    assert _push().json()["status"] == "refused"  # names P-305, not in the register

    _erase("P-202", users, camp)

    assert Refusal.objects.get().received()["circumstances"] == PUSH_MARK


def test_a_refused_submission_naming_no_known_patient_is_sealed_under_the_install_key(
    intake_sources: dict[str, Source],
) -> None:
    assert _push().json()["status"] == "refused"  # P-305 is not in the register

    refusal = Refusal.objects.get()
    assert refusal.owner == ""
    assert refusal.data.startswith(f"{crypto.BOUND_PREFIX}${crypto.keyring().primary}$")
    assert refusal.received()["circumstances"] == PUSH_MARK
    assert PUSH_MARK not in database_text()


def test_a_refused_submission_naming_a_known_patient_is_shredded_by_their_erasure(
    intake_sources: dict[str, Source],
    make_referral: Callable[..., Referral],
    users: dict[str, Any],
    camp: Any,
) -> None:
    patient = make_referral("P-305").patient
    assert _push(date_of_death="not a date").json()["status"] == "refused"
    refusal = Refusal.objects.get()
    assert refusal.owner == f"patient:{patient.pk}"
    assert refusal.received()["circumstances"] == PUSH_MARK

    _erase("P-305", users, camp)

    refusal.refresh_from_db()
    assert refusal.received() is sealing.ERASED
    assert PUSH_MARK not in database_text()


def test_a_refused_submission_is_shown_only_to_a_role_that_sees_identities_and_each_showing_is_recorded(
    intake_sources: dict[str, Source], users: dict[str, Any]
) -> None:
    _push()
    refusal = Refusal.objects.get()
    head = ledger.head()[0]

    with pytest.raises(NotAllowed):
        servers.show_received(refusal.pk, by=users["monitor"], purpose="checking")
    with pytest.raises(InvalidInput) as missing:
        servers.show_received(refusal.pk, by=users["coordinator"], purpose="  ")
    assert missing.value.code == "intake.purpose_missing"
    assert ledger.head()[0] == head

    shown = servers.show_received(refusal.pk, by=users["coordinator"], purpose="correcting the code")

    assert shown["circumstances"] == PUSH_MARK
    entry = Entry.objects.get(seq=head + 1)
    assert entry.type == "identity.viewed" and entry.recorded_by == users["coordinator"].username
    assert entry.payload["refusal"] == refusal.pk and entry.payload["purpose"] == "correcting the code"


def test_a_refused_submission_naming_another_sites_patient_is_not_shown_to_a_coordinator_of_this_one(
    intake_sources: dict[str, Source], make_referral: Callable[..., Referral], crossing: Any
) -> None:
    make_referral("P-305")
    _push(date_of_death="not a date")
    refusal = Refusal.objects.get()
    head = ledger.head()[0]

    with pytest.raises(NotFound):
        servers.show_received(refusal.pk, by=crossing.users["coordinator"], purpose="checking")

    assert ledger.head()[0] == head


def test_a_refused_submissions_page_shows_its_text_to_a_coordinator_with_a_purpose_and_refuses_a_monitor(
    intake_sources: dict[str, Source], users: dict[str, Any]
) -> None:
    _push()
    url = f"/intake/refused/{Refusal.objects.get().pk}/"
    monitor, coordinator = Client(), Client()
    monitor.force_login(users["monitor"])
    coordinator.force_login(users["coordinator"])
    head = ledger.head()[0]

    refused = monitor.get(url)
    asked = coordinator.get(url)
    unexplained = coordinator.post(url, {"purpose": ""})

    assert refused.status_code == 403 and PUSH_MARK not in refused.content.decode()
    assert url not in monitor.get("/intake/").content.decode()  # no link where it cannot be followed
    assert url in coordinator.get("/intake/").content.decode()
    assert asked.status_code == 200 and PUSH_MARK not in asked.content.decode()
    assert unexplained.status_code == 200 and PUSH_MARK not in unexplained.content.decode()
    assert ledger.head()[0] == head

    shown = coordinator.post(url, {"purpose": "correcting the patient code"})

    assert PUSH_MARK in shown.content.decode()
    assert Entry.objects.get(seq=head + 1).type == "identity.viewed"


def test_a_monitors_intake_page_and_ledger_api_show_the_problems_never_the_submissions_text(
    intake_sources: dict[str, Source],
    field_state: Callable[[str], Case],
    users: dict[str, Any],
) -> None:
    _json(_death(field_state).submissions, users["monitor"])
    _push()
    page = Client()
    page.force_login(users["monitor"])
    intake = page.get("/intake/").content.decode()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(users['monitor'], by=None, label='test')[1]}")
    entries = api.get("/api/ledger", {"limit": 500})

    assert "no patient with code" in intake  # the problem, said
    assert entries.status_code == 200
    for shown in (intake, entries.content.decode()):
        assert MARK not in shown and PUSH_MARK not in shown


def test_the_migration_seals_rows_kept_in_the_clear_and_going_back_opens_them(
    field_state: Callable[[str], Case],
    intake_sources: dict[str, Source],
    monitor: Any,
    users: dict[str, Any],
    camp: Any,
) -> None:
    case = _death(field_state)
    _json(case.submissions, monitor)
    _push()
    rows = {row.instance_id: row.opened_answers() for row in ImportedSubmission.objects.all()}
    received = Refusal.objects.get().received()
    with connection.cursor() as cursor:  # as stored before the columns were sealed
        for ident, answers in rows.items():
            cursor.execute(
                "UPDATE intake_importedsubmission SET answers = %s, owner = '', digests = '{}' WHERE instance_id = %s",
                [json.dumps(answers), ident],
            )
        cursor.execute("UPDATE intake_refusal SET data = %s, owner = ''", [json.dumps(received)])
    assert MARK in database_text()

    def stored() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT answers, owner FROM intake_importedsubmission UNION ALL SELECT data, owner FROM intake_refusal"
            )
            return sorted(cursor.fetchall())

    migration.seal_rows(connection)
    sealed = stored()
    migration.seal_rows(connection)

    assert stored() == sealed  # a re-run leaves sealed values as they are
    assert MARK not in database_text() and PUSH_MARK not in database_text()
    assert {row.instance_id: row.opened_answers() for row in ImportedSubmission.objects.all()} == rows
    assert Refusal.objects.get().received() == received
    assert [s.status for s in _json(case.submissions, monitor).submissions] == ["duplicate", "duplicate"]

    _erase("P-301", users, camp)
    migration.open_rows(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT instance_id, answers FROM intake_importedsubmission")
        opened = {ident: json.loads(text) for ident, text in cursor.fetchall()}
        cursor.execute("SELECT data FROM intake_refusal")
        assert json.loads(cursor.fetchone()[0]) == received
    assert opened[case.submissions[0].uuid] == {}  # going back: the erased patient's answers stay unknown
    assert opened[case.submissions[1].uuid] == rows[case.submissions[1].uuid]


def test_a_key_rotation_seals_a_refusal_again_and_a_reimport_is_still_known_without_the_old_key(
    field_state: Callable[[str], Case], intake_sources: dict[str, Source], monitor: Any, settings: Any
) -> None:
    from corridor import env
    from corridor.ops import keys

    case = _death(field_state)
    _json(case.submissions, monitor)
    supplies = field_state("supply_delivery")  # about no patient: sealed under the install's key
    import_export(
        kobo_json(FORMS["supply_delivery"], supplies.submissions), platform="kobo", filename="s.json", by=monitor
    )
    assert ImportedSubmission.objects.filter(owner="").exists()
    _push()
    new = env.new_identity_key()
    settings.IDENTITY_KEYS = [new, *settings.IDENTITY_KEYS]

    keys.reencrypt_identities(by=None)

    assert set(crypto.key_ids_in_use()) == {crypto.key_id(new)}
    settings.IDENTITY_KEYS = [new]  # the old key gone: the refusal still reads, the import is still known
    assert Refusal.objects.get().received()["circumstances"] == PUSH_MARK
    assert [s.status for s in _json(case.submissions, monitor).submissions] == ["duplicate", "duplicate"]
    again = import_export(
        kobo_json(FORMS["supply_delivery"], supplies.submissions), platform="kobo", filename="s.json", by=monitor
    )
    assert {s.status for s in again.submissions} == {"duplicate"}
