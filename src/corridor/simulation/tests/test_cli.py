"""``corridor simulate`` through click's in-process runner, and scenario files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from corridor.simulation import scenario_files
from corridor.simulation.cli import simulate
from corridor.simulation.model import ScenarioError

SMALL = ["--replications", "30", "--days", "120"]


def run(*args: str) -> Result:
    return CliRunner().invoke(simulate, list(args), catch_exceptions=False)


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_json_output_has_the_documented_keys_per_class_and_for_all() -> None:
    data = run_json(
        "--arrival-rate",
        "P1=0.3",
        "--arrival-rate",
        "P3=2",
        "--capacity",
        "4",
        "--trip-probability",
        "0.8",
        *SMALL,
    )
    assert set(data["classes"]) == {"P1", "P3", "all"}
    for summary in data["classes"].values():
        low, high = summary["mean_wait_ci95"]
        assert low <= summary["mean_wait_days"] <= high
        assert set(summary["p_wait_over_days"]) == {"7", "30", "90"}
        assert all(0 <= p <= 1 for p in summary["p_wait_over_days"].values())
    assert data["mean_waiting_after_trip"] >= 0
    assert len(data["mean_waiting_after_trip_ci95"]) == 2
    assert len(data["backlog"]["mean"]) == 120
    assert "day t's trip" in data["timing"]
    assert data["scenario"]["capacity"] == 4 and data["scenario"]["trip_probability"] == 0.8


def test_every_parameter_has_a_flag_that_reaches_the_scenario() -> None:
    data = run_json(
        "--arrival-rate",
        "2.5",
        "--capacity",
        "6",
        "--trip-probability",
        "0.7",
        "--facilities-per-day",
        "2",
        "--policy",
        "edf",
        "--days",
        "50",
        "--warmup-days",
        "10",
        "--replications",
        "12",
        "--seed",
        "99",
        "--initial-backlog",
        "7",
        "--deadline",
        "21",
        "--atc-k",
        "3",
    )
    s = data["scenario"]
    assert (s["capacity"], s["trip_probability"], s["facilities_per_day"], s["policy"]) == (6, 0.7, 2, "edf")
    assert (s["days"], s["warmup_days"], s["replications"], s["seed"], s["atc_k"]) == (50, 10, 12, 99, 3.0)
    assert s["classes"] == [
        {
            "name": "P",
            "rate": 2.5,
            "deadline_days": 21,
            "weight": 1.0,
            "death_hazard": None,
            "leave_hazard": None,
            "initial_backlog": 7,
        }
    ]
    assert data["backlog"]["mean"][0] >= 7 - 6  # the initial backlog was there on day 0


def test_more_capacity_means_shorter_waits() -> None:
    few = run_json("--arrival-rate", "3", "--capacity", "4", "--trip-probability", "0.8", *SMALL)
    many = run_json("--arrival-rate", "3", "--capacity", "12", "--trip-probability", "1", *SMALL)
    assert many["classes"]["all"]["mean_wait_days"] < few["classes"]["all"]["mean_wait_days"]


def test_death_figures_appear_only_with_hazards() -> None:
    without = run_json("--arrival-rate", "3", *SMALL)
    assert "deaths_while_waiting" not in without["classes"]["all"]
    with_ = run_json("--arrival-rate", "3", "--trip-probability", "0.5", "--death-hazard", "0.01", *SMALL)
    assert with_["classes"]["all"]["deaths_while_waiting"] > 0
    text = run("--arrival-rate", "3", "--death-hazard", "0.01", *SMALL).output
    assert "deaths while waiting" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --arrival-rate"),
        (["--arrival-rate", "abc"], "not a number"),
        (["--arrival-rate", "-1"], "arrival rate must be"),
        (["--arrival-rate", "3", "--trip-probability", "1.2"], "trip probability"),
        (["--arrival-rate", "3", "--capacity", "-2"], "capacity"),
        (["--arrival-rate", "P1=1", "--arrival-rate", "2"], "give one bare value"),
        (["--arrival-rate", "P1=1", "--deadline", "P7=3"], "no class 'P7'"),
        (["--arrival-rate", "3", "--since", "2014-01-01"], "--from-record"),
        (["no-such-scenario"], "no scenario file"),
        (["demo-gate-4-80", "demo-gate-12-100"], "--compare"),
        (["--compare", "demo-gate-4-80"], "at least two"),
        (["--arrival-rate", "3", "--chart", "out.pdf"], ".png or .svg"),
        (["--arrival-rate", "3", "--capacity", "four"], "'four' is not a valid integer"),
        (["--arrival-rate", "3", "--policy", "lottery"], "'lottery' is not one of"),
        (["--arrival-rate", "3", "--no-such-flag"], "No such option"),
    ],
)
def test_a_user_mistake_is_one_line_and_exit_code_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(simulate, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_compare_runs_scenarios_on_common_random_numbers(tmp_path: Path) -> None:
    chart = tmp_path / "compare.png"
    data = run_json(
        "--compare",
        "demo-gate-4-80",
        "demo-gate-12-100",
        "--replications",
        "40",
        "--days",
        "150",
        "--chart",
        str(chart),
    )
    first, second = data["scenarios"]
    assert (first["scenario"]["capacity"], second["scenario"]["capacity"]) == (4, 12)
    assert first["scenario"]["seed"] == second["scenario"]["seed"]
    # Same referrals in both: the same number referred per replication, class by class.
    for name in ("P1", "P2", "P3", "P4"):
        assert (
            first["classes"][name]["referred_per_replication"]
            == second["classes"][name]["referred_per_replication"]
        )
    diff = data["differences"][0]
    low, high = diff["mean_wait_ci95"]["all"]
    assert high < 0, "12 a day with no cancellations must shorten the mean wait"
    paired_width = high - low
    independent = first["classes"]["all"]["mean_wait_ci95"]
    assert paired_width < independent[1] - independent[0], "pairing should narrow the interval"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_text_output_states_the_timing_convention_and_the_table(tmp_path: Path) -> None:
    chart = tmp_path / "one.svg"
    result = run("--arrival-rate", "P2=1", "--arrival-rate", "P4=1.5", "--chart", str(chart), *SMALL)
    assert result.exit_code == 0
    assert "patients referred during day t may travel on day t's trip" in result.output
    assert "P(W>deadline)" in result.output and "mean wait" in result.output
    assert chart.read_text().lstrip().startswith("<?xml")


def test_the_shipped_scenarios_load_and_list() -> None:
    shipped = scenario_files.shipped()
    assert {"demo-gate-4-80", "demo-gate-12-100"} <= set(shipped)
    gate = scenario_files.load("demo-gate-4-80")
    relaxed = scenario_files.load("demo-gate-12-100")
    assert (gate.capacity, gate.trip_probability, relaxed.capacity, relaxed.trip_probability) == (
        4,
        0.8,
        12,
        1.0,
    )
    assert gate.classes == relaxed.classes and gate.facilities == relaxed.facilities
    assert 2 <= gate.total_rate <= 3
    listing = run("--list").output
    assert "demo-gate-4-80: 4 a day" in listing


def test_a_yaml_scenario_file_works_like_toml(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: yaml-one\ncapacity: 5\nclasses:\n  P2: {rate: 1.5}\n  X: {rate: 0.5, deadline_days: 3}\n"
    )
    s = scenario_files.load(str(path))
    assert s.capacity == 5 and [c.name for c in s.ranked] == ["X", "P2"]
    assert s.ranked[1].deadline_days == 14


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("capacty = 4\n[classes.P1]\nrate = 1\n", "unknown setting 'capacty'"),
        ("capacity = 4\n", "at least one class"),
        ("[classes.P1]\nrat = 1\n", "unknown setting 'rat'"),
        ("[classes.Q]\nrate = 1\n", "deadline_days"),
        ("capacity = 'four'\n[classes.P1]\nrate = 1\n", "must be a number"),
        ("capacity = 4.5\n[classes.P1]\nrate = 1\n", "whole number"),
        ("[classes.P1\nrate = 1\n", "cannot be read"),
        ("policy = 'random'\n[classes.P1]\nrate = 1\n", "unknown policy"),
    ],
)
def test_a_bad_scenario_file_says_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=message):
        scenario_files.load(str(path))
    result = CliRunner().invoke(simulate, [str(path)])
    assert result.exit_code == 2 and message in result.stderr


def test_flags_override_a_scenario_file() -> None:
    data = run_json("demo-gate-4-80", "--capacity", "6", "--arrival-rate", "P1=0.5", *SMALL)
    assert data["scenario"]["capacity"] == 6
    rates = {c["name"]: c["rate"] for c in data["scenario"]["classes"]}
    assert rates["P1"] == 0.5 and rates["P2"] == 0.55


def test_compare_with_hazards_reports_the_paired_difference_in_deaths() -> None:
    data = run_json("--compare", "demo-gate-4-80", "demo-gate-12-100", "--death-hazard", "0.01", *SMALL)
    diff = data["differences"][0]
    low, high = diff["deaths_while_waiting_ci95"]
    assert low <= diff["deaths_while_waiting"] <= high < 0, "shorter waits leave less time to die waiting"
    plain = run_json("--compare", "demo-gate-4-80", "demo-gate-12-100", *SMALL)
    assert "deaths_while_waiting" not in plain["differences"][0]
