"""A monitor's crawl of every page and every API read finds none of the clinical or identifying text.

Each sensitive free-text field is seeded with its own marker string through the edge that writes it in
practice (a service, a web form, the API, a field submission); then every page of the permission matrix,
every ledger entry, trip and patient page, and every API GET is read as a monitor, and as a coordinator (who
must see the markers, or the crawl would prove nothing).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.urls import reverse

from corridor.accounts.tokens import issue_token
from corridor.api.main import api
from corridor.cli import cli
from corridor.intake.forms import FORMS
from corridor.intake.services import import_export
from corridor.intake.tests.cases import answers, at, make_trip, new_uuid
from corridor.intake.tests.exports import Submission, kobo_json
from corridor.ledger import commitments, evidence
from corridor.ledger.models import Entry
from corridor.register import services as register
from corridor.register.models import Facility, Patient, Referral
from corridor.transfers import services as transfers
from corridor.transfers.models import Trip
from corridor.web.tests.conftest import Scene
from corridor.web.tests.test_permissions import ROUTES

MARKERS = {
    "diagnosis (service)": "mkDiagSvc4471",
    "diagnosis (API)": "mkDiagApi4472",
    "closing note": "mkCloseNote4473",
    "gate note (web)": "mkGateNote4474",
    "outcome note": "mkOutcomeNote4475",
    "identity purpose (API)": "mkPurpose4476",
    "death circumstances (intake)": "mkCircumstances4477",
    "gate note (CLI import)": "mkGateNoteCli4478",
    "field note (CLI import)": "mkFieldNoteCli4479",
}


def _api(user: Any) -> Client:
    client = Client()
    client.defaults.update(
        {"HTTP_HOST": "127.0.0.1", "HTTP_AUTHORIZATION": f"Bearer {issue_token(user, by=None, label='crawl')[1]}"}
    )
    return client


@pytest.fixture
def marked(scene: Scene, client_for: Callable[[str], Client], tmp_path: Path) -> Scene:
    """The scene with every sensitive free-text field holding its marker."""
    users = scene.users
    coordinator = users["coordinator"]
    patient = scene.patients[0]
    register.create_referral(
        patient=patient,
        specialty="cardiology",
        priority="P3",
        referral_date=scene.trip.date - dt.timedelta(days=20),
        diagnosis=MARKERS["diagnosis (service)"],
        by=coordinator,
    )
    clinician_api = _api(users["clinician"])
    answer = clinician_api.post(
        "/api/referrals",
        {
            "patient": scene.patients[1].code,
            "specialty": "ophthalmology",
            "priority": "P3",
            "referral_date": (scene.trip.date - dt.timedelta(days=20)).isoformat(),
            "diagnosis": MARKERS["diagnosis (API)"],
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    register.close_referral(
        scene.referrals[2], reason="withdrawn", on=scene.trip.date - dt.timedelta(days=3),
        note=MARKERS["closing note"], by=coordinator, source="witness", certainty="confirmed",
    )  # fmt: skip
    assert (
        _api(coordinator)
        .get(f"/api/patients/{patient.code}/identity", {"purpose": MARKERS["identity purpose (API)"]})
        .status_code
        == 200
    )

    # Yesterday's trip, its gate note typed on the trip page, its outcome note recorded at the hospital.
    day = scene.trip.date - dt.timedelta(days=2)
    trip = transfers.request_trip(
        site=scene.site, day=day, facility=Facility.objects.get(code="H-1"), referrals=scene.referrals[:2],
        by=None, at=dt.datetime.combine(day - dt.timedelta(days=3), dt.time(9), tzinfo=dt.UTC),
    )  # fmt: skip
    trip = transfers.approve_trip(trip, by=None, at=dt.datetime.combine(day, dt.time(5), tzinfo=dt.UTC))
    web = client_for("coordinator")
    for action, fields in (("gate_arrived", {"time": "08:00"}), ("gate_held", {"time": "08:15"})):
        data = {"date": day.isoformat(), "source": "witness", "certainty": "confirmed", **fields}
        if action == "gate_held":
            data["note"] = MARKERS["gate note (web)"]
        assert web.post(reverse(f"web:trip_{action}", args=[trip.pk]), data).status_code == 302
    on = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    trip = Trip.objects.get(pk=trip.pk)
    transfers.record_gate_release(trip, at=on, by=None)
    transfers.record_hospital_arrival(trip, at=on + dt.timedelta(hours=1), by=None)
    transfers.record_outcome(
        trip, patient=scene.patients[0], outcome="seen", note=MARKERS["outcome note"], by=coordinator,
        at=on + dt.timedelta(hours=2),
    )  # fmt: skip

    # A death reported on the field form, its circumstances in the submission the ledger keeps.
    submission = Submission(
        new_uuid(),
        answers(
            "death", patient_code=scene.patients[3].code, date_of_death=(day - dt.timedelta(days=1)).isoformat(),
            after_denied_care="no", circumstances=MARKERS["death circumstances (intake)"], source="document",
            certainty="confirmed",
        ),
    )  # fmt: skip
    report = import_export(
        kobo_json(FORMS["death"], [submission]), platform="kobo", filename="data.json", by=coordinator
    )
    assert [s.status for s in report.submissions] == ["imported"], report.submissions

    # A hold at the gate reported on the field form and imported on the command line.
    held = make_trip(scene.site, [scene.referrals[4]], -4)
    reported = Submission(
        new_uuid(),
        answers(
            "gate_incident", trip_number=held.code, outcome="held", time_at_gate=at(-4, "10:00"),
            reason_given=MARKERS["gate note (CLI import)"], note=MARKERS["field note (CLI import)"],
            witnesses="2", certainty="possible",
        ),
    )  # fmt: skip
    export = tmp_path / "gate.json"
    export.write_bytes(kobo_json(FORMS["gate_incident"], [reported]))
    result = CliRunner().invoke(cli, ["import", "kobo", str(export)])
    assert result.exit_code == 0, result.output
    scene.import_output = result.output  # type: ignore[attr-defined]  # what the operator's import printed
    return scene


def _pages(scene: Scene) -> list[str]:
    """Every page a role may open: the permission matrix's pages, every entry, trip, patient, the reports."""
    urls = [
        reverse(f"web:{name}", kwargs=scene.kwargs(name))
        for name, (method, _) in sorted(ROUTES.items())
        if method == "get" and name not in ("outbox_worker",)
    ]
    urls += [reverse("web:ledger_entry", args=[seq]) for seq in Entry.objects.values_list("seq", flat=True)]
    urls += [reverse("web:ledger") + f"?page={n}" for n in range(1, Entry.objects.count() // 50 + 2)]
    urls += [reverse("web:trip", args=[pk]) for pk in Trip.objects.values_list("pk", flat=True)]
    urls += [reverse("web:patient", args=[code]) for code in Patient.objects.values_list("code", flat=True)]
    urls += ["/reports/", "/reports/monthly/", "/supplies/", "/intake/", "/jobs/schedule/"]
    return urls


def _api_reads(scene: Scene) -> list[str]:
    """Every API GET, each path parameter filled with every value the scene holds for it."""
    values: dict[str, list[str]] = {
        "code": [p.code for p in Patient.objects.all()] + [scene.site.code],
        "referral_id": [str(pk) for pk in Referral.objects.values_list("pk", flat=True)],
        "trip_id": [str(pk) for pk in Trip.objects.values_list("pk", flat=True)],
        "seq": [str(seq) for seq in Entry.objects.values_list("seq", flat=True)],
        "job_id": ["1"],
    }
    urls = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        if "get" not in operations:
            continue
        names = re.findall(r"{(\w+)}", path)
        if not names:
            urls.append(path + "?limit=500")
            continue
        [name] = names
        urls += [path.replace(f"{{{name}}}", value) for value in values[name]]
    return urls


def _found(client: Client, urls: list[str]) -> dict[str, list[str]]:
    """Which markers each URL's answer holds."""
    found: dict[str, list[str]] = {}
    for url in urls:
        response = client.get(url)
        raw = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
        body = raw.decode(errors="replace")
        hits = [label for label, marker in MARKERS.items() if marker in body]
        if hits:
            found[url] = hits
    return found


def test_a_monitors_crawl_of_every_page_finds_no_clinical_or_identifying_text(
    marked: Scene, client_for: Callable[[str], Client]
) -> None:
    assert _found(client_for("monitor"), _pages(marked)) == {}


def test_a_monitors_crawl_of_every_api_read_finds_no_clinical_or_identifying_text(marked: Scene) -> None:
    assert _found(_api(marked.users["monitor"]), _api_reads(marked)) == {}


def _admin_pages() -> list[str]:
    """The Django admin: every registered model's list, and the page of each of its records."""
    from django.contrib import admin

    urls = []
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls += [
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk])
            for pk in model._default_manager.values_list("pk", flat=True)[:200]
        ]
    return urls


