"""A plan asked for through the API holds no transaction while the planner searches.

The API's plan ran inside a transaction of its own around the service, to find the entry written: on
SQLite that transaction takes the write lock at BEGIN, so for the minute or two the planner searched
every other write (the worker's, a gate record from a phone) waited for it and then failed with
"database is locked"; the demo's worker died of it. The service returns the entry it wrote instead.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from corridor.ledger.models import Entry
from corridor.transfers import plans


def test_the_api_runs_the_planner_outside_any_transaction_and_still_names_the_entry_it_wrote(
    tokens: dict[str, str],
    api_client: Callable[[str | None], Client],
    make_referral: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_referral("P-LOCK", referral_date=dt.date(2014, 10, 1))
    outside = len(connection.atomic_blocks)  # the test's own transactions
    depths = []
    planner = plans.run_planner

    def watched(*args: Any, **kwargs: Any) -> Any:
        depths.append(len(connection.atomic_blocks))
        return planner(*args, **kwargs)

    monkeypatch.setattr(plans, "run_planner", watched)
    response = api_client(tokens["coordinator"]).post(
        "/api/sites/CAMP-T/plans", {"date": "2014-10-13", "horizon_days": 14}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert depths == [outside]
    written = json.loads(response.content)["entry"]
    entry = Entry.objects.order_by("-seq").first()
    assert entry is not None and written == {"seq": entry.seq, "hash": entry.hash, "type": "plan.proposed"}
