"""The engine obeys the access rules and the policies, patient by patient.

The engine's per-patient output is checked here by plain Python loops over small runs, which are slow
but obviously right: every day's travellers are the policy's best among those waiting, never more than
K, only on days the trip happens, and only to at most F facilities.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.simulation import engine
from corridor.simulation.core import simulate
from corridor.simulation.engine import Batch, Plan, make_plan, simulate_batch
from corridor.simulation.model import PriorityClass, Scenario, ScenarioError, default_class

THREE = (default_class("P1", 0.4), default_class("P2", 1.0), default_class("P4", 1.6))


def scenario(**kw: object) -> Scenario:
    base: dict[str, object] = {
        "classes": THREE,
        "capacity": 4,
        "trip_probability": 0.8,
        "days": 60,
        "replications": 6,
        "seed": 11,
    }
    base.update(kw)
    return Scenario(**base)  # type: ignore[arg-type]


def policy_key(plan: Plan, cls: int, referral: int, t: int) -> tuple[float, ...]:
    """The policy's order written out directly from its definition (lower travels first)."""
    s = plan.scenario
    due = referral + int(plan.deadline[cls])
    if s.policy == "fifo":
        return (referral, cls)
    if s.policy == "priority":
        return (cls, referral)
    if s.policy == "edf":
        return (due, cls)
    index = plan.weight[cls] * math.exp(-max(0, due - t - 1) / s.atc_k)
    return (-round(index, 12), due, cls)


def check_hospitals(plan: Plan, b: Batch, waiting: np.ndarray, served: np.ndarray, t: int) -> None:
    """Every hospital visited is among the day's F best: by the sum of the best K ATC indices waiting
    there under ATC (the planner's batching rule), by its best waiting patient under the others."""
    s = plan.scenario
    by_hospital: dict[int, list[tuple[float, ...]]] = {}
    for i in waiting:
        key = policy_key(plan, int(plan.cell_class[b.cell[i]]), int(b.referral_day[i]), t)
        by_hospital.setdefault(int(plan.cell_facility[b.cell[i]]), []).append(key)
    score: dict[int, tuple[float, ...]]
    if s.policy == "atc":
        # Larger is better: the batch value, negated so that smaller is better as for the others.
        score = {
            f: (-round(sum(-k[0] for k in sorted(keys)[: s.capacity]), 9),) for f, keys in by_hospital.items()
        }
    else:
        score = {f: min(keys) for f, keys in by_hospital.items()}
    cutoff = sorted(score.values())[min(s.facilities_per_day, len(score)) - 1]
    for f in {int(plan.cell_facility[c]) for c in b.cell[served]}:
        assert score[f] <= cutoff, f"{s.policy}: hospital {plan.facilities[f]} was not among the day's best"


def check_day_by_day(plan: Plan, b: Batch) -> None:
    """Every rule, replayed by hand for each replication and day."""
    s = plan.scenario
    for rep in range(b.replications):
        mine = np.flatnonzero(b.rep == rep)
        for t in range(plan.total_days):
            alive = (b.referral_day[mine] <= t) & (b.abandon_day[mine] >= t)
            waiting_before = mine[alive & ((b.served_day[mine] < 0) | (b.served_day[mine] >= t))]
            served = waiting_before[b.served_day[waiting_before] == t]
            left = waiting_before[b.served_day[waiting_before] != t]

            def of(i: int, t: int = t) -> tuple[float, ...]:
                return policy_key(plan, int(plan.cell_class[b.cell[i]]), int(b.referral_day[i]), t)

            if not b.trips[rep, t]:
                assert served.size == 0, "nobody travels on a cancelled day"
                continue
            assert served.size <= s.capacity
            facilities = {int(plan.cell_facility[c]) for c in b.cell[served]}
            assert len(facilities) <= s.facilities_per_day
            if plan.limits_facilities and served.size:
                eligible = left[np.isin(plan.cell_facility[b.cell[left]], list(facilities))]
            else:
                eligible = left
            if served.size < s.capacity:
                assert eligible.size == 0, "a seat went empty while an eligible patient waited"
            key = [of(i) for i in served]
            rest = [of(i) for i in eligible]
            if key and rest:
                assert max(key) <= min(rest), f"{s.policy}: a better patient was left behind on day {t}"
            if plan.limits_facilities and served.size:
                check_hospitals(plan, b, np.concatenate([served, left]), served, t)


