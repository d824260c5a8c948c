"""Each encrypted identity value is bound to its patient (AES-GCM associated data): two patients'
ciphertexts swapped in the database are detected, not shown as each other's names."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection, transaction

from corridor.register import crypto
from corridor.register import services as register
from corridor.register.models import DataKey, PatientIdentity

migration = importlib.import_module("corridor.register.migrations.0003_h14b_bind_identity")
data_keys = importlib.import_module("corridor.register.migrations.0007_h18e_data_keys")


@pytest.fixture
def two(camp: Any) -> tuple[Any, Any]:
    def patient(code: str, name: str) -> Any:
        return register.register_patient(
            site=camp,
            code=code,
            registered_on=dt.date(2014, 10, 1),
            identity={"full_name": name, "contact": f"Tent of {name}"},
            by=None,
        )

    return patient("P-ONE", "Synthetic Person One"), patient("P-TWO", "Synthetic Person Two")


def _stored(patient: Any, column: str = "full_name") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM register_patientidentity WHERE patient_id = %s", [patient.pk])
        value: str = cursor.fetchone()[0]
    return value


def _store(patient: Any, value: str, column: str = "full_name") -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE register_patientidentity SET {column} = %s WHERE patient_id = %s", [value, patient.pk])


def test_two_patients_ciphertexts_swapped_are_detected(two: tuple[Any, Any], users: dict[str, Any]) -> None:
    one, other = two
    first, second = _stored(one), _stored(other)
    assert first.startswith(crypto.PERSONAL_PREFIX + "$")
    _store(one, second)
    _store(other, first)
    for patient in two:
        with pytest.raises(crypto.IdentityKeyError, match="moved from another person's row"):
            PatientIdentity.objects.get(patient=patient)
        with pytest.raises(crypto.IdentityKeyError), transaction.atomic():
            register.view_identity(patient, by=users["coordinator"], purpose="checking the swap")
    _store(one, first)
    _store(other, second)
    assert PatientIdentity.objects.get(patient=one).full_name == "Synthetic Person One"


def test_a_value_written_without_its_row_is_refused(two: tuple[Any, Any]) -> None:
    with pytest.raises(crypto.IdentityKeyError, match="save"), transaction.atomic():
        PatientIdentity.objects.filter(patient=two[0]).update(full_name="Someone Else")
    assert PatientIdentity.objects.get(patient=two[0]).full_name == "Synthetic Person One"


def test_values_read_without_the_model_stay_sealed(two: tuple[Any, Any]) -> None:
    values = list(PatientIdentity.objects.values_list("full_name", flat=True))
    assert all(isinstance(v, crypto.Sealed) and "Synthetic" not in repr(v) for v in values)


def test_the_migrations_bind_identities_then_move_them_under_data_keys_and_the_model_refuses_older_ones(
    two: tuple[Any, Any],
) -> None:
    one, other = two
    ring = crypto.keyring()
    label = "register.patientidentity.full_name"
    # As rows were stored before the migration: bound to the field only.
    _store(one, ring.encrypt("Synthetic Person One", label))
    _store(other, ring.encrypt("Synthetic Person Two", label))
    for patient, name in ((one, "Synthetic Person One"), (other, "Synthetic Person Two")):
        _store(patient, ring.encrypt(f"Tent of {name}", "register.patientidentity.contact"), "contact")
        _store(patient, ring.encrypt("", "register.patientidentity.notes"), "notes")
    with pytest.raises(crypto.IdentityKeyError, match="not under its patient's data key"):
        PatientIdentity.objects.get(patient=one)
    editor = SimpleNamespace(connection=connection)  # all the migrations use of their schema editor
    migration.bind(None, editor)
    assert _stored(one).startswith(crypto.BOUND_PREFIX + "$")
    with pytest.raises(crypto.IdentityKeyError, match="not under its patient's data key"):
        PatientIdentity.objects.get(patient=one)
    DataKey.objects.all().delete()  # as before 0006: no data key yet
    data_keys.to_data_keys(None, editor)
    assert _stored(one).startswith(crypto.PERSONAL_PREFIX + "$")
    assert DataKey.objects.filter(kind="patient").count() == 2
    assert PatientIdentity.objects.get(patient=one).full_name == "Synthetic Person One"
    assert PatientIdentity.objects.get(patient=other).contact == "Tent of Synthetic Person Two"
    unchanged = _stored(one)
    migration.bind(None, editor)  # re-running either changes nothing
    data_keys.to_data_keys(None, editor)
    assert _stored(one) == unchanged and DataKey.objects.count() == 2
    data_keys.from_data_keys(None, editor)
    assert _stored(one).startswith(crypto.BOUND_PREFIX + "$")
    migration.unbind(None, editor)
    assert _stored(one).startswith(crypto.PREFIX + "$")
    assert ring.decrypt(_stored(one), label) == "Synthetic Person One"
