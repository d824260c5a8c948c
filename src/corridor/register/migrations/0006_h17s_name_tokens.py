"""The name index for search by name (``register.NameToken``), filled for the people already registered.

The backfill writes no ledger entry: the index is derived data, recomputed from the encrypted names
already in the register (each of which has its own ``patient.registered`` or ``companion.registered``
and ``identity.changed`` entries); it records no fact and shows nobody a name. It reads the stored
values directly and opens each with its owner's id, as the model would (historical models have
neither the model's ``from_db`` nor the field's owner).
"""

import django.db.models.deletion
from django.db import migrations, models

# table, the column naming the owner, the field's context (its label in the associated data), owner kind
IDENTITIES = (
    ("register_patientidentity", "register_patient", "patient_id", "register.patientidentity.full_name", "patient"),
    (
        "transfers_companionidentity",
        "transfers_companion",
        "companion_id",
        "transfers.companionidentity.full_name",
        "companion",
    ),
)


def backfill(apps, schema_editor):
    from django.conf import settings

    from corridor.register.crypto import key_id, keyring
    from corridor.register.name_index import digests

    token = apps.get_model("register", "NameToken")
    key = settings.IDENTITY_KEYS[0]
    ring = keyring()
    rows = []
    with schema_editor.connection.cursor() as cursor:
        for table, people, column, context, owner in IDENTITIES:
            cursor.execute(
                f"SELECT i.{column}, p.site_id, i.full_name FROM {table} i JOIN {people} p ON p.id = i.{column} "
                "WHERE i.full_name IS NOT NULL"
            )
            for owner_id, site_id, stored in cursor.fetchall():
                name = ring.open(stored, context, owner_id, owner)
                rows.extend(
                    token(**{column: owner_id}, site_id=site_id, digest=d, key=key_id(key)) for d in digests(name, key)
                )
    token.objects.bulk_create(rows, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0005_h14s_entry_sites"),
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
