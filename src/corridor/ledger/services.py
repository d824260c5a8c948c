"""Appending to the ledger, correcting it, and verifying it.

``append`` is called by every other service inside the same transaction as the state change it
records, so a change and its evidence are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, connections, transaction
from django.utils.translation import gettext_noop as _

from corridor import clock
from corridor.errors import InvalidInput, NotFound
from corridor.ledger import canonical, commitments, consequences, sealing
from corridor.ledger.catalogue import EVENT_TYPES, SUBJECT_PATTERN, Certainty, Source
from corridor.ledger.models import Entry, EntrySite, Subject
from corridor.sensitivity import EVENT_KEYS, KEYS, OPAQUE, RESTRICTED, key_class

Actor = AbstractBaseUser | AnonymousUser | str | None

# Django builds ``Choices.values`` anew on every access; appends check them on every entry.
_SOURCES = frozenset(Source.values)
_CERTAINTIES = frozenset(Certainty.values)
_SUBJECT = re.compile(SUBJECT_PATTERN)
# Any constant will do: it only has to be the same for every process appending to this database.
_PG_LOCK_KEY = 0x436F72726964  # "Corrid"


def actor_name(by: Actor) -> str:
    """How the ledger names who recorded an entry: the username, or ``system`` for scripts and loaders."""
    if by is None:
        return "system"
    if isinstance(by, str):
        return by
    if not by.is_authenticated:
        raise InvalidInput(_("an anonymous visitor cannot record anything"), "recorded_by", code="ledger.anonymous")
    return by.get_username()


def _check_text(value: str, path: str) -> None:
    # PostgreSQL's jsonb (behind the generated columns) refuses NUL, and UTF-8 cannot hold a lone surrogate.
    if "\x00" in value:
        raise InvalidInput(_("must not contain a NUL character"), path, code="ledger.nul_character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(_("is not valid text (a lone surrogate)"), path, code="ledger.lone_surrogate") from None


def _check_json(value: Any, path: str) -> None:
    if isinstance(value, str):
        _check_text(value, path)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(_("must be a finite number"), path, code="ledger.not_finite")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(_("object keys must be text"), path, code="ledger.key_not_text")
            _check_text(key, path)
            _check_json(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]")
    elif not isinstance(value, str | int | float | bool | type(None)):
        raise InvalidInput(
            _("cannot be stored in the ledger (%(kind)s)"), path, code="ledger.not_storable", kind=type(value).__name__
        )


# The keys whose text is committed: clinical or identifying by the class table, or for one event only.
_RESTRICTED_KEYS = frozenset(key for key, cls in KEYS.items() if cls in RESTRICTED)
_EVENT_KEYS = frozenset(event for event, _ in EVENT_KEYS)


def _restricted(event: str) -> Callable[[str], bool]:
    """Whether a payload key of an ``event`` entry holds clinical or identifying text (to be committed)."""
    if event not in _EVENT_KEYS:  # most events: a set lookup per key
        return _RESTRICTED_KEYS.__contains__

    def restricted(key: str) -> bool:
        return key_class(event, key) in RESTRICTED

    return restricted


_INSERT_ENTRY = "INSERT INTO ledger_entry (seq, body, hash) VALUES (%s, %s, %s)"
_INSERT_SUBJECTS = "INSERT INTO ledger_subject (entry_id, key) VALUES"
_INSERT_SITES = "INSERT INTO ledger_entrysite (entry_id, site_id) SELECT DISTINCT %s, site_ref FROM"
_HEAD = "SELECT seq, hash FROM ledger_entry ORDER BY seq DESC LIMIT 1"
_HEAD_AND_TODAY = (
    "SELECT (SELECT seq FROM ledger_entry ORDER BY seq DESC LIMIT 1),"
    " (SELECT hash FROM ledger_entry ORDER BY seq DESC LIMIT 1),"
    f" ({clock.SCENARIO_TODAY_SQL})"
)


def lock() -> tuple[int, str]:
    """Take the ledger's append lock until the current transaction ends; return (last seq, last hash).

    For work that must see a stable head across several appends (an import checking for duplicates,
    a checkpoint), called inside ``transaction.atomic()``.
    """
    return _lock_head()


def _lock_head() -> tuple[int, str]:
    """Take the append lock for this transaction and return (last seq, last hash).

    SQLite's IMMEDIATE transactions already hold the single write lock from BEGIN; PostgreSQL needs a
    transaction-level advisory lock so that concurrent appenders queue instead of racing for the head.
    The unique constraint on ``prev_hash`` is the last line of defence: a fork cannot be committed.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        cursor.execute(_HEAD)
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else (0, canonical.GENESIS_HASH)


