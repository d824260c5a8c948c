"""Write the form definitions of :mod:`corridor.intake.forms` as XLSForm workbooks.

``python -m corridor.intake.xlsform`` rewrites the shipped ``.xlsx`` files in ``xlsforms/`` from the
definitions (it needs openpyxl, a development dependency; Corridor itself only serves the files).
The sheets are plain rows of text, so the tests compare a shipped file with the definition cell by cell
and build it with pyxform to prove ODK and KoBoToolbox will accept it.
"""

from __future__ import annotations

import io
import sys
from importlib import resources
from pathlib import Path

from corridor.intake.forms import FORM_VERSION, FORMS, LANGUAGES, Field, Form, Labels

SURVEY_COLUMNS = (
    "type",
    "name",
    *(f"label::{language}" for language in LANGUAGES),
    *(f"hint::{language}" for language in LANGUAGES),
    "hxl",
    "required",
    "relevant",
    "constraint",
    *(f"constraint_message::{language}" for language in LANGUAGES),
    "default",
    "calculation",
    "appearance",
)
CHOICES_COLUMNS = ("list_name", "name", *(f"label::{language}" for language in LANGUAGES))
SETTINGS_COLUMNS = ("form_id", "form_title", "version", "default_language")

Sheet = list[list[str]]


def _labels(labels: Labels | None) -> list[str]:
    return list(labels) if labels else ["", "", ""]


def _row(item: Field, type_: str | None = None) -> list[str]:
    return [
        type_ or item.type,
        item.name,
        *_labels(item.label),
        *_labels(item.hint),
        item.hxl,
        "yes" if item.required else "",
        item.relevant,
        item.constraint,
        *_labels(item.constraint_message),
        item.default,
        item.calculation,
        item.appearance,
    ]


def sheets(form: Form) -> dict[str, Sheet]:
    """The survey, choices and settings sheets of ``form``, header row first."""
    survey: Sheet = [list(SURVEY_COLUMNS)]
    for item in form.fields:
        if item.is_repeat:
            survey.append(_row(item, "begin_repeat"))
            survey.extend(_row(child) for child in item.children)
            survey.append(["end_repeat", item.name, *[""] * (len(SURVEY_COLUMNS) - 2)])
        else:
            survey.append(_row(item))
    choices: Sheet = [list(CHOICES_COLUMNS)]
    for list_name, options in form.choices.items():
        choices.extend([list_name, option.name, *option.label] for option in options)
    settings: Sheet = [list(SETTINGS_COLUMNS), [form.form_id, form.title[0], FORM_VERSION, LANGUAGES[0]]]
    return {"survey": survey, "choices": choices, "settings": settings}


def filename(form: Form) -> str:
    return f"{form.form_id}.xlsx"


def shipped(form: Form) -> bytes:
    """The XLSForm file Corridor ships for ``form``."""
    return (resources.files("corridor.intake") / "xlsforms" / filename(form)).read_bytes()


def workbook_bytes(form: Form) -> bytes:
    """``form`` as an .xlsx workbook (needs openpyxl)."""
    from openpyxl import Workbook

    book = Workbook()
    first = True
    for title, rows in sheets(form).items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        first = False
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else Path(__file__).with_name("xlsforms")
    target.mkdir(parents=True, exist_ok=True)
    for form in FORMS.values():
        path = target / filename(form)
        path.write_bytes(workbook_bytes(form))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
