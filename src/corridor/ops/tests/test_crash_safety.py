"""Crash safety: `kill -9` in the middle of a bulk import leaves nothing half-written, and after a restart
the ledger verifies and the import can simply be run again."""

from __future__ import annotations

import ast
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from corridor.ops.testing import CORRIDOR, corridor, migrated_install, python

COUNTS = (
    "from corridor.register.models import Patient, PatientIdentity, Referral, Scenario, Site\n"
    "from corridor.transfers.models import Trip\n"
    "from corridor.ledger.models import Entry, Subject\n"
    "print([m.objects.count() for m in (Site, Patient, PatientIdentity, Referral, Trip, Scenario, Entry, Subject)])\n"
)


def _writing(url: str, pid: int) -> bool:
    """Whether the importing process holds an open write transaction that has written something."""
    if url.startswith("sqlite"):
        # The import's transaction holds SQLite's single write lock from its first statement on.
        probe = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        else:
            probe.rollback()
            return False
        finally:
            probe.close()
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as pg:
        row = pg.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        ).fetchone()
    return bool(row and row[0])


@pytest.mark.slow
@pytest.mark.database  # a database of its own: also run in the PostgreSQL pass
def test_kill_9_in_the_middle_of_loading_the_demo_camp_leaves_nothing_half_written(tmp_path: Path) -> None:
    with migrated_install(tmp_path) as (url, data, variables):
        before_counts = python(COUNTS, variables)
        before_head = corridor(["verify"], variables).stdout

        importer = subprocess.Popen(
            [*CORRIDOR, "load-scenario", "demo-camp"],
            env=variables,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while not _writing(url, importer.pid):
            assert importer.poll() is None, "the import finished before it could be interrupted"
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.05)
        time.sleep(1.5)  # well into the thousands of records it writes
        assert importer.poll() is None and _writing(url, importer.pid)
        os.kill(importer.pid, signal.SIGKILL)
        assert importer.wait(timeout=30) == -signal.SIGKILL

        # "Restart": fresh processes open the database as a server would after the crash.
        assert python(COUNTS, variables) == before_counts
        after = corridor(["verify"], variables)
        assert after.stdout == before_head, "the ledger changed although the import never committed"
        deep = corridor(["verify", "--deep"], variables)
        assert deep.stdout.startswith("ok:")

        # Nothing stands in the way of simply running it again.
        again = corridor(["load-scenario", "demo-camp"], variables)
        assert again.stdout.startswith("loaded scenario demo-camp")
        assert corridor(["verify"], variables).stdout.startswith("ok:")
        # Every entry's site rows are those of its subjects, the demo's crossing included.
        assert corridor(["verify", "--deep"], variables).stdout.startswith("ok:")
        sites, patients, *_ = ast.literal_eval(python(COUNTS, variables))
        assert sites == 2 and patients > 600  # the camp and the crossing
