"""Identity fields encrypted at rest, with a key kept outside the database.

A stored value is ``aesgcm2$KEYID$BASE64`` where BASE64 holds a random 96-bit nonce followed by the
AES-256-GCM ciphertext and tag. The additional authenticated data is the field's label and the
patient's row id (``register.patientidentity.full_name|patient:42``), so a value copied into another
column, or into another patient's row, does not decrypt: two patients' names swapped in the database
are detected, not shown. (``aesgcm1`` values, bound to the label only, were written before; migration
register 0003 re-encrypts them, and they are refused after it.)
KEYID is the first 8 hex digits of the key's SHA-256: it says which key a row needs without revealing
anything about the key.

Since register 0006 every person (a patient, a companion) has a data key of their own (envelope
encryption): their identity fields are ``aesgcm3$DKID$BASE64`` values sealed under that data key, and
the data key itself is kept in ``register.DataKey`` wrapped (``aesgcm2``) by the configured key. Erasing
a person destroys their wrapped data key (:mod:`corridor.register.erasure`): their values stay in the
database and in every copy made later, and nothing can open them any more, while nobody else's rows,
nor the ledger, change. A read of an erased person's field answers :data:`ERASED` instead of failing.

The keys come from ``settings.IDENTITY_KEYS`` (``CORRIDOR_IDENTITY_KEY`` or its ``_FILE`` variant, or
a key generated once into the data directory): the first encrypts, all of them decrypt. Rotating the
key re-wraps every data key under the first key (:func:`corridor.ops.keys.reencrypt_identities`), with
a ledger entry; the identity values themselves are not touched.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import functools
import hashlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

PREFIX = "aesgcm1"  # bound to the field only: read by migrations, never written or accepted by the model
BOUND_PREFIX = "aesgcm2"  # under the configured key, bound to the field and the person: now only data keys
PERSONAL_PREFIX = "aesgcm3"  # under the person's own data key, bound to the field and the person
DATA_KEY_CONTEXT = "register.datakey"
ERASED = "erased"


class IdentityKeyError(RuntimeError):
    """A stored identity cannot be decrypted with the keys configured (a lost or wrong key, or tampering)."""


class PersonErased(IdentityKeyError):
    """Something was to be encrypted for a person whose data key was destroyed: nothing new is kept for them."""


class Erased(str):
    """What a read of an erased person's encrypted field answers (the text ``erased``), instead of failing.

    It keeps the stored ciphertext so that saving the row again writes back the same bytes: an
    erased person's row can be saved (by a rotation, say) but never given a readable value.
    """

    stored: str

    def __new__(cls, stored: str) -> Erased:
        value = super().__new__(cls, ERASED)
        value.stored = stored
        return value


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

    def wrap(self, data_key: bytes, kind: str, person_id: int) -> str:
        """A person's data key sealed under the primary key, bound to that person (a copy moved to another
        person's row does not open there)."""
        return self.seal(base64.urlsafe_b64encode(data_key).decode("ascii"), DATA_KEY_CONTEXT, person_id, kind)

    def unwrap(self, wrapped: str, kind: str, person_id: int) -> bytes:
        return base64.urlsafe_b64decode(self.open(wrapped, DATA_KEY_CONTEXT, person_id, kind).encode("ascii"))

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
    if len(parts) != 3 or parts[0] not in (PREFIX, BOUND_PREFIX, PERSONAL_PREFIX):
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


# ------------------------------------------------------------------------------ per-person data keys

# While set (by :func:`preloaded_data_keys`), the data keys of a bulk read, so that reading every identity
# costs one query, not one per person. Never kept beyond that read: an erasure must be seen at once.
_preloaded: contextvars.ContextVar[dict[tuple[str, int], Any] | None] = contextvars.ContextVar(
    "corridor_data_keys", default=None
)


def _data_keys() -> Any:
    from django.apps import apps

    return apps.get_model("register", "DataKey")


