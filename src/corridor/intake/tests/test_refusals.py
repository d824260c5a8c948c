"""A file that cannot be imported is refused with a code, and said in Persian and Arabic with local digits."""

from __future__ import annotations

import html
import io
import json
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from corridor.errors import InvalidInput
from corridor.intake.readers import read_export
from corridor.refusals import in_language

pytestmark = pytest.mark.django_db


def _zip_with_latin1_member() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("gate.csv", "KEY,corridor_form\nuuid:1,caf\xe9\n".encode("latin-1"))
    return buffer.getvalue()


def test_one_page_of_a_kobo_answer_is_refused_with_its_counts_in_local_digits() -> None:
    page = json.dumps({"count": 1200, "next": "https://kobo.example/?page=2", "results": [{}, {}]})
    with pytest.raises(InvalidInput) as refused:
        read_export(page.encode())
    error = refused.value
    assert error.code == "intake.one_page" and error.values == {"count": 1200, "here": 2}
    assert str(error).startswith('this is one page of 1200 submissions (2 here; "next" names the rest)')
    with translation.override("fa"):
        assert in_language(error).startswith('این یک صفحه از ۱٬۲۰۰ فرم ارسالی است (۲ در اینجا؛ "next"')
    with translation.override("ar"):
        assert in_language(error).startswith('هذه صفحة واحدة من ١٬٢٠٠ استمارة (٢ هنا؛ و"next"')


def test_a_member_of_an_archive_that_is_not_utf8_keeps_its_reasons_code_and_is_said_in_persian_on_the_page(
    users: dict[str, Any],
) -> None:
    data = _zip_with_latin1_member()
    with pytest.raises(InvalidInput) as refused:
        read_export(data)
    error = refused.value
    assert error.code == "intake.not_utf8" and error.values["name"] == "gate.csv"
    assert str(error) == (
        "gate.csv: the file is not UTF-8 text (byte 28 cannot be read); export it again as UTF-8 CSV, XLSX or JSON"
    )
    client = Client()
    client.force_login(users["monitor"])
    upload = SimpleUploadedFile("odk.zip", data)
    response = client.post("/intake/", {"platform": "odk", "file": upload}, HTTP_ACCEPT_LANGUAGE="fa")
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "پروندهٔ gate.csv: پرونده متن UTF-8 نیست (بایت ۲۸ خوانده نمی‌شود)" in page
    assert "is not UTF-8 text" not in page
    with translation.override("ar"):
        assert in_language(error).startswith("الملف gate.csv: الملف ليس نصًا بترميز UTF-8 (لا يمكن قراءة البايت ٢٨)")
