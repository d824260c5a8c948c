"""Reading an entry's withheld text: the audited path for the roles that see it as "[withheld]".

An auditor (``review_access``) sees that an entry holds a note or a purpose, and who wrote it; to read the
words it gives a reason, and the reading is itself an entry (``text.viewed``), like a reading of an identity.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from corridor.accounts.roles import Can, require
from corridor.errors import InvalidInput, NotFound
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register.scoping import require_entry
from corridor.sensitivity import is_redacted


def read_text(seq: int, *, by: ledger.Actor, purpose: str) -> tuple[dict[str, Any], Entry]:
    """Entry ``seq``'s whole payload, recording who read it and why (``text.viewed``) before it is returned."""
    require(by, Can.REVIEW_ACCESS)
    if not isinstance(purpose, str) or not purpose.strip():
        raise InvalidInput("say why you read this text", "purpose")
    if len(purpose) > 500:
        raise InvalidInput("at most 500 characters", "purpose")
    require_entry(by, seq)
    entry = Entry.objects.filter(seq=seq).first()
    if entry is None:
        raise NotFound(f"there is no ledger entry {seq}")
    if not is_redacted(entry.payload, entry.type):
        raise NotFound(f"ledger entry {seq} holds no withheld text")
    with transaction.atomic():
        viewed = ledger.append(
            "text.viewed",
            by=by,
            subjects=entry.subjects,
            payload={"entry": seq, "purpose": purpose.strip()},
        )
    return dict(entry.payload), viewed
