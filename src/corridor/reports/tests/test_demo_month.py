"""The demo camp's October 2014: the report in English and Persian as PDF and PNG pages, and every
export and report checked for identity values.

The demo is loaded once for the module, inside a transaction rolled back at the end. The PDFs and
their pages are kept under test-artifacts/reports/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from corridor.ledger.models import Entry
from corridor.register.models import PatientIdentity, Site
from corridor.reports import catalogue, services
from corridor.reports.core import Period
from corridor.scenarios import loader
from corridor.scenarios.build_demo import NAMES
from corridor.supplies import actions as supplies

ROOT = Path(__file__).resolve().parents[4]
ARTIFACTS = ROOT / "test-artifacts" / "reports"
POPPLER = all(shutil.which(tool) for tool in ("pdftoppm", "pdftotext", "pdfinfo", "pdffonts"))
needs_poppler = pytest.mark.skipif(
    not POPPLER and not os.environ.get("CI"), reason="poppler-utils (pdftoppm, pdftotext) is not installed"
)
ARABIC_LETTERS = re.compile(r"[\u0600-\u06FF]")
PRESENTATION_FORMS = re.compile(r"[\uFB50-\uFDFF\uFE70-\uFEFF]")
# pdftotext marks right-to-left runs with bidi embedding controls and drops zero-width non-joiners.
BIDI_CONTROLS = re.compile(r"[\u200c\u200e\u200f\u202a-\u202e]")


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        loader.load("demo-camp")
        yield
        transaction.set_rollback(True)


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout


def _write(path: Path) -> Any:
    def deliver(content: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    return deliver


def _lines(pdf: Path, page: int) -> list[tuple[float, float, float, str]]:
    """(xMin, xMax, page width, text) of every line on ``page``, from pdftotext's layout boxes."""
    layout = _run("pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-")
    width = float(re.search(r'<page width="([\d.]+)"', layout).group(1))  # type: ignore[union-attr]
    found = []
    for line in re.finditer(r'<line xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>(.*?)</line>', layout, re.S):
        words = " ".join(html.unescape(w) for w in re.findall(r">([^<]*)</word>", line.group(3)))
        words = BIDI_CONTROLS.sub("", words)
        found.append((float(line.group(1)), float(line.group(2)), width, words))
    return found


@needs_poppler
@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_october_2014_report_renders_to_pdf_pages_with_real_text_laid_out_in_the_right_direction(
    demo: None, db: Any, language: str
) -> None:
    pdf = ARTIFACTS / f"report-2014-10-{language}.pdf"
    produced = services.monthly_report(
        month="2014-10", language=language, fmt="pdf", by=None, site="CAMP-1", deliver=_write(pdf)
    )
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == produced.sha256 == produced.entry.payload["sha256"]
    assert produced.entry.payload["sites"] == ["CAMP-1"]

    pages = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(pdf))).group(1))  # type: ignore[union-attr]
    assert 6 <= pages <= 16
    for old in ARTIFACTS.glob(f"report-2014-10-{language}-*.png"):
        old.unlink()
    _run("pdftoppm", "-r", "60", "-png", str(pdf), str(ARTIFACTS / f"report-2014-10-{language}"))
    images = sorted(ARTIFACTS.glob(f"report-2014-10-{language}-*.png"))
    assert len(images) == pages
    assert all(image.stat().st_size > 2000 for image in images)

    text = BIDI_CONTROLS.sub("", _run("pdftotext", str(pdf), "-"))
    head = produced.entry.payload["ledger_head"]["hash"]
    assert head in text  # the cover carries the ledger head at generation
    fonts = _run("pdffonts", str(pdf))
    camp, crossing = (NAMES[n].get(language, n) for n in ("Demo Camp", "Demo Crossing"))
    assert camp in text and crossing not in text  # the camp's report, named in its language and counted alone
    if language == "en":
        assert "Access to hospital care" in text and "Kaplan–Meier" in text and "October 2014" in text
        assert "Obstruction to delivery" in text and "Held at the gate" in text and "Permit denied" in text
        assert "was held at the gate for" in text  # what happened, in words
        title = next(line for line in _lines(pdf, 1) if "Access to hospital care" in line[3])
        assert title[0] < 0.2 * title[2]  # starts at the left margin
        assert not ARABIC_LETTERS.search(text)
    else:
        assert "گزارش ماهانه" in text and "کاپلان–مایر" in text and "اکتبر ۲۰۱۴" in text
        assert "ممانعت از" in text and "ارائه مراقبت" in text and "درخواستها" in text and "۱۷۸" in text
        assert not PRESENTATION_FORMS.search(text)  # logical text, shaped by the layout engine, not by hand
        assert re.search(r"Noto-?(Naskh|Sans)-?Arabic", fonts)
        persian = [line for line in _lines(pdf, 1) if ARABIC_LETTERS.search(line[3])]
        assert persian
        for _x_min, x_max, width, words in persian:
            if len(words.split()) >= 4:  # prose, not the cells of the key figures' table
                assert x_max > 0.8 * width, words  # every Persian line ends at the right margin
        # Layout boxes list a right-to-left word's letters in visual order, right to left.
        title = next(line for line in persian if "گزارش" in line[3] or "گزارش"[::-1] in line[3])
        assert title[0] > 0.2 * title[2]


