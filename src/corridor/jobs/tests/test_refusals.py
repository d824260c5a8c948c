"""The jobs' refusals carry a code and their values, and are said in Persian and Arabic with local digits."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from corridor.errors import InvalidInput
from corridor.jobs import kinds, services
from corridor.refusals import in_language

pytestmark = pytest.mark.django_db


def _no_progress(fraction: float, text: str, data: dict[str, Any] | None = None, **values: Any) -> None:
    pass


def test_an_unknown_kind_of_job_is_refused_with_its_code_and_the_known_kinds_joined_the_readers_way(
    users: dict[str, Any],
) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.submit("nonsense", by=users["coordinator"])
    error = refused.value
    assert error.code == "job.unknown_kind" and error.field == "kind"
    assert str(error).startswith("kind: no job kind 'nonsense'; known: checkpoint, export, ")
    with translation.override("fa"):
        persian = in_language(error)
    assert persian.startswith("کاری از نوع 'nonsense' نیست؛ شناخته‌شده‌ها: checkpoint، export، ")
    with translation.override("ar"):
        assert in_language(error).startswith("لا نوع مهمة باسم 'nonsense'؛ المعروفة: checkpoint، export، ")


def test_a_simulation_of_a_scenario_not_shipped_is_refused_in_arabic(users: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as refused:
        kinds.simulation({"scenario": "elsewhere"}, users["monitor"], _no_progress)
    error = refused.value
    assert error.code == "job.unknown_scenario" and error.values["scenario"] == "elsewhere"
    assert str(error).startswith("scenario: no shipped scenario 'elsewhere' (shipped scenarios: ")
    with translation.override("ar"):
        assert in_language(error).startswith("لا سيناريو مرفقًا باسم 'elsewhere' (السيناريوهات المرفقة: ")
