"""Each code list is written once: a second copy anywhere in the source fails here.

The copy is found by reading every module's syntax tree: a literal tuple, list, set or dict (its keys)
holding two or more codes of one registered list is a copy of that list, unless it is the list's own
definition. The few literals that must stay are listed with why; an entry no longer needed fails too,
so the list can only shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

from corridor import vocabulary

SRC = Path(__file__).resolve().parents[1] / "src" / "corridor"

# (path under src/corridor, list name) -> why that literal may name the list's codes.
_DEMO = "synthetic demo data: codes as the values of a made-up camp, not words for a reader"
_PURE = "a pure core (no Django): it cannot import the models, and takes codes as plain data"
_SUBSET = "a subset with a meaning of its own (a filter or a rule), not the list"
ALLOWED: dict[tuple[str, str], str] = {
    ("commands.py", "role"): "read before Django is set up (the demo's logins), so it cannot import accounts.roles",
    ("intake/forms.py", "outcome"): _SUBSET,
    ("register/episodes.py", "patient_status"): _SUBSET,
    ("register/episodes.py", "referral_status"): _SUBSET,
    ("register/episodes.py", "outcome"): _SUBSET,
    ("reports/core.py", "age_group"): _PURE,
    ("reports/core.py", "trip_status"): _PURE,
    ("reports/obstruction.py", "obstruction_kind"): _SUBSET,
    ("reports/ssa.py", "attack_type"): _PURE,
    ("reports/ssa.py", "certainty"): "the WHO SSA's own spelling of certainty, which its import expects",
    ("scenarios/build_demo.py", "sex"): _DEMO,
    ("scenarios/build_demo.py", "specialty"): _DEMO,
    ("scenarios/build_demo.py", "supply_category"): _DEMO,
    ("scenarios/build_demo.py", "outcome"): _DEMO,
    ("scenarios/living.py", "specialty"): _DEMO,
    ("scenarios/living.py", "outcome"): _DEMO,
    ("simulation/model.py", "specialty"): _PURE,
    ("transfers/indicators.py", "companion_answer"): "the columns of the companions table, an answer each",
    ("transfers/plans.py", "trip_status"): "a day's state on the plan's strip (open, denied, cancelled): " + _SUBSET,
    ("transfers/plans.py", "patient_status"): _SUBSET,
}


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Dict):
        elements = [key for key in node.keys if key is not None]
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        elements = list(node.elts)
    else:
        return []
    return [e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _defining_files() -> dict[str, str]:
    """List name -> the file that defines it (a model's choices are defined where the class is)."""
    import inspect

    found = {}
    for name, choices in {**vocabulary.CODE_LISTS, **vocabulary.CODE_ONLY}.items():
        found[name] = Path(inspect.getfile(choices)).resolve().relative_to(SRC).as_posix()
    return found


def copies(tree: ast.AST, path: str, defining: dict[str, str]) -> list[tuple[str, str, int]]:
    """(path, list name, line) for each literal in ``tree`` holding two or more codes of one list."""
    lists = {name: set(vocabulary.codes(name)) for name in defining}
    found = []
    for node in ast.walk(tree):
        words = set(_strings(node))
        if len(words) < 2:
            continue
        for name, codes in lists.items():
            if len(words & codes) >= 2 and defining[name] != path:
                found.append((path, name, getattr(node, "lineno", 0)))
    return found


def _scan() -> list[tuple[str, str, int]]:
    defining = _defining_files()
    found = []
    for file in sorted(SRC.rglob("*.py")):
        relative = file.relative_to(SRC).as_posix()
        parts = relative.split("/")
        # Migrations freeze the choices as they were; tests write codes as the data they feed in.
        if "migrations" in parts or "tests" in parts or relative == "vocabulary.py":
            continue
        found += copies(ast.parse(file.read_text(encoding="utf-8")), relative, defining)
    return found


def test_no_code_list_is_written_twice():
    written = [(path, name, line) for path, name, line in _scan() if (path, name) not in ALLOWED]
    assert not written, "\n".join(
        f"{path}:{line} writes codes of {name!r}: read corridor.vocabulary instead" for path, name, line in written
    )


def test_every_allowed_copy_is_still_there():
    seen = {(path, name) for path, name, _line in _scan()}
    assert not set(ALLOWED) - seen, f"no longer needed, remove from ALLOWED: {sorted(set(ALLOWED) - seen)}"


def test_the_reports_code_lists_hold_exactly_the_codes_their_pure_cores_count():
    from corridor.reports import codes, core, obstruction, ssa

    assert vocabulary.codes("age_group") == core.AGE_GROUPS
    assert vocabulary.codes("obstruction_kind") == tuple(obstruction.KINDS)
    assert vocabulary.codes("attack_type") == tuple(ssa.ATTACK_TYPES)
    assert tuple(codes.Resource.values) == tuple(ssa.RESOURCES)
    chapters = [chapter for _first, _last, chapter in core._ICD10_CHAPTERS]
    assert vocabulary.codes("diagnosis_group") == (core.NOT_CODED, *chapters)


def test_a_planted_copy_of_a_list_is_caught():
    planted = ast.parse('WHO = {"authority": "the authority", "other": "someone else"}\n')
    assert copies(planted, "web/somewhere.py", _defining_files()) == [("web/somewhere.py", "cancelled_by", 1)]


def test_a_single_code_or_the_defining_module_is_not_a_copy():
    defining = _defining_files()
    assert copies(ast.parse('x = ("authority", "a word")\n'), "web/somewhere.py", defining) == []
    model = ast.parse('C = ("authority", "camp")\n')
    assert copies(model, defining["cancelled_by"], defining) == []


@pytest.mark.parametrize("name", sorted(vocabulary.CODE_LISTS))
@pytest.mark.parametrize("language", ["fa", "ar"])
def test_every_label_is_translated(name, language):
    untranslated = []
    for code in vocabulary.codes(name):
        english = vocabulary.label(name, code, "en")
        if vocabulary.label(name, code, language) == english:
            untranslated.append(f"{code}: {english}")
    assert not untranslated, f"{name} has no {language} label for {untranslated}"


def test_the_label_follows_the_active_language_unless_one_is_asked_for():
    with translation.override("fa"):
        assert vocabulary.label("cancelled_by", "other") == vocabulary.label("cancelled_by", "other", "fa")
        assert vocabulary.label("cancelled_by", "other", "en") == "someone else"
    assert vocabulary.label("cancelled_by", "not-a-code", "ar") == "not-a-code"
