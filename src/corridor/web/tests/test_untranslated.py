"""No English left in Persian and Arabic: every page of every route table, crawled (issue #17, item 7).

The crawl is derived from the resolver, not from a hand list: a new route is either opened here as a
page, in each role that may open it, or named in ``NOT_PAGES`` with why. A Latin-script word on a
page is a finding unless ``ALLOWED`` says why it is the same in every language.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from corridor.supplies.tests.test_pages import ROUTES as SUPPLY_ROUTES
from corridor.web.tests.conftest import Scene
from corridor.web.tests.test_permissions import ROUTES as WORKSPACE_ROUTES

LANGUAGES = ("fa", "ar")

# The accounts that see the most: each page is read by every one of these that may open it, because a
# coordinator's buttons, an admin's account forms and a monitor's gate forms differ on the same page.
READERS = ("coordinator", "admin", "monitor", "auditor")

# Pages outside the workspace's and the supplies' tables: who may open each (reports, intake and jobs
# say so in their own tests; tests/test_routes.py names them).
OTHER_PAGES: dict[str, frozenset[str]] = {
    "reports:index": frozenset({"coordinator", "monitor", "auditor", "admin"}),
    "intake:upload": frozenset({"coordinator", "monitor"}),
    "intake:received": frozenset({"coordinator"}),  # a refused submission, asking why before it is shown
    "jobs:progress": frozenset({"auditor"}),  # the job's owner (the scene's export is the auditor's)
    "jobs:schedule": frozenset({"admin"}),
}

# Routes that are not pages for people to read, each with why the crawl does not open it.
NOT_PAGES = {
    None: "/admin/password_change/ only redirects to the account's own password page (crawled)",
    "admin": "Django's admin, read-only: its words are Django's own catalogue, not Corridor's",
    "api": "the JSON API: machine codes and English sentences beside them, by design (docs/api.md)",
    "login": "signing in: crawled below as a visitor (no route table for the signed-out pages)",
    "logout": "a POST that signs out; nothing to read",
    "reports:monthly": "a POST that returns the report: its PDF is read by the PDF test below",
    "reports:export": "a POST that returns a file; its header row is a stable machine code (test below)",
    "reports:narrative": "a POST that records a narrative and redirects to the reports page (crawled)",
    "reports:dossier": "a POST that returns the dossier PDF: read by the PDF test below",
    "intake:form": "an XLSForm file, in the three languages of its own columns (intake/tests/test_forms.py)",
    "intake:push": "a POST for ODK Central or KoBo with a source's secret, answered in JSON",
    "jobs:result": "the job's file (an export or a PDF), read by the tests of what it holds",
    "web:attachment_image": "a photo's derivative, an image file",
    "web:attachment_original": "the original file attached, as it was received",
    "web:outbox_worker": "the service worker's script that sends gate records queued offline",
}

# Latin-script words the same in every language, each with why. Kept short: an English sentence is a
# finding to translate, never an entry here.
ALLOWED = {
    r"Corridor": "the product's name",
    r"ODK(?: Central| Collect)?|KoBoToolbox|KoBoCollect|XLSForms?": "names of the field-form tools and format",
    r"REST Services": "KoBoToolbox's feature that pushes submissions, named as its own menu names it",
    r"PDF|CSV|HTML|JSON|XLSX|ZIP|HXL|API": "names of file formats and of the API, written so in every language",
    r"[\w-]+\.(?:xlsx|json|pdf|csv)": "file names: a shipped XLSForm, the evidence.json a dossier embeds",
    r"docs/[\w-]+\.md": "a page of the documentation, named as it is in the repository",
    r"[A-Z]{1,5}(?:-[A-Z0-9]+)+": "codes people write and say as written: P-0001, T-12, H-1, CAMP-T, C-0001",
    r"P[1-4]": "priority classes, codes of the camp's triage (docs/vocabulary.md)",
    r"[A-Z]\d{2}(?:\.\d{1,2})?": "ICD-10 codes (C50.9, I21.9)",
    r"(?:coordinator|clinician|monitor|auditor|admin|outsider)": "usernames of the fixture accounts",
    r"Test|Camp|Test Person(?: \w+)?|Oncology|Eyes|Heart": "names the fixtures gave in English only (shown as "
    "given; a PDF's line may break between the camp's two words)",
    r"security|doctor away|the ambulance was stopped for four hours|was taken from the queue": "reasons and "
    "descriptions the reports' fixture entered in English: a report prints what was said as it was said",
    r"confirmed by two witnesses|duplicate": "reasons the reports' fixture gave for a correction and a retraction",
    r"SSA": "WHO's Surveillance System for Attacks on health care, whose classification the reports use",
    r"[IVX]{1,5}": "ICD-10 chapters, numbered in Roman numerals by WHO in every language",
    r"[0-9a-f]{12,}": "hashes: Merkle roots, checksums and key fingerprints",
    r"UTC": "the clock's reference, written so in every language",
    r"locale/(?:fa|ar)/LC_MESSAGES/django\.po|msgid|msgstr": "the translation files and their two keywords, named "
    "as a translator finds them (the about page says how to correct a translation)",
    r"CORRIDOR_[A-Z_]+": "settings, named as the operator types them in the environment (docs/deploy.md)",
    r"English": "the language switch names each language in itself",
}
# Bounded by Latin letters and digits only: "CSVها" (a Persian plural of an allowed name) is allowed.
ALLOWED_WORDS = re.compile(r"(?<![A-Za-z0-9-])(?:" + "|".join(ALLOWED) + r")(?![A-Za-z0-9-])")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

# Attributes people read or hear: hover titles, empty-field hints, screen readers' names, image text.
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _Readable(HTMLParser):
    """Each text node and read attribute of a page, skipping scripts, styles and machine blocks."""

    # ``pre`` holds a ledger entry's canonical JSON, its keys machine codes; ``code`` holds what people
    # type or compare as written (a scheduled item's name, an API token, a hash).
    SKIP = ("script", "style", "pre", "code")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and value.strip():
                self.found.append(value.strip())
            if tag == "input" and name == "value" and ("type", "submit") in attrs and value:
                self.found.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.found.append(" ".join(data.split()))


def english_in(html: str) -> list[str]:
    """The texts of a page that hold a Latin-script word not in ``ALLOWED``."""
    parser = _Readable()
    parser.feed(html)
    return [text for text in parser.found if LATIN_WORD.search(ALLOWED_WORDS.sub("", text))]


def _routes(patterns: list[Any], namespace: str | None = None) -> Iterator[tuple[str | None, str | None]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield namespace, pattern.name


def _pages() -> dict[str, frozenset[str]]:
    """Every GET page of every route table: its qualified name -> the readers who may open it."""
    pages: dict[str, frozenset[str]] = {}
    for name, (method, who) in WORKSPACE_ROUTES.items():
        if method == "get":  # "anyone": every reader, and visitors (the sign-in page, below)
            pages[f"web:{name}"] = frozenset(READERS) if isinstance(who, str) else who
    pages |= {f"supplies:{n}": who for n, who in SUPPLY_ROUTES.items()}
    return {n: who for n, who in (pages | OTHER_PAGES).items() if n not in NOT_PAGES}


def test_every_route_is_crawled_or_named_with_why_it_is_not_a_page() -> None:
    crawled = set(_pages())
    unplaced = set()
    for namespace, name in _routes(get_resolver().url_patterns):
        qualified = f"{namespace}:{name}" if namespace else name
        if qualified not in crawled and namespace not in NOT_PAGES and qualified not in NOT_PAGES:
            posted = namespace == "web" and WORKSPACE_ROUTES[str(name)][0] == "post"
            if not posted:  # the workspace's table says which of its routes only record
                unplaced.add(qualified)
    assert unplaced == set()
    assert not set(OTHER_PAGES) & set(NOT_PAGES)
    assert not {n for n in NOT_PAGES if n and n.startswith("web:")} - {f"web:{n}" for n in WORKSPACE_ROUTES}


def test_the_crawl_finds_an_english_sentence_and_lets_codes_and_names_through() -> None:
    html = (
        '<p>بیمار <bdi>P-0001</bdi> به H-1 رفت، Corridor</p><input placeholder="Search"><img alt="Chart">'
        '<select><option>Oncology</option><option>Not yet</option></select><pre>{"trip": 1}</pre>'
    )
    assert english_in(html) == ["Search", "Chart", "Not yet"]


@pytest.fixture
def world(scene: Scene, users: dict[str, Any], settings: Any) -> Iterator[dict[str, Any]]:
    """The scene, with stock at risk, a blocked delivery, a dependent patient, a job to follow, a refused
    push and a server whose scheduled pull failed for its refused submissions."""

    from corridor.jobs import services as jobs
    from corridor.supplies import actions as supplies

    diesel = supplies.define_item(
        site=scene.site, code="diesel", name="Diesel", names={"fa": "گازوئیل", "ar": "ديزل"}, category="diesel",
        unit="litres", critical_threshold=1500, by=None,
    )  # fmt: skip
    day = dt.date(2014, 9, 20)
    for offset, quantity in ((0, 2000), (7, 1300), (14, 600)):
        supplies.record_count(item=diesel, on=day + dt.timedelta(days=offset), quantity=quantity, unit="l", by=None)
    supplies.record_blocked_delivery(
        site=scene.site, item="diesel", on=day, by=None, source="publication", certainty="unverified"
    )
    delivery = supplies.request_delivery(site=scene.site, item=diesel, on=dt.date(2014, 10, 12), by=None)
    dependence = supplies.record_dependence(patient=scene.patients[0], item=diesel, need="dialysis", since=day, by=None)
    job = jobs.submit("export", {"dataset": "trips"}, by=users["auditor"])
    refusal = _refused_push()
    with _refused_pull(settings):
        yield {"delivery": delivery.pk, "dependence": dependence.pk, "job": job.pk, "refusal": refusal}


@contextlib.contextmanager
def _refused_pull(settings: Any) -> Iterator[None]:
    """A KoBoToolbox server whose scheduled pull failed: the deaths it reports are of patients not in the
    register, so the intake page's "Servers" shows the job's coded error with each problem."""
    from corridor.intake.sources import Source
    from corridor.intake.tests.recorded import RecordedServer, serve_kobo
    from corridor.jobs import services as jobs
    from corridor.jobs.models import Job

    server = RecordedServer().start()
    try:
        serve_kobo(server)
        settings.INTAKE_SOURCES = [Source("gate-kobo", "kobo", server.url, "aSynthDeath01", token="synthetic")]
        pull = jobs.submit("intake-pull", {"source": "gate-kobo"}, by=None, schedule="intake-pull-gate-kobo")
        assert jobs.run(pull.pk) == Job.State.FAILED
        yield
    finally:
        server.stop()


def _refused_push() -> int:
    """A death pushed by a server about a patient not in the register: the intake page lists its refusal
    (its number, for the page that reads what the server sent)."""
    from corridor.intake import servers
    from corridor.intake.models import Refusal
    from corridor.intake.sources import Source
    from corridor.intake.tests.recorded import RECORDED

    pushing = Source("deaths-push", "kobo", "https://kobo.example.org", "aSynthDeath01", push_secret="synthetic")
    outcome = servers.receive_push(pushing, (RECORDED / "kobo/push-death.json").read_bytes())
    assert outcome.status == "refused" and [p.code for p in outcome.problems] == ["intake.no_patient"]
    return Refusal.objects.get(source="deaths-push").pk


def _url(name: str, scene: Scene, world: dict[str, Any]) -> str:
    namespace, short = name.split(":")
    if namespace == "web":
        return reverse(name, kwargs=scene.kwargs(short))
    if name == "supplies:answer":
        return reverse(name, args=[world["delivery"]])
    if name == "supplies:end_dependence":
        return reverse(name, args=[world["dependence"]])
    if namespace == "jobs" and short != "schedule":
        return reverse(name, args=[world["job"]])
    if name == "intake:received":
        return reverse(name, args=[world["refusal"]])
    return reverse(name)  # a route needing arguments nobody gave fails here, not silently


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_is_left_on_any_page_in_persian_and_arabic(
    language: str, scene: Scene, world: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    findings: list[str] = []
    opened = 0
    clients = {}
    for reader in READERS:
        clients[reader] = client_for(reader)
        assert clients[reader].post(reverse("web:set_language"), {"language": language}).status_code == 302
    for name, who in sorted(_pages().items()):
        url = _url(name, scene, world)
        for reader in (r for r in READERS if r in who):
            response = clients[reader].get(url)
            assert response.status_code == 200, (url, reader, response.status_code)
            html = response.content.decode()
            if "<html" in html:  # not a fragment htmx swaps into a page (a job's progress)
                assert f'lang="{language}" dir="rtl"' in html, (url, reader)
            findings += [f"{url} ({reader}): {text}" for text in english_in(html)]
            opened += 1
    # The intake page the crawl read lists the world's refused push, its problem said in the language.
    intake = clients["coordinator"].get(reverse("intake:upload")).content.decode()
    assert "<code>patient_code</code>" in intake
    # And the scheduled pull that failed, its refused submissions each on a line, said in the language.
    source = r'<bdi class="code"><code>gate-kobo</code></bdi>'
    failed = rf'<span class="error">{source}.*?</bdi>[^<]*<ul class="errorlist"><li>'
    assert intake.count("P-301") == 2 and re.search(failed, intake)
    # The answers to a wrong address and to a page one may not open are pages people read too.
    missing = clients["coordinator"].get(reverse("web:patient", args=["P-9999"]))
    outsider = client_for("outsider")
    outsider.post(reverse("web:set_language"), {"language": language})
    refused = outsider.get(reverse("web:patients"))
    assert (missing.status_code, refused.status_code) == (404, 403)
    findings += [f"404: {text}" for text in english_in(missing.content.decode())]
    findings += [f"403: {text}" for text in english_in(refused.content.decode())]
    visitor = Client()
    visitor.post(reverse("web:set_language"), {"language": language})
    findings += [
        f"/accounts/login/ (visitor): {text}" for text in english_in(visitor.get("/accounts/login/").content.decode())
    ]
    assert opened > 50  # every table was walked
    assert not findings, "\n" + "\n".join(sorted(set(findings)))


# --- A month of records in every state: the October the reports are checked against --------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_is_left_on_the_pages_of_a_month_with_trips_in_every_state(
    language: str, october: dict[str, Any], users: dict[str, Any]
) -> None:
    # The scene above has one trip, just requested; this month has denied, held, cancelled and completed
    # trips, corrected and retracted entries, blocked deliveries and a patient of unknown birth year.
    from corridor.ledger.models import Entry
    from corridor.register.models import Patient
    from corridor.transfers.models import Trip

    client = Client()
    client.force_login(users["coordinator"])
    client.post(reverse("web:set_language"), {"language": language})
    urls = ["/", "/trips/", "/patients/", "/ledger/", "/supplies/", "/plan/"]
    urls += [reverse("web:trip", args=[pk]) for pk in Trip.objects.values_list("pk", flat=True)]
    urls += [reverse("web:patient", args=[code]) for code in Patient.objects.values_list("code", flat=True)]
    one_of_each_type = {e.type: e.seq for e in Entry.objects.order_by("-seq")}  # the first of each
    urls += [reverse("web:ledger_entry", args=[seq]) for seq in one_of_each_type.values()]
    # Retracting a death says which trips it changed stay as they are.
    urls += [reverse("web:ledger_retract", args=[one_of_each_type["patient.died"]])]
    # Its date is corrected from its own form, labelled by the date it corrects.
    urls += [reverse("web:ledger_correct", args=[one_of_each_type["patient.died"]])]
    findings = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        findings += [f"{url}: {text}" for text in english_in(response.content.decode())]
    assert len(urls) > 40
    assert not findings, "\n" + "\n".join(sorted(set(findings)))


# --- The PDFs: the monthly report and a case dossier, read back as text -------------------------------

POPPLER = shutil.which("pdftotext") is not None
needs_poppler = pytest.mark.skipif(not POPPLER and not os.environ.get("CI"), reason="poppler-utils is not installed")
# pdftotext marks right-to-left runs with bidi controls and keeps zero-width non-joiners: neither is a word.
BIDI = re.compile(r"[\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _pdf_text(content: bytes, tmp_path: Path) -> list[str]:
    pdf = tmp_path / "read.pdf"
    pdf.write_bytes(content)
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in BIDI.sub("", out).splitlines() if line.strip()]


def english_in_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if LATIN_WORD.search(ALLOWED_WORDS.sub("", line))]


@pytest.fixture
def october(camp: Any, settings: Any) -> dict[str, Any]:
    from corridor.reports.tests import fixtures

    settings.TODAY = fixtures.AS_OF
    return fixtures.build(camp)


@needs_poppler
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_is_left_in_the_monthly_report_and_a_case_dossier(
    language: str, october: dict[str, Any], tmp_path: Path
) -> None:
    from corridor.reports import services

    report = services.monthly_report(month="2014-10", language=language, fmt="pdf", by=None)
    dossier = services.case_dossier(code="P-C", language=language, by=None)
    findings = [f"report: {t}" for t in english_in_lines(_pdf_text(report.content, tmp_path))]
    findings += [f"dossier: {t}" for t in english_in_lines(_pdf_text(dossier.content, tmp_path))]
    assert not findings, "\n" + "\n".join(findings)


# --- The exports: their header rows are for machines -------------------------------------------------

# Why an export's header is not translated: the CSV, HXL and JSON exports are read by partners' scripts
# and by HDX, which join on the column names (the incidents' are the WHO SSA's own headings, in English
# in every language); a name that changed with the reader's language would break them. So each column
# name is a stable code, the same in every language and documented in docs/exports.md; people read the
# meaning there and in the JSON export's column descriptions. The ledger's export is JSON lines with the
# entries' own keys, and has no header row at all.
EXPORTS_DOC = Path(__file__).resolve().parents[4] / "docs" / "exports.md"


def test_every_export_header_is_a_stable_machine_code_whatever_the_readers_language(
    october: dict[str, Any],
) -> None:
    from django.utils import translation

    from corridor.reports import exports, services

    documented = EXPORTS_DOC.read_text(encoding="utf-8")
    headers: dict[str, dict[str, list[str]]] = {}
    for language in ("en", *LANGUAGES):
        with translation.override(language):
            for dataset in exports.DATASETS:
                produced = services.export(dataset=dataset, fmt="csv", month="2014-10", by=None)
                headers.setdefault(dataset, {})[language] = next(csv.reader(io.StringIO(produced.content.decode())))
    for dataset, by_language in headers.items():
        assert len(by_language["en"]) > 3, dataset
        assert by_language["fa"] == by_language["ar"] == by_language["en"], dataset
        undocumented = [name for name in by_language["en"] if f"| `{name}` |" not in documented]
        assert not undocumented, (dataset, undocumented)