@contextlib.contextmanager
def preloaded_data_keys() -> Iterator[None]:
    """Within the block, read every person's data key from one query (for reads of many identities)."""
    rows = {(row.kind, row.person_id): row for row in _data_keys().objects.all()}
    token = _preloaded.set(rows)
    try:
        yield
    finally:
        _preloaded.reset(token)


def _data_key_row(kind: str, person_id: int) -> Any:
    cached = _preloaded.get()
    if cached is not None and (kind, person_id) in cached:
        return cached[(kind, person_id)]
    return _data_keys().objects.filter(kind=kind, person_id=person_id).first()


def _personal_cipher(kind: str, person_id: int, *, create: bool) -> tuple[str, AESGCM] | None:
    """(key id, cipher) of the person's data key; None if it was destroyed. ``create``: make one if none."""
    row = _data_key_row(kind, person_id)
    if row is None:
        if not create:
            raise IdentityKeyError(f"a {kind}'s identity field names a data key that does not exist: altered")
        raw = AESGCM.generate_key(bit_length=256)
        # A random name, unrelated to the key: it stays in the values after the key is destroyed.
        kid = secrets.token_hex(4)
        try:
            with transaction.atomic():
                _data_keys().objects.create(
                    kind=kind, person_id=person_id, key_id=kid, wrapped=keyring().wrap(raw, kind, person_id)
                )
        except IntegrityError:  # another writer made this person's key first: use theirs
            row = _data_keys().objects.get(kind=kind, person_id=person_id)
        else:
            return kid, AESGCM(raw)
    if row.erased_at is not None or not row.wrapped:
        return None
    return row.key_id, AESGCM(keyring().unwrap(row.wrapped, kind, person_id))


def seal_personal(plaintext: str, context: str, person_id: int, kind: str = "patient") -> str:
    """``plaintext`` encrypted under the person's data key (made now if they have none), bound to the field
    and the person. Raises PersonErased for a person whose identity was erased."""
    found = _personal_cipher(kind, person_id, create=True)
    if found is None:
        raise PersonErased(f"this {kind}'s identity was erased: nothing can be kept for them again")
    kid, cipher = found
    nonce = os.urandom(12)
    sealed = cipher.encrypt(nonce, plaintext.encode("utf-8"), bound_context(context, person_id, kind).encode("utf-8"))
    return f"{PERSONAL_PREFIX}${kid}${base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def open_personal(stored: str, context: str, person_id: int, kind: str = "patient") -> str:
    """The plaintext of a value sealed for this field of this person, or :class:`Erased` if they were erased.

    IdentityKeyError if it was altered, moved from another row, or needs a key that is not configured.
    """
    prefix, kid, body = split(stored)
    if prefix != PERSONAL_PREFIX:
        raise IdentityKeyError(
            f"an identity field ({context}) is not under its {kind}'s data key: run `corridor migrate`"
        )
    found = _personal_cipher(kind, person_id, create=False)
    if found is None:
        return Erased(stored)
    own, cipher = found
    try:
        if own != kid:
            raise ValueError(kid)
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        return cipher.decrypt(raw[:12], raw[12:], bound_context(context, person_id, kind).encode("utf-8")).decode()
    except (InvalidTag, ValueError, UnicodeError):
        raise IdentityKeyError(
            f"an identity field ({context}) does not decrypt with its {kind}'s data key: altered, or moved from "
            "another person's row"
        ) from None


def _kind_of(person: models.Model) -> str:
    kind = person._meta.model_name
    if kind not in ("patient", "companion"):
        raise TypeError(f"data keys belong to patients and companions, not to a {kind}")
    return str(kind)


def encrypt_for(person: models.Model, text: str, context: str) -> str:
    """``text`` encrypted under ``person``'s data key (a Patient or a Companion), for a column of ``context``
    (such as ``transfers.trip.note``). Erasing the person makes it unreadable with their identity."""
    return seal_personal(text, context, int(person.pk), _kind_of(person))


def decrypt_for(person: models.Model, stored: str, context: str) -> str:
    """What :func:`encrypt_for` encrypted for ``person`` and ``context``: :class:`Erased` once they are erased."""
    return open_personal(stored, context, int(person.pk), _kind_of(person))


