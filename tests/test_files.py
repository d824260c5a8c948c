"""Files written whole or not at all."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from corridor.files import atomic_open, atomic_path, write_atomically


def _half_through_a_handle(target: Path) -> None:
    with atomic_open(target) as handle:
        handle.write("the first half of the new export")
        raise RuntimeError("the disk filled up")


def _half_through_a_file_name(target: Path) -> None:
    with atomic_path(target) as partial:
        partial.write_text("half a database")
        raise RuntimeError("pg_dump was killed")


@pytest.mark.parametrize("write_half", [_half_through_a_handle, _half_through_a_file_name])
def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_partial_file(
    tmp_path: Path, write_half: Callable[[Path], None]
) -> None:
    target = tmp_path / "export.jsonl"
    target.write_text("the old export\n")
    with pytest.raises(RuntimeError):
        write_half(target)
    assert target.read_text() == "the old export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["export.jsonl"]


def test_a_key_file_is_never_readable_by_others_even_while_it_is_written(tmp_path: Path) -> None:
    target = tmp_path / "keys" / "identity.keys"
    with atomic_open(target, permissions=0o600, durable=True) as handle:
        partial = target.with_name(target.name + ".partial")
        assert stat.S_IMODE(partial.stat().st_mode) & 0o077 == 0
        handle.write("k1\n")
    assert target.read_text() == "k1\n" and stat.S_IMODE(target.stat().st_mode) & 0o077 == 0


def test_bytes_and_text_both_take_the_target_s_name_only_when_complete(tmp_path: Path) -> None:
    write_atomically(tmp_path / "tile", b"\x00\x01")
    write_atomically(tmp_path / "note.txt", "سلام\n")
    assert (tmp_path / "tile").read_bytes() == b"\x00\x01"
    assert (tmp_path / "note.txt").read_text(encoding="utf-8") == "سلام\n"


def test_a_writer_given_a_file_name_writes_an_owner_only_partial_file_that_takes_the_name_only_when_done(
    tmp_path: Path,
) -> None:
    target = tmp_path / "corridor.backup"
    (tmp_path / "corridor.backup.partial").write_text("what a killed backup left")
    with atomic_path(target, permissions=0o600, durable=True) as partial:
        assert partial.read_text() == "" and stat.S_IMODE(partial.stat().st_mode) & 0o077 == 0
        assert not target.exists()
        partial.write_text("the whole database")
    assert target.read_text() == "the whole database"
    assert [p.name for p in tmp_path.iterdir()] == ["corridor.backup"]