def test_an_auditor_and_an_admin_find_none_either(marked: Scene, client_for: Callable[[str], Client]) -> None:
    for role in ("auditor", "admin"):
        assert _found(client_for(role), _pages(marked)) == {}, role
        assert _found(_api(marked.users[role]), _api_reads(marked)) == {}, role
    # The admin's own pages (the Django admin) withhold the same fields, and offer no search over them.
    assert _found(client_for("admin"), _admin_pages()) == {}
    searched = client_for("admin").get(reverse("admin:ledger_entry_changelist"), {"q": MARKERS["outcome note"]})
    listing: Any = searched.context_data
    assert "body" not in listing["cl"].search_fields


def test_a_coordinator_reading_the_same_pages_and_api_finds_every_marker(
    marked: Scene, client_for: Callable[[str], Client]
) -> None:
    seen = {label for hits in _found(client_for("coordinator"), _pages(marked)).values() for label in hits}
    seen |= {label for hits in _found(_api(marked.users["coordinator"]), _api_reads(marked)).values() for label in hits}
    assert seen == set(MARKERS)


def test_a_monitor_sees_that_a_gate_note_was_written_but_not_its_words(
    marked: Scene, client_for: Callable[[str], Client]
) -> None:
    [held] = [e for e in Entry.objects.filter(type="gate.held") if e.payload["note"] == MARKERS["gate note (web)"]]
    page = client_for("monitor").get(reverse("web:ledger_entry", args=[held.seq])).content.decode()
    assert "[withheld]" in page and MARKERS["gate note (web)"] not in page
    assert (
        MARKERS["gate note (web)"]
        in client_for("coordinator").get(reverse("web:ledger_entry", args=[held.seq])).content.decode()
    )
    assert "Read the withheld text" not in page  # the audited reading is the auditors'


