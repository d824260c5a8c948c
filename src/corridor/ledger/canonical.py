"""The ledger's canonical serialisation and chain verification: pure Python, no Django.

An entry is hashed over its canonical bytes: the JSON object of its fields with keys sorted, no
insignificant white space, UTF-8, and non-ASCII characters written as themselves::

    json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

``fields`` holds exactly: certainty, corrects (a sequence number or null), occurred_at and
recorded_at (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), payload (an object), prev_hash (hex SHA-256 of the
previous entry's canonical bytes; 64 zeros for the first), recorded_by, seq (1, 2, 3…), source,
subjects (a sorted list of ``kind:id`` strings), type, and v (the format version, 1). The entry's
hash is the hex SHA-256 of those bytes. docs/ledger.md states the same for outsiders, and the
standalone verifier re-implements it with nothing but the standard library.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64
FIELDS = (
    "certainty",
    "corrects",
    "occurred_at",
    "payload",
    "prev_hash",
    "recorded_at",
    "recorded_by",
    "seq",
    "source",
    "subjects",
    "type",
    "v",
)

_encode_string = json.encoder.py_encode_basestring  # replaced below by the C version when present
try:  # The C encoder is ~10x faster, and verification of a million entries spends its time here.
    from _json import encode_basestring as _c_encode_basestring

    _encode_string = _c_encode_basestring
except ImportError:  # pragma: no cover - CPython always ships _json
    pass


def canonical_json(value: Any) -> str:
    """JSON text of ``value`` in canonical form (sorted keys, compact, UTF-8, no NaN or infinity)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_time(moment: dt.datetime) -> str:
    """An aware datetime as the ledger writes it: UTC with microseconds and a Z."""
    if moment.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def canonical_bytes(
    *,
    seq: int,
    type: str,
    occurred_at: str,
    recorded_at: str,
    recorded_by: str,
    subjects_json: str,
    payload_json: str,
    source: str,
    certainty: str,
    corrects: int | None,
    prev_hash: str,
) -> bytes:
    """Canonical bytes from stored columns, where payload and subjects are already canonical JSON text.

    Equal to ``canonical_json`` of the same fields (a property test holds them together) but several
    times faster, because it never re-serialises the payload.
    """
    s = _encode_string
    return (
        '{"certainty":%s,"corrects":%s,"occurred_at":%s,"payload":%s,"prev_hash":%s,"recorded_at":%s,'
        '"recorded_by":%s,"seq":%d,"source":%s,"subjects":%s,"type":%s,"v":1}'
        % (
            s(certainty),
            "null" if corrects is None else "%d" % corrects,
            s(occurred_at),
            payload_json,
            s(prev_hash),
            s(recorded_at),
            s(recorded_by),
            seq,
            s(source),
            subjects_json,
            s(type),
        )
    ).encode("utf-8")


def entry_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed fields of an exported entry (a JSON object as ``corridor export ledger`` writes it)."""
    missing = [name for name in FIELDS if name not in record]
    if missing:
        raise ValueError(f"entry lacks field(s): {', '.join(missing)}")
    return {name: record[name] for name in FIELDS}


def hash_record(record: Mapping[str, Any]) -> str:
    """Hex SHA-256 over the canonical bytes of an exported entry's hashed fields."""
    return hashlib.sha256(canonical_json(entry_fields(record)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Row:
    """One stored ledger row, as verification reads it."""

    seq: int
    type: str
    occurred_at: str
    recorded_at: str
    recorded_by: str
    subjects_json: str
    payload_json: str
    source: str
    certainty: str
    corrects: int | None
    prev_hash: str
    hash: str

    def canonical(self, seq: int | None = None) -> bytes:
        return canonical_bytes(
            seq=self.seq if seq is None else seq,
            type=self.type,
            occurred_at=self.occurred_at,
            recorded_at=self.recorded_at,
            recorded_by=self.recorded_by,
            subjects_json=self.subjects_json,
            payload_json=self.payload_json,
            source=self.source,
            certainty=self.certainty,
            corrects=self.corrects,
            prev_hash=self.prev_hash,
        )


@dataclass(frozen=True)
class Verdict:
    """The result of verifying a chain: ``ok`` with the count and head, or the first bad entry and why."""

    ok: bool
    count: int
    head_hash: str
    bad_seq: int | None = None
    problem: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"ledger verified: {self.count} entries, head {self.head_hash}"
        return f"ledger broken at entry {self.bad_seq}: {self.problem}"


def verify_rows(rows: Iterable[Row]) -> Verdict:
    """Walk rows in ``seq`` order and return the verdict on the first anomaly.

    The checks, in order, for each row: its sequence number is the next one (else entries are
    missing); its hash is the SHA-256 of its canonical bytes (else it was altered; we then try the
    neighbouring sequence numbers to tell a moved entry from an edited one); its ``prev_hash`` is the
    previous entry's hash (else an entry was inserted, removed or reordered before it).
    """
    sha256 = hashlib.sha256
    expected = 1
    prev_hash = GENESIS_HASH
    before_prev = None  # the hash two back, to recognise an inserted entry
    count = 0
    for row in rows:
        if row.seq != expected:
            if row.seq > expected:
                missing = f"{expected}" if row.seq == expected + 1 else f"{expected} to {row.seq - 1}"
                return Verdict(False, count, prev_hash, expected, f"entry {missing} missing")
            return Verdict(False, count, prev_hash, row.seq, "sequence number repeated or out of order")
        digest = sha256(row.canonical()).hexdigest()
        if digest != row.hash:
            return Verdict(False, count, prev_hash, row.seq, _diagnose_bad_hash(row, prev_hash, before_prev))
        if row.prev_hash != prev_hash:
            if before_prev is not None and row.prev_hash == before_prev:
                problem = f"entry {row.seq - 1} was inserted: entry {row.seq} links past it"
                return Verdict(False, count, prev_hash, row.seq - 1, problem)
            return Verdict(
                False,
                count,
                prev_hash,
                row.seq,
                "does not link to the entry before it (reordered or inserted)",
            )
        before_prev, prev_hash = prev_hash, row.hash
        expected += 1
        count += 1
    return Verdict(True, count, prev_hash)


def _diagnose_bad_hash(row: Row, prev_hash: str, before_prev: str | None) -> str:
    sha256 = hashlib.sha256
    for shift in (-1, 1):
        if sha256(row.canonical(seq=row.seq + shift)).hexdigest() == row.hash:
            if shift == 1:
                return f"holds the content of entry {row.seq + 1}: entries were removed or reordered"
            if row.prev_hash == prev_hash:
                return "was renumbered"
            return f"holds the content of entry {row.seq - 1}: an entry was inserted or entries reordered"
    return "content does not match its hash: the entry was altered"


def verify_records(records: Iterable[Mapping[str, Any]]) -> Verdict:
    """Verify exported entries (dicts with the hashed fields plus ``hash``), as an outsider would."""
    return verify_rows(_rows_from_records(records))


def _rows_from_records(records: Iterable[Mapping[str, Any]]) -> Iterator[Row]:
    for record in records:
        fields = entry_fields(record)
        yield Row(
            seq=fields["seq"],
            type=fields["type"],
            occurred_at=fields["occurred_at"],
            recorded_at=fields["recorded_at"],
            recorded_by=fields["recorded_by"],
            subjects_json=canonical_json(fields["subjects"]),
            payload_json=canonical_json(fields["payload"]),
            source=fields["source"],
            certainty=fields["certainty"],
            corrects=fields["corrects"],
            prev_hash=fields["prev_hash"],
            hash=str(record.get("hash", "")),
        )
