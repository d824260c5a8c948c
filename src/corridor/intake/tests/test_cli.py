"""``corridor import``: the report on stdout, exit 2 with nothing written when a submission is rejected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from corridor.cli import cli
from corridor.intake.forms import FORMS
from corridor.intake.tests.cases import Case
from corridor.intake.tests.exports import kobo_json, odk_zip
from corridor.ledger import services as ledger

pytestmark = pytest.mark.django_db


def test_import_odk_prints_what_was_imported_and_then_that_it_was_already(
    field_state: Callable[[str], Case], tmp_path: Path
) -> None:
    case = field_state("trip_outcome")
    path = tmp_path / "corridor_trip_outcome.zip"
    path.write_bytes(odk_zip(FORMS["trip_outcome"], case.submissions))

    first = CliRunner().invoke(cli, ["import", "odk", str(path)])
    again = CliRunner().invoke(cli, ["import", "odk", str(path)])

    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0] == "ODK export corridor_trip_outcome.zip (ZIP of CSV files): trip_outcome; 2 submissions"
    assert lines[1].split()[:3] == ["imported", "row", "2"] and f"uuid:{case.submissions[0].uuid}" in lines[1]
    assert lines[-1] == "2 imported, 0 already imported, 0 excluded, 0 rejected"
    assert again.exit_code == 0
    assert again.output.splitlines()[-1] == "0 imported, 2 already imported, 0 excluded, 0 rejected"


def test_a_rejected_submission_exits_2_naming_row_and_field_with_nothing_written(deaths_one_unknown: Path) -> None:
    head = ledger.head()[0]

    result = CliRunner().invoke(cli, ["import", "kobo", str(deaths_one_unknown)])

    assert result.exit_code == 2
    assert ledger.head()[0] == head
    assert "submission 2" in result.output and "patient_code: no patient with code 'P-0000'" in result.output
    assert "ready " in result.output  # the first was fine, and held back
    assert "corridor: error: 1 of 2 submissions rejected; nothing was written" in result.output


def test_a_file_that_is_no_export_is_one_error_line(tmp_path: Path, db: None) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("notes\nbring water\n")
    result = CliRunner().invoke(cli, ["import", "kobo", str(path)])
    assert result.exit_code == 2
    assert result.output.strip().startswith("corridor: error: no submission answers corridor_form")
    assert "Traceback" not in result.output


def test_a_dry_run_writes_nothing(field_state: Callable[[str], Case], tmp_path: Path) -> None:
    case = field_state("death")
    path = tmp_path / "deaths.json"
    path.write_bytes(kobo_json(FORMS["death"], case.submissions))
    head = ledger.head()[0]
    result = CliRunner().invoke(cli, ["import", "kobo", "--dry-run", str(path)])
    assert result.exit_code == 0 and ledger.head()[0] == head
    assert "checked only, nothing was written" in result.output


def test_import_forms_writes_the_four_xlsforms(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", "forms", "--out", str(tmp_path / "forms")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "forms").iterdir())
    assert written == sorted(f"{form.form_id}.xlsx" for form in FORMS.values())
    book = load_workbook(tmp_path / "forms" / "corridor_death_while_waiting.xlsx", read_only=True)
    assert book.sheetnames == ["survey", "choices", "settings"]
