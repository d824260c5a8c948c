"""A field submission's problems carry a code and are said in the reader's language (issue #17, items 3 and 5).

Every place intake finds a problem gives a code (``intake.…``), an English template and named values, and
where it is as a phrase of its own; a refused submission keeps them so, and the intake page, the push's
answer and the CLI say them in Persian and Arabic. Rows kept before problems had codes still show.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from corridor.cli import cli
from corridor.errors import Phrase
from corridor.intake import said, servers
from corridor.intake.models import Refusal
from corridor.intake.parse import Problem
from corridor.intake.readers import REPEAT_ITEM, ROW
from corridor.intake.sources import Source
from corridor.intake.tests.conftest import PUSH_SECRET
from corridor.intake.tests.recorded import RECORDED

INTAKE = Path(__file__).resolve().parents[1]
BODY = (RECORDED / "kobo/push-death.json").read_bytes()  # P-305, not in the register unless a test adds it

# Persian and Arabic of the refusal of P-305: its place, its sentence (local digits in the place).
SAID = {
    "fa": ("فرم ارسالی ۱", "بیماری با کد «P-305» در ثبت نیست"),
    "ar": ("الاستمارة ١", "لا يوجد مريض بالرمز «P-305» في السجل"),
}


# --- every problem is coded: read from the syntax tree -----------------------------------------------


def _is_text_built_at_the_call(node: ast.AST | None) -> bool:
    """An f-string, a concatenation or a %-format: English joined where the problem is found."""
    return isinstance(node, ast.JoinedStr | ast.BinOp)


def uncoded(tree: ast.AST, path: str) -> list[str]:
    """Each call that records a problem, builds one or raises a reading refusal without a code of its own,
    or with its sentence or its place written as English text at the call."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        keywords = {k.arg: k.value for k in node.keywords}
        where = f"{path}:{node.lineno}"
        recording = isinstance(node.func, ast.Attribute) and ast.unparse(node.func.value) != "said"
        if name == "problem" and recording:  # Parsed.problem(field, template, code=…, where=…, **values)
            code = keywords.get("code")
            message = node.args[1] if len(node.args) > 1 else None
            if code is None or (isinstance(code, ast.Constant) and not str(code.value).startswith("intake.")):
                found.append(f"{where}: a problem without an intake.… code")
            if _is_text_built_at_the_call(message) or _is_text_built_at_the_call(keywords.get("where")):
                found.append(f"{where}: a problem's sentence or place built as English text")
        elif name == "Problem":  # Problem(where, field, template, code, values)
            if len(node.args) < 4 and "code" not in keywords:
                found.append(f"{where}: a Problem without a code")
            if any(_is_text_built_at_the_call(a) for a in node.args[:3]):
                found.append(f"{where}: a Problem's sentence or place built as English text")
        elif name == "CoreRefusal" and "code" not in keywords:
            found.append(f"{where}: an answer refused without a code")
        elif name in ("Row", "RawSubmission", "Item") and node.args:
            if isinstance(node.args[0], ast.Constant) or _is_text_built_at_the_call(node.args[0]):
                found.append(f"{where}: a place written as English text, not a phrase")
        elif (
            name == "ValueError"
            and path.endswith("parse.py")
            and node.args
            and _is_text_built_at_the_call(node.args[0])
        ):
            found.append(f"{where}: an answer refused with an English sentence, not a coded CoreRefusal")
    return found


