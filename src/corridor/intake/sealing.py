"""Raw field submissions kept sealed: their answers are clinical and identifying text (issue #18).

A submission as a server sent it holds what was typed on a phone at the gate (a note, the circumstances of
a death, a name). It is kept only sealed, as a patient's identity is:

- under the data key of the patient it is about (the first patient among the subjects of the ledger
  entries it became, or the patient its answers name), so that erasing that patient makes it unreadable
  with the rest of their texts (:mod:`corridor.register.erasure`);
- under the install's identity key when it names no known patient (a refusal), bound to its row.

Telling a re-import from an edit needs no clear text: each answer is kept as an HMAC of its canonical JSON
(``digests``), keyed from the identity key and naming that key's id. Comparing the answers of a new copy
means computing the same HMACs. After a rotation has dropped the key an HMAC names, the sealed answers are
opened and compared instead; an erased patient's cannot be, and a copy of their submission reads as edited.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings

from corridor.ledger.canonical import canonical_json
from corridor.register import crypto

ANSWERS = "intake.importedsubmission.answers"
RECEIVED = "intake.refusal.data"
# Whose key seals a value about no known person: the install's, bound to this owner name and the anchor.
_INSTALL = "install"
_DIGEST_DOMAIN = b"corridor.intake.answers|"


def _where(context: str, anchor: str | int) -> str:
    """What a sealed value is bound to: its column and its row (an instance ID, a refusal's id)."""
    return f"{context}|{anchor}"


def seal(value: Any, context: str, anchor: str | int, person: tuple[str, int] | None) -> tuple[str, str]:
    """(owner, stored) of ``value`` sealed for one row: under ``person``'s data key (``owner`` names them,
    ``patient:12``), else under the install's key (``owner`` empty). Nothing is kept for an erased person
    (stored empty): their texts are not to be written again."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    where = _where(context, anchor)
    if person is None:
        return "", crypto.keyring().seal(text, where, 0, _INSTALL)
    kind, pk = person
    try:
        return f"{kind}:{pk}", crypto.seal_personal(text, where, pk, kind)
    except crypto.PersonErased:
        return f"{kind}:{pk}", ""


class Unreadable:
    """What opening a sealed value answers once its person was erased (or nothing was kept for them)."""

    def __repr__(self) -> str:
        return "<erased>"

    def __bool__(self) -> bool:
        return False


ERASED = Unreadable()


def open_value(stored: str, context: str, anchor: str | int, owner: str) -> Any:
    """The value :func:`seal` sealed, or :data:`ERASED`. IdentityKeyError if it was altered or moved."""
    if not stored:
        return ERASED
    where = _where(context, anchor)
    if not owner:
        return json.loads(crypto.keyring().open(stored, where, 0, _INSTALL))
    kind, _, pk = owner.partition(":")
    text = crypto.open_personal(stored, where, int(pk), kind)
    if isinstance(text, crypto.Erased):
        return ERASED
    return json.loads(text)


# ------------------------------------------------------------------------------ answers compared by HMAC


def _digest_keys() -> dict[str, bytes]:
    """Each configured identity key's id and the key its answers' HMACs are made with (the first first)."""
    return {
        crypto.key_id(key): hashlib.sha256(_DIGEST_DOMAIN + key.encode("ascii")).digest()
        for key in settings.IDENTITY_KEYS
    }


def _mac(key: bytes, value: Any) -> str:
    return hmac.new(key, canonical_json({"v": value}).encode("utf-8"), hashlib.sha256).hexdigest()


def digests(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Each answer's HMAC under the first configured key, and that key's id: what a later copy is held to."""
    kid, key = next(iter(_digest_keys().items()))
    return {"key": kid, "answers": {name: _mac(key, value) for name, value in answers.items()}}


def changed(recorded: Mapping[str, Any], answers: Mapping[str, Any]) -> list[str] | None:
    """The names of the answers that differ between ``recorded`` (:func:`digests`) and ``answers``, an
    answer missing from one side counting as an empty one; None when the key the HMACs were made with is
    no longer configured (the caller then compares the sealed answers)."""
    key = _digest_keys().get(str(recorded.get("key", "")))
    if key is None or not isinstance(recorded.get("answers"), Mapping):
        return None
    theirs: Mapping[str, str] = recorded["answers"]
    absent = _mac(key, None)
    return sorted(
        name
        for name in {*theirs, *answers}
        if not hmac.compare_digest(theirs.get(name, absent), _mac(key, answers[name]) if name in answers else absent)
    )


# ------------------------------------------------------------------------------ whose key


def person_of(subjects: Iterable[str]) -> tuple[str, int] | None:
    """(kind, row id) of the person the first patient (else companion) among ``subjects`` is, if known."""
    from corridor.register.ledger_texts import person_of_subjects

    return person_of_subjects(sorted(subjects))


def patient_codes(data: Any) -> list[str]:
    """Every patient code a submission's answers name (a ``patient_code`` at any depth), in their order."""
    codes: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if str(key).rsplit("/", 1)[-1] == "patient_code" and isinstance(inner, str):
                    codes.append(inner.strip())
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(data)
    return codes


def patient_named(data: Any) -> tuple[str, int] | None:
    """The first known patient a submission's answers name (its ``patient_code``, at any depth), if any."""
    from corridor.register.models import Patient

    for code in patient_codes(data):
        pk = Patient.objects.filter(code=code).values_list("pk", flat=True).first()
        if pk is not None:
            return "patient", int(pk)
    return None


# The columns sealed under the install's key when they name no known person: (table, column, anchor, context).
_UNOWNED = (
    ("intake_importedsubmission", "answers", "instance_id", ANSWERS),
    ("intake_refusal", "data", "id", RECEIVED),
)


def reseal_unowned(ring: crypto.Keyring) -> int:
    """Seal again under ``ring``'s first key every submission about no known person that another key sealed
    (a supply delivery's answers, a refusal naming no one), so that a rotation can drop the old key; a
    person's are under their data key. Returns how many."""
    from django.db import connection

    count = 0
    with connection.cursor() as cursor:
        for table, column, anchor, context in _UNOWNED:
            cursor.execute(f"SELECT id, {anchor}, {column} FROM {table} WHERE owner = '' AND {column} != ''")
            rows = [row for row in cursor.fetchall() if crypto.split(row[2])[1] != ring.primary]
            for pk, key, stored in rows:
                where = _where(context, key)
                fresh = ring.seal(ring.open(stored, where, 0, _INSTALL), where, 0, _INSTALL)
                cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [fresh, pk])
            count += len(rows)
    return count
