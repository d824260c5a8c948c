"""A monitor on a phone records a gate hold and attaches a photo to it from the file input (real browser).

Uses the browser fixtures of test_browser.py: ``corridor serve`` on a copy of the demo camp, Debian's
chromium through Playwright, a 390-px phone screen.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from corridor.ledger.tests import samples
from corridor.web.tests.test_browser import (  # noqa: F401 - fixtures used by name
    ACCEPT_AND_APPROVE,
    PHONE,
    _python,
    _sign_in,
    browser,
    demo_data,
    start_server,
)

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"

STORED = """
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
    browser: Any,  # noqa: F811
    start_server: Any,  # noqa: F811
) -> None:
    server, trip = start_server(ACCEPT_AND_APPROVE)
    page = _sign_in(browser, server, "monitor", **PHONE)
    page.goto(f"{server.url}/trips/{trip}/")
    for action, time in (("gate_arrived", "08:00"), ("gate_held", None)):
        page.locator(f"#action-{action} > summary").tap()
        form = page.locator(f"#action-{action} form")
        if time:
            form.locator("input[name=time]").fill(time)
        with page.expect_navigation():
            form.get_by_role("button", name="Record").tap()

    hold = page.locator("#trip-timeline li").filter(has_text="held at the gate").first
    attach = hold.locator("details.attach")
    summary = attach.locator("summary")
    assert summary.bounding_box()["height"] >= 24
    summary.tap()
    chooser = attach.locator("input[type=file]")
    assert chooser.get_attribute("accept") == "image/*,video/*,audio/*,application/pdf"
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
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "attachments-trip-phone-en.png"), full_page=True)
    with page.expect_navigation():
        page.click("button[name=language][value=fa]")
    page.goto(f"{server.url}/trips/{trip}/")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert "پیوست کردن" in page.locator("#trip-timeline details.attach summary").first.inner_text()
    assert page.locator("#trip-timeline img.thumbnail").count() == 1
    assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= 390
    page.screenshot(path=str(SCREENSHOTS / "attachments-trip-phone-fa.png"), full_page=True)

    stored = json.loads(_python(STORED, server.data_dir))
    assert stored["documents"] == "gate.held" and stored["by"] == "demo-monitor"
    assert stored["payload"]["sha256"] == hashlib.sha256(photo).hexdigest()
    assert bytes.fromhex(stored["original"]) == photo
    assert "IMG_20141013" not in json.dumps(stored["payload"])
    derivative = bytes.fromhex(stored["derivative"])
    picture = Image.open(io.BytesIO(derivative))
    assert not picture.getexif() and samples.GPS_IFD not in picture.getexif().get_ifd(samples.GPS_IFD)
    assert b"Exif" not in derivative and b"SyntheticPhone" not in derivative
