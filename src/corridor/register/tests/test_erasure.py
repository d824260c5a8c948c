"""Per-person data keys and erasure: one admin asks, a second confirms, and that person's identity can no
longer be read by anything, while the ledger, its proofs and every indicator stay as they were."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction

from corridor.errors import Conflict, NotAllowed, NotFound
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.ops import keys
from corridor.ops.testing import database_text
from corridor.register import crypto, erasure
from corridor.register import services as register
from corridor.register.models import DataKey, Erasure, Patient, PatientIdentity

NAME = "Synthetic Erasable Quillfeather"
CONTACT = "Tent 77, Block Zephyr"
NOTE = "allergic to marmalade-xq"
MARKS = (NAME, "Quillfeather", CONTACT, "Zephyr", "marmalade-xq")


def _stored(patient: Any) -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT full_name, contact, notes FROM register_patientidentity WHERE patient_id = %s", [patient.pk]
        )
        return tuple(cursor.fetchone())


@pytest.fixture
def patient(camp: Any) -> Patient:
    return register.register_patient(
        site=camp,
        code="P-ERASE",
        registered_on=dt.date(2014, 10, 1),
        identity={"full_name": NAME, "contact": CONTACT, "notes": NOTE},
        by=None,
    )


@pytest.fixture
def neighbour(camp: Any) -> Patient:
    return register.register_patient(
        site=camp,
        code="P-KEEP",
        registered_on=dt.date(2014, 10, 1),
        identity={"full_name": "Synthetic Neighbour Kept"},
        by=None,
    )


def _erase(person: Any, admins: tuple[Any, Any]) -> Erasure:
    erasure.request_erasure(person, reason="the family asked", by=admins[0])
    return erasure.confirm_erasure(person, by=admins[1])


def test_each_person_has_a_data_key_of_their_own_wrapped_by_the_identity_key(
    patient: Patient, neighbour: Patient
) -> None:
    mine, theirs = (DataKey.objects.get(kind="patient", person_id=p.pk) for p in (patient, neighbour))
    assert mine.key_id != theirs.key_id
    assert mine.wrapped.startswith(crypto.BOUND_PREFIX + "$" + crypto.keyring().primary + "$")
    assert all(value.startswith(f"{crypto.PERSONAL_PREFIX}${mine.key_id}$") for value in _stored(patient))
    identity = PatientIdentity.objects.get(patient=patient)
    assert (identity.full_name, identity.contact, identity.notes) == (NAME, CONTACT, NOTE)


def test_text_encrypted_for_a_person_reads_back_and_only_for_that_person(patient: Patient, neighbour: Patient) -> None:
    stored = crypto.encrypt_for(patient, "seen by Dr Synthetic", "transfers.trip.note")
    assert "Synthetic" not in stored
    assert crypto.decrypt_for(patient, stored, "transfers.trip.note") == "seen by Dr Synthetic"
    with pytest.raises(crypto.IdentityKeyError):
        crypto.decrypt_for(neighbour, stored, "transfers.trip.note")
    with pytest.raises(crypto.IdentityKeyError):
        crypto.decrypt_for(patient, stored, "register.referral.diagnosis")


def test_a_data_key_copied_into_another_persons_row_does_not_open_there(patient: Patient, neighbour: Patient) -> None:
    # Someone with write access to the database cannot make one person's key open another's values.
    mine = DataKey.objects.get(kind="patient", person_id=patient.pk)
    DataKey.objects.filter(kind="patient", person_id=neighbour.pk).update(wrapped=mine.wrapped, key_id=mine.key_id)
    with pytest.raises(crypto.IdentityKeyError, match="altered"):
        PatientIdentity.objects.get(patient=neighbour)
    assert PatientIdentity.objects.get(patient=patient).full_name == NAME


def test_rotating_the_identity_key_rewraps_data_keys_and_leaves_every_identity_value_as_it_was(
    patient: Patient, neighbour: Patient, settings: Any
) -> None:
    from corridor import env

    values = {p.pk: _stored(p) for p in (patient, neighbour)}
    wrapped = dict(DataKey.objects.values_list("person_id", "wrapped"))
    new = env.new_identity_key()
    settings.IDENTITY_KEYS = [new, *settings.IDENTITY_KEYS]
    count, kid = keys.reencrypt_identities(by=None)
    assert count == 2 and kid == crypto.key_id(new)
    assert {p.pk: _stored(p) for p in (patient, neighbour)} == values  # not one identity value re-encrypted
    after = dict(DataKey.objects.values_list("person_id", "wrapped"))
    assert all(after[pk] != wrapped[pk] and after[pk].split("$")[1] == kid for pk in wrapped)
    settings.IDENTITY_KEYS = [new]  # the old key gone: everything still reads
    assert PatientIdentity.objects.get(patient=patient).full_name == NAME


def test_one_admin_asking_erases_nothing_until_a_second_admin_confirms(
    patient: Patient, admins: tuple[Any, Any]
) -> None:
    first, second = admins
    request = erasure.request_erasure(patient, reason="the family asked", by=first)
    assert PatientIdentity.objects.get(patient=patient).full_name == NAME
    with pytest.raises(NotAllowed, match="second admin"), transaction.atomic():
        erasure.confirm_erasure(patient, by=first)
    with pytest.raises(Conflict, match="already waiting"), transaction.atomic():
        erasure.request_erasure(patient, reason="again", by=second)
    assert PatientIdentity.objects.get(patient=patient).full_name == NAME
    done = erasure.confirm_erasure(patient, by=second)
    assert (done.state, done.requested_by, done.decided_by) == ("confirmed", "admin", "admin-two")
    asked, confirmed = Entry.objects.filter(type__startswith="erasure.").order_by("seq")
    assert (asked.type, asked.recorded_by, asked.payload["reason"]) == (
        "erasure.requested",
        "admin",
        "the family asked",
    )
    assert (confirmed.type, confirmed.recorded_by) == ("erasure.confirmed", "admin-two")
    assert confirmed.payload == {"person": "P-ERASE", "kind": "patient", "request": request.requested_seq}
    for entry in (asked, confirmed):
        assert not any(mark in entry.body for mark in MARKS)  # that it happened, never what was erased


def test_a_request_can_be_cancelled_and_then_nothing_is_erased(patient: Patient, admins: tuple[Any, Any]) -> None:
    erasure.request_erasure(patient, reason="mistaken request", by=admins[0])
    erasure.cancel_erasure(patient, by=admins[0], reason="wrong patient")
    with pytest.raises(Conflict, match="no erasure"), transaction.atomic():
        erasure.confirm_erasure(patient, by=admins[1])
    assert PatientIdentity.objects.get(patient=patient).notes == NOTE
    assert Entry.objects.filter(type="erasure.cancelled").get().payload["reason"] == "wrong patient"


def test_only_named_admins_of_the_persons_site_may_erase(
    patient: Patient, users: dict[str, Any], crossing: Any
) -> None:
    for who in (None, "a script", users["coordinator"], users["auditor"]):
        with pytest.raises(NotAllowed), transaction.atomic():
            erasure.request_erasure(patient, reason="because", by=who)
    with pytest.raises(NotFound), transaction.atomic():  # another site's admin: the patient is not there
        erasure.request_erasure(patient, reason="because", by=crossing.users["admin"])
    with pytest.raises(NotFound):
        erasure.find_person("P-ERASE", crossing.users["admin"])
    assert not Erasure.objects.exists()


def test_after_the_erasure_no_code_path_reads_the_identity_and_every_read_says_erased(
    patient: Patient, neighbour: Patient, admins: tuple[Any, Any], users: dict[str, Any]
) -> None:
    stored_before = _stored(patient)
    note = crypto.encrypt_for(patient, "a note about the erased person", "transfers.trip.note")
    _erase(patient, admins)
    key = DataKey.objects.get(kind="patient", person_id=patient.pk)
    assert key.wrapped == "" and key.erased_at is not None
    assert _stored(patient) == stored_before  # the ciphertext stays; nothing can open it
    identity = PatientIdentity.objects.get(patient=patient)
    assert (identity.full_name, identity.contact, identity.notes) == ("erased", "erased", "erased")
    assert isinstance(identity.full_name, crypto.Erased)
    shown = register.view_identity(patient, by=users["coordinator"], purpose="escort")
    assert shown is not None and shown.full_name == crypto.ERASED
    assert crypto.decrypt_for(patient, note, "transfers.trip.note") == crypto.ERASED
    # Not even by going around the model with the identity key in hand.
    ring = crypto.keyring()
    for value in stored_before:
        with pytest.raises(crypto.IdentityKeyError):
            ring.open(value, "register.patientidentity.full_name", patient.pk)
    # Saving the row again keeps it erased; nothing new can be kept for the person.
    identity.save()
    assert _stored(patient) == stored_before
    with pytest.raises(Conflict, match="erased"):
        register.change_identity(patient, identity={"full_name": "Someone New"}, by=None)
    with pytest.raises(crypto.PersonErased):
        crypto.encrypt_for(patient, "anything", "transfers.trip.note")
    with pytest.raises(Conflict, match="already erased"):
        erasure.request_erasure(patient, reason="again", by=admins[0])
    assert PatientIdentity.objects.get(patient=neighbour).full_name == "Synthetic Neighbour Kept"
    from corridor.reports.privacy import identity_values

    assert identity_values() == ["Synthetic Neighbour Kept"]  # "erased" is not a name to withhold


def test_a_database_dump_after_the_erasure_holds_no_marker_and_no_key_to_open_it(
    patient: Patient, admins: tuple[Any, Any]
) -> None:
    wrapped = DataKey.objects.get(kind="patient", person_id=patient.pk).wrapped
    _erase(patient, admins)
    dump = database_text()
    assert "P-ERASE" in dump  # the dump really holds the register
    assert not [mark for mark in MARKS if mark in dump]
    assert wrapped not in dump and wrapped.split("$")[2][:24] not in dump


def test_the_chain_its_proofs_and_the_monthly_indicators_are_the_same_after_an_erasure(
    camp: Any, admins: tuple[Any, Any], tmp_path: Any, settings: Any
) -> None:
    from corridor.ledger import checkpoints, evidence
    from corridor.reports import catalogue
    from corridor.reports.core import Period
    from corridor.reports.tests import fixtures

    settings.DATA_DIR = tmp_path
    built = fixtures.build(camp)
    period = Period.month("2014-10", fixtures.AS_OF)
    before = [(t.code, t.rows) for t in catalogue.compute_all(period).tables()]
    _, note = evidence.sign_checkpoint(by=None)
    checkpoint = checkpoints.parse(note)[0]
    cited = [e.seq for e in Entry.objects.filter(subject_rows__key="patient:P-A").order_by("seq")]
    proofs = evidence.inclusion_proofs(cited, checkpoint)
    head = ledger.head()

    _erase(built["patients"]["A"], admins)

    assert PatientIdentity.objects.get(patient__code="P-A").full_name == crypto.ERASED
    assert [(t.code, t.rows) for t in catalogue.compute_all(period).tables()] == before
    assert evidence.inclusion_proofs(cited, checkpoint) == proofs
    assert [e.hash for e in Entry.objects.filter(seq__lte=head[0]).order_by("seq")][-1] == head[1]
    verdict = ledger.verify(deep=True)  # the chain, the checkpoint, and every entry's site rows
    assert verdict.ok and verdict.count == head[0] + 2, verdict.problem
    evidence.sign_checkpoint(by=None)  # the new tree still contains the old one


@pytest.mark.parametrize("language", ["en", "fa", "ar"])
def test_the_identity_page_says_in_each_language_that_the_identity_was_erased(
    patient: Patient, admins: tuple[Any, Any], users: dict[str, Any], language: str
) -> None:
    from django.test import Client
    from django.urls import reverse
    from django.utils import translation
    from django.utils.html import escape

    _erase(patient, admins)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(users["coordinator"])
    client.cookies["django_language"] = language
    html = client.post(reverse("web:patient_identity", args=[patient.code]), {"purpose": "escort"}).content.decode()
    with translation.override(language):
        sentence = translation.gettext("This person's identity was erased: it can no longer be read.")
    assert sentence in html, html
    assert not [mark for mark in MARKS if mark in html]
    assert reverse("web:identity_edit", args=[patient.code]) not in html
    edit = client.get(reverse("web:identity_edit", args=[patient.code]), follow=True)
    assert edit.redirect_chain[-1][0] == reverse("web:patient", args=[patient.code])
    assert escape(sentence) in edit.content.decode()  # a message, escaped like any


def test_a_companions_identity_is_erased_the_same_way(camp: Any, admins: tuple[Any, Any]) -> None:
    from corridor.transfers import companions
    from corridor.transfers.models import CompanionIdentity

    escort = companions.register_companion(
        site=camp,
        code="C-ERASE",
        kind="escort",
        registered_on=dt.date(2014, 1, 1),
        identity={"full_name": NAME},
        by=None,
    )
    assert DataKey.objects.filter(kind="companion", person_id=escort.pk).exists()
    found = erasure.find_person("C-ERASE", admins[0])
    assert found == escort
    _erase(found, admins)
    assert CompanionIdentity.objects.get(companion=escort).full_name == crypto.ERASED
    assert Entry.objects.filter(type="erasure.confirmed").get().subjects == ["companion:C-ERASE"]


@pytest.mark.slow
def test_the_database_file_itself_keeps_no_copy_of_an_erased_persons_key(tmp_path: Any) -> None:
    # A real SQLite file, written by processes of their own (so the erasure commits and its clean-up runs):
    # a logical dump hides freed pages and the write-ahead log, the bytes of the file do not.
    from corridor.ops.testing import corridor, environment, python

    url = f"sqlite:///{tmp_path / 'own.sqlite3'}"
    variables = environment(url, tmp_path)
    corridor(["migrate"], variables)
    keys = python(
        "import datetime as dt\n"
        "from corridor.accounts.services import create_user\n"
        "from corridor.register import erasure, services as register\n"
        "from corridor.register.models import DataKey\n"
        "site = register.create_site(code='S', name='S', country='XX', by=None)\n"
        "people = [register.register_patient(site=site, code=f'P-{i}', registered_on=dt.date(2014, 1, 1),\n"
        f"    identity={{'full_name': '{NAME} ' + str(i)}}, by=None) for i in range(3)]\n"
        "a, b = (create_user(username=n, role='admin', password='x', by=None, check_password=False, sites=['S'])\n"
        "    for n in ('a', 'b'))\n"
        "wrapped = [DataKey.objects.get(person_id=p.pk).wrapped.split('$')[2] for p in people]\n"
        "erasure.request_erasure(people[1], reason='asked', by=a)\n"
        "erasure.confirm_erasure(people[1], by=b)\n"
        "print(' '.join(wrapped))\n",
        variables,
    ).split()
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("own.sqlite3*"))
    assert keys[0].encode() in raw and keys[2].encode() in raw  # the others' keys are there to be found
    assert keys[1].encode() not in raw and keys[1][:16].encode() not in raw
    assert not [mark for mark in MARKS if mark.encode() in raw]


def test_an_erased_person_is_found_by_no_name_search_and_a_rebuilt_index_leaves_them_out(
    patient: Patient, neighbour: Patient, admins: tuple[Any, Any]
) -> None:
    from corridor.register import name_index
    from corridor.register.models import NameToken

    assert NameToken.objects.filter(patient=patient).exists()  # the name was indexed when it was given
    _erase(patient, admins)
    assert not NameToken.objects.filter(patient=patient).exists()
    name_index.rebuild()  # as a key rotation does: the erased name cannot be read, so it is not indexed
    assert not NameToken.objects.filter(patient=patient).exists()
    assert NameToken.objects.filter(patient=neighbour).exists()


def test_after_an_erasure_the_persons_committed_ledger_texts_read_erased_everywhere_and_the_dump_holds_none(
    patient: Patient, admins: tuple[Any, Any], users: dict[str, Any], camp: Any, make_referral: Any, tmp_path: Any,
    settings: Any,
) -> None:  # fmt: skip
    from click.testing import CliRunner

    from corridor.cli import cli
    from corridor.ledger import evidence, sealing, withheld
    from corridor.sensitivity import redact_entry

    settings.DATA_DIR = tmp_path
    referral = make_referral(patient.code)
    register.close_referral(
        referral, reason="withdrawn", on=dt.date(2014, 10, 5), note="closing mkEraseNote5561", by=users["coordinator"]
    )
    register.view_identity(patient, by=users["coordinator"], purpose="call the family mkErasePurpose5562")
    marks = ("mkEraseNote5561", "mkErasePurpose5562")
    texts = [e for e in Entry.objects.filter(subject_rows__key="patient:P-ERASE") if e.committed]
    assert len(texts) == 2 and all(mark in str([e.payload for e in texts]) for mark in marks)
    _, note = evidence.sign_checkpoint(by=None)
    head = ledger.head()
    bodies = [e.body for e in texts]

    _erase(patient, admins)

    for entry in Entry.objects.filter(seq__in=[e.seq for e in texts]):
        assert entry.body in bodies  # the hashed bodies did not change
        shown = redact_entry(entry, users["coordinator"]).payload
        assert crypto.ERASED in shown.values() and not [m for m in marks if m in str(shown)]
        assert all(held is None for held in sealing.opened([entry.seq])[entry.seq].values())
        with pytest.raises(NotFound, match="erased"):
            withheld.prove_text(entry.seq, "note" if "note" in shown else "purpose", by=users["auditor"], purpose="x")
    dump = database_text()
    assert "P-ERASE" in dump and "ledger_sealedtext" in dump.lower()
    assert not [mark for mark in marks if mark in dump]
    assert ledger.verify(deep=True).ok
    assert evidence.inclusion_proofs([e.seq for e in texts], evidence.read_checkpoint(note))
    assert [e.hash for e in Entry.objects.filter(seq__lte=head[0]).order_by("seq")][-1] == head[1]
    assert CliRunner().invoke(cli, ["verify"]).exit_code == 0


def test_the_migration_seals_a_diagnosis_kept_in_the_clear_and_an_erased_persons_reads_erased(
    patient: Patient, neighbour: Patient, admins: tuple[Any, Any], make_referral: Any
) -> None:
    from corridor.register.models import Referral

    theirs, kept = make_referral(patient.code), make_referral(neighbour.code)
    _erase(patient, admins)
    with connection.cursor() as cursor:  # as stored before the column was encrypted
        for referral, text in ((theirs, "mkOldDiagErased881"), (kept, "mkOldDiagKept882")):
            cursor.execute("UPDATE register_referral SET diagnosis = %s WHERE id = %s", [text, referral.pk])
    context = "register.referral.diagnosis"

    def stored() -> dict[int, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, diagnosis FROM register_referral WHERE id IN (%s, %s)", [theirs.pk, kept.pk])
            return dict(cursor.fetchall())

    crypto.seal_column(connection, "register_referral", "diagnosis", "patient_id", context)
    sealed = stored()
    crypto.seal_column(connection, "register_referral", "diagnosis", "patient_id", context)
    assert stored() == sealed  # a re-run leaves sealed values as they are

    dump = database_text()
    assert "mkOldDiag" not in dump
    assert Referral.objects.get(pk=kept.pk).diagnosis == "mkOldDiagKept882"
    assert Referral.objects.get(pk=theirs.pk).diagnosis == crypto.ERASED
    crypto.open_column(connection, "register_referral", "diagnosis", "patient_id", context)
    assert stored() == {theirs.pk: "", kept.pk: "mkOldDiagKept882"}  # going back: the erased text stays unknown
