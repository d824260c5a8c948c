"""`corridor backup` and `corridor restore`: after a restore, `corridor verify` prints the head hash the
backup was taken at, on SQLite and on PostgreSQL; a bad file or an occupied database is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corridor.ops.testing import corridor, migrated_install, python

SEED = """
import datetime as dt
from corridor.register import services as register
site = register.create_site(code="CAMP-B", name="Backup Camp", country="XX", by=None)
for i in range(int(COUNT)):
    register.register_patient(site=site, code=f"P-B{START + i}", registered_on=dt.date(2014, 1, 1),
                              identity={"full_name": f"Synthetic Backup {START + i}"}, by=None)
"""

MORE = """
import datetime as dt
from corridor.register import services as register
from corridor.register.models import Site
site = Site.objects.get(code="CAMP-B")
register.register_patient(site=site, code="P-LATER", registered_on=dt.date(2014, 2, 1), by=None)
"""


def _head(output: str) -> tuple[int, str]:
    found = re.search(r"(\d+) (?:ledger )?entries, head ([0-9a-f]{64})", output)
    assert found, output
    return int(found.group(1)), found.group(2)


@pytest.mark.slow
@pytest.mark.database  # a database of its own: also run in the PostgreSQL pass
def test_a_restore_brings_back_the_ledger_the_backup_was_taken_at(tmp_path: Path) -> None:
    with migrated_install(tmp_path) as (url, data, variables):
        python(SEED.replace("COUNT", "3").replace("START", "1"), variables)
        at_backup = _head(corridor(["verify"], variables).stdout)
        out = tmp_path / "corridor.backup"
        made = corridor(["backup", "--out", str(out)], variables)
        assert _head(made.stdout) == at_backup
        assert "identity key" in made.stderr and "not in the backup" in made.stderr
        assert out.stat().st_mode & 0o077 == 0 and not list(tmp_path.glob("*.partial"))

        python(MORE, variables)
        later = _head(corridor(["verify"], variables).stdout)
        assert later[0] == at_backup[0] + 1

        refused = corridor(["restore", str(out)], variables, check=False)
        assert refused.returncode == 2 and "--replace" in refused.stderr
        assert _head(corridor(["verify"], variables).stdout) == later  # refused: nothing changed

        restored = corridor(["restore", str(out), "--replace"], variables)
        assert _head(restored.stdout) == at_backup
        assert _head(corridor(["verify"], variables).stdout) == at_backup
        saved = list(data.glob("before-restore-*"))
        assert len(saved) == 1 and saved[0].stat().st_mode & 0o077 == 0
        names = python(
            "from corridor.register.models import Patient, PatientIdentity\n"
            "print(Patient.objects.filter(code='P-LATER').count(), "
            "sorted(i.full_name for i in PatientIdentity.objects.all()))",
            variables,
        )
        assert names.strip() == "0 ['Synthetic Backup 1', 'Synthetic Backup 2', 'Synthetic Backup 3']"


@pytest.mark.slow
@pytest.mark.database  # a database of its own: also run in the PostgreSQL pass
def test_a_file_that_is_not_a_sound_backup_changes_nothing(tmp_path: Path) -> None:
    with migrated_install(tmp_path) as (url, data, variables):
        before = _head(corridor(["verify"], variables).stdout)
        junk = tmp_path / "junk.backup"
        junk.write_bytes(b"this is not a database at all\n" * 10)
        result = corridor(["restore", str(junk), "--replace"], variables, check=False)
        assert result.returncode == 2 and "not a Corridor backup" in result.stderr
        missing = corridor(["restore", str(tmp_path / "absent"), "--replace"], variables, check=False)
        assert missing.returncode == 2 and "cannot read" in missing.stderr
        if url.startswith("sqlite"):
            # An SQLite file, but not Corridor's, and a truncated backup.
            import sqlite3

            other = tmp_path / "other.sqlite3"
            sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
            wrong = corridor(["restore", str(other), "--replace"], variables, check=False)
            assert wrong.returncode == 2 and "not a Corridor database" in wrong.stderr
            good = tmp_path / "good.backup"
            corridor(["backup", "--out", str(good)], variables)
            truncated = tmp_path / "truncated.backup"
            truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
            broken = corridor(["restore", str(truncated), "--replace"], variables, check=False)
            assert broken.returncode == 2 and "damaged" in broken.stderr
        assert _head(corridor(["verify"], variables).stdout) == before
        assert not list(data.glob("before-restore-*"))


def test_backing_up_postgresql_without_pg_dump_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from corridor.errors import InvalidInput
    from corridor.ops import backup

    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(InvalidInput, match="pg_dump is not installed.*postgresql-client"):
        backup._tool("pg_dump")


UNGUARD = """
from django.db import connection
with connection.cursor() as cursor:
    for table in ("ledger_entry", "ledger_subject", "ledger_treenode"):
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
"""

REWRITE = """
import hashlib, json
from django.db import connection
from corridor.ledger import canonical
from corridor.ledger.models import Entry
prev = Entry.objects.get(seq=FIRST - 1).hash
with connection.cursor() as cursor:
    for seq, body in Entry.objects.filter(seq__gte=FIRST).order_by("seq").values_list("seq", "body"):
        fields = json.loads(body)
        if seq == FIRST:
            fields["recorded_by"] = "someone-else"
        fields["prev_hash"] = prev
        body = canonical.canonical_json(fields)
        prev = hashlib.sha256(body.encode()).hexdigest()
        cursor.execute("UPDATE ledger_entry SET body = %s, hash = %s WHERE seq = %s", [body, prev, seq])
