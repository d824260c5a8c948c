"""Map each submission of an export onto its Corridor form and read every answer as its type.

Columns are matched to the form's fields by name, with or without group paths (``patients/outcome``,
``meta-instanceID``), or by any of the field's labels (an export "with labels"); choices by name or
label. Each answer that cannot be read becomes a :class:`Problem` naming where it is and which field,
so the whole file can be reported at once. No Django here, and nothing about the register: whether a
code or a trip exists is for :mod:`corridor.intake.services` to say.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from corridor.errors import InvalidInput
from corridor.errors import template as _
from corridor.intake.forms import FORM_MARKER, FORMS, Choice, Field, Form
from corridor.intake.readers import Export, RawSubmission

MAX_TEXT = 2000
_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
_INTEGER = re.compile(r"^[+-]?[0-9]{1,12}(\.0*)?$")
_DECIMAL = re.compile(r"^[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$")
# Submission metadata the platforms add, under any group path: instanceID, KEY, _uuid…
ID_NAMES = ("instanceID", "KEY", "_uuid")
REPLACED_NAMES = ("deprecatedID", "rootUuid")
STATUS_NAMES = ("ReviewState", "_validation_status")
META_NAMES = frozenset((*ID_NAMES, *REPLACED_NAMES, *STATUS_NAMES))


@dataclass(frozen=True)
class Problem:
    where: str
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message}" if self.field else f"{self.where}: {self.message}"


@dataclass
class Item:
    """One row of a repeat group (one patient on a trip, one supply in a delivery)."""

    where: str
    values: dict[str, Any]


@dataclass
class Parsed:
    where: str
    form: Form | None
    instance_id: str
    raw: dict[str, Any]
    aliases: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)
    repeats: dict[str, list[Item]] = field(default_factory=dict)
    excluded: str = ""
    problems: list[Problem] = field(default_factory=list)

    def problem(self, field_name: str | None, message: str, where: str | None = None) -> None:
        self.problems.append(Problem(where or self.where, field_name, message))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i for i in (self.instance_id, *self.aliases) if i)


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


class _Columns:
    """Which column answers which field of one section (the form's top level, or one repeat)."""

    def __init__(self, fields: Iterable[Field]) -> None:
        self.fields = {f.name: f for f in fields if not f.is_repeat}
        self.labels: dict[str, str] = {}
        for item in self.fields.values():
            for label in item.label or ():
                self.labels.setdefault(_norm(label), item.name)

    def name(self, header: str) -> str | None:
        candidates = [header]
        if "/" in header:
            candidates.append(header.rsplit("/", 1)[1])
        elif "-" in header:
            candidates.append(header.rsplit("-", 1)[1])
        for candidate in candidates:
            if candidate in self.fields or candidate in META_NAMES:
                return candidate
        for candidate in candidates:
            found = self.labels.get(_norm(candidate))
            if found:
                return found
        return None

    def read(
        self, cells: dict[str, Any], where: str, parsed: Parsed, choices: dict[str, tuple[Choice, ...]]
    ) -> dict[str, Any]:
        """The section's answers, typed; unreadable ones are recorded as problems on ``parsed``."""
        answers: dict[str, Any] = {}
        origin: dict[str, str] = {}
        for header, value in cells.items():
            name = self.name(header)
            if name is None or not _filled(value):
                continue
            if name in answers:
                if _text(answers[name]) != _text(value):
                    parsed.problem(name, f"columns {origin[name]!r} and {header!r} give different answers", where)
                continue
            answers[name], origin[name] = value, header
        values: dict[str, Any] = {}
        for name, value in answers.items():
            item = self.fields.get(name)
            if item is None:
                values[name] = value  # metadata, read by the caller
                continue
            try:
                values[name] = read_value(item, value, choices)
            except ValueError as exc:
                parsed.problem(name, str(exc), where)
        return values


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return not (isinstance(value, list | dict) and not value)


def _text(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


# --------------------------------------------------------------------------------------------- values


def read_value(item: Field, value: Any, choices: dict[str, tuple[Choice, ...]]) -> Any:
    """One answer as its field's type; ValueError with a message for the monitor when it cannot be read."""
    if isinstance(value, dict | list | tuple):
        raise ValueError("is not a single answer")
    if isinstance(value, bool):
        raise ValueError(f"cannot be {str(value).lower()}")
    kind = item.value_type
    if kind == "integer":
        return _integer(value)
    if kind == "decimal":
        return _decimal(value)
    if kind == "date":
        return read_date(value)
    if kind == "datetime":
        return read_datetime(value)
    text = _text(value)
    if len(text) > MAX_TEXT:
        raise ValueError(f"is longer than {MAX_TEXT} characters")
    if kind == "choice":
        options = choices.get(item.list_name or "", ())
        for option in options:
            if text == option.name:
                return option.name
        for option in options:
            if _norm(text) in {_norm(label) for label in option.label}:
                return option.name
        raise ValueError(f"must be one of {', '.join(o.name for o in options)}; got {text!r}")
    return text


def _integer(value: Any) -> int:
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        number = int(float(value.strip())) if "." in value else int(value.strip())
    else:
        raise ValueError(f"must be a whole number; got {_text(value)[:40]!r}")
    if abs(number) > 10**9:
        raise ValueError("is too large")
    return number


def _decimal(value: Any) -> float:
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and _DECIMAL.match(value.strip()):
        number = float(value.strip())
    else:
        raise ValueError(f"must be a number written with a decimal point, e.g. 1250.5; got {_text(value)[:40]!r}")
    if not math.isfinite(number) or abs(number) > 1e12:
        raise ValueError("must be a number of sensible size")
    return number


def _year_ok(year: int) -> None:
    if not 1900 <= year <= 2200:
        raise ValueError(f"the year {year} cannot be right")


def read_date(value: Any) -> dt.date:
    """A date: ``2014-10-12``, or a spreadsheet date (whose time must be midnight)."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise ValueError(f"must be a date without a time; got {value.isoformat()}")
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = _text(value)
        try:
            day = dt.date.fromisoformat(text) if len(text) == 10 else _midnight(text)
        except ValueError:
            raise ValueError(f"must be a date written YYYY-MM-DD; got {text[:40]!r}") from None
    _year_ok(day.year)
    return day


def _midnight(text: str) -> dt.date:
    moment = dt.datetime.fromisoformat(text)
    if moment.time() != dt.time(0, 0):
        raise ValueError(text)
    return moment.date()


def read_datetime(value: Any) -> dt.datetime:
    """A date and time, ``2014-10-12T09:30:00.000+03:00``; without an offset it is the camp's local time."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        raise ValueError(f"needs a time as well as the date; got {value.isoformat()}")
    else:
        text = _text(value)
        if len(text) > 10 and text[10] == " ":
            text = f"{text[:10]}T{text[11:]}"
        try:
            if len(text) < 16:
                raise ValueError(text)
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"must be a date and time such as 2014-10-12T09:30:00+03:00; got {text[:40]!r}") from None
    _year_ok(moment.year)
    return moment


# -------------------------------------------------------------------------------------------- parsing


def canonical_id(value: Any) -> str:
    """An instance ID as Corridor keeps it: without the ``uuid:`` prefix, lower case."""
    text = _text(value)
    if text.lower().startswith("uuid:"):
        text = text[5:]
    return text.strip().lower()


def parse_export(export: Export) -> list[Parsed]:
    """Every submission of ``export`` mapped onto its form. Raises InvalidInput if none is a Corridor form."""
    parsed = [parse_submission(submission) for submission in export.submissions]
    if not parsed:
        raise InvalidInput(_("the export holds no submissions"), code="intake.no_submissions")
    if all(p.form is None and any(pr.field == FORM_MARKER for pr in p.problems) for p in parsed):
        raise InvalidInput(
            _(
                "no submission answers %(marker)s: this is not an export of one of Corridor's forms "
                "(the forms are listed in docs/intake.md)"
            ),
            code="intake.not_corridor_form",
            marker=FORM_MARKER,
        )
    return parsed


def _marker(cells: dict[str, Any]) -> str | None:
    for header, value in cells.items():
        last = header.rsplit("/", 1)[-1].rsplit("-", 1)[-1] if header != FORM_MARKER else header
        if last == FORM_MARKER and _filled(value):
            return _text(value)
    return None


def parse_submission(submission: RawSubmission) -> Parsed:
    marker = _marker(submission.cells)
    form = FORMS.get(marker or "")
    parsed = Parsed(submission.where, form, "", submission.raw())
    if form is None:
        if marker is None:
            parsed.problem(FORM_MARKER, "missing: this is not a submission of one of Corridor's forms")
        else:
            parsed.problem(FORM_MARKER, f"{marker!r} is not one of Corridor's forms ({', '.join(FORMS)})")
        return parsed
    top = _Columns(form.fields)
    values = top.read(submission.cells, submission.where, parsed, form.choices)
    _identify(parsed, values)
    parsed.values = {k: v for k, v in values.items() if k in top.fields}
    for table, rows in submission.repeats.items():
        repeat = _repeat_for(form, table)
        if repeat is None:
            parsed.problem(None, f"the repeat group {table!r} is not part of the {form.key} form")
            continue
        section = _Columns(repeat.children)
        items = parsed.repeats.setdefault(repeat.name, [])
        for row in rows:
            answers = section.read(row.cells, row.where, parsed, form.choices)
            answers = {k: v for k, v in answers.items() if k in section.fields}
            if answers:
                items.append(Item(row.where, answers))
    return parsed


def _repeat_for(form: Form, table: str) -> Field | None:
    name = table.rsplit("/", 1)[-1]
    for repeat in form.repeats.values():
        if name == repeat.name or _norm(name) in {_norm(label) for label in repeat.label or ()}:
            return repeat
    # Sheet names are cut to 31 characters and made unique by KoBoToolbox.
    matches = [r for r in form.repeats.values() if name and r.name.startswith(name[:28])]
    return matches[0] if len(matches) == 1 else None


def _identify(parsed: Parsed, values: dict[str, Any]) -> None:
    """The submission's instance ID, the IDs it replaces (an edited submission) and the server's verdict."""
    ids = []
    for name in ID_NAMES:
        if name in values:
            ident = canonical_id(values[name])
            if not _ID.match(ident):
                parsed.problem(name, f"{_text(values[name])[:60]!r} is not an instance ID")
                return
            if ident not in ids:
                ids.append(ident)
    if not ids:
        parsed.problem(
            "instanceID",
            "missing: export the submissions with their IDs (meta/instanceID, KEY or _uuid) "
            "so that importing the same file twice changes nothing",
        )
        return
    parsed.instance_id, parsed.aliases = ids[0], tuple(ids[1:])
    parsed.replaces = tuple(
        dict.fromkeys(
            canonical_id(values[name])
            for name in REPLACED_NAMES
            if name in values and canonical_id(values[name]) not in ids
        )
    )
    review = values.get("ReviewState")
    if isinstance(review, str) and review.strip().lower() == "rejected":
        parsed.excluded = "marked rejected in ODK Central"
    status = values.get("_validation_status")
    uid = status.get("uid", "") if isinstance(status, dict) else status
    if isinstance(uid, str) and _norm(uid) in {"validation_status_not_approved", "not approved"}:
        parsed.excluded = "marked not approved in KoBoToolbox"
