"""A scratch Corridor for the benchmarks (not a benchmark): a data folder of its own, and a ledger filled fast.

Every benchmark that needs Django runs in a fresh temporary folder on SQLite, so that its figures do not
depend on the developer's database, and so that it never writes there.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def scratch_environment(prefix: str = "corridor-bench-", **environment: str | None) -> Path:
    """Point Corridor at a new temporary data folder, with the SQLite database inside it; returns the folder.
    Each keyword sets a further variable, or removes it when ``None``. Call before ``django.setup()``."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["CORRIDOR_DATA_DIR"] = str(folder)
    os.environ.pop("CORRIDOR_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "corridor.settings"
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    sys.path.insert(0, str(ROOT / "src"))  # the checkout's code, whether or not it is installed
    return folder


def start_django(*, migrate: bool = True) -> None:
    """Set Django up on the scratch environment and, unless told not to, create its tables."""
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def released(trip: int) -> dict[str, object]:
    """The payload of a trip's release at the gate after 3.5 hours: the entry a benchmark's ledger is made of."""
    return {"trip": trip, "date": "2014-10-11", "facility": "H-03", "reason": None, "hours_held": 3.5}


def fill_ledger(count: int, *, subjects: Callable[[int], list[str]], recorded_at: str) -> None:
    """Bulk-insert ``gate.released`` entries up to ``count``: quickly but honestly, with real canonical bodies
    and hashes, so that what reads or checks them afterwards does the work it would do on a real ledger."""
    from django.db import connection, transaction

    from corridor.ledger import canonical
    from corridor.ledger import services as ledger

    head_seq, prev = ledger.head()
    sha256 = hashlib.sha256
    fields = {
        "certainty": "confirmed",
        "corrects": None,
        "occurred_at": "2014-10-11T08:30:00.000000Z",
        "recorded_at": recorded_at,
        "recorded_by": "bench",
        "source": "witness",
        "type": "gate.released",
        "v": 1,
    }
    batch: list[tuple[int, str, str]] = []
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for seq in range(head_seq + 1, count + 1):
            body = canonical.canonical_json(
                {**fields, "seq": seq, "prev_hash": prev, "payload": released(seq), "subjects": subjects(seq)}
            )
            prev = sha256(body.encode()).hexdigest()
            batch.append((seq, body, prev))
            if len(batch) == 50_000:
                cursor.executemany("INSERT INTO ledger_entry (seq, body, hash) VALUES (%s, %s, %s)", batch)
                batch.clear()
        if batch:
            cursor.executemany("INSERT INTO ledger_entry (seq, body, hash) VALUES (%s, %s, %s)", batch)
    if count > head_seq:
        print(f"filled the ledger to {count:,} entries in {time.perf_counter() - start:.1f} s", file=sys.stderr)
