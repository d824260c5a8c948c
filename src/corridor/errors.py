"""Errors raised by services. Edges turn them into a form message, an API error object or one CLI line."""

from __future__ import annotations


class CorridorError(Exception):
    """Base class: the request was refused and nothing was written."""


class InvalidInput(CorridorError):
    """The input is malformed or breaks a rule; the message says which field and why."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.detail = message


class NotAllowed(CorridorError):
    """The acting user's role may not do this."""


class Conflict(CorridorError):
    """The request does not fit the current state (a trip already cancelled, a patient already deceased…)."""


class NotFound(CorridorError):
    """A referenced object does not exist."""
