"""A service's refusal in the reader's language: its template translated, its values written the local way.

The services raise :class:`~corridor.errors.CorridorError` with an English template and named values; the
template is the message id in the translation catalogues. :func:`in_language` is what the workspace and
the API show; the English sentence (``str(error)``) is what the logs keep. A refusal whose template has
no translation yet is shown as its English sentence, never as a template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils.translation import get_language, gettext

from corridor.errors import CorridorError, Phrase
from corridor.register.models import Patient, Referral, Specialty
from corridor.supplies.models import Delivery
from corridor.transfers.models import Trip, TripCompanion
from corridor.web import l10n, labels


def _local(value: Any, language: str | None) -> str:
    if isinstance(value, CorridorError):  # a refusal given as the reason of another: said in the language too
        return in_language(value)
    if isinstance(value, Phrase):  # a place in a file ("row 12") or another part of the sentence
        return phrase(value)
    if isinstance(value, dt.datetime):
        # The clock's refusals give moments in UTC: say so, or "05:00" reads as the camp's time.
        zone = " UTC" if value.utcoffset() == dt.timedelta(0) else ""
        return f"{l10n.gregorian(value.date(), language)} {l10n.clock(value, language)}{zone}"
    if isinstance(value, dt.date):
        if l10n.base(language) == "fa":
            return f"{l10n.solar_hijri(value)} ({l10n.gregorian(value, language)})"
        return l10n.gregorian(value, language)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return l10n.number(value, language)
    return str(value)


# Values that are codes, said in words: the key names what the code is.
_CODES: dict[str, Callable[[str], str]] = {
    "event": labels.event_label,
    "status": lambda code: str(Trip.Status(code).label),
    "referral_status": lambda code: str(Referral.Status(code).label),
    "patient_status": lambda code: str(Patient.Status(code).label),
    "specialty": lambda code: str(Specialty(code).label),
    "answer": lambda code: str(TripCompanion.Answer(code).label),
    "delivery_status": lambda code: str(Delivery.Status(code).label),
    # What a date depends on (corridor.clock): a message id such as "the patient's year of birth".
    "what": gettext,
}


# Values that are codes joined into a list ("witness, document"): Persian and Arabic join them with "،".
_LISTS = {"choices", "known", "languages", "sites"}

# Values that are numbers naming a record (ledger entry 1204, trip 1187): local digits, never grouped by
# thousands, or the number read back is not the one to type.
_IDENTIFIERS = {
    *("seq", "trip", "referral", "job", "token", "grant", "delivery", "start", "end"),
    *("row", "submission", "item", "header"),  # where a field submission's problem is in its file
}


def _worded(key: str, value: Any, language: str | None) -> str:
    if key in _LISTS and isinstance(value, str) and l10n.base(language) in ("fa", "ar"):
        return value.replace(", ", "، ")
    # A year or a record's number is not grouped by thousands: "۲۰۱۴".
    if (key.endswith("year") or key in _IDENTIFIERS) and isinstance(value, int):
        return l10n.digits(str(value), language)
    words = _CODES.get(key)
    if words is not None:
        try:
            return words(str(value))
        except ValueError:  # not a code of that list: say it as it is
            return str(value)
    return _local(value, language)


def in_language(error: CorridorError) -> str:
    """The refusal's sentence in the active language (without the field it concerns)."""
    return said(error.template, error.values, error.sentence)


def phrase(part: Phrase) -> str:
    """A part of a sentence (where a problem is: "row 12") in the active language."""
    return said(part.template, part.values, str(part))


def worded(values: dict[str, Any]) -> dict[str, str]:
    """Each value as the active language writes it (local digits, dates in its calendar, codes in words)."""
    language = get_language()
    return {k: _worded(k, v, language) for k, v in values.items()}


def said(message: str, values: dict[str, Any], english: str) -> str:
    """``message`` (a message id with named values) in the active language; ``english`` when it cannot be."""
    if not values:
        return gettext(message) if message else english
    language = get_language()
    try:
        return gettext(message) % {k: _worded(k, v, language) for k, v in values.items()}
    except (KeyError, ValueError, TypeError):  # a translation that lost a value: say it in English
        return english


def kept(said_json: dict[str, Any] | None, english: str) -> tuple[Phrase, list[Phrase]] | None:
    """A refusal kept as JSON (a failed job's: its template, values and lines, ``corridor.errors.stored``)
    as phrases again: the sentence and its lines. None when there is none, or when it is no longer the
    English ``english`` keeps (its first line; a refusal's field may come before it there)."""
    import re

    from corridor.errors import revived

    template, values = str((said_json or {}).get("template") or ""), (said_json or {}).get("values") or {}
    if not template:
        return None
    revive = {str(k): revived(v) for k, v in values.items()}
    try:
        sentence = template % revive if revive else template
    except (KeyError, ValueError, TypeError):
        return None
    first = english.split("\n", 1)[0]
    if not sentence or not (first == sentence or first.endswith(f": {sentence}")):
        return None
    # A date was kept as its ISO form (JSON has no dates): read back as one, to be written the local way.
    day = re.compile(r"\d{4}-\d{2}-\d{2}")
    dates = {k: dt.date.fromisoformat(v) for k, v in revive.items() if isinstance(v, str) and day.fullmatch(v)}
    lines = [line for line in map(revived, (said_json or {}).get("lines") or ()) if isinstance(line, Phrase)]
    return Phrase(template, tuple((revive | dates).items())), lines


def kept_text(said_json: dict[str, Any] | None, english: str) -> str:
    """:func:`kept` in the active language as text, each line on its own; ``english`` as it is otherwise."""
    found = kept(said_json, english)
    if found is None:
        return english
    sentence, lines = found
    return "\n".join([phrase(sentence), *(phrase(line) for line in lines)])


def as_json(error: CorridorError) -> dict[str, Any]:
    """The refusal's code and values for an API client (dates as ISO text)."""
    return {
        "reason": error.code,
        "values": {k: _json(v) for k, v in error.values.items()},
    }


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)  # a label: in the caller's language; a place in a file: in English
