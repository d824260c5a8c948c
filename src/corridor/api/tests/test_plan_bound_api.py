"""The API says how far a plan can be from the best, and learns the LP bound as the plan page does (issue #19)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from corridor.ledger.models import Entry
from corridor.planning.budget import Budget
from corridor.transfers import bounds, plans

DAY = dt.date(2014, 10, 13)
# A short search whose quick dual stops short of the plan's value, which the LP then proves more of.
QUICK = Budget(seed=5, dual_iterations=20, search_rounds=20, windows=4, window_nodes=30, polish_iterations=20)


@pytest.fixture
def plan(camp: Any, long_wait: Callable[[dt.date], Any]) -> Entry:
    long_wait(DAY)
    return plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14, budget=QUICK)


def _get(client: Client, path: str) -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, response.content
    found: dict[str, Any] = json.loads(response.content)
    return found


def test_a_plans_bound_is_pending_until_the_worker_records_the_lp_bound_and_then_the_api_gives_that(
    plan: Entry, tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    monitor = api_client(tokens["monitor"])
    dual, objective = int(plan.payload["lower_bound"]), int(plan.payload["objective"])
    assert dual < objective  # the instance leaves the LP something to prove

    before = _get(monitor, f"/api/plans/{plan.seq}")["bound"]
    assert before == {
        "value": dual,
        "gap": pytest.approx((objective - dual) / objective),
        "source": "dual",
        "state": "pending",
        "lp_entry": None,
        "lp_bound": None,
    }

    bounds.prove_plan_bound.call(plan.seq)  # what the worker does in the background
    lp = Entry.objects.get(type="plan.lp_bound")
    proved = lp.payload["bound"]
    assert dual < proved <= objective
    after = _get(monitor, f"/api/plans/{plan.seq}")["bound"]
    assert after == {
        "value": proved,
        "gap": pytest.approx((objective - proved) / objective),
        "source": "lp",
        "state": "proved",
        "lp_entry": lp.seq,
        "lp_bound": proved,
    }
    # The day's latest plan says the same, and the quick bound recorded with the plan is still there.
    latest = _get(monitor, f"/api/sites/CAMP-T/plans/latest?on={DAY}")
    assert latest["seq"] == plan.seq and latest["bound"] == after and latest["lower_bound"] == dual


def test_a_plan_searched_against_the_clock_says_its_lp_bound_is_not_computed(
    camp: Any, make_referral: Callable[..., Any], tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    make_referral("P-CLOCK", referral_date=DAY - dt.timedelta(days=20))
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14, budget=None, time_limit=2.0)
    bound = _get(api_client(tokens["coordinator"]), f"/api/plans/{entry.seq}")["bound"]
    assert (bound["source"], bound["state"], bound["lp_entry"]) == ("dual", "none", None)


def test_a_ledger_entry_that_is_not_a_plan_is_not_found_as_one(
    plan: Entry, tokens: dict[str, str], api_client: Callable[[str | None], Client]
) -> None:
    other = Entry.objects.exclude(type="plan.proposed").order_by("-seq").first()
    assert other is not None
    response = api_client(tokens["monitor"]).get(f"/api/plans/{other.seq}")
    error = json.loads(response.content)["error"]
    assert response.status_code == 404 and (error["code"], error["reason"]) == ("not_found", "plan.not_a_plan")


def test_the_api_schema_lists_every_state_and_source_of_a_bound_as_the_planner_defines_them(
    tokens: dict[str, str], api_client: Callable[[str | None], Client], db: Any
) -> None:
    schema = _get(api_client(tokens["monitor"]), "/api/openapi.json")["components"]["schemas"]["PlanBoundOut"]
    assert schema["properties"]["state"]["enum"] == list(bounds.STATES)
    assert schema["properties"]["source"]["enum"] == list(bounds.SOURCES)
