"""What a correction or retraction changes in the state rows, by the type of the entry it names.

The ledger alone says what now stands: :func:`corridor.ledger.services.correct` appends an
``entry.corrected`` or ``entry.retracted`` entry and never rewrites the original. The rows the
screens, the planner and the API read (a patient's status, a trip's) must then say the same as
the ledger does, or a page shows a state nobody now asserts. Each app that keeps such rows
registers a handler here for the entry types whose corrections change them (``AppConfig.ready``),
so the ledger imports none of those apps.

A handler is called by ``correct`` inside the same transaction as the correction's entry, after it
is written: it reads the entry as it now stands, brings the rows in line and may append entries of
its own; if it refuses (a coded error), nothing of the correction is committed. A type without a
handler changes no row: its correction is read by the indicators alone (docs/ledger.md,
"Corrections").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from corridor.ledger.models import Entry

CORRECTED, RETRACTED = "entry.corrected", "entry.retracted"

# (the entry the correction is about, the correction or retraction just appended) -> None
Handler = Callable[[Entry, Entry], None]

_handlers: dict[str, Handler] = {}
_dates: dict[str, tuple[str, ...]] = {}


def register(*types: str, dates: tuple[str, ...] = ()) -> Callable[[Handler], Handler]:
    """Make the decorated function the handler of corrections and retractions of entries of ``types``.

    ``dates`` are the payload's dates that the handler checks and follows when corrected: the workspace
    offers to correct those from the entry's page (any other value is corrected through the API).
    """

    def decorate(handler: Handler) -> Handler:
        for kind in types:
            if kind in _handlers and _handlers[kind] is not handler:
                raise RuntimeError(f"corrections of {kind} already have a handler: {_handlers[kind].__qualname__}")
            _handlers[kind] = handler
            _dates[kind] = dates
        return handler

    return decorate


def correctable_dates(kind: str) -> tuple[str, ...]:
    """The dates of a ``kind`` entry that a page may correct: those its handler checks and follows."""
    return _dates.get(kind, ())


def handled() -> frozenset[str]:
    """The entry types whose corrections change state rows."""
    return frozenset(_handlers)


def handler(kind: str) -> Handler | None:
    """The handler of corrections of ``kind`` entries (``None``: they change no row)."""
    return _handlers.get(kind)


def retraction_of(seq: object) -> Entry | None:
    """The entry that retracted entry ``seq``, or None while it stands: by the ledger's rule
    (``corridor.reports.obstruction.effective``) an entry a retraction names stands no more, for good."""
    return Entry.objects.filter(type=RETRACTED, corrects=seq).order_by("seq").first()


def about(entry: Entry) -> Entry:
    """The entry a fix is ultimately about: a retraction of a correction changes what its target says."""
    while entry.type in (CORRECTED, RETRACTED) and entry.corrects is not None:
        entry = Entry.objects.get(seq=entry.corrects)
    return entry


def apply(original: Entry, correction: Entry) -> None:
    """Bring the rows in line with ``original`` as it stands after ``correction`` (nothing without a handler)."""
    target = about(original)
    handler = _handlers.get(target.type)
    if handler is not None:
        handler(target, correction)


def with_fixes(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    """The hashed fields of ``entries`` and of every correction and retraction naming them (and of the
    retractions of those corrections), each payload with its committed texts put back: what the
    ledger's rule of corrections (``corridor.reports.obstruction.effective``) reads to say what stands."""
    found = list(entries)
    wanted = [e.seq for e in found]
    while wanted:
        fixes = list(Entry.objects.filter(type__in=(CORRECTED, RETRACTED), corrects__in=wanted).order_by("seq"))
        found += fixes
        wanted = [e.seq for e in fixes if e.type == CORRECTED]
    Entry.reveal_all(found)
    return [{**e.fields, "payload": e.payload} for e in sorted(found, key=lambda e: e.seq)]