def test_an_auditor_reads_a_withheld_purpose_only_by_giving_a_reason_and_the_reading_is_recorded(
    marked: Scene, client_for: Callable[[str], Client]
) -> None:
    viewed = Entry.objects.filter(type="identity.viewed").latest("seq")
    auditor = client_for("auditor")
    listed = _api(marked.users["auditor"]).get("/api/audit/identity-views").json()["items"]
    assert {"viewed_by": "coordinator", "purpose": "[withheld]"}.items() <= listed[0].items()

    url = reverse("web:ledger_text", args=[viewed.seq])
    assert MARKERS["identity purpose (API)"] not in auditor.get(url).content.decode()
    refused = auditor.post(url, {"purpose": ""})
    assert MARKERS["identity purpose (API)"] not in refused.content.decode()
    assert not Entry.objects.filter(type="text.viewed").exists()

    shown = auditor.post(url, {"purpose": "quarterly access review"}).content.decode()
    assert MARKERS["identity purpose (API)"] in shown
    reading = Entry.objects.get(type="text.viewed")
    assert reading.recorded_by == "auditor"
    assert {"entry": viewed.seq, "purpose": "quarterly access review"}.items() <= reading.payload.items()


def test_the_api_gives_an_auditor_the_withheld_text_with_a_purpose_and_refuses_a_monitor(marked: Scene) -> None:
    died = Entry.objects.get(type="patient.died")
    url = f"/api/ledger/{died.seq}/text"
    assert _api(marked.users["monitor"]).get(url, {"purpose": "curious"}).status_code == 403
    assert _api(marked.users["auditor"]).get(url).status_code in (400, 422)
    answer = _api(marked.users["auditor"]).get(url, {"purpose": "checking an import"})
    assert answer.status_code == 200
    body = answer.json()
    assert MARKERS["death circumstances (intake)"] in str(body["entry"]["payload"])
    assert Entry.objects.get(seq=body["viewed"]["seq"]).type == "text.viewed"


