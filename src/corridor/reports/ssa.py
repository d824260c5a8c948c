"""Obstruction incidents in the terms of the WHO Surveillance System for Attacks on Health Care (SSA).

Pure: maps what the ledger says (an ``incident.recorded`` entry's kind and resource, or a
``supply.blocked`` entry's item) onto the SSA's attack types, health-care resources and certainty
levels. A kind or resource outside the vocabulary is kept as recorded, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

ATTACK_TYPES: dict[str, str] = {
    "violence_individual_weapons": "Violence with individual weapons",
    "violence_heavy_weapons": "Violence with heavy weapons",
    "psychological_violence": "Psychological violence/threat of violence/intimidation",
    "obstruction": "Obstruction to delivery of care",
    "assault_without_weapons": "Assault without weapons",
    "sexual_assault": "Sexual assault",
    "abduction": "Abduction/arrest/detention of health personnel or patients",
    "armed_search": "Armed or violent search of health resource",
    "removal_of_assets": "Removal of health care assets",
    "setting_fire": "Setting fire to health resources",
    "militarization": "Militarization of health care facility",
}
RESOURCES: dict[str, str] = {
    "facility": "Health care facility",
    "transport": "Health care transport",
    "personnel": "Health care personnel",
    "patients": "Patients",
    "supplies": "Health care supplies",
    "warehouse": "Warehouse",
}
CERTAINTY: dict[str, str] = {
    "confirmed": "Confirmed",
    "probable": "Probable",
    "possible": "Possible",
    # Below the SSA's three public levels: exported as such so that nobody mistakes it for "possible".
    "unverified": "Unverified",
}
BLOCKED_SUPPLY_TYPE = "obstruction"
BLOCKED_SUPPLY_RESOURCE = "supplies"


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


_TYPE_LOOKUP = {_key(k): k for k in ATTACK_TYPES} | {_key(v): k for k, v in ATTACK_TYPES.items()}
_RESOURCE_LOOKUP = {_key(k): k for k in RESOURCES} | {_key(v): k for k, v in RESOURCES.items()}


def attack_type(kind: str | None) -> str:
    """The SSA's code for a recorded kind (``obstruction``), or the kind as recorded when unknown."""
    text = (kind or "").strip()
    return _TYPE_LOOKUP.get(_key(text), text)


def resource(value: str | None) -> str:
    text = (value or "").strip()
    return _RESOURCE_LOOKUP.get(_key(text), text)


def attack_label(code: str) -> str:
    return ATTACK_TYPES.get(code, code)


def resource_label(code: str) -> str:
    return RESOURCES.get(code, code)


def certainty_label(code: str) -> str:
    return CERTAINTY.get(code, code)


@dataclass(frozen=True)
class Incident:
    """One obstruction incident as the SSA would count it, after corrections."""

    seq: int
    date: str
    ledger_type: str
    attack_type: str
    resource: str
    item: str
    certainty: str
    source: str
    description: str
    deaths: int | None
    injured: int | None


def from_entry(
    seq: int,
    ledger_type: str,
    payload: dict[str, Any],
    source: str,
    certainty: str,
    corrections: list[dict[str, Any]] | None = None,
) -> Incident:
    """An incident from its ledger entry, with every correction's ``changes`` applied in order.

    A correction may change the payload's fields and the incident's ``certainty`` and ``source``
    (as keys of ``changes``); the correction entry's own certainty is about the correction.
    """
    fields = dict(payload)
    for changes in corrections or []:
        for key, value in changes.items():
            if key == "certainty":
                certainty = str(value)
            elif key == "source":
                source = str(value)
            else:
                fields[key] = value
    if ledger_type == "supply.blocked":
        # The category (diesel, food, medicine…) rather than a camp's own item code.
        item = str(fields.get("category") or fields.get("item") or "")
        kind, affected = BLOCKED_SUPPLY_TYPE, BLOCKED_SUPPLY_RESOURCE
        description = str(fields.get("reason") or "")
    else:
        kind, affected, item = attack_type(fields.get("kind")), resource(fields.get("resource")), ""
        description = str(fields.get("description") or "")
    return Incident(
        seq=seq,
        date=str(fields.get("date") or ""),
        ledger_type=ledger_type,
        attack_type=kind,
        resource=affected,
        item=item,
        certainty=certainty,
        source=source,
        description=description,
        deaths=_count(fields.get("deaths")),
        injured=_count(fields.get("injured")),
    )


def _count(value: Any) -> int | None:
    """A recorded number of people, or None when the entry does not say (never a made-up zero)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def from_counts_row(row: dict[str, Any]) -> tuple[str, str, str, str]:
    """(attack type, resource, item, certainty) for a row of the SQL incident counts."""
    if row["type"] == "supply.blocked":
        return BLOCKED_SUPPLY_TYPE, BLOCKED_SUPPLY_RESOURCE, str(row.get("item") or ""), str(row["certainty"])
    return attack_type(row.get("kind")), resource(row.get("resource")), "", str(row["certainty"])
