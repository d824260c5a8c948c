"""Checkpoints, proofs and evidence bundles from the database, and the CLI that makes them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import DatabaseError, transaction

from corridor.cli import cli
from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.ledger import canonical, checkpoints, evidence, merkle
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry, TreeNode
from corridor.ledger.tests.ledgers import load_verifier
from corridor.ledger.tests.tampering import append_held as _append
from corridor.ledger.tests.tampering import drop_triggers as _drop_triggers
from corridor.ledger.tests.tampering import sql as _sql

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_data_dir")]
verifier = load_verifier()


def _memory_tree() -> merkle.MemoryTree:
    bodies = Entry.objects.order_by("seq").values_list("body", flat=True)
    return merkle.MemoryTree(merkle.leaf_hash(body.encode()) for body in bodies)


def test_checkpoints_signed_as_the_ledger_grows_store_exactly_the_tree_rebuilt_from_scratch() -> None:
    for batch in (1, 4, 0, 9, 2, 17):
        _append(batch)
        entry, note = evidence.sign_checkpoint()
        size = entry.seq - 1
        assert entry.type == "checkpoint.signed" and entry.payload["note"] == note
        tree = _memory_tree()
        parsed = checkpoints.verify(note, evidence.verifier_key())
        assert (parsed.size, parsed.root, parsed.head) == (size, tree.root(size), Entry.objects.get(seq=size).hash)
        assert entry.recorded_at == parsed.time
    stored = {node.node: bytes(node.hash) for node in TreeNode.objects.all()}
    size = evidence.stored_tree_size()
    expected = {
        level << 40 | index: tree.levels[level][index]
        for level in range(1, len(tree.levels))
        for index in range(size >> level)
    }
    assert stored == expected


def test_every_entry_has_a_proof_that_both_verifiers_accept() -> None:
    _append(12)
    _, note = evidence.sign_checkpoint()
    bundle = evidence.evidence_for(range(1, 13))
    assert bundle["checkpoint"] == note and bundle["tree_size"] == 12
    key = verifier.Key(bundle["verifier_key"])
    assert verifier.verify_evidence(json.loads(json.dumps(bundle)), key)[-1].startswith("entries: 12")
    checkpoint = checkpoints.parse(note)[0]
    for item in bundle["entries"]:
        record = item["entry"]
        leaf = merkle.leaf_hash(canonical.body_of(record).encode())
        proof = [bytes.fromhex(h) for h in item["inclusion_proof"]]
        assert merkle.verify_inclusion(record["seq"] - 1, 12, leaf, proof, checkpoint.root)


def test_the_proofs_of_many_entries_are_read_in_a_few_queries_not_two_per_entry(
    django_assert_max_num_queries: Any,
) -> None:
    _append(600)
    evidence.sign_checkpoint()
    checkpoint = checkpoints.parse(evidence.latest_checkpoint() or "")[0]
    with django_assert_max_num_queries(12):
        proofs = evidence.inclusion_proofs(list(range(1, 601)), checkpoint)
    tree = _memory_tree()
    assert proofs == {seq: merkle.inclusion_proof(tree, seq - 1, checkpoint.size) for seq in range(1, 601)}


def test_an_entry_newer_than_the_checkpoint_has_no_proof_unless_a_new_one_is_signed() -> None:
    _append(3)
    evidence.sign_checkpoint()
    _append(2)
    bundle = evidence.evidence_for([2, 6])
    assert [item["inclusion_proof"] is None for item in bundle["entries"]] == [False, True]
    signed = evidence.evidence_for([2, 6], sign_if_needed=True, by="reporter")
    assert signed["tree_size"] == 6 and all(item["inclusion_proof"] for item in signed["entries"])
    assert Entry.objects.filter(type="checkpoint.signed").count() == 2
    assert Entry.objects.order_by("-seq").first().recorded_by == "reporter"  # type: ignore[union-attr]


def test_evidence_for_refuses_entries_that_do_not_exist_and_works_before_any_checkpoint() -> None:
    _append(2)
    with pytest.raises(NotFound):
        evidence.evidence_for([1, 9])
    with pytest.raises(InvalidInput):
        evidence.evidence_for([0])
    bundle = evidence.evidence_for([1])
    assert bundle["checkpoint"] is None and bundle["entries"][0]["inclusion_proof"] is None


def test_an_entry_altered_behind_the_triggers_gets_no_proof_and_no_new_checkpoint_hides_it() -> None:
    _append(6)
    evidence.sign_checkpoint()
    _drop_triggers()
    original = Entry.objects.get(seq=3)
    forged = canonical.canonical_json({**original.fields, "payload": {"i": 99}})
    _sql("UPDATE ledger_entry SET body = %s, hash = %s WHERE seq = 3", [forged, canonical.hash_body(forged)])
    with pytest.raises(Conflict, match="entry 3 no longer matches"):
        evidence.evidence_for([3])
    assert evidence.evidence_for([2])["entries"][0]["inclusion_proof"]  # the others still prove
    # The stored tree still holds the signed history, so a new checkpoint keeps signing the original root.
    _, note = evidence.sign_checkpoint()
    assert checkpoints.parse(note)[0].root == merkle.root(_memory_tree_with_original(original), 7)


def _memory_tree_with_original(original: Entry) -> merkle.MemoryTree:
    bodies = list(Entry.objects.order_by("seq").values_list("body", flat=True))
    bodies[original.seq - 1] = original.body
    return merkle.MemoryTree(merkle.leaf_hash(body.encode()) for body in bodies)


def test_a_rewritten_history_is_never_signed_nor_proven_consistent() -> None:
    _append(5)
    _, first = evidence.sign_checkpoint()
    _append(3)
    _drop_triggers()
    # The forger rewrites entry 2, recomputes the chain after it, and rebuilds the whole stored tree.
    rows = list(Entry.objects.order_by("seq"))
    prev = rows[0].hash
    _sql("DELETE FROM ledger_treenode")
    for row in rows[1:]:
        fields = {**row.fields, "prev_hash": prev}
        if row.seq == 2:
            fields["payload"] = {"i": "rewritten"}
        body = canonical.canonical_json(fields)
        prev = canonical.hash_body(body)
        _sql("UPDATE ledger_entry SET body = %s, hash = %s WHERE seq = %s", [body, "x" + str(row.seq), row.seq])
        _sql("UPDATE ledger_entry SET hash = %s WHERE seq = %s", [prev, row.seq])
    evidence.extend_tree(ledger.head()[0])
    assert canonical.verify_rows(ledger.iter_rows()).ok  # the chain alone cannot tell; verify holds it against
    assert ledger.verify().bad_seq == 5  # the checkpoint, whose head is entry 5 (the tree was rebuilt too)
    with pytest.raises(Conflict, match="does not extend the checkpoint of 5 entries"):
        evidence.sign_checkpoint()
    assert Entry.objects.filter(type="checkpoint.signed").count() == 1
    with pytest.raises(Conflict, match="no longer matches the checkpoint of 5 entries"):
        evidence.evidence_for([1], checkpoint=first)


def test_the_tree_table_refuses_updates_and_deletes() -> None:
    _append(4)
    evidence.sign_checkpoint()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("UPDATE ledger_treenode SET hash = %s", [b"\0" * 32])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("DELETE FROM ledger_treenode")


def test_a_checkpoint_is_refused_when_the_clock_is_behind_the_ledger() -> None:
    _append(1)
    with pytest.raises(Conflict, match="clock"):
        evidence.sign_checkpoint(now=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert not Entry.objects.filter(type="checkpoint.signed").exists()


def test_a_configured_key_file_is_used_and_a_missing_one_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "elsewhere.pem"
    monkeypatch.setenv("CORRIDOR_SIGNING_KEY_FILE", str(path))
    with pytest.raises(InvalidInput, match="CORRIDOR_SIGNING_KEY_FILE"):
        evidence.sign_checkpoint()
    checkpoints.load_or_create_private_key(path)
    _, note = evidence.sign_checkpoint()
    key = checkpoints.verifier_key_for(checkpoints.load_private_key(path))
    assert checkpoints.verify(note, key).size == 0
    assert not (tmp_path / "signing-key.pem").exists()


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_commands_sign_prove_export_and_the_outsider_checks_it_all(tmp_path: Path) -> None:
    _append(3)
    signed = _run("checkpoint", "--out", str(tmp_path / "published.txt"))
    assert signed.exit_code == 0 and "signed: 3 entries" in signed.output
    assert (tmp_path / "checkpoints" / "checkpoint-3.txt").read_text() == (tmp_path / "published.txt").read_text()
    key_file = tmp_path / "key.txt"
    key_file.write_text(_run("checkpoint", "--print-key").output)
    _append(4)
    assert _run("checkpoint").exit_code == 0
    assert (
        _run(
            "prove", "entry", "2", "--checkpoint", str(tmp_path / "published.txt"), "--out", str(tmp_path / "p.json")
        ).exit_code
        == 0
    )
    assert json.loads((tmp_path / "p.json").read_text())["tree_size"] == 3
    assert verifier.main(["evidence", str(tmp_path / "p.json"), "--key", str(key_file)]) == 0
    assert _run("prove", "consistency", "3", "8", "--out", str(tmp_path / "c.json")).exit_code == 0
    assert verifier.main(["consistency", str(tmp_path / "c.json"), "--key", str(key_file)]) == 0
    export = tmp_path / "ledger.jsonl"
    assert _run("export", "ledger", "--out", str(export), "--with-checkpoint").exit_code == 0
    sidecar = str(export) + ".evidence.json"
    assert verifier.main(["export", str(export), "--key", str(key_file), "--checkpoint", sidecar]) == 0
    refused = CliRunner().invoke(cli, ["prove", "entry", "99"])
    assert refused.exit_code == 2 and "there is no ledger entry 99" in refused.output


def test_export_without_out_refuses_the_sidecar_and_plain_jsonl_is_unchanged(tmp_path: Path) -> None:
    _append(2)
    refused = CliRunner().invoke(cli, ["export", "ledger", "--with-checkpoint"])
    assert refused.exit_code == 2
    plain = _run("export", "ledger")
    assert [json.loads(line) for line in plain.output.splitlines()] == [e.as_record() for e in Entry.objects.all()]
    none_yet = CliRunner().invoke(cli, ["export", "ledger", "--out", str(tmp_path / "x.jsonl"), "--with-checkpoint"])
    assert none_yet.exit_code == 2 and "no checkpoint" in none_yet.output
    assert not (tmp_path / "x.jsonl").exists()


@pytest.mark.parametrize("tamper", ["alter", "delete", "swap"])
def test_the_standalone_verifier_and_corridor_verify_agree_on_a_tampered_database(tamper: str, tmp_path: Path) -> None:
    _append(6)
    _drop_triggers()
    if tamper == "alter":
        _sql("UPDATE ledger_entry SET body = replace(body, '\"i\":2', '\"i\":7') WHERE seq = 3")
    elif tamper == "delete":
        _sql("DELETE FROM ledger_subject WHERE entry_id = 4")
        _sql("DELETE FROM ledger_entry WHERE seq = 4")
    else:
        a, b = Entry.objects.get(seq=2), Entry.objects.get(seq=5)
        _sql("UPDATE ledger_entry SET body = %s, hash = %s WHERE seq = 2", ['{"prev_hash":"p"}', "h"])
        _sql("UPDATE ledger_entry SET body = %s, hash = %s WHERE seq = 5", [a.body, a.hash])
        _sql("UPDATE ledger_entry SET body = %s, hash = %s WHERE seq = 2", [b.body, b.hash])
    ours = CliRunner().invoke(cli, ["verify"])
    export = tmp_path / "ledger.jsonl"
    assert _run("export", "ledger", "--out", str(export)).exit_code == 0
    theirs = verifier.verify_chain(verifier.read_jsonl(str(export)))
    # Both name the same first bad entry. The wording may differ: the database knows each row's place,
    # an export only the numbers written in the bodies; on the export the two verifiers agree word for word.
    assert ours.exit_code == 1 and not theirs.ok
    assert ours.output.startswith(f"BROKEN: entry {theirs.bad_seq}: ")
    on_export = canonical.verify_records(verifier.read_jsonl(str(export)))
    assert (theirs.bad_seq, theirs.problem) == (on_export.bad_seq, on_export.problem)