@pytest.mark.parametrize("policy", ["fifo", "priority", "edf", "atc"])
def test_each_day_the_policy_chooses_its_best_waiting_patients(policy: str) -> None:
    plan = make_plan(scenario(policy=policy, capacity=3))
    check_day_by_day(plan, simulate_batch(plan, 0, 4))


@pytest.mark.parametrize("policy", ["priority", "atc"])
def test_with_one_hospital_a_day_only_that_hospitals_patients_travel(policy: str) -> None:
    s = scenario(
        policy=policy,
        specialty_mix=(("oncology", 0.5), ("cardiology", 0.3), ("other", 0.2)),
        facilities=(("cardiology", "H-2"), ("oncology", "H-1")),
    )
    plan = make_plan(s)
    assert plan.facilities == ("H-1", "H-2", "other")
    check_day_by_day(plan, simulate_batch(plan, 0, 4))


def test_deaths_and_leaving_remove_patients_after_the_trip() -> None:
    hazardous = tuple(replace(c, death_hazard=0.05, leave_hazard=0.03) for c in THREE)
    plan = make_plan(scenario(classes=hazardous, capacity=2, policy="edf"))
    b = simulate_batch(plan, 0, 4)
    check_day_by_day(plan, b)
    travelled = b.served_day >= 0
    assert np.all(b.served_day[travelled] <= b.abandon_day[travelled]), "nobody travels after dying"
    assert np.any(~travelled & (b.abandon_day < plan.total_days)), "some patients died or left"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rates=st.lists(st.floats(0.0, 3.0), min_size=1, max_size=3),
    capacity=st.integers(0, 6),
    p=st.floats(0.0, 1.0),
    facilities=st.integers(1, 3),
    policy=st.sampled_from(["fifo", "priority", "edf", "atc"]),
    hazard=st.one_of(st.none(), st.floats(0.0, 0.3)),
    backlog=st.integers(0, 15),
    mixed=st.booleans(),
)
def test_any_scenario_keeps_every_rule(
    rates: list[float],
    capacity: int,
    p: float,
    facilities: int,
    policy: str,
    hazard: float | None,
    backlog: int,
    mixed: bool,
) -> None:
    classes = tuple(
        PriorityClass(
            f"P{i + 1}",
            rate,
            deadline_days=(1, 14, 90)[i],
            weight=(10, 5, 1)[i],
            death_hazard=hazard,
            initial_backlog=backlog,
            initial_ages=tuple(range(backlog)),
        )
        for i, rate in enumerate(rates)
    )
    mix = (("oncology", 0.5), ("cardiology", 0.3), ("imaging", 0.2)) if mixed else ()
    s = scenario(
        classes=classes,
        capacity=capacity,
        trip_probability=p,
        facilities_per_day=facilities,
        policy=policy,
        specialty_mix=mix,
        days=25,
    )
    plan = make_plan(s)
    b = simulate_batch(plan, 0, 2)
    check_day_by_day(plan, b)
    # Conservation: everyone referred either travelled, died or left, or is still waiting, exactly once.
    assert np.all((b.served_day == -1) | (b.served_day >= np.maximum(b.referral_day, 0)))


def test_the_total_backlog_does_not_depend_on_the_policy() -> None:
    # With no facility limit and no deaths, who travels changes but how many cannot: on common random
    # numbers the four policies give the very same backlog path.
    backlogs = [
        simulate(scenario(policy=pol, replications=50, days=200)).backlog.mean
        for pol in ("fifo", "priority", "edf", "atc")
    ]
    for other in backlogs[1:]:
        np.testing.assert_array_equal(backlogs[0], other)


def test_priority_serves_the_emergencies_first() -> None:
    result = simulate(scenario(policy="priority", replications=100, days=365))
    p1, p2, p4 = (result.classes[n].mean_wait.value for n in ("P1", "P2", "P4"))
    assert p1 is not None and p2 is not None and p4 is not None
    assert p1 < p2 < p4
    fifo = simulate(scenario(policy="fifo", replications=100, days=365)).classes["P1"].mean_wait.value
    assert fifo is not None and p1 < fifo


WITH_BACKLOG = tuple(replace(c, initial_backlog=6, initial_ages=(0, 3, 3, 9, 40, 200)) for c in THREE)