# Words every page of a document carries in its language (the page numbers aside): prose, not only digits.
LETTERS = {
    "en": re.compile(r"[A-Za-z]{3}"),
    "fa": re.compile(r"[\u0600-\u06FF]{3}"),
    "ar": re.compile(r"[\u0600-\u06FF]{3}"),
}
PERSIAN_ONLY, ARABIC_ONLY = "پچژگ", "ةى"


def _pages(pdf: Path) -> list[str]:
    """The text of each page of ``pdf``, bidi controls removed."""
    count = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(pdf))).group(1))  # type: ignore[union-attr]
    return [
        BIDI_CONTROLS.sub("", _run("pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-")) for n in range(1, count + 1)
    ]


@needs_poppler
@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "fa", "ar"])
def test_every_page_of_the_report_and_of_a_dossier_has_text_in_its_language(
    demo: None, db: Any, tmp_path: Path, language: str
) -> None:
    report = tmp_path / "report.pdf"
    services.monthly_report(month="2014-10", language=language, fmt="pdf", by=None, deliver=_write(report))
    dossier = tmp_path / "dossier.pdf"
    services.case_dossier(code="P-0001", language=language, by=None, deliver=_write(dossier))
    for pdf, fewest, most in ((report, 6, 16), (dossier, 2, 8)):
        pages = _pages(pdf)
        assert fewest <= len(pages) <= most, (pdf.name, len(pages))
        for number, text in enumerate(pages, start=1):
            assert LETTERS[language].search(text), (pdf.name, number)
        everything = "".join(pages)
        assert not PRESENTATION_FORMS.search(everything)
        if language == "en":
            assert not ARABIC_LETTERS.search(everything)
        else:  # Persian pages in Persian letters, Arabic pages in Arabic ones: not one language for the other
            own, other = (PERSIAN_ONLY, ARABIC_ONLY) if language == "fa" else (ARABIC_ONLY, PERSIAN_ONLY)
            assert any(letter in everything for letter in own), pdf.name
    assert "P-0001" in "".join(_pages(dossier))