def test_every_payload_key_of_the_seeded_ledger_has_a_class(marked: Scene) -> None:
    from corridor import sensitivity

    unclassed = sorted(
        {
            f"{entry.type}: {key}"
            for entry in Entry.objects.all()
            for key in sensitivity.payload_keys(entry.payload)
            if sensitivity.key_class(entry.type, key) is None
        }
    )
    assert unclassed == []


def test_an_auditor_of_another_site_cannot_read_the_withheld_text_of_this_ones_entry(
    marked: Scene, crossing: Any
) -> None:
    died = Entry.objects.get(type="patient.died")
    answer = _api(crossing.users["auditor"]).get(f"/api/ledger/{died.seq}/text", {"purpose": "checking an import"})
    assert answer.status_code == 404
    assert MARKERS["death circumstances (intake)"] not in answer.content.decode()
    assert not Entry.objects.filter(type="text.viewed").exists()


def _cli_reads(scene: Scene, role: str, folder: Path) -> dict[str, str]:
    """What each command that reads records on someone's behalf prints or writes, run with ``--as ROLE``."""
    runner = CliRunner()
    evidence.sign_checkpoint(by=None)  # (the service: `corridor checkpoint` also files it in the data folder)
    folder.mkdir()
    said: dict[str, str] = {}

    def run(name: str, *args: str, may_refuse: bool = False) -> None:
        result = runner.invoke(cli, [*args, "--as", role])
        refused = may_refuse and result.exit_code == 2 and "your role may not" in result.output
        assert result.exit_code == 0 or refused, (name, result.output)
        said[name] = result.output

    run("export ledger", "export", "ledger")
    run("export ledger --out", "export", "ledger", "--out", str(folder / "ledger.jsonl"))
    said["export ledger file"] = (folder / "ledger.jsonl").read_text(encoding="utf-8")
    # The markers are in the ledger (sealed apart from the hashed bodies): the crawl reads where they are.
    marked = [e.seq for e in Entry.objects.order_by("seq") if any(m in json.dumps(e.payload) for m in MARKERS.values())]
    assert len(marked) >= 5
    for seq in marked:
        run(f"prove entry {seq}", "prove", "entry", str(seq))
    for dataset in ("referrals", "trips", "incidents"):
        run(f"export {dataset}", "export", dataset, "--format", "json", may_refuse=True)  # export: not a monitor's
    pdf = folder / "monthly.pdf"
    run("report monthly", "report", "monthly", "--month", "2014-10", "--public", "--out", str(pdf))
    attached = folder / "monthly"
    attached.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(attached), str(pdf)], capture_output=True, check=True)
    said["report monthly (attachments)"] = "".join(f.read_text(errors="replace") for f in attached.iterdir())
    for code in [p.code for p in scene.patients[:4]]:
        pdf = folder / f"{code}.pdf"
        run(f"dossier {code}", "dossier", code, "--out", str(pdf))
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        attached = folder / code
        attached.mkdir()
        subprocess.run(["pdfdetach", "-saveall", "-o", str(attached), str(pdf)], capture_output=True, check=True)
        files = "".join(f.read_text(encoding="utf-8", errors="replace") for f in sorted(attached.iterdir()))
        said[f"dossier {code} (text and attachments)"] = text + files
    return said


def _markers_in(said: dict[str, str]) -> dict[str, list[str]]:
    found = {name: [label for label, marker in MARKERS.items() if marker in text] for name, text in said.items()}
    return {name: hits for name, hits in found.items() if hits}


@pytest.mark.skipif(not shutil.which("pdfdetach"), reason="needs poppler's pdftotext and pdfdetach")
def test_the_commands_run_as_a_monitor_print_and_write_no_clinical_or_identifying_text(
    marked: Scene, tmp_path: Path
) -> None:
    assert _markers_in(_cli_reads(marked, "monitor", tmp_path / "monitor")) == {}
    # The operator's import said what it imported, not what the submissions said.
    assert _markers_in({"import kobo": marked.import_output}) == {}  # type: ignore[attr-defined]


