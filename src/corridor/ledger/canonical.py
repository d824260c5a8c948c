"""The ledger's canonical serialisation and chain verification: pure Python, no Django.

An entry *is* its body: the JSON object of its fields with keys sorted, no insignificant white space,
and non-ASCII characters written as themselves, encoded as UTF-8::

    json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

``fields`` holds exactly: certainty, corrects (a sequence number or null), occurred_at and
recorded_at (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), payload (an object), prev_hash (the previous
entry's hash; 64 zeros for the first), recorded_by, seq (1, 2, 3…), source, subjects (a sorted list
of ``kind:id`` strings), type, and v (the format version, 1). The entry's hash is the hex SHA-256 of
the body's UTF-8 bytes. docs/ledger.md states the same for outsiders, and the standalone verifier
re-implements it with nothing but the standard library.
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
# Every field after prev_hash in key order is a number, an escaped string or a list of escaped strings,
# none of which can contain this marker unescaped: its last occurrence in a body is the real key.
_PREV_MARKER = ',"prev_hash":"'


# json.dumps with these options builds a new encoder on every call; every append writes a body, and one
# encoder made once gives the very same text (json.dumps is this encoder's ``encode``) in a sixth less time.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> str:
    """JSON text of ``value`` in canonical form (sorted keys, compact, UTF-8, no NaN or infinity)."""
    return _ENCODER.encode(value)


def format_time(moment: dt.datetime) -> str:
    """An aware datetime as the ledger writes it: UTC with microseconds and a Z."""
    if moment.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    utc = moment.astimezone(dt.UTC)
    if utc.year < 1000:  # strftime writes such a year without leading zeros; isoformat would pad it
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ") in a third less time: every append writes two.
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def entry_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed fields of an entry (an exported record may carry ``hash`` and more besides)."""
    missing = [name for name in FIELDS if name not in record]
    if missing:
        raise ValueError(f"entry lacks field(s): {', '.join(missing)}")
    return {name: record[name] for name in FIELDS}


def body_of(record: Mapping[str, Any]) -> str:
    """The canonical body of an entry given as a mapping of its fields."""
    return canonical_json(entry_fields(record))


def hash_body(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def prev_hash_in(body: str) -> str:
    """The prev_hash written in a body, found without parsing the whole of it."""
    at = body.rfind(_PREV_MARKER)
    if at < 0:
        return ""
    start = at + len(_PREV_MARKER)
    return body[start : start + 64]


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


def verify_rows(rows: Iterable[tuple[int, str, str]]) -> Verdict:
    """Walk (seq, body, hash) rows in ``seq`` order and return the verdict on the first anomaly.

    The checks, for each row: its sequence number is the next one (else entries are missing); its hash
    is the SHA-256 of its body (else it was altered); the prev_hash in its body is the previous
    entry's hash (else an entry was inserted, removed or reordered before it). The order of a
    chain is fixed by the links, so the seq written inside the body need not be parsed here.
    """
    sha256 = hashlib.sha256
    marker = _PREV_MARKER
    skip = len(marker)
    expected = 1
    prev_hash = GENESIS_HASH
    before_prev: str | None = None  # the hash two back, to recognise an inserted entry
    for seq, body, stored in rows:
        if seq != expected:
            if seq > expected:
                missing = f"{expected}" if seq == expected + 1 else f"{expected} to {seq - 1}"
                return Verdict(False, expected - 1, prev_hash, expected, f"entry {missing} missing")
            return Verdict(False, expected - 1, prev_hash, seq, "sequence number repeated or out of order")
        if sha256(body.encode()).hexdigest() != stored:
            return Verdict(False, expected - 1, prev_hash, seq, _diagnose_bad_hash(seq, body, stored))
        at = body.rfind(marker) + skip
        if body[at : at + 65] != prev_hash + '"':  # the quote: a longer value must not pass as the hash
            if before_prev is not None and body[at : at + 64] == before_prev:
                problem = f"entry {seq - 1} was inserted: entry {seq} links past it"
                return Verdict(False, expected - 1, prev_hash, seq - 1, problem)
            return Verdict(False, expected - 1, prev_hash, seq, _diagnose_bad_link(seq, body))
        before_prev, prev_hash = prev_hash, stored
        expected += 1
    return Verdict(True, expected - 1, prev_hash)


def _written_seq(body: str) -> int | None:
    try:
        value = json.loads(body).get("seq")
    except (json.JSONDecodeError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def _diagnose_bad_hash(seq: int, body: str, stored: str) -> str:
    return "content does not match its hash: the entry was altered"


def _diagnose_bad_link(seq: int, body: str) -> str:
    written = _written_seq(body)
    if written is not None and written != seq:
        return f"holds entry {written}: entries were reordered, removed or renumbered"
    return "does not link to the entry before it: an entry was inserted or reordered here"


def verify_records(records: Iterable[Mapping[str, Any]]) -> Verdict:
    """Verify exported entries (dicts with the hashed fields plus ``hash``), as an outsider would."""
    return verify_rows(_rows_from_records(records))


def _rows_from_records(records: Iterable[Mapping[str, Any]]) -> Iterator[tuple[int, str, str]]:
    for record in records:
        yield int(record["seq"]), body_of(record), str(record.get("hash", ""))


def hash_record(record: Mapping[str, Any]) -> str:
    """Hex SHA-256 of an entry's body, given the entry as a mapping of its fields."""
    return hash_body(body_of(record))
