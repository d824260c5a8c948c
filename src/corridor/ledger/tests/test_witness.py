"""The witness (C2SP tlog-witness): co-signs only a checkpoint that extends the last one it co-signed."""

from __future__ import annotations

import base64
import hashlib
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from corridor.ledger import checkpoints, cosignatures, merkle
from corridor.ledger import witness as service

LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
LOG = checkpoints.verifier_key_for(LOG_KEY)
FORGER = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(40)]
TREE = merkle.MemoryTree(LEAVES)


def _note(size: int, root: bytes | None = None, key: Ed25519PrivateKey = LOG_KEY) -> str:
    checkpoint = checkpoints.Checkpoint(
        LOG.name, size, root if root is not None else TREE.root(size), "2026-11-23T10:00:00.123456Z", "ab" * 32
    )
    text = checkpoint.text()
    signature = key.sign(text.encode())
    kid = checkpoints.verifier_key_for(key).key_id
    return f"{text}\n\u2014 {LOG.name} {base64.b64encode(kid + signature).decode()}\n"


def _request(old: int, note: str, proof: list[bytes] | None = None) -> bytes:
    new = cosignatures.parse_note(note).size
    if proof is None:
        proof = merkle.consistency_proof(TREE, old, new) if 0 < old <= new else []
    return cosignatures.add_checkpoint_body(old, proof, note)


@pytest.fixture
def witness(tmp_path: Path) -> service.Witness:
    service.init(tmp_path / "w", name="witness.example/w1", logs=[LOG.encode()])
    return service.Witness(tmp_path / "w")


def test_a_witness_cosigns_a_first_checkpoint_and_one_that_extends_it(witness: service.Witness) -> None:
    first = witness.add_checkpoint(_request(0, _note(10)))
    assert first.status == 200, first.body
    note = cosignatures.parse_note(_note(10) + first.body)
    assert cosignatures.cosignature_time(note, witness.public) is not None
    second = witness.add_checkpoint(_request(10, _note(25)))
    assert second.status == 200, second.body
    assert [cosignatures.parse_note(n).size for n in witness.cosigned(LOG.name)] == [10, 25]
    latest = witness.latest(LOG.name)
    assert latest is not None and latest.startswith(_note(25))
    raw = base64.b64decode(first.body.split(" ")[2])
    assert len(raw) == 4 + 8 + 64 and raw[:4] == cosignatures.cosigner_key_id(
        "witness.example/w1", witness.public.public
    )


def test_a_cosignature_is_the_documented_message_signed_by_the_witness_key(witness: service.Witness) -> None:
    answer = witness.add_checkpoint(_request(0, _note(5)))
    raw = base64.b64decode(answer.body.strip().split(" ")[2])
    timestamp = int.from_bytes(raw[4:12], "big")
    text = _note(5).partition("\n\n")[0] + "\n"
    message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(witness.public.public).verify(raw[12:], message)
    assert cosignatures.parse_witness_key(witness.public.encode()) == witness.public
    # tlog-cosignature: key ID = SHA-256(name || "\n" || 0x04 || public key)[:4], computed here by hand.
    expected = hashlib.sha256(b"witness.example/w1\n\x04" + witness.public.public).digest()[:4]
    assert raw[:4] == expected and witness.public.encode().split("+")[1] == expected.hex()


def test_an_unknown_log_is_404_and_a_bad_log_signature_403(witness: service.Witness, tmp_path: Path) -> None:
    other = checkpoints.verifier_key_for(FORGER)
    checkpoint = checkpoints.Checkpoint(other.name, 3, TREE.root(3), "2026-11-23T10:00:00.123456Z", "ab" * 32)
    assert witness.add_checkpoint(_request(0, checkpoints.sign(checkpoint, FORGER))).status == 404
    forged = _note(10, key=FORGER)  # the log's name, another key: no signature by a known key
    assert witness.add_checkpoint(_request(0, forged)).status == 403
    tampered = _note(10).replace(base64.b64encode(TREE.root(10)).decode(), base64.b64encode(TREE.root(11)).decode())
    assert witness.add_checkpoint(_request(0, tampered)).status == 403
    assert witness.cosigned(LOG.name) == []


