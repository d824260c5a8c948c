"""Committed texts kept apart from the hashed bodies (docs/ledger.md, "Commitments").

A new table; the entries already there are not rewritten (their hashes would change). A ledger that
already has entries records, once, the entry from which its bodies hold commitments instead of text.
"""

from typing import Any

from django.db import migrations, models


def _began(apps: Any, schema_editor: Any) -> None:
    # The ledger's own append (not a historical model): the entry is chained and hashed like any other. It
    # appends only over existing entries, that is on an install whose register tables are already there (the
    # append reads the scenario clock from them); a new database reads the ledger's table and writes nothing.
    from corridor.ledger.began import record_commitments_began

    record_commitments_began()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_h14s_entry_sites")]

    operations = [
        migrations.CreateModel(
            name="SealedText",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(help_text="the entry whose body commits to the text")),
                (
                    "path",
                    models.CharField(help_text="where the text was in the payload (changes.note)", max_length=200),
                ),
                (
                    "owner",
                    models.CharField(
                        blank=True, help_text="whose data key sealed it; empty: the identity key", max_length=40
                    ),
                ),
                ("sealed", models.TextField(help_text="the text and its salt, encrypted")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("seq", "path"), name="ledger_sealed_text_once")],
            },
        ),
        migrations.RunPython(_began, migrations.RunPython.noop),
    ]
