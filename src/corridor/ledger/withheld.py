"""Reading an entry's withheld text: the audited path for the roles that see it as "[withheld]".

An auditor (``review_access``) sees that an entry holds a note or a purpose, and who wrote it; to read the
words it gives a reason, and the reading is itself an entry (``text.viewed``), like a reading of an identity.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor.accounts.roles import Can, can, require
from corridor.errors import InvalidInput, NotAllowed, NotFound
from corridor.ledger import commitments, evidence, sealing
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register.scoping import require_entry
from corridor.sensitivity import is_redacted, may_read_clinical


def _entry_read_for(seq: int, *, by: ledger.Actor, purpose: str) -> Entry:
    """Entry ``seq``, once a given reason is within bounds and ``by`` may see the entry at all.

    Reading a withheld text and giving a committed text out check the same things after their own
    "say why" refusal; each of them words that refusal for its act, so that check stays with them.
    """
    if len(purpose) > 500:
        raise InvalidInput(_("at most %(limit)s characters"), "purpose", code="withheld.purpose_too_long", limit=500)
    require_entry(by, seq)
    entry = Entry.objects.filter(seq=seq).first()
    if entry is None:
        raise NotFound(_("there is no ledger entry %(seq)s"), code="entry.not_found", seq=seq)
    return entry


def read_text(seq: int, *, by: ledger.Actor, purpose: str) -> tuple[dict[str, Any], Entry]:
    """Entry ``seq``'s whole payload, recording who read it and why (``text.viewed``) before it is returned."""
    require(by, Can.REVIEW_ACCESS)
    if not isinstance(purpose, str) or not purpose.strip():
        raise InvalidInput(_("say why you read this text"), "purpose", code="withheld.read_without_purpose")
    entry = _entry_read_for(seq, by=by, purpose=purpose)
    if not is_redacted(entry.payload, entry.type):
        raise NotFound(_("ledger entry %(seq)s holds no withheld text"), code="withheld.nothing_withheld", seq=seq)
    with transaction.atomic():
        viewed = ledger.append(
            "text.viewed",
            by=by,
            subjects=entry.subjects,
            payload={"entry": seq, "purpose": purpose.strip()},
        )
    return dict(entry.payload), viewed


TEXT_FORMAT = "corridor-text/1"


def prove_text(seq: int, key: str, *, by: ledger.Actor, purpose: str) -> dict[str, Any]:
    """A committed text of entry ``seq`` with its salt, for an outsider to check against the entry's commitment.

    ``key`` is where the text is in the payload (``note``, ``changes.note``). Giving a text out is a reading
    of it: a role that reads clinical text, or an auditor, gives a reason, recorded first (``text.proved``).
    The answer (format ``corridor-text/1``, docs/evidence.md) holds the text, its salt, the commitment, the
    entry as hashed and, when a checkpoint covers it, the entry's inclusion proof; ``corridor_verify.py
    text`` checks it without Corridor.
    """
    if not (may_read_clinical(by) or can(by, Can.REVIEW_ACCESS)):
        raise NotAllowed(
            _("only a role that reads clinical text, or an auditor, may give a text out"), code="withheld.may_not_prove"
        )
    if not isinstance(purpose, str) or not purpose.strip():
        raise InvalidInput(_("say why you give this text out"), "purpose", code="withheld.proof_without_purpose")
    entry = _entry_read_for(seq, by=by, purpose=purpose)
    committed = commitments.paths(entry.fields["payload"])
    if key not in committed:
        if not committed:
            raise NotFound(
                _("ledger entry %(seq)s holds no committed text at %(key)r (it has none)"),
                code="withheld.no_committed_text",
                seq=seq,
                key=key,
            )
        raise NotFound(
            _("ledger entry %(seq)s holds no committed text at %(key)r (it has: %(known)s)"),
            code="withheld.no_committed_text",
            seq=seq,
            key=key,
            known=", ".join(sorted(committed)),
        )
    held = sealing.opened([seq])[seq].get(key)
    if held is None:
        raise NotFound(
            _("the text at %(key)r of entry %(seq)s can no longer be read: the person it concerns was erased"),
            code="withheld.erased",
            seq=seq,
            key=key,
        )
    with transaction.atomic():
        ledger.append(
            "text.proved",
            by=by,
            subjects=entry.subjects,
            payload={"entry": seq, "key": key, "purpose": purpose.strip()},
        )
    bundle = evidence.evidence_for([seq])
    return {
        "format": TEXT_FORMAT,
        "seq": seq,
        "key": key,
        "text": held[0],
        "salt": held[1],
        "commitment": committed[key],
        "entry": entry.as_record(),
        "evidence": bundle if bundle["entries"][0]["inclusion_proof"] is not None else None,
    }
