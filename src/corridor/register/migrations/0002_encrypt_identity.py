"""Encrypt the identity fields at rest: change the columns to encrypted text and encrypt existing rows.

The rows are rewritten with plain SQL (not through the model) because the historical model already
expects encrypted values; a row that is already encrypted is left as it is, so the step can be re-run.
"""

from django.db import migrations

import corridor.register.crypto

TABLE = "register_patientidentity"
FIELDS = ("full_name", "contact", "notes")


def _rewrite(schema_editor, change):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f) for f in FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {columns} FROM {quote(TABLE)} ORDER BY id")
        rows = cursor.fetchall()
        assignments = ", ".join(f"{quote(f)} = %s" for f in FIELDS)
        for pk, *values in rows:
            new = [change(value, field) for value, field in zip(values, FIELDS, strict=True)]
            if new != values:
                cursor.execute(f"UPDATE {quote(TABLE)} SET {assignments} WHERE id = %s", [*new, pk])


def encrypt_existing(apps, schema_editor):
    ring = corridor.register.crypto.keyring()

    def encrypt(value, field):
        if value is None or value.startswith(corridor.register.crypto.PREFIX + "$"):
            return value
        return ring.encrypt(value, f"register.patientidentity.{field}")

    _rewrite(schema_editor, encrypt)


def decrypt_existing(apps, schema_editor):
    ring = corridor.register.crypto.keyring()

    def decrypt(value, field):
        if value is None or not value.startswith(corridor.register.crypto.PREFIX + "$"):
            return value
        return ring.decrypt(value, f"register.patientidentity.{field}")

    _rewrite(schema_editor, decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="patientidentity",
            name="contact",
            field=corridor.register.crypto.EncryptedTextField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="patientidentity",
            name="full_name",
            field=corridor.register.crypto.EncryptedTextField(max_length=200),
        ),
        migrations.AlterField(
            model_name="patientidentity",
            name="notes",
            field=corridor.register.crypto.EncryptedTextField(blank=True),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
