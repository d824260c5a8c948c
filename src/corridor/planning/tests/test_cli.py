"""``corridor plan``: solve, check, bound, and how user mistakes are reported."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from corridor.cli import cli
from corridor.planning.generate import generate_dict


def write_instance(tmp_path: Path) -> Path:
    path = tmp_path / "instance.json"
    path.write_text(
        json.dumps(generate_dict(30, horizon=8, facilities=3, seed=2, due_window=(0, 4), fixed=2))
    )
    return path


def test_a_solved_plan_passes_check_with_the_same_objective(tmp_path: Path) -> None:
    inst = write_instance(tmp_path)
    out = tmp_path / "plan.json"
    runner = CliRunner()
    solved = runner.invoke(
        cli,
        ["plan", "solve", str(inst), "--time-limit", "0.5", "--workers", "1", "--out", str(out), "--quiet"],
    )
    assert solved.exit_code == 0, solved.output
    assert "objective" in solved.output and "lower bound" in solved.output and "gap" in solved.output
    stated = json.loads(out.read_text())["objective"]
    checked = runner.invoke(cli, ["plan", "check", str(inst), str(out)])
    assert checked.exit_code == 0
    assert checked.output.strip() == f"ok: objective {stated}"


def test_check_exits_1_naming_the_first_violation(tmp_path: Path) -> None:
    inst = write_instance(tmp_path)
    data = json.loads(inst.read_text())
    pid = data["patients"][0]["id"]
    bad = {
        "format": "corridor-plan/1",
        "trips": [{"day": 99, "facility": "H1", "patients": [pid]}],
        "objective": None,
        "lower_bound": None,
    }
    plan = tmp_path / "bad.json"
    plan.write_text(json.dumps(bad))
    result = CliRunner().invoke(cli, ["plan", "check", str(inst), str(plan)])
    assert result.exit_code == 1
    assert "trips[0].day" in result.output


def test_a_malformed_instance_is_one_line_naming_the_field_with_exit_code_2(tmp_path: Path) -> None:
    inst = write_instance(tmp_path)
    data = json.loads(inst.read_text())
    data["patients"][3]["due"] = "tomorrow"
    inst.write_text(json.dumps(data))
    result = CliRunner().invoke(cli, ["plan", "solve", str(inst)])
    assert result.exit_code == 2
    assert "patients[3].due: must be a whole number" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_bound_prints_a_lower_bound_no_plan_can_beat(tmp_path: Path) -> None:
    inst = write_instance(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["plan", "bound", str(inst), "--time-limit", "20"])
    assert result.exit_code == 0
    bound = float(result.output.split()[2])
    out = tmp_path / "plan.json"
    runner.invoke(
        cli,
        ["plan", "solve", str(inst), "--time-limit", "0.5", "--workers", "1", "--out", str(out), "--quiet"],
    )
    assert bound <= json.loads(out.read_text())["objective"]


def test_baseline_methods_are_available_from_solve(tmp_path: Path) -> None:
    inst = write_instance(tmp_path)
    for method in ("fifo", "atc"):
        result = CliRunner().invoke(cli, ["plan", "solve", str(inst), "--method", method, "--quiet"])
        assert result.exit_code == 0 and "objective" in result.output


def test_a_reproducible_solve_writes_the_same_plan_twice(tmp_path: Path) -> None:
    inst = write_instance(tmp_path)
    outputs = []
    for name in ("first.json", "second.json"):
        out = tmp_path / name
        solved = CliRunner().invoke(
            cli, ["plan", "solve", str(inst), "--reproducible", "--seed", "4", "--out", str(out), "--quiet"]
        )
        assert solved.exit_code == 0, solved.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
