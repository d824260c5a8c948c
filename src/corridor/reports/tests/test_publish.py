"""The public site: aggregates only, safe on any web host — a crawl finds nothing that identifies a person."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corridor.cli import cli
from corridor.errors import NotAllowed
from corridor.ledger import evidence
from corridor.ledger.models import Entry
from corridor.register.models import Patient, PatientIdentity
from corridor.reports import services
from corridor.reports.tests import fixtures

PEOPLE = ("requests.", "escorts.", "trips.", "deaths.", "incidents.", "care.", "backlog.")
# Not counts of people: shares, durations, and the most cancellations any one patient had (a maximum).
NOT_COUNTS = {"%", "days", "hours", "cancellations per patient", "cancellations"}
PERSIAN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


@pytest.fixture
def site(camp: Any, settings: Any, tmp_path: Path) -> Path:
    settings.TODAY = fixtures.AS_OF
    fixtures.build(camp)
    services.write_narrative(month="2014-10", text="A narrative that must never be published.", by=None)
    evidence.sign_checkpoint(by=None)
    services.write_narrative(month="2014-10", text="A second narrative, after the first checkpoint.", by=None)
    evidence.sign_checkpoint(by=None)
    out = tmp_path / "site"
    services.publish_site(out=out, months=2, by=None)
    return out


def _crawl(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}


def test_a_crawl_of_the_public_site_finds_no_code_birth_year_name_or_free_text(site: Path) -> None:
    files = _crawl(site)
    assert {"index.html", "en/index.html", "fa/index.html", "ar/index.html", "style.css", "manifest.json"} <= set(files)
    assert "data/indicators-2014-10.hxl.csv" in files and "checkpoint.txt" in files
    everything = "\n".join(files.values())
    for patient in Patient.objects.all():
        assert re.search(rf"\b{re.escape(patient.code)}\b", everything) is None, patient.code
    for identity in PatientIdentity.objects.all():
        assert identity.full_name not in everything and (not identity.contact or identity.contact not in everything)
    for text in ("the ambulance was stopped", "security", "doctor away", "must never be published", "grandmother"):
        assert text not in everything, text
    pages = [text for name, text in files.items() if name.endswith(".html")]
    for page in pages:
        assert "<script" not in page.lower() and "javascript:" not in page.lower()
        for year in {p.birth_year for p in Patient.objects.exclude(birth_year=None)}:
            words = page.replace("http://www.w3.org/2000/svg", "").translate(PERSIAN_DIGITS)
            assert re.search(rf"\b{year}\b", words) is None, year  # no birth year


def test_no_published_count_is_under_the_suppression_threshold(site: Path) -> None:
    files = _crawl(site)
    for name, text in files.items():
        if name.endswith(".html"):
            for cell in re.findall(r'<td class="n count">([^<]*)</td>', text):
                value = cell.translate(PERSIAN_DIGITS).replace("٬", "").replace(",", "")
                assert value == "—" or int(value) == 0 or int(value) >= 5, (name, cell)
        if name.endswith(".csv") and not name.endswith(".hxl.csv"):
            for row in csv.DictReader(io.StringIO(text)):
                if row["indicator"].startswith(PEOPLE) and row["unit"] not in NOT_COUNTS and row["value"]:
                    value = float(row["value"])
                    assert value == 0 or value >= 5, (name, row)


def test_every_file_is_in_the_manifest_and_the_manifest_is_in_the_ledger(site: Path) -> None:
    listing = (site / "manifest.json").read_bytes()
    manifest = json.loads(listing)["files"]
    on_disk = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest) == on_disk
    for name, digest in manifest.items():
        assert hashlib.sha256((site / name).read_bytes()).hexdigest() == digest, name
    # Every checkpoint signed so far is published, listed on each page, and the latest shown whole.
    notes = [e.payload["note"] for e in Entry.objects.filter(type="checkpoint.signed").order_by("seq")]
    assert len(notes) == 2
    for note in notes:
        size = note.split("\n")[1]
        assert (site / "checkpoints" / f"{size}.txt").read_text(encoding="utf-8") == note
        assert f'href="../checkpoints/{size}.txt"' in (site / "fa" / "index.html").read_text(encoding="utf-8")
    assert (site / "checkpoint.txt").read_text(encoding="utf-8") == notes[-1]
    entry = Entry.objects.filter(type="site.published").latest("seq")
    assert entry.payload["manifest_sha256"] == hashlib.sha256(listing).hexdigest()
    assert entry.payload["files"] == len(manifest)


def test_the_pages_read_in_three_languages_and_only_exporters_publish(
    site: Path, users: dict[str, Any], tmp_path: Path
) -> None:
    assert 'dir="rtl"' in (site / "fa" / "index.html").read_text(encoding="utf-8")
    assert "ارقام عمومی" in (site / "fa" / "index.html").read_text(encoding="utf-8")
    assert "أرقام عامة" in (site / "ar" / "index.html").read_text(encoding="utf-8")
    assert "<svg" in (site / "en" / "index.html").read_text(encoding="utf-8")
    with pytest.raises(NotAllowed):
        services.publish_site(out=tmp_path / "x", months=1, by=users["monitor"])
    assert not (tmp_path / "x").exists()
    result = CliRunner().invoke(cli, ["publish", "--out", str(tmp_path / "cli"), "--months", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli" / "fa" / "index.html").exists()


def test_months_computed_together_for_the_site_equal_each_month_computed_alone(camp: Any, settings: Any) -> None:
    from corridor.ledger import services as ledger
    from corridor.reports import catalogue, publish, queries

    settings.TODAY = fixtures.AS_OF
    made = fixtures.build(camp)
    # A corrected cancellation, and a correction withdrawn: the fixes read once must apply as when read alone.
    cancelled = ledger.entries_about(f"trip:{made['trips']['T7'].pk}")[-1]
    ledger.correct(
        cancelled.seq,
        by=None,
        reason="the camp",
        changes={"cancelled_by": "camp"},
        source="witness",
        certainty="confirmed",
    )
    other = ledger.entries_about(f"trip:{made['trips']['T3'].pk}")[-1]
    fix = ledger.correct(
        other.seq, by=None, reason="unsure", changes={"certainty": "possible"}, source="witness", certainty="confirmed"
    )
    ledger.correct(
        fix.seq, by=None, reason="wrong fix", changes={}, source="witness", certainty="confirmed", retract=True
    )
    periods = publish.months_back(fixtures.AS_OF, 3)
    alone = [catalogue.compute_all(p).results for p in periods]
    with queries.shared_reads():
        together = [catalogue.compute_all(p).results for p in periods]
    assert together == alone
    assert sum(r["incidents"].values["incidents.total"].value or 0 for r in alone) > 0  # not an empty comparison


def test_supplies_under_blockade_are_named_in_the_pages_language_never_by_their_code(
    camp: Any, settings: Any, tmp_path: Path
) -> None:
    from corridor.supplies import actions as supplies

    settings.TODAY = fixtures.AS_OF
    fixtures.build(camp)
    supplies.define_item(
        site=camp,
        code="diesel",
        name="Diesel",
        names={"fa": "گازوئیل", "ar": "ديزل"},
        category="diesel",
        unit="litre",
        by=None,
    )
    out = tmp_path / "site"
    services.publish_site(out=out, months=1, by=None)
    for language, name in (("en", "Diesel"), ("fa", "گازوئیل"), ("ar", "ديزل")):
        page = (out / language / "index.html").read_text(encoding="utf-8")
        assert f"<tr><td>{name}</td>" in page, language
        assert "<tr><td>diesel</td>" not in page
