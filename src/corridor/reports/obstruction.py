"""Obstruction counted in full: ledger entries in, incidents out.

Pure: no Django here. The catalogue below maps the events the ledger holds onto the types of the
WHO Surveillance System for Attacks on Health Care (SSA): a permit denied, a request left without an
answer by the appointment date, a trip cancelled by the authority, a hold at the gate over a
threshold, a trip turned back, an arrival after the hospital closed, a companion (escort,
interpreter, nurse) rejected, a delivery blocked or cut, and every incident a monitor recorded with
its own SSA type (violence, abduction, removal of assets…).

Every incident is derived from the entries *as they stand*: :func:`effective` drops retracted
entries and applies each ``entry.corrected`` entry's changes in order, and every indicator that
reads the ledger goes through it, so a corrected cancellation counts as corrected everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from corridor.reports import ssa, strings

CORRECTED, RETRACTED = "entry.corrected", "entry.retracted"
DEFAULT_HOLD_THRESHOLD_HOURS = 2.0
AUTHORITY = "authority"
REJECTED = "rejected"


@dataclass(frozen=True)
class Record:
    """One ledger entry as the catalogue reads it (the hashed fields only)."""

    seq: int
    type: str
    occurred_at: str
    payload: dict[str, Any]
    source: str
    certainty: str
    subjects: tuple[str, ...] = ()
    corrects: int | None = None
    corrected_by: tuple[int, ...] = ()
    recorded_by: str = ""
    recorded_at: str = ""

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> Record:
        """A record from an entry's hashed fields (``Entry.fields`` or an exported body)."""
        return cls(
            seq=int(fields["seq"]),
            type=str(fields["type"]),
            occurred_at=str(fields["occurred_at"]),
            payload=dict(fields.get("payload") or {}),
            source=str(fields.get("source") or ""),
            certainty=str(fields.get("certainty") or ""),
            subjects=tuple(fields.get("subjects") or ()),
            corrects=fields.get("corrects"),
            recorded_by=str(fields.get("recorded_by") or ""),
            recorded_at=str(fields.get("recorded_at") or ""),
        )

    @property
    def day(self) -> str:
        """The day the entry is about: its payload's ``date`` (a trip's date) or, failing that, when it occurred."""
        value = self.payload.get("date")
        if isinstance(value, str) and len(value) == 10:
            return value
        return self.occurred_at[:10]

    @property
    def trip(self) -> str | None:
        for subject in self.subjects:
            if subject.startswith("trip:"):
                return subject[5:]
        value = self.payload.get("trip")
        return None if value is None else str(value)

    @property
    def patients(self) -> tuple[str, ...]:
        return tuple(s[8:] for s in self.subjects if s.startswith("patient:"))


def effective(records: Iterable[Record]) -> list[Record]:
    """The records as they stand: retracted ones left out, corrections applied in ledger order.

    A correction's ``changes`` may set payload fields and the entry's own ``certainty`` and
    ``source``. A retracted correction is ignored. The corrections and retractions themselves are
    not returned; each corrected record lists them in ``corrected_by``.
    """
    ordered = sorted(records, key=lambda r: r.seq)
    retracted = {r.corrects for r in ordered if r.type == RETRACTED and r.corrects is not None}
    changes: dict[int, list[Record]] = {}
    for record in ordered:
        if record.type == CORRECTED and record.corrects is not None and record.seq not in retracted:
            changes.setdefault(record.corrects, []).append(record)
    out = []
    for record in ordered:
        if record.type in (CORRECTED, RETRACTED) or record.seq in retracted:
            continue
        fixes = changes.get(record.seq)
        if fixes:
            payload, source, certainty = dict(record.payload), record.source, record.certainty
            for fix in fixes:
                for key, value in (fix.payload.get("changes") or {}).items():
                    if key == "certainty":
                        certainty = str(value)
                    elif key == "source":
                        source = str(value)
                    else:
                        payload[key] = value
            record = replace(
                record,
                payload=payload,
                source=source,
                certainty=certainty,
                corrected_by=tuple(f.seq for f in fixes),
            )
        out.append(record)
    return out


