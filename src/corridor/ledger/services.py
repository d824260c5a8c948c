"""Appending to the ledger, correcting it, and verifying it.

``append`` is called by every other service inside the same transaction as the state change it
records, so a change and its evidence are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, transaction

from corridor.errors import InvalidInput, NotFound
from corridor.ledger import canonical
from corridor.ledger.catalogue import EVENT_TYPES, Certainty, Source
from corridor.ledger.models import Entry, Subject

Actor = AbstractBaseUser | AnonymousUser | str | None

_SUBJECT = re.compile(r"^[a-z_]+:[A-Za-z0-9._\-]{1,80}$")
# Any constant will do: it only has to be the same for every process appending to this database.
_PG_LOCK_KEY = 0x436F72726964  # "Corrid"


def actor_name(by: Actor) -> str:
    """How the ledger names who recorded an entry: the username, or ``system`` for scripts and loaders."""
    if by is None:
        return "system"
    if isinstance(by, str):
        return by
    if not by.is_authenticated:
        raise InvalidInput("an anonymous visitor cannot record anything", "recorded_by")
    return by.get_username()


def _check_json(value: Any, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput("must be a finite number", path)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput("object keys must be text", path)
            _check_json(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]")
    elif not isinstance(value, str | int | float | bool | type(None)):
        raise InvalidInput(f"cannot be stored in the ledger ({type(value).__name__})", path)


def _lock_head() -> tuple[int, str]:
    """Take the append lock for this transaction and return (last seq, last hash).

    SQLite's IMMEDIATE transactions already hold the single write lock from BEGIN; PostgreSQL needs a
    transaction-level advisory lock so that concurrent appenders queue instead of racing for the head.
    The unique constraint on ``prev_hash`` is the last line of defence: a fork cannot be committed.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    head = Entry.objects.order_by("-seq").values_list("seq", "hash").first()
    return head if head else (0, canonical.GENESIS_HASH)


def append(
    type: str,
    *,
    by: Actor,
    subjects: Iterable[str] = (),
    payload: dict[str, Any] | None = None,
    source: str = Source.SYSTEM,
    certainty: str = Certainty.CONFIRMED,
    occurred_at: dt.datetime | None = None,
    corrects: int | None = None,
    now: dt.datetime | None = None,
) -> Entry:
    """Append one entry and return it. Raises InvalidInput, writing nothing, on any bad field."""
    if type not in EVENT_TYPES:
        raise InvalidInput(f"unknown event type {type!r}; see the catalogue in docs/ledger.md", "type")
    if source not in Source.values:
        raise InvalidInput(f"must be one of {', '.join(Source.values)}; got {source!r}", "source")
    if certainty not in Certainty.values:
        raise InvalidInput(f"must be one of {', '.join(Certainty.values)}; got {certainty!r}", "certainty")
    subject_list = sorted(set(subjects))
    for subject in subject_list:
        if not isinstance(subject, str) or not _SUBJECT.match(subject):
            raise InvalidInput(f"{subject!r} is not of the form kind:id", "subjects")
    payload = payload or {}
    if not isinstance(payload, dict):
        raise InvalidInput("must be an object", "payload")
    _check_json(payload, "payload")
    recorded_by = actor_name(by)
    recorded = now or dt.datetime.now(dt.UTC)
    occurred = occurred_at or recorded
    if occurred.tzinfo is None:
        raise InvalidInput("must include a time zone", "occurred_at")

    with transaction.atomic():
        if corrects is not None and not Entry.objects.filter(seq=corrects).exists():
            raise NotFound(f"there is no ledger entry {corrects} to correct")
        last_seq, last_hash = _lock_head()
        row = canonical.Row(
            seq=last_seq + 1,
            type=type,
            occurred_at=canonical.format_time(occurred),
            recorded_at=canonical.format_time(recorded),
            recorded_by=recorded_by,
            subjects_json=canonical.canonical_json(subject_list),
            payload_json=canonical.canonical_json(payload),
            source=source,
            certainty=certainty,
            corrects=corrects,
            prev_hash=last_hash,
            hash="",
        )
        entry = Entry(
            seq=row.seq,
            type=row.type,
            occurred_at=row.occurred_at,
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
            subjects_json=row.subjects_json,
            payload_json=row.payload_json,
            source=row.source,
            certainty=row.certainty,
            corrects=row.corrects,
            prev_hash=row.prev_hash,
            hash=hashlib.sha256(row.canonical()).hexdigest(),
        )
        entry.save(force_insert=True)
        if subject_list:
            Subject.objects.bulk_create([Subject(entry=entry, key=key) for key in subject_list])
    return entry


def correct(
    seq: int,
    *,
    by: Actor,
    reason: str,
    changes: dict[str, Any],
    source: str,
    certainty: str,
    retract: bool = False,
) -> Entry:
    """Record a correction (or, with ``retract``, a retraction) of entry ``seq`` as a new entry.

    The original stays as it was; readers follow ``corrects`` links to see what was said later.
    """
    if not reason.strip():
        raise InvalidInput("say why the entry is corrected", "reason")
    try:
        original = Entry.objects.get(seq=seq)
    except Entry.DoesNotExist:
        raise NotFound(f"there is no ledger entry {seq}") from None
    payload: dict[str, Any] = {"reason": reason.strip(), "corrected_type": original.type}
    if not retract:
        if not changes:
            raise InvalidInput("name at least one corrected value", "changes")
        payload["changes"] = changes
    return append(
        "entry.retracted" if retract else "entry.corrected",
        by=by,
        subjects=original.subjects,
        payload=payload,
        source=source,
        certainty=certainty,
        corrects=seq,
    )


_COLUMNS = (
    "seq, type, occurred_at, recorded_at, recorded_by, subjects_json, payload_json, source, certainty, "
    "corrects, prev_hash, hash"
)


def iter_rows(batch: int = 20_000) -> Iterator[canonical.Row]:
    """Every ledger row in order, read in keyset-paginated batches so memory stays flat."""
    table = connection.ops.quote_name(Entry._meta.db_table)
    last = 0
    Row = canonical.Row
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT {_COLUMNS} FROM {table} WHERE seq > %s ORDER BY seq LIMIT %s",  # noqa: S608
                [last, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            for values in rows:
                yield Row(*values)
            last = rows[-1][0]


def verify() -> canonical.Verdict:
    """Recompute the whole chain from the stored rows."""
    return canonical.verify_rows(iter_rows())


def head() -> tuple[int, str]:
    found = Entry.objects.order_by("-seq").values_list("seq", "hash").first()
    return found if found else (0, canonical.GENESIS_HASH)


def entries_about(subject: str) -> list[Entry]:
    """Every entry concerning ``subject`` (e.g. ``patient:P-0042``), oldest first."""
    return list(Entry.objects.filter(subject_rows__key=subject).order_by("seq"))
