"""A referral's diagnosis text encrypted under the patient's data key, as their identity is (issue #18).

Every value in the clear is sealed (empty ones too, as the identity fields are); one already sealed is
left as it is. Reversible: going back opens each value into the clear again, except an erased patient's,
which nothing can open and which is left empty. Like the other identity migrations, no ledger entry.
"""

from django.db import migrations

import corridor.register.crypto
from corridor.register.crypto import open_column, seal_column

TEXT = ("register_referral", "diagnosis", "patient_id", "register.referral.diagnosis")


def seal(apps, schema_editor):
    seal_column(schema_editor.connection, *TEXT)


def unseal(apps, schema_editor):
    open_column(schema_editor.connection, *TEXT)


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0008_h17s_name_tokens"),
    ]

    operations = [
        migrations.AlterField(
            model_name="referral",
            name="diagnosis",
            field=corridor.register.crypto.EncryptedTextField(blank=True, max_length=200),
        ),
        migrations.RunPython(seal, unseal),
    ]
