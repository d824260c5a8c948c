"""Raw field submissions sealed: an imported one's answers, a refused one's data (issue #18).

Each value kept in the clear is sealed where it lies (:mod:`corridor.intake.sealing`): an imported
submission's answers under the data key of the patient its ledger entries are about, with each answer's
HMAC kept to tell a re-import from an edit; a refused one's under the data key of the patient it names,
else under the install's key. A value already sealed is left as it is, so the step can be re-run. An
erased patient's answers are not sealed again (nothing is written for them): they read as erased, and
are out of the clear. Reversible: going back opens each value into the clear again, except an erased
patient's, which nothing can open and which is left empty. Like the other identity migrations, no ledger
entry.
"""

import json

from django.db import migrations, models

SEALED = ("aesgcm2$", "aesgcm3$")


def _subjects(connection, seqs):
    if not seqs:
        return []
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(seqs))
        cursor.execute(f"SELECT key FROM ledger_subject WHERE entry_id IN ({marks})", list(seqs))
        return [key for (key,) in cursor.fetchall()]


def seal_rows(connection):
    """Seal every intake value still in the clear (the migration's step, kept callable for its tests)."""
    from corridor.intake import sealing

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, instance_id, answers, seqs FROM {quote('intake_importedsubmission')}")
        rows = cursor.fetchall()
    for pk, ident, stored, seqs in rows:
        if stored.startswith(SEALED):
            continue
        answers = json.loads(stored)
        seqs = json.loads(seqs) if isinstance(seqs, str) else seqs
        person = sealing.person_of(_subjects(connection, seqs))
        owner, sealed = sealing.seal(answers, sealing.ANSWERS, ident, person)
        digests = json.dumps(sealing.digests(answers))
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE intake_importedsubmission SET answers = %s, owner = %s, digests = %s WHERE id = %s",
                [sealed, owner, digests, pk],
            )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, data FROM intake_refusal")
        rows = cursor.fetchall()
    for pk, stored in rows:
        if stored is None or stored == "" or stored.startswith(SEALED):
            continue
        data = json.loads(stored)
        owner, sealed = sealing.seal(data, sealing.RECEIVED, pk, sealing.patient_named(data))
        with connection.cursor() as cursor:
            cursor.execute("UPDATE intake_refusal SET data = %s, owner = %s WHERE id = %s", [sealed, owner, pk])


def open_rows(connection):
    """Undo :func:`seal_rows`: each value back in the clear (JSON); an erased patient's is left empty."""
    from corridor.intake import sealing

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, instance_id, answers, owner FROM intake_importedsubmission")
        rows = cursor.fetchall()
    for pk, ident, stored, owner in rows:
        if not stored.startswith(SEALED) and not (owner and not stored):
            continue
        value = sealing.open_value(stored, sealing.ANSWERS, ident, owner)
        text = json.dumps({} if value is sealing.ERASED else value, ensure_ascii=False)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE intake_importedsubmission SET answers = %s WHERE id = %s", [text, pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, data, owner FROM intake_refusal")
        rows = cursor.fetchall()
    for pk, stored, owner in rows:
        if stored is not None and stored.startswith(SEALED):
            value = sealing.open_value(stored, sealing.RECEIVED, pk, owner)
            text = None if value is sealing.ERASED else json.dumps(value, ensure_ascii=False)
        else:
            text = stored or None
        with connection.cursor() as cursor:
            cursor.execute("UPDATE intake_refusal SET data = %s WHERE id = %s", [text, pk])


def seal(apps, schema_editor):
    seal_rows(schema_editor.connection)


def unseal(apps, schema_editor):
    open_rows(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0002_refusal"),
        ("ledger", "0007_h18c_sealed_texts"),
        ("register", "0009_h18d_sealed_clinical_texts"),
    ]

    operations = [
        migrations.AddField(
            model_name="importedsubmission",
            name="digests",
            field=models.JSONField(default=dict, help_text="each answer's HMAC, to tell a re-import from an edit"),
        ),
        migrations.AddField(
            model_name="importedsubmission",
            name="owner",
            field=models.CharField(
                blank=True, default="", help_text="whose data key seals the answers; empty: none", max_length=40
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="refusal",
            name="owner",
            field=models.CharField(
                blank=True, default="", help_text="whose data key seals it; empty: the install's", max_length=40
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="importedsubmission",
            name="answers",
            field=models.TextField(blank=True, help_text="the answers as they were applied, sealed"),
        ),
        migrations.AlterField(
            model_name="refusal",
            name="data",
            field=models.TextField(blank=True, null=True, help_text="the submission as received, sealed"),
        ),
        migrations.RunPython(seal, unseal),
        migrations.RunSQL("UPDATE intake_refusal SET data = '' WHERE data IS NULL", migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="refusal",
            name="data",
            field=models.TextField(blank=True, help_text="the submission as received, sealed; empty when none was"),
        ),
    ]
