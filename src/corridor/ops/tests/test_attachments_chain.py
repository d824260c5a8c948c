"""Attachments through the evidence chain, run as an operator would: `corridor attach`, `prove entry
--attachments`, the outsiders' verifier, `backup` and `restore` with the store, and `verify --deep`
finding one flipped byte."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from corridor.ledger.tests import samples
from corridor.ops.testing import corridor, migrated_install, python

ROOT = Path(__file__).resolve().parents[4]

SEED = """
from corridor.ledger import services as ledger
print(ledger.append("incident.recorded", by="seed", subjects=["site:GATE"], payload={}, source="witness").seq)
"""


def _verifier(*args: str) -> subprocess.CompletedProcess[str]:
    script = ROOT / "verifier" / "corridor_verify.py"
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.database  # a database of its own: also run in the PostgreSQL pass
def test_attached_files_are_proved_backed_up_restored_and_checked_byte_for_byte(tmp_path: Path) -> None:
    photo = samples.photo_with_metadata()
    (tmp_path / "IMG_0001.jpg").write_bytes(photo)
    digest = hashlib.sha256(photo).hexdigest()
    with migrated_install(tmp_path) as (url, data, variables):
        seq = int(python(SEED, variables).strip())
        attached = corridor(
            ["attach", str(seq), str(tmp_path / "IMG_0001.jpg"), "--source", "media", "--certainty", "confirmed"],
            variables,
        )
        assert f"sha256 {digest}" in attached.stdout and "image/jpeg" in attached.stdout
        corridor(["checkpoint"], variables)
        handed = tmp_path / "handed-over"
        corridor(
            ["prove", "entry", str(seq), "--out", str(tmp_path / "bundle.json"), "--attachments", str(handed)],
            variables,
        )
        assert (handed / digest[:2] / digest).read_bytes() == photo
        key = corridor(["checkpoint", "--print-key"], variables).stdout.strip()
        checked = _verifier("evidence", str(tmp_path / "bundle.json"), "--key", key, "--attachments", str(handed))
        assert checked.returncode == 0 and "attachments: 1 intact" in checked.stdout, checked.stdout
        sealed_store = _verifier(
            "evidence", str(tmp_path / "bundle.json"), "--key", key, "--attachments", str(data / "attachments")
        )
        assert sealed_store.returncode == 2 and "sealed copy" in sealed_store.stderr

        out = tmp_path / "corridor.backup"
        made = corridor(["backup", "--out", str(out)], variables)
        assert "attachment store copied" in made.stdout
        assert (tmp_path / "corridor.backup.attachments" / digest[:2] / digest).is_file()

        stored = data / "attachments" / digest[:2] / digest
        stored.chmod(0o600)
        damaged = bytearray(stored.read_bytes())
        damaged[len(damaged) // 2] ^= 0x01  # one flipped bit in the middle of the sealed photo
        stored.write_bytes(bytes(damaged))
        deep = corridor(["verify", "--deep"], variables, check=False)
        assert deep.returncode == 1 and f"attachment {digest} is damaged" in deep.stderr
        assert corridor(["verify"], variables).returncode == 0  # the chain itself is intact

        restored = corridor(["restore", str(out), "--replace"], variables)
        assert "every attached file matches its hash" in restored.stdout
        assert corridor(["verify", "--deep"], variables).returncode == 0

        for path in (data / "attachments").rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                path.chmod(0o600)
                path.unlink()
        (tmp_path / "corridor.backup.attachments" / digest[:2] / digest).chmod(0o600)
        (tmp_path / "corridor.backup.attachments" / digest[:2] / digest).unlink()
        broken = corridor(["restore", str(out), "--replace"], variables, check=False)
        assert broken.returncode == 1 and f"attachment {digest} is missing" in broken.stderr