# ------------------------------------------------------------------------------------------ catalogue


@dataclass(frozen=True)
class Kind:
    """One kind of obstruction: its SSA attack type and resource, and the ledger events it is read from."""

    code: str
    attack_type: str
    resource: str
    events: tuple[str, ...]
    rule: str


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("permit_denied", "obstruction", "patients", ("trip.denied",), "every trip.denied entry"),
        Kind(
            "no_answer",
            "obstruction",
            "patients",
            ("trip.requested",),
            "a requested trip with no trip.approved or trip.denied entry on or before its date, not cancelled "
            "by then, its date on or before the as-of date",
        ),
        Kind(
            "cancelled_by_authority",
            "obstruction",
            "transport",
            ("trip.cancelled",),
            "a trip.cancelled entry whose cancelled_by is authority",
        ),
        Kind(
            "held_at_gate",
            "obstruction",
            "transport",
            ("gate.released",),
            "a gate.released entry whose hours_held reach the threshold (CORRIDOR_GATE_HOLD_THRESHOLD_MINUTES)",
        ),
        Kind("turned_back", "obstruction", "transport", ("gate.turned_back",), "every gate.turned_back entry"),
        Kind(
            "arrived_after_closing",
            "obstruction",
            "patients",
            ("trip.arrived",),
            "a trip.arrived entry marked late (after the hospital's closing time that day)",
        ),
        Kind(
            "companion_rejected",
            "obstruction",
            "personnel",
            ("trip.companion_answered",),
            "a trip.companion_answered entry whose answer is rejected (an escort, interpreter or nurse refused)",
        ),
        Kind("delivery_blocked", "obstruction", "supplies", ("supply.blocked",), "every supply.blocked entry"),
        Kind(
            "delivery_cut",
            "obstruction",
            "supplies",
            ("supply.partly_allowed",),
            "every supply.partly_allowed entry (part of a delivery held back)",
        ),
        Kind(
            "recorded",
            "",
            "",
            ("incident.recorded",),
            "every incident.recorded entry, with the SSA type and resource it was recorded with",
        ),
    )
}
EVENT_TYPES: tuple[str, ...] = tuple(sorted({e for k in KINDS.values() for e in k.events}))
# Entries read to decide whether a request was answered or cancelled in time.
CONTEXT_TYPES: tuple[str, ...] = ("trip.approved", "trip.cancelled", "trip.denied")
READ_TYPES: tuple[str, ...] = tuple(sorted(set(EVENT_TYPES) | set(CONTEXT_TYPES)))


@dataclass(frozen=True)
class Incident:
    """One obstruction incident, derived from ledger entries as they stand after corrections."""

    kind: str
    date: str
    place: str
    attack_type: str
    resource: str
    source: str
    certainty: str
    seq: int
    entries: tuple[int, ...]
    item: str = ""
    trip: str | None = None
    patients: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    deaths: int | None = None
    injured: int | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """(kind, attack type, resource, item, certainty): the row of the count table it falls in."""
        return (self.kind, self.attack_type, self.resource, self.item, self.certainty)


