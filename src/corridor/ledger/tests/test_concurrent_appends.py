"""Two processes appending at the same moment never fork the chain (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from corridor.ops.testing import own_database

WORKER = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from corridor.ledger import services as ledger
name, count = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()  # start together
for i in range(count):
    ledger.append("incident.recorded", by=name, subjects=[f"site:{name}"], payload={"i": i})
"""

TAMPER = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from django.db import connection
from corridor.ledger.models import Entry
seq = int(sys.argv[1])
body = Entry.objects.get(seq=seq).body.replace('"payload":{"i":', '"payload":{"i":1')
with connection.cursor() as cursor:
    if connection.vendor == "sqlite":
        cursor.execute("DROP TRIGGER ledger_entry_no_update")
    else:
        cursor.execute("DROP TRIGGER ledger_entry_append_only ON ledger_entry")
    cursor.execute("UPDATE ledger_entry SET body = %s WHERE seq = %s", [body, seq])
"""


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own (committed data and processes of their own do not fit in a test transaction)."""
    with own_database(tmp_path) as url:
        yield url


def _environment(url: str, data_dir: Path) -> dict[str, str]:
    return {**os.environ, "CORRIDOR_DATABASE_URL": url, "CORRIDOR_DATA_DIR": str(data_dir)}


@pytest.mark.slow
def test_two_processes_appending_1000_entries_each_leave_one_unbroken_chain(
    fresh_database: str, tmp_path: Path
) -> None:
    environment = _environment(fresh_database, tmp_path)
    corridor = [sys.executable, "-c", "from corridor.cli import main; main()"]
    subprocess.run([*corridor, "migrate"], env=environment, check=True, capture_output=True)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, name, "1000"],
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("alpha", "beta")
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        assert worker.wait(timeout=300) == 0
    result = subprocess.run([*corridor, "verify"], env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # 4 default priority classes are recorded by migrate, then the 2,000 appends.
    assert result.stdout.startswith("ok: 2004 entries"), result.stdout
    count = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='corridor.settings';"
            "django.setup(); from corridor.ledger.models import Entry;"
            "print(Entry.objects.filter(type='incident.recorded').values('recorded_by').distinct().count())",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert count.stdout.strip() == "2"  # both writers really interleaved into the one chain

    # The same verdict when the hashing is split across processes, and the same first bad entry.
    parallel = subprocess.run([*corridor, "verify", "--workers", "3"], env=environment, capture_output=True, text=True)
    assert (parallel.returncode, parallel.stdout) == (0, result.stdout)
    subprocess.run([sys.executable, "-c", TAMPER, "1700"], env=environment, check=True)
    broken = subprocess.run([*corridor, "verify", "--workers", "3"], env=environment, capture_output=True, text=True)
    assert broken.returncode == 1 and "entry 1700" in broken.stderr, broken.stderr