def test_one_valid_log_signature_is_enough_and_unknown_signers_are_ignored(witness: service.Witness) -> None:
    stranger = checkpoints.verifier_key_for(FORGER)
    strangers = f"\u2014 {stranger.name} {base64.b64encode(stranger.key_id + bytes(64)).decode()}\n"
    retired = f"\u2014 {LOG.name} {base64.b64encode(LOG.key_id + bytes(64)).decode()}\n"  # a second, bad line
    answer = witness.add_checkpoint(_request(0, _note(10) + strangers + retired))
    assert answer.status == 200, answer.body
    assert witness.add_checkpoint(_request(10, _note(20).split("\n\n")[0] + "\n\n" + retired)).status == 403


def test_a_wrong_old_size_is_409_with_the_size_the_witness_holds(witness: service.Witness) -> None:
    witness.add_checkpoint(_request(0, _note(10)))
    answer = witness.add_checkpoint(_request(0, _note(20)))
    assert (answer.status, answer.body, answer.content_type) == (409, "10\n", "text/x.tlog.size")


def test_a_rollback_and_a_bad_proof_are_refused(witness: service.Witness) -> None:
    witness.add_checkpoint(_request(0, _note(20)))
    assert witness.add_checkpoint(_request(20, _note(10), proof=[])).status == 400
    bad = [bytes(32)] * len(merkle.consistency_proof(TREE, 20, 30))
    assert witness.add_checkpoint(_request(20, _note(30), proof=bad)).status == 422
    assert witness.add_checkpoint(_request(0, _note(0, merkle.EMPTY_ROOT))).status == 409
    rewritten = merkle.MemoryTree([*LEAVES[:5], merkle.leaf_hash(b"changed"), *LEAVES[6:]])
    answer = witness.add_checkpoint(
        _request(20, _note(30, rewritten.root(30)), merkle.consistency_proof(rewritten, 20, 30))
    )
    assert answer.status == 422 and "does not verify" in answer.body
    assert [cosignatures.parse_note(n).size for n in witness.cosigned(LOG.name)] == [20]


def test_a_second_tree_of_the_same_size_is_refused_and_both_are_kept(witness: service.Witness) -> None:
    assert witness.add_checkpoint(_request(0, _note(10))).status == 200
    other_root = merkle.MemoryTree([*LEAVES[:9], merkle.leaf_hash(b"other")]).root(10)
    split = _note(10, other_root)
    answer = witness.add_checkpoint(_request(10, split, proof=[]))
    assert answer.status == 409 and "split view" in answer.body  # tlog-witness: same size, another root
    assert witness.add_checkpoint(_request(0, split, proof=[])).status == 409  # sent again, as a log retrying
    assert witness.conflicts(LOG.name) == [split]
    assert [cosignatures.parse_note(n).root for n in witness.cosigned(LOG.name)] == [TREE.root(10)]


def test_a_malformed_request_is_400(witness: service.Witness) -> None:
    control = _note(3).replace("corridor.ledger", "corridor\tledger", 1).encode()
    for body in [b"", b"old 01\n\n" + _note(3).encode(), b"old 0\nnot-base64!\n\n" + _note(3).encode(), b"\xff",
                 b"old 0\n\n" + control]:  # fmt: skip
        assert witness.add_checkpoint(body).status == 400


def test_the_witness_answers_over_http(witness: service.Witness) -> None:
    server = service.make_server(witness, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        request = urllib.request.Request(url + "/add-checkpoint", data=_request(0, _note(7)), method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200 and response.read().decode().startswith("\u2014 witness.example/w1 ")
        with urllib.request.urlopen(f"{url}/{service.origin_hash(LOG.name)}/checkpoint", timeout=5) as response:
            assert response.read().decode().startswith(_note(7))
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(
                urllib.request.Request(url + "/add-checkpoint", data=_request(0, _note(9)), method="POST"), timeout=5
            )
        assert refused.value.code == 409 and refused.value.read() == b"7\n"
    finally:
        server.shutdown()
        server.server_close()


def test_init_keeps_the_key_and_adds_logs(tmp_path: Path) -> None:
    first = service.init(tmp_path / "w")
    again = service.init(tmp_path / "w", logs=[LOG.encode()])
    assert first == again and first.name.startswith("corridor-witness/")
    assert list(service.Witness(tmp_path / "w").logs) == [LOG.name]
    with pytest.raises(service.WitnessError):
        service.init(tmp_path / "w", name="another")


def test_the_witness_loads_no_django_and_so_cannot_reach_corridors_database() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from corridor.cli import cli; from corridor.ledger import witness, witness_cli; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'psycopg', 'sqlite3'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout
