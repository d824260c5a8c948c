"""The workspace in a real browser (Debian's chromium driven by Playwright) on the demo camp.

The server is ``corridor serve`` in a process of its own, on a free port, against a copy of a
database loaded once with the demo scenario: committed data and a second process do not fit in a
test's rolled-back transaction. Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from corridor.ledger.tests import samples
from corridor.ops.testing import chromium, require_chromium
from corridor.scenarios.build_demo import NAMES

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PAGE_WEIGHT_LIMIT = 200_000  # bytes for the dashboard, static files (cached after the first visit) apart

PROPOSE = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from corridor.register.models import Site
from corridor.transfers import plans
plans.propose_plan(site=Site.objects.get(code="CAMP-1"), by=None, budget=plans.lowered_budget({"windows": 4}))
"""

ACCEPT_AND_APPROVE = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from corridor import clock
from corridor.register.models import Site
from corridor.transfers import plans, services
plan = plans.latest_plan(Site.objects.get(code="CAMP-1"), clock.today())
trip = plans.accept_plan(plan, by=None)
services.approve_trip(trip, by=None)
print(trip.pk)
"""


def _environment(data_dir: Path) -> dict[str, str]:
    environment = {**os.environ, "CORRIDOR_DATA_DIR": str(data_dir)}
    # A database of the test's own, whatever the surrounding run points at.
    environment["CORRIDOR_DATABASE_URL"] = f"sqlite:///{data_dir / 'corridor.sqlite3'}"
    environment.pop("CORRIDOR_TODAY", None)
    environment.pop("CORRIDOR_HTTPS", None)
    return environment


def _python(code: str, data_dir: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=_environment(data_dir), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the demo camp and today's proposed plan, built once per run."""
    require_chromium()
    data_dir = tmp_path_factory.mktemp("demo")
    corridor = [sys.executable, "-c", "from corridor.cli import main; main()"]
    done = subprocess.run(
        [*corridor, "demo", "--no-serve"], env=_environment(data_dir), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    _python(PROPOSE, data_dir)
    return data_dir


@dataclass
class Server:
    url: str
    logins: dict[str, str]
    data_dir: Path


def _copy(template: Path, target: Path) -> None:
    """The template's files, with the database copied through SQLite's backup (consistent under WAL)."""
    for item in template.iterdir():
        if item.is_file() and not item.name.startswith("corridor.sqlite3"):
            shutil.copy2(item, target / item.name)
    source = sqlite3.connect(template / "corridor.sqlite3")
    copy = sqlite3.connect(target / "corridor.sqlite3")
    with copy:
        source.backup(copy)
    source.close()
    copy.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def start_server(demo_data: Path, tmp_path: Path) -> Iterator[Any]:
    """Start ``corridor serve`` on a copy of the demo; ``prepare`` (Python) runs on the copy first."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(prepare: str | None = None) -> tuple[Server, str]:
        data_dir = tmp_path / f"server{len(processes)}"
        data_dir.mkdir()
        _copy(demo_data, data_dir)
        prepared = _python(prepare, data_dir) if prepare else ""
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-c", "from corridor.cli import main; main()", "serve", "--port", str(port)],
            env=_environment(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=(data_dir / "server.log").open("wb"),
        )
        processes.append(process)
        # The background worker beside the server, as `corridor demo` starts it (plan proposals are jobs).
        worker = [sys.executable, "-c", "from corridor.cli import main; main()", "worker", "--no-schedule"]
        processes.append(
            subprocess.Popen(
                worker,
                env=_environment(data_dir),
                stdout=subprocess.DEVNULL,
                stderr=(data_dir / "worker.log").open("wb"),
            )
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/accounts/login/", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start: " + (data_dir / "server.log").read_text()[-2000:])
            time.sleep(0.3)
        logins = json.loads((data_dir / "demo-logins.txt").read_text())
        return Server(url, logins, data_dir), prepared

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _sign_in(browser: Any, server: Server, role: str, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{server.url}/accounts/login/")
    page.fill("#id_username", f"demo-{role}")
    page.fill("#id_password", server.logins[f"demo-{role}"])
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url == f"{server.url}/", page.url
    return page


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _transferred(page: Any, url: str) -> tuple[int, int]:
    """Bytes transferred loading ``url``: (everything but /static/, /static/ alone), headers included."""
    responses: list[Any] = []

    def keep(response: Any) -> None:
        responses.append(response)

    page.on("response", keep)
    document = page.goto(url, wait_until="networkidle")
    page.remove_listener("response", keep)
    assert document is not None and document.status == 200 and document.url == url, document
    own, static = 0, 0
    for response in responses:
        size = len(response.body()) + response.request.sizes()["responseHeadersSize"]
        if "/static/" in response.url:
            static += size
        else:
            own += size
    return own, static


def test_a_coordinator_accepts_todays_plan_and_records_a_cancellation(browser: Any, start_server: Any) -> None:
    server, _ = start_server()
    page = _sign_in(browser, server, "coordinator", **DESKTOP)
    own, static = _transferred(page, f"{server.url}/")
    print(f"dashboard: {own} bytes, static files {static} bytes on the first visit")
    assert 0 < own < PAGE_WEIGHT_LIMIT
    assert page.locator("#today").get_by_text("Proposed: to").is_visible()
    _shot(page, "dashboard-en")

    page.locator(".nav").get_by_role("link", name="Daily plan").click()
    planned = page.locator("#plan-trip tbody tr").count()
    assert planned >= 1
    # Editing the trip asks the server (htmx, under the Content Security Policy) what the rules say.
    page.locator("#change summary").click()
    page.locator("#change input[name=referrals]").first.uncheck()
    page.locator("#plan-check").get_by_text("Say why the trip differs from the plan.").wait_for()
    assert "The rules in force allow this trip." in page.locator("#plan-check").inner_text()
    with page.expect_navigation():
        page.click("#accept-plan")
    assert re.search(r"/trips/\d+/$", page.url)
    assert page.locator("h1 .status").inner_text() == "requested"
    assert page.locator("#manifest tbody tr").count() == planned

    page.locator("#action-cancel > summary").click()
    form = page.locator("#action-cancel form")
    form.locator("input[name=time]").fill("07:30")
    form.locator("input[name=reason]").fill("closure announced at the gate")
    form.locator("select[name=cancelled_by]").select_option("authority")
    with page.expect_navigation():
        form.get_by_role("button", name="Record").click()
    assert page.locator(".messages").inner_text() == "Recorded: Cancelled."
    assert page.locator("h1 .status").inner_text() == "cancelled"
    timeline = page.locator("#trip-timeline").inner_text()
    assert "trip cancelled" in timeline and "closure announced at the gate" in timeline
    assert page.locator("#actions").count() == 0  # nothing more to record on a cancelled trip


def test_a_monitor_records_a_three_hour_gate_hold_on_a_phone(browser: Any, start_server: Any) -> None:
    server, trip = start_server(ACCEPT_AND_APPROVE)
    page = _sign_in(browser, server, "monitor", **PHONE)
    page.locator("#today").get_by_role("link", name=re.compile(rf"^T-{trip} ")).first.tap()
    page.wait_for_url(f"{server.url}/trips/{trip}/")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]  # nothing wider than the phone

    def record(action: str, time: str | None, tapped: str) -> None:
        # The phone's clock at the tap, on the scenario's day at the camp: a hold prefilled with the arrival
        # is refused when tapped before it, so the real time of day must not decide the outcome.
        page.clock.set_fixed_time(f"2014-10-14T{tapped}:00+03:00")
        button = page.locator(f"#action-{action} > summary")
        assert button.bounding_box()["height"] >= 44  # a thumb's worth
        button.tap()
        form = page.locator(f"#action-{action} form")
        if time:
            form.locator("input[name=time]").fill(time)
        with page.expect_navigation():
            form.get_by_role("button", name="Record").tap()
        assert page.locator(".messages").is_visible(), page.locator("main").inner_text()[:500]

    record("gate_arrived", "08:00", tapped="08:05")
    record("gate_held", None, tapped="08:30")  # since the arrival: prefilled
    record("gate_released", "11:00", tapped="11:02")
    assert page.locator("#hours-held").inner_text() == "3"
    timeline = page.locator("#trip-timeline").inner_text()
    assert "held at the gate" in timeline and f"T-{trip} held 3 hours" in timeline
    assert "Arrived at the hospital" in page.locator("#actions").inner_text()
    _shot(page, "trip-phone-en")


def test_the_same_pages_in_persian_read_right_to_left(browser: Any, start_server: Any) -> None:
    server, trip = start_server(ACCEPT_AND_APPROVE)
    page = _sign_in(browser, server, "coordinator", **DESKTOP)
    with page.expect_navigation():
        page.click("button[name=language][value=fa]")
    for path, name in (("/", "dashboard-fa"), ("/plan/", "plan-fa"), (f"/trips/{trip}/", "trip-fa")):
        page.goto(server.url + path)
        assert page.evaluate("document.documentElement.lang") == "fa"
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        assert page.evaluate("getComputedStyle(document.querySelector('main h1')).direction") == "rtl"
        first, last = page.locator(".nav li").first.bounding_box(), page.locator(".nav li").last.bounding_box()
        assert first["x"] > last["x"]  # the menu starts on the right
        _shot(page, name)
    page.goto(server.url + "/")
    heading = page.locator("main h1").inner_text()
    assert "۲۲ مهر ۱۳۹۳" in heading  # 14 October 2014 in the Solar Hijri calendar, Persian digits
    phone = _sign_in(browser, server, "monitor", **PHONE)
    with phone.expect_navigation():
        phone.click("button[name=language][value=fa]")
    phone.goto(f"{server.url}/trips/{trip}/")
    assert phone.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 390
    _shot(phone, "trip-phone-fa")


def _identity_values() -> list[str]:
    from corridor.scenarios.loader import BUILT_IN

    scenario = json.loads(BUILT_IN["demo-camp"].read_text())
    values = set()
    for patient in scenario["patients"]:
        identity = patient.get("identity") or {}
        values |= {v for v in (identity.get("full_name"), identity.get("contact"), identity.get("notes")) if v}
    return sorted(values, key=len, reverse=True)


def test_no_page_a_monitor_can_open_contains_an_identity(browser: Any, start_server: Any) -> None:
    server, _ = start_server()
    values = _identity_values()
    contacts = re.compile(r"\bBlock \d+\b")  # every demo contact is "Block N"
    page = _sign_in(browser, server, "monitor", **DESKTOP)
    seen: set[str] = set()
    per_kind: dict[str, int] = {}
    queue = ["/"]
    while queue and len(seen) < 60:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        page.goto(server.url + path)
        text = page.content()
        leaked = [v for v in values if v in text] + contacts.findall(text)
        assert not leaked, (path, leaked[:3])
        for href in page.eval_on_selector_all(
            "a[href^='/']:not([download])", "links => links.map(a => a.getAttribute('href'))"
        ):
            href = href.split("#")[0]
            if href.startswith(("/admin", "/accounts", "/static", "/language", "/api")) or href in seen:
                continue
            if "." in href.split("?")[0].rsplit("/", 1)[-1]:  # a file to download, not a page
                continue
            kind = re.sub(r"\d+", "N", href.split("?")[0])  # a few of each kind of page, not all 645 patients
            if per_kind.get(kind, 0) < 4:
                per_kind[kind] = per_kind.get(kind, 0) + 1
                queue.append(href)
    for kind in ("/plan/", "/trips/N/", "/patients/P-N/", "/ledger/N/"):
        assert kind in per_kind or kind in seen, kind


SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"


def _keep(page: Any, name: str) -> Path:
    """A screenshot the documentation shows (docs/screenshots/), besides the test artefacts."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


WIDTHS = (390, 1366)  # a phone and a laptop: the documentation's screenshots are taken at both


def _at_widths(page: Any, name: str, save: Callable[[Any, str], Path], viewport_after: Any) -> None:
    """``save`` the page as ``name``-390 and ``name``-1366, each checked for content wider than the window; the
    window is ``viewport_after`` again afterwards."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{name} at {width} px is {scroll} px wide"
        save(page, f"{name}-{width}")
    page.set_viewport_size(viewport_after)


def _keep_at_widths(page: Any, name: str) -> None:
    """``name``-390.png and ``name``-1366.png for the documentation, each checked for content wider than the window."""
    _at_widths(page, name, _keep, DESKTOP["viewport"])


def test_a_coordinator_plans_two_days_requests_both_and_sees_a_denial_and_a_rejected_interpreter_on_the_day_strip(
    browser: Any, start_server: Any
) -> None:
    server, _ = start_server()
    page = _sign_in(browser, server, "coordinator", **DESKTOP)
    trips = []
    for offset in (1, 2):  # tomorrow and the day after, on the scenario's clock (14 October 2014)
        day = f"2014-10-{14 + offset}"
        page.goto(f"{server.url}/plan/?date={day}")
        assert page.locator("main h1 time").get_attribute("datetime") == day
        with page.expect_navigation():
            page.click("#propose-plan")
        # The planner runs as a job beside the server; its progress card links to the plan when done.
        # A plan of the demo camp takes about two minutes of one core on a slow machine, with the server,
        # the worker and the browser sharing two: the wait is for the job to end, not a speed target.
        page.locator(".job-succeeded").wait_for(timeout=600_000)
        with page.expect_navigation():
            page.locator(".job-succeeded a.go").click()
        assert page.locator("main h1 time").get_attribute("datetime") == day
        assert page.locator("#plan-trip tbody tr").count() >= 1
        with page.expect_navigation():
            page.click("#accept-plan")
        assert re.search(r"/trips/\d+/$", page.url)
        assert page.locator("h1 .status").inner_text() == "requested"
        trips.append(page.url)

    # The authority denies tomorrow's; nobody wrote down the hour of its answer.
    page.goto(trips[0])
    page.locator("#action-deny > summary").click()
    form = page.locator("#action-deny form")
    assert form.locator("input[name=time]").input_value() == ""  # no hour made up for the answer
    form.locator("input[name=reason]").fill("no reason given at the office")
    with page.expect_navigation():
        form.get_by_role("button", name="Record").click()
    assert page.locator("h1 .status").inner_text() == "denied"
    timeline = page.locator("#trip-timeline").inner_text()
    assert "14 Oct 2014, time not recorded" in timeline and "no reason given at the office" in timeline

    # On the day after's trip, the coordinator asks for an interpreter and the authority rejects them.
    page.goto(trips[1])
    assert "No companion asked for on this trip." in page.locator("#companions").inner_text()

    def record(action: str, **choices: str) -> None:
        page.locator(f"#action-companion-{action} > summary").click()
        form = page.locator(f"#action-companion-{action} form")
        for name, value in choices.items():
            field = form.locator(f"[name={name}]")
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
        with page.expect_navigation():
            form.get_by_role("button", name="Record").click()
        assert page.locator(".messages").inner_text() == "Recorded.", page.locator("main").inner_text()[:500]

    record("ask", companion="C-0001")  # asked now: the time is prefilled
    record("answer", companion="C-0001", answer="rejected", note="no reason given")
    row = page.locator("#companion-C-0001").inner_text()
    assert "interpreter" in row and "rejected" in row and "no reason given" in row
    timeline = page.locator("#trip-timeline").inner_text()
    assert "answer about a companion" in timeline and "C-0001, interpreter for" in timeline
    assert page.locator("h1 .status").inner_text() == "requested"  # a rejected companion does not deny the trip
    _keep(page, "companions-trip-en")

    # Both on the day strip: tomorrow denied, the day after requested.
    page.goto(f"{server.url}/plan/?date=2014-10-14")
    strip = page.locator("#day-strip")
    denied, requested = strip.locator("li.denied"), strip.locator("li.requested")
    assert denied.count() == 1 and requested.count() == 1
    assert denied.locator("time").get_attribute("datetime") == "2014-10-15"
    assert requested.locator("time").get_attribute("datetime") == "2014-10-16"
    tomorrow, after = (re.search(r"/trips/(\d+)/$", url).group(1) for url in trips)  # type: ignore[union-attr]
    assert f"T-{tomorrow}" in denied.inner_text() and f"T-{after}" in requested.inner_text()
    _keep_at_widths(page, "day-strip-en")
    page.goto(trips[0])
    _keep_at_widths(page, "timeline-unknown-time-en")

    with page.expect_navigation():
        page.click("button[name=language][value=fa]")
    page.goto(f"{server.url}/plan/?date=2014-10-14")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.locator("#day-strip li.denied").count() == 1 and page.locator("#day-strip li.requested").count() == 1
    _keep_at_widths(page, "day-strip-fa")
    page.goto(trips[0])
    assert "ساعت ثبت نشده" in page.locator("#trip-timeline").inner_text()  # time not recorded
    _keep_at_widths(page, "timeline-unknown-time-fa")
    page.goto(trips[1])
    assert "مترجم" in page.locator("#companion-C-0001").inner_text()  # interpreter
    assert "ردشده" in page.locator("#companion-C-0001").inner_text()  # rejected
    _keep(page, "companions-trip-fa")


ATTACHMENT_SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"

ATTACHMENT_STORED = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from corridor.ledger import attachments
from corridor.ledger.models import Entry
added = Entry.objects.filter(type="attachment.added").order_by("-seq").first()
p = added.payload
documented = Entry.objects.get(seq=p["entry"])
original, derivative = attachments.read(p["sha256"]), attachments.read(p["derivative"])
print(json.dumps({"payload": p, "documents": documented.type, "by": added.recorded_by,
                  "original": original.hex(), "derivative": derivative.hex()}))
"""


def test_a_monitor_attaches_a_photo_to_a_gate_hold_and_sees_a_metadata_free_thumbnail(
    browser: Any, start_server: Any
) -> None:
    server, trip = start_server(ACCEPT_AND_APPROVE)
    page = _sign_in(browser, server, "monitor", **PHONE)
    page.goto(f"{server.url}/trips/{trip}/")
    for action, moment, tapped in (("gate_arrived", "08:00", "08:05"), ("gate_held", None, "08:30")):
        page.clock.set_fixed_time(f"2014-10-14T{tapped}:00+03:00")  # not the real time of day: see above
        page.locator(f"#action-{action} > summary").tap()
        form = page.locator(f"#action-{action} form")
        if moment:
            form.locator("input[name=time]").fill(moment)
        with page.expect_navigation():
            form.get_by_role("button", name="Record").tap()

    hold = page.locator("#trip-timeline li").filter(has_text="held at the gate").first
    attach = hold.locator("details.attach")
    summary = attach.locator("summary")
    assert summary.bounding_box()["height"] >= 24
    summary.tap()
    chooser = attach.locator("input[type=file]")
    assert chooser.get_attribute("accept") == "image/*,video/*,audio/*,application/pdf,application/zip,.zip"
    assert chooser.get_attribute("capture") is not None
    photo = samples.photo_with_metadata(size=(1200, 900))
    chooser.set_input_files(files=[{"name": "IMG_20141013_0801.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    with page.expect_navigation():
        attach.get_by_role("button", name="Attach").tap()
    assert re.match(r"Attached as entry \d+\.", page.locator(".messages").inner_text())
    assert page.url == f"{server.url}/trips/{trip}/"

    thumbnail = page.locator("#trip-timeline img.thumbnail").first
    thumbnail.scroll_into_view_if_needed()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", thumbnail.element_handle()) == 320
    fetched = page.request.get(server.url + thumbnail.get_attribute("src"))
    assert fetched.ok and fetched.headers["content-type"] == "image/jpeg"
    shown = Image.open(io.BytesIO(fetched.body()))
    assert not shown.getexif() and b"SyntheticPhone" not in fetched.body() and b"Exif" not in fetched.body()
    assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 390
    assert "Download the original" not in page.locator("#trip-timeline").inner_text()  # monitors: derivatives only
    ATTACHMENT_SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ATTACHMENT_SCREENSHOTS / "attachments-trip-phone-en.png"), full_page=True)
    with page.expect_navigation():
        page.click("button[name=language][value=fa]")
    page.goto(f"{server.url}/trips/{trip}/")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert "پیوست کردن" in page.locator("#trip-timeline details.attach summary").first.inner_text()
    assert page.locator("#trip-timeline img.thumbnail").count() == 1
    assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 390
    page.screenshot(path=str(ATTACHMENT_SCREENSHOTS / "attachments-trip-phone-fa.png"), full_page=True)

    stored = json.loads(_python(ATTACHMENT_STORED, server.data_dir))
    assert stored["documents"] == "gate.held" and stored["by"] == "demo-monitor"
    assert stored["payload"]["sha256"] == hashlib.sha256(photo).hexdigest()
    assert bytes.fromhex(stored["original"]) == photo
    assert "IMG_20141013" not in json.dumps(stored["payload"])
    derivative = bytes.fromhex(stored["derivative"])
    picture = Image.open(io.BytesIO(derivative))
    assert not picture.getexif() and samples.GPS_IFD not in picture.getexif().get_ifd(samples.GPS_IFD)
    assert b"Exif" not in derivative and b"SyntheticPhone" not in derivative


OUTBOX_ENTRIES = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from corridor.ledger.models import Entry
entries = Entry.objects.filter(subject_rows__key=f"trip:{sys.argv[1]}").order_by("seq")
print(json.dumps([{"seq": e.seq, "type": e.type, "occurred_at": e.occurred_at, "recorded_at": e.recorded_at,
                   "tap": e.payload.get("tap")} for e in entries]))
"""

RECORDED_ELSEWHERE = """
import datetime as dt, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from corridor.transfers import services
from corridor.transfers.models import Trip
trip = Trip.objects.get(pk=int(sys.argv[1]))
at = dt.datetime.combine(trip.date, dt.time.fromisoformat(sys.argv[3]), tzinfo=dt.timezone(dt.timedelta(hours=3)))
getattr(services, sys.argv[2])(trip, at=at, by="demo-coordinator")
"""

# The phone's clock at each tap: the scenario's day (14 October 2014) at the camp (UTC+3).
FIVE_TAPS = (
    ("gate_arrived", "08:00"),
    ("gate_held", "08:20"),
    ("gate_released", "10:05"),
    ("hospital_arrived", "11:10"),
    ("returned", "15:30"),
)

SEND_AGAIN = """async (taps) => {
  const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const answer = await fetch("/trips/outbox/", {method: "POST", headers: {"Content-Type": "application/json",
    "X-CSRFToken": token}, body: JSON.stringify({taps})});
  return (await answer.json()).results;
}"""

WAITING = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open("corridor-outbox", 1);
  request.onsuccess = () => {
    const all = request.result.transaction("taps").objectStore("taps").getAll();
    all.onsuccess = () => resolve(all.result);
    all.onerror = () => reject(all.error);
  };
})"""


def _python_args(code: str, data_dir: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=_environment(data_dir), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _kept_for_the_day(page: Any, trip: str) -> None:
    """Wait until the service worker controls the page and has kept the trip's page."""
    # Functions, not expressions: Playwright evaluates an expression with eval, which the CSP refuses.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
    kept = f"(await caches.open('corridor-pages-v1')).match('/trips/{trip}/', {{ignoreVary: true}})"
    # Polled from here: evaluate awaits the check's promise, where a promise returned to wait_for_function
    # would count as true at once and let the test go offline before the page was kept.
    deadline = time.monotonic() + 30
    while not page.evaluate(f"async () => Boolean(await {kept})"):
        assert time.monotonic() < deadline, f"the service worker did not keep /trips/{trip}/ within 30 s"
        page.wait_for_timeout(250)


def _tap_offline(page: Any, step: str, hhmm: str, prefilled: str = "") -> None:
    page.clock.set_fixed_time(f"2014-10-14T{hhmm}:00+03:00")
    page.locator(f"#action-{step} > summary").tap()
    form = page.locator(f"#action-{step} form")
    assert form.locator(".tap-time").is_visible()
    assert form.locator("input[name=time]").input_value() == prefilled  # empty: the moment of the tap
    form.locator("button[type=submit]").tap()


def test_a_monitor_taps_five_gate_steps_offline_and_they_are_recorded_once_when_the_connection_returns(
    browser: Any, start_server: Any
) -> None:
    server, trip = start_server(ACCEPT_AND_APPROVE)
    page = _sign_in(browser, server, "monitor", **PHONE)
    page.goto(f"{server.url}/trips/{trip}/")
    _kept_for_the_day(page, trip)
    assert page.locator("#outbox h2").inner_text() == "Nothing waiting to be sent."

    page.context.set_offline(True)
    _kept_for_the_day(page, trip)  # the worker may still be keeping the day's pages it was asked for
    page.reload()  # without a connection: the service worker's copy of the page
    assert page.locator("h1").inner_text().startswith(f"T-{trip} ")
    for number, (step, hhmm) in enumerate(FIVE_TAPS, start=1):
        _tap_offline(page, step, hhmm)
        page.locator("#outbox .outbox-waiting li").nth(number - 1).wait_for()
        if number == 2:
            assert page.locator("#outbox h2").inner_text() == "Waiting to be sent: 2"
            assert page.locator("#outbox .outbox-state").inner_text().startswith("No connection: the taps are kept")
            assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 390
            _keep(page, "outbox-trip-phone-en")
    waiting = page.locator("#outbox .outbox-waiting").inner_text()
    assert "At the gate · " in waiting and "tapped at 08:00" in waiting and "tapped at 15:30" in waiting
    # The buttons follow the taps waiting: after "back in the camp" there is nothing left to tap.
    assert page.locator("#actions details.action:not([hidden])").count() == 0
    taps = page.evaluate(WAITING)
    assert [t["step"] for t in taps] == [step for step, _ in FIVE_TAPS]
    before = json.loads(_python_args(OUTBOX_ENTRIES, server.data_dir, trip))

    with page.expect_navigation(timeout=30_000):  # once sent, the page shows the trip as the server has it
        page.context.set_offline(False)
    page.locator("#outbox h2").get_by_text("Nothing waiting to be sent.").wait_for()
    assert page.locator(".messages").inner_text().count("Recorded:") == 5
    assert page.locator("h1 .status").inner_text() == "returned"
    assert page.locator("#hours-held").inner_text() == "1.8"  # 1.75 hours: from the hold tapped at 08:20 to 10:05
    assert page.locator("#trip-timeline").inner_text().count("Tapped on a phone without a connection; received") == 5

    after = json.loads(_python_args(OUTBOX_ENTRIES, server.data_dir, trip))
    added = after[len(before) :]
    assert [e["type"] for e in added] == [
        "trip.departed",  # reaching the gate of an approved trip records its departure first
        "gate.arrived",
        "gate.held",
        "gate.released",
        "trip.arrived",
        "trip.returned",
    ]
    for entry, tap, (_, hhmm) in zip(added[1:], taps, FIVE_TAPS, strict=True):
        hour, minute = hhmm.split(":")
        assert entry["occurred_at"] == f"2014-10-14T{int(hour) - 3:02d}:{minute}:00.000000Z"  # the tap, in UTC
        assert entry["tap"]["key"] == tap["key"]
        assert entry["recorded_at"] > "2015"  # received now, on the real clock: recorded late, and visibly so

    answers = page.evaluate(SEND_AGAIN, [{k: v for k, v in t.items() if k not in ("order", "user")} for t in taps])
    assert [(a["status"], a["replayed"]) for a in answers] == [("recorded", True)] * 5
    assert json.loads(_python_args(OUTBOX_ENTRIES, server.data_dir, trip)) == after  # the same outbox adds nothing


def test_a_tap_the_trip_changed_under_is_shown_on_the_phone_in_its_language(browser: Any, start_server: Any) -> None:
    server, trip = start_server(ACCEPT_AND_APPROVE)
    page = _sign_in(browser, server, "monitor", **PHONE)
    page.goto(f"{server.url}/trips/{trip}/")
    _kept_for_the_day(page, trip)
    page.context.set_offline(True)
    _tap_offline(page, "gate_arrived", "08:00")
    page.locator("#outbox .outbox-waiting li").first.wait_for()
    # Another monitor, online, was quicker.
    _python_args(RECORDED_ELSEWHERE, server.data_dir, trip, "record_gate_arrival", "07:50")
    with page.expect_navigation(timeout=30_000):
        page.context.set_offline(False)
    conflict = page.locator("#outbox .outbox-conflicts li")
    conflict.wait_for()
    assert conflict.locator("p").inner_text() == (
        "At the gate, tapped at 08:00, was not recorded: the trip changed meanwhile. "
        "Its arrival at the gate was recorded at 07:50."
    )
    assert page.locator("#outbox h2").inner_text() == "Nothing waiting to be sent."
    _keep(page, "outbox-conflict-phone-en")
    page.reload()
    conflict.wait_for()  # kept until the monitor has seen it
    conflict.get_by_role("button", name="Seen").tap()
    page.wait_for_function("() => document.querySelectorAll('#outbox .outbox-conflicts li').length === 0")

    with page.expect_navigation():
        page.click("button[name=language][value=fa]")
    page.goto(f"{server.url}/trips/{trip}/")
    page.context.set_offline(True)
    _tap_offline(page, "gate_held", "08:05", prefilled="07:50")  # the hold's beginning: the arrival
    page.locator("#outbox .outbox-waiting li").first.wait_for()
    assert "در انتظار ارسال" in page.locator("#outbox h2").inner_text()
    _python_args(RECORDED_ELSEWHERE, server.data_dir, trip, "record_gate_release", "08:00")
    page.context.set_offline(False)
    conflict.wait_for()
    text = conflict.locator("p").inner_text()
    assert "ثبت نشد" in text and "۰۸:۰۵" in text and "۰۸:۰۰" in text  # not recorded; Persian digits
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    _keep(page, "outbox-conflict-phone-fa")


def test_an_admin_of_the_camp_and_the_crossing_makes_the_crossings_report_alone_in_three_languages(
    browser: Any, start_server: Any
) -> None:
    server, _ = start_server()
    page = _sign_in(browser, server, "admin", **DESKTOP)
    for language in ("en", "fa", "ar"):
        if language != "en":
            with page.expect_navigation():
                page.click(f"button[name=language][value={language}]")
        page.goto(f"{server.url}/reports/")
        codes = page.locator("#id_site option").evaluate_all("options => options.map(o => o.value)")
        assert codes == ["", "CAMP-1", "XING-1"]
        _keep_at_widths(page, f"reports-site-choice-{language}")
    page.fill("#id_month", "2014-10")
    page.select_option("#id_format", "html")
    page.select_option("#id_site", "XING-1")
    with page.expect_navigation():
        page.click("#id_site >> xpath=ancestor::form//button[@type='submit']")
    text = page.locator("body").inner_text()
    crossing, camp = (NAMES[name]["ar"] for name in ("Demo Crossing", "Demo Camp"))  # the page is in Arabic now
    assert crossing in text and camp not in text


def _fits(page: Any, name: str) -> None:
    """Screenshots of the page at a phone's and a laptop's width (test-artifacts/), none wider than its window."""
    _at_widths(page, name, _shot, PHONE["viewport"])


def test_a_monitor_on_a_phone_records_an_incident_and_attaches_a_photo_whose_thumbnail_shows(
    browser: Any, start_server: Any
) -> None:
    server, _ = start_server()
    page = _sign_in(browser, server, "monitor", **PHONE)
    page.goto(f"{server.url}/supplies/")
    # Each patient at risk is a block of named facts on a phone, not a table a word wide scrolling sideways.
    at_risk = page.locator("#at-risk table")
    assert at_risk.locator("tbody tr").count() > 1
    assert at_risk.evaluate("t => getComputedStyle(t.querySelector('tbody tr')).display") == "block"
    assert at_risk.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    with page.expect_navigation():
        page.get_by_role("link", name="Record an incident").tap()
    form = page.locator("main form")
    assert form.locator("input[name=on]").input_value()  # the day is prefilled; there is no time to invent
    assert form.locator("input[type=time]").count() == 0
    _fits(page, "incident-form-en")
    form.locator("select[name=kind]").select_option("obstruction")
    form.locator("select[name=resource]").select_option("transport")
    form.locator("textarea[name=description]").fill("The ambulance was stopped at the second checkpoint.")
    with page.expect_navigation():
        form.get_by_role("button", name="Record the incident").tap()
    assert "The incident is recorded." in page.locator(".messages").inner_text()
    assert re.search(r"/ledger/\d+/#attach-\d+$", page.url), page.url
    attach = page.locator("details.attach")
    attach.locator("summary").tap()
    chooser = attach.locator("input[type=file]")
    assert chooser.get_attribute("capture") is not None and "image/*" in (chooser.get_attribute("accept") or "")
    photo = samples.photo_with_metadata(size=(1200, 900))
    chooser.set_input_files(files=[{"name": "IMG_20141013_0930.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    with page.expect_navigation():
        attach.get_by_role("button", name="Attach").tap()
    assert re.match(r"Attached as entry \d+\.", page.locator(".messages").inner_text())
    thumbnail = page.locator("main img.thumbnail").first
    thumbnail.scroll_into_view_if_needed()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", thumbnail.element_handle()) == 320
    assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 390
    _shot(page, "incident-attached-phone-en")
    stored = json.loads(_python(ATTACHMENT_STORED, server.data_dir))
    assert stored["documents"] == "incident.recorded" and stored["by"] == "demo-monitor"
    assert stored["payload"]["sha256"] == hashlib.sha256(photo).hexdigest()

    page.goto(f"{server.url}/incidents/")
    assert "The ambulance was stopped at the second checkpoint." in page.locator("main table").inner_text()
    with page.expect_navigation():
        page.click("button[name=language][value=fa]")
    page.goto(f"{server.url}/incidents/new/")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert "ممانعت از ارائهٔ مراقبت" in page.locator("select[name=kind]").inner_text()  # the SSA's words in Persian
    _fits(page, "incident-form-fa")
    page.goto(f"{server.url}/incidents/")
    _fits(page, "incident-list-fa")


REFUSED_PUSH = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from corridor.intake import servers
from corridor.intake.sources import Source
from corridor.intake.tests.recorded import RECORDED
body = json.loads((RECORDED / "kobo/push-death.json").read_bytes())
del body["certainty"], body["date_of_death"]  # and P-305 is not in the demo's register
pushing = Source("deaths-push", "kobo", "https://kobo.example.org", "aSynthDeath01", push_secret="synthetic")
print(servers.receive_push(pushing, json.dumps(body).encode()).status)
"""


def test_a_coordinator_reads_a_refused_field_submission_in_persian_on_a_phone(browser: Any, start_server: Any) -> None:
    server, status = start_server(REFUSED_PUSH)
    assert status == "refused"
    page = _sign_in(browser, server, "coordinator", **PHONE)
    with page.expect_navigation():
        page.click("button[name=language][value=fa]")
    page.goto(f"{server.url}/intake/")
    refused = page.locator("table.table").last.inner_text()
    assert "بیماری با کد «P-305» در ثبت نیست" in refused and "فرم ارسالی ۱" in refused
    assert "no patient" not in refused and "is required" not in refused
    assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 390
    _keep(page, "intake-refusal-fa-390")


def test_a_coordinator_reads_what_a_refused_submission_said_after_saying_why_in_arabic_and_persian(
    browser: Any, start_server: Any
) -> None:
    server, status = start_server(REFUSED_PUSH)
    assert status == "refused"
    page = _sign_in(browser, server, "coordinator", **DESKTOP)
    for language, read in (("ar", "قراءة النص المحجوب"), ("fa", "خواندن متن پنهان")):
        with page.expect_navigation():
            page.click(f"button[name=language][value={language}]")
        page.goto(f"{server.url}/intake/")
        with page.expect_navigation():
            page.click("a[href*='/intake/refused/']")
        assert "P-305" not in page.inner_text("main")  # nothing shown before a purpose is given
        page.fill("[name=purpose]", "تحقق من الحقول المرفوضة")
        with page.expect_navigation():
            page.click(f"button:has-text('{read}')")
        shown = page.inner_text("#received")
        assert "P-305" in shown and "Read the withheld text" not in page.inner_text("body")
        _keep_at_widths(page, f"intake-received-{language}")


# A scheduled pull of a KoBoToolbox server whose deaths are of patients not in the demo's register: the
# job fails, keeping each refusal coded. The server is the recorded one, for this script's run only; the
# served workspace knows the source by the same name from its environment.
REFUSED_PULL = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
import django
django.setup()
from django.conf import settings
from corridor.intake.sources import Source
from corridor.intake.tests.recorded import RecordedServer, serve_kobo
from corridor.jobs import services as jobs
server = RecordedServer().start()
serve_kobo(server)
settings.INTAKE_SOURCES = [Source("gate-kobo", "kobo", server.url, "aSynthDeath01", token="synthetic")]
job = jobs.submit("intake-pull", {"source": "gate-kobo"}, by=None, schedule="intake-pull-gate-kobo")
print(jobs.run(job.pk))
server.stop()
"""


@pytest.mark.parametrize(("language", "said"), [("fa", "فرم ارسالی رد شد"), ("ar", "استمارات مرفوضة")])
def test_a_coordinator_reads_a_failed_pull_and_its_refusals_in_persian_and_arabic_at_both_widths(
    browser: Any, start_server: Any, monkeypatch: pytest.MonkeyPatch, language: str, said: str
) -> None:
    monkeypatch.setenv("CORRIDOR_INTAKE_SOURCES", "gate-kobo kobo https://kobo.example.org aSynthDeath01")
    from corridor.intake.sources import TOKEN_PREFIX

    monkeypatch.setenv(f"{TOKEN_PREFIX}GATE_KOBO", "synthetic")
    server, state = start_server(REFUSED_PULL)
    assert state == "failed"
    page = _sign_in(browser, server, "coordinator", **DESKTOP)
    with page.expect_navigation():
        page.click(f"button[name=language][value={language}]")
    page.goto(f"{server.url}/intake/")
    servers = page.locator("main ul").filter(has=page.locator("code", has_text="gate-kobo")).first.inner_text()
    assert said in servers and "P-301" in servers and "nothing was written" not in servers
    refused = page.locator("table.table").last
    assert "P-303" in refused.inner_text() and "no patient" not in refused.inner_text()
    # A date never breaks across lines, nor a source's name after its hyphen: each is one line high at a
    # phone's width too (its text's height under one and a half of its lines).
    page.set_viewport_size(PHONE["viewport"])
    lines = """nodes => nodes.map(n => {
        const range = document.createRange(); range.selectNodeContents(n);
        const style = getComputedStyle(n);
        const line = parseFloat(style.lineHeight) || 1.3 * parseFloat(style.fontSize);
        return range.getBoundingClientRect().height / line; })"""
    dates = refused.locator("td.date").evaluate_all(lines)
    names = page.locator("main bdi.code").evaluate_all(lines)
    assert dates and names and max(dates + names) < 1.5, (dates, names)
    _keep_at_widths(page, f"intake-failed-pull-{language}")
