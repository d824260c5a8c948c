"""Backups and keys refuse with a code and their values, said in Persian and Arabic with local digits."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from corridor.errors import Conflict, InvalidInput
from corridor.ops import backup
from corridor.refusals import in_language


def test_a_file_that_is_no_backup_is_refused_with_its_code_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        backup.kind_of(path)
    error = refused.value
    assert error.code == "backup.not_a_backup" and error.field == "file" and error.values["path"] == str(path)
    assert str(error) == f"file: {path} is not a Corridor backup (neither an SQLite file nor a pg_dump archive)"
    with translation.override("fa"):
        assert in_language(error) == f"{path} پشتیبان Corridor نیست (نه پروندهٔ SQLite است و نه بایگانی pg_dump)"


def test_restoring_over_a_ledger_is_refused_with_the_count_in_local_digits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "copy.sqlite3"
    path.write_bytes(backup.SQLITE_MAGIC + b"\0" * 84)
    monkeypatch.setattr(backup, "vendor", lambda: "sqlite")
    monkeypatch.setattr(backup, "current_entries", lambda: 1234)
    with pytest.raises(Conflict) as refused:
        backup.restore(path, replace=False)
    error = refused.value
    assert error.code == "backup.not_empty" and error.values == {"count": 1234}
    assert str(error).startswith("the database already holds 1234 ledger entries; pass --replace")
    with translation.override("ar"):
        assert in_language(error).startswith("في قاعدة البيانات من قبل ١٬٢٣٤ قيدًا في السجل؛ مرّر --replace")
    with translation.override("fa"):
        assert in_language(error).startswith("پایگاه داده از پیش ۱٬۲۳۴ مورد در دفتر ثبت دارد")
