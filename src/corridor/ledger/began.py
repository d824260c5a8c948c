"""The entry that says from where on the ledger commits its texts (``ledger.commitments_began``).

Entries already written keep the text they carry: rewriting one would change its hash and break the
chain, every checkpoint and every proof given out. So a ledger that had entries when commitments were
introduced records, once, the first entry whose body holds commitments instead of text; a ledger
started with commitments has no such entry, as none of its entries carries text.
"""

from __future__ import annotations

from corridor.ledger import services as ledger
from corridor.ledger.models import Entry

TYPE = "ledger.commitments_began"


def record_commitments_began() -> Entry | None:
    """Append the ``ledger.commitments_began`` entry if the ledger has older entries and none yet; else None."""
    if Entry.objects.filter(type=TYPE).exists():
        return None
    last = ledger.head()[0]
    if last == 0:
        return None
    # The entry itself is the first written under commitments: every entry numbered before it may carry text.
    return ledger.append(TYPE, by=None, payload={"first_entry": last + 1})
