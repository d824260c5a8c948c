"""Scenario files: TOML (or YAML) descriptions of a what-if, and the ones shipped with Corridor.

A file looks like this (every key but the classes is optional; see docs/simulation.md)::

    name = "gate-today"
    description = "4 patients a day to one hospital, 80 % of trips happen"
    policy = "priority"          # fifo | priority | edf | atc
    capacity = 4                 # K, patients a day
    trip_probability = 0.8       # p
    facilities_per_day = 1       # F
    days = 365
    warmup_days = 0
    replications = 1000
    seed = 2024

    [classes.P1]                 # deadline and weight default to the register's table
    rate = 0.12                  # referrals a day
    death_hazard = 0.01          # optional, daily
    initial_backlog = 2

    [specialty_mix]              # shares, for every class without its own
    oncology = 0.15

    [facilities]                 # which hospital serves each specialty
    oncology = "H-01"
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from corridor.simulation.model import DEFAULT_CLASSES, PriorityClass, Scenario, ScenarioError, default_class

SCENARIO_KEYS = {
    "name",
    "description",
    "policy",
    "capacity",
    "trip_probability",
    "facilities_per_day",
    "days",
    "warmup_days",
    "replications",
    "seed",
    "atc_k",
    "classes",
    "specialty_mix",
    "facilities",
}
CLASS_KEYS = {
    "rate",
    "deadline_days",
    "weight",
    "death_hazard",
    "leave_hazard",
    "initial_backlog",
    "specialty_mix",
}
_NUMBERS = {
    "capacity": int,
    "trip_probability": float,
    "facilities_per_day": int,
    "days": int,
    "warmup_days": int,
    "replications": int,
    "seed": int,
    "atc_k": float,
}


def shipped() -> dict[str, Path]:
    """The example scenarios that ship with Corridor, by name (file name without extension)."""
    folder = resources.files("corridor.simulation.scenarios")
    return {
        Path(item.name).stem: Path(str(item))
        for item in folder.iterdir()
        if item.name.endswith((".toml", ".yaml", ".yml"))
    }


def load(name_or_path: str) -> Scenario:
    """A scenario from a file path, or the name of a shipped scenario. Raises ScenarioError."""
    path = Path(name_or_path)
    if not path.exists():
        found = shipped().get(name_or_path)
        if found is None:
            names = ", ".join(sorted(shipped()))
            raise ScenarioError(f"no scenario file {name_or_path!r} (shipped scenarios: {names})")
        path = found
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix in (".yaml", ".yml"):
            try:
                import yaml  # only YAML files need it, and it is not a runtime dependency
            except ImportError:
                raise ScenarioError(
                    f"{path.name}: reading YAML needs PyYAML; write the scenario in TOML"
                ) from None
            data = yaml.safe_load(text)
        else:
            data = tomllib.loads(text)
    except ScenarioError:
        raise
    except Exception as exc:  # the parsers' own errors name the line
        raise ScenarioError(f"{path.name}: cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path.name}: expected a table of settings at the top level")
    return from_mapping(data, source=path.name, default_name=path.stem)


def _number(value: Any, kind: type, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{where} must be a number, got {value!r}")
    if kind is int and float(value) != int(value):
        raise ScenarioError(f"{where} must be a whole number, got {value!r}")
    return kind(value)


def _mix(value: Any, where: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where} must be a table of specialty = share")
    return tuple((str(k), _number(v, float, f"{where}.{k}")) for k, v in value.items())


def from_mapping(data: dict[str, Any], *, source: str = "", default_name: str = "scenario") -> Scenario:
    """Build and validate a scenario from parsed TOML/YAML; unknown keys are refused, to catch typos."""
    prefix = f"{source}: " if source else ""
    unknown = set(data) - SCENARIO_KEYS
    if unknown:
        raise ScenarioError(
            f"{prefix}unknown setting {sorted(unknown)[0]!r} (known: {', '.join(sorted(SCENARIO_KEYS))})"
        )
    raw_classes = data.get("classes")
    if not isinstance(raw_classes, dict) or not raw_classes:
        raise ScenarioError(f"{prefix}give at least one class, e.g. [classes.P2] with rate = 1.0")
    classes = []
    for name, spec in raw_classes.items():
        if not isinstance(spec, dict):
            raise ScenarioError(f"{prefix}classes.{name} must be a table")
        bad = set(spec) - CLASS_KEYS
        if bad:
            raise ScenarioError(f"{prefix}classes.{name}: unknown setting {sorted(bad)[0]!r}")
        if "rate" not in spec:
            raise ScenarioError(f"{prefix}classes.{name} needs a rate (referrals a day)")
        where = f"{prefix}classes.{name}"
        base = default_class(str(name), _number(spec["rate"], float, f"{where}.rate"))
        if "deadline_days" not in spec and name not in DEFAULT_CLASSES:
            raise ScenarioError(
                f"{where} needs deadline_days (only {', '.join(DEFAULT_CLASSES)} have defaults)"
            )
        classes.append(
            PriorityClass(
                name=str(name),
                rate=base.rate,
                deadline_days=_number(
                    spec.get("deadline_days", base.deadline_days), int, f"{where}.deadline_days"
                ),
                weight=_number(spec.get("weight", base.weight), float, f"{where}.weight"),
                death_hazard=None
                if spec.get("death_hazard") is None
                else _number(spec["death_hazard"], float, f"{where}.death_hazard"),
                leave_hazard=None
                if spec.get("leave_hazard") is None
                else _number(spec["leave_hazard"], float, f"{where}.leave_hazard"),
                initial_backlog=_number(spec.get("initial_backlog", 0), int, f"{where}.initial_backlog"),
                specialty_mix=_mix(spec["specialty_mix"], f"{where}.specialty_mix")
                if "specialty_mix" in spec
                else (),
            )
        )
    settings: dict[str, Any] = {}
    for key, kind in _NUMBERS.items():
        if key in data:
            settings[key] = _number(data[key], kind, f"{prefix}{key}")
    facilities = data.get("facilities", {})
    if not isinstance(facilities, dict):
        raise ScenarioError(f'{prefix}facilities must be a table of specialty = "hospital"')
    scenario = Scenario(
        classes=tuple(classes),
        policy=str(data.get("policy", "priority")),  # type: ignore[arg-type]
        name=str(data.get("name", default_name)),
        description=str(data.get("description", "")),
        specialty_mix=_mix(data["specialty_mix"], f"{prefix}specialty_mix")
        if "specialty_mix" in data
        else (),
        facilities=tuple((str(k), str(v)) for k, v in facilities.items()),
        source=source,
        stated=frozenset(data),
        **settings,
    )
    try:
        return scenario.validate()
    except ScenarioError as exc:
        raise ScenarioError(f"{prefix}{exc}") from None
