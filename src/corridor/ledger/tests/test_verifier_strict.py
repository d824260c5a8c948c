"""The standalone verifier reads strictly: a duplicate key, an unknown field, binary or deeply nested input
is refused with exit status 2 and one line saying why, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from corridor.ledger import checkpoints
from corridor.ledger.tests.ledgers import chain_of, load_verifier, minute

verifier = load_verifier()
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def _records(count: int = 3, text: str = "") -> list[dict[str, Any]]:
    drafts: list[dict[str, Any]] = [
        {
            "certainty": "confirmed",
            "corrects": None,
            "occurred_at": minute(0),
            "payload": {"n": i, "text": text} if text else {"n": i},
            "recorded_at": minute(i),
            "recorded_by": "tester",
            "source": "witness",
            "subjects": [],
            "type": "gate.held",
        }
        for i in range(count)
    ]
    return chain_of(drafts)


def _export(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "ledger.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _refused(capsys: pytest.CaptureFixture[str], args: list[str], reason: str) -> None:
    assert verifier.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("corridor_verify.py: error:") and reason in err and "Traceback" not in err


def test_a_well_formed_export_still_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = _export(tmp_path, [json.dumps(r, ensure_ascii=False) for r in _records()])
    assert verifier.main(["chain", str(export)]) == 0


def test_a_line_with_a_duplicate_payload_key_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in _records()]
    # The first "payload" is what a lenient reader ignores; the hashed one comes last.
    lines[1] = lines[1].replace('{"certainty"', '{"payload": {"n": 99}, "certainty"', 1)
    assert json.loads(lines[1])["payload"] == {"n": 1}  # json.loads alone would accept it
    _refused(capsys, ["chain", str(_export(tmp_path, lines))], "'payload' appears twice")


def test_a_line_with_an_unknown_field_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    records[2]["approved"] = True
    export = _export(tmp_path, [json.dumps(r, ensure_ascii=False) for r in records])
    _refused(capsys, ["chain", str(export)], "line 3 has field(s) no entry has: approved")


def test_binary_input_is_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "ledger.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x00" * 50)
    _refused(capsys, ["chain", str(binary)], "cannot be read as UTF-8")
    key = tmp_path / "key.txt"
    key.write_text(checkpoints.verifier_key_for(KEY).encode() + "\n")
    _refused(capsys, ["evidence", str(binary), "--key", str(key)], "cannot read")
    _refused(capsys, ["checkpoint", str(tmp_path / "key.txt"), "--key", str(binary)], "cannot read")


def test_deeply_nested_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    _refused(capsys, ["chain", str(_export(tmp_path, [deep]))], "nests deeper than 64 levels")
    bundle = tmp_path / "bundle.json"
    bundle.write_text('{"entries": ' + deep + "}", encoding="utf-8")
    key = tmp_path / "key.txt"
    key.write_text(checkpoints.verifier_key_for(KEY).encode() + "\n")
    _refused(capsys, ["evidence", str(bundle), "--key", str(key)], "nests deeper than 64 levels")
    # Brackets inside strings are text, not nesting.
    lines = [json.dumps(r, ensure_ascii=False) for r in _records(text="[{" * 500)]
    assert verifier.main(["chain", str(_export(tmp_path, lines))]) == 0