def is_erased(person: models.Model) -> bool:
    row = _data_key_row(_kind_of(person), int(person.pk))
    return row is not None and row.erased_at is not None


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
        return open_personal(self.stored, self.context, owner_id, self.owner)

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

    description = "Text encrypted with AES-256-GCM under its person's data key, bound to its person"

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
        if isinstance(value, (Sealed, Erased)):
            return Ciphertext(value.stored)
        if isinstance(value, Ciphertext):
            return value
        owner_id = getattr(model_instance, f"{self.owner}_id")
        return Ciphertext(seal_personal(str(value), self.context, owner_id, self.owner))

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (Sealed, Erased)):
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
    """How many stored values each configured-key id encrypts (read from the stored values, nothing decrypted).

    Those are the wrapped data keys, the ledger's texts about no person, plus any identity value still in an
    older format; values under a person's own data key name that data key, not a configured key, so they are
    not counted here.
    """
    from django.db import connection

    counts: dict[str, int] = {}

    def count(value: str | None) -> None:
        if not value:
            return
        try:
            prefix, kid, _ = split(value)
        except IdentityKeyError:
            prefix, kid = "", "unencrypted"
        if prefix != PERSONAL_PREFIX:
            counts[kid] = counts.get(kid, 0) + 1

    for model in identity_models():
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in encrypted_fields(model))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {table}")
            for row in cursor.fetchall():
                for value in row:
                    count(value)
    for wrapped in _data_keys().objects.exclude(wrapped="").values_list("wrapped", flat=True):
        count(wrapped)
    # Ledger texts about no person are sealed under the configured key itself (corridor.register.ledger_texts).
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM ledger_sealedtext WHERE owner = ''")
        for (sealed,) in cursor.fetchall():
            count(sealed)
        # So are field submissions about no one known (corridor.intake.sealing).
        cursor.execute(
            "SELECT answers FROM intake_importedsubmission WHERE owner = ''"
            " UNION ALL SELECT data FROM intake_refusal WHERE owner = ''"
        )
        for (sealed,) in cursor.fetchall():
            count(sealed)
    return counts


def seal_column(connection: BaseDatabaseWrapper, table: str, column: str, owner: str, context: str) -> None:
    """Encrypt a column kept in the clear until now under each row's patient's data key (for migrations).

    Plain SQL, as the other identity migrations: the historical model cannot seal. A value already under a
    data key is left as it is, so the step can be re-run. The text of a patient erased before the column was
    encrypted is sealed under a key made for it and thrown away at once: it reads "erased" like the rest of
    their texts, and is out of the clear.
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {quote(owner)}, {quote(column)} FROM {quote(table)} ORDER BY id")
        for pk, person_id, value in cursor.fetchall():
            if value is None or value.startswith(PERSONAL_PREFIX + "$"):
                continue
            try:
                sealed = seal_personal(value, context, person_id)
            except PersonErased:
                nonce = os.urandom(12)
                data = bound_context(context, person_id).encode("utf-8")
                body = AESGCM(AESGCM.generate_key(bit_length=256)).encrypt(nonce, value.encode("utf-8"), data)
                sealed = f"{PERSONAL_PREFIX}${secrets.token_hex(4)}${base64.urlsafe_b64encode(nonce + body).decode()}"
            cursor.execute(f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s", [sealed, pk])


def open_column(connection: BaseDatabaseWrapper, table: str, column: str, owner: str, context: str) -> None:
    """Undo :func:`seal_column`: each value back in the clear; an erased patient's is left empty (unknown)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {quote(owner)}, {quote(column)} FROM {quote(table)} ORDER BY id")
        for pk, person_id, value in cursor.fetchall():
            if value is None or not value.startswith(PERSONAL_PREFIX + "$"):
                continue
            plain = open_personal(value, context, person_id)
            text = "" if isinstance(plain, Erased) else str(plain)
            cursor.execute(f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s", [text, pk])
