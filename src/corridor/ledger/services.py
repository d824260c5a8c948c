"""Appending to the ledger, correcting it, and verifying it.

``append`` is called by every other service inside the same transaction as the state change it
records, so a change and its evidence are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils.translation import gettext_noop as _

from corridor import clock
from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.ledger import canonical, commitments, consequences, sealing
from corridor.ledger.catalogue import EVENT_TYPES, SUBJECT_KEYS, SUBJECT_PATTERN, Certainty, Source
from corridor.ledger.models import Entry, EntrySite, Subject
from corridor.register import scoping
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
    if value.isascii():  # most text, and it cannot hold a surrogate: no need to encode it
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(_("is not valid text (a lone surrogate)"), path, code="ledger.lone_surrogate") from None


def _check_json(value: Any, path: str) -> None:
    # Most payloads are one object of plain leaves (numbers, ASCII text without NUL, null): those are
    # passed in one loop, with no path written for each key. Anything else, or anything wrong, is
    # checked by the full walk below, which raises the refusal with its path.
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii() or "\x00" in key:
                break
            kind = type(item)
            if kind is str:
                if not item.isascii() or "\x00" in item:
                    break
            elif not (kind is int or kind is bool or item is None or (kind is float and math.isfinite(item))):
                break
        else:
            return
    _check_value(value, path)


def _check_value(value: Any, path: str) -> None:
    # The common leaves first, by exact type: every value of every payload is checked on each append.
    kind = type(value)
    if kind is int or kind is bool or value is None:
        return
    if isinstance(value, str):
        _check_text(value, path)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(_("must be a finite number"), path, code="ledger.not_finite")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(_("object keys must be text"), path, code="ledger.key_not_text")
            _check_text(key, path)
            _check_value(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, f"{path}[{index}]")
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
_ENTRY_EXISTS = "SELECT 1 FROM ledger_entry WHERE seq = %s"
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


def _lock_head_and_today(cursor: Any, vendor: str) -> tuple[int, str, dt.date]:
    """:func:`_lock_head` and Corridor's date (:func:`corridor.clock.today`) in one statement.

    Appends are hot: reading the scenario clock through the ORM took two queries per entry, more
    time than the insert itself. Read here, it is also read under the lock, like ``recorded_at``.
    """
    if vendor == "postgresql":
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
    pending = _Pending(fields, payload, subject_list, occurred_at, now, corrects)
    db = connections[DEFAULT_DB_ALIAS]
    if not held and _unwatched_sqlite(db):
        seq, body, digest = _append_raw_sqlite(db, pending)
    else:
        with transaction.atomic(), db.cursor() as cursor:
            seq, body, digest = _write(cursor, db.vendor, pending)
            if held:
                sealing.store(cursor, seq, type, subject_list, held)
    entry = _new_entry(seq, body, digest)
    entry.__dict__["_fields"] = fields
    if held:
        entry.__dict__["_payload"] = commitments.substitute(fields["payload"], {h.path: h.value for h in held}, None)
    return entry


@dataclass(slots=True)
class _Pending:
    """An entry checked by :func:`append` and not yet written: what :func:`_write` needs besides the head.

    ``fields`` holds the body's fields, its seq, prev_hash and times still blank; ``payload`` is the
    payload as committed, before any precision the clock adds.
    """

    fields: dict[str, Any]
    payload: dict[str, Any]
    subjects: list[str]
    occurred_at: dt.datetime | None
    now: dt.datetime | None
    corrects: int | None


def _new_entry(seq: int, body: str, digest: str) -> Entry:
    """``Entry(seq, body, digest)``: the same unsaved instance, made in a third of the time when no one
    listens to models being made (appends are hot).

    Django's constructor then only sets the three fields given (it leaves the generated columns unset)
    and a fresh ``_state``; any ``pre_init`` or ``post_init`` receiver, for any model, takes the
    constructor itself, so a receiver added later is never skipped.
    """
    if pre_init.receivers or post_init.receivers:
        return Entry(seq, body, digest)
    entry = Entry.__new__(Entry)
    entry.__dict__.update(_state=ModelState(), seq=seq, body=body, hash=digest)
    return entry


def _write(cursor: Any, vendor: str, pending: _Pending) -> tuple[int, str, str]:
    """Write an entry and its subject and site rows through ``cursor`` (``%s`` placeholders), inside the
    caller's transaction; return its (seq, body, hash). ``pending.fields`` is completed in place."""
    fields, occurred_at, now, corrects = pending.fields, pending.occurred_at, pending.now, pending.corrects
    if corrects is not None:
        cursor.execute(_ENTRY_EXISTS, [corrects])
        if cursor.fetchone() is None:
            raise NotFound(
                _("there is no ledger entry %(seq)s to correct"), code="ledger.no_entry_to_correct", seq=corrects
            )
    last_seq, last_hash, day = _lock_head_and_today(cursor, vendor)
    # The clock is read only once the append lock is held, so recorded_at never goes backwards
    # along the chain: an entry can then be placed against a signed checkpoint's time
    # (docs/evidence.md).
    recorded = now or dt.datetime.now(dt.UTC)
    if occurred_at is None and now is None and day != recorded.date():
        # On a scenario clock whose date is not the real one, the real time of day means nothing:
        # the event is recorded on the scenario's date with date precision.
        occurred_at = clock.start_of(day)
        fields["payload"] = {**pending.payload, "precision": "date"}
    seq = last_seq + 1
    fields["recorded_at"] = stamp = canonical.format_time(recorded)
    moment = occurred_at or clock.now_on(day, recorded)
    # Most events happen as they are recorded: the same instant, whose text is already written.
    fields["occurred_at"] = stamp if moment is recorded else canonical.format_time(moment)
    fields["seq"], fields["prev_hash"] = seq, last_hash
    body = canonical.canonical_json(fields)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    cursor.execute(_INSERT_ENTRY, [seq, body, digest])
    subject_list = pending.subjects
    if subject_list:
        # One statement for all of an entry's subjects: executemany costs a round per row.
        rows = ", ".join(["(%s, %s)"] * len(subject_list))
        cursor.execute(f"{_INSERT_SUBJECTS} {rows}", [v for key in subject_list for v in (seq, key)])
        # Which sites the entry concerns, for scoping reads (never part of the hashed body): looked
        # up and inserted in one statement, as ``sites_of_subjects`` would find them.
        lookup = scoping.sites_query(subject_list)
        if lookup is not None:
            cursor.execute(f"{_INSERT_SITES} ({lookup[0]}) AS sites", [seq, *lookup[1]])
    return seq, body, digest