def _every_file(tmp: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for dataset in ("referrals", "trips", "incidents"):
        for fmt in ("csv", "json", "hxl"):
            files[f"{dataset}.{fmt}"] = services.export(dataset=dataset, fmt=fmt, by=None).content
            files[f"{dataset}-10.{fmt}"] = services.export(dataset=dataset, fmt=fmt, month="2014-10", by=None).content
    for audience in ("public", "partners"):
        for fmt in ("csv", "json", "hxl"):
            files[f"indicators-{audience}.{fmt}"] = services.export(
                dataset="indicators", fmt=fmt, month="2014-10", audience=audience, by=None
            ).content
    for language in ("en", "fa", "ar"):
        for public in (False, True):
            files[f"report-{language}-{public}.html"] = services.monthly_report(
                month="2014-10", language=language, fmt="html", public=public, by=None
            ).content
    if POPPLER:
        for language in ("en", "fa"):
            pdf = tmp / f"report-{language}.pdf"
            services.monthly_report(month="2014-10", language=language, fmt="pdf", by=None, deliver=_write(pdf))
            files[f"report-{language}.pdf.txt"] = _run("pdftotext", str(pdf), "-").encode("utf-8")
    return files


@pytest.mark.slow
def test_no_identity_value_appears_anywhere_in_any_export_or_report(demo: None, db: Any, tmp_path: Path) -> None:
    site = Site.objects.get(code="CAMP-1")
    # A name typed into free text by mistake must not travel with it either.
    someone = PatientIdentity.objects.select_related("patient").order_by("patient__code").first()
    assert someone is not None
    supplies.record_incident(
        site=site,
        kind="obstruction",
        resource="transport",
        description=f"{someone.full_name} was made to walk back from the gate",
        on=dt.date(2014, 10, 13),
        by=None,
    )
    values = sorted(
        {
            v.strip()
            for identity in PatientIdentity.objects.all()  # through the model, which opens each value
            for v in (identity.full_name, identity.contact, identity.notes)
            if v and v.strip()
        }
    )
    assert len(values) > 500  # the demo's residents all have a name and a contact
    files = _every_file(tmp_path)
    assert len(files) >= 30
    everything = {name: content.decode("utf-8").lower() for name, content in files.items()}
    leaks = [(name, value) for value in values for name, text in everything.items() if value.lower() in text]
    assert not leaks, leaks[:5]
    # The exports are not empty shells: pseudonymous codes and the withheld name's trace are there.
    assert "p-0003" in everything["referrals.csv"] and "p-0003" in everything["trips.json"]
    assert "[withheld] was made to walk back" in everything["report-en-False.html"]


def test_every_report_and_export_is_recorded_with_the_sha256_of_what_was_delivered(
    demo: None, db: Any, tmp_path: Path
) -> None:
    before = Entry.objects.filter(type="export.created").count()
    target = tmp_path / "trips.hxl.csv"
    produced = services.export(dataset="trips", fmt="hxl", month="2014-10", by="auditor-cli", deliver=_write(target))
    entry = Entry.objects.get(seq=produced.entry.seq)
    assert entry.type == "export.created" and entry.recorded_by == "auditor-cli"
    assert entry.payload["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert entry.payload["rows"] == target.read_text(encoding="utf-8").count("\n") - 2
    assert (entry.payload["dataset"], entry.payload["format"], entry.payload["month"]) == ("trips", "hxl", "2014-10")
    assert Entry.objects.filter(type="export.created").count() == before + 1


def test_a_file_that_cannot_be_written_leaves_no_entry_behind(demo: None, db: Any) -> None:
    before = Entry.objects.filter(type="export.created").count()

    def broken(content: bytes) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        services.export(dataset="incidents", fmt="csv", by=None, deliver=broken)
    assert Entry.objects.filter(type="export.created").count() == before


def test_the_demo_october_adds_up_and_shows_its_case_histories(demo: None, db: Any) -> None:
    october = catalogue.compute_all(Period.month("2014-10", dt.date(2014, 10, 14)))
    rates = [october.value(f"requests.{k}_rate") for k in ("approval", "denial", "delay")]
    assert sum(rates) == pytest.approx(100)
    assert october.value("requests.total") == sum(
        october.value(f"requests.{k}") for k in ("approved", "denied", "delayed")
    )
    assert october.value("trips.hours_held_max") == pytest.approx(3.5)  # P-0003, 11 October
    assert october.value("trips.arrived_late") >= 1
    assert october.value("trips.most_cancellations") == 6  # P-0001's six cancelled oncology trips
    assert october.value("backlog.longest_wait_days") >= 730  # P-0002, waiting for eye surgery since 2012
    september = catalogue.compute_all(Period.month("2014-09", dt.date(2014, 10, 14)))
    assert "II neoplasms" in {d["diagnosis_group"] for d in september.details("deaths")["deaths"]}  # P-0004


def _ink_width(png: Path) -> int:
    from PIL import Image

    with Image.open(png) as image:
        box = image.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
    assert box is not None
    return box[2] - box[0]


@needs_poppler
def test_persian_letters_are_joined_by_the_layout_engine(tmp_path: Path) -> None:
    """The same letters, once free to join and once kept apart by zero-width non-joiners, laid out
    with the report's fonts: shaped text joins them into a narrower word; unshaped text would not."""
    from corridor.reports import monthly

    widths = []
    for name, word in (("joined", "بیمارستان"), ("apart", "\u200c".join("بیمارستان"))):
        document = f'<html lang="fa" dir="rtl"><body><p style="font-size:40pt">{word}</p></body></html>'
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(monthly.render_pdf(document))
        _run("pdftoppm", "-r", "40", "-png", "-singlefile", str(pdf), str(tmp_path / name))
        widths.append(_ink_width(tmp_path / f"{name}.png"))
    assert widths[0] < 0.9 * widths[1], widths
