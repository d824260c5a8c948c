"""The ledger refuses edits, and verification names the entry that was tampered with behind its back."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from corridor.errors import InvalidInput, NotFound
from corridor.ledger import canonical
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.ledger.tests.tampering import sql as _sql

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten_entries() -> list[Entry]:
    return [
        ledger.append(
            "incident.recorded",
            by="tester",
            subjects=[f"site:S{i}"],
            payload={"n": i, "text": "غزة"},
            source="witness",
            certainty="probable",
            occurred_at=dt.datetime(2014, 10, i + 1, 8, tzinfo=dt.UTC),
        )
        for i in range(10)
    ]


def _drop_triggers() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER ledger_entry_no_update")
            cursor.execute("DROP TRIGGER ledger_entry_no_delete")
            cursor.execute("DROP TRIGGER ledger_subject_no_update")
            cursor.execute("DROP TRIGGER ledger_subject_no_delete")
        else:
            cursor.execute("DROP TRIGGER ledger_entry_append_only ON ledger_entry")
            cursor.execute("DROP TRIGGER ledger_subject_append_only ON ledger_subject")


@pytest.fixture
def no_triggers() -> Iterator[None]:
    # DDL is transactional on both databases: the test's rollback restores the triggers.
    _drop_triggers()
    yield


def test_entries_chain_from_the_genesis_hash(ten_entries: list[Entry]) -> None:
    assert ten_entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(ten_entries, ten_entries[1:], strict=False))
    verdict = ledger.verify()
    assert verdict.ok and verdict.count == 10 and verdict.head_hash == ten_entries[-1].hash


def test_the_database_refuses_an_update(ten_entries: list[Entry]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Entry.objects.filter(seq=3).update(body="{}")
    assert Entry.objects.get(seq=3).type == "incident.recorded"


def test_the_database_refuses_a_delete(ten_entries: list[Entry]) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("DELETE FROM ledger_entry WHERE seq = 3")
    assert Entry.objects.count() == 10


def _rewrite_body(seq: int, **changes: object) -> None:
    entry = Entry.objects.get(seq=seq)
    fields = {**entry.fields, **changes}
    _sql("UPDATE ledger_entry SET body = %s WHERE seq = %s", [canonical.canonical_json(fields), seq])


@pytest.mark.parametrize(
    "field, value",
    [
        ("type", "trip.approved"),
        ("occurred_at", "2014-10-01T08:00:00.000000Z"),
        ("recorded_by", "someone"),
        ("subjects", ["site:X"]),
        ("payload", {"n": 99, "text": "غزة"}),
        ("source", "document"),
        ("certainty", "confirmed"),
        ("corrects", 1),
        ("recorded_at", "2030-01-01T00:00:00.000000Z"),
    ],
)
def test_verify_names_an_entry_edited_behind_the_triggers(
    ten_entries: list[Entry], no_triggers: None, field: str, value: object
) -> None:
    _rewrite_body(6, **{field: value})
    verdict = ledger.verify()
    assert (verdict.ok, verdict.bad_seq) == (False, 6)
    assert "altered" in (verdict.problem or "")


def test_verify_names_an_entry_whose_hash_was_replaced(ten_entries: list[Entry], no_triggers: None) -> None:
    _sql("UPDATE ledger_entry SET hash = %s WHERE seq = 7", ["b" * 64])
    assert (ledger.verify().bad_seq, ledger.verify().problem) == (
        7,
        "content does not match its hash: the entry was altered",
    )


@pytest.mark.parametrize("column", ["type", "source", "prev_hash", "corrects"])
def test_the_searchable_columns_cannot_be_written_apart_from_the_body(
    ten_entries: list[Entry], no_triggers: None, column: str
) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql(f"UPDATE ledger_entry SET {column} = NULL WHERE seq = 6")
    entry = Entry.objects.get(seq=6)
    assert (entry.type, entry.source) == ("incident.recorded", "witness")


def test_a_deep_verification_catches_a_rewritten_subject_index(ten_entries: list[Entry], no_triggers: None) -> None:
    assert ledger.verify(deep=True).ok
    _sql("UPDATE ledger_subject SET key = 'site:ELSEWHERE' WHERE entry_id = 3")
    assert ledger.verify().ok  # the chain itself is intact …
    deep = ledger.verify(deep=True)
    assert (deep.ok, deep.bad_seq, deep.problem) == (False, 3, "the subject index does not match the body")


def test_verify_names_a_deleted_entry(ten_entries: list[Entry], no_triggers: None) -> None:
    _sql("DELETE FROM ledger_subject WHERE entry_id = 4")
    _sql("DELETE FROM ledger_entry WHERE seq = 4")
    verdict = ledger.verify()
    assert (verdict.ok, verdict.bad_seq) == (False, 4)
    assert "missing" in (verdict.problem or "")


def test_verify_names_swapped_entries(ten_entries: list[Entry], no_triggers: None) -> None:
    # Swap entries 5 and 6 wholesale while keeping the sequence numbers in place.
    a, b = Entry.objects.get(seq=5), Entry.objects.get(seq=6)
    _sql("UPDATE ledger_entry SET hash = 'h', body = %s WHERE seq = 5", ['{"prev_hash":"p"}'])  # make room
    _sql("UPDATE ledger_entry SET body = %s, hash = %s WHERE seq = 6", [a.body, a.hash])
    _sql("UPDATE ledger_entry SET body = %s, hash = %s WHERE seq = 5", [b.body, b.hash])
    verdict = ledger.verify()
    assert (verdict.ok, verdict.bad_seq) == (False, 5)
    assert "holds entry 6" in (verdict.problem or "")


def _forge_after(seq: int, prev_hash: str) -> str:
    """Renumber the entries after ``seq`` up by one and insert a self-consistent forged entry in the gap."""
    _sql("DELETE FROM ledger_subject WHERE entry_id > %s", [seq])
    last = Entry.objects.order_by("-seq").first()
    assert last is not None
    for number in range(last.seq, seq, -1):
        _sql("UPDATE ledger_entry SET seq = %s WHERE seq = %s", [number + 1, number])
    before = Entry.objects.get(seq=seq)
    forged = {
        **before.fields,
        "seq": seq + 1,
        "type": "trip.approved",
        "recorded_by": "forger",
        "payload": {},
        "subjects": [],
        "prev_hash": prev_hash,
    }
    body = canonical.canonical_json(forged)
    forged_hash = hashlib.sha256(body.encode()).hexdigest()
    _sql("INSERT INTO ledger_entry (seq, body, hash) VALUES (%s, %s, %s)", [seq + 1, body, forged_hash])
    return forged_hash


def test_verify_names_an_inserted_entry(ten_entries: list[Entry], no_triggers: None) -> None:
    _forge_after(4, prev_hash="f" * 64)
    verdict = ledger.verify()
    assert (verdict.ok, verdict.bad_seq) == (False, 5)
    assert "inserted" in (verdict.problem or "")


def test_the_database_refuses_a_second_entry_linking_to_the_same_predecessor(
    ten_entries: list[Entry], no_triggers: None
) -> None:
    # A forged entry that links correctly to entry 4 would fork the chain: the unique prev_hash refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        _forge_after(4, prev_hash=ten_entries[3].hash)


def test_a_correction_is_a_new_entry_pointing_at_the_old_one(ten_entries: list[Entry]) -> None:
    fix = ledger.correct(
        3, by="tester", reason="wrong date", changes={"date": "2014-10-05"}, source="witness", certainty="confirmed"
    )
    assert fix.seq == 11 and fix.corrects == 3 and fix.type == "entry.corrected"
    assert Entry.objects.get(seq=3).payload == {"n": 2, "text": "غزة"}
    retraction = ledger.correct(
        4, by="tester", reason="duplicate report", changes={}, source="witness", certainty="confirmed", retract=True
    )
    assert retraction.type == "entry.retracted" and retraction.subjects == ["site:S3"]
    assert ledger.verify().ok


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"type": "trip.teleported"}, "type"),
        ({"source": "rumour"}, "source"),
        ({"certainty": "sure"}, "certainty"),
        ({"subjects": ["P-0042"]}, "subjects"),
        ({"payload": {"x": float("nan")}}, "payload.x"),
        ({"payload": {"when": dt.date(2014, 1, 1)}}, "payload.when"),
        ({"payload": {"note": "gate\x00closed"}}, "payload.note"),
        ({"payload": {"note": "\ud800"}}, "payload.note"),
        ({"occurred_at": dt.datetime(2014, 1, 1)}, "occurred_at"),
    ],
)
def test_bad_input_to_append_is_refused_and_writes_nothing(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {
        "type": "incident.recorded",
        "by": "tester",
        "subjects": ["site:S"],
        "payload": {},
        **kwargs,
    }
    with pytest.raises(InvalidInput) as caught:
        ledger.append(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert Entry.objects.count() == 0


def test_correcting_an_entry_that_does_not_exist_is_refused() -> None:
    with pytest.raises(NotFound):
        ledger.correct(42, by="tester", reason="x", changes={"a": 1}, source="witness", certainty="confirmed")
    assert Entry.objects.count() == 0


def test_a_patients_timeline_lists_only_entries_about_them(ten_entries: list[Entry]) -> None:
    assert [e.seq for e in ledger.entries_about("site:S3")] == [4]


@pytest.mark.parametrize("batch", [1, 3, 10, 50_000])
def test_the_fast_check_joins_its_batches_and_finds_a_gap_or_a_changed_hash_in_any_of_them(
    ten_entries: list[Entry], no_triggers: None, batch: int
) -> None:
    assert ledger._check_range(1, 10, batch) == ("0" * 64, ten_entries[-1].hash)
    assert ledger._check_range(4, 9, batch) == (ten_entries[3].prev_hash, ten_entries[8].hash)
    _sql("UPDATE ledger_entry SET hash = %s WHERE seq = 8", ["c" * 64])
    assert ledger._check_range(1, 10, batch) is None
    _sql("UPDATE ledger_entry SET hash = %s WHERE seq = 8", [ten_entries[7].hash])
    _sql("DELETE FROM ledger_subject WHERE entry_id = 5")
    _sql("DELETE FROM ledger_entry WHERE seq = 5")
    assert ledger._check_range(1, 10, batch) is None


@pytest.mark.parametrize("batch", [1, 4, 50_000])
def test_the_fast_check_finds_a_stored_hash_whose_digits_moved_into_the_next_though_the_hashes_joined_agree(
    ten_entries: list[Entry], no_triggers: None, batch: int
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's varchar(64) refuses the longer hash, so no digit can move across")
    seventh, eighth = ten_entries[6].hash, ten_entries[7].hash
    _sql("UPDATE ledger_entry SET hash = %s WHERE seq = 7", [seventh[:-2]])
    _sql("UPDATE ledger_entry SET hash = %s WHERE seq = 8", [seventh[-2:] + eighth])
    assert ledger._check_range(1, 10, batch) is None
    verdict = ledger.verify()
    assert not verdict.ok and verdict.bad_seq == 7


@pytest.mark.parametrize("batch", [1, 4, 50_000])
def test_the_fast_check_hands_a_body_holding_a_new_line_to_the_slow_walk_which_names_it_not_canonical(
    ten_entries: list[Entry], no_triggers: None, batch: int
) -> None:
    # The bodies of a batch come joined by new lines; canonical JSON never holds one, so a body that
    # does, even with its hash recomputed to match, cannot be split back as one body.
    body = ten_entries[9].body.replace("{", "{\n", 1)
    _sql(
        "UPDATE ledger_entry SET body = %s, hash = %s WHERE seq = 10",
        [body, hashlib.sha256(body.encode()).hexdigest()],
    )
    assert ledger._check_range(1, 10, batch) is None
    assert ledger._check_range(1, 9, batch) == ("0" * 64, ten_entries[8].hash)
    verdict = ledger.verify(deep=True)
    assert not verdict.ok and verdict.bad_seq == 10 and verdict.problem == "body is not in canonical form"
