"""The Merkle tree's perfect subtree hashes, append-only like the ledger itself."""

from django.db import migrations, models

MESSAGE = "Merkle tree nodes are append-only: they never change once computed"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for action in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER ledger_treenode_no_{action.lower()} BEFORE {action} ON ledger_treenode "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION corridor_ledger_tree_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$ LANGUAGE plpgsql"
        )
        schema_editor.execute(
            "CREATE TRIGGER ledger_treenode_append_only BEFORE UPDATE OR DELETE ON ledger_treenode "
            "FOR EACH ROW EXECUTE FUNCTION corridor_ledger_tree_append_only()"
        )
        schema_editor.execute(
            "CREATE TRIGGER ledger_treenode_no_truncate BEFORE TRUNCATE ON ledger_treenode "
            "FOR EACH STATEMENT EXECUTE FUNCTION corridor_ledger_tree_append_only()"
        )
    else:  # pragma: no cover
        raise RuntimeError(f"Corridor supports SQLite and PostgreSQL, not {vendor}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for action in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS ledger_treenode_no_{action}")
    else:
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_treenode_append_only ON ledger_treenode")
        schema_editor.execute("DROP TRIGGER IF EXISTS ledger_treenode_no_truncate ON ledger_treenode")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only")]

    operations = [
        migrations.CreateModel(
            name="TreeNode",
            fields=[
                ("node", models.BigIntegerField(help_text="level << 40 | index", primary_key=True, serialize=False)),
                ("hash", models.BinaryField(max_length=32)),
            ],
            options={"ordering": ["node"]},
        ),
        migrations.RunPython(forwards, backwards),
    ]
