"""Errors raised by services. Edges turn them into a form message, an API error object or one CLI line.

A refusal carries a ``code`` (stable, for clients) and its English sentence as a template with named
values (``"the rules allow %(limit)s patients a day"``, ``limit=4``), so each edge can word it in its
reader's language (``corridor.refusals``) while the English stays in the logs. Older refusals without
values are a plain sentence; their code is the class's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


def template(message: str) -> str:
    """Marks an English template for the translators, as Django's ``gettext_noop`` does, for the pure cores
    that import no Django. Import it as ``_`` so the catalogue's extraction finds the message."""
    return message


@dataclass(frozen=True)
class Phrase:
    """Part of a sentence with named values, such as where a problem is in a file ("row %(row)s"): its
    template is a message id, translated where it is read (``corridor.refusals.phrase``), never joined
    into English first. ``str()`` is the English, for the logs."""

    template: str
    items: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, message: str, **values: Any) -> Phrase:
        return cls(message, tuple(values.items()))

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.items)

    def but(self, **values: Any) -> Phrase:
        """The same phrase with more (or other) values: a table's rows, each with its number."""
        return Phrase.of(self.template, **{**self.values, **values})

    def __str__(self) -> str:
        return self.template % self.values if self.items else self.template


def stored(value: Any) -> Any:
    """A refusal's value as JSON: a phrase or a refusal as its template and values (translated when read
    back), a date as ISO text, anything else as its text. :func:`revived` reads it back."""
    if isinstance(value, Phrase | CorridorError):
        return {"phrase": value.template, "values": {k: stored(v) for k, v in value.values.items()}}
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def revived(value: Any) -> Any:
    """A value :func:`stored` kept: a phrase again (a date stays its ISO text)."""
    if isinstance(value, dict) and isinstance(value.get("phrase"), str):
        values = value.get("values")
        items = {str(k): revived(v) for k, v in values.items()} if isinstance(values, dict) else {}
        return Phrase(value["phrase"], tuple(items.items()))
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


class CoreRefusal(ValueError):
    """A pure core's refusal: a ValueError carrying its template, code and values as a service's refusal
    does, so the service that meets it refuses with them; ``str()`` is the English sentence."""

    def __init__(self, message: str, *, code: str, **values: Any) -> None:
        self.template, self.code, self.values = message, code, values
        super().__init__(message % values if values else message)


class CorridorError(Exception):
    """Base class: the request was refused and nothing was written."""

    default_code = "refused"

    def __init__(self, message: str = "", *, code: str | None = None, **values: Any) -> None:
        self.template = message
        self.values = values
        self.code = code or self.default_code
        super().__init__(self.sentence)

    @property
    def sentence(self) -> str:
        """The refusal in English (its template filled with its values)."""
        return self.template % self.values if self.values else self.template

    def __str__(self) -> str:
        return self.sentence


class InvalidInput(CorridorError):
    """The input is malformed or breaks a rule; the message says which field and why."""

    default_code = "invalid_input"

    def __init__(self, message: str, field: str | None = None, *, code: str | None = None, **values: Any) -> None:
        self.field = field
        super().__init__(message, code=code, **values)

    @property
    def detail(self) -> str:
        return self.sentence

    def __str__(self) -> str:
        return f"{self.field}: {self.sentence}" if self.field else self.sentence


class NotAllowed(CorridorError):
    """The acting user's role may not do this."""

    default_code = "not_allowed"


class Conflict(CorridorError):
    """The request does not fit the current state (a trip already cancelled, a patient already deceased…)."""

    default_code = "conflict"


class NotFound(CorridorError):
    """A referenced object does not exist."""

    default_code = "not_found"
