"""Exports: pseudonymised, in three formats, SSA columns for incidents, suppression for the public."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corridor.cli import cli
from corridor.errors import InvalidInput, NotAllowed
from corridor.ledger.models import Entry
from corridor.register.models import PatientIdentity
from corridor.reports import exports, services
from corridor.reports.tests import fixtures
from corridor.transfers import services as transfers


@pytest.fixture
def october(camp: Any, settings: Any) -> dict[str, Any]:
    settings.TODAY = fixtures.AS_OF
    return fixtures.build(camp)


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def _identity_values() -> list[str]:
    rows = PatientIdentity.objects.all()  # through the model, which opens each value with its patient id
    return [v for i in rows for v in (i.full_name, i.contact, i.notes) if v]


def test_referrals_leave_under_codes_and_age_groups_with_no_identity_field(october: dict[str, Any]) -> None:
    content = services.export(dataset="referrals", fmt="csv", by=None).content
    rows = _rows(content)
    assert rows[0] == [c.name for c in exports.REFERRAL_COLUMNS]
    assert "birth_year" not in rows[0] and "full_name" not in rows[0]
    by_patient = {r[1]: r for r in rows[1:]}
    assert (
        by_patient["P-A"][3] == "<18" and by_patient["P-E"][3] == "unknown" and by_patient["P-F"][6] == "IX circulatory"
    )
    assert (by_patient["P-D"][10], by_patient["P-D"][12]) == ("waiting", "80")  # referred 1 August
    # Seen on 5 October: still in care (not closed), and the wait ended at that first visit.
    assert (by_patient["P-A"][10], by_patient["P-A"][11], by_patient["P-A"][12]) == ("in_care", "", "34")
    text = content.decode("utf-8").lower()
    assert all(value.lower() not in text for value in _identity_values())


def test_every_dataset_reads_back_through_libhxl_with_its_hashtags(october: dict[str, Any]) -> None:
    import hxl

    for dataset, month in (
        ("referrals", None),
        ("trips", "2014-10"),
        ("incidents", "2014-10"),
        ("indicators", "2014-10"),
    ):
        content = services.export(dataset=dataset, fmt="hxl", month=month, by=None).content
        rows = _rows(content)
        data = hxl.data(rows)
        columns = {"referrals": exports.REFERRAL_COLUMNS, "trips": exports.TRIP_COLUMNS}.get(
            dataset, exports.INCIDENT_COLUMNS if dataset == "incidents" else exports.INDICATOR_COLUMNS
        )
        assert [c.display_tag for c in data.columns] == [c.hxl for c in columns]
        assert len(list(data)) == len(rows) - 2 > 0


def test_the_json_export_carries_its_columns_ledger_head_and_rows(october: dict[str, Any]) -> None:
    produced = services.export(dataset="trips", fmt="json", month="2014-10", by=None)
    document = json.loads(produced.content)
    assert document["dataset"] == "trips" and document["as_of"]
    assert document["ledger_head"]["seq"] == produced.entry.payload["ledger_head"]["seq"]
    trips = {row["trip"]: row for row in document["rows"]}
    t1 = trips[october["trips"]["T1"].code]
    assert (t1["request_outcome"], t1["hours_held"], t1["arrived_late"], t1["seen"], t1["not_seen"]) == (
        "approved",
        2.5,
        False,
        2,
        1,
    )
    t3 = trips[october["trips"]["T3"].code]
    assert (t3["answer"], t3["answered_on"], t3["request_outcome"], t3["cancelled_by"]) == (
        "approved",
        "2014-10-09",
        "delayed",
        "hospital",
    )
    assert october["trips"]["T0"].code not in trips  # September


def test_the_incident_export_has_the_ssa_public_columns_after_corrections_and_no_description(
    october: dict[str, Any],
) -> None:
    content = services.export(dataset="incidents", fmt="csv", month="2014-10", by=None).content
    rows = _rows(content)
    assert rows[0][:8] == [
        "Country / Territory",
        "Date",
        "Attack Type",
        "Health Care Resource",
        "Facility Type",
        "Total Death",
        "Total Injured",
        "Certainty Level",
    ]
    found = {(r[1], r[2], r[3], r[7], r[8]) for r in rows[1:] if r[11] in ("recorded", "delivery_blocked")}
    assert {r[11] for r in rows[1:]} == {
        "arrived_after_closing",
        "cancelled_by_authority",
        "delivery_blocked",
        "held_at_gate",
        "no_answer",
        "permit_denied",
        "recorded",
    }
    assert found == {
        ("2014-10-03", "Obstruction to delivery of care", "Health care supplies", "Confirmed", "medicine"),
        ("2014-10-07", "Obstruction to delivery of care", "Health care transport", "Possible", ""),
        ("2014-10-11", "Abduction/arrest/detention of health personnel or patients", "Patients", "Confirmed", ""),
    }
    assert all(r[0] == "XX" and r[5] == "" for r in rows[1:])  # deaths not recorded stay empty
    assert "taken from the queue" not in content.decode("utf-8")


def test_public_indicator_exports_blank_small_counts_and_mark_them_while_partners_see_them(
    october: dict[str, Any],
) -> None:
    public = _rows(services.export(dataset="indicators", fmt="csv", month="2014-10", by=None).content)
    partners = _rows(
        services.export(dataset="indicators", fmt="csv", month="2014-10", audience="partners", by=None).content
    )
    header = public[0]
    value, unit, suppressed = header.index("value"), header.index("unit"), header.index("suppressed")
    counts = [r for r in public[1:] if r[unit] == "count"]
    assert counts and not any(r[value] in {"1", "2", "3", "4"} for r in counts)
    blanked = [r for r in public[1:] if r[suppressed] == "true"]
    assert blanked and all(r[value] == "" for r in blanked)
    headline = {r[2]: r[value] for r in public[1:] if r[4] == ""}
    assert headline["requests.total"] == "9" and headline["requests.denied"] == ""
    full = {r[2]: r[value] for r in partners[1:] if r[4] == ""}
    assert full["requests.denied"] == "1" and not any(r[suppressed] == "true" for r in partners[1:])


def test_a_reason_that_quotes_a_name_leaves_with_the_name_withheld(october: dict[str, Any]) -> None:
    t6 = october["trips"]["T6"]
    transfers.cancel_trip(t6, reason="Test Person Bravo's permit was refused", by=None)
    content = services.export(dataset="trips", fmt="csv", by=None).content.decode("utf-8")
    assert "[withheld]'s permit was refused" in content and "Bravo" not in content


def test_exports_need_the_export_capability_and_reports_a_role(october: dict[str, Any], users: dict[str, Any]) -> None:
    with pytest.raises(NotAllowed):
        services.export(dataset="referrals", by=users["monitor"])
    with pytest.raises(NotAllowed):
        services.monthly_report(month="2014-10", fmt="html", by=users["outsider"])
    produced = services.monthly_report(month="2014-10", fmt="html", public=True, by=users["monitor"])
    assert Entry.objects.get(seq=produced.entry.seq).recorded_by == "monitor"
    assert services.export(dataset="incidents", by=users["auditor"]).entry.recorded_by == "auditor"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        ({"dataset": "patients"}, "dataset"),
        ({"dataset": "trips", "fmt": "xlsx"}, "format"),
        ({"dataset": "indicators"}, "month"),
        ({"dataset": "trips", "month": "2014-13"}, "month"),
        ({"dataset": "indicators", "month": "2014-10", "audience": "everyone"}, "audience"),
    ],
)
def test_a_bad_request_is_refused_naming_the_field_and_records_nothing(
    db: Any, call: dict[str, Any], field: str
) -> None:
    before = Entry.objects.count()
    with pytest.raises(InvalidInput) as refused:
        services.export(by=None, **call)
    assert refused.value.field == field
    assert Entry.objects.count() == before


def test_the_command_line_writes_reports_and_exports_and_says_what_it_recorded(
    october: dict[str, Any], tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "october.html"
    result = runner.invoke(
        cli, ["report", "monthly", "--month", "2014-10", "--format", "html", "--language", "ar", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert 'dir="rtl"' in page and 'lang="ar"' in page and "الوصول إلى الرعاية" in page
    assert "sha256" in result.output
    hxl_file = tmp_path / "indicators.hxl.csv"
    result = runner.invoke(
        cli, ["export", "indicators", "--month", "2014-10", "--format", "hxl", "--out", str(hxl_file)]
    )
    assert result.exit_code == 0, result.output
    assert hxl_file.read_text(encoding="utf-8").splitlines()[1].startswith("#date+period,")
    result = runner.invoke(cli, ["export", "trips", "--month", "October", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "corridor: error: month:" in result.output
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.csv.partial").exists()


def test_the_command_line_records_a_narrative_in_the_authors_name_and_refuses_an_unknown_author(
    october: dict[str, Any], users: dict[str, Any]
) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["report", "narrative", "--month", "2014-10", "--language", "fa", "--author", "monitor"],
        input="ماه سختی بود.",
    )
    assert result.exit_code == 0, result.output
    entry = Entry.objects.filter(type="report.narrative").latest("seq")
    assert (entry.recorded_by, entry.payload["text"], entry.payload["language"]) == ("monitor", "ماه سختی بود.", "fa")
    refused = runner.invoke(cli, ["report", "narrative", "--month", "2014-10", "--text", "x", "--author", "nobody"])
    assert refused.exit_code != 0 and "--author" in refused.output
    assert Entry.objects.filter(type="report.narrative").count() == 1
