"""Ledger benchmark: appends through the service layer against raw SQLite, and verification speed.

    python benchmarks/ledger.py [--appends 3000] [--entries 1000000]

Prints, from one run:
1. appends per second through ``corridor.ledger.services.append`` (one transaction per entry, each
   append a transaction of its own) against raw ``sqlite3`` inserts of the same rows with the same durability (one
   ``BEGIN IMMEDIATE … COMMIT`` per entry, WAL, synchronous=NORMAL). Goal: at least 60 % of raw.
   The same ratio in this process's CPU time is printed beside it: a neighbour's load moves it less,
   and it leaves out the waits both sides share (the WAL's checkpoints write to the disk).
   The same appends inside a transaction of the caller's (as a service writes a row with its entry)
   are printed after it, for information: those go through Django's transaction layer.
2. verification of ``--entries`` entries (``corridor verify``'s code path: read every row from the
   database, hash its body, check its link and sequence number) against hashlib's SHA-256 over the
   same bodies' bytes, one digest per entry, already in memory. Goals: at least 50 % of hashlib's
   rate with one process, 80 % with two.
Everything runs in a temporary data directory on SQLite.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from scratch import fill_ledger, released, scratch_environment, start_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appends", type=int, default=3000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = scratch_environment()
    try:
        start_django()
        _print_load("before")
        appends(args.appends, folder)
        verification(args.entries)
        _print_load("after")
    finally:
        shutil.rmtree(folder)  # a million entries take about a gigabyte


def _print_load(when: str) -> None:
    # On a shared machine the ratios are only comparable between runs under a similar load: a busy
    # neighbour slows both sides of a ratio, but not always alike, and it takes the second core away.
    one, five, _ = os.getloadavg()
    print(f"load average {when}: {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores")


def _append(ledger: Any, i: int) -> None:
    ledger.append(
        "gate.released",
        by="bench",
        subjects=[f"trip:{i}", "patient:P-0003"],
        payload=released(i),
        source="witness",
        certainty="confirmed",
    )


def appends(count: int, folder: Path, rounds: int = 10) -> float:
    """Appends per second through the services against raw inserts of the very same rows.

    The two alternate in ``rounds`` blocks (a block through the services, then the same rows raw), so
    a busy neighbour on a shared machine slows both alike and the ratio stays meaningful.
    """
    from django.db import transaction

    from corridor.ledger import services as ledger
    from corridor.ledger.models import Entry

    raw = sqlite3.connect(folder / "raw.sqlite3", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    # The very same tables, generated columns, indexes and triggers as Corridor's own database.
    source = sqlite3.connect(folder / "corridor.sqlite3")
    for (sql,) in source.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name IN ('ledger_entry', 'ledger_subject') AND sql IS NOT NULL "
        "ORDER BY type = 'table' DESC"
    ):
        raw.execute(sql.replace('REFERENCES "ledger_entry"', "REFERENCES ledger_entry"))
    source.close()
    service_seconds = raw_seconds = service_cpu = raw_cpu = inside_seconds = 0.0
    done = 0
    for block in range(rounds):
        size = count // rounds + (1 if block < count % rounds else 0)
        first = ledger.head()[0] + 1
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(done, done + size):
            _append(ledger, i)
        service_seconds += time.perf_counter() - start
        service_cpu += time.process_time() - cpu
        last = ledger.head()[0]
        # The same appends inside a transaction of the caller's, as a service writes a row and its entry
        # together: these take Django's transaction layer (the fast path is for an append on its own).
        start = time.perf_counter()
        for i in range(done, done + size):
            with transaction.atomic():
                _append(ledger, i)
        inside_seconds += time.perf_counter() - start
        rows = list(
            Entry.objects.filter(seq__gte=first, seq__lte=last).order_by("seq").values_list("seq", "body", "hash")
        )
        start, cpu = time.perf_counter(), time.process_time()
        for seq, body, digest in rows:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("SELECT seq, hash FROM ledger_entry ORDER BY seq DESC LIMIT 1").fetchone()
            raw.execute("INSERT INTO ledger_entry (seq, body, hash) VALUES (?, ?, ?)", (seq, body, digest))
            raw.executemany(
                "INSERT INTO ledger_subject (entry_id, key) VALUES (?, ?)",
                [(seq, f"trip:{seq}"), (seq, "patient:P-0003")],
            )
            raw.execute("COMMIT")
        raw_seconds += time.perf_counter() - start
        raw_cpu += time.process_time() - cpu
        done += size
    raw.close()
    service_rate, raw_rate = count / service_seconds, count / raw_seconds
    ratio = service_rate / raw_rate
    print(
        f"appends: service layer {service_rate:,.0f}/s, raw sqlite3 {raw_rate:,.0f}/s "
        f"({count:,} each, interleaved in {rounds} blocks)"
    )
    print(
        f"appends in CPU time: service layer {service_cpu / count * 1e6:,.0f} µs each, raw sqlite3 "
        f"{raw_cpu / count * 1e6:,.0f} µs each ({raw_cpu / service_cpu:.0%})"
    )
    print(f"APPEND RATIO: {ratio:.0%} of raw SQLite inserts (goal >= 60%)")
    print(
        f"appends inside a caller's transaction (as a service writes a row with its entry): "
        f"{count / inside_seconds:,.0f}/s, {count / inside_seconds / raw_rate:.0%} of raw"
    )
    return ratio


def verification(count: int, rounds: int = 2) -> None:
    from django.db import connection

    from corridor.ledger import services as ledger

    fill_ledger(
        count, subjects=lambda seq: ["patient:P-0003", f"trip:{seq}"], recorded_at="2026-11-23T10:00:00.000000Z"
    )
    sha256 = hashlib.sha256
    connection.close()  # verification in parallel forks workers; they open their own connections
    blobs = [body.encode() for _, body, _ in ledger.iter_rows()]
    megabytes = sum(map(len, blobs)) / 1e6
    connection.close()
    cores = min(2, os.cpu_count() or 1)
    # Each measurement is repeated and alternated with the others, and the best time of each kept: on a
    # shared machine a neighbour's burst then cannot land on one side of a ratio only.
    best: dict[str, float] = {}
    for _ in range(rounds):
        start = time.perf_counter()
        for blob in blobs:
            sha256(blob).hexdigest()
        best["hashlib"] = min(best.get("hashlib", math.inf), time.perf_counter() - start)
        for workers in sorted({1, cores}):
            start = time.perf_counter()
            verdict = ledger.verify(workers=workers)
            best[f"verify{workers}"] = min(best.get(f"verify{workers}", math.inf), time.perf_counter() - start)
            assert verdict.ok and verdict.count == count, verdict.describe()
    hash_seconds = best["hashlib"]
    print(
        f"hashlib SHA-256 over the same bodies ({megabytes:,.0f} MB, already in memory): "
        f"{count / hash_seconds:,.0f} entries/s, one process (best of {rounds})"
    )
    for workers in sorted({1, cores}):
        seconds = best[f"verify{workers}"]
        goal = "50%" if workers == 1 else "80%"
        print(
            f"verify with {workers} process(es): {count:,} entries in {seconds:.2f} s = {count / seconds:,.0f} "
            f"entries/s (best of {rounds})"
        )
        print(
            f"VERIFY RATIO ({workers} {'cores' if workers > 1 else 'core'}): {hash_seconds / seconds:.0%} "
            f"of hashlib on one core (goal >= {goal})"
        )


if __name__ == "__main__":
    main()
