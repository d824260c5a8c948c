"""Map each submission of an export onto its Corridor form and read every answer as its type.

Columns are matched to the form's fields by name, with or without group paths (``patients/outcome``,
``meta-instanceID``), or by any of the field's labels (an export "with labels"); choices by name or
label. Each answer that cannot be read becomes a :class:`Problem` naming where it is and which field,
so the whole file can be reported at once. No Django here, and nothing about the register: whether a
code or a trip exists is for :mod:`corridor.intake.services` to say.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from corridor.errors import CoreRefusal, CorridorError, InvalidInput, Phrase
from corridor.errors import revived as _revived
from corridor.errors import stored as _stored
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
    """Why a submission cannot be recorded, as the services' refusals are: a ``code`` (``intake.…``) for
    clients, an English ``template`` with named ``values`` that is the message id in the translation
    catalogues, and ``where`` it is (a phrase such as "row 12", translated too). ``str()`` is the English
    line the logs keep; :mod:`corridor.intake.said` words it in the reader's language."""

    where: Phrase | str
    field: str | None
    template: str
    code: str
    values: dict[str, Any] = dataclasses.field(default_factory=dict)  # ``field`` is the form's, above

    @property
    def message(self) -> str:
        """The problem in English, without where it is."""
        try:
            return self.template % self.values if self.values else self.template
        except (KeyError, ValueError, TypeError):  # a stored template that lost a value
            return self.template

    def __str__(self) -> str:
        told = f"{self.field}: {self.message}" if self.field else self.message
        return f"{self.where}, {told}" if self.field and self.where else f"{self.where}: {told}" if self.where else told

    def here(self) -> Problem:
        """The problem without its place: said beside the submission it is in."""
        return replace(self, where="")

    @classmethod
    def refused(cls, where: Phrase | str, field_name: str | None, refusal: CorridorError) -> Problem:
        """A service's refusal met while recording a submission, with its own code and values."""
        return cls(where, field_name, refusal.template, refusal.code, dict(refusal.values))

    def as_json(self) -> dict[str, Any]:
        """What a refused submission keeps (``Refusal.problems``): plain JSON, read back by :meth:`from_json`."""
        return {
            "code": self.code,
            "template": self.template,
            "values": {k: _stored(v) for k, v in self.values.items()},
            "where": _stored(self.where),
            "field": self.field,
        }

    @classmethod
    def from_json(cls, stored: Any) -> Problem | None:
        """A kept problem; None for one kept before problems had codes (a plain English line)."""
        if not isinstance(stored, dict) or not isinstance(stored.get("template"), str):
            return None
        values = stored.get("values")
        return cls(
            _revived(stored.get("where", "")),
            stored.get("field") if isinstance(stored.get("field"), str) else None,
            stored["template"],
            str(stored.get("code") or "intake.refused"),
            {str(k): _revived(v) for k, v in values.items()} if isinstance(values, dict) else {},
        )


@dataclass
class Item:
    """One row of a repeat group (one patient on a trip, one supply in a delivery)."""

    where: Phrase
    values: dict[str, Any]


@dataclass
class Parsed:
    where: Phrase
    form: Form | None
    instance_id: str
    raw: dict[str, Any]
    aliases: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)
    repeats: dict[str, list[Item]] = field(default_factory=dict)
    excluded: Phrase | str = ""  # why the server left it out: a phrase, said in the reader's language
    problems: list[Problem] = field(default_factory=list)

    def problem(
        self, field_name: str | None, message: str, *, code: str, where: Phrase | None = None, **values: Any
    ) -> None:
        """Record why the submission cannot be recorded: ``message`` is an English template (marked with
        ``_``), ``code`` names it for clients (``intake.…``), ``values`` fill it."""
        self.problems.append(Problem(where or self.where, field_name, message, code, values))

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
        self, cells: dict[str, Any], where: Phrase, parsed: Parsed, choices: dict[str, tuple[Choice, ...]]
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
                    parsed.problem(
                        name,
                        _("columns '%(first)s' and '%(second)s' give different answers"),
                        code="intake.columns_differ",
                        where=where,
                        first=origin[name],
                        second=header,
                    )
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
            except CoreRefusal as exc:
                parsed.problem(name, exc.template, code=exc.code, where=where, **exc.values)
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
    """One answer as its field's type; a coded CoreRefusal (a ValueError) when it cannot be read."""
    if isinstance(value, dict | list | tuple):
        raise CoreRefusal(_("is not a single answer"), code="intake.not_single")
    if isinstance(value, bool):
        raise CoreRefusal(_("cannot be true or false"), code="intake.not_boolean", given=str(value).lower())
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
        raise CoreRefusal(_("is longer than %(limit)s characters"), code="intake.too_long", limit=MAX_TEXT)
    if kind == "choice":
        options = choices.get(item.list_name or "", ())
        for option in options:
            if text == option.name:
                return option.name
        for option in options:
            if _norm(text) in {_norm(label) for label in option.label}:
                return option.name
        raise CoreRefusal(
            _("must be one of %(choices)s; got '%(given)s'"),
            code="intake.not_a_choice",
            choices=", ".join(o.name for o in options),
            given=text[:60],
        )
    return text


