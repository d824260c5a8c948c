"""The checks every service makes of what it is given, written once.

Each raises :class:`corridor.errors.InvalidInput` naming the field, so every edge (form, API, CLI)
shows the same sentence. Times are checked by :mod:`corridor.clock` (``check_moment``, ``check_day``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.translation import gettext_noop as _

from corridor.errors import InvalidInput
from corridor.ledger.catalogue import Certainty, Source
from corridor.names import LANGUAGES

# A reference code (a site, hospital, item, generator, patient), written once for every reader: this
# check, the API's schemas and the field forms' XPath constraints (hence the bare trailing ``-``, which
# Python, the API's validator and XPath all read as itself).
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
CODE = re.compile(CODE_PATTERN)


def code(value: str, field: str) -> str:
    """A short reference code (a site, hospital, item): 1–32 letters, digits, '.', '_' or '-'."""
    value = (value or "").strip()
    if not CODE.match(value):
        raise InvalidInput(
            _("use %(least)s–%(most)s letters, digits, '.', '_' or '-'"), field, code="code.malformed", least=1, most=32
        )
    return value


def text(value: str | None, field: str, *, required: bool, max_length: int) -> str:
    """Free text, stripped; refused when required and empty, or longer than ``max_length``."""
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_("is required"), field, code="text.required")
    if len(value) > max_length:
        raise InvalidInput(_("is longer than %(limit)s characters"), field, code="text.too_long", limit=max_length)
    return value


def evidence(source: str, certainty: str) -> None:
    """A source and a certainty level from the ledger's catalogue (docs/ledger.md)."""
    for field, value, allowed, code in (
        ("source", source, Source.values, "evidence.unknown_source"),
        ("certainty", certainty, Certainty.values, "evidence.unknown_certainty"),
    ):
        if value not in allowed:
            raise InvalidInput(
                _("must be one of %(choices)s; got %(value)r"),
                field,
                code=code,
                choices=", ".join(allowed),
                value=value,
            )


def date(value: Any, field: str) -> dt.date:
    """A calendar date, or its ISO form; a date and time is refused rather than silently cut."""
    if isinstance(value, dt.datetime):
        raise InvalidInput(_("must be a date, not a date and time"), field, code="date.has_time")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(
            _("must be a date written YYYY-MM-DD; got %(value)r"), field, code="date.not_iso", value=value
        ) from None


def names(value: Any, field: str = "names", *, max_length: int = 200) -> dict[str, str]:
    """A reference row's name in other languages: {"fa": …, "ar": …}, each optional, each one line.

    Only the interface's languages are taken, so a misspelt key ("pe", "farsi") is refused rather than kept
    where no page would ever show it. A language left out falls back to the row's one name; one given as empty
    text is refused, since it would read as a mistake rather than as "no rendering".
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(
            _('must be an object such as {"fa": "…", "ar": "…"}; got %(type)s'),
            field,
            code="names.not_an_object",
            type=type(value).__name__,
        )
    clean: dict[str, str] = {}
    for language, name in value.items():
        if language not in LANGUAGES:
            raise InvalidInput(
                _("unknown language %(language)r; use %(languages)s"),
                field,
                code="names.unknown_language",
                language=language,
                languages=", ".join(LANGUAGES),
            )
        if not isinstance(name, str):
            raise InvalidInput(_("must be text"), f"{field}.{language}", code="names.not_text")
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
            raise InvalidInput(
                _("must be one line, without control characters"),
                f"{field}.{language}",
                code="names.control_characters",
            )
        clean[language] = text(name, f"{field}.{language}", required=True, max_length=max_length)
    return dict(sorted(clean.items()))


def name_changes(name: str | None, other_names: Any) -> dict[str, Any]:
    """A change of a reference row's name and of its names in other languages (all given anew), checked.

    Only what is given (not None) is in it; the service adds its own fields and stores what differs.
    """
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = text(name, "name", required=True, max_length=200)
    if other_names is not None:
        changes["names"] = names(other_names)
    return changes
