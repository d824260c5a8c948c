"""Index the ledger entries already recorded with the site they concern, from their subject rows, the same
way ``corridor.register.scoping.sites_of_subjects`` does at append time (``ledger.EntrySite``). Here, not in
the ledger's own migration, because it reads the register's, the trips' and the supplies' tables."""

from django.db import migrations

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
        ("register", "0004_merge_episodes_identity_binding"),
        ("ledger", "0006_h14s_entry_sites"),
        ("transfers", "0003_merge_held_since_episodes"),
        ("supplies", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
