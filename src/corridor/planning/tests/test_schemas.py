"""The JSON Schemas in docs/ describe the files the planner reads and writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corridor.planning.baselines import atc
from corridor.planning.generate import generate_dict
from corridor.planning.model import load_instance, plan_to_dict

SCHEMAS = Path(__file__).resolve().parents[4] / "docs" / "schemas"
jsonschema_rs = pytest.importorskip("jsonschema_rs")


def validator(name: str) -> object:
    return jsonschema_rs.validator_for(json.loads((SCHEMAS / name).read_text()))


def test_generated_instances_and_their_plans_match_the_schemas() -> None:
    data = generate_dict(20, horizon=6, seed=1, fixed=3, closed_days=1, closed_weekdays=2)
    validator("planning-instance.schema.json").validate(data)  # type: ignore[attr-defined]
    validator("plan.schema.json").validate(plan_to_dict(atc(load_instance(data))))  # type: ignore[attr-defined]


def test_the_schema_rejects_what_the_loader_rejects() -> None:
    data = generate_dict(5, horizon=6, seed=1)
    data["patients"][0]["weight"] = 0
    assert not validator("planning-instance.schema.json").is_valid(data)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=r"patients\[0\]\.weight"):
        load_instance(data)
