"""The plan page shows the strongest bound recorded so far and says which it is (issue #19)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from corridor.ledger.models import Entry
from corridor.planning.budget import Budget
from corridor.register.models import Site
from corridor.transfers import bounds, plans

# A short search: its quick dual (3002) stops short of the plan's value (3062), which the LP proves.
QUICK = Budget(seed=5, dual_iterations=20, search_rounds=20, windows=4, window_nodes=30, polish_iterations=20)


@pytest.fixture
def plan(today: dt.date, camp: Site, long_wait: Callable[[dt.date], Any], users: dict[str, Any]) -> Entry:
    long_wait(today)
    return plans.propose_plan(site=camp, day=today, by=None, horizon_days=14, budget=QUICK)


def _page(client: Client, plan: Entry) -> str:
    url = f"{reverse('web:plan')}?site={plan.payload['site']}&date={plan.payload['date']}"
    return client.get(url).content.decode()


def test_the_plan_page_shows_the_dual_bound_first_then_the_lp_bound_once_computed(
    plan: Entry, client_for: Callable[[str], Client]
) -> None:
    coordinator = client_for("coordinator")
    dual, objective = int(plan.payload["lower_bound"]), plan.payload["objective"]
    before = _page(coordinator, plan)
    assert f"No plan can do better than {dual:,} weighted days late; this plan has {objective:,}" in before
    assert "This bound is the quick dual" in before and "is being computed" in before
    fragment = reverse("web:plan_bound", kwargs={"seq": plan.seq})
    assert f'hx-get="{fragment}"' in before  # polled while the LP is computed

    bounds.prove_plan_bound.call(plan.seq)  # what the worker does in the background
    lp = Entry.objects.get(type="plan.lp_bound")
    polled = coordinator.get(fragment).content.decode()
    assert f"No plan can do better than {lp.payload['bound']:,} weighted days late" in polled
    assert f"computed after the plan was recorded (ledger entry #{lp.seq})" in polled
    assert "hx-get" not in polled  # the poll stops once the bound is there
    after = _page(coordinator, plan)
    assert f"better than {lp.payload['bound']:,} weighted" in after and f"better than {dual:,} weighted" not in after
    assert "hx-get" not in after.split('id="plan-bound"')[1].split("</div>")[0]


def test_a_failed_lp_leaves_the_dual_bound_and_the_page_says_why(
    plan: Entry, client_for: Callable[[str], Client], monkeypatch: Any
) -> None:
    from corridor.planning import aside

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(aside, "relax_aside", broken)
    bounds.prove_plan_bound.call(plan.seq)
    page = _page(client_for("coordinator"), plan)
    assert "This bound is the quick dual" in page and "Computing the LP relaxation failed" in page
    assert "is being computed" not in page and "hx-get" not in page.split('id="plan-bound"')[1].split("</div>")[0]


@pytest.mark.parametrize("language, words", [("fa", "پس از ثبت برنامه محاسبه شد"), ("ar", "حُسب بعد تسجيلها")])
def test_the_bound_is_said_in_persian_and_arabic(
    plan: Entry, client_for: Callable[[str], Client], language: str, words: str
) -> None:
    client = client_for("monitor")
    client.cookies["django_language"] = language
    assert words not in _page(client, plan)  # still the quick dual's
    bounds.prove_plan_bound.call(plan.seq)
    page = _page(client, plan)
    assert words in page and "LP relaxation" not in page


def test_the_bound_fragment_opens_for_every_role_and_no_one_else(
    plan: Entry, client_for: Callable[[str], Client]
) -> None:
    bounds.prove_plan_bound.call(plan.seq)
    url = reverse("web:plan_bound", kwargs={"seq": plan.seq})
    for role in ("coordinator", "clinician", "monitor", "auditor", "admin"):
        response = client_for(role).get(url)
        assert response.status_code == 200 and "LP relaxation" in response.content.decode(), role
    assert client_for("outsider").get(url).status_code == 403
    assert client_for("anonymous").get(url).status_code == 302
    lp = Entry.objects.get(type="plan.lp_bound")
    assert client_for("coordinator").get(reverse("web:plan_bound", kwargs={"seq": lp.seq})).status_code == 404
