"""Write submissions the way ODK Central and KoBoToolbox export them, for the round-trip tests.

A submission is what a phone sends: answers as text, keyed by field name, repeat groups as lists of
answers, and its instance ID. Each writer lays them out as one platform does:

- ``kobo_json``: the API's ``{"count", "next", "previous", "results"}``; group paths in keys,
  repeat items nested, metadata such as ``_uuid`` and ``_validation_status``;
- ``kobo_xlsx``: the first sheet for submissions, one sheet per repeat group tied by ``_parent_index``;
  as text, or with dates and numbers as typed cells; with names or English labels as headers;
- ``kobo_csv``: ``;``-separated, every cell quoted, repeat groups left out (as KoBoToolbox does);
- ``odk_zip``: ODK Central's download, ``FORM.csv`` and ``FORM-REPEAT.csv`` tied by ``PARENT_KEY``;
- ``odk_csv``: ODK Central's table of submissions alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from corridor.intake.forms import Field, Form

SUBMITTED = "2014-10-20T08:00:00"


@dataclass
class Submission:
    uuid: str
    answers: dict[str, str]
    repeats: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. ReviewState, _validation_status


def _top(form: Form) -> list[Field]:
    return [f for f in form.fields if not f.is_repeat]


def kobo_json(form: Form, submissions: list[Submission]) -> bytes:
    results = []
    for number, sub in enumerate(submissions, start=1):
        result: dict[str, Any] = {"_id": number, "formhub/uuid": "0f1e2d3c4b5a", "__version__": "vAbCdEf"}
        result.update({k: v for k, v in sub.answers.items() if v != ""})
        for name, items in sub.repeats.items():
            result[name] = [{f"{name}/{k}": v for k, v in item.items() if v != ""} for item in items]
        result.update(
            {
                "meta/instanceID": f"uuid:{sub.uuid}",
                "_xform_id_string": form.form_id,
                "_uuid": sub.uuid,
                "_attachments": [],
                "_status": "submitted_via_web",
                "_geolocation": [None, None],
                "_submission_time": SUBMITTED,
                "_tags": [],
                "_notes": [],
                "_validation_status": sub.meta.get("_validation_status", {}),
                "_submitted_by": None,
            }
        )
        results.append(result)
    document = {"count": len(results), "next": None, "previous": None, "results": results}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _typed(item: Field, value: str) -> Any:
    """A cell as KoBoToolbox writes it with "store dates and numbers as text" unticked."""
    if value == "":
        return None
    if item.type in ("integer",):
        return int(value)
    if item.type == "decimal":
        return float(value)
    if item.type == "date":
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(0, 0))
    if item.value_type == "datetime":
        return dt.datetime.fromisoformat(value).replace(tzinfo=None)  # the spreadsheet keeps the wall clock only
    return value


def _label(item: Field, value: str, form: Form) -> str:
    for choice in form.choices.get(item.list_name or "", ()):
        if choice.name == value:
            return choice.label[0]
    return value


def kobo_xlsx(
    form: Form,
    submissions: list[Submission],
    *,
    typed: bool = False,
    labels: bool = False,
    groups: bool = True,
    hashtags: bool = False,
) -> bytes:
    from openpyxl import Workbook

    def header(item: Field, repeat: Field | None = None) -> str:
        if labels and item.label:
            return item.label[0]
        return f"{repeat.name}/{item.name}" if repeat is not None and groups else item.name

    def cell(item: Field, value: str) -> Any:
        if labels and item.list_name:
            return _label(item, value, form)
        return _typed(item, value) if typed else (value or None)

    book = Workbook()
    main = book.active
    assert main is not None
    main.title = form.title[0][:31].replace(":", "")
    top = _top(form)
    tail = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by", "_tags"]
    repeats = list(form.repeats.values())
    main.append([header(f) for f in top] + tail + (["_index"] if repeats else []))
    if hashtags:
        main.append([f.hxl for f in top] + [""] * (len(tail) + (1 if repeats else 0)))
    sheets = {}
    for repeat in repeats:
        sheet = book.create_sheet(repeat.name)
        sheet.append(
            [header(c, repeat) for c in repeat.children]
            + ["_index", "_parent_table_name", "_parent_index", "_submission__id", "_submission__uuid"]
        )
        sheets[repeat.name] = sheet
    child_index = {r.name: 0 for r in repeats}
    for index, sub in enumerate(submissions, start=1):
        status = sub.meta.get("_validation_status", {})
        main.append(
            [cell(f, sub.answers.get(f.name, "")) for f in top]
            + [index, sub.uuid, SUBMITTED, status.get("label", ""), "", "submitted_via_web", "", ""]
            + ([index] if repeats else [])
        )
        for repeat in repeats:
            for item in sub.repeats.get(repeat.name, []):
                child_index[repeat.name] += 1
                sheets[repeat.name].append(
                    [cell(c, item.get(c.name, "")) for c in repeat.children]
                    + [child_index[repeat.name], main.title, index, index, sub.uuid]
                )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv(rows: list[list[Any]], *, delimiter: str = ",", quote_all: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\n"
    )
    writer.writerows(rows)
    return buffer.getvalue()


def kobo_csv(form: Form, submissions: list[Submission]) -> bytes:
    top = _top(form)
    rows: list[list[Any]] = [[f.name for f in top] + ["_id", "_uuid", "_submission_time", "_validation_status"]]
    for index, sub in enumerate(submissions, start=1):
        status = sub.meta.get("_validation_status", {})
        rows.append([sub.answers.get(f.name, "") for f in top] + [index, sub.uuid, SUBMITTED, status.get("label", "")])
    return _csv(rows, delimiter=";", quote_all=True).encode("utf-8")


ODK_TAIL = [
    "meta-instanceID",
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
]


def _odk_main(form: Form, submissions: list[Submission]) -> str:
    top = _top(form)
    rows: list[list[Any]] = [["SubmissionDate"] + [f.name for f in top] + ODK_TAIL]
    for sub in submissions:
        key = f"uuid:{sub.uuid}"
        rows.append(
            [f"{SUBMITTED}.000Z"]
            + [sub.answers.get(f.name, "") for f in top]
            + [key, key, "5", "monitor-phone-2", "0", "0", "", sub.meta.get("ReviewState", ""), "", "0", "1"]
        )
    return _csv(rows)


def odk_csv(form: Form, submissions: list[Submission]) -> bytes:
    return _odk_main(form, submissions).encode("utf-8")


def odk_zip(form: Form, submissions: list[Submission]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{form.form_id}.csv", _odk_main(form, submissions))
        for repeat in form.repeats.values():
            rows: list[list[Any]] = [[c.name for c in repeat.children] + ["PARENT_KEY", "KEY"]]
            for sub in submissions:
                for n, item in enumerate(sub.repeats.get(repeat.name, []), start=1):
                    parent = f"uuid:{sub.uuid}"
                    rows.append(
                        [item.get(c.name, "") for c in repeat.children] + [parent, f"{parent}/{repeat.name}[{n}]"]
                    )
            archive.writestr(f"{form.form_id}-{repeat.name}.csv", _csv(rows))
    return buffer.getvalue()


WRITERS = {
    "kobo json": kobo_json,
    "kobo xlsx": kobo_xlsx,
    "kobo xlsx typed": lambda form, subs: kobo_xlsx(form, subs, typed=True, groups=False, hashtags=True),
    "kobo xlsx labels": lambda form, subs: kobo_xlsx(form, subs, labels=True),
    "kobo csv": kobo_csv,
    "odk zip": odk_zip,
    "odk csv": odk_csv,
}
# The formats that carry repeat groups (KoBoToolbox's CSV and ODK Central's root table leave them out).
WITH_REPEATS = ("kobo json", "kobo xlsx", "kobo xlsx typed", "kobo xlsx labels", "odk zip")
