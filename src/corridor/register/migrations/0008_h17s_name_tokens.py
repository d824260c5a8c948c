"""The name index for search by name (``register.NameToken``), filled for the people already registered.

The backfill writes no ledger entry: the index is derived data, recomputed from the encrypted names
already in the register (each of which has its own ``patient.registered`` or ``companion.registered``
and ``identity.changed`` entries); it records no fact and shows nobody a name.
"""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    # Through the models, which open each name under its person's own data key (0007): the index is
    # the one a rotation rebuilds, and an erased person is left out.
    from corridor.register.name_index import rebuild

    rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0007_h18e_data_keys"),
        ("transfers", "0004_gate_taps"),
    ]

    operations = [
        migrations.CreateModel(
            name="NameToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("digest", models.CharField(max_length=64)),
                ("key", models.CharField(max_length=16)),
                (
                    "companion",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="transfers.companion",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="register.patient",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="register.site"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["digest", "site"], name="register_na_digest_260d3e_idx")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("companion__isnull", True), ("patient__isnull", False)),
                            models.Q(("companion__isnull", False), ("patient__isnull", True)),
                            _connector="OR",
                        ),
                        name="name_token_has_one_owner",
                    ),
                    models.UniqueConstraint(fields=("patient", "digest"), name="name_token_patient_digest"),
                    models.UniqueConstraint(fields=("companion", "digest"), name="name_token_companion_digest"),
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
