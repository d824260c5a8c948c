"""The canonical serialisation and chain verification, without a database."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.ledger import canonical

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
texts = st.text(max_size=30)


@st.composite
def chains(draw: Any, min_size: int = 1, max_size: int = 12) -> list[dict[str, Any]]:
    size = draw(st.integers(min_size, max_size))
    prev = canonical.GENESIS_HASH
    records = []
    for seq in range(1, size + 1):
        record = {
            "certainty": draw(st.sampled_from(["confirmed", "probable", "possible", "unverified"])),
            "corrects": draw(st.none() | st.integers(1, seq)) if seq > 1 else None,
            "occurred_at": "2014-10-11T08:30:00.000000Z",
            "payload": draw(st.dictionaries(st.text(max_size=8), json_values, max_size=4)),
            "prev_hash": prev,
            "recorded_at": "2026-11-23T10:00:00.123456Z",
            "recorded_by": draw(texts),
            "seq": seq,
            "source": draw(st.sampled_from(["witness", "document", "system"])),
            "subjects": sorted(draw(st.sets(st.sampled_from(["patient:P-1", "trip:4", "site:C"])))),
            "type": draw(st.sampled_from(["trip.cancelled", "gate.held", "patient.seen"])),
            "v": 1,
        }
        record["hash"] = canonical.hash_record(record)
        prev = record["hash"]
        records.append(record)
    return records


@given(chains())
@settings(max_examples=60)
def test_the_body_is_plain_sorted_json_and_the_link_is_found_without_parsing(records: list[dict[str, Any]]) -> None:
    for record in records:
        fields = {k: v for k, v in record.items() if k != "hash"}
        reference = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonical.body_of(record) == reference
        assert hashlib.sha256(reference.encode()).hexdigest() == record["hash"]
        assert canonical.prev_hash_in(reference) == record["prev_hash"]


@given(st.dictionaries(st.text(max_size=12), json_values, max_size=5), st.text(max_size=20))
@settings(max_examples=100)
def test_no_payload_or_name_can_fake_the_prev_hash_marker(payload: dict[str, Any], name: str) -> None:
    fields = {f: None for f in canonical.FIELDS} | {
        "payload": {**payload, "prev_hash": "f" * 64, "x": ',"prev_hash":"' + "e" * 64},
        "prev_hash": "a" * 64,
        "recorded_by": name + ',"prev_hash":"' + "d" * 64,
        "subjects": [',"prev_hash":"'],
        "seq": 1,
        "v": 1,
    }
    assert canonical.prev_hash_in(canonical.canonical_json(fields)) == "a" * 64


@given(chains())
@settings(max_examples=40)
def test_an_untouched_chain_verifies_with_its_head(records: list[dict[str, Any]]) -> None:
    verdict = canonical.verify_records(records)
    assert verdict.ok
    assert verdict.count == len(records)
    assert verdict.head_hash == records[-1]["hash"]


@given(chains(min_size=2), st.data())
@settings(max_examples=80)
def test_changing_any_field_of_any_entry_is_caught_at_that_entry(records: list[dict[str, Any]], data: Any) -> None:
    index = data.draw(st.integers(0, len(records) - 1))
    field = data.draw(st.sampled_from([f for f in canonical.FIELDS if f not in ("seq", "v")]))
    record = dict(records[index])
    original = record[field]
    replacement = data.draw(
        {
            "corrects": st.none() | st.integers(1, 99),
            "payload": st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
            "subjects": st.lists(st.text(max_size=5), max_size=2),
        }.get(field, texts)
    )
    if replacement == original:
        return
    record[field] = replacement
    tampered = [*records[:index], record, *records[index + 1 :]]
    verdict = canonical.verify_records(tampered)
    assert not verdict.ok
    assert verdict.bad_seq == index + 1


@given(chains(min_size=5, max_size=5))
@settings(max_examples=10)
def test_a_removed_entry_is_named_as_missing(records: list[dict[str, Any]]) -> None:
    verdict = canonical.verify_records(records[:2] + records[3:])
    assert (verdict.ok, verdict.bad_seq) == (False, 3)
    assert "missing" in (verdict.problem or "")


def test_times_are_written_in_utc_with_microseconds() -> None:
    import datetime as dt

    moment = dt.datetime(2014, 10, 11, 11, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert canonical.format_time(moment) == "2014-10-11T08:30:00.000000Z"
    assert canonical.parse_time("2014-10-11T08:30:00.000000Z") == moment


@given(chains(min_size=3, max_size=6), st.data())
@settings(max_examples=20)
def test_a_prev_hash_with_anything_after_the_real_hash_is_a_broken_link(
    records: list[dict[str, Any]], data: Any
) -> None:
    index = data.draw(st.integers(1, len(records) - 1))
    record = dict(records[index])
    record["prev_hash"] = record["prev_hash"] + data.draw(st.text(min_size=1, max_size=3))
    record["hash"] = canonical.hash_record(record)  # a forger recomputes the entry's own hash
    verdict = canonical.verify_records([*records[:index], record])
    assert (verdict.ok, verdict.bad_seq) == (False, index + 1)


@given(st.datetimes(timezones=st.timezones() | st.just(dt.UTC)))
@settings(max_examples=300, deadline=None)
def test_ledger_times_are_written_as_strftime_wrote_them_in_every_year_and_zone(moment: dt.datetime) -> None:
    # format_time takes a faster path than strftime; the bytes it writes into bodies must not change.
    try:
        expected = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except OverflowError:  # beyond year 9999 or before year 1 once in UTC: refused alike
        with pytest.raises(OverflowError):
            canonical.format_time(moment)
        return
    assert canonical.format_time(moment) == expected
