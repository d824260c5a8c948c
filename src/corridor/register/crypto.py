"""Identity fields encrypted at rest, with a key kept outside the database.

A stored value is ``aesgcm2$KEYID$BASE64`` where BASE64 holds a random 96-bit nonce followed by the
AES-256-GCM ciphertext and tag. The additional authenticated data is the field's label and the
patient's row id (``register.patientidentity.full_name|patient:42``), so a value copied into another
column, or into another patient's row, does not decrypt: two patients' names swapped in the database
are detected, not shown. (``aesgcm1`` values, bound to the label only, were written before; migration
register 0003 re-encrypts them, and they are refused after it.)
KEYID is the first 8 hex digits of the key's SHA-256: it says which key a row needs without revealing
anything about the key.

The keys come from ``settings.IDENTITY_KEYS`` (``CORRIDOR_IDENTITY_KEY`` or its ``_FILE`` variant, or
a key generated once into the data directory): the first encrypts, all of them decrypt. Rotating the
key re-encrypts every row under the first key (:func:`corridor.ops.keys.reencrypt_identities`), with a ledger entry.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

PREFIX = "aesgcm1"  # bound to the field only: read by migrations, never written or accepted by the model
BOUND_PREFIX = "aesgcm2"  # bound to the field and the patient


class IdentityKeyError(RuntimeError):
    """A stored identity cannot be decrypted with the keys configured (a lost or wrong key, or tampering)."""


def key_id(key: str) -> str:
    """The public name of a key: the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:8]


@dataclass(frozen=True)
class Keyring:
    primary: str
    ciphers: dict[str, AESGCM]

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self.ciphers[self.primary].encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return f"{PREFIX}${self.primary}${base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def seal(self, plaintext: str, context: str, patient_id: int, owner: str = "patient") -> str:
        """``plaintext`` encrypted for one field of one person's identity row (a patient's, a companion's)."""
        nonce = os.urandom(12)
        data = bound_context(context, patient_id, owner).encode("utf-8")
        sealed = self.ciphers[self.primary].encrypt(nonce, plaintext.encode("utf-8"), data)
        return f"{BOUND_PREFIX}${self.primary}${base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def open(self, stored: str, context: str, patient_id: int, owner: str = "patient") -> str:
        """The plaintext of a value sealed for this field of this person; IdentityKeyError otherwise."""
        if split(stored)[0] != BOUND_PREFIX:
            raise IdentityKeyError(f"an identity field ({context}) is not bound to its {owner}: run `corridor migrate`")
        return self._decrypt(stored, bound_context(context, patient_id, owner), context)

    def decrypt(self, stored: str, context: str) -> str:
        """An ``aesgcm1`` value (bound to its field only): for migrations."""
        if split(stored)[0] != PREFIX:
            raise IdentityKeyError(f"an identity field ({context}) is not in the format {PREFIX}")
        return self._decrypt(stored, context, context)

    def _decrypt(self, stored: str, data: str, context: str) -> str:
        prefix, kid, body = split(stored)
        cipher = self.ciphers.get(kid)
        if cipher is None:
            raise IdentityKeyError(
                f"an identity field was encrypted with key {kid}, which is not configured; set "
                "CORRIDOR_IDENTITY_KEY (or restore the identity_key file) to the key used when it was written"
            )
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
            return cipher.decrypt(raw[:12], raw[12:], data.encode("utf-8")).decode("utf-8")
        except (InvalidTag, ValueError, UnicodeError):
            raise IdentityKeyError(
                f"an identity field ({context}) does not decrypt with key {kid}: altered, or moved from another "
                "patient's row"
            ) from None


def bound_context(context: str, owner_id: int, owner: str = "patient") -> str:
    """The associated data of one field of one person's identity (``owner`` names the row it belongs to)."""
    return f"{context}|{owner}:{int(owner_id)}"


def split(stored: str) -> tuple[str, str, str]:
    """(format, key id, body) of a stored value; IdentityKeyError if it is not an encrypted value."""
    parts = stored.split("$")
    if len(parts) != 3 or parts[0] not in (PREFIX, BOUND_PREFIX):
        raise IdentityKeyError("an identity field is stored unencrypted; run `corridor migrate`")
    return parts[0], parts[1], parts[2]


