"""``--language`` on intake's commands says the whole report in it (issue #17): the heading, each
submission's result word and its note, the totals and the error the command exits with, not only the
places and problems; English (the default) stays what the logs keep."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridor.cli import cli
from corridor.intake.forms import FORMS
from corridor.intake.sources import Source
from corridor.intake.tests.cases import Case
from corridor.intake.tests.exports import odk_zip
from corridor.intake.tests.recorded import RecordedServer, serve_kobo

pytestmark = pytest.mark.django_db

# English words of the report that must not be left in a Persian one (codes, uuid: and field names may).
ENGLISH = re.compile(r"\b(imported|rejected|ready|excluded|duplicate|already|submissions?|written|ledger|row)\b")


def _persian(output: str) -> str:
    """What is left once the codes, IDs and field names (Latin by design) are taken out."""
    return re.sub(r"uuid:\S+|P-\d+|[a-z]+_[a-z_]+|\S+\.(zip|json)", "", output)


def test_an_import_in_persian_says_its_heading_results_and_totals_in_persian(
    field_state: Callable[[str], Case], tmp_path: Path
) -> None:
    case = field_state("trip_outcome")
    path = tmp_path / "corridor_trip_outcome.zip"
    path.write_bytes(odk_zip(FORMS["trip_outcome"], case.submissions))

    first = CliRunner().invoke(cli, ["import", "odk", str(path), "--language", "fa"])
    again = CliRunner().invoke(cli, ["import", "odk", str(path), "--language", "fa"])

    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert "۲" in lines[0] and "ODK" in lines[0]
    assert lines[1].split()[:3] == ["وارد", "شد", "ردیف"] and "ثبت" in lines[1]
    assert lines[-1].startswith("۲ وارد شد، ۰ پیش‌تر وارد شده")
    assert "پیش‌تر وارد شده" in again.output.splitlines()[1]
    assert not ENGLISH.search(_persian(first.output + again.output)), first.output + again.output


def test_a_rejected_import_in_persian_exits_2_with_its_error_in_persian(deaths_one_unknown: Path) -> None:

    result = CliRunner().invoke(cli, ["import", "kobo", str(deaths_one_unknown), "--language", "fa"])

    assert result.exit_code == 2
    assert "corridor: error: ۱ از ۲ فرم ارسالی رد شد؛ چیزی نوشته نشد" in result.output
    assert "اصلاح" in result.output  # the totals' advice, as the page gives it
    assert not ENGLISH.search(_persian(result.output.replace("corridor: error:", ""))), result.output


def test_a_refused_pull_and_the_refused_list_in_persian(
    intake_sources: dict[str, Source], recorded_server: RecordedServer
) -> None:
    serve_kobo(recorded_server)  # the deaths of patients not in the register: every submission refused

    pulled = CliRunner().invoke(cli, ["intake", "pull", "gate-kobo", "--language", "fa"])
    listed = CliRunner().invoke(cli, ["intake", "refused", "--language", "fa"])

    assert pulled.exit_code == 2
    assert "corridor: error: از gate-kobo چیزی نوشته نشد" in pulled.output
    assert pulled.output.count("رد شد") >= 3
    assert not ENGLISH.search(_persian(pulled.output.replace("corridor: error:", ""))), pulled.output
    assert listed.exit_code == 0 and "gate-kobo (دریافت\u200cشده از سرور)  uuid:" in listed.output


def test_with_nothing_refused_the_list_says_so_in_persian() -> None:
    listed = CliRunner().invoke(cli, ["intake", "refused", "--language", "fa"])

    assert listed.exit_code == 0 and listed.output.strip() == "هیچ فرم ارسالی ردشده‌ای در انتظار اصلاح نیست"
