"""Which site each ledger entry concerns: a new index table, filled for the existing entries from their
subject rows the same way ``corridor.register.scoping.sites_of_subjects`` fills it at append time. The
entries themselves (their hashed bodies) are not touched."""

from django.db import migrations, models

# subject kind -> (table, column the subject's id names, SQL for the site id); as SUBJECT_SITES says.
KINDS = {
    "site": ("register_site", "code", "t.id"),
    "patient": ("register_patient", "code", "t.site_id"),
    "referral": ("register_referral", "id", "(SELECT p.site_id FROM register_patient p WHERE p.id = t.patient_id)"),
    "trip": ("transfers_trip", "id", "t.site_id"),
    "companion": ("transfers_companion", "code", "t.site_id"),
    "delivery": ("supplies_delivery", "id", "t.site_id"),
}


def backfill(apps, schema_editor):
    def ident(column):
        return f"CAST(t.{column} AS TEXT)" if column == "id" else f"t.{column}"

    with schema_editor.connection.cursor() as cursor:
        # An entry that names its site is taken at its word, as at append time.
        table, column, site = KINDS["site"]
        cursor.execute(
            "INSERT INTO ledger_entrysite (entry_id, site_id) SELECT DISTINCT s.entry_id, t.id "
            f"FROM ledger_subject s JOIN {table} t ON s.key = 'site:' || {ident(column)}"
        )
        for kind, (table, column, site) in KINDS.items():
            if kind == "site":
                continue
            cursor.execute(
                "INSERT INTO ledger_entrysite (entry_id, site_id) "
                f"SELECT DISTINCT s.entry_id, {site} FROM ledger_subject s "
                f"JOIN {table} t ON s.key = '{kind}:' || {ident(column)} "
                "WHERE NOT EXISTS (SELECT 1 FROM ledger_subject n "
                "WHERE n.entry_id = s.entry_id AND n.key LIKE 'site:%%') "
                "AND NOT EXISTS (SELECT 1 FROM ledger_entrysite e "
                f"WHERE e.entry_id = s.entry_id AND e.site_id = {site})"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_h21_attachments"),
        ("register", "0004_merge_episodes_identity_binding"),
        ("transfers", "0003_merge_held_since_episodes"),
        ("supplies", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="EntrySite",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("site_id", models.BigIntegerField(db_index=True)),
                (
                    "entry",
                    models.ForeignKey(on_delete=models.deletion.PROTECT, related_name="site_rows", to="ledger.entry"),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("entry", "site_id"), name="ledger_entry_site_unique")],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