@pytest.mark.skipif(not shutil.which("pdfdetach"), reason="needs poppler's pdftotext and pdfdetach")
def test_the_same_commands_run_as_a_coordinator_hold_every_marker(marked: Scene, tmp_path: Path) -> None:
    seen = {label for hits in _markers_in(_cli_reads(marked, "coordinator", tmp_path / "c")).values() for label in hits}
    # Every marker the ledger holds, sealed apart from the bodies (a diagnosis lives on its referral, which no
    # command prints).
    payloads = [json.dumps(e.payload) for e in Entry.objects.order_by("seq")]
    in_ledger = {label for label, marker in MARKERS.items() if any(marker in p for p in payloads)}
    assert len(in_ledger) >= 5 and seen == in_ledger


def test_a_command_run_as_an_account_that_does_not_exist_or_may_not_read_the_ledger_is_refused(
    marked: Scene,
) -> None:
    runner = CliRunner()
    nobody = runner.invoke(cli, ["export", "ledger", "--as", "nobody"])
    assert nobody.exit_code == 2 and "no active account 'nobody'" in nobody.output
    outsider = runner.invoke(cli, ["export", "ledger", "--as", "outsider"])
    assert outsider.exit_code != 0 and not any(m in outsider.output for m in MARKERS.values())


@pytest.mark.skipif(not shutil.which("pdfdetach"), reason="needs poppler's pdftotext and pdfdetach")
def test_a_monitors_dossier_made_on_the_patient_page_attaches_no_clinical_text(
    marked: Scene, client_for: Callable[[str], Client], tmp_path: Path
) -> None:
    evidence.sign_checkpoint(by=None)
    code = marked.patients[0].code  # whose trip's gate and outcome notes hold markers
    found, attached = {}, {}
    for role in ("monitor", "coordinator"):
        answer = client_for(role).post(reverse("reports:dossier", args=[code]), {"language": "en"})
        assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf", role
        pdf = tmp_path / f"{role}.pdf"
        pdf.write_bytes(b"".join(answer.streaming_content) if answer.streaming else answer.content)  # type: ignore[attr-defined]
        folder = tmp_path / role
        folder.mkdir()
        subprocess.run(["pdfdetach", "-saveall", "-o", str(folder), str(pdf)], capture_output=True, check=True)
        files = "".join(f.read_text(errors="replace") for f in folder.iterdir())
        found[role] = {label for label, marker in MARKERS.items() if marker in files}
        bundle = json.loads((folder / "evidence.json").read_text(encoding="utf-8"))
        attached[role] = [item["entry"] for item in bundle["entries"]]
    assert found == {"monitor": set(), "coordinator": set()}
    # The entries it cites hold commitments, not the notes: every reader's edition attaches them whole, so each
    # still hashes to its hash (the gate and outcome notes' entries among them).
    assert attached["monitor"] == attached["coordinator"] and not any(e.get("redacted") for e in attached["monitor"])
    committed = {e["type"] for e in attached["monitor"] if commitments.MARK in json.dumps(e, separators=(",", ":"))}
    assert {"gate.held", "patient.seen"} <= committed


def test_no_marker_is_in_a_ledger_body_nor_in_the_ledger_tables_of_a_dump(marked: Scene) -> None:
    from corridor.ops.testing import database_text

    # Every marker but the diagnoses (kept on the referral, never in an entry) went into the ledger: a
    # coordinator reads each one back from the entries' payloads...
    payloads = str([e.payload for e in Entry.objects.all()])
    in_ledger = [label for label in MARKERS if not label.startswith("diagnosis")]
    assert [label for label, marker in MARKERS.items() if marker in payloads] == in_ledger
    # ...and not one of them is in a hashed body, nor anywhere in the ledger's tables: only commitments are.
    bodies = "\n".join(Entry.objects.values_list("body", flat=True))
    assert not [label for label, marker in MARKERS.items() if marker in bodies]
    ledger_rows = [line for line in database_text().splitlines() if "ledger_" in line]
    assert any("ledger_sealedtext" in line for line in ledger_rows)
    assert not [label for label, marker in MARKERS.items() for line in ledger_rows if marker in line]
    # The diagnoses and the outcome note are kept under their patients' data keys: in no table of a dump.
    dump = database_text()
    assert not [label for label in ("diagnosis (service)", "diagnosis (API)", "outcome note") if MARKERS[label] in dump]


