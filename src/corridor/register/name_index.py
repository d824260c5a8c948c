"""Search by name over encrypted names: a keyed blind index of name words, and the search itself.

A name is encrypted with a fresh nonce each time it is written, so SQL cannot compare it with
anything. Instead, each folded word of a name (:func:`corridor.register.names.tokens`) is stored as
``HMAC-SHA-256(index key, word)`` in :class:`~corridor.register.models.NameToken`. The index key is
derived from the identity key with HKDF under its own label, so it is never the key that encrypts
names, and a copy of the database without the key file cannot test guesses against the index.
The words themselves are never stored.

The register services call :func:`index_patient` (and :func:`index_companion`) wherever a name is
set or changed, in the same transaction as the name. A key rotation rebuilds the whole index under
the new key (:func:`rebuild`); until it has, a search tries every configured key.

:func:`search_by_name` is the only reader: roles that may see identities, scoped to the user's sites,
every word of the query must match, and a search that returns names is an ``identity.viewed`` entry
naming the purpose and the codes shown (never the words searched for, which are a name).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_noop as _

from corridor import validate
from corridor.accounts.roles import Actor, Can, require
from corridor.errors import InvalidInput
from corridor.ledger import services as ledger
from corridor.register.crypto import Erased, key_id, keyring
from corridor.register.models import NameToken, Patient, PatientIdentity
from corridor.register.names import tokens
from corridor.register.scoping import visible

_LABEL = b"corridor.register.name-index.v1"
# A search matching more people than this shows nobody: a common word ("محمد") would otherwise list
# a site's whole register, names included, under one purpose.
MAX_RESULTS = 50


@functools.lru_cache(maxsize=8)
def _index_key(key: str) -> bytes:
    raw = base64.urlsafe_b64decode(key.encode("ascii") + b"=" * (-len(key) % 4))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(raw)


def digest(word: str, key: str) -> str:
    """The index entry of one folded word under identity key ``key``."""
    return hmac.new(_index_key(key), word.encode("utf-8"), hashlib.sha256).hexdigest()


def digests(name: str, key: str) -> list[str]:
    """The index entries of every word of ``name`` under ``key`` (none for an empty name)."""
    return [digest(word, key) for word in tokens(name or "")]


def _primary() -> str:
    keyring()  # notices a key file rotated by another process before the first key is read
    return str(settings.IDENTITY_KEYS[0])


def _replace(owner: str, person: Any, name: str | None) -> None:
    NameToken.objects.filter(**{f"{owner}_id": person.pk}).delete()
    if name:
        key = _primary()
        NameToken.objects.bulk_create(
            NameToken(**{f"{owner}_id": person.pk}, site_id=person.site_id, digest=d, key=key_id(key))
            for d in digests(name, key)
        )


def index_patient(patient: Patient, name: str | None) -> None:
    """Make ``name`` the words a search finds ``patient`` by; ``None`` (or "") removes them.

    Called by the services that set a name, inside their transaction, so the index never disagrees
    with the name it was made from.
    """
    _replace("patient", patient, name)


def index_companion(companion: Any, name: str | None) -> None:
    """As :func:`index_patient`, for a companion on the roster."""
    _replace("companion", companion, name)


def rebuild() -> int:
    """Index every patient's and companion's name again under the current key; returns how many people.

    For a key rotation (the old key's entries would stop matching once the old key is dropped) and
    for an index that is missing. Reads every identity through the model, which opens the names.
    """
    from corridor.transfers.models import Companion, CompanionIdentity

    key = _primary()
    kid = key_id(key)
    count = 0
    with transaction.atomic():
        NameToken.objects.all().delete()
        rows: list[NameToken] = []
        for owner, people, identities in (
            ("patient", Patient.objects, PatientIdentity.objects),
            ("companion", Companion.objects, CompanionIdentity.objects),
        ):
            site_of = dict(people.values_list("pk", "site_id"))
            for identity in identities.only(f"{owner}_id", "full_name").iterator(chunk_size=2000):
                if isinstance(identity.full_name, Erased):  # an erased person is found by no name
                    continue
                person = getattr(identity, f"{owner}_id")
                rows.extend(
                    NameToken(**{f"{owner}_id": person}, site_id=site_of[person], digest=d, key=kid)
                    for d in digests(identity.full_name, key)
                )
                count += 1
        NameToken.objects.bulk_create(rows, batch_size=2000)
    return count


def _matching(owner: str, words: list[str], by: Actor) -> list[int]:
    """Ids of ``by``'s sites' ``owner`` rows whose name holds every one of ``words``, under any configured key."""
    keys = list(settings.IDENTITY_KEYS)
    tokens_here = visible(NameToken.objects.filter(**{f"{owner}__isnull": False}), by)
    # A word matches if any key's digest of it does; a row matches if it matches every word. A word's
    # digests differ per key, so count the distinct words matched, not the digests.
    found: dict[int, set[int]] = {}
    for position, word in enumerate(words):
        ids = tokens_here.filter(digest__in=[digest(word, k) for k in keys]).values_list(f"{owner}_id", flat=True)
        for owner_id in ids.distinct():
            found.setdefault(owner_id, set()).add(position)
    return [owner_id for owner_id, seen in found.items() if len(seen) == len(words)]


@dataclass(frozen=True)
class NameMatch:
    """One person a search by name found: who they are, shown with the code the rest of Corridor uses."""

    kind: str  # "patient" or "companion"
    code: str
    full_name: str
    site: str
    detail: str  # the patient's status or the companion's role, as a code


def search_by_name(*, query: str, purpose: str, by: Actor, via_token: Any = None) -> list[NameMatch]:
    """Patients and companions of ``by``'s sites whose name holds every word of ``query``.

    Only roles that may see identities search (break-glass reaches one named patient, never a
    search). The purpose is required before anything is read. When names are returned, the showing
    is an ``identity.viewed`` entry with the purpose and every code shown; the words searched for
    are not recorded, being a name. More than :data:`MAX_RESULTS` matches shows nobody.
    """
    from corridor.transfers.models import Companion, CompanionIdentity

    require(by, Can.SEE_IDENTITIES)
    words = tokens(validate.text(query, "query", required=True, max_length=200))
    if not words:
        raise InvalidInput(_("type at least one word of the name"), "query", code="search.no_word")
    purpose = validate.text(purpose, "purpose", required=True, max_length=200)
    patient_ids = _matching("patient", words, by)
    companion_ids = _matching("companion", words, by)
    patients = list(visible(Patient.objects.filter(pk__in=patient_ids).select_related("site"), by))
    companions = list(visible(Companion.objects.filter(pk__in=companion_ids).select_related("site"), by))
    if len(patients) + len(companions) > MAX_RESULTS:
        raise InvalidInput(
            _("more than %(limit)s people match; add another word of the name"),
            "query",
            code="search.too_many",
            limit=MAX_RESULTS,
        )
    if not patients and not companions:
        return []
    payload: dict[str, Any] = {
        "search": "name",
        "purpose": purpose,
        "patients": sorted(p.code for p in patients),
        "companions": sorted(c.code for c in companions),
    }
    if via_token is not None:
        payload["token"] = via_token.pk
        payload["token_issued_by"] = via_token.created_by
    with transaction.atomic():
        names = _names(PatientIdentity.objects.filter(patient__in=patients), "patient_id")
        other = _names(CompanionIdentity.objects.filter(companion__in=companions), "companion_id")
        ledger.append(
            "identity.viewed",
            by=by,
            subjects=[
                *(f"patient:{c}" for c in payload["patients"]),
                *(f"companion:{c}" for c in payload["companions"]),
            ],
            payload=payload,
        )
    found = [NameMatch("patient", p.code, names.get(p.pk, ""), p.site.code, p.status) for p in patients]
    found += [NameMatch("companion", c.code, other.get(c.pk, ""), c.site.code, c.kind) for c in companions]
    return sorted(found, key=lambda m: (m.kind != "patient", m.code))


def _names(identities: models.QuerySet[Any], owner: str) -> dict[int, str]:
    return {getattr(i, owner): i.full_name for i in identities.only(owner, "full_name")}
