"""docs/simulation.md cannot drift from the command and the scenario format."""

from __future__ import annotations

from pathlib import Path

from corridor.simulation.cli import simulate
from corridor.simulation.model import POLICIES
from corridor.simulation.scenario_files import CLASS_KEYS, SCENARIO_KEYS, shipped

DOC = Path(__file__).resolve().parents[4] / "docs" / "simulation.md"


def test_every_flag_of_corridor_simulate_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    flags = [opt for param in simulate.params for opt in getattr(param, "opts", []) if opt.startswith("--")]
    assert flags, "the command has flags"
    missing = [flag for flag in flags if f"| `{flag}` |" not in text]
    assert not missing, missing


def test_every_policy_scenario_key_and_shipped_scenario_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert all(f"| `{policy}` |" in text for policy in POLICIES)
    assert all(f"{key} =" in text or f"[{key}]" in text or f"[{key}." in text for key in SCENARIO_KEYS)
    assert all(f"{key} =" in text for key in CLASS_KEYS)
    assert all(f"`{name}`" in text for name in shipped())