def _lock_head_and_today(cursor: Any) -> tuple[int, str, dt.date]:
    """:func:`_lock_head` and Corridor's date (:func:`corridor.clock.today`) in one statement.

    Appends are hot: reading the scenario clock through the ORM took two queries per entry, more
    time than the insert itself. Read here, it is also read under the lock, like ``recorded_at``.
    """
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    cursor.execute(_HEAD_AND_TODAY)
    seq, digest, scenario_today = cursor.fetchone()
    day = clock.today_from(scenario_today)
    return (int(seq), str(digest), day) if seq is not None else (0, canonical.GENESIS_HASH, day)


def append(
    type: str,
    *,
    by: Actor,
    subjects: Iterable[str] = (),
    payload: dict[str, Any] | None = None,
    source: str = Source.SYSTEM,
    certainty: str = Certainty.CONFIRMED,
    occurred_at: dt.datetime | None = None,
    occurred_on: dt.date | None = None,
    corrects: int | None = None,
    now: dt.datetime | None = None,
) -> Entry:
    """Append one entry and return it. Raises InvalidInput, writing nothing, on any bad field.

    ``occurred_on`` records an event known only by its date: it is stored with date precision (the
    payload says ``"precision": "date"``, ``occurred_at`` holds midday UTC only to sort by) and shown
    as "time not recorded", never as a made-up hour. Without either, the event happened now; on a
    scenario clock whose date is not the real one, the real time of day means nothing there, so the
    event is recorded on the scenario's date with date precision.
    """
    if type not in EVENT_TYPES:
        raise InvalidInput(
            _("unknown event type %(type)r; see the catalogue in docs/ledger.md"),
            "type",
            code="ledger.unknown_type",
            type=type,
        )
    if source not in _SOURCES:
        raise InvalidInput(
            _("must be one of %(choices)s; got %(value)r"),
            "source",
            code="ledger.unknown_source",
            choices=", ".join(Source.values),
            value=source,
        )
    if certainty not in _CERTAINTIES:
        raise InvalidInput(
            _("must be one of %(choices)s; got %(value)r"),
            "certainty",
            code="ledger.unknown_certainty",
            choices=", ".join(Certainty.values),
            value=certainty,
        )
    subject_list = sorted(set(subjects))
    for subject in subject_list:
        if not isinstance(subject, str) or not _SUBJECT.match(subject):
            raise InvalidInput(
                _("%(subject)r is not of the form kind:id"), "subjects", code="ledger.bad_subject", subject=subject
            )
    payload = payload or {}
    if not isinstance(payload, dict):
        raise InvalidInput(_("must be an object"), "payload", code="ledger.payload_not_object")
    if occurred_on is not None:
        if occurred_at is not None:
            raise InvalidInput(_("give the moment or the date, not both"), "occurred_at", code="ledger.moment_and_date")
        occurred_at = clock.start_of(occurred_on)
        payload = {**payload, "precision": "date"}
    _check_json(payload, "payload")
    # Clinical and identifying text leaves the hashed body here: the body holds its commitment, and the text
    # is sealed apart once the entry's number is known (docs/ledger.md, "Commitments").
    payload, held = commitments.commit(payload, _restricted(type), OPAQUE)
    recorded_by = actor_name(by)
    if (occurred_at or now or dt.datetime.now(dt.UTC)).tzinfo is None:
        raise InvalidInput(_("must include a time zone"), "occurred_at", code="ledger.naive_time")

    fields = {
        "certainty": certainty,
        "corrects": corrects,
        "occurred_at": "",
        "payload": payload,
        "prev_hash": "",
        "recorded_at": "",
        "recorded_by": recorded_by,
        "seq": 0,
        "source": source,
        "subjects": subject_list,
        "type": type,
        "v": canonical.FORMAT_VERSION,
    }
    with transaction.atomic():
        if corrects is not None and not Entry.objects.filter(seq=corrects).exists():
            raise NotFound(
                _("there is no ledger entry %(seq)s to correct"), code="ledger.no_entry_to_correct", seq=corrects
            )
        # Raw SQL through one cursor: the ORM would re-read the generated columns after the insert,
        # and appends are hot (benchmarks/ledger.py holds them against raw SQLite inserts).
        with connection.cursor() as cursor:
            last_seq, last_hash, day = _lock_head_and_today(cursor)
            # The clock is read only once the append lock is held, so recorded_at never goes backwards
            # along the chain: an entry can then be placed against a signed checkpoint's time
            # (docs/evidence.md).
            recorded = now or dt.datetime.now(dt.UTC)
            if occurred_at is None and now is None and day != recorded.date():
                # On a scenario clock whose date is not the real one, the real time of day means nothing:
                # the event is recorded on the scenario's date with date precision.
                occurred_at = clock.start_of(day)
                fields["payload"] = {**payload, "precision": "date"}
            fields["recorded_at"] = canonical.format_time(recorded)
            fields["occurred_at"] = canonical.format_time(occurred_at or clock.now_on(day, recorded))
            fields["seq"], fields["prev_hash"] = last_seq + 1, last_hash
            body = canonical.canonical_json(fields)
            digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
            cursor.execute(_INSERT_ENTRY, [last_seq + 1, body, digest])
            if subject_list:
                # One statement for all of an entry's subjects: executemany costs a round per row.
                rows = ", ".join(["(%s, %s)"] * len(subject_list))
                cursor.execute(f"{_INSERT_SUBJECTS} {rows}", [v for key in subject_list for v in (last_seq + 1, key)])
                # Which sites the entry concerns, for scoping reads (never part of the hashed body): looked
                # up and inserted in one statement, as ``sites_of_subjects`` would find them.
                from corridor.register.scoping import sites_query

                lookup = sites_query(subject_list)
                if lookup is not None:
                    cursor.execute(f"{_INSERT_SITES} ({lookup[0]}) AS sites", [last_seq + 1, *lookup[1]])
            if held:
                sealing.store(cursor, last_seq + 1, type, subject_list, held)
    # Positional arguments in the model's field order (seq, body, hash): Django's keyword path took
    # twice as long, and appends are hot.
    entry = Entry(last_seq + 1, body, digest)
    entry.__dict__["_fields"] = fields
    if held:
        entry.__dict__["_payload"] = commitments.substitute(fields["payload"], {h.path: h.value for h in held}, None)
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

    The original stays as it was; readers follow ``corrects`` links to see what was said later. The
    state rows that the original set are brought in line with it as it now stands, in the same
    transaction (:mod:`corridor.ledger.consequences`): if that is refused, no correction is written.
    """
    if not reason.strip():
        raise InvalidInput(_("say why the entry is corrected"), "reason", code="ledger.correction_without_reason")
    try:
        original = Entry.objects.get(seq=seq)
    except Entry.DoesNotExist:
        raise NotFound(_("there is no ledger entry %(seq)s"), code="ledger.no_entry", seq=seq) from None
    payload: dict[str, Any] = {"reason": reason.strip(), "corrected_type": original.type}
    if not retract:
        if not changes:
            raise InvalidInput(_("name at least one corrected value"), "changes", code="ledger.no_changes")
        payload["changes"] = changes
    with transaction.atomic():
        entry = append(
            "entry.retracted" if retract else "entry.corrected",
            by=by,
            subjects=original.subjects,
            payload=payload,
            source=source,
            certainty=certainty,
            corrects=seq,
        )
        consequences.apply(original, entry)
    return entry


def iter_rows(batch: int = 20_000) -> Iterator[tuple[int, str, str]]:
    """Every ledger row as (seq, body, hash), in order, in keyset-paginated batches so memory stays flat."""
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT seq, body, hash FROM ledger_entry WHERE seq > %s ORDER BY seq LIMIT %s", [last, batch]
            )
            rows = cursor.fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]


def verify(
    *, deep: bool = False, workers: int | None = None, checkpoint_files: Sequence[Path] = ()
) -> canonical.Verdict:
    """Recompute the whole chain from the stored rows, then hold it against every signed checkpoint.

    The checkpoints are those recorded in the ledger, the files in the data directory's
    ``checkpoints`` folder and ``checkpoint_files``: a chain rewritten and recomputed behind the
    database's back verifies on its own, but contradicts a checkpoint signed before the rewrite
    (``corridor.ledger.guards``).

    ``deep`` also checks that each body is canonical JSON with exactly the documented fields, that
    the subject index matches the bodies, and that each checkpoint's Merkle root is the bodies' tree:
    slower, for audits rather than routine checks. ``workers`` splits a large ledger's hashing across
    processes (default: one per core, for ledgers of more than ``PARALLEL_FROM`` entries, when no
    transaction is open).
    """
    verdict = None if deep else _fast_verify(workers)
    if verdict is None:  # an anomaly somewhere, or a deep check: walk the chain to name the first bad entry
        verdict = canonical.verify_rows(iter_rows())
    if verdict.ok:
        from django.conf import settings

        from corridor.ledger import guards

        verdict = guards.check_against_checkpoints(
            guards.django_query(), verdict, data_dir=Path(settings.DATA_DIR), extra=checkpoint_files, deep=deep
        )
    if not verdict.ok or not deep:
        return verdict
    for seq, body, _sealed in iter_rows():
        problem = _deep_problem(seq, body)
        if problem:
            return canonical.Verdict(False, verdict.count, verdict.head_hash, seq, problem)
    return verdict


PARALLEL_FROM = 200_000


def _fast_verify(workers: int | None = None) -> canonical.Verdict | None:
    """The routine check of the whole chain, or None at the first sign of trouble.

    Python hashes every body and compares each entry's prev_hash (a column the database generates
    from the body) with the previous entry's hash, so no body is parsed here. The order is proven by
    the links and contiguity by the sequence numbers. On any anomaly the caller walks the chain again
    slowly to name the first bad entry and say what is wrong with it.

    Hashing a million bodies is CPU-bound, so a large ledger is split into contiguous ranges checked
    by this process and forked ones; each reports the prev_hash of its first entry and the hash of its last,
    and the ranges must join up.
    """
    highest = head()[0]
    count = workers if workers is not None else (os.cpu_count() or 1) if highest >= PARALLEL_FROM else 1
    if count <= 1 or highest < count or connection.in_atomic_block:
        result = _check_range(1, highest)
        return (
            None
            if result is None
            else canonical.Verdict(True, highest, result[1] if highest else canonical.GENESIS_HASH)
        )
    bounds = [(1 + highest * k // count, highest * (k + 1) // count) for k in range(count)]
    connections.close_all()  # each forked worker opens its own connection
    context = multiprocessing.get_context("fork")
    with context.Pool(count - 1) as pool:
        others = pool.starmap_async(_check_range, bounds[1:])
        # This process checks the first range meanwhile, rather than wait idle for a worker of its own.
        results = [_check_range(*bounds[0]), *others.get()]
    prev = canonical.GENESIS_HASH
    for result in results:
        if result is None or result[0] != prev:
            return None
        prev = result[1]
    return canonical.Verdict(True, highest, prev)


# One row per batch: the database joins the batch's bodies, hashes and links into three strings, so
# Python makes three objects per batch instead of four per entry (fetching rows one by one took longer
# than hashing them). No column is ever NULL in a sound ledger; coalesce keeps a NULL from vanishing
# out of a join unnoticed. SQLite before 3.44 has no ORDER BY inside group_concat: the sub-select's
# order is kept because a sub-select with ORDER BY under an aggregate is never flattened, and were it
# not kept the links would not match and the slow walk would take over, so order can only cost time.
_RANGE_SQLITE = (
    "SELECT count(*), CAST(group_concat(coalesce(body, ''), char(10)) AS BLOB),"
    " group_concat(coalesce(hash, '-'), ','), group_concat(coalesce(prev_hash, '-'), ',')"
    " FROM (SELECT body, hash, prev_hash FROM ledger_entry WHERE seq >= %s AND seq <= %s ORDER BY seq)"
)
_RANGE_POSTGRESQL = (
    "SELECT count(*), string_agg(coalesce(body, ''), chr(10) ORDER BY seq),"
    " string_agg(coalesce(hash, '-'), ',' ORDER BY seq), string_agg(coalesce(prev_hash, '-'), ',' ORDER BY seq)"
    " FROM ledger_entry WHERE seq >= %s AND seq <= %s"
)


def _check_range(first: int, last: int, batch: int = 4_000) -> tuple[str, str] | None:
    """Check entries first..last: (prev_hash of the first, hash of the last), or None on any anomaly.

    Each batch arrives as one row of three joined strings and is checked whole: the bodies split on
    newlines (canonical JSON escapes every newline, so a body holding one is caught by the count) and
    hashed in a list comprehension (``map`` with ``methodcaller("hexdigest")`` took a quarter longer,
    the method looked up on each call), the hex digests joined with commas and compared with the stored
    hashes joined the same way, and the links compared with the digests shifted by one. Every digest
    is 64 hex digits, so equal joins mean equal hashes one by one: a stored hash that is longer,
    shorter or holds a comma changes the join. Sequence numbers are the primary key, so a batch
    holding as many rows as its range is wide holds every one of them. A batch of a few thousand
    entries stays in the processor's cache between the split and the hashing.
    """
    if last < first:
        return (canonical.GENESIS_HASH, canonical.GENESIS_HASH)
    sha256 = hashlib.sha256
    query = _RANGE_SQLITE if connection.vendor == "sqlite" else _RANGE_POSTGRESQL
    expected, start, prev = first, "", ""
    with connection.cursor() as cursor:
        while expected <= last:
            hi = min(last, expected + batch - 1)
            cursor.execute(query, [expected, hi])
            count, bodies, hashes, links = cursor.fetchone()
            if count != hi - expected + 1:
                return None
            if isinstance(bodies, str):
                bodies = bodies.encode("utf-8")
            pieces = bodies.split(b"\n")
            if len(pieces) != count:
                return None
            digests = ",".join([sha256(piece).hexdigest() for piece in pieces])
            if expected == first:
                start = prev = links.partition(",")[0]
            if digests != hashes or f"{prev},{digests}"[:-65] != links:
                return None
            prev = digests[-64:]
            expected = hi + 1
    return start, prev


def _deep_problem(seq: int, body: str) -> str | None:
    try:
        fields = json.loads(body)
    except json.JSONDecodeError:
        return "body is not JSON"
    if not isinstance(fields, dict) or sorted(fields) != sorted(canonical.FIELDS):
        return "body does not have exactly the documented fields"
    if canonical.canonical_json(fields) != body:
        return "body is not in canonical form"
    if fields["seq"] != seq:
        return f"body says it is entry {fields['seq']}"
    indexed = sorted(Subject.objects.filter(entry_id=seq).values_list("key", flat=True))
    if indexed != fields["subjects"]:
        return "the subject index does not match the body"
    # Who may read the entry follows from its site rows: a row removed would show another site's entry
    # to users who do not work there (docs/roles.md, "Sites"), so they are held to the subjects too.
    from corridor.register.scoping import sites_of_subjects

    sited = sorted(EntrySite.objects.filter(entry_id=seq).values_list("site_id", flat=True))
    if sited != sorted(sites_of_subjects(fields["subjects"])):
        return "the site index does not match the sites of the body's subjects"
    return None


def head() -> tuple[int, str]:
    found = Entry.objects.order_by("-seq").values_list("seq", "hash").first()
    return found if found else (0, canonical.GENESIS_HASH)


def entries_about(subject: str) -> list[Entry]:
    """Every entry concerning ``subject`` (e.g. ``patient:P-0042``), oldest first."""
    return list(Entry.objects.filter(subject_rows__key=subject).order_by("seq"))
