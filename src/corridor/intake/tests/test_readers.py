"""Reading exports: each platform's layout, and a clear refusal for every file that is not one."""

from __future__ import annotations

import builtins
import io
import json
import zipfile
from typing import Any

import pytest

from corridor.errors import InvalidInput
from corridor.intake.forms import FORMS
from corridor.intake.parse import parse_export
from corridor.intake.readers import MAX_UNZIPPED_BYTES, read_export
from corridor.intake.tests.exports import Submission, kobo_csv, kobo_json, kobo_xlsx, odk_zip

GATE = FORMS["gate_incident"]
OUTCOME = FORMS["trip_outcome"]
UUID = "5c6f2a3e-1d2b-4c3a-9f8e-7d6c5b4a3921"


def _gate(**answers: str) -> Submission:
    base = {
        "corridor_form": "gate_incident",
        "trip_number": "T-7",
        "outcome": "released",
        "time_at_gate": "2014-10-12T09:00:00.000+03:00",
        "time_released": "2014-10-12T13:30:00.000+03:00",
        "certainty": "confirmed",
    }
    return Submission(UUID, {**base, **answers})


def _outcome(n: int) -> Submission:
    return Submission(
        f"{UUID[:-1]}{n}",
        {"corridor_form": "trip_outcome", "trip_number": f"T-{n}", "certainty": "probable"},
        {"patients": [{"patient_code": f"P-{n}{i}", "outcome": "seen"} for i in range(n)]},
    )


def test_kobo_csv_is_read_with_its_semicolons_and_its_row_of_hashtags() -> None:
    text = kobo_csv(GATE, [_gate()]).decode()
    header, row = text.splitlines()
    hashtags = ";".join(f'"{f.hxl}"' for f in GATE.fields) + ';"";"";"";""'
    export = read_export(f"{header}\n{hashtags}\n{row}\n".encode(), "gate.csv")
    assert export.format == "csv" and len(export.submissions) == 1
    parsed = parse_export(export)[0]
    assert str(parsed.where) == "row 3" and not parsed.problems
    assert parsed.values["trip_number"] == "T-7" and parsed.instance_id == UUID


def test_repeat_rows_join_their_submission_in_every_layout() -> None:
    submissions = [_outcome(1), _outcome(3)]
    for data in (odk_zip(OUTCOME, submissions), kobo_xlsx(OUTCOME, submissions), kobo_json(OUTCOME, submissions)):
        parsed = parse_export(read_export(data))
        assert [[i.values["patient_code"] for i in p.repeats["patients"]] for p in parsed] == [
            ["P-10"],
            ["P-30", "P-31", "P-32"],
        ]


def test_a_page_of_the_kobo_api_is_refused_rather_than_half_imported() -> None:
    document = json.loads(kobo_json(GATE, [_gate()]))
    document.update(count=250, next="https://example.org/api/v2/assets/aBc/data/?page=2")
    with pytest.raises(InvalidInput, match="one page of 250 submissions"):
        read_export(json.dumps(document).encode())
    document.update(next=None)
    with pytest.raises(InvalidInput, match='"count" says 250 but the answer holds 1'):
        read_export(json.dumps(document).encode())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old .xls workbook"),
        ("caf\xe9;x\n".encode("latin-1"), "not UTF-8"),
        (b"PK\x03\x04 not really a zip", "cannot be opened"),
        (b'{"results": 3}', 'no "results" list'),
        (b'{"@odata.context": "x", "value": []}', "OData JSON is not read here"),
        (b"[1, 2]", "submission 1 is not a JSON object"),
        (b'{"results": [{"a": "\\u0000"}]}', "NUL character"),
        (b'{"results": [{"a": "\\ud800"}]}', "unpaired surrogate"),
        (b"[" * 100_000, "nested too deeply"),
        (b'a,b\n1,"2\n', "not readable CSV"),
        (b"a,b\n1,2,3\n", "more cells than the header"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused_in_one_clear_sentence(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_export(data, "upload")


def test_an_export_of_another_form_is_refused_as_a_whole() -> None:
    with pytest.raises(InvalidInput, match="not an export of one of Corridor's forms"):
        parse_export(read_export(b"name,age\nsomeone,3\n"))


def test_a_zip_that_unpacks_to_too_much_is_refused_before_it_is_unpacked() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("form.csv", b"a" * (MAX_UNZIPPED_BYTES + 1))
    with pytest.raises(InvalidInput, match="more than 100 MB"):
        read_export(buffer.getvalue())


def test_a_repeat_row_that_belongs_to_no_submission_is_refused() -> None:
    data = odk_zip(OUTCOME, [_outcome(1)])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            body = source.read(name)
            if name.endswith("-patients.csv"):
                body = body.replace(f"uuid:{UUID[:-1]}1,".encode(), b"uuid:someone-else,")
            target.writestr(name, body)
    with pytest.raises(InvalidInput, match="corridor_trip_outcome-patients.csv row 2: PARENT_KEY 'uuid:someone-else'"):
        read_export(buffer.getvalue())


def test_without_openpyxl_an_xlsx_export_is_refused_with_what_to_do_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_openpyxl(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "openpyxl" or name.startswith("openpyxl."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    data = kobo_xlsx(GATE, [_gate()])
    monkeypatch.setattr(builtins, "__import__", no_openpyxl)
    with pytest.raises(InvalidInput, match="needs the openpyxl package.*export CSV or JSON instead"):
        read_export(data)


def test_answers_are_read_whatever_the_spreadsheet_made_of_them() -> None:
    typed = kobo_xlsx(GATE, [_gate(witnesses="3")], typed=True, groups=False)
    labelled = kobo_xlsx(GATE, [_gate(witnesses="3")], labels=True)
    naive, labels = parse_export(read_export(typed))[0], parse_export(read_export(labelled))[0]
    assert not naive.problems and not labels.problems
    assert naive.values["witnesses"] == labels.values["witnesses"] == 3
    assert naive.values["time_at_gate"].tzinfo is None  # the camp's local time, placed by the import
    assert labels.values["time_at_gate"].utcoffset().total_seconds() == 3 * 3600
    assert labels.values["outcome"] == naive.values["outcome"] == "released"


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"witnesses": "three"}, "witnesses", "must be a whole number"),
        ({"outcome": "let through maybe"}, "outcome", "must be one of released, held, turned_back, cancelled"),
        ({"time_at_gate": "12/10/2014 09:00"}, "time_at_gate", "must be a date and time"),
        ({"trip_date": "2014-13-40"}, "trip_date", "must be a date written YYYY-MM-DD"),
        ({"time_released": "3014-10-12T09:00:00"}, "time_released", "the year 3014 cannot be right"),
    ],
)
def test_an_unreadable_answer_is_a_problem_naming_its_row_and_field(
    answers: dict[str, str], field: str, message: str
) -> None:
    parsed = parse_export(read_export(kobo_csv(GATE, [_gate(**answers)])))[0]
    assert [(str(p.where), p.field) for p in parsed.problems] == [("row 2", field)]
    assert message in parsed.problems[0].message


def test_a_submission_without_an_instance_id_is_a_problem_not_a_fresh_record() -> None:
    text = kobo_csv(GATE, [_gate()]).decode().replace(UUID, "")
    parsed = parse_export(read_export(text.encode()))[0]
    assert [p.field for p in parsed.problems] == ["instanceID"]