def test_after_an_erasure_no_dump_page_nor_api_answer_holds_the_persons_diagnosis_or_outcome_note(
    marked: Scene, client_for: Callable[[str], Client]
) -> None:
    from corridor.accounts.services import create_user
    from corridor.ledger import services as ledger
    from corridor.ops.testing import database_text
    from corridor.register import erasure
    from corridor.reports import catalogue
    from corridor.reports.core import Period

    first, second = marked.patients[0], marked.patients[1]
    theirs = ("diagnosis (service)", "diagnosis (API)", "outcome note")
    trip = Trip.objects.get(passengers__patient=first, passengers__outcome="seen")
    pages = [reverse("web:patient", args=[p.code]) for p in (first, second)] + [reverse("web:trip", args=[trip.pk])]
    referrals = list(Referral.objects.filter(patient__in=(first, second)))
    reads = [f"/api/referrals/{r.pk}" for r in referrals] + [f"/api/trips/{trip.pk}"]
    coordinator = client_for("coordinator")
    reader = _api(marked.users["coordinator"])
    # A coordinator reads both texts before the erasure; the database holds them only encrypted.
    assert sorted({h for hits in _found(coordinator, pages).values() for h in hits} & set(theirs)) == sorted(theirs)
    assert sorted({h for hits in _found(reader, reads).values() for h in hits} & set(theirs)) == sorted(theirs)
    assert not [label for label in theirs if MARKERS[label] in database_text()]
    period = Period.month(marked.trip.date.strftime("%Y-%m"), marked.trip.date)
    before = [(t.code, t.rows) for t in catalogue.compute_all(period).tables()]
    second_admin = create_user(
        username="admin-two", role="admin", password="x", by=None, check_password=False, sites=[marked.site.code]
    )
    for person in (first, second):
        erasure.request_erasure(person, reason="the family asked", by=marked.users["admin"])
        erasure.confirm_erasure(person, by=second_admin)

    assert not [label for label in theirs if MARKERS[label] in database_text()]
    assert not _found(coordinator, pages) and not _found(reader, reads)
    for url in pages:
        assert "erased" in coordinator.get(url).content.decode()
    shown = [reader.get(url).json() for url in reads]
    assert {r["diagnosis"] for r in shown[:-1]} == {"erased"}
    assert [p["outcome_note"] for p in shown[-1]["passengers"] if p["patient"] == first.code] == ["erased"]
    assert {r.diagnosis for r in Referral.objects.filter(pk__in=[r.pk for r in referrals])} == {"erased"}
    assert [(t.code, t.rows) for t in catalogue.compute_all(period).tables()] == before
    assert ledger.verify(deep=True).ok
    deep = CliRunner().invoke(cli, ["verify", "--deep"])
    assert deep.exit_code == 0, deep.output
    # Their committed texts no longer open: counted apart, neither missing nor altered.
    assert "; 0 unreadable since their person was erased" not in deep.output
    assert "unreadable since their person was erased" in deep.output


def test_a_rotated_identity_key_keeps_every_diagnosis_and_outcome_note_readable(
    marked: Scene, client_for: Callable[[str], Client], settings: Any
) -> None:
    from corridor import env
    from corridor.ops import keys
    from corridor.transfers.models import TripPassenger

    first = marked.patients[0]
    trip = Trip.objects.get(passengers__patient=first, passengers__outcome="seen")
    settings.IDENTITY_KEYS = [env.new_identity_key(), *settings.IDENTITY_KEYS]
    keys.reencrypt_identities(by=None)
    settings.IDENTITY_KEYS = settings.IDENTITY_KEYS[:1]  # the old key gone: both texts still read

    assert MARKERS["diagnosis (service)"] in {r.diagnosis for r in Referral.objects.filter(patient=first)}
    assert TripPassenger.objects.get(trip=trip, patient=first).outcome_note == MARKERS["outcome note"]
    page = client_for("coordinator").get(reverse("web:trip", args=[trip.pk])).content.decode()
    assert MARKERS["outcome note"] in page
