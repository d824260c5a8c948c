"""A passenger's outcome note encrypted under the patient's data key, as their identity is (issue #18).

Every value in the clear is sealed (empty ones too, as the identity fields are); one already sealed is
left as it is. Reversible: going back opens each value into the clear again, except an erased patient's,
which nothing can open and which is left empty. Like the other identity migrations, no ledger entry.
"""

from django.db import migrations

import corridor.register.crypto
from corridor.register.crypto import open_column, seal_column

TEXT = ("transfers_trippassenger", "outcome_note", "patient_id", "transfers.trippassenger.outcome_note")


def seal(apps, schema_editor):
    seal_column(schema_editor.connection, *TEXT)


def unseal(apps, schema_editor):
    open_column(schema_editor.connection, *TEXT)


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0005_h17v_cancelled_by_choices"),
        ("register", "0009_h18d_sealed_clinical_texts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="trippassenger",
            name="outcome_note",
            field=corridor.register.crypto.EncryptedTextField(blank=True),
        ),
        migrations.RunPython(seal, unseal),
    ]