def _integer(value: Any) -> int:
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        number = int(float(value.strip())) if "." in value else int(value.strip())
    else:
        raise CoreRefusal(
            _("must be a whole number; got '%(given)s'"), code="intake.not_whole", given=_text(value)[:40]
        )
    if abs(number) > 10**9:
        raise CoreRefusal(_("is too large"), code="intake.too_large")
    return number


def _decimal(value: Any) -> float:
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and _DECIMAL.match(value.strip()):
        number = float(value.strip())
    else:
        raise CoreRefusal(
            _("must be a number written with a decimal point, e.g. 1250.5; got '%(given)s'"),
            code="intake.not_decimal",
            given=_text(value)[:40],
        )
    if not math.isfinite(number) or abs(number) > 1e12:
        raise CoreRefusal(_("must be a number of sensible size"), code="intake.not_sensible")
    return number


def _year_ok(year: int) -> None:
    if not 1900 <= year <= 2200:
        raise CoreRefusal(_("the year %(year)s cannot be right"), code="intake.year", year=year)


def read_date(value: Any) -> dt.date:
    """A date: ``2014-10-12``, or a spreadsheet date (whose time must be midnight)."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise CoreRefusal(
                _("must be a date without a time; got %(given)s"), code="intake.date_with_time", given=value.isoformat()
            )
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = _text(value)
        try:
            day = dt.date.fromisoformat(text) if len(text) == 10 else _midnight(text)
        except ValueError:
            raise CoreRefusal(
                _("must be a date written YYYY-MM-DD; got '%(given)s'"), code="intake.not_date", given=text[:40]
            ) from None
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
        raise CoreRefusal(
            _("needs a time as well as the date; got %(given)s"), code="intake.no_time", given=value.isoformat()
        )
    else:
        text = _text(value)
        if len(text) > 10 and text[10] == " ":
            text = f"{text[:10]}T{text[11:]}"
        try:
            if len(text) < 16:
                raise ValueError(text)
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise CoreRefusal(
                _("must be a date and time such as 2014-10-12T09:30:00+03:00; got '%(given)s'"),
                code="intake.not_datetime",
                given=text[:40],
            ) from None
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
            parsed.problem(
                FORM_MARKER, _("missing: this is not a submission of one of Corridor's forms"), code="intake.no_form"
            )
        else:
            parsed.problem(
                FORM_MARKER,
                _("'%(given)s' is not one of Corridor's forms (%(known)s)"),
                code="intake.unknown_form",
                given=marker,
                known=", ".join(FORMS),
            )
        return parsed
    top = _Columns(form.fields)
    values = top.read(submission.cells, submission.where, parsed, form.choices)
    _identify(parsed, values)
    parsed.values = {k: v for k, v in values.items() if k in top.fields}
    for table, rows in submission.repeats.items():
        repeat = _repeat_for(form, table)
        if repeat is None:
            parsed.problem(
                None,
                _("the repeat group '%(group)s' is not part of the %(form)s form"),
                code="intake.unknown_repeat",
                group=table,
                form=form.key,
            )
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
                parsed.problem(
                    name,
                    _("'%(given)s' is not an instance ID"),
                    code="intake.bad_instance_id",
                    given=_text(values[name])[:60],
                )
                return
            if ident not in ids:
                ids.append(ident)
    if not ids:
        parsed.problem(
            "instanceID",
            _(
                "missing: export the submissions with their IDs (meta/instanceID, KEY or _uuid) "
                "so that importing the same file twice changes nothing"
            ),
            code="intake.no_instance_id",
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
        parsed.excluded = Phrase.of(_("marked rejected in ODK Central"))
    status = values.get("_validation_status")
    uid = status.get("uid", "") if isinstance(status, dict) else status
    if isinstance(uid, str) and _norm(uid) in {"validation_status_not_approved", "not approved"}:
        parsed.excluded = Phrase.of(_("marked not approved in KoBoToolbox"))
