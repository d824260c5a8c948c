"""Writing the ledger out for outsiders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from corridor.files import write_atomically
from corridor.ledger.models import Entry


def write_jsonl(handle: IO[str], batch: int = 5000, *, reader: Any = None) -> int:
    """Write every entry as one JSON object a line (hashed fields plus ``hash``); return the count.

    With a ``reader`` (an account), only the entries of its sites, each redacted for its role as the API
    gives them (a redacted record says ``"redacted": true`` and no longer hashes to ``hash``).
    """
    from corridor import sensitivity
    from corridor.register.scoping import visible

    entries = Entry.objects.all() if reader is None else visible(Entry.objects.all(), reader)
    count = 0
    last = 0
    while True:
        chunk = list(entries.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return count
        for entry in chunk:
            record = entry.as_record() if reader is None else sensitivity.entry_record(entry, reader)
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        count += len(chunk)
        last = chunk[-1].seq


def checkpoint_for_export() -> dict[str, Any]:
    """The sidecar of a full export: the latest signed checkpoint and the key to check it with.

    Taken before the export is written, so the export holds at least the entries it covers; refused
    (Conflict, nothing written) if no checkpoint has been signed yet. A full export needs no per-entry
    proof: the verifier rebuilds the Merkle tree from every entry and compares its root with the signed one.
    """
    from corridor.errors import Conflict
    from corridor.errors import template as _
    from corridor.ledger.evidence import export_evidence

    bundle = export_evidence()
    if bundle["checkpoint"] is None:
        raise Conflict(
            _("no checkpoint has been signed yet: run corridor checkpoint first"), code="evidence.no_checkpoint"
        )
    return bundle


def write_evidence_sidecar(export: Path, bundle: dict[str, Any]) -> Path:
    """Write ``bundle`` as ``EXPORT.evidence.json`` beside the export, whole or not at all."""
    target = export.with_name(export.name + ".evidence.json")
    write_atomically(target, json.dumps(bundle, ensure_ascii=False, indent=1) + "\n")
    return target


def redact_evidence(bundle: dict[str, Any], reader: Any) -> dict[str, Any]:
    """An evidence bundle (``corridor-evidence/1``) with each entry as ``reader`` may read it.

    For a role without read_clinical an entry with withheld text says ``"redacted": true``: its proof then
    checks only against the whole entry, which such a reader obtains through the audited reading
    (``text.viewed``). The system account (``None``) and roles that read clinical text get it unchanged.
    """
    from corridor import sensitivity

    if sensitivity.may_read_clinical(reader):
        return bundle
    items = bundle["entries"]
    found = {e.seq: e for e in Entry.objects.filter(seq__in=[item["entry"]["seq"] for item in items])}
    return {
        **bundle,
        "entries": [{**item, "entry": sensitivity.entry_record(found[item["entry"]["seq"]], reader)} for item in items],
    }
