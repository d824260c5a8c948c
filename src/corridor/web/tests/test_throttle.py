"""Sign-in throttling is per address: someone guessing a user's password locks their own address out,
not the user, who still signs in from anywhere else."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.test import Client


def _sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_five_wrong_passwords_from_someone_else_do_not_lock_the_real_user_out(
    users: dict[str, Any], settings: Any
) -> None:
    cache.clear()
    attacker = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(settings.LOGIN_FAILURES_ALLOWED + 2):
        _sign_in(attacker, "clinician", "guess")
    real = Client(REMOTE_ADDR="10.0.0.5")
    assert _sign_in(real, "clinician", "x").status_code == 302
    assert "_auth_user_id" in real.session


def test_the_guessing_address_is_refused_even_with_the_right_password(users: dict[str, Any], settings: Any) -> None:
    cache.clear()
    attacker = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(settings.LOGIN_FAILURES_ALLOWED):
        _sign_in(attacker, "clinician", "guess")
    refused = _sign_in(attacker, "clinician", "x")
    assert refused.status_code == 200 and "Too many failed sign-ins" in refused.content.decode()


def test_an_address_that_sprays_many_names_is_locked_for_every_name(users: dict[str, Any], settings: Any) -> None:
    cache.clear()
    sprayer = Client(REMOTE_ADDR="10.9.9.8")
    for i in range(settings.LOGIN_FAILURES_ALLOWED * 4):
        _sign_in(sprayer, f"name-{i}", "guess")
    assert _sign_in(sprayer, "auditor", "x").status_code == 200
    assert _sign_in(Client(REMOTE_ADDR="10.0.0.6"), "auditor", "x").status_code == 302
