"""Bind every encrypted identity value to its patient: re-encrypt ``aesgcm1`` values (associated data:
the field) as ``aesgcm2`` values (associated data: the field and the patient's row id), so that a value
moved into another patient's row no longer decrypts.

Plain SQL, as in 0002: the historical model cannot open values. A value already bound is left as it is,
so the step can be re-run; one that does not decrypt stops the migration, changing nothing.
"""

from django.db import migrations

import corridor.register.crypto as crypto

TABLE = "register_patientidentity"
FIELDS = ("full_name", "contact", "notes")


def _rewrite(schema_editor, change):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f) for f in FIELDS)
    assignments = ", ".join(f"{quote(f)} = %s" for f in FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, patient_id, {columns} FROM {quote(TABLE)} ORDER BY id")
        for pk, patient_id, *values in cursor.fetchall():
            new = [change(value, field, patient_id) for value, field in zip(values, FIELDS, strict=True)]
            if new != values:
                cursor.execute(f"UPDATE {quote(TABLE)} SET {assignments} WHERE id = %s", [*new, pk])


def bind(apps, schema_editor):
    ring = crypto.keyring()

    def change(value, field, patient_id):
        if value is None or not value.startswith(crypto.PREFIX + "$"):
            return value
        context = f"register.patientidentity.{field}"
        return ring.seal(ring.decrypt(value, context), context, patient_id)

    _rewrite(schema_editor, change)


def unbind(apps, schema_editor):
    ring = crypto.keyring()

    def change(value, field, patient_id):
        if value is None or not value.startswith(crypto.BOUND_PREFIX + "$"):
            return value
        context = f"register.patientidentity.{field}"
        return ring.encrypt(ring.open(value, context, patient_id), context)

    _rewrite(schema_editor, change)


class Migration(migrations.Migration):
    dependencies = [("register", "0002_encrypt_identity")]

    operations = [migrations.RunPython(bind, unbind)]
