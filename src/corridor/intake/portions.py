"""Each ledger entry's own part of a field submission (issue #18): plain data in and out, no Django.

An entry's texts are sealed under the data key of the first patient among its subjects
(:mod:`corridor.register.ledger_texts`). A trip's outcome form lists every passenger, each in a repeat
item of their own (their outcome, their note); had each entry kept the whole form, the second
passenger's note would sit under the first one's key and outlive the second one's erasure. So an entry
keeps only its part: the answers about no one in particular (the trip's times, who reported it) and the
repeat items of the patients it is about, the ones a step names (never several: an entry about the
trip as a whole keeps no one's item). Its copy says so with :data:`PART`, the codes of the patients
whose items it kept; a copy without it was written before and holds the whole submission.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

# The key of a copy that holds only its entry's part: the patients whose own answers it kept.
PART = "part"


def named(item: Mapping[str, Any]) -> set[str]:
    """The patient codes a repeat item (or group) names itself (``patient_code``, ``patients/patient_code``)."""
    return {
        value.strip()
        for key, value in item.items()
        if str(key).rsplit("/", 1)[-1] == "patient_code" and isinstance(value, str) and value.strip()
    }


def _someone_elses(value: Any, kept: Collection[str]) -> bool:
    if not isinstance(value, Mapping):
        return False
    codes = named(value)
    return bool(codes) and not codes.issubset(kept)


def portion(raw: Mapping[str, Any], kept: Collection[str]) -> dict[str, Any]:
    """``raw`` without the answers about any patient not in ``kept``: every item or group below the top that
    names another patient is left out whole (with whatever it holds), everything else is kept as it is."""

    def walk(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: walk(inner) for key, inner in value.items() if not _someone_elses(inner, kept)}
        if isinstance(value, list):
            return [walk(inner) for inner in value if not _someone_elses(inner, kept)]
        return value

    return {str(key): walk(inner) for key, inner in raw.items() if not _someone_elses(inner, kept)}
