"""The API docs page in a real browser: Swagger UI renders under the CSP and nothing is fetched from outside."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from corridor.ops.testing import CORRIDOR, chromium, corridor, environment, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_docs_page_renders_from_local_files_without_breaking_the_csp(tmp_path: Path) -> None:
    require_chromium()
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
        with chromium() as browser:
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
        assert outside == [], outside
        assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == [], problems
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
