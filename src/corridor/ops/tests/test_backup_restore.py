"""`corridor backup` and `corridor restore`: after a restore, `corridor verify` prints the head hash the
backup was taken at, on SQLite and on PostgreSQL; a bad file or an occupied database is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corridor.ops.testing import corridor, environment, own_database, python

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
    data = tmp_path / "data"
    data.mkdir()
    with own_database(tmp_path) as url:
        variables = environment(url, data)
        corridor(["migrate"], variables)
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
    data = tmp_path / "data"
    data.mkdir()
    with own_database(tmp_path) as url:
        variables = environment(url, data)
        corridor(["migrate"], variables)
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
