"""A pull refused for its submissions fails its job with a coded error, said in the reader's language on
the intake page and in the job's progress (issue #17): each refused submission's problem on its own line,
the English kept for the API, the CLI and the logs; a crash's English line stays as it was."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from corridor.intake.sources import Source
from corridor.intake.tests.recorded import RecordedServer, serve_kobo
from corridor.jobs import services as jobs
from corridor.jobs.models import Job
from corridor.web.templatetags.corridor import error_said

pytestmark = pytest.mark.django_db

# The recorded KoBoToolbox export reports the deaths of P-301, P-302 and P-303; none is in the register.
NO_PATIENT = {
    "fa": ("gate-kobo: ۳ فرم ارسالی رد شد؛ چیزی نوشته نشد", "بیماری با کد «P-301» در ثبت نیست"),
    "ar": ("gate-kobo: ٣ استمارات مرفوضة؛ لم يُكتب شيء", "لا يوجد مريض بالرمز «P-301» في السجل"),
}


def _refused_pull(recorded_server: RecordedServer) -> Job:
    serve_kobo(recorded_server)
    job = jobs.submit("intake-pull", {"source": "gate-kobo"}, by=None, schedule="intake-pull-gate-kobo")
    assert jobs.run(job.pk) == Job.State.FAILED
    job.refresh_from_db()
    return job


def _reader(user: Any, language: str) -> Client:
    client = Client()
    client.force_login(user)
    assert client.post(reverse("web:set_language"), {"language": language}).status_code == 302
    return client


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_a_refused_pull_keeps_its_error_in_english_with_its_code_values_and_each_problem(
    intake_sources: dict[str, Source], recorded_server: RecordedServer
) -> None:
    job = _refused_pull(recorded_server)

    lines = job.error.splitlines()
    assert lines[0].startswith("gate-kobo: 3 rejected; nothing was written")
    assert len(lines) == 4 and "no patient with code 'P-301' in the register" in lines[1]
    assert lines[1].startswith("submission 1, patient_code: ")
    assert job.error_said["code"] == "intake.pull_refused"
    assert job.error_said["values"] == {"source": "gate-kobo", "count": 3}
    assert len(job.error_said["lines"]) == 3


@pytest.mark.parametrize("language", ["fa", "ar"])
def test_a_refused_pulls_error_is_said_in_persian_and_arabic_each_problem_on_its_line(
    language: str, intake_sources: dict[str, Source], recorded_server: RecordedServer
) -> None:
    job = _refused_pull(recorded_server)

    with translation.override(language):
        said = str(error_said(job))
        progress = render_to_string("jobs/_progress.html", {"job": job})

    heading, problem = NO_PATIENT[language]
    assert _text(said).startswith(heading)
    assert said.count("<li>") == 3 and problem in _text(said)
    # The source and each field are machine names, set as code; a patient's code is kept whole on its line.
    assert said.startswith('<bdi class="code"><code>gate-kobo</code></bdi>') and "<code>patient_code</code>" in said
    assert '<bdi class="code">P-301</bdi>' in said
    assert "nothing was written" not in said and "no patient" not in said
    assert said in progress


@pytest.mark.parametrize("language", ["fa", "ar"])
def test_the_intake_page_says_a_failed_pull_and_the_refusal_table_in_the_readers_language(
    language: str, intake_sources: dict[str, Source], recorded_server: RecordedServer, users: dict[str, Any]
) -> None:
    _refused_pull(recorded_server)

    page = _reader(users["coordinator"], language).get("/intake/").content.decode()

    heading, problem = NO_PATIENT[language]
    assert heading in _text(page) and problem in _text(page)
    assert "nothing was written" not in page and "no patient with code" not in page
    # The refusal table's last seen and times: the reader's digits, the date kept on one line.
    one = {"fa": "۱", "ar": "١"}[language]
    assert re.search(rf'<td class="n">{one}</td>', page)
    assert re.search(r'<td class="date"><time datetime="\d{4}-\d\d-\d\d">', page)
    assert not re.search(r"<td[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d</td>", page)


def test_a_crash_stays_in_english_for_the_operator() -> None:
    crashed = Job(error="internal error: KeyError", error_said={})
    stale = Job(error="something else", error_said={"template": "no site %(site)r", "values": {"site": "X"}})
    with translation.override("fa"):
        assert str(error_said(crashed)) == "internal error: KeyError"
        assert str(error_said(stale)) == "something else"


def test_the_api_gives_a_refused_pulls_code_and_its_error_in_the_requests_language(
    intake_sources: dict[str, Source], recorded_server: RecordedServer
) -> None:
    from corridor.api.jobs import _out

    job = _refused_pull(recorded_server)

    with translation.override("ar"):
        answer = _out(job)
    assert answer["error"] == job.error  # the English, as the logs keep it
    assert answer["error_code"] == "intake.pull_refused"
    lines = answer["error_message"].splitlines()
    assert lines[0].startswith(NO_PATIENT["ar"][0]) and len(lines) == 4
    assert NO_PATIENT["ar"][1] in lines[1] and "no patient" not in answer["error_message"]
    crashed = _out(
        Job(pk=7, kind="export", state="failed", error="internal error: KeyError", created_at=job.created_at)
    )
    assert (crashed["error_code"], crashed["error_message"]) == (None, "internal error: KeyError")
