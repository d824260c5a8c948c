"""Checkpoints gather witnesses' cosignatures and RFC 3161 time stamps; a missing witness never blocks."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rfc3161_client
from cryptography import x509

from corridor.ledger import cosignatures, evidence
from corridor.ledger import witness as service
from corridor.ledger.tests.tampering import append_held as _append
from corridor.ledger.tests.tsa import LocalTSA, make_tsa

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("witnessed_data_dir")]


class Running:
    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.key = service.init(folder, name=name, logs=[evidence.verifier_key().encode()])
        self.start()

    def start(self) -> None:
        """Serve (again) on a free port, with the state kept in the witness's folder."""
        self.state = service.Witness(self.folder)
        self.server = service.make_server(self.state, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def witnesses(tmp_path: Path, settings: Any) -> Iterator[list[Running]]:
    running = [Running(tmp_path / f"w{i}", f"witness.example/w{i}") for i in range(3)]
    settings.WITNESSES = [(w.url, w.key.encode()) for w in running]
    settings.WITNESS_QUORUM = 2
    yield running
    for w in running:
        w.stop()


@pytest.fixture
def tsa(tmp_path: Path, settings: Any) -> Iterator[LocalTSA]:
    local = LocalTSA(make_tsa(tmp_path / "tsa"))
    settings.TSA_URLS = [local.url]
    yield local
    local.stop()


def test_a_checkpoint_gets_three_cosignatures_and_a_time_stamp(witnesses: list[Running], tsa: LocalTSA) -> None:
    _append(5)
    entry, published = evidence.sign_checkpoint()
    payload = entry.payload
    assert [w["result"] for w in payload["witnesses"]] == ["cosigned"] * 3
    assert payload["witnessed"] is True and payload["witness_policy"] == {"quorum": 2, "of": 3, "cosigned": 3}
    note = cosignatures.parse_note(published)
    assert all(cosignatures.cosignature_time(note, w.key) for w in witnesses)
    assert published == evidence.published_checkpoint(payload)
    (stamp,) = payload["timestamps"]
    response = rfc3161_client.decode_timestamp_response(base64.b64decode(stamp["response"]))
    ca = x509.load_pem_x509_certificate(tsa.files.ca.read_bytes())
    assert (
        rfc3161_client.VerifierBuilder().add_root_certificate(ca).build().verify_message(response, published.encode())
    )
    _append(3)
    second, _ = evidence.sign_checkpoint()
    assert [w["result"] for w in second.payload["witnesses"]] == ["cosigned"] * 3
    assert [cosignatures.parse_note(n).size for n in witnesses[0].state.cosigned(payload["origin"])] == [5, 9]


def test_a_witness_that_is_down_is_recorded_and_two_of_three_still_holds(witnesses: list[Running]) -> None:
    _append(4)
    witnesses[2].stop()
    entry, published = evidence.sign_checkpoint()
    results = {w["name"]: w["result"] for w in entry.payload["witnesses"]}
    assert results == {"witness.example/w0": "cosigned", "witness.example/w1": "cosigned",
                       "witness.example/w2": "unreachable"}  # fmt: skip
    assert entry.payload["witnessed"] is True and len(entry.payload["cosignatures"]) == 2


def test_below_the_policy_the_checkpoint_is_kept_and_marked_not_witnessed(
    witnesses: list[Running], settings: Any
) -> None:
    settings.WITNESS_QUORUM = 3
    _append(2)
    witnesses[0].stop()
    witnesses[1].stop()
    entry, _ = evidence.sign_checkpoint()
    assert entry.payload["witnessed"] is False and entry.payload["witness_policy"]["cosigned"] == 1
    assert evidence.latest_checkpoint() == entry.payload["note"]


def test_a_witness_that_missed_a_checkpoint_catches_up_from_the_size_it_holds(
    witnesses: list[Running], settings: Any
) -> None:
    _append(3)
    settings.WITNESSES = settings.WITNESSES[:1]
    settings.WITNESS_QUORUM = 1
    evidence.sign_checkpoint()
    _append(3)
    settings.WITNESSES = [(w.url + "/", w.key.encode()) for w in witnesses]  # a prefix written with its slash
    entry, _ = evidence.sign_checkpoint()  # w1 and w2 hold nothing: they answer 409 "0", and get a second request
    assert [w["result"] for w in entry.payload["witnesses"]] == ["cosigned"] * 3


def test_a_port_nobody_listens_on_costs_no_more_than_the_retries(settings: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key = service.init(Path(settings.DATA_DIR) / "lonely", name="lonely.example/w").encode()
    settings.WITNESSES, settings.WITNESS_QUORUM = [(f"http://127.0.0.1:{port}", key)], 1
    _append(1)
    entry, _ = evidence.sign_checkpoint()
    (outcome,) = entry.payload["witnesses"]
    assert outcome["result"] == "unreachable" and "no answer" in outcome["reason"]
    assert entry.payload["witnessed"] is False


def test_an_evidence_bundle_carries_the_cosignatures_and_time_stamp_and_meets_the_policy(
    witnesses: list[Running], tsa: LocalTSA, tmp_path: Path
) -> None:
    import contextlib
    import io
    import json

    from corridor.ledger.tests.ledgers import load_verifier

    _append(3)
    _, published = evidence.sign_checkpoint()
    bundle = evidence.evidence_for([2])
    assert bundle["checkpoint"] == published and len(bundle["timestamps"]) == 1
    path = tmp_path / "entry-2.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    policy = [arg for w in witnesses for arg in ("--witness", w.key.encode())]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = load_verifier().main(
            [
                "evidence",
                str(path),
                "--key",
                evidence.verifier_key().encode(),
                *policy,
                "--quorum",
                "3",
                "--tsa-cert",
                str(tsa.files.ca),
            ]  # fmt: skip
        )
    assert status == 0 and "co-signed by 3 of 3 witnesses" in out.getvalue() and "trusted time" in out.getvalue()


def test_an_export_vouched_by_witnesses_up_to_the_last_witnessed_checkpoint(
    witnesses: list[Running], tmp_path: Path, settings: Any
) -> None:
    import contextlib
    import io

    from corridor.ledger import exports
    from corridor.ledger.tests.ledgers import load_verifier

    verifier = load_verifier()
    policy = [arg for w in witnesses for arg in ("--witness", w.key.encode())] + ["--quorum", "2"]
    key = evidence.verifier_key().encode()
    path = tmp_path / "ledger.jsonl"

    def check() -> tuple[int, str]:
        with open(path, "w", encoding="utf-8") as handle:
            exports.write_jsonl(handle)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = verifier.main(["export", str(path), "--key", key, *policy])
        return status, out.getvalue()

    _append(3)
    for w in witnesses:
        w.stop()
    unwitnessed, _ = evidence.sign_checkpoint()
    status, out = check()
    assert status == 1 and "no checkpoint recorded in the export meets the policy" in out, out
    for w in witnesses:
        w.start()  # back on new ports, with the state they kept
    settings.WITNESSES = [(w.url, w.key.encode()) for w in witnesses]
    _append(2)
    witnessed, _ = evidence.sign_checkpoint()
    assert witnessed.payload["witnessed"] is True
    for w in witnesses[:2]:
        w.stop()
    _append(2)
    evidence.sign_checkpoint()
    status, out = check()
    size = witnessed.payload["tree_size"]
    assert status == 0, out
    assert f"policy: entries 1 to {size} are covered by a checkpoint that meets it" in out
    assert f"entries {size + 1} to " in out and "the keeper's word" in out
    assert unwitnessed.payload["witness_policy"]["cosigned"] == 0


def test_a_scheduled_checkpoint_asks_the_witnesses_with_no_transaction_of_its_own_open(
    witnesses: list[Running], tsa: LocalTSA, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import connections

    from corridor.jobs import services as jobs
    from corridor.jobs.models import Job

    _append(3)
    worker = connections["default"]  # this thread's connection: the one the job writes with
    test_blocks = len(worker.atomic_blocks)  # the test's own transaction, rolled back at its end
    seen: list[int] = []
    asked = witnesses[0].state.add_checkpoint

    def add_checkpoint(body: bytes) -> service.Answer:
        seen.append(len(worker.atomic_blocks) - test_blocks)  # one open here would hold the append lock
        return asked(body)

    witnesses[0].state.add_checkpoint = add_checkpoint  # type: ignore[method-assign]
    job = jobs.submit("checkpoint", {"if_due": True}, by=None, schedule="checkpoint")
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.run(job.pk) == Job.State.SUCCEEDED
    job.refresh_from_db()
    assert seen == [0]
    assert "witnessed, 3 of 3 witnesses" in job.answer and job.data["witnessed"] is True
    size, content = job.data["tree_size"], job.content
    assert content is not None
    folder = Path(evidence.settings.DATA_DIR) / "checkpoints"
    assert (folder / f"checkpoint-{size}.txt").read_bytes() == bytes(content)
    token = rfc3161_client.decode_timestamp_response((folder / f"checkpoint-{size}.1.tsr").read_bytes())
    assert token.tst_info.message_imprint.message == hashlib.sha256(bytes(content)).digest()
