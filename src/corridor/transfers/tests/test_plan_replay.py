"""A recorded plan is reproducible: its entry holds the instance, seed and budget, and a replay matches it."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import DAY
from corridor.cli import cli
from corridor.errors import InvalidInput
from corridor.ledger.models import Entry
from corridor.planning.budget import ALGORITHM, Budget
from corridor.register.models import Referral, Site
from corridor.transfers import plans

pytestmark = pytest.mark.django_db

SMALL = Budget(seed=5, dual_iterations=60, search_rounds=40, windows=16, window_nodes=50, polish_iterations=100)


@pytest.fixture
def waiting(make_referral: Callable[..., Referral]) -> list[Referral]:
    made = [make_referral(f"P-{i}", priority="P2", referral_date=DAY - dt.timedelta(days=20 - i)) for i in range(9)]
    made.append(make_referral("P-90", specialty="cardiology", priority="P1", referral_date=DAY))
    return made


def test_a_recorded_plan_holds_its_instance_hash_seed_and_budget(camp: Site, waiting: list[Referral]) -> None:
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14, budget=SMALL)
    planner = entry.payload["planner"]
    assert planner["mode"] == "reproducible" and planner["seed"] == 5 and planner["budget"] == SMALL.to_dict()
    instance, *_ = plans.build_instance(camp, DAY, 14)
    assert planner["instance"] == instance
    assert planner["instance_sha256"] == plans.instance_hash(instance)


def test_plan_replay_reproduces_a_recorded_plan_byte_for_byte(
    camp: Site, waiting: list[Referral], tmp_path: Path
) -> None:
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14, budget=SMALL)
    out = tmp_path / "replayed.json"
    replayed = CliRunner().invoke(cli, ["plan", "replay", str(entry.seq), "--out", str(out)], catch_exceptions=False)
    assert replayed.exit_code == 0, replayed.output
    assert f"identical: entry {entry.seq}" in replayed.output
    result = json.loads(out.read_bytes())
    # The re-derived output is the recorded plan: the same bytes, and the same trip as the entry shows.
    assert plans.result_hash(result) == entry.payload["planner"]["result_sha256"]
    assert result["objective"] == entry.payload["objective"] and result["lower_bound"] == entry.payload["lower_bound"]
    trip = entry.payload["trip"]
    assert result["trip"]["facility"] == trip["facility"]
    assert result["trip"]["patients"] == [p["id"] for p in trip["patients"]]
    assert result["standby"] == [p["id"] for p in entry.payload["standby"]]


def test_the_default_recorded_plan_is_reproducible_too(camp: Site, waiting: list[Referral]) -> None:
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14)
    assert entry.payload["planner"]["budget"] == plans.RECORDED_BUDGET.to_dict()
    assert plans.replay_plan(entry).identical


def test_a_replay_refuses_an_instance_that_does_not_match_its_hash(camp: Site, waiting: list[Referral]) -> None:
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14, budget=SMALL)
    # Never saved (the ledger is append-only): an entry read from a tampered copy of the database.
    fields = copy.deepcopy(entry.fields)
    fields["payload"]["planner"]["instance"]["patients"][0]["weight"] = 1
    forged = Entry(seq=entry.seq, body=json.dumps(fields))
    forged.type = entry.type
    with pytest.raises(InvalidInput, match="does not match its hash"):
        plans.replay_plan(forged)


def _forged(entry: Entry, budget: dict[str, int]) -> Entry:
    """The entry as it would read with another recorded budget (the ledger itself is append-only)."""
    fields = copy.deepcopy(entry.fields)
    fields["payload"]["planner"]["budget"] = budget
    forged = Entry(seq=entry.seq, body=json.dumps(fields))
    forged.type = entry.type
    return forged


def test_an_entry_recorded_before_budgets_had_a_version_replays_with_the_first_search(
    camp: Site, waiting: list[Referral]
) -> None:
    first = Budget(**{**SMALL.to_dict(), "version": 1})
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14, budget=first)
    # What such an entry holds: the budget's fields of that time, no version.
    old = {k: v for k, v in first.to_dict().items() if k not in ("version", "window_width")}
    assert plans.replay_plan(_forged(entry, old)).identical


def test_a_plan_recorded_with_the_second_search_replays_with_its_windows_as_they_were_solved_then(
    camp: Site, long_wait: Callable[[dt.date], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from corridor.planning import cpsat, solver

    long_wait(DAY)  # enough waiting for the quick dual to leave a gap, so that windows are searched at all

    seen: list[tuple[int, dict[str, Any]]] = []
    solve_window = cpsat.window_milp

    def watched(*args: Any, options: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        seen.append((version, dict(options or {})))
        return solve_window(*args, options=options, **kwargs)

    monkeypatch.setattr(solver, "window_milp", watched)
    for version in (2, ALGORITHM):
        entry = plans.propose_plan(
            site=camp, day=DAY, by=None, horizon_days=14, budget=Budget(**{**SMALL.to_dict(), "version": version})
        )
        assert entry.payload["planner"]["budget"]["version"] == version
        assert plans.replay_plan(entry).identical
    # The second search's windows ran HiGHS's defaults; the current one's, its own (no restart).
    assert {v for v, _ in seen} == {2, ALGORITHM}
    assert all(options == {} for v, options in seen if v == 2)
    current = dict(solver.SEARCHES[ALGORITHM].window_options)
    assert current and all(options == current for v, options in seen if v == ALGORITHM)


def test_a_replay_refuses_an_entry_from_a_newer_planner(camp: Site, waiting: list[Referral]) -> None:
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14, budget=SMALL)
    with pytest.raises(InvalidInput, match="newer planner") as refused:
        plans.replay_plan(_forged(entry, {**SMALL.to_dict(), "version": ALGORITHM + 1}))
    assert refused.value.code == "plan.newer_planner"


def test_a_plan_searched_against_the_clock_says_it_cannot_be_replayed(camp: Site, waiting: list[Referral]) -> None:
    entry = plans.propose_plan(site=camp, day=DAY, by=None, horizon_days=14, budget=None, time_limit=0.5)
    assert entry.payload["planner"] == {"mode": "timed", "seconds": 0.5}
    refused = CliRunner().invoke(cli, ["plan", "replay", str(entry.seq)])
    assert refused.exit_code != 0 and "searched against the clock" in refused.output
    missing = CliRunner().invoke(cli, ["plan", "replay", "9999"])
    assert missing.exit_code != 0 and "no ledger entry 9999" in missing.output


def test_a_budget_is_lowered_part_by_part_and_never_raised_nor_given_a_part_it_does_not_have() -> None:
    quick = plans.lowered_budget({"windows": 3, "window_nodes": 1})
    assert (quick.windows, quick.window_nodes) == (3, 1)
    assert quick.seed == plans.RECORDED_BUDGET.seed and quick.version == plans.RECORDED_BUDGET.version
    assert plans.lowered_budget({}) == plans.RECORDED_BUDGET
    refusals: dict[str, dict[str, Any]] = {
        "budget.windows": {"windows": plans.RECORDED_BUDGET.windows + 1},
        "budget.window_nodes": {"window_nodes": 0},
        "budget.search_rounds": {"search_rounds": True},
        "budget.polish_iterations": {"polish_iterations": 2.5},
        "budget": {"version": 1},
    }
    for field, parts in refusals.items():
        with pytest.raises(InvalidInput) as refused:
            plans.lowered_budget(parts)
        assert refused.value.field == field, parts
    # A job's parameters are any JSON: a budget that is not an object is refused, not crashed on.
    with pytest.raises(InvalidInput, match="must be an object"):
        plans.lowered_budget([["windows", 2]])
