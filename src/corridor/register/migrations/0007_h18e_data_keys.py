"""A data key of their own for every person with an identity (envelope encryption), and erasure requests.

Every identity value (``aesgcm2``: under the configured key, bound to its field and person) is
re-encrypted as an ``aesgcm3`` value under a new data key of its person's, and that data key is kept
wrapped by the configured key in ``register_datakey``. Plain SQL, as in 0002 and 0003: the historical
model cannot open values. A value already under a data key is left as it is, so the step can be re-run;
one that does not decrypt stops the migration, changing nothing. Like 0002 and 0003 this writes no ledger
entry (a migration does not append to the chain); each data key's ``created_at`` says when it was made.
"""

import base64
import os
import secrets

import django.db.models.deletion
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import migrations, models
from django.utils import timezone

import corridor.register.crypto as crypto

# table, the column naming its person, the kind of person
TABLES = (
    ("register_patientidentity", "patient_id", "patient"),
    ("transfers_companionidentity", "companion_id", "companion"),
)
FIELDS = ("full_name", "contact", "notes")


def _seal(cipher, kid, plaintext, context, person_id, kind):
    nonce = os.urandom(12)
    data = crypto.bound_context(context, person_id, kind).encode("utf-8")
    body = base64.urlsafe_b64encode(nonce + cipher.encrypt(nonce, plaintext.encode("utf-8"), data)).decode("ascii")
    return f"{crypto.PERSONAL_PREFIX}${kid}${body}"


def _open(cipher, stored, context, person_id, kind):
    raw = base64.urlsafe_b64decode(crypto.split(stored)[2].encode("ascii"))
    return cipher.decrypt(raw[:12], raw[12:], crypto.bound_context(context, person_id, kind).encode("utf-8")).decode()


def to_data_keys(apps, schema_editor):
    ring = crypto.keyring()
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    now = timezone.now()
    with connection.cursor() as cursor:
        for table, owner, kind in TABLES:
            label = table.replace("_", ".", 1)
            cursor.execute(f"SELECT id, {owner}, {', '.join(FIELDS)} FROM {quote(table)} ORDER BY id")
            for pk, person_id, *values in cursor.fetchall():
                if not any(v and v.startswith(crypto.BOUND_PREFIX + "$") for v in values):
                    continue
                cursor.execute(
                    "SELECT key_id, wrapped FROM register_datakey WHERE kind = %s AND person_id = %s", [kind, person_id]
                )
                existing = cursor.fetchone()
                if existing:  # written since under a data key (a field added later): keep that key
                    kid, cipher = existing[0], AESGCM(ring.unwrap(existing[1], kind, person_id))
                else:
                    raw, kid = AESGCM.generate_key(bit_length=256), secrets.token_hex(4)
                    cipher = AESGCM(raw)
                    cursor.execute(
                        "INSERT INTO register_datakey (kind, person_id, key_id, wrapped, created_at) "
                        "VALUES (%s, %s, %s, %s, %s)",
                        [kind, person_id, kid, ring.wrap(raw, kind, person_id), now],
                    )
                new = [
                    _seal(cipher, kid, ring.open(v, f"{label}.{f}", person_id, kind), f"{label}.{f}", person_id, kind)
                    if v and v.startswith(crypto.BOUND_PREFIX + "$")
                    else v
                    for v, f in zip(values, FIELDS, strict=True)
                ]
                assignments = ", ".join(f"{quote(f)} = %s" for f in FIELDS)
                cursor.execute(f"UPDATE {quote(table)} SET {assignments} WHERE id = %s", [*new, pk])


def from_data_keys(apps, schema_editor):
    ring = crypto.keyring()
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, person_id, key_id, wrapped FROM register_datakey")
        keys = {(kind, pid): (kid, wrapped) for kind, pid, kid, wrapped in cursor.fetchall()}
        if any(not wrapped for _, wrapped in keys.values()):
            raise RuntimeError("an erased person's identity cannot be put back under the configured key")
        for table, owner, kind in TABLES:
            label = table.replace("_", ".", 1)
            cursor.execute(f"SELECT id, {owner}, {', '.join(FIELDS)} FROM {quote(table)} ORDER BY id")
            for pk, person_id, *values in cursor.fetchall():
                if (kind, person_id) not in keys:
                    continue
                cipher = AESGCM(ring.unwrap(keys[(kind, person_id)][1], kind, person_id))
                new = [
                    ring.seal(_open(cipher, v, f"{label}.{f}", person_id, kind), f"{label}.{f}", person_id, kind)
                    if v and v.startswith(crypto.PERSONAL_PREFIX + "$")
                    else v
                    for v, f in zip(values, FIELDS, strict=True)
                ]
                assignments = ", ".join(f"{quote(f)} = %s" for f in FIELDS)
                cursor.execute(f"UPDATE {quote(table)} SET {assignments} WHERE id = %s", [*new, pk])


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0006_h17n_names"),
        # the companions' identity table, whose rows are moved under data keys too
        ("transfers", "0002_h13b_episodes_companions"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("patient", "patient"), ("companion", "companion")], max_length=16)),
                ("person_id", models.PositiveBigIntegerField()),
                (
                    "key_id",
                    models.CharField(help_text="random public name of the key, written in each value", max_length=16),
                ),
                (
                    "wrapped",
                    models.TextField(blank=True, help_text="the key sealed under the identity key; empty once erased"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("erased_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("kind", "person_id"), name="one_data_key_per_person")],
            },
        ),
        migrations.CreateModel(
            name="Erasure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("patient", "patient"), ("companion", "companion")], max_length=16)),
                ("code", models.CharField(help_text="the person's pseudonymous code", max_length=32)),
                ("person_id", models.PositiveBigIntegerField()),
                ("reason", models.TextField()),
                ("retention", models.BooleanField(default=False, help_text="asked for by the retention schedule")),
                (
                    "state",
                    models.CharField(
                        choices=[("requested", "requested"), ("confirmed", "confirmed"), ("cancelled", "cancelled")],
                        default="requested",
                        max_length=16,
                    ),
                ),
                ("requested_by", models.CharField(max_length=150)),
                ("requested_seq", models.BigIntegerField(help_text="the erasure.requested ledger entry")),
                ("decided_by", models.CharField(blank=True, max_length=150)),
                (
                    "decided_seq",
                    models.BigIntegerField(blank=True, help_text="the erasure.confirmed or cancelled entry", null=True),
                ),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="register.site"
                    ),
                ),
            ],
            options={
                "ordering": ["requested_seq"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("state", "requested")),
                        fields=("kind", "person_id"),
                        name="one_open_erasure_per_person",
                    )
                ],
            },
        ),
        migrations.RunPython(to_data_keys, from_data_keys),
    ]
