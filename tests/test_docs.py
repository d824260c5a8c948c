"""The documentation cannot drift from the code: every event type, role, command and setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

from corridor.accounts.roles import Role
from corridor.cli import COMMANDS
from corridor.ledger.catalogue import EVENT_TYPES, Certainty, Source

ROOT = Path(__file__).resolve().parent.parent


def _read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def test_every_event_type_is_in_the_ledger_catalogue_and_nothing_else_is() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", _read("docs/ledger.md"), re.MULTILINE))
    assert documented == set(EVENT_TYPES)


def test_every_source_and_certainty_level_is_explained() -> None:
    text = _read("docs/ledger.md")
    for value in [*Source.values, *Certainty.values]:
        assert f"| `{value}` |" in text, value


def test_every_role_is_documented() -> None:
    text = _read("docs/roles.md")
    assert set(re.findall(r"^\| `([a-z]+)` \|", text, re.MULTILINE)) == {role.value for role in Role}


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
