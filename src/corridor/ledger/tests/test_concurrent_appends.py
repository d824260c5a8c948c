"""Two processes appending at the same moment never fork the chain (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import start_together
from corridor.ops.testing import CORRIDOR, migrated_install, python

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


@pytest.mark.slow
def test_two_processes_appending_1000_entries_each_leave_one_unbroken_chain(tmp_path: Path) -> None:
    # A database of its own: committed data and processes of their own do not fit in a test transaction.
    with migrated_install(tmp_path) as install:
        environment = install.variables
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
        start_together(workers)
        for worker in workers:
            assert worker.wait(timeout=300) == 0
        result = subprocess.run([*CORRIDOR, "verify"], env=environment, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        # 4 default priority classes are recorded by migrate, then the 2,000 appends.
        assert result.stdout.startswith("ok: 2004 entries"), result.stdout
        writers = python(
            "from corridor.ledger.models import Entry\n"
            "print(Entry.objects.filter(type='incident.recorded').values('recorded_by').distinct().count())",
            environment,
        )
        assert writers.strip() == "2"  # both writers really interleaved into the one chain

        # The same verdict when the hashing is split across processes, and the same first bad entry.
        parallel = subprocess.run(
            [*CORRIDOR, "verify", "--workers", "3"], env=environment, capture_output=True, text=True
        )
        assert (parallel.returncode, parallel.stdout) == (0, result.stdout)
        subprocess.run([sys.executable, "-c", TAMPER, "1700"], env=environment, check=True)
        broken = subprocess.run(
            [*CORRIDOR, "verify", "--workers", "3"], env=environment, capture_output=True, text=True
        )
        assert broken.returncode == 1 and "entry 1700" in broken.stderr, broken.stderr
