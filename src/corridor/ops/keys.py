"""Rotating the identity key.

The identity key wraps each person's data key (corridor.register.crypto): rotating it re-wraps those,
never re-encrypting an identity value. With the key generated into the data directory, Corridor rotates
it itself, in an order that is safe at every step: the new key is written in front of the old one (both
decrypt), every data key is re-wrapped under the new key in one transaction, and only then is the old
key dropped from the file. A crash at any point leaves a key file that decrypts every data key.

With a key set by ``CORRIDOR_IDENTITY_KEY`` (or ``_FILE``), the operator holds the keys: they put the
new key first and the old one after it, run the rotation, then remove the old one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop as _

from corridor import env
from corridor.accounts.roles import Can, require
from corridor.errors import InvalidInput
from corridor.files import write_atomically
from corridor.intake import sealing as intake_sealing
from corridor.ledger import services as ledger
from corridor.register.crypto import key_id, key_ids_in_use, keyring
from corridor.register.ledger_texts import reseal_unowned
from corridor.register.models import DataKey
from corridor.register.name_index import rebuild as rebuild_name_index


@dataclass(frozen=True)
class Rotation:
    rows: int
    key: str
    retired: list[str]
    origin: str
    attachments: int = 0  # stored attachment files resealed under the new key


def _write_keys(path: Path, keys: list[str]) -> None:
    write_atomically(path, "\n".join(keys) + "\n", permissions=0o600, durable=True)


def _use(keys: list[str]) -> None:
    settings.IDENTITY_KEYS = keys


def rotate() -> Rotation:
    """Re-encrypt every identity under a new key (data directory) or under the first key listed (environment)."""
    keys = list(settings.IDENTITY_KEYS)
    before = {key_id(k) for k in keys}
    if settings.IDENTITY_KEY_ORIGIN == "data-dir":
        path = Path(settings.DATA_DIR) / env.IDENTITY_KEY_FILE_NAME
        new = env.new_identity_key()
        _write_keys(path, [new, *keys])
        _use([new, *keys])
        rows, kid = reencrypt_identities(by=None)
        # A server still running may have committed a row under the old key while this ran: go again
        # until no row needs the old key, and only then drop it.
        for _round in range(3):
            if set(key_ids_in_use()) <= {kid}:
                break
            rows, kid = reencrypt_identities(by=None)
        else:
            raise InvalidInput(
                _("identity rows keep being written under the old key; stop the servers and run again"),
                code="keys.identities_still_written",
            )
        # Attachments are sealed under the same key: reseal them before the old key goes, again until
        # no upload made meanwhile by a running server still needs it.
        resealed = _reseal_attachments(kid)
        _write_keys(path, [new])
        _use([new])
        return Rotation(rows, kid, sorted(before), "data-dir", resealed)
    in_use = key_ids_in_use()
    from corridor.ledger.attachments import keys_in_use as sealed_with

    if len(keys) == 1 and set(in_use) <= {key_id(keys[0])} and set(sealed_with()) <= {key_id(keys[0])}:
        raise InvalidInput(
            _(
                "the identity key comes from CORRIDOR_IDENTITY_KEY (or _FILE) and every row already uses it: put a "
                "new key first and the current one after it (separated by a comma or a new line), run this again, "
                "then remove the old key"
            ),
            code="keys.put_a_new_key_first",
        )
    rows, kid = reencrypt_identities(by=None)
    resealed = _reseal_attachments(kid)
    return Rotation(rows, kid, sorted(before - {kid}), "environment", resealed)


def _reseal_attachments(kid: str) -> int:
    from corridor.ledger.attachments import keys_in_use, reseal_all

    total = 0
    for _round in range(3):
        total += reseal_all()
        if set(keys_in_use()) <= {kid}:
            return total
    raise InvalidInput(
        _("attachments keep being stored under the old key; stop the servers and run again"),
        code="keys.attachments_still_stored",
    )


def reencrypt_identities(*, by: Any) -> tuple[int, str]:
    """Re-wrap every person's data key under the first configured key, with an ``identity.rekeyed`` entry.

    The identity values are not touched: they are encrypted under each person's data key, which does not
    change. Returns (data keys re-wrapped, the key id now in use). Every data key is unwrapped with whichever
    configured key it needs, so this fails (writing nothing) if any needs a key that is missing. Erased
    people's keys are gone and stay gone.
    """
    require(by, Can.MANAGE_USERS)
    ring = keyring()
    before = key_ids_in_use()
    with transaction.atomic():
        rows = list(DataKey.objects.select_for_update().exclude(wrapped="").order_by("pk"))
        for row in rows:
            row.wrapped = ring.wrap(ring.unwrap(row.wrapped, row.kind, row.person_id), row.kind, row.person_id)
        for start in range(0, len(rows), 500):
            DataKey.objects.bulk_update(rows[start : start + 500], ["wrapped"])
        # The name index is keyed from the identity key too: rebuilt under the new key in the same
        # transaction, or searches by name would stop finding anyone once the old key is dropped.
        rebuild_name_index()
        # So are the ledger's texts about no person (a person's are under their data key, re-wrapped above).
        reseal_unowned(ring)
        # And the field submissions about no one known (corridor.intake.sealing).
        intake_sealing.reseal_unowned(ring)
        ledger.append(
            "identity.rekeyed",
            by=by,
            subjects=[],
            payload={
                "key": ring.primary,
                "rows": len(rows),
                "previous_keys": sorted(k for k in before if k != ring.primary),
            },
        )
    return len(rows), ring.primary