@pytest.mark.parametrize("classes", [THREE, (default_class("P2", 3.1),), WITH_BACKLOG])
def test_the_fixed_order_shortcut_gives_exactly_what_the_general_path_gives(
    classes: tuple[PriorityClass, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    s = scenario(classes=classes, policy="priority", replications=40, days=200)
    fast = simulate(s).to_dict() | {"seconds": 0}
    monkeypatch.setattr(engine, "FAST_PATH", False)
    general = simulate(s).to_dict() | {"seconds": 0}
    assert fast == general


def test_results_do_not_depend_on_the_batch_size() -> None:
    s = scenario(replications=23, days=90)
    assert simulate(s, batch_size=5).to_dict() | {"seconds": 0} == simulate(s, batch_size=100).to_dict() | {
        "seconds": 0
    }


def test_the_same_seed_gives_the_same_result_and_another_seed_does_not() -> None:
    a = simulate(scenario(replications=20)).to_dict()
    b = simulate(scenario(replications=20)).to_dict()
    c = simulate(scenario(replications=20, seed=12)).to_dict()
    a["seconds"] = b["seconds"] = c["seconds"] = 0
    assert a == b
    assert a["classes"] != c["classes"]


def test_scenarios_share_referrals_and_cancellations() -> None:
    # Common random numbers: the same referrals whatever the capacity, and every trip that happens at
    # p = 0.8 also happens at p = 0.9.
    low = make_plan(scenario(capacity=4, trip_probability=0.8))
    high = make_plan(scenario(capacity=12, trip_probability=0.9))
    a, b = simulate_batch(low, 0, 5), simulate_batch(high, 0, 5)
    np.testing.assert_array_equal(a.referral_day, b.referral_day)
    np.testing.assert_array_equal(a.cell, b.cell)
    assert np.all(b.trips[a.trips])
    assert b.trips.sum() > a.trips.sum()


def test_an_old_routine_referral_goes_before_a_new_emergency_under_earliest_deadline() -> None:
    # A P4 referred 200 days ago was due 110 days ago; under EDF it travels first, under priority it waits.
    classes = (
        replace(default_class("P1", 0.0), initial_backlog=1),
        replace(default_class("P4", 0.0), initial_backlog=1, initial_ages=(199,)),
    )
    for policy, first in (("edf", "P4"), ("priority", "P1")):
        plan = make_plan(scenario(classes=classes, capacity=1, trip_probability=1.0, policy=policy, days=3))
        b = simulate_batch(plan, 0, 1)
        on_day_0 = b.cell[b.served_day == 0]
        assert [plan.scenario.ranked[int(plan.cell_class[c])].name for c in on_day_0] == [first]


def test_a_waiting_patient_from_the_ledger_queues_for_the_hospital_of_their_specialty() -> None:
    eyes = replace(
        default_class("P3", 1.0),
        specialty_mix=(("oncology", 1.0),),
        initial_backlog=2,
        initial_ages=(5, 40),
        initial_specialties=("ophthalmology", "oncology"),
    )
    plan = make_plan(scenario(classes=(eyes,), facilities=(("oncology", "H-01"), ("ophthalmology", "H-02"))))
    waiting = {plan.facilities[int(plan.cell_facility[c])]: np.flatnonzero(plan.initial[c]) for c in range(2)}
    # Column offset - 1 - age holds a patient of that age.
    assert waiting["H-02"].tolist() == [plan.offset - 1 - 5]
    assert waiting["H-01"].tolist() == [plan.offset - 1 - 40]


def test_an_initial_backlog_without_specialties_is_spread_by_the_mix_whatever_the_ages() -> None:
    cls = replace(
        default_class("P3", 1.0),
        initial_backlog=100,
        initial_ages=tuple(range(100)),
        specialty_mix=(("oncology", 0.75), ("imaging", 0.25)),
    )
    plan = make_plan(scenario(classes=(cls,)))
    per_cell = plan.initial.sum(axis=1)
    assert sorted(per_cell.tolist()) == [25, 75]
    # Old and recent referrals both reach both hospitals.
    assert all(
        row[: plan.offset // 2].sum() > 0 and row[plan.offset // 2 :].sum() > 0 for row in plan.initial
    )


def test_without_trips_the_waiting_list_settles_where_deaths_balance_referrals() -> None:
    # No trip ever happens, so a patient waits until dying or leaving: E[queue] = lambda / (h_d + h_l),
    # and a share h_d / (h_d + h_l) of departures are deaths.
    rate, die, leave = 2.0, 0.03, 0.02
    cls = PriorityClass("P", rate, 30, death_hazard=die, leave_hazard=leave)
    result = simulate(
        Scenario(
            classes=(cls,),
            capacity=4,
            trip_probability=0.0,
            days=400,
            warmup_days=300,
            replications=100,
            seed=3,
        )
    )
    queue = result.mean_waiting_after_trip
    assert queue.contains(rate / (die + leave)) or abs(queue.value - rate / (die + leave)) < 1.0  # type: ignore[operator]
    summary = result.classes["all"]
    assert summary.deaths is not None and summary.left is not None
    deaths, left = summary.deaths.value, summary.left.value
    assert deaths is not None and left is not None
    assert deaths / (deaths + left) == pytest.approx(die / (die + leave), abs=0.02)
    assert deaths == pytest.approx(400 * rate * die / (die + leave), rel=0.03)


def test_death_figures_appear_only_when_hazards_are_given() -> None:
    plain = simulate(scenario(replications=10)).to_dict()
    assert "deaths_while_waiting" not in plain["classes"]["all"]
    zero = tuple(replace(c, death_hazard=0.0) for c in THREE)
    given_zero = simulate(scenario(classes=zero, replications=10)).to_dict()
    assert given_zero["classes"]["all"]["deaths_while_waiting"] == 0


def test_a_trip_may_visit_more_hospitals_and_then_carries_more_patients() -> None:
    mix = (("oncology", 0.4), ("cardiology", 0.3), ("imaging", 0.3))
    waits = {
        f: simulate(scenario(specialty_mix=mix, facilities_per_day=f, replications=60, days=365, capacity=6))
        .classes["all"]
        .mean_wait.value
        for f in (1, 3)
    }
    assert waits[1] is not None and waits[3] is not None
    assert waits[3] < waits[1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"capacity": -1}, "capacity"),
        ({"trip_probability": 1.5}, "trip probability"),
        ({"facilities_per_day": 0}, "facilities per day"),
        ({"policy": "lottery"}, "unknown policy"),
        ({"days": 0}, "days"),
        ({"replications": 0}, "replications"),
        ({"classes": ()}, "arrival rate"),
        ({"classes": (PriorityClass("P1", -1.0, 1),)}, "arrival rate"),
        ({"classes": (PriorityClass("P1", 1.0, 1, death_hazard=0.7, leave_hazard=0.6),)}, "more than 1"),
        ({"classes": (PriorityClass("all", 1.0, 1),)}, "reserved"),
        ({"specialty_mix": (("oncolgy", 1.0),)}, "unknown specialty 'oncolgy'"),
        ({"facilities": (("eyes", "H-02"),)}, "unknown specialty 'eyes'"),
    ],
)
def test_an_impossible_scenario_is_refused_with_a_reason(change: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        make_plan(scenario(**change))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rate=st.floats(0.1, 4.0),
    capacity=st.integers(0, 6),
    p=st.floats(0.0, 1.0),
    policy=st.sampled_from(["fifo", "priority", "edf", "atc"]),
    hazard=st.one_of(st.none(), st.floats(0.0, 0.2)),
    facilities=st.integers(1, 3),
)
def test_every_referral_is_treated_dead_gone_or_still_waiting(
    rate: float, capacity: int, p: float, policy: str, hazard: float | None, facilities: int
) -> None:
    classes = tuple(replace(c, rate=rate * c.rate, death_hazard=hazard, leave_hazard=hazard) for c in THREE)
    mix = (("oncology", 0.5), ("cardiology", 0.3), ("imaging", 0.2))
    s = scenario(
        classes=classes,
        capacity=capacity,
        trip_probability=p,
        policy=policy,
        specialty_mix=mix,
        facilities_per_day=facilities,
        replications=7,
        days=40,
    )
    result = simulate(s)
    everyone = result.per_replication[:, -1, :]
    from corridor.simulation.results import DIED, LEFT, REFERRED, TREATED

    gone = everyone[:, DIED].mean() + everyone[:, LEFT].mean()
    accounted = everyone[:, TREATED].mean() + gone + result.backlog.mean[-1]
    if not hazard:
        assert everyone[:, REFERRED].mean() == pytest.approx(accounted)
    else:
        # The last day's queue is counted before that night's deaths, so those are counted twice.
        assert -1e-9 <= accounted - everyone[:, REFERRED].mean() <= gone + 1e-9
