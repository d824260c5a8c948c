"""Random in-memory ledgers and the standalone verifier, for the evidence tests (not a test module)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import strategies as st

from corridor.ledger import canonical, checkpoints, merkle
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry

ROOT = Path(__file__).resolve().parents[4]


def load_verifier() -> ModuleType:
    """The outsiders' verifier, loaded from its file exactly as they would run it."""
    spec = importlib.util.spec_from_file_location("corridor_verify", ROOT / "verifier" / "corridor_verify.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def minute(n: int) -> str:
    """A ledger time ``n`` minutes after a fixed start: entries and checkpoints are dated with these."""
    return f"2026-11-{1 + n // 1440:02d}T{n // 60 % 24:02d}:{n % 60:02d}:00.000000Z"


def chain_of(drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Number, link and hash draft entries (each with every field but seq, prev_hash and hash)."""
    records, prev = [], canonical.GENESIS_HASH
    for seq, draft in enumerate(drafts, 1):
        record = {**draft, "seq": seq, "prev_hash": prev, "v": 1}
        record["hash"] = canonical.hash_record(record)
        prev = record["hash"]
        records.append(record)
    return records


@st.composite
def ledgers(draw: Any, min_size: int = 1, max_size: int = 12) -> list[dict[str, Any]]:
    """A valid chain of random entries, recorded one minute apart."""
    size = draw(st.integers(min_size, max_size))
    drafts = [
        {
            "certainty": draw(st.sampled_from(["confirmed", "probable", "possible", "unverified"])),
            "corrects": draw(st.none() | st.integers(1, seq)) if seq > 1 else None,
            "occurred_at": minute(draw(st.integers(0, 2 * seq))),
            "payload": draw(st.dictionaries(st.text(max_size=6), json_values, max_size=3)),
            "recorded_at": minute(2 * seq),
            "recorded_by": draw(st.text(max_size=10)),
            "source": draw(st.sampled_from(["witness", "document", "system"])),
            "subjects": sorted(draw(st.sets(st.sampled_from(["patient:P-1", "trip:4", "site:C"])))),
            "type": draw(st.sampled_from(["trip.cancelled", "gate.held", "patient.seen"])),
        }
        for seq in range(1, size + 1)
    ]
    return chain_of(drafts)


def leaves_of(records: list[dict[str, Any]]) -> list[bytes]:
    return [merkle.leaf_hash(canonical.body_of(record).encode("utf-8")) for record in records]


def sign_at(records: list[dict[str, Any]], size: int, key: Ed25519PrivateKey, time: str | None = None) -> str:
    """A checkpoint over the first ``size`` records, as ``corridor checkpoint`` would sign it."""
    tree = merkle.MemoryTree(leaves_of(records[:size]))
    head = records[size - 1]["hash"] if size else canonical.GENESIS_HASH
    moment = time or (records[size - 1]["recorded_at"] if size else minute(0))
    origin = checkpoints.verifier_key_for(key).name
    return checkpoints.sign(checkpoints.Checkpoint(origin, size, tree.root(), moment, head), key)


def flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def held_at_the_gate(note: str, subjects: tuple[str, ...] = ("trip:7",)) -> Entry:
    """A ``gate.held`` entry whose note is committed in the ledger and sealed apart, for the sealed-text tests."""
    return ledger.append(
        "gate.held",
        by="tester",
        subjects=subjects,
        payload={"note": note, "date": "2014-10-11"},
        source="witness",
        certainty="probable",
        occurred_at=dt.datetime(2014, 10, 11, 8, tzinfo=dt.UTC),
    )


def corrected(
    entry: Entry, changes: dict[str, Any], *, by: str, reason: str, source: str = "document", retract: bool = False
) -> Entry:
    """``entry`` corrected by ``changes`` (or retracted), confirmed, as the correction tests write it.

    ``changes`` is a dict, not keywords, because a correction may change an entry's own ``reason`` or ``certainty``.
    """
    return ledger.correct(
        entry.seq, by=by, reason=reason, changes=changes, source=source, certainty="confirmed", retract=retract
    )
