"""The corridor command, driven in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridor.cli import COMMANDS, cli
from corridor.ledger import canonical
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_every_sub_command_has_help_from_its_docstring(runner: CliRunner) -> None:
    for name in COMMANDS:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert len(result.output.splitlines()) > 2, name


@pytest.mark.django_db
def test_verify_prints_the_count_and_head_then_exits_1_naming_a_bad_entry(runner: CliRunner) -> None:
    for i in range(3):
        ledger.append("incident.recorded", by="t", payload={"i": i})
    result = runner.invoke(cli, ["verify"])
    assert result.exit_code == 0
    assert result.output.strip() == f"ok: 3 entries, head {ledger.head()[1]}"
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER ledger_entry_no_update")
        else:
            cursor.execute("DROP TRIGGER ledger_entry_append_only ON ledger_entry")
        body = Entry.objects.get(seq=2).body.replace('"i":1', '"i":7')
        cursor.execute("UPDATE ledger_entry SET body = %s WHERE seq = 2", [body])
    result = runner.invoke(cli, ["verify"])
    assert result.exit_code == 1
    assert "entry 2" in result.output and "altered" in result.output


@pytest.mark.django_db
def test_the_ledger_export_lets_an_outsider_re_verify_the_chain(runner: CliRunner, tmp_path: Path) -> None:
    for i in range(5):
        ledger.append("incident.recorded", by="t", subjects=["site:S"], payload={"i": i, "note": "نقطة"})
    out = tmp_path / "ledger.jsonl"
    result = runner.invoke(cli, ["export", "ledger", "--format", "jsonl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    verdict = canonical.verify_records(records)
    assert verdict.ok and verdict.head_hash == Entry.objects.get(seq=5).hash
    records[2]["payload"]["i"] = 99
    assert canonical.verify_records(records).bad_seq == 3


@pytest.mark.django_db
def test_a_user_named_like_an_email_address_is_recorded_too(runner: CliRunner, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("a long enough passphrase\n")
    result = runner.invoke(
        cli, ["users", "add", "amina+gate@example.org", "--role", "monitor", "--password-file", str(secret)]
    )
    assert result.exit_code == 0, result.output
    assert Entry.objects.get(type="user.created").subjects == ["user:amina+gate@example.org"]


@pytest.mark.django_db
def test_users_add_creates_a_user_with_a_role_and_records_it(runner: CliRunner, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("a long enough passphrase\n")
    result = runner.invoke(cli, ["users", "add", "amina", "--role", "monitor", "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    from django.contrib.auth.models import User

    user = User.objects.get(username="amina")
    assert list(user.groups.values_list("name", flat=True)) == ["monitor"]
    assert user.check_password("a long enough passphrase")
    entry = Entry.objects.get(type="user.created")
    assert entry.payload == {"username": "amina", "role": "monitor", "roles": ["monitor"], "sites": []}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "arguments, message",
    [
        (["users", "add", "amina", "--role", "monitor", "--password-file", "/nonexistent/pw"], "cannot read"),
        (["users", "add", "bad name!", "--role", "monitor", "--password-file", "{pw}"], "username"),
        (["users", "add", "amina", "--role", "monitor", "--password-file", "{short}"], "password"),
        (["load-scenario", "no-such-scenario"], "no built-in scenario"),
        (["load-scenario", "{notjson}"], "not valid JSON"),
        (["load-scenario", "{deep}"], "more than 64 levels deep"),
        (["load-scenario", "{binary}"], "not valid JSON"),
    ],
)
def test_a_users_mistake_is_one_line_and_exit_code_2(
    runner: CliRunner, tmp_path: Path, arguments: list[str], message: str
) -> None:
    (tmp_path / "pw").write_text("a long enough passphrase")
    (tmp_path / "short").write_text("abc")
    (tmp_path / "notjson").write_text("{")
    (tmp_path / "deep").write_text('{"format": ' + "[" * 200_000 + "]" * 200_000 + "}")
    (tmp_path / "binary").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe" * 100)
    files = {name: tmp_path / name for name in ("pw", "short", "notjson", "deep", "binary")}
    args = [a.format(**files) for a in arguments]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("corridor: error:") and message in lines[0], result.output
    assert "Traceback" not in result.output


def test_an_unknown_command_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["teleport"])
    assert result.exit_code == 2 and "No such command" in result.output
