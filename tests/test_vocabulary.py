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
ALLOWED: dict[tuple[str, str], str] = {}


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
                found.append((path, name, node.lineno))
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
