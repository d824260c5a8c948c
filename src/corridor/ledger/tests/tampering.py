"""What an attacker with the database does to the ledger, for the evidence and guard tests (not a test module)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from corridor.ledger import services as ledger

APPEND_ONLY_TABLES = ("ledger_entry", "ledger_subject", "ledger_treenode")


def append_held(count: int, start: int = 0) -> None:
    """``count`` gate holds (on trips ``start``…) with non-ASCII text, so a rewrite must get the canonical
    encoding right."""
    for i in range(start, start + count):
        ledger.append(
            "gate.held",
            by="tester",
            subjects=[f"trip:{i}"],
            payload={"i": i, "note": "غزة"},
            source="witness",
            certainty="probable",
            occurred_at=dt.datetime(2014, 10, 11, 8, tzinfo=dt.UTC),
        )


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def drop_triggers() -> None:
    """Drop the append-only triggers, as someone with the database's owner account can."""
    for table in APPEND_ONLY_TABLES:
        if connection.vendor == "sqlite":
            sql(f"DROP TRIGGER {table}_no_update")
            sql(f"DROP TRIGGER {table}_no_delete")
        else:
            sql(f"DROP TRIGGER {table}_append_only ON {table}")
