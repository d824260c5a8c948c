"""Writing the ledger out for outsiders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from corridor.files import write_atomically
from corridor.ledger.models import Entry


def write_jsonl(handle: IO[str], batch: int = 5000) -> int:
    """Write every entry as one JSON object a line (hashed fields plus ``hash``); return the count."""
    count = 0
    last = 0
    while True:
        chunk = list(Entry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return count
        for entry in chunk:
            handle.write(json.dumps(entry.as_record(), ensure_ascii=False, sort_keys=True) + "\n")
        count += len(chunk)
        last = chunk[-1].seq


def checkpoint_for_export() -> dict[str, Any]:
    """The sidecar of a full export: the latest signed checkpoint and the key to check it with.

    Taken before the export is written, so the export holds at least the entries it covers; refused
    (Conflict, nothing written) if no checkpoint has been signed yet. A full export needs no per-entry
    proof: the verifier rebuilds the Merkle tree from every entry and compares its root with the signed one.
    """
    from corridor.errors import Conflict
    from corridor.ledger.evidence import export_evidence

    bundle = export_evidence()
    if bundle["checkpoint"] is None:
        raise Conflict("no checkpoint has been signed yet: run corridor checkpoint first")
    return bundle


def write_evidence_sidecar(export: Path, bundle: dict[str, Any]) -> Path:
    """Write ``bundle`` as ``EXPORT.evidence.json`` beside the export, whole or not at all."""
    target = export.with_name(export.name + ".evidence.json")
    write_atomically(target, json.dumps(bundle, ensure_ascii=False, indent=1) + "\n")
    return target
