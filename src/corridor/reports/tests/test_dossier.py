"""The case dossier: one patient's case as a PDF whose evidence an outsider can check."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client

from corridor.cli import cli
from corridor.errors import InvalidInput, NotAllowed
from corridor.ledger.models import Entry
from corridor.ledger.tests.ledgers import load_verifier
from corridor.reports import services
from corridor.reports.tests import fixtures

verifier = load_verifier()
POPPLER = all(shutil.which(t) for t in ("pdftotext", "pdfdetach", "pdfinfo"))
needs_poppler = pytest.mark.skipif(not POPPLER and not os.environ.get("CI"), reason="poppler-utils is not installed")
BIDI = re.compile(r"[\u200c\u200e\u200f\u202a-\u202e]")


@pytest.fixture
def october(camp: Any, settings: Any) -> dict[str, Any]:
    settings.TODAY = fixtures.AS_OF
    return fixtures.build(camp)


def _pdf(tmp_path: Path, content: bytes, name: str = "dossier.pdf") -> Path:
    pdf = tmp_path / name
    pdf.write_bytes(content)
    return pdf


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return BIDI.sub("", out)


def _evidence(pdf: Path, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "evidence.json"
    subprocess.run(["pdfdetach", "-save", "1", "-o", str(out), str(pdf)], check=True, capture_output=True)
    bundle: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return bundle


@needs_poppler
def test_the_dossiers_evidence_verifies_with_the_standalone_verifier_and_a_flipped_bit_fails(
    october: dict[str, Any], tmp_path: Path
) -> None:
    produced = services.case_dossier(code="P-C", by=None)
    bundle = _evidence(_pdf(tmp_path, produced.content), tmp_path)
    key = verifier.Key(bundle["verifier_key"])
    assert verifier.verify_evidence(bundle, key)
    cited = {item["entry"]["seq"] for item in bundle["entries"]}
    # C's denial (T2), the 3.5-hour hold and late arrival (T5) and C's referral are all cited.
    types = {item["entry"]["type"] for item in bundle["entries"]}
    assert {"referral.created", "trip.requested", "trip.denied", "gate.released", "trip.arrived"} <= types
    assert produced.entry.payload["cited_entries"] == len(cited)
    # One bit changed in one cited entry: the verifier refuses the bundle.
    item = bundle["entries"][0]["entry"]
    item["occurred_at"] = item["occurred_at"][:-2] + chr(ord(item["occurred_at"][-2]) ^ 1) + item["occurred_at"][-1]
    with pytest.raises(verifier.Failed):
        verifier.verify_evidence(bundle, key)


@needs_poppler
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Case dossier", "1. Who", "5. What was done to seek a remedy", "Permit denied", "held 3.5 hours")),
        ("fa", ("پروندهٔ موردی", "چه کسی", "برای جبران چه شد", "رد مجوز")),
        ("ar", ("ملف حالة", "الإحالات", "طلب الانتصاف", "رفض التصريح")),
    ],
)
def test_every_page_of_the_dossier_has_its_words_in_each_language(
    october: dict[str, Any], tmp_path: Path, language: str, words: tuple[str, ...]
) -> None:
    pdf = _pdf(tmp_path, services.case_dossier(code="P-C", language=language, by=None).content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Pages:\s+(\d+)", info)
    assert found is not None
    pages = int(found.group(1))
    assert 1 <= pages <= 6
    text = _text(pdf)
    assert "P-C" in text
    for word in words:
        assert word in text, word
    assert "Test Person" not in text  # pseudonymised: no name


@needs_poppler
def test_the_identity_version_names_the_person_only_for_those_who_may_and_records_the_view_with_its_purpose(
    october: dict[str, Any], users: dict[str, Any], tmp_path: Path
) -> None:
    with pytest.raises(NotAllowed):
        services.case_dossier(code="P-A", with_identity=True, purpose="a communication", by=users["monitor"])
    with pytest.raises(InvalidInput) as refused:
        services.case_dossier(code="P-A", with_identity=True, by=users["coordinator"])
    assert refused.value.field == "purpose"
    assert not Entry.objects.filter(type="identity.viewed").exists()
    produced = services.case_dossier(
        code="P-A", with_identity=True, purpose="to the Special Rapporteur", by=users["coordinator"]
    )
    assert "Test Person Alpha" in _text(_pdf(tmp_path, produced.content))
    seen = Entry.objects.get(type="identity.viewed")
    assert (seen.recorded_by, seen.payload["purpose"]) == ("coordinator", "case dossier: to the Special Rapporteur")
    assert produced.entry.payload["audience"] == "identity"


@needs_poppler
def test_after_an_erasure_the_identity_version_says_erased_in_its_language_and_names_nobody(
    october: dict[str, Any], users: dict[str, Any], camp: Any, tmp_path: Path
) -> None:
    from corridor.accounts.services import create_user
    from corridor.register import erasure
    from corridor.register.models import Patient
    from corridor.reports import strings

    second = create_user(
        username="admin-2", role="admin", password="x", by=None, check_password=False, sites=["CAMP-T"]
    )
    patient = Patient.objects.get(code="P-A")
    erasure.request_erasure(patient, reason="the family asked", by=users["admin"])
    erasure.confirm_erasure(patient, by=second)
    for language in ("en", "fa"):
        produced = services.case_dossier(
            code="P-A", language=language, with_identity=True, purpose="a communication", by=users["coordinator"]
        )
        text = " ".join(_text(_pdf(tmp_path, produced.content)).split())
        assert "Test Person Alpha" not in text and "Block 3" not in text
        assert strings.tr("dossier.erased", language).split(":")[0] in text, (language, text[:400])


def test_the_patient_page_offers_the_dossier_and_the_button_gives_the_pdf(
    october: dict[str, Any], users: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(users["auditor"])
    page = client.get("/patients/P-B/").content.decode()
    assert 'action="/reports/dossier/P-B/"' in page and 'name="with_identity"' not in page
    response = client.post("/reports/dossier/P-B/", {"language": "fa"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="corridor-dossier-P-B-fa.pdf"'
    outsider = Client()
    outsider.force_login(users["outsider"])
    assert outsider.post("/reports/dossier/P-B/", {"language": "en"}).status_code == 403


def test_the_command_line_writes_the_dossier(october: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "d.pdf"
    result = CliRunner().invoke(cli, ["dossier", "P-D", "--language", "ar", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    missing = CliRunner().invoke(cli, ["dossier", "P-ZZZ", "--out", str(tmp_path / "x.pdf")])
    assert missing.exit_code != 0 and "P-ZZZ" in missing.output


@needs_poppler
def test_files_attached_to_the_patients_entries_are_cited_by_hash_and_their_entries_proved(
    october: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    import hashlib
    import io

    from corridor.ledger import attachments
    from corridor.ledger.tests import samples

    settings.DATA_DIR = tmp_path
    about = Entry.objects.filter(subject_rows__key="patient:P-C").order_by("seq").first()
    assert about is not None
    photo = samples.photo_with_metadata()
    added = attachments.attach(io.BytesIO(photo), entry=about.seq, by=None, source="media", certainty="confirmed")
    pdf = _pdf(tmp_path, services.case_dossier(code="P-C", by=None).content)
    bundle = _evidence(pdf, tmp_path)
    assert added.seq in {item["entry"]["seq"] for item in bundle["entries"]}
    handed = tmp_path / "files"
    attachments.export_files([added.seq], handed)
    report = verifier.verify_evidence(bundle, verifier.Key(bundle["verifier_key"]), str(handed))
    assert "attachments: 1 intact" in report
    text = _text(pdf)
    assert hashlib.sha256(photo).hexdigest() in text.replace("\n", "") and "photo, documenting entry" in text


@needs_poppler
def test_the_remedy_section_counts_the_trips_the_authority_cancelled_after_asking(
    october: dict[str, Any], tmp_path: Path
) -> None:
    # D asked three times: T0 (cancelled by the camp), T4, and T7 (approved, then cancelled by the authority).
    text = " ".join(_text(_pdf(tmp_path, services.case_dossier(code="P-D", by=None).content)).split())
    assert "Trips then cancelled by the authority: 1." in text
    farsi = " ".join(_text(_pdf(tmp_path, services.case_dossier(code="P-D", language="fa", by=None).content)).split())
    assert "سفرهایی که سپس مقامات لغو کردند" in farsi  # pdftotext moves the RTL line's colon and figure


def test_every_status_a_referral_can_have_reads_in_three_languages() -> None:
    from corridor.register.models import Referral
    from corridor.reports import strings

    for status in Referral.Status:
        words = {lang: strings.label("referral_status", status.value, lang) for lang in strings.LANGUAGES}
        assert "_" not in words["en"], status  # not the bare code, as "in_care" once was
        assert all(words[lang] not in (status.value, words["en"]) for lang in ("fa", "ar")), status


def test_a_dossier_that_needs_a_checkpoint_asks_the_witness_with_no_transaction_of_its_own_open(
    october: dict[str, Any], tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from django.db import connections

    from corridor.ledger import evidence
    from corridor.ledger import witness as service

    monkeypatch.delenv("CORRIDOR_SIGNING_KEY_FILE", raising=False)
    settings.DATA_DIR = tmp_path / "corridor"
    key = service.init(tmp_path / "w", name="witness.example/w", logs=[evidence.verifier_key().encode()])
    state = service.Witness(tmp_path / "w")
    server = service.make_server(state, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.WITNESSES, settings.WITNESS_QUORUM = [(f"http://127.0.0.1:{server.server_address[1]}", key.encode())], 1
    connection = connections["default"]
    test_blocks = len(connection.atomic_blocks)  # the test's own transaction
    seen: list[int] = []
    asked = state.add_checkpoint

    def add_checkpoint(body: bytes) -> service.Answer:
        seen.append(len(connection.atomic_blocks) - test_blocks)  # one open here would hold the append lock
        return asked(body)

    state.add_checkpoint = add_checkpoint  # type: ignore[method-assign]
    try:
        services.case_dossier(code="P-C", by=None)
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [0]
    assert Entry.objects.filter(type="checkpoint.signed").get().payload["witnessed"] is True
