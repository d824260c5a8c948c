"""Every refusal a service raises carries a code, so each edge can word it in its reader's language."""

from __future__ import annotations

import ast
from pathlib import Path

from corridor import errors

SOURCE = Path(errors.__file__).resolve().parent
REFUSALS = {
    name
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, errors.CorridorError | errors.CoreRefusal)
}


def uncoded(tree: ast.AST) -> list[int]:
    """The lines where a refusal is raised without ``code=``."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            called = node.exc.func
            name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", None)
            if name in REFUSALS and not any(keyword.arg == "code" for keyword in node.exc.keywords):
                lines.append(node.lineno)
    return lines


def test_every_refusal_raised_outside_the_tests_gives_its_code() -> None:
    found = [
        f"{path.relative_to(SOURCE)}:{line}"
        for path in sorted(SOURCE.rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
        for line in uncoded(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == []


def test_the_check_finds_a_refusal_raised_without_a_code() -> None:
    planted = ast.parse(
        "def f(x):\n"
        "    if x:\n"
        "        raise InvalidInput('no code', 'field')\n"
        "    raise errors.NotFound('coded', code='thing.missing')\n"
    )
    assert uncoded(planted) == [3]
