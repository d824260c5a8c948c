"""The standalone verifier agrees with Corridor's own, and catches what a checkpoint rules out (no database)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.ledger import canonical, checkpoints, merkle
from corridor.ledger.tests.ledgers import chain_of, leaves_of, ledgers, load_verifier, minute, sign_at

verifier = load_verifier()
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
VKEY = verifier.Key(checkpoints.verifier_key_for(KEY).encode())


def _tamper(records: list[dict[str, Any]], rng: random.Random, within: int | None = None) -> list[dict[str, Any]]:
    """One of the things a forger might do to an export, to an entry among the first ``within``: edit, drop,
    duplicate, swap, insert, rehash, renumber, or rewrite and recompute the chain after it."""
    records = [dict(r) for r in records]
    how = rng.choice(["none", "field", "drop", "duplicate", "swap", "insert", "hash", "seq", "rechain"])
    at = rng.randrange(within or len(records))
    if how == "field":
        field = rng.choice([f for f in canonical.FIELDS if f not in ("seq", "v")])
        records[at][field] = rng.choice(["", "x", "forged", 0, 7, None, [], {}, rng.choice(records)["hash"]])
    elif how == "drop":
        del records[at]
    elif how == "duplicate":
        records.insert(at, dict(records[at]))
    elif how == "swap":
        other = rng.randrange(len(records))
        records[at], records[other] = records[other], records[at]
    elif how == "insert":
        forged = {**records[at], "recorded_by": "forger", "seq": records[at]["seq"] + 1}
        forged["hash"] = canonical.hash_record(forged)
        records.insert(at + 1, forged)
        for later in records[at + 2 :]:
            later["seq"] += 1
    elif how == "hash":
        records[at]["hash"] = rng.choice(["0" * 64, "f" * 64, records[0]["hash"]])
    elif how == "seq":
        records[at]["seq"] = rng.randrange(len(records) + 3)
    elif how == "rechain":  # rewrite one entry and recompute every hash after it: the chain alone cannot tell
        records[at]["payload"] = {"rewritten": True}
        records = chain_of(
            [{k: v for k, v in r.items() if k not in ("seq", "prev_hash", "v", "hash")} for r in records]
        )
    return records


def _verdicts(exported: list[dict[str, Any]]) -> tuple[Any, Any]:
    try:
        ours = canonical.verify_records(exported)
        ours_seen = (ours.ok, ours.count, ours.head_hash, ours.bad_seq, ours.problem)
    except (ValueError, TypeError):
        ours_seen = None
    try:
        theirs = verifier.verify_chain(exported)
        theirs_seen = (theirs.ok, theirs.count, theirs.head, theirs.bad_seq, theirs.problem)
    except (ValueError, TypeError, verifier.Unreadable):
        theirs_seen = None
    return ours_seen, theirs_seen


TAMPERINGS_PER_LEDGER = 12


@given(ledgers(max_size=8), st.randoms(use_true_random=False))
@settings(max_examples=250, deadline=None)
def test_the_standalone_verifier_agrees_with_corridor_verify_on_thousands_of_random_exports(
    records: list[dict[str, Any]], rng: random.Random
) -> None:
    # 250 ledgers x 12 exports each: 3,000 cases, honest and tampered, for the price of 250 generated ledgers.
    for _ in range(TAMPERINGS_PER_LEDGER):
        exported = _tamper(records, rng)
        ours, theirs = _verdicts(exported)
        assert theirs == ours, exported


@given(ledgers(min_size=2, max_size=10), st.data())
@settings(max_examples=100, deadline=None)
def test_an_export_checks_out_against_its_checkpoint_and_any_change_to_what_it_covers_is_caught(
    records: list[dict[str, Any]], data: Any
) -> None:
    rng = data.draw(st.randoms(use_true_random=False))
    for _ in range(4):
        size = rng.randint(1, len(records))
        note = sign_at(records, size, KEY, time=minute(2 * size + 1))
        assert verifier.verify_export(records, VKEY, [note])[-1].startswith(("times", "not yet covered"))
        rewritten = _tamper(records, rng, within=size)
        if rewritten == records:
            continue
        with pytest.raises((verifier.Failed, verifier.Unreadable, ValueError, TypeError)):
            verifier.verify_export(rewritten, VKEY, [note])


def _drafts(count: int, recorded: list[int]) -> list[dict[str, Any]]:
    return [
        {
            "certainty": "confirmed",
            "corrects": None,
            "occurred_at": minute(0),
            "payload": {"n": i},
            "recorded_at": minute(recorded[i]),
            "recorded_by": "tester",
            "source": "witness",
            "subjects": [],
            "type": "gate.held",
        }
        for i in range(count)
    ]


def test_an_entry_added_after_a_checkpoint_but_dated_before_it_is_back_dated() -> None:
    records = chain_of(_drafts(5, [1, 2, 3, 10, 11]))
    note = sign_at(records, 3, KEY, time=minute(5))
    assert "times: no entry is back-dated against any checkpoint" in verifier.verify_export(records, VKEY, [note])
    back_dated = chain_of(_drafts(5, [1, 2, 3, 4, 11]))  # entry 4 claims minute 4, before the checkpoint at 5
    note = sign_at(back_dated, 3, KEY, time=minute(5))
    with pytest.raises(verifier.Failed, match="entry 4 is not covered by the checkpoint of 3 entries .* back-dated"):
        verifier.verify_export(back_dated, VKEY, [note])


def test_an_entry_covered_by_a_checkpoint_cannot_be_recorded_after_it() -> None:
    records = chain_of(_drafts(4, [1, 2, 9, 10]))
    note = sign_at(records, 3, KEY, time=minute(5))
    with pytest.raises(verifier.Failed, match="entry 3 is covered by .* recorded later"):
        verifier.verify_export(records, VKEY, [note])


def test_an_event_reported_late_is_not_back_dating_and_is_counted() -> None:
    records = chain_of(_drafts(4, [1, 2, 10, 11]))  # every event occurred at minute 0
    note = sign_at(records, 2, KEY, time=minute(3))
    report = verifier.verify_export(records, VKEY, [note])
    assert "not yet covered by a checkpoint: entries 3 to 4" in report[-1] and "2 of them" in report[-1]


def test_an_export_shorter_than_its_checkpoint_has_lost_entries() -> None:
    records = chain_of(_drafts(5, [1, 2, 3, 4, 5]))
    note = sign_at(records, 5, KEY)
    with pytest.raises(verifier.Failed, match="export has only 4: entries were removed"):
        verifier.verify_export(records[:4], VKEY, [note])


def test_checkpoints_recorded_in_the_ledger_are_checked_too() -> None:
    drafts = _drafts(3, [1, 2, 3])
    records = chain_of(drafts)
    note = sign_at(records, 3, KEY, time=minute(4))
    checkpoint_entry = {**drafts[0], "type": "checkpoint.signed", "payload": {"note": note}, "recorded_at": minute(4)}
    records = chain_of([*drafts, checkpoint_entry, *_drafts(1, [6])])
    report = verifier.verify_export(records, VKEY)
    assert "checkpoints: 1 verified (0 given, 1 recorded in the ledger)" in report
    # The same export with entry 2 rewritten and the chain recomputed: the recorded checkpoint exposes it.
    rewritten = [dict(r) for r in drafts]
    rewritten[1]["payload"] = {"n": "never happened"}
    forged = chain_of([*rewritten, checkpoint_entry, *_drafts(1, [6])])
    assert verifier.verify_chain(forged).ok
    with pytest.raises(verifier.Failed, match="do not have the root of the checkpoint of 3 entries"):
        verifier.verify_export(forged, VKEY)


def test_without_a_checkpoint_signed_by_the_key_an_export_proves_nothing() -> None:
    records = chain_of(_drafts(2, [1, 2]))
    with pytest.raises(verifier.Failed, match="no checkpoint"):
        verifier.verify_export(records, VKEY)
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
    with pytest.raises(verifier.Failed, match="no signature by"):
        verifier.verify_export(records, VKEY, [sign_at(records, 2, other)])


def test_the_command_line_reports_ok_and_failure_with_its_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = chain_of(_drafts(6, [1, 2, 3, 4, 5, 6]))
    export = tmp_path / "ledger.jsonl"
    export.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    (tmp_path / "checkpoint.txt").write_text(sign_at(records, 4, KEY), encoding="utf-8")
    (tmp_path / "key.txt").write_text(checkpoints.verifier_key_for(KEY).encode() + "\n")
    args = ["--key", str(tmp_path / "key.txt"), "--checkpoint", str(tmp_path / "checkpoint.txt")]
    assert verifier.main(["export", str(export), *args]) == 0
    assert capsys.readouterr().out.endswith("OK\n")
    assert verifier.main(["chain", str(export)]) == 0
    tree = merkle.MemoryTree(leaves_of(records))
    bundle = {
        "format": "corridor-evidence/1",
        "checkpoint": (tmp_path / "checkpoint.txt").read_text(),
        "tree_size": 4,
        "root_hash": tree.root(4).hex(),
        "entries": [
            {
                "entry": records[1],
                "leaf_index": 1,
                "inclusion_proof": [p.hex() for p in merkle.inclusion_proof(tree, 1, 4)],
            }
        ],
    }
    (tmp_path / "evidence.json").write_text(json.dumps(bundle))
    assert verifier.main(["evidence", str(tmp_path / "evidence.json"), "--key", str(tmp_path / "key.txt")]) == 0
    bundle["entries"][0]["entry"]["recorded_by"] = "someone else"  # type: ignore[index]
    (tmp_path / "evidence.json").write_text(json.dumps(bundle))
    assert verifier.main(["evidence", str(tmp_path / "evidence.json"), "--key", str(tmp_path / "key.txt")]) == 1
    assert "FAILED: entry 2 does not match its hash" in capsys.readouterr().out
    export.write_text(export.read_text().replace('"n": 2', '"n": 3'))
    assert verifier.main(["export", str(export), *args]) == 1
    assert verifier.main(["chain", str(tmp_path / "missing.jsonl")]) == 2
