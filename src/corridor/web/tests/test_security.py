"""Sign-in everywhere, throttled; a Content Security Policy that needs no inline code; careful cookies."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from corridor.web.tests.conftest import Scene

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_the_policy_allows_only_our_own_scripts_and_styles(scene: Scene, client_for: Callable[[str], Client]) -> None:
    policy = client_for("coordinator").get("/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in policy and "http" not in policy


def test_no_template_needs_inline_script_style_or_event_handlers() -> None:
    # The policy above would block them: they would silently not work.
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"<style\b", text), path
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path
        assert not re.search(r"\shx-on", text), path  # htmx's inline handlers need eval


def test_htmx_is_served_from_here_and_told_not_to_inject_styles_or_eval(
    scene: Scene, client_for: Callable[[str], Client]
) -> None:
    html = client_for("coordinator").get("/plan/").content.decode()
    assert '<script src="/static/corridor/htmx.min.js" defer></script>' in html
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', html)
    assert config is not None
    assert '"includeIndicatorStyles":false' in config.group(1) and '"allowEval":false' in config.group(1)
    assert re.search(r'hx-headers=\'\{"X-CSRFToken": "[A-Za-z0-9]{64}"\}\'', html)


def test_every_page_needs_a_signed_in_user(db: Any) -> None:
    for url in ("/", "/patients/", "/plan/", "/trips/", "/ledger/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_forms_are_refused_without_the_csrf_token(scene: Scene, users: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["coordinator"])
    assert client.post("/plan/propose/").status_code == 403


def _sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_sign_in_from_an_address_is_refused_for_a_while_after_five_wrong_passwords(
    users: dict[str, Any], settings: Any
) -> None:
    client = Client()
    for _ in range(settings.LOGIN_FAILURES_ALLOWED):
        assert _sign_in(client, "monitor", "wrong").status_code == 200
    refused = _sign_in(client, "monitor", "x")  # the right password, too late
    assert refused.status_code == 200 and "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert _sign_in(other, "monitor", "x").status_code == 302  # the address is locked, not the user
    assert _sign_in(Client(), "auditor", "x").status_code == 302  # nor, below its own limit, other names


def test_the_admins_sign_in_form_is_throttled_too(users: dict[str, Any], settings: Any) -> None:
    control = Client()
    control.post("/admin/login/", {"username": "admin", "password": "x"})
    assert "_auth_user_id" in control.session  # the form works when nobody is guessing
    client = Client()
    for _ in range(settings.LOGIN_FAILURES_ALLOWED):
        client.post("/admin/login/", {"username": "admin", "password": "wrong"})
    client.post("/admin/login/", {"username": "admin", "password": "x"})
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_clears_the_count(users: dict[str, Any], settings: Any) -> None:
    client = Client()
    for _ in range(settings.LOGIN_FAILURES_ALLOWED - 1):
        _sign_in(client, "clinician", "wrong")
    assert _sign_in(client, "clinician", "x").status_code == 302
    for _ in range(settings.LOGIN_FAILURES_ALLOWED - 1):
        _sign_in(Client(), "clinician", "wrong")
    assert _sign_in(Client(), "clinician", "x").status_code == 302


@pytest.mark.parametrize("https", [False, True])
def test_cookies_are_http_only_same_site_and_secure_over_https(
    https: bool, users: dict[str, Any], settings: Any
) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = https
    client = Client()
    client.get("/accounts/login/")
    response = _sign_in(client, "auditor", "x")
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax" and bool(session["secure"]) == https
    csrf = response.cookies.get(settings.CSRF_COOKIE_NAME) or client.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


def test_signing_out_takes_a_post(users: dict[str, Any], client_for: Callable[[str], Client]) -> None:
    client = client_for("auditor")
    assert client.get("/accounts/logout/").status_code == 405
    signed_out = client.post("/accounts/logout/")
    assert signed_out.status_code == 302 and signed_out["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302