def _hours(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def derive(
    records: Iterable[Record],
    *,
    start: dt.date,
    as_of: dt.date,
    hold_threshold_hours: float = DEFAULT_HOLD_THRESHOLD_HOURS,
) -> list[Incident]:
    """Every obstruction incident dated from ``start`` to ``as_of``, oldest first.

    ``records`` must hold the entries of :data:`READ_TYPES` about the period's trips and the period's
    incidents, with every correction and retraction that names them: they are applied here.
    """
    first, last = start.isoformat(), as_of.isoformat()
    standing = effective(records)
    settled: dict[str, list[Record]] = {}
    for record in standing:
        if record.type in CONTEXT_TYPES and record.trip is not None:
            settled.setdefault(record.trip, []).append(record)
    found: list[Incident] = []
    for record in standing:
        day = record.day
        if not first <= day <= last:
            continue
        incident = _incident(record, settled, hold_threshold_hours)
        if incident is not None:
            found.append(incident)
    found.sort(key=lambda i: (i.date, i.seq))
    return found


def _base(kind: str, record: Record, **extra: Any) -> Incident:
    k = KINDS[kind]
    place = str(record.payload.get("facility") or record.payload.get("site") or "")
    return Incident(
        kind=kind,
        date=record.day,
        place=place,
        attack_type=k.attack_type,
        resource=k.resource,
        source=record.source,
        certainty=record.certainty,
        seq=record.seq,
        entries=(record.seq, *record.corrected_by),
        trip=record.trip,
        patients=record.patients,
        **extra,
    )


def _incident(record: Record, settled: dict[str, list[Record]], threshold: float) -> Incident | None:
    payload = record.payload
    kind = record.type
    if kind == "trip.denied":
        return _base("permit_denied", record, facts={"reason": payload.get("reason") or ""})
    if kind == "trip.requested":
        day = record.day
        others = settled.get(record.trip or "", [])
        if any(o.type == "trip.denied" or (o.type == "trip.approved" and o.occurred_at[:10] <= day) for o in others):
            return None  # approved by the day, or denied (a denial is its own incident, however late)
        if any(o.type == "trip.cancelled" and o.occurred_at[:10] <= day for o in others):
            return None  # cancelled before the day came: counted as a cancellation if the authority did it
        return _base("no_answer", record, facts={"requested_on": record.occurred_at[:10]})
    if kind == "trip.cancelled":
        if payload.get("cancelled_by") != AUTHORITY:
            return None
        return _base("cancelled_by_authority", record, facts={"reason": payload.get("reason") or ""})
    if kind == "gate.released":
        hours = _hours(payload.get("hours_held"))
        if hours is None or hours < threshold:
            return None
        return _base("held_at_gate", record, facts={"hours": hours})
    if kind == "gate.turned_back":
        return _base("turned_back", record, facts={"reason": payload.get("reason") or ""})
    if kind == "trip.arrived":
        if payload.get("late") is not True:
            return None
        return _base("arrived_after_closing", record, facts={"closes_at": payload.get("facility_closes_at") or ""})
    if kind == "trip.companion_answered":
        if str(payload.get("answer") or "") != REJECTED:
            return None
        role = str(payload.get("role") or payload.get("companion_role") or "escort")
        return _base("companion_rejected", record, facts={"role": role, "reason": payload.get("reason") or ""})
    if kind in ("supply.blocked", "supply.partly_allowed"):
        item = str(payload.get("category") or payload.get("item") or "")
        name = "delivery_blocked" if kind == "supply.blocked" else "delivery_cut"
        return _base(
            name,
            record,
            item=item,
            facts={
                "reason": payload.get("reason") or "",
                "quantity": payload.get("quantity"),
                "allowed": payload.get("quantity_allowed"),
                "unit": payload.get("unit") or "",
            },
        )
    if kind == "incident.recorded":
        as_ssa = ssa.from_entry(record.seq, record.type, payload, record.source, record.certainty)
        return replace(
            _base("recorded", record, facts={"facility_type": str(payload.get("facility_type") or "")}),
            attack_type=as_ssa.attack_type,
            resource=as_ssa.resource,
            description=as_ssa.description,
            deaths=as_ssa.deaths,
            injured=as_ssa.injured,
        )
    return None


# ------------------------------------------------------------------------------------------ sentences


def _number(value: Any, language: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return strings.number(value, language, 0 if float(value).is_integer() else 1)


def sentence(
    incident: Incident,
    language: str,
    places: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
) -> str:
    """What happened, in one sentence in ``language``, made from the incident's facts (never free text).

    ``places`` names the hospitals and sites by code, ``units`` the units in the language; a patient is
    never named, only counted.
    """
    place = (places or {}).get(incident.place, incident.place) or "—"
    facts = incident.facts
    patients = strings.number(len(incident.patients), language)
    reason = str(facts.get("reason") or "").strip()
    if incident.kind == "recorded":
        text = strings.tr(
            "what.recorded",
            language,
            type=strings.label("attack_type", incident.attack_type, language),
            resource=strings.label("resource", incident.resource, language),
        )
        return text
    if incident.kind in ("delivery_blocked", "delivery_cut"):
        item = strings.label("item", incident.item, language) if incident.item else "—"
        quantity = _number(facts.get("quantity"), language)
        unit = str(facts.get("unit") or "")
        amount = strings.unit(quantity, (units or {}).get(unit, unit), language) if quantity else ""
        text = strings.tr(
            f"what.{incident.kind}",
            language,
            item=item,
            amount=amount or strings.tr("what.unknown_amount", language),
            allowed=_number(facts.get("allowed"), language) or "—",
        )
    elif incident.kind == "held_at_gate":
        text = strings.tr(
            "what.held_at_gate",
            language,
            hours=strings.number(facts.get("hours"), language, 1),
            place=place,
            n=len(incident.patients),
            patients=patients,
        )
    elif incident.kind == "companion_rejected":
        text = strings.tr(
            "what.companion_rejected",
            language,
            role=strings.label("companion", facts.get("role"), language),
            place=place,
        )
    elif incident.kind == "no_answer":
        text = strings.tr(
            "what.no_answer",
            language,
            place=place,
            n=len(incident.patients),
            patients=patients,
            requested=strings.date(dt.date.fromisoformat(str(facts["requested_on"])), language),
        )
    else:
        text = strings.tr(f"what.{incident.kind}", language, n=len(incident.patients), place=place, patients=patients)
    if incident.kind in ("permit_denied", "cancelled_by_authority", "turned_back", "companion_rejected"):
        text += " " + (
            strings.tr("what.reason", language, reason=reason) if reason else strings.tr("what.no_reason", language)
        )
    return text


def counts(incidents: Iterable[Incident]) -> dict[tuple[str, str, str, str, str], int]:
    """Incidents counted by (kind, attack type, resource, item, certainty)."""
    out: dict[tuple[str, str, str, str, str], int] = {}
    for incident in incidents:
        out[incident.key] = out.get(incident.key, 0) + 1
    return out


@dataclass(frozen=True)
class Refusal:
    """A permit denied or a trip cancelled (by anyone), with the reason given, for the report's table."""

    date: str
    place: str
    action: str  # "denied" or "cancelled"
    by: str  # who: the authority, the camp, the hospital, other
    reason: str
    patients: int
    seq: int
    entries: tuple[int, ...]


def refusals(records: Iterable[Record], *, start: dt.date, as_of: dt.date) -> list[Refusal]:
    """Every standing trip.denied and trip.cancelled entry dated from ``start`` to ``as_of``, oldest first."""
    first, last = start.isoformat(), as_of.isoformat()
    out = []
    for record in effective(records):
        if record.type not in ("trip.denied", "trip.cancelled") or not first <= record.day <= last:
            continue
        denied = record.type == "trip.denied"
        out.append(
            Refusal(
                date=record.day,
                place=str(record.payload.get("facility") or ""),
                action="denied" if denied else "cancelled",
                by=AUTHORITY if denied else str(record.payload.get("cancelled_by") or "other"),
                reason=str(record.payload.get("reason") or "").strip(),
                patients=len(record.patients),
                seq=record.seq,
                entries=(record.seq, *record.corrected_by),
            )
        )
    out.sort(key=lambda r: (r.date, r.seq))
    return out
