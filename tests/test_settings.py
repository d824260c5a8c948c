"""Settings come from the environment and fail loudly, naming the variable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from corridor import env


def test_booleans_accept_the_usual_words_and_refuse_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    for word, value in (("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False), ("", False)):
        monkeypatch.setenv("CORRIDOR_DEBUG", word)
        assert env.envbool("CORRIDOR_DEBUG") is value
    monkeypatch.setenv("CORRIDOR_DEBUG", "maybe")
    with pytest.raises(env.ConfigError, match="CORRIDOR_DEBUG"):
        env.envbool("CORRIDOR_DEBUG")


def test_integers_and_dates_name_the_variable_when_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRIDOR_X", "four")
    with pytest.raises(env.ConfigError, match="CORRIDOR_X must be a whole number"):
        env.envint("CORRIDOR_X", 1)
    monkeypatch.setenv("CORRIDOR_TODAY", "11/10/2014")
    with pytest.raises(env.ConfigError, match="CORRIDOR_TODAY must be a date"):
        env.envdate("CORRIDOR_TODAY")
    monkeypatch.setenv("CORRIDOR_TODAY", "2014-10-11")
    assert env.envdate("CORRIDOR_TODAY") == dt.date(2014, 10, 11)


def test_a_secret_comes_from_the_variable_or_its_file_but_not_both(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("CORRIDOR_SECRET_KEY_FILE", str(secret))
    assert env.envsecret("CORRIDOR_SECRET_KEY") == "s3cret"
    monkeypatch.setenv("CORRIDOR_SECRET_KEY", "other")
    with pytest.raises(env.ConfigError, match="not both"):
        env.envsecret("CORRIDOR_SECRET_KEY")
    monkeypatch.delenv("CORRIDOR_SECRET_KEY")
    monkeypatch.setenv("CORRIDOR_SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(env.ConfigError, match="CORRIDOR_SECRET_KEY_FILE: cannot read"):
        env.envsecret("CORRIDOR_SECRET_KEY")


def test_without_a_secret_key_one_is_generated_once_and_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CORRIDOR_SECRET_KEY", raising=False)
    monkeypatch.delenv("CORRIDOR_SECRET_KEY_FILE", raising=False)
    first = env.secret_key(tmp_path)
    assert len(first) > 40 and env.secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "postgres://alice:p%40ss@db.example:5433/corridor?sslmode=require",
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "corridor",
                "USER": "alice",
                "PASSWORD": "p@ss",
                "HOST": "db.example",
                "PORT": "5433",
                "OPTIONS": {"sslmode": "require"},
            },
        ),
        ("postgresql://127.0.0.1/test", {"NAME": "test", "HOST": "127.0.0.1", "PORT": ""}),
        ("sqlite:///relative/c.sqlite3", {"ENGINE": "django.db.backends.sqlite3", "NAME": "relative/c.sqlite3"}),
        ("sqlite:////abs/c.sqlite3", {"NAME": "/abs/c.sqlite3"}),
    ],
)
def test_database_urls_become_django_settings(url: str, expected: dict[str, object]) -> None:
    parsed = env.database_from_url(url)
    assert {k: parsed[k] for k in expected} == expected


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host", "sqlite://", "postgres://h:port/db"])
def test_unusable_database_urls_are_refused_with_the_variable_name(url: str) -> None:
    with pytest.raises(env.ConfigError, match="CORRIDOR_DATABASE_URL"):
        env.database_from_url(url)


def test_sqlite_runs_in_wal_mode_with_immediate_transactions() -> None:
    options = env.sqlite_database(Path("x.sqlite3"))["OPTIONS"]
    assert isinstance(options, dict)
    assert "journal_mode=WAL" in options["init_command"] and options["transaction_mode"] == "IMMEDIATE"


def test_witnesses_come_inline_or_from_a_file_and_bad_ones_stop_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from corridor.ledger.cosignatures import witness_key_for

    one = witness_key_for("w1.example/c", Ed25519PrivateKey.generate()).encode()
    two = witness_key_for("w2.example/c", Ed25519PrivateKey.generate()).encode()
    monkeypatch.setenv("CORRIDOR_WITNESSES", f"http://127.0.0.1:1/ {one}; https://w2.example/witness {two}")
    assert env.envwitnesses("CORRIDOR_WITNESSES") == [("http://127.0.0.1:1", one), ("https://w2.example/witness", two)]
    listed = tmp_path / "witnesses"
    listed.write_text(f"# our partners\nhttps://w1.example {one}  # the first\n\n")
    monkeypatch.setenv("CORRIDOR_WITNESSES_FILE", str(listed))
    with pytest.raises(env.ConfigError, match="not both"):
        env.envwitnesses("CORRIDOR_WITNESSES")
    monkeypatch.delenv("CORRIDOR_WITNESSES")
    assert env.envwitnesses("CORRIDOR_WITNESSES") == [("https://w1.example", one)]
    monkeypatch.delenv("CORRIDOR_WITNESSES_FILE")
    for bad, message in (
        (f"ftp://w1.example {one}", "URL KEY"),
        (f"https://w1.example {one[:-2]}xx", "CORRIDOR_WITNESSES"),
        (f"https://a.example {one}; https://b.example {one}", "named twice"),
        ("https://w1.example", "URL KEY"),
    ):
        monkeypatch.setenv("CORRIDOR_WITNESSES", bad)
        with pytest.raises(env.ConfigError, match=message):
            env.envwitnesses("CORRIDOR_WITNESSES")
    monkeypatch.setenv("CORRIDOR_TSA_URLS", "https://tsa.example/a, https://tsa.example/b")
    assert env.envlist("CORRIDOR_TSA_URLS") == ["https://tsa.example/a", "https://tsa.example/b"]


def test_a_logo_must_be_a_readable_file_and_the_message_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert env.envfile("CORRIDOR_REPORT_LOGO") is None
    monkeypatch.setenv("CORRIDOR_REPORT_LOGO", str(tmp_path / "missing.png"))
    with pytest.raises(env.ConfigError, match="CORRIDOR_REPORT_LOGO"):
        env.envfile("CORRIDOR_REPORT_LOGO")
    logo = tmp_path / "logo.svg"
    logo.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    monkeypatch.setenv("CORRIDOR_REPORT_LOGO", str(logo))
    assert env.envfile("CORRIDOR_REPORT_LOGO") == logo.resolve()


def test_a_retention_period_that_is_not_a_whole_number_of_years_stops_the_start(tmp_path: Path) -> None:
    from corridor.ops.testing import corridor, environment

    url = f"sqlite:///{tmp_path / 'corridor.sqlite3'}"
    for bad, message in (("-1", "must be at least 0"), ("five", "must be a whole number")):
        result = corridor(["retention", "list"], environment(url, tmp_path, CORRIDOR_RETENTION_YEARS=bad), check=False)
        assert result.returncode == 2, result.stderr
        assert f"CORRIDOR_RETENTION_YEARS {message}" in result.stderr
    unset = corridor(["retention", "list"], environment(url, tmp_path, CORRIDOR_RETENTION_YEARS="0"), check=False)
    assert unset.returncode == 2 and "no retention period is set" in unset.stderr
