"""A finished job's answer is said in the reader's language, as its progress is; the English stays in the API."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from corridor.jobs.models import Job
from corridor.jobs.registry import Result
from corridor.web.templatetags.corridor import answer_said


def _finished(result: Result) -> Job:
    # What jobs.services._succeed stores, without a database: the English sentence and its template.
    values = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in result.values.items()}
    return Job(answer=result.sentence, answer_said={"template": result.answer, "values": values})


def test_a_plan_jobs_answer_gives_its_day_in_the_readers_calendar_and_digits() -> None:
    job = _finished(
        Result("plan proposed for %(day)s: ledger entry %(seq)s", values={"day": dt.date(2014, 10, 12), "seq": 42})
    )
    assert job.answer == "plan proposed for 2014-10-12: ledger entry 42"
    with translation.override("fa"):
        said = answer_said(job)
    assert said.startswith("برنامه برای ۲۰ مهر ۱۳۹۳") and "#۴۲" in said
    with translation.override("ar"):
        assert "#٤٢" in answer_said(job) and "2014" not in answer_said(job)


def test_an_answer_without_a_template_or_older_than_its_sentence_is_said_as_it_was_recorded() -> None:
    assert answer_said(Job(answer="signed: 3 entries", answer_said={})) == "signed: 3 entries"
    stale = Job(answer="something else", answer_said={"template": "no checkpoint due", "values": {}})
    with translation.override("fa"):
        assert answer_said(stale) == "something else"
