"""A field submission's problems in the reader's language: on the intake page, in the API, in the CLI.

A :class:`~corridor.intake.parse.Problem` carries a code, an English template with named values and where
it is (a phrase such as "row 12"); each is said here through the same catalogues as the services'
refusals (:mod:`corridor.refusals`). A refused submission kept before problems had codes holds English
lines: they are shown as they are, never dropped.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_noop as _

from corridor import refusals
from corridor.errors import Phrase
from corridor.intake.parse import Problem

# How a problem's place, field and sentence are joined: Persian and Arabic join with their own comma. (A
# colon alone is the same in the three languages, so it needs no translation.)
WHERE_FIELD = _("%(where)s, %(field)s: %(message)s")


def problem(item: Any) -> Problem | None:
    """The problem ``item`` holds (a Problem, or one kept as JSON); None for an English line kept as it was."""
    return item if isinstance(item, Problem) else Problem.from_json(item)


def message(found: Problem) -> str:
    """The problem's sentence in the active language, without its place or field."""
    return refusals.said(found.template, found.values, found.message)


def place(where: Phrase | str) -> str:
    return refusals.phrase(where) if isinstance(where, Phrase) else str(where)


def text(item: Any) -> str:
    """A place, a problem or a kept problem, in the active language (an old English line as it is)."""
    if isinstance(item, Phrase):
        return refusals.phrase(item)
    found = problem(item)
    if found is None:
        return str(item)
    said = message(found)
    where = place(found.where)
    if where and found.field:
        return refusals.said(WHERE_FIELD, {"where": where, "field": found.field, "message": said}, str(found))
    if where:
        return f"{where}: {said}"
    if found.field:
        return f"{found.field}: {said}"
    return said


def html(item: Any, beside: Phrase | str | None = None) -> SafeString:
    """:func:`text` for a page: the field's name (a machine name, as the form's column is) set as code, and
    the place left out when it is ``beside``'s, the submission the problem is listed under."""
    found = problem(item)
    if found is None:
        return format_html("{}", text(item))
    if beside is not None and found.where == beside:
        found = found.here()
    marker = "\x00field\x00"  # the field's place in the translated sentence, filled with markup below
    if found.field:
        shown = Problem(found.where, marker, found.template, found.code, found.values)
        head, _sep, tail = text(shown).partition(marker)
        return format_html("{}<code>{}</code>{}", head, found.field, tail)
    return format_html("{}", text(found))


def as_json(item: Any) -> dict[str, Any]:
    """A problem for an API client: its code, its sentence in the request's language, its place and field."""
    found = problem(item)
    if found is None:  # kept before problems had codes
        return {"code": "intake.refused", "message": str(item), "where": "", "field": None, "values": {}}
    return {
        "code": found.code,
        "message": message(found),
        "where": place(found.where),
        "field": found.field,
        "values": found.as_json()["values"],
    }
