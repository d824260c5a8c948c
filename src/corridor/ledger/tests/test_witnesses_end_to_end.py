"""End to end: three `corridor witness serve` processes on loopback, one local RFC 3161 authority.

Checkpoints get three cosignatures and a time stamp; with one witness stopped two of three still hold; a
keeper who rewrites history and re-signs it with its own key is refused by every witness, and the
verifier rejects the forgery under a 2-of-3 policy; a witness shown two trees of the same size refuses
the second and keeps both.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corridor.cli import cli
from corridor.ledger import checkpoints, cosignatures, evidence, exports, merkle, witnessing
from corridor.ledger import witness as service
from corridor.ledger.models import Entry
from corridor.ledger.tests.ledgers import load_verifier
from corridor.ledger.tests.tampering import append_held as _append
from corridor.ledger.tests.tsa import LocalTSA, make_tsa

pytestmark = pytest.mark.django_db
verifier = load_verifier()
CORRIDOR = [sys.executable, "-u", "-c", "from corridor.cli import main; main()"]


class WitnessProcess:
    """``corridor witness serve`` in its own process, on a free loopback port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, port: int = 0) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        command = [*CORRIDOR, "witness", "serve", "--data", str(self.folder), "--port", str(port)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        assert self.process.stdout is not None
        for _ in range(5):
            line = self.process.stdout.readline()
            if line.startswith("listening on "):
                self.url = line.split()[-1].rstrip("/")
                return
        raise AssertionError(f"the witness did not start: {line!r}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


def _run_cli(*args: str) -> str:
    done = subprocess.run([*CORRIDOR, *args], capture_output=True, text=True, check=True, timeout=60)
    return done.stdout


def _verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = verifier.main(list(args))
    return status, out.getvalue()


@pytest.fixture
def setup(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.delenv("CORRIDOR_SIGNING_KEY_FILE", raising=False)
    settings.DATA_DIR = tmp_path / "corridor"
    settings.CHECKPOINT_TIMEOUT, settings.CHECKPOINT_RETRIES = 3, 1
    log_key = evidence.verifier_key().encode()
    processes, keys = [], []
    for i in range(3):
        folder = tmp_path / f"witness-{i}"
        keys.append(
            _run_cli(
                "witness", "init", "--data", str(folder), "--name", f"w{i}.example/corridor", "--log", log_key
            ).strip()
        )
        processes.append(WitnessProcess(folder))
    tsa = LocalTSA(make_tsa(tmp_path / "tsa"))
    try:
        for process in processes:
            process.start()
        settings.WITNESSES = [(p.url, k) for p, k in zip(processes, keys, strict=True)]
        settings.WITNESS_QUORUM = 2
        settings.TSA_URLS = [tsa.url]
        policy = [arg for key in keys for arg in ("--witness", key)] + [
            "--quorum",
            "2",
            "--tsa-cert",
            str(tsa.files.ca),
        ]
        yield {"witnesses": processes, "keys": keys, "tsa": tsa, "policy": policy, "log": log_key, "tmp": tmp_path}
    finally:
        for process in processes:
            process.stop()
        tsa.stop()


def test_witnesses_and_a_time_stamp_make_a_checkpoint_the_keeper_cannot_forge_alone(setup: dict[str, Any]) -> None:
    tmp, policy, log_key = setup["tmp"], setup["policy"], setup["log"]
    processes: list[WitnessProcess] = setup["witnesses"]

    # 1. Three cosignatures and a time stamp.
    _append(6)
    result = CliRunner().invoke(cli, ["checkpoint", "--out", str(tmp / "c1.txt")])
    assert result.exit_code == 0, result.output
    assert "witnessed: 3 of 3 witnesses co-signed; the policy needs 2" in result.output
    assert "time-stamped by " in result.output
    size = Entry.objects.filter(type="checkpoint.signed").get().payload["tree_size"]
    tsr = Path(evidence.settings.DATA_DIR) / "checkpoints" / f"checkpoint-{size}.1.tsr"
    status, out = _verify("checkpoint", str(tmp / "c1.txt"), "--key", log_key, *policy, "--timestamp", str(tsr))
    assert status == 0 and "co-signed by 3 of 3 witnesses" in out and "trusted time" in out, out

    # 2. One witness stopped: two of three still hold.
    processes[2].stop()
    _append(4, start=6)
    entry, published = evidence.sign_checkpoint()
    assert [w["result"] for w in entry.payload["witnesses"]] == ["cosigned", "cosigned", "unreachable"]
    assert entry.payload["witnessed"] is True and len(entry.payload["timestamps"]) == 1
    (tmp / "c2.txt").write_text(published, encoding="utf-8")
    (tmp / "c2.tsr").write_bytes(base64.b64decode(entry.payload["timestamps"][0]["response"]))
    status, out = _verify(
        "checkpoint", str(tmp / "c2.txt"), "--key", log_key, *policy, "--timestamp", str(tmp / "c2.tsr")
    )
    assert status == 0 and "co-signed by 2 of 3 witnesses" in out and "policy 2 of 3 holds" in out, out
    export = tmp / "ledger.jsonl"
    with open(export, "w", encoding="utf-8") as handle:
        exports.write_jsonl(handle)
    status, out = _verify("export", str(export), "--key", log_key, *policy)
    assert status == 0 and out.count("co-signed by") == 2, out
    processes[2].start(processes[2].port)  # back, with the state it kept

    # 3. The keeper rewrites entry 3 and re-signs with its own key: every witness refuses.
    bodies = [body.encode() for body in Entry.objects.order_by("seq").values_list("body", flat=True)]
    bodies[2] = bodies[2].replace(b'"i":2', b'"i":99')
    forged_tree = merkle.MemoryTree([merkle.leaf_hash(body) for body in bodies])
    current = checkpoints.parse(entry.payload["note"])[0]
    forged = checkpoints.Checkpoint(current.origin, len(bodies), forged_tree.root(), current.time, current.head)
    forged_note = checkpoints.sign(forged, evidence.signing_key())
    gathered = witnessing.gather(
        forged_note, len(bodies), current.size, lambda old: merkle.consistency_proof(forged_tree, old, len(bodies)),
        witnessing.parse_witnesses([(p.url, k) for p, k in zip(processes, setup["keys"], strict=True)]),
        timeout=3, retries=0,
    )  # fmt: skip
    assert [o.result for o in gathered.outcomes] == ["refused"] * 3, [o.reason for o in gathered.outcomes]
    assert all("422" in o.reason for o in gathered.outcomes)
    (tmp / "forged.txt").write_text(forged_note + "".join(gathered.lines), encoding="utf-8")
    status, out = _verify("checkpoint", str(tmp / "forged.txt"), "--key", log_key, *policy[:-2])
    assert status == 1 and "co-signed by 0 of 3" in out and "DOES NOT HOLD" in out, out

    # 4. A second tree of the same size: refused, and the witness keeps both.
    split = checkpoints.Checkpoint(
        current.origin, current.size, forged_tree.root(current.size), current.time, current.head
    )
    split_note = checkpoints.sign(split, evidence.signing_key())
    (outcome,) = witnessing.gather(
        split_note, current.size, current.size, lambda old: [],
        witnessing.parse_witnesses([(processes[0].url, setup["keys"][0])]), timeout=3, retries=0,
    ).outcomes  # fmt: skip
    assert outcome.result == "refused" and "409" in outcome.reason and "split view" in outcome.reason
    kept = service.Witness(processes[0].folder)
    assert kept.conflicts(current.origin) == [split_note]
    assert [cosignatures.parse_note(n).root for n in kept.cosigned(current.origin)][-1] == current.root
