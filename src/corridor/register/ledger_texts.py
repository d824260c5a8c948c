"""The register's keeper of ledger texts: seals each committed text under the key of the person it is about.

An entry about a patient (or, failing one, a companion) has its texts sealed under that person's data key,
so erasing the person (:mod:`corridor.register.erasure`) makes them unreadable with the identity; an entry
about no one in the register (an account, a checkpoint, a field submission not yet matched) is sealed
under the configured identity key, bound to the entry. Given to the ledger at start-up
(``RegisterConfig.ready``): the ledger does not import the register.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

from django.apps import apps

from corridor.register import crypto

# Whose key seals an entry's texts, by the kind of the first subject of that kind, in this order.
_PEOPLE = (("patient", "register", "Patient"), ("companion", "transfers", "Companion"))
_ENTRY = "entry"


def person_of_subjects(subjects: Sequence[str]) -> tuple[str, int] | None:
    """(kind, row id) of the person whose key seals texts about ``subjects``; None for no one in the register."""
    for kind, app, model in _PEOPLE:
        codes = [s.split(":", 1)[1] for s in subjects if s.startswith(kind + ":")]
        if codes:
            pk = apps.get_model(app, model).objects.filter(code=codes[0]).values_list("pk", flat=True).first()
            if pk is not None:
                return kind, int(pk)
    return None


class RegisterKeeper:
    def seal(self, subjects: Sequence[str], context: str, seq: int, plaintext: str) -> tuple[str, str] | None:
        person = person_of_subjects(subjects)
        if person is None:
            return "", crypto.keyring().seal(plaintext, context, seq, _ENTRY)
        kind, pk = person
        try:
            return f"{kind}:{pk}", crypto.seal_personal(plaintext, context, pk, kind)
        except crypto.PersonErased:
            return None

    def open(self, owner: str, context: str, seq: int, stored: str) -> str | None:
        if not owner:
            return crypto.keyring().open(stored, context, seq, _ENTRY)
        kind, _, pk = owner.partition(":")
        value = crypto.open_personal(stored, context, int(pk), kind)
        return None if isinstance(value, crypto.Erased) else str(value)

    def erased(self, subjects: Sequence[str]) -> bool:
        person = person_of_subjects(subjects)
        if person is None:
            return False
        kind, pk = person
        keys = apps.get_model("register", "DataKey")
        return bool(keys.objects.filter(kind=kind, person_id=pk, erased_at__isnull=False).exists())

    def reading(self) -> AbstractContextManager[None]:
        return crypto.preloaded_data_keys()


def reseal_unowned(ring: crypto.Keyring) -> int:
    """Seal again under ``ring``'s first key every ledger text about no person that another key sealed.

    Those texts are sealed under the configured identity key itself (a person's texts are under their data
    key, re-wrapped with it), so a rotation re-seals them before the old key can go. Returns how many.
    """
    from django.db import connection

    from corridor.ledger.sealing import context

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, seq, path, sealed FROM ledger_sealedtext WHERE owner = '' ORDER BY id")
        rows = [row for row in cursor.fetchall() if crypto.split(row[3])[1] != ring.primary]
        for pk, seq, path, stored in rows:
            where = context(seq, path)
            fresh = ring.seal(ring.open(stored, where, seq, _ENTRY), where, seq, _ENTRY)
            cursor.execute("UPDATE ledger_sealedtext SET sealed = %s WHERE id = %s", [fresh, pk])
    return len(rows)
