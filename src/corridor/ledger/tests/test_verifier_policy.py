"""The standalone verifier enforces a witness policy (k of n) and checks RFC 3161 time stamps."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import rfc3161_client
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from corridor.ledger import checkpoints, cosignatures
from corridor.ledger.tests.ledgers import load_verifier
from corridor.ledger.tests.tsa import LocalTSA, TSAFiles, make_tsa

verifier = load_verifier()
LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
LOG = checkpoints.verifier_key_for(LOG_KEY)
WITNESS_KEYS = [Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32) for i in range(1, 5)]
NAMES = [f"witness.example/w{i}" for i in range(4)]
WITNESSES = [cosignatures.witness_key_for(n, k) for n, k in zip(NAMES, WITNESS_KEYS, strict=True)]


def _note(size: int) -> str:
    checkpoint = checkpoints.Checkpoint(LOG.name, size, bytes([size]) * 32, "2026-11-23T10:00:00.123456Z", "ab" * 32)
    return checkpoints.sign(checkpoint, LOG_KEY)


def _cosigned(note: str, which: list[int]) -> str:
    text = note.partition("\n\n")[0] + "\n"
    stamp = int(time.time())
    return note + "".join(cosignatures.cosign(text, NAMES[i], WITNESS_KEYS[i], stamp) for i in which)


@pytest.fixture(scope="module")
def tsas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalTSA, TSAFiles]]:
    folder = tmp_path_factory.mktemp("tsa")
    trusted = LocalTSA(make_tsa(folder / "trusted", "Trusted TSA"))
    yield trusted, make_tsa(folder / "untrusted", "Untrusted TSA")
    trusted.stop()


def _stamp(url: str, data: bytes) -> bytes:
    request = rfc3161_client.TimestampRequestBuilder().data(data).hash_algorithm(rfc3161_client.HashAlgorithm.SHA256)
    query = request.build().as_bytes()
    headers = {"Content-Type": "application/timestamp-query"}
    with urllib.request.urlopen(urllib.request.Request(url, data=query, headers=headers), timeout=10) as answer:
        return answer.read()


def _run(tmp_path: Path, note: str, *extra: str, stamps: list[bytes] = ()) -> tuple[int, str]:  # type: ignore[assignment]
    path = tmp_path / "checkpoint.txt"
    path.write_text(note, encoding="utf-8")
    args = ["checkpoint", str(path), "--key", LOG.encode(), *extra]
    for number, stamp in enumerate(stamps):
        (tmp_path / f"{number}.tsr").write_bytes(stamp)
        args += ["--timestamp", str(tmp_path / f"{number}.tsr")]
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = verifier.main(args)
    return status, out.getvalue()


def _policy(quorum: int = 2) -> list[str]:
    return [arg for w in WITNESSES[:3] for arg in ("--witness", w.encode())] + ["--quorum", str(quorum)]


def test_two_of_three_cosignatures_and_a_trusted_time_stamp_hold(
    tmp_path: Path, tsas: tuple[LocalTSA, TSAFiles]
) -> None:
    trusted, _ = tsas
    note = _cosigned(_note(10), [0, 2])
    stamp = _stamp(trusted.url, note.encode())
    status, out = _run(tmp_path, note, *_policy(), "--tsa-cert", str(trusted.files.ca), stamps=[stamp])
    assert status == 0, out
    assert "co-signed by 2 of 3 witnesses (witness.example/w0, witness.example/w2; not by: witness.example/w1)" in out
    assert "policy 2 of 3 holds" in out and "trusted time 20" in out and out.endswith("OK\n")


def test_a_cosignature_by_an_unknown_key_does_not_count(tmp_path: Path) -> None:
    note = _cosigned(_note(10), [0, 3])  # w3 is nobody the reader trusts
    status, out = _run(tmp_path, note, *_policy())
    assert status == 1 and "FAILED" in out and "co-signed by 1 of 3" in out and "DOES NOT HOLD" in out


def test_a_cosignature_over_another_checkpoint_is_rejected(tmp_path: Path) -> None:
    other = _cosigned(_note(11), [1])
    moved = other.split("\n")[-2] + "\n"
    note = _cosigned(_note(10), [0]) + moved
    status, out = _run(tmp_path, note, *_policy())
    assert status == 1 and "the cosignature by witness witness.example/w1 does not verify" in out


def test_a_time_stamp_over_other_bytes_is_rejected(tmp_path: Path, tsas: tuple[LocalTSA, TSAFiles]) -> None:
    trusted, _ = tsas
    note = _cosigned(_note(10), [0, 1])
    stamp = _stamp(trusted.url, _cosigned(_note(12), [0, 1]).encode())
    status, out = _run(tmp_path, note, *_policy(), "--tsa-cert", str(trusted.files.ca), stamps=[stamp])
    assert status == 1 and "over other bytes" in out


def test_a_time_stamp_by_an_untrusted_authority_is_rejected(tmp_path: Path, tsas: tuple[LocalTSA, TSAFiles]) -> None:
    trusted, untrusted_files = tsas
    note = _cosigned(_note(10), [0, 1])
    untrusted = LocalTSA(untrusted_files)
    try:
        stamp = _stamp(untrusted.url, note.encode())
    finally:
        untrusted.stop()
    status, out = _run(tmp_path, note, *_policy(), "--tsa-cert", str(trusted.files.ca), stamps=[stamp])
    assert status == 1 and "not by a trusted time-stamping authority" in out


def test_a_policy_not_met_fails(tmp_path: Path) -> None:
    note = _cosigned(_note(10), [0, 1])
    assert _run(tmp_path, note, *_policy(2))[0] == 0
    status, out = _run(tmp_path, note, *_policy(3))
    assert status == 1 and "policy 3 of 3 DOES NOT HOLD" in out


def test_a_missing_time_stamp_fails_when_a_tsa_is_required(tmp_path: Path, tsas: tuple[LocalTSA, TSAFiles]) -> None:
    status, out = _run(tmp_path, _cosigned(_note(10), [0, 1]), "--tsa-cert", str(tsas[0].files.ca))
    assert status == 1 and "NO trusted time stamp" in out


def test_a_bad_witness_key_or_quorum_is_unreadable_input(tmp_path: Path) -> None:
    note = _cosigned(_note(10), [0])
    assert _run(tmp_path, note, "--witness", LOG.encode())[0] == 2  # a log key is not a witness key
    assert _run(tmp_path, note, "--witness", WITNESSES[0].encode(), "--quorum", "2")[0] == 2
