"""The shipped XLSForms: valid for ODK and KoBoToolbox, in three languages, tagged, and true to the services."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import hxl
import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from corridor.intake.forms import FORM_MARKER, FORMS, LANGUAGES, Form
from corridor.intake.xlsform import filename, sheets, shipped
from corridor.ledger.catalogue import Certainty, Source
from corridor.transfers.models import TripPassenger
from corridor.transfers.services import CANCELLERS

XFORMS = "{http://www.w3.org/2002/xforms}"


def _write(form: Form, tmp_path: Path) -> Path:
    path = tmp_path / filename(form)
    path.write_bytes(shipped(form))
    return path


@pytest.mark.parametrize("key", FORMS)
def test_each_shipped_xlsform_is_exactly_its_definition(key: str, tmp_path: Path) -> None:
    form = FORMS[key]
    book = load_workbook(_write(form, tmp_path), read_only=True)
    for title, rows in sheets(form).items():
        found = [[("" if c is None else str(c)) for c in row] for row in book[title].iter_rows(values_only=True)]
        assert found == rows, f"{filename(form)} sheet {title} differs from corridor.intake.forms: rebuild it"


@pytest.mark.parametrize("key", FORMS)
def test_each_xlsform_builds_with_pyxform_into_the_instance_the_importer_reads(key: str, tmp_path: Path) -> None:
    form = FORMS[key]
    result = convert(xlsform=str(_write(form, tmp_path)), validate=False)
    assert result.warnings == []
    root = ET.fromstring(result.xform)
    instance = root.find(f".//{XFORMS}instance/{XFORMS}data")
    assert instance is not None and instance.get("id") == form.form_id
    top = list(dict.fromkeys(child.tag.removeprefix(XFORMS) for child in instance))  # a repeat appears twice
    assert top == [f.name for f in form.fields] + ["meta"]
    for repeat in form.repeats.values():
        node = instance.find(f"{XFORMS}{repeat.name}")
        assert node is not None
        assert [c.tag.removeprefix(XFORMS) for c in node] == [c.name for c in repeat.children]
    languages = {t.get("lang") for t in root.iter(f"{XFORMS}translation")}
    assert languages == set(LANGUAGES)


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java; the pyxform build above still runs")
def test_odk_validate_accepts_every_form(tmp_path: Path) -> None:
    for form in FORMS.values():
        result = convert(xlsform=str(_write(form, tmp_path)), validate=True)
        assert result.warnings == [], form.key


@pytest.mark.parametrize("key", FORMS)
def test_every_question_is_labelled_in_english_persian_and_arabic_and_carries_an_hxl_hashtag(key: str) -> None:
    form = FORMS[key]
    for item, _ in form.walk():
        if item.type in ("calculate", "start", "end"):
            assert item.label is None
        else:
            assert item.label is not None and all(text.strip() for text in item.label), item.name
            assert item.label[1] != item.label[0] and item.label[2] != item.label[0], item.name
        if not item.is_repeat:
            column = hxl.model.Column.parse(item.hxl)
            assert column is not None and column.tag, f"{item.name}: {item.hxl!r} is not an HXL hashtag"
    for options in form.choices.values():
        for choice in options:
            assert all(text.strip() for text in choice.label), choice.name


def test_names_are_unique_within_a_form_and_every_form_names_itself() -> None:
    for form in FORMS.values():
        names = [item.name for item, _ in form.walk()]
        assert len(names) == len(set(names)), form.key
        marker = form.by_name()[FORM_MARKER]
        assert marker.calculation == f"'{form.key}'"


def test_the_choices_are_the_values_the_services_take() -> None:
    from corridor.supplies.models import Category, Delivery

    choices = {name: [c.name for c in options] for form in FORMS.values() for name, options in form.choices.items()}
    assert choices["source"] == [s for s in Source.values if s != Source.SYSTEM]
    assert choices["certainty"] == list(Certainty.values)
    assert choices["canceller"] == list(CANCELLERS)
    assert choices["care_outcome"] == [o for o in TripPassenger.Outcome.values if o != "pending"]
    assert choices["category"] == list(Category.values)
    assert choices["delivery_status"] == [s for s in Delivery.Status.values if s != Delivery.Status.REQUESTED]
