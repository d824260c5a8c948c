"""The configured sources: read from the environment at start-up, refused with the variable's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor.env import ConfigError
from corridor.intake.sources import PUSH_SECRET_PREFIX, TOKEN_PREFIX, from_environment, parse_sources

SECRET = "synthetic-push-secret-0123456789"


def test_sources_are_read_with_their_tokens_and_push_secrets_from_their_own_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("synthetic-token\n")
    monkeypatch.setenv(
        "CORRIDOR_INTAKE_SOURCES",
        "gate-kobo kobo https://kobo.example.org/ aSynth01  # the gate form\n"
        "hospital odk https://central.example.org 7/corridor_trip_outcome",
    )
    monkeypatch.setenv(f"{TOKEN_PREFIX}GATE_KOBO_FILE", str(token_file))
    monkeypatch.setenv(f"{PUSH_SECRET_PREFIX}GATE_KOBO", SECRET)
    monkeypatch.setenv(f"{TOKEN_PREFIX}HOSPITAL", "monitor@example.org:pw")

    kobo, odk = from_environment()

    assert (kobo.name, kobo.kind, kobo.url, kobo.form) == ("gate-kobo", "kobo", "https://kobo.example.org", "aSynth01")
    assert kobo.token == "synthetic-token" and kobo.push_secret == SECRET
    assert kobo.pulled and kobo.pushed and odk.pulled and not odk.pushed
    # Secrets never show in a repr or a description (logs, tracebacks, the intake page).
    for text in (repr(kobo), kobo.describe(), repr(odk), odk.describe()):
        assert "synthetic-token" not in text and SECRET not in text and "pw" not in text.split()


def test_no_sources_configured_is_none() -> None:
    assert parse_sources("") == []


@pytest.mark.parametrize(
    ("text", "secrets", "message"),
    [
        ("a kobo https://k.example.org", {}, "each source is 'NAME KIND URL FORM'"),
        ("A kobo https://k.example.org uid1", {"A": ("t", None)}, "is not a source name"),
        ("a kobo https://k.example.org uid1;a kobo https://k.example.org uid2", {"a": ("t", None)}, "named twice"),
        ("a surveycto https://k.example.org uid1", {"a": ("t", None)}, "must be kobo or odk"),
        ("a kobo ftp://k.example.org uid1", {"a": ("t", None)}, "http(s) address"),
        ("a kobo https://k.example.org a/b", {"a": ("t", None)}, "asset uid"),
        ("a odk https://c.example.org corridor_death", {"a": ("e:p", None)}, "PROJECT/xmlFormId"),
        ("a kobo https://k.example.org uid1", {}, "_TOKEN_A (to pull it)"),
        ("a odk https://c.example.org 7/f", {"a": (None, SECRET)}, "only KoBoToolbox pushes"),
        ("a kobo https://k.example.org uid1", {"a": (None, "short")}, "at least 16 characters"),
        ("a odk https://c.example.org 7/f", {"a": ("token-without-colon", None)}, "email:password"),
    ],
)
def test_a_mistake_in_the_configuration_stops_start_up_naming_the_variable(
    text: str, secrets: dict[str, tuple[str | None, str | None]], message: str
) -> None:
    with pytest.raises(ConfigError, match="_INTAKE_") as error:
        parse_sources(text, secrets)
    assert message in str(error.value)
