"""Which site each ledger entry concerns: a new index table, beside the entries (whose hashed bodies are
not touched). Filled at append time; register's migration 0005 fills it for the entries already there."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_h21_proofmode")]

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
    ]
