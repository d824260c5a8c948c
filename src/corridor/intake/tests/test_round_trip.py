"""Round trips: submissions of every form, written in every export format, imported, and found in the ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from corridor.intake.forms import FORMS
from corridor.intake.models import ImportedSubmission
from corridor.intake.services import ImportReport, import_export
from corridor.intake.tests.cases import Case
from corridor.intake.tests.exports import WITH_REPEATS, WRITERS
from corridor.ledger import services as ledger
from corridor.ledger.models import Entry
from corridor.register.models import Patient
from corridor.transfers.models import Trip

pytestmark = pytest.mark.django_db

PAIRS = [(form, fmt) for form in FORMS for fmt in WRITERS if fmt in WITH_REPEATS or not FORMS[form].repeats]


def _import(data: bytes, fmt: str, by: Any, **kw: Any) -> ImportReport:
    platform, kind = fmt.split()[:2]
    return import_export(data, platform=platform, filename=f"export.{kind}", by=by, **kw)


def _snapshot() -> tuple[int, int, list[tuple[int, str]]]:
    trips = list(Trip.objects.order_by("pk").values_list("pk", "status"))
    return ledger.head()[0], ImportedSubmission.objects.count(), trips


@pytest.mark.parametrize(("form", "fmt"), PAIRS, ids=[f"{f}-{x.replace(' ', '-')}" for f, x in PAIRS])
def test_every_form_round_trips_through_every_export_format_and_a_second_import_changes_nothing(
    form: str, fmt: str, field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state(form)
    data = WRITERS[fmt](FORMS[form], case.submissions)
    before = ledger.head()[0]

    report = _import(data, fmt, monitor)

    assert [s.status for s in report.submissions] == ["imported"] * len(case.submissions), report.lines()
    entries = list(Entry.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.type for e in entries] == [t for types in case.expected for t in types]
    for sub, outcome, types in zip(case.submissions, report.submissions, case.expected, strict=True):
        assert outcome.instance_id == sub.uuid
        mine = [e for e in entries if e.seq in outcome.seqs]
        assert [e.type for e in mine] == types
        carrying = [e for e in mine if "submission" in e.payload]
        assert carrying, f"no entry of {sub.uuid} keeps the raw submission"
        for entry in carrying:
            kept = entry.payload["submission"]
            assert kept["id"] == f"uuid:{sub.uuid}" and kept["form"] == form
            assert kept["via"] == f"{fmt.split()[0]} {fmt.split()[1]}"
            assert entry.recorded_by == "monitor"
        stored = ImportedSubmission.objects.get(instance_id=sub.uuid)
        assert tuple(stored.seqs) == outcome.seqs and stored.form == form
    assert ledger.verify().ok

    after_first = _snapshot()
    again = _import(data, fmt, monitor)

    assert _snapshot() == after_first
    assert [s.status for s in again.submissions] == ["duplicate"] * len(case.submissions)
    assert [s.seqs for s in again.submissions] == [s.seqs for s in report.submissions]
    assert not again.written


def test_the_same_submissions_exported_in_another_format_are_duplicates_too(
    field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state("gate_incident")
    form = FORMS["gate_incident"]
    _import(WRITERS["kobo json"](form, case.submissions), "kobo json", monitor)
    head = ledger.head()[0]
    for fmt in ("kobo xlsx typed", "odk zip", "kobo csv"):
        report = _import(WRITERS[fmt](form, case.submissions), fmt, monitor)
        assert [s.status for s in report.submissions] == ["duplicate"] * 4, report.lines()
    assert ledger.head()[0] == head


# form -> (how to spoil the last submission, the field the rejection names, what its message says)
BREAK: dict[str, tuple[Callable[[Any], None], str, str]] = {
    "gate_incident": (
        lambda s: s.answers.update(trip_number="T-99999"),
        "trip_number",
        "no trip T-99999 in the register",
    ),
    "trip_outcome": (
        lambda s: s.repeats["patients"][0].update(patient_code="P-9999"),
        "patient_code",
        "no patient with code 'P-9999' in the register",
    ),
    "death": (
        lambda s: s.answers.update(patient_code="P-9999"),
        "patient_code",
        "no patient with code 'P-9999' in the register",
    ),
    "supply_delivery": (
        lambda s: s.repeats["items"][0].update(item_code="no-such-item"),
        "item_code",
        "CAMP-T has no item 'no-such-item'",
    ),
}


@pytest.mark.parametrize(("form", "fmt"), PAIRS, ids=[f"{f}-{x.replace(' ', '-')}" for f, x in PAIRS])
def test_one_bad_submission_rejects_the_whole_file_and_writes_nothing(
    form: str, fmt: str, field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state(form)
    spoil, field, message = BREAK[form]
    spoil(case.submissions[-1])
    data = WRITERS[fmt](FORMS[form], case.submissions)
    before = _snapshot()
    patients = Patient.objects.count()

    report = _import(data, fmt, monitor)

    assert _snapshot() == before
    assert Patient.objects.count() == patients  # an unknown code is never invented
    assert [s.status for s in report.submissions] == ["ready"] * (len(case.submissions) - 1) + ["rejected"]
    problems = report.submissions[-1].problems
    assert [p.field for p in problems] == [field]
    assert "nothing was written" in report.summary()
    assert problems[0].message.startswith(message)


@pytest.mark.parametrize("fmt", [f for f in WRITERS if f not in WITH_REPEATS])
@pytest.mark.parametrize("form", [f for f in FORMS if FORMS[f].repeats])
def test_an_export_that_leaves_repeat_groups_out_is_refused_with_the_formats_that_keep_them(
    form: str, fmt: str, field_state: Callable[[str], Case], monitor: Any
) -> None:
    case = field_state(form)
    before = _snapshot()
    report = _import(WRITERS[fmt](FORMS[form], case.submissions), fmt, monitor)
    assert _snapshot() == before
    assert all(s.status == "rejected" for s in report.submissions)
    message = report.submissions[0].problems[0].message
    assert "XLSX or JSON" in message and "ZIP" in message