@functools.lru_cache(maxsize=8)
def _keyring(keys: tuple[str, ...]) -> Keyring:
    ciphers = {}
    for key in keys:
        raw = base64.urlsafe_b64decode(key.encode("ascii") + b"=" * (-len(key) % 4))
        ciphers[key_id(key)] = AESGCM(raw)
    return Keyring(primary=key_id(keys[0]), ciphers=ciphers)


_key_file_seen: dict[str, int] = {}


def _follow_key_file() -> None:
    """With the key kept in the data directory, notice a rotation made by another process.

    ``corridor rotate-identity-key`` rewrites the file while servers may be running; a server that
    kept using the old key would write rows no key in the file can read once the old key is dropped.
    """
    if getattr(settings, "IDENTITY_KEY_ORIGIN", "") != "data-dir":
        return
    from corridor import env

    path = os.path.join(settings.DATA_DIR, env.IDENTITY_KEY_FILE_NAME)
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return
    seen = _key_file_seen.setdefault(path, mtime)
    if mtime != seen:
        _key_file_seen[path] = mtime
        settings.IDENTITY_KEYS = env.identity_keys(settings.DATA_DIR)[0]


def keyring() -> Keyring:
    """The keyring for the keys configured now (cached per set of keys, so tests may override them)."""
    _follow_key_file()
    keys = tuple(settings.IDENTITY_KEYS)
    if not keys:
        raise IdentityKeyError("no identity key is configured")
    return _keyring(keys)


class Sealed:
    """A stored value as read from the database, not yet opened: the model opens it with its patient id.

    Anything that reads these columns without the model (``values_list``) gets this, which shows
    nothing, rather than a name.
    """

    __slots__ = ("context", "owner", "stored")

    def __init__(self, stored: str, context: str, owner: str = "patient") -> None:
        self.stored = stored
        self.context = context
        self.owner = owner

    def open(self, owner_id: int) -> str:
        return keyring().open(self.stored, self.context, owner_id, self.owner)

    def __repr__(self) -> str:
        return f"<sealed {self.context}>"


class Ciphertext(str):
    """A value already sealed for its row, passed to the database as it is."""


class EncryptedTextField(models.TextField):
    """A text column whose values the database only ever sees encrypted, each bound to its row's patient.

    The field encrypts in ``pre_save``, where it sees the row (and so the patient id); the model opens
    the values it loads (:meth:`corridor.register.models.PatientIdentity.from_db`). Lookups other than
    ``isnull`` cannot work on it (every encryption of a value differs), so the register never filters
    or orders by these fields, and a plaintext written without its row (``update()``) is refused.
    """

    description = "Text encrypted with AES-256-GCM, bound to its patient"

    def __init__(self, *args: Any, owner: str = "patient", **kwargs: Any) -> None:
        # The foreign key naming whose identity the row is ("patient", "companion"): the value is bound
        # to that row's id. Not a column property, so it stays out of deconstruct() and the migrations.
        self.owner = owner
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        self.context = f"{cls._meta.label_lower}.{name}"

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Sealed | None:
        if value is None:
            return None
        return Sealed(value, self.context, self.owner)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if value is None:
            return None
        if isinstance(value, Sealed):
            return Ciphertext(value.stored)
        if isinstance(value, Ciphertext):
            return value
        owner_id = getattr(model_instance, f"{self.owner}_id")
        return Ciphertext(keyring().seal(str(value), self.context, owner_id, self.owner))

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return value.stored
        if isinstance(value, Ciphertext):
            return str(value)
        raise IdentityKeyError(
            f"{self.context} is written through the model's save(), which binds it to its patient; not with update()"
        )




def identity_models() -> list[type[models.Model]]:
    """Every model that keeps identity fields (patients', companions'), found by their encrypted fields."""
    from django.apps import apps

    return [m for m in apps.get_models() if any(isinstance(f, EncryptedTextField) for f in m._meta.fields)]


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.fields if isinstance(f, EncryptedTextField)]


def key_ids_in_use() -> dict[str, int]:
    """How many identity values each key id encrypts (read from the stored values, nothing decrypted)."""
    from django.db import connection

    counts: dict[str, int] = {}
    for model in identity_models():
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in encrypted_fields(model))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {table}")
            for row in cursor.fetchall():
                for value in row:
                    if value is None:
                        continue
                    try:
                        kid = split(value)[1]
                    except IdentityKeyError:
                        kid = "unencrypted"
                    counts[kid] = counts.get(kid, 0) + 1
    return counts