def _unwatched_sqlite(db: BaseDatabaseWrapper) -> bool:
    """Whether an append may take :func:`_append_raw_sqlite`: SQLite, no transaction open (by Django or by
    hand), and no one capturing the queries (a debug log, a test counting them, an execute wrapper), as
    they would miss it."""
    return (
        db.vendor == "sqlite"
        and not db.in_atomic_block
        and not db.queries_logged
        and not db.execute_wrappers
        and db.get_autocommit()  # opens the connection if need be
        and not db.connection.in_transaction
    )


@functools.lru_cache(maxsize=256)
def _qmark(sql: str) -> str:
    """Django's ``%s`` placeholders as sqlite3's ``?``, converted once per statement text."""
    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


class _QmarkCursor:
    """A plain sqlite3 cursor that takes the same SQL as a Django cursor (``%s`` placeholders)."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(_qmark(sql), params)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()


def _append_raw_sqlite(db: BaseDatabaseWrapper, pending: _Pending) -> tuple[int, str, str]:
    """:func:`_write` in a transaction of its own, through the sqlite3 connection under Django's.

    The same statements and the same lock (``BEGIN IMMEDIATE`` takes SQLite's single write lock before
    the head is read, as ``transaction.atomic()`` does with Corridor's settings), without Django's
    transaction and cursor layers, which took more than a quarter of an append's CPU time
    (benchmarks/ledger.py). Errors are still raised as Django's. Only for an append outside any
    transaction that writes no sealed text: sealing may reach the ORM, whose ``atomic`` would commit
    this transaction half-way.
    """
    raw = db.connection
    with db.wrap_database_errors:
        cursor = raw.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            written = _write(_QmarkCursor(cursor), "sqlite", pending)
            cursor.execute("COMMIT")
        except BaseException:
            if raw.in_transaction:
                raw.rollback()
            raise
    return written


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
        _check_changes(original, changes)
        payload["changes"] = changes
    if original.type == consequences.RETRACTED:
        # By the ledger's rule (corridor.reports.obstruction.effective) a retraction is final: a fix of it
        # would be an entry that changes nothing anyone reads, yet says something was changed.
        raise Conflict(
            _("entry %(seq)s is a retraction, which stands for good: record the entry again if it was right"),
            code="ledger.retraction_final",
            seq=seq,
        )
    with transaction.atomic():
        _lock_head()  # two people retracting the same entry at once: the second sees the first's retraction
        earlier = consequences.retraction_of(seq)
        if earlier is not None:
            raise Conflict(
                _("entry %(seq)s was retracted by entry %(by)s: nothing of it stands to correct or retract"),
                code="ledger.already_retracted",
                seq=seq,
                by=earlier.seq,
            )
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


def _check_changes(original: Entry, changes: dict[str, Any]) -> None:
    """Refuse a correction that moves ``original`` to another subject, or gives it an unknown source or certainty.

    By the ledger's rule (``corridor.reports.obstruction.effective``) ``source`` and ``certainty`` in a
    correction's changes replace the entry's own, so they are held to the catalogue as an append is.
    """
    payload = original.fields["payload"]
    for subject in original.subjects:
        for key in SUBJECT_KEYS.get(subject.partition(":")[0], ()):
            if key in changes and key in payload and changes[key] != payload[key]:
                raise InvalidInput(
                    _(
                        "%(key)s names what the entry is about and cannot be corrected: "
                        "retract the entry and record it again"
                    ),
                    f"changes.{key}",
                    code="ledger.subject_fixed",
                    key=key,
                )
    for key, allowed, choices in (
        ("source", _SOURCES, Source.values),
        ("certainty", _CERTAINTIES, Certainty.values),
    ):
        if key in changes and changes[key] not in allowed:
            raise InvalidInput(
                _("must be one of %(choices)s; got %(value)r"),
                f"changes.{key}",
                code=f"ledger.unknown_{key}",
                choices=", ".join(choices),
                value=changes[key],
            )


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
    results = _check_in_children(_split(highest, count))
    prev = canonical.GENESIS_HASH
    for result in results:
        if result is None or result[0] != prev:
            return None
        prev = result[1]
    return canonical.Verdict(True, highest, prev)


# The share of an equal part that this process checks itself when the work is split: besides its
# range it forks the children, opens a connection of its own again and collects the answers, so the
# children take a little more each and all finish together. With equal ranges this process finished
# about 1 to 2 % of the whole check after its child (benchmarks/ledger.py, 300,000 entries, two processes).
_PARENT_SHARE = 0.98


def _split(highest: int, count: int) -> list[tuple[int, int]]:
    """Entries 1..highest as ``count`` contiguous ranges, the first (this process's) a little shorter."""
    mine = int(highest / count * _PARENT_SHARE)
    rest = highest - mine
    others = count - 1
    return [(1, mine)] + [(mine + 1 + rest * k // others, mine + rest * (k + 1) // others) for k in range(others)]


def _check_in_children(bounds: list[tuple[int, int]]) -> list[tuple[str, str] | None]:
    """:func:`_check_range` of each range, the first in this process and each other in a child forked for it.

    A bare fork and a pipe per child rather than a ``multiprocessing`` pool: the pool's start-up, threads
    and shut-down took as long as checking several thousand entries. A child that fails answers nothing,
    which reads as an anomaly: the caller then walks the chain itself and meets the same error.
    """
    connections.close_all()  # each child opens its own connection; none may share this one's
    children = []
    for first, last in bounds[1:]:
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: check, answer, and leave without running any of the parent's exit code
            code = 1
            try:
                os.close(reader)
                with os.fdopen(writer, "w") as answer:
                    json.dump(_check_range(first, last), answer)
                code = 0
            finally:
                os._exit(code)
        os.close(writer)
        children.append((pid, reader))
    try:
        # This process checks the first range meanwhile, rather than wait idle for a child of its own.
        mine = _check_range(*bounds[0])
    finally:  # every child is waited for, even when this process's own check failed
        answers = [_answer_of(pid, reader) for pid, reader in children]
    return [mine, *answers]


def _answer_of(pid: int, reader: int) -> tuple[str, str] | None:
    with os.fdopen(reader) as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    found = json.loads(text) if text else None
    return (str(found[0]), str(found[1])) if found else None


# One row per batch: the database joins the batch's bodies, hashes and links into three strings, so
# Python makes three objects per batch instead of four per entry (fetching rows one by one took longer
# than hashing them). No column is ever NULL in a sound ledger; coalesce keeps a NULL from vanishing
# out of a join unnoticed. SQLite before 3.44 has no ORDER BY inside group_concat, but ``seq`` is the
# rowid, and a range of rowids is read in rowid order: a sub-select with ORDER BY to make sure of it
# copied every row into a temporary table first, a third of the whole check. Should rows ever come
# in another order, the links would not match and the slow walk would take over, so order can only
# cost time, never a wrong verdict.
_RANGE_SQLITE = (
    "SELECT count(*), CAST(group_concat(coalesce(body, ''), char(10)) AS BLOB),"
    " group_concat(coalesce(hash, '-'), ','), group_concat(coalesce(prev_hash, '-'), ',')"
    " FROM ledger_entry WHERE seq >= %s AND seq <= %s"
)
_RANGE_POSTGRESQL = (
    "SELECT count(*), string_agg(coalesce(body, ''), chr(10) ORDER BY seq),"
    " string_agg(coalesce(hash, '-'), ',' ORDER BY seq), string_agg(coalesce(prev_hash, '-'), ',' ORDER BY seq)"
    " FROM ledger_entry WHERE seq >= %s AND seq <= %s"
)


def _check_range(first: int, last: int, batch: int = 2_000) -> tuple[str, str] | None:
    """Check entries first..last: (prev_hash of the first, hash of the last), or None on any anomaly.

    Each batch arrives as one row of three joined strings and is checked whole: the bodies split on
    newlines (canonical JSON escapes every newline, so a body holding one is caught by the count) and
    hashed in a list comprehension (``map`` with ``methodcaller("hexdigest")`` took a quarter longer,
    the method looked up on each call), the hex digests joined with commas and compared with the stored
    hashes joined the same way, and the links compared with the digests shifted by one. Every digest
    is 64 hex digits, so equal joins mean equal hashes one by one: a stored hash that is longer,
    shorter or holds a comma changes the join. Sequence numbers are the primary key, so a batch
    holding as many rows as its range is wide holds every one of them. A batch of two thousand
    entries (about a megabyte) stays in the processor's cache between the split and the hashing.
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
            # The raw digests written out as hex in one go, a comma between each 32 bytes: the very text
            # of their hex digests joined with commas, without a string made for each of them.
            digests = b"".join([sha256(piece).digest() for piece in pieces]).hex(",", 32)
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
