"""On SQLite, an entry's number becomes the ledger table's rowid (``integer PRIMARY KEY``), so the rows are
kept in their b-tree by number with no separate index beside them; nothing changes on PostgreSQL.

SQLite cannot alter a column's type: Django rebuilds the table (and the tables whose foreign keys point at
it), copying every row as it is, bodies and hashes unchanged. Dropping a table drops its triggers, so the
append-only guards of the entries and their subjects are created again, as migration 0002 made them.
"""

from typing import Any

from django.db import migrations

import corridor.ledger.models


def _guards_again(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    from corridor.ledger.guards import sqlite_trigger_sql

    for table in ("ledger_entry", "ledger_subject"):
        for action in ("UPDATE", "DELETE"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action.lower()}")
            schema_editor.execute(sqlite_trigger_sql(table, action))


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_h18c_sealed_texts")]

    operations = [
        # Undone in reverse order: the table is rebuilt back first, then its guards are made again.
        migrations.RunPython(migrations.RunPython.noop, _guards_again),
        migrations.AlterField(
            model_name="entry",
            name="seq",
            field=corridor.ledger.models.RowidField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(_guards_again, migrations.RunPython.noop),
    ]