# The careful attacker puts the triggers back, exactly as the migrations made them.
import importlib
with connection.schema_editor() as editor:
    for name in ("0002_append_only", "0003_tree_nodes"):
        importlib.import_module(f"corridor.ledger.migrations.{name}").forwards(None, editor)
"""


@pytest.mark.slow
@pytest.mark.database  # a database of its own: also run in the PostgreSQL pass
def test_a_backup_without_its_triggers_or_with_a_rewritten_history_is_refused_and_nothing_replaced(
    tmp_path: Path,
) -> None:
    with migrated_install(tmp_path) as (url, data, variables):
        python(SEED.replace("COUNT", "4").replace("START", "1"), variables)
        corridor(["checkpoint"], variables)
        python(MORE, variables)
        good = tmp_path / "good.backup"
        corridor(["backup", "--out", str(good)], variables)
        python(UNGUARD, variables)
        unguarded = tmp_path / "unguarded.backup"
        corridor(["backup", "--out", str(unguarded)], variables)
        python(REWRITE.replace("FIRST", "3"), variables)
        rewritten = tmp_path / "rewritten.backup"
        corridor(["backup", "--out", str(rewritten)], variables)  # the chain alone verifies
        assert "corridor.E035" not in corridor(["check-deploy"], variables, check=False).stdout

        restored = corridor(["restore", str(good), "--replace"], variables)
        at_good = _head(restored.stdout)
        assert _head(corridor(["verify"], variables).stdout) == at_good
        saved = set(data.glob("before-restore-*"))

        refused = corridor(["restore", str(unguarded), "--replace"], variables, check=False)
        assert refused.returncode == 2 and "not guarded" in refused.stderr and "ledger_entry_" in refused.stderr
        refused = corridor(["restore", str(rewritten), "--replace"], variables, check=False)
        assert refused.returncode == 2 and "contradicts the checkpoint" in refused.stderr
        entry = re.search(r"entry (\d+): contradicts", refused.stderr)
        assert entry and int(entry.group(1)) >= 3
        # Nothing replaced: the database is still the good one, guarded, and no copy of it was made.
        assert _head(corridor(["verify"], variables).stdout) == at_good
        assert set(data.glob("before-restore-*")) == saved
        assert "corridor.E035" not in corridor(["check-deploy"], variables, check=False).stdout