def test_every_problem_intake_finds_gives_a_code_a_template_and_its_place_as_a_phrase() -> None:
    findings: list[str] = []
    calls = 0
    for path in sorted(INTAKE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        findings += uncoded(tree, path.name)
        calls += sum(
            1
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "problem"
            and ast.unparse(node.func.value) != "said"  # said.problem reads a kept one back
        )
    assert calls > 40  # the walk found intake's call sites
    assert findings == []


@pytest.mark.parametrize(
    "planted",
    [
        'p.problem("trip_number", f"no trip T-{pk} in the register")',
        'p.problem("trip_number", _("no trip in the register"), code="no_trip")',
        'p.problem("unit", _("is required"), code="intake.required", where=f"{where}, item {i}")',
        'Problem(where, None, "cannot be imported")',
        'raise CoreRefusal(_("is too large"))',
        'Row(f"submission {n}", cells)',
    ],
)
def test_the_code_check_catches_a_planted_uncoded_problem(planted: str) -> None:
    assert uncoded(ast.parse(planted), "planted.py") != []


def test_a_coded_problem_passes_the_code_check() -> None:
    coded = 'p.problem("unit", _("is required"), code="intake.required", where=item.where, given=code)'
    assert uncoded(ast.parse(coded), "planted.py") == []


# --- kept, and read back ----------------------------------------------------------------------------


def test_a_problem_kept_as_json_reads_back_the_same_with_its_place_and_values() -> None:
    where = Phrase.of(REPEAT_ITEM, submission=3, group="patients", item=2)
    problem = Problem(
        where,
        "trip_date",
        "trip T-%(trip)s is on %(actual)s, not %(given)s",
        "intake.trip_other_day",
        {"trip": 12, "actual": dt.date(2014, 10, 12), "given": "2014-10-17", "when": Phrase.of(ROW, row=4)},
    )

    kept = json.loads(json.dumps(problem.as_json()))
    again = Problem.from_json(kept)

    assert kept["code"] == "intake.trip_other_day" and kept["field"] == "trip_date"
    assert again is not None and again.where == where and again.values["when"] == Phrase.of(ROW, row=4)
    assert str(again) == "submission 3, patients 2, trip_date: trip T-12 is on 2014-10-12, not 2014-10-17"
    assert Problem.from_json("rejected  row 2  a line kept before problems had codes") is None


# --- said in the reader's language ------------------------------------------------------------------


def _pushing(name: str = "deaths-push") -> Source:
    return Source(name, "kobo", "https://kobo.example.org", "aSynthDeath01", push_secret=PUSH_SECRET)


def _reader(user: Any, language: str) -> Client:
    client = Client()
    client.force_login(user)
    assert client.post(reverse("web:set_language"), {"language": language}).status_code == 302
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fa", "ar"])
def test_a_refused_push_reads_in_persian_and_arabic_on_the_intake_page(language: str, users: dict[str, Any]) -> None:
    servers.receive_push(_pushing(), BODY)
    [refusal] = Refusal.objects.all()
    assert [p["code"] for p in refusal.problems] == ["intake.no_patient"]  # kept coded, not as a line

    page = _reader(users["coordinator"], language).get("/intake/").content.decode()

    place, sentence = SAID[language]
    assert '<bdi class="code">P-305</bdi>' in page  # a code is kept whole, apart from the sentence's direction
    assert f"{place}، <code>patient_code</code>: {sentence}" in re.sub(r"</?bdi[^>]*>", "", page)
    assert "no patient with code" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fa", "ar"])
def test_the_push_answer_gives_each_problem_its_code_and_says_it_in_the_requests_language(
    language: str, intake_sources: dict[str, Source]
) -> None:
    response = Client().post(
        "/intake/push/deaths-push/",
        data=BODY,
        content_type="application/json",
        headers={"X-Corridor-Secret": PUSH_SECRET, "Accept-Language": language},
    )

    assert response.status_code == 200 and response.json()["status"] == "refused"
    [problem] = response.json()["problems"]
    place, sentence = SAID[language]
    assert problem["code"] == "intake.no_patient" and problem["field"] == "patient_code"
    assert problem["where"] == place and problem["message"].startswith(sentence)
    assert problem["values"] == {"given": "P-305"}


@pytest.mark.django_db
def test_a_refusal_kept_before_problems_had_codes_still_shows_its_english_line(users: dict[str, Any]) -> None:
    now = timezone.now()
    line = "rejected   submission 1  uuid:old-1  patient_code: no patient with code 'P-9' in the register"
    Refusal.objects.create(  # as an earlier version kept it: one English line, no code
        source="deaths-push", way="push", instance_id="old-1", form="death", problems=[line],
        first_seen_at=now, last_seen_at=now,
    )  # fmt: skip

    page = _reader(users["coordinator"], "fa").get("/intake/").content.decode()
    listed = CliRunner().invoke(cli, ["intake", "refused", "--language", "ar"])

    assert line in page.replace("&#x27;", "'")
    assert listed.exit_code == 0 and f"intake.refused  {line}" in listed.output
    assert said.as_json(line) == {"code": "intake.refused", "message": line, "where": "", "field": None, "values": {}}


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "shown"), [("en", None), ("fa", "fa"), ("ar", "ar")])
def test_the_cli_lists_refused_submissions_with_codes_in_english_or_the_language_asked_for(
    language: str, shown: str | None
) -> None:
    servers.receive_push(_pushing(), BODY)

    result = CliRunner().invoke(cli, ["intake", "refused", "--language", language])

    assert result.exit_code == 0, result.output
    way = {None: "push", "fa": "فرستاده\u200cشده از سرور", "ar": "أرسلها الخادم"}[shown]  # how it came, in words
    assert f"deaths-push ({way})  uuid:1e0a7f52-2c41-4d8e-9a1b-000000000305  death" in result.output
    if shown is None:
        assert "intake.no_patient  submission 1, patient_code: no patient with code 'P-305'" in result.output
    else:
        place, sentence = SAID[shown]
        assert f"intake.no_patient  {place}، patient_code: {sentence}" in result.output


@pytest.mark.django_db
def test_an_import_report_says_its_rows_and_problems_in_persian_when_asked(deaths_one_unknown: Path) -> None:

    result = CliRunner().invoke(cli, ["import", "kobo", str(deaths_one_unknown), "--language", "fa"])

    assert result.exit_code == 2
    assert "فرم ارسالی ۲" in result.output and "patient_code: بیماری با کد «P-0000» در ثبت نیست" in result.output
    with translation.override("fa"):  # the English stays what the logs keep
        assert "no patient with code 'P-0000'" in str(Problem("", "patient_code", *_no_patient("P-0000")))


def _no_patient(code: str) -> tuple[str, str, dict[str, str]]:
    template = "no patient with code '%(given)s' in the register; check the code (an import never creates patients)"
    return template, "intake.no_patient", {"given": code}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fa", "ar"])
def test_an_upload_with_a_rejected_submission_is_reported_with_no_english_left(
    language: str, field_state: Callable[[str], Any], users: dict[str, Any]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from corridor.intake.forms import FORMS
    from corridor.intake.tests.exports import kobo_xlsx
    from corridor.web.tests.test_untranslated import english_in

    case = field_state("trip_outcome")
    case.submissions[0].repeats["patients"][1]["patient_code"] = "P-0000"
    upload = SimpleUploadedFile("out.xlsx", kobo_xlsx(FORMS["trip_outcome"], case.submissions))

    response = _reader(users["coordinator"], language).post("/intake/", {"platform": "kobo", "file": upload})

    page = response.content.decode()
    assert response.status_code == 200 and '<bdi class="code">P-0000</bdi>' in page
    assert "<code>patients</code>" in page  # the sheet's name, as the export gave it
    nothing_written = {"fa": "چیزی نوشته نشد", "ar": "لم يُكتب شيء"}[language]
    assert nothing_written in page and "nothing was written" not in page
    assert english_in(page) == []
