"""Writing the ledger out for outsiders."""

from __future__ import annotations

import json
from typing import TextIO

from corridor.ledger.models import Entry


def write_jsonl(handle: TextIO, batch: int = 5000) -> int:
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
