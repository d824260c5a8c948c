"""The documentation cannot drift from the code: every event type, role, command and setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

from corridor import docgen
from corridor.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent


def _read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def test_every_part_of_the_docs_that_copies_the_code_is_written_from_it() -> None:
    # The event catalogue, sources, certainty, roles, capabilities, indicators, obstruction kinds and
    # every command's help: regenerate with `python -m corridor.docgen` after changing the code.
    assert docgen.stale() == []


def test_a_hand_edit_inside_a_generated_part_is_found(tmp_path: Path) -> None:
    for file in {file for file, _ in docgen.PARTS}:
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text(_read(file), encoding="utf-8")
    ledger_md = tmp_path / "docs" / "ledger.md"
    ledger_md.write_text(ledger_md.read_text(encoding="utf-8").replace("| `probable` |", "| `likely` |"))
    assert docgen.stale(tmp_path) == ["docs/ledger.md: certainty"]
    docgen.write(tmp_path)
    assert docgen.stale(tmp_path) == []


def test_every_cli_command_has_a_section() -> None:
    documented = set(re.findall(r"^## `corridor ([a-z-]+)`", _read("docs/cli.md"), re.MULTILINE))
    assert documented == set(COMMANDS)


def test_every_setting_read_from_the_environment_is_in_the_readme() -> None:
    used = set()
    for path in (ROOT / "src").rglob("*.py"):
        used |= set(re.findall(r"\"(CORRIDOR_[A-Z_]+?)(?:_FILE)?\"", path.read_text(encoding="utf-8")))
    used |= set(re.findall(r"(CORRIDOR_[A-Z_]+)", _read("run.py")))
    readme = _read("README.md")
    missing = sorted(name for name in used if f"`{name}`" not in readme)
    assert not missing, missing


def test_the_readme_gives_exactly_two_set_up_commands_and_ci_runs_the_test_one() -> None:
    blocks = re.findall(r"```\n(.*?)\n```", _read("README.md"), re.DOTALL)
    assert blocks[:2] == ["python3 run.py demo", "python3 run.py test"]
    assert "python3 run.py test" in _read(".ci/run")
