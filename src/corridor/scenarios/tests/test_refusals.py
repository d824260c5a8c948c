"""The scenarios' refusals carry a code and their values, and are said in Persian and Arabic with local digits."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from corridor.errors import CorridorError, InvalidInput
from corridor.refusals import in_language
from corridor.scenarios import living, loader


def test_an_unknown_scenario_is_refused_with_its_code_and_the_built_in_ones_named() -> None:
    with pytest.raises(InvalidInput) as refused:
        loader.resolve("nowhere-camp")
    error = refused.value
    assert error.code == "scenario.unknown"
    assert str(error) == "no built-in scenario 'nowhere-camp' (known: demo-camp) and no such file"
    with translation.override("fa"):
        assert in_language(error) == (
            "سناریوی داخلی 'nowhere-camp' نیست (شناخته‌شده‌ها: demo-camp) و چنین پرونده‌ای هم نیست"
        )


@pytest.mark.django_db
def test_a_file_of_another_format_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "camp.json"
    path.write_text('{"format": "other/2"}', encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        loader.load(str(path))
    error = refused.value
    assert error.code == "scenario.unknown_format" and error.field == "format"
    assert str(error) == "format: camp.json: format must be corridor-scenario/1"
    with translation.override("ar"):
        assert in_language(error) == "الملف camp.json: يجب أن تكون الصيغة corridor-scenario/1"


@pytest.mark.parametrize(
    ("language", "said"),
    [("fa", "بین ۱ تا ۳۶۶ روز جلو ببرید"), ("ar", "تقدّم بين ١ و٣٦٦ يومًا")],
)
def test_advancing_the_living_camp_too_far_is_refused_with_local_digits(language: str, said: str) -> None:
    with pytest.raises(CorridorError) as refused:
        living.advance(400)
    assert refused.value.code == "living.bad_days" and str(refused.value) == "advance between 1 and 366 days"
    with translation.override(language):
        assert in_language(refused.value) == said
