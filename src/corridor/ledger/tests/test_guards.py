"""The ledger guards itself: a history rewritten behind the database's back (triggers dropped, bodies and
hashes recomputed) verifies as a chain, but contradicts the checkpoints signed before it, and
``corridor verify`` names an entry at or after the first rewritten one; missing triggers are reported."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db import connection

from corridor.cli import cli
from corridor.ledger import canonical, evidence, guards
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.ledger.tests.tampering import append_held as _append
from corridor.ledger.tests.tampering import drop_triggers as _drop_triggers
from corridor.ledger.tests.tampering import sql as _sql

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_data_dir")]


def rewrite_from(first: int) -> None:
    """What an attacker with the database does: drop the triggers, change entry ``first``, recompute the rest."""
    _drop_triggers()
    prev = canonical.GENESIS_HASH if first == 1 else Entry.objects.get(seq=first - 1).hash
    for seq, body in Entry.objects.filter(seq__gte=first).order_by("seq").values_list("seq", "body"):
        fields = json.loads(body)
        if seq == first:
            fields["payload"] = {**fields["payload"], "note": "rewritten"}
        fields["prev_hash"] = prev
        new_body = canonical.canonical_json(fields)
        prev = hashlib.sha256(new_body.encode("utf-8")).hexdigest()
        _sql("UPDATE ledger_entry SET body = %s, hash = %s WHERE seq = %s", [new_body, prev, seq])


@pytest.mark.parametrize(("signed", "first"), [(20, 7), (20, 8), (20, 1), (20, 20), (19, 11), (32, 17)])
def test_a_rewrite_from_entry_n_fails_verify_naming_an_entry_at_or_after_n(signed: int, first: int) -> None:
    _append(signed)
    evidence.sign_checkpoint()
    _append(5)
    assert ledger.verify().ok
    rewrite_from(first)
    assert canonical.verify_rows(ledger.iter_rows()).ok  # the chain alone cannot tell
    verdict = ledger.verify()
    assert not verdict.ok
    assert verdict.bad_seq is not None and first <= verdict.bad_seq <= signed
    assert "contradicts the checkpoint of" in str(verdict.problem)
    result = CliRunner().invoke(cli, ["verify"])
    assert result.exit_code == 1 and f"entry {verdict.bad_seq}: contradicts" in result.output


def test_with_the_stored_tree_intact_the_first_rewritten_pair_is_found() -> None:
    _append(20)
    evidence.sign_checkpoint()
    rewrite_from(7)  # entries 7 and 8 share a tree node; 8 is certainly rewritten
    assert ledger.verify().bad_seq == 8
    assert "this entry and every later one were rewritten (entry 7 may be too" in str(ledger.verify().problem)


def test_a_checkpoint_file_in_the_data_directory_catches_a_rewrite_that_also_removed_the_recorded_one(
    tmp_path: Path,
) -> None:
    _append(12)
    assert CliRunner().invoke(cli, ["checkpoint"]).exit_code == 0
    assert (tmp_path / "checkpoints" / "checkpoint-12.txt").exists()
    rewrite_from(5)
    _sql("DELETE FROM ledger_subject WHERE entry_id > 12")
    _sql("DELETE FROM ledger_entry WHERE seq > 12")  # the checkpoint.signed entry is gone from the database
    assert not Entry.objects.filter(type="checkpoint.signed").exists()
    verdict = ledger.verify()
    assert not verdict.ok and verdict.bad_seq is not None and verdict.bad_seq >= 5
    assert "checkpoint-12.txt" in str(verdict.problem)


def test_a_checkpoint_given_with_the_option_is_held_against_the_chain(tmp_path: Path) -> None:
    _append(6)
    _, note = evidence.sign_checkpoint()
    published = tmp_path / "published" / "cp.txt"
    published.parent.mkdir()
    published.write_text(note, encoding="utf-8")
    rewrite_from(3)
    _sql("DELETE FROM ledger_subject WHERE entry_id > 6")
    _sql("DELETE FROM ledger_entry WHERE seq > 6")
    assert ledger.verify().ok  # nothing left in the database or the data directory to contradict it
    result = CliRunner().invoke(cli, ["verify", "--checkpoint", str(published)])
    assert result.exit_code == 1 and "contradicts" in result.output and str(published) in result.output
    missing = CliRunner().invoke(cli, ["verify", "--checkpoint", str(tmp_path / "absent.txt")])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_entries_removed_after_a_checkpoint_are_reported_missing() -> None:
    _append(8)
    evidence.sign_checkpoint()
    (Path(evidence.signing_key_path()).parent / "checkpoints").mkdir(exist_ok=True)
    note = evidence.latest_checkpoint()
    assert note is not None
    (Path(evidence.signing_key_path()).parent / "checkpoints" / "checkpoint-8.txt").write_text(note)
    _drop_triggers()
    _sql("DELETE FROM ledger_subject WHERE entry_id > 5")
    _sql("DELETE FROM ledger_entry WHERE seq > 5")
    verdict = ledger.verify()
    assert not verdict.ok and verdict.bad_seq == 6 and "missing" in str(verdict.problem)


def test_a_checkpoint_file_not_signed_by_this_ledgers_key_is_refused(tmp_path: Path) -> None:
    _append(4)
    _, note = evidence.sign_checkpoint()
    forged = tmp_path / "checkpoints" / "checkpoint-4.txt"
    forged.parent.mkdir(exist_ok=True)
    forged.write_text(note.replace("\n4\n", "\n3\n"), encoding="utf-8")
    verdict = ledger.verify()
    assert not verdict.ok and "does not verify" in str(verdict.problem) and "checkpoint-4.txt" in str(verdict.problem)


def test_an_untouched_ledger_with_checkpoints_verifies(tmp_path: Path) -> None:
    _append(9)
    assert CliRunner().invoke(cli, ["checkpoint"]).exit_code == 0
    _append(3)
    assert CliRunner().invoke(cli, ["checkpoint"]).exit_code == 0
    assert ledger.verify().ok and ledger.verify(deep=True).ok
    result = CliRunner().invoke(cli, ["verify"])
    assert result.exit_code == 0 and result.output.startswith("ok: 14 entries"), result.output


def test_the_guards_the_migrations_create_are_all_present() -> None:
    assert guards.database_problems() == []


def test_verify_reports_a_dropped_trigger_even_when_the_chain_is_whole() -> None:
    _append(2)
    if connection.vendor == "sqlite":
        _sql("DROP TRIGGER ledger_entry_no_update")
        expected = "ledger_entry_no_update is missing"
    else:
        _sql("ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_append_only")
        expected = "ledger_entry_append_only is disabled"
    assert any(expected in problem for problem in guards.database_problems())
    result = CliRunner().invoke(cli, ["verify"])
    assert result.exit_code == 1 and f"UNGUARDED: the trigger {expected}" in result.output


def test_a_trigger_replaced_by_a_harmless_one_is_noticed() -> None:
    if connection.vendor == "sqlite":
        _sql("DROP TRIGGER ledger_entry_no_delete")
        _sql("CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry BEGIN SELECT 1; END")
    else:
        _sql(
            "CREATE OR REPLACE FUNCTION corridor_ledger_append_only() RETURNS trigger AS $$ "
            "BEGIN RETURN OLD; END $$ LANGUAGE plpgsql"
        )
    assert any("not the one the migrations create" in problem for problem in guards.database_problems())


def test_migrate_says_the_ledger_is_unguarded_rather_than_ready() -> None:
    assert CliRunner().invoke(cli, ["migrate"]).output.strip().endswith("database ready")
    _drop_triggers()
    result = CliRunner().invoke(cli, ["migrate"])
    assert result.exit_code == 2 and "UNGUARDED: the trigger ledger_entry_" in result.output
    assert "database ready" not in result.output


def test_a_ledger_table_without_its_constraints_or_generated_columns_is_not_guarded() -> None:
    import sqlite3

    from django.db import connection as django_connection

    if django_connection.vendor != "sqlite":
        pytest.skip("reads the SQLite schema")
    with django_connection.cursor() as cursor:
        cursor.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name LIKE 'ledger%' AND sql IS NOT NULL")
        schema = cursor.fetchall()
    db = sqlite3.connect(":memory:")
    for kind, name, sql in schema:
        if name == "ledger_entry":
            # A forger's table: prev_hash a plain column anyone can write, and no unique constraint on it.
            sql = sql.replace(
                '"prev_hash" varchar(64) GENERATED ALWAYS AS (json_extract("body", \'$.prev_hash\')) STORED',
                '"prev_hash" varchar(64)',
            ).replace(', CONSTRAINT "ledger_entry_prev_hash_unique" UNIQUE ("prev_hash")', "")
        if kind in ("table", "trigger"):
            db.execute(sql)
    problems = guards.guard_problems(guards.sqlite_query(db), "sqlite")
    assert "ledger_entry.prev_hash is not generated from the body" in problems
    assert "the unique constraint ledger_entry_prev_hash_unique on ledger_entry.prev_hash is missing" in problems
    assert len(problems) == 2


def test_on_postgresql_a_dropped_unique_constraint_is_not_guarded() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite cannot drop a constraint; the test above covers its schema")
    _sql("ALTER TABLE ledger_entry DROP CONSTRAINT ledger_entry_prev_hash_unique")
    assert guards.database_problems() == [
        "the unique constraint ledger_entry_prev_hash_unique on ledger_entry.prev_hash is missing"
    ]


def test_deep_verify_recomputes_each_checkpoints_merkle_root(tmp_path: Path) -> None:
    from corridor.ledger import checkpoints

    _append(6)
    _, note = evidence.sign_checkpoint()
    signed = checkpoints.parse(note)[0]
    # Signed with the ledger's key, naming the right head but another tree: the head check cannot tell.
    odd = checkpoints.Checkpoint(signed.origin, signed.size, b"\x07" * 32, signed.time, signed.head)
    folder = tmp_path / "checkpoints"
    folder.mkdir(exist_ok=True)
    (folder / "checkpoint-6.txt").write_text(checkpoints.sign(odd, evidence.signing_key()), encoding="utf-8")
    assert ledger.verify().ok
    verdict = ledger.verify(deep=True)
    assert not verdict.ok and verdict.bad_seq == 6 and "Merkle root of entries 1 to 6" in str(verdict.problem)
