"""The API docs page in a real browser: Swagger UI renders under the CSP and nothing is fetched from outside."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from corridor.ops.testing import CORRIDOR, corridor, environment

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_the_docs_page_renders_from_local_files_without_breaking_the_csp(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must have /usr/bin/chromium for the browser tests")
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    data = tmp_path / "data"
    data.mkdir()
    variables = environment(f"sqlite:///{tmp_path / 'docs.sqlite3'}", data)
    corridor(["migrate"], variables)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*CORRIDOR, "serve", "--production", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=variables,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/openapi.json", timeout=5).read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            problems: list[str] = []
            outside: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: None if r.url.startswith((base, "data:")) else outside.append(r.url))
            page.goto(f"{base}/api/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
            assert "Corridor API" in page.inner_text(".swagger-ui .info .title")
            page.wait_for_selector(".opblock-tag", timeout=30_000)
            assert page.locator(".opblock").count() > 40  # every operation is listed
            browser.close()
        assert outside == [], outside
        assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == [], problems
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
