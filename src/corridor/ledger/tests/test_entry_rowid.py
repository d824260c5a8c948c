"""An entry's number is the ledger table's rowid on SQLite (migration 0008), and a bigint on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from corridor.ledger import services as ledger

pytestmark = pytest.mark.django_db


def test_on_sqlite_a_range_of_entries_is_read_by_rowid_with_no_index_of_numbers() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("reads the SQLite schema")
    ledger.append("gate.released", by=None, subjects=["trip:1"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN SELECT body FROM ledger_entry WHERE seq >= 1 AND seq <= 9 ORDER BY seq")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SELECT name FROM pragma_index_list('ledger_entry')")
        indexed = set()
        for (index,) in cursor.fetchall():
            cursor.execute("SELECT name FROM pragma_index_info(%s)", [index])
            indexed |= {column for (column,) in cursor.fetchall()}
    assert "USING INTEGER PRIMARY KEY" in plan
    assert "seq" not in indexed
    assert {"hash", "prev_hash"} <= indexed  # the fork guards stay


def test_on_postgresql_an_entrys_number_stays_a_bigint() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("reads the PostgreSQL schema")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'ledger_entry' "
            "AND column_name = 'seq' AND table_schema = current_schema()"
        )
        assert cursor.fetchone() == ("bigint",)


# Run in a process of its own on a database file of its own: SQLite rebuilds tables only outside the
# transaction every test runs in.
_BACK_AND_FORTH = """
import django
django.setup()
from django.core.management import call_command
from django.db import DatabaseError, connection
from corridor.ledger import guards, services as ledger
from corridor.ledger.models import Entry, EntrySite, Subject
from corridor.register import services as register

call_command("migrate", "ledger", "0007", verbosity=0)
call_command("migrate", verbosity=0)
site = register.create_site(code="ROW-T", name="Rows", country="XX", by=None)
for i in range(5):
    ledger.append("gate.released", by=None, subjects=["site:ROW-T", f"trip:{i}"], payload={"note": f"held {i}"})

def rows():
    return (
        list(Entry.objects.order_by("seq").values_list("seq", "body", "hash")),
        sorted(Subject.objects.values_list("entry_id", "key")),
        sorted(EntrySite.objects.values_list("entry_id", "site_id")),
    )

before = rows()
for target in ("0007", "0008"):
    call_command("migrate", "ledger", target, verbosity=0)
    assert rows() == before, target
    assert guards.database_problems() == [], (target, guards.database_problems())
    assert ledger.verify(deep=True).ok, target
    for table in ("ledger_entry", "ledger_subject"):
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table}")
        except DatabaseError:
            pass
        else:
            raise AssertionError(f"{table} accepted DELETE after {target}")
assert ledger.entries_about("trip:2")[0].payload == {"note": "held 2"}, ledger.entries_about("trip:2")[0].payload
print("kept")
"""


@pytest.mark.slow
def test_rebuilding_the_table_both_ways_keeps_every_row_its_indexes_and_its_guards(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the table is rebuilt on SQLite only; on PostgreSQL the migration changes nothing")
    environment = {
        **os.environ,
        "CORRIDOR_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "corridor.settings",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    environment.pop("CORRIDOR_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", _BACK_AND_FORTH], env=environment, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "kept"
