"""Identity fields are encrypted at rest: a database dump alone reveals no name."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from corridor import env
from corridor.errors import InvalidInput
from corridor.ledger.models import Entry
from corridor.ops import keys
from corridor.ops.testing import corridor, database_text, environment, own_database, python
from corridor.register import crypto
from corridor.register import services as register
from corridor.register.models import PatientIdentity

NAME = "Synthetic Nameperson Qx"
CONTACT = "Tent 42, Block Qz"



@pytest.fixture
def patient(camp: Any) -> Any:
    import datetime as dt

    return register.register_patient(
        site=camp,
        code="P-SECRET",
        registered_on=dt.date(2014, 10, 1),
        identity={"full_name": NAME, "contact": CONTACT, "notes": "diabetic, needs insulin"},
        by=None,
    )


def test_a_database_dump_contains_no_name_contact_or_note(patient: Any) -> None:
    register.change_identity(patient, identity={"full_name": NAME, "contact": CONTACT + " east"}, by=None)
    dump = database_text()
    assert "P-SECRET" in dump  # the dump really holds the register
    for secret in (NAME, "Nameperson", CONTACT, "Block Qz", "insulin"):
        assert secret not in dump
    assert dump.count(crypto.PERSONAL_PREFIX + "$") >= 3  # the values, under the patient's data key
    assert dump.count(crypto.BOUND_PREFIX + "$") >= 1  # the data key, wrapped
    identity = PatientIdentity.objects.get(patient=patient)
    assert (identity.full_name, identity.contact, identity.notes) == (NAME, CONTACT + " east", "")


def test_without_the_key_the_names_cannot_be_read_and_the_error_says_which_key(patient: Any) -> None:
    kid = crypto.key_id(list(settings.IDENTITY_KEYS)[0])
    other = override_settings(IDENTITY_KEYS=[env.new_identity_key()], IDENTITY_KEY_ORIGIN="environment")
    with other, pytest.raises(crypto.IdentityKeyError, match=f"key {kid}, which is not configured"):
        PatientIdentity.objects.get(patient=patient)
    assert PatientIdentity.objects.get(patient=patient).full_name == NAME


def test_a_value_copied_into_another_column_does_not_decrypt(patient: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name FROM register_patientidentity WHERE patient_id = %s", [patient.pk])
        stored = cursor.fetchone()[0]
        cursor.execute("UPDATE register_patientidentity SET contact = %s WHERE patient_id = %s", [stored, patient.pk])
    with pytest.raises(crypto.IdentityKeyError, match="altered"):
        PatientIdentity.objects.get(patient=patient)


def test_every_encryption_of_the_same_name_differs(patient: Any) -> None:
    ring = crypto.keyring()
    first, second = (ring.encrypt(NAME, "register.patientidentity.full_name") for _ in range(2))
    assert first != second
    assert ring.decrypt(first, "register.patientidentity.full_name") == NAME


def test_a_generated_key_is_rotated_safely_and_the_ledger_records_it(patient: Any, tmp_path: Path) -> None:
    old = env.new_identity_key()
    # The fixture's row was written under the session's key, which stays readable as a second key.
    ring = [old, *settings.IDENTITY_KEYS]
    (tmp_path / env.IDENTITY_KEY_FILE_NAME).write_text("\n".join(ring) + "\n")
    with override_settings(DATA_DIR=tmp_path, IDENTITY_KEYS=ring, IDENTITY_KEY_ORIGIN="data-dir"):
        register.change_identity(patient, identity={"full_name": NAME, "contact": "Tent 1"}, by=None)
        # The patient's data key, made with the fixture's row, is still wrapped by the key of that time.
        session = crypto.key_id(ring[1])
        assert set(crypto.key_ids_in_use()) == {session}
        rotation = keys.rotate()
        new = (tmp_path / env.IDENTITY_KEY_FILE_NAME).read_text().split()
        assert len(new) == 1 and new[0] != old
        assert set(crypto.key_ids_in_use()) == {crypto.key_id(new[0])} == {rotation.key}
        assert PatientIdentity.objects.get(patient=patient).contact == "Tent 1"
        entry = Entry.objects.filter(type="identity.rekeyed").get()
        assert entry.payload == {"key": rotation.key, "rows": 1, "previous_keys": [session]}
        assert old not in entry.body and new[0] not in entry.body
        assert (tmp_path / env.IDENTITY_KEY_FILE_NAME).stat().st_mode & 0o077 == 0


def test_a_key_from_the_environment_is_rotated_by_putting_the_new_one_first(patient: Any, tmp_path: Path) -> None:
    current = list(settings.IDENTITY_KEYS)
    # A data directory of its own: the rotation reseals the attachment store under the new key.
    with override_settings(IDENTITY_KEY_ORIGIN="environment", DATA_DIR=tmp_path):
        with pytest.raises(InvalidInput, match="put a new key first"):
            keys.rotate()
        new = env.new_identity_key()
        with override_settings(IDENTITY_KEYS=[new, *current]):
            rotation = keys.rotate()
            assert rotation.retired == [crypto.key_id(current[0])]
        with override_settings(IDENTITY_KEYS=[new]):
            assert PatientIdentity.objects.get(patient=patient).full_name == NAME


def test_keys_that_are_not_32_bytes_of_base64_stop_the_start_naming_the_variable() -> None:
    for bad in ("", "short", "!" * 44, env.new_identity_key()[:-4]):
        with pytest.raises(env.ConfigError, match="CORRIDOR_IDENTITY_KEY"):
            env.parse_identity_keys(bad)
    good = [env.new_identity_key(), env.new_identity_key()]
    assert env.parse_identity_keys(f" {good[0]},\n{good[1]} ") == good


@pytest.mark.slow
@pytest.mark.database  # a database of its own: also run in the PostgreSQL pass
def test_the_migration_encrypts_identities_written_before_it(tmp_path: Path) -> None:
    with own_database(tmp_path) as url:
        variables = environment(url, tmp_path)
        python(
            "from django.core.management import call_command\n"
            "call_command('migrate', 'register', '0001', verbosity=0)\n"
            "call_command('migrate', 'ledger', verbosity=0)\n"
            "from django.db import connection\n"
            "with connection.cursor() as c:\n"
            '    c.execute("INSERT INTO register_site (code, name, country, population, time_zone) '
            "VALUES ('S', 'S', 'XX', 0, 'UTC')\")\n"
            '    c.execute("INSERT INTO register_patient (site_id, code, sex, status, synthetic, depends_on_power, '
            "registered_on) SELECT id, 'P-OLD', 'u', 'waiting', false, false, '2014-01-01' FROM register_site\")\n"
            '    c.execute("INSERT INTO register_patientidentity (patient_id, full_name, contact, notes) '
            f"SELECT id, '{NAME}', '{CONTACT}', '' FROM register_patient\")\n",
            variables,
        )
        corridor(["migrate"], variables)
        stored = python(
            "from django.db import connection\n"
            "with connection.cursor() as c:\n"
            "    c.execute('SELECT full_name, contact FROM register_patientidentity')\n"
            "    print(c.fetchall())\n"
            "from corridor.register.models import PatientIdentity\n"
            "print(PatientIdentity.objects.get().full_name)\n",
            variables,
        )
        raw, decrypted = stored.strip().splitlines()
        assert NAME not in raw and CONTACT not in raw and crypto.PERSONAL_PREFIX in raw
        assert decrypted == NAME
        if url.startswith("sqlite"):
            dump = "\n".join(sqlite3.connect(url.removeprefix("sqlite:///")).iterdump())
            assert NAME not in dump and "Nameperson" not in dump


def test_without_a_configured_key_one_is_generated_once_owner_only_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORRIDOR_IDENTITY_KEY", raising=False)
    monkeypatch.delenv("CORRIDOR_IDENTITY_KEY_FILE", raising=False)
    first, origin = env.identity_keys(tmp_path)
    assert origin == "data-dir" and len(first) == 1
    assert env.identity_keys(tmp_path)[0] == first
    key_file = tmp_path / env.IDENTITY_KEY_FILE_NAME
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [env.IDENTITY_KEY_FILE_NAME]  # no partial file left behind
    monkeypatch.setenv("CORRIDOR_IDENTITY_KEY", "not a key")
    with pytest.raises(env.ConfigError, match="CORRIDOR_IDENTITY_KEY"):
        env.identity_keys(tmp_path)
