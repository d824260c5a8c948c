"""`corridor check-deploy`: Django's deployment checks plus Corridor's own, each finding named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection
from django.test import override_settings

from corridor import env
from corridor.cli import cli
from corridor.ops.deploy import corridor_findings, django_findings


def _codes(findings: list[Any]) -> set[str]:
    return {f.code for f in findings}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    return folder


@pytest.fixture
def deployment(data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A well-configured deployment: keys from files outside the data directory, TLS, a public host name."""
    secret = tmp_path / "secret"
    secret.write_text("s" * 60)
    secret.chmod(0o600)
    monkeypatch.setenv("CORRIDOR_SECRET_KEY_FILE", str(secret))
    key_file = tmp_path / "identity"
    key_file.write_text(env.new_identity_key())
    key_file.chmod(0o600)
    monkeypatch.setenv("CORRIDOR_IDENTITY_KEY_FILE", str(key_file))
    return key_file


def test_a_well_configured_deployment_has_no_corridor_error(deployment: Path, data_dir: Path, db: Any) -> None:
    from django.conf import settings

    with override_settings(
        DATA_DIR=data_dir, ALLOWED_HOSTS=["corridor.example.org"], IDENTITY_KEY_ORIGIN="environment", WORKERS=1
    ):
        assert [f for f in corridor_findings() if f.level == "error"] == []
        assert settings.DEBUG is False


def test_the_generated_secret_key_on_a_public_host_is_an_error(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, db: Any
) -> None:
    monkeypatch.delenv("CORRIDOR_SECRET_KEY", raising=False)
    monkeypatch.delenv("CORRIDOR_SECRET_KEY_FILE", raising=False)
    with override_settings(DATA_DIR=data_dir, ALLOWED_HOSTS=["corridor.example.org"]):
        assert "corridor.E001" in _codes(corridor_findings())
    with override_settings(DATA_DIR=data_dir, ALLOWED_HOSTS=["127.0.0.1", "localhost"]):
        assert "corridor.E001" not in _codes(corridor_findings())


def test_identities_under_a_key_that_is_not_configured_are_an_error(
    data_dir: Path, camp: Any, make_referral: Any, db: Any
) -> None:
    make_referral("P-KEYED")  # registers a patient with identity fields under the current key
    with override_settings(DATA_DIR=data_dir, IDENTITY_KEYS=[env.new_identity_key()]):
        findings = [f for f in corridor_findings() if f.code == "corridor.E011"]
        assert len(findings) == 1 and "cannot be read" in findings[0].message


def test_open_permissions_on_the_data_directory_and_its_files_are_errors(data_dir: Path, db: Any) -> None:
    with override_settings(DATA_DIR=data_dir):
        assert not {"corridor.E021", "corridor.E023"} & _codes(corridor_findings())
        (data_dir / "identity_key").write_text("x")
        (data_dir / "identity_key").chmod(0o644)
        data_dir.chmod(0o777)
        try:
            assert {"corridor.E021", "corridor.E023"} <= _codes(corridor_findings())
        finally:
            data_dir.chmod(0o700)


def test_sqlite_with_several_workers_is_a_warning(data_dir: Path, db: Any) -> None:
    with override_settings(DATA_DIR=data_dir, WORKERS=4):
        warned = "corridor.W033" in _codes(corridor_findings())
    assert warned == (connection.vendor == "sqlite")


def test_django_s_deployment_warnings_are_errors_until_served_behind_tls(db: Any) -> None:
    plain = {f.code: f.level for f in django_findings()}
    assert plain.get("security.W004") == "error" and plain.get("security.W012") == "error"
    with override_settings(
        SECURE_HSTS_SECONDS=31_536_000,
        SESSION_COOKIE_SECURE=True,
        CSRF_COOKIE_SECURE=True,
        SECURE_SSL_REDIRECT=True,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    ):
        behind_tls = {f.code: f.level for f in django_findings()}
    assert not [code for code, level in behind_tls.items() if level == "error"], behind_tls
    assert behind_tls.get("security.W005") == "warning"  # includeSubDomains is the operator's call


def test_the_command_prints_each_finding_and_exits_1_on_an_error(db: Any) -> None:
    result = CliRunner().invoke(cli, ["check-deploy"])
    assert result.exit_code == 1
    assert "ERROR   security.W004" in result.output and "not ready to deploy" in result.output


def test_corridor_https_turns_on_secure_cookies_hsts_and_the_redirect(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import corridor.settings as settings_module

    monkeypatch.setenv("CORRIDOR_HTTPS", "true")
    try:
        reloaded = importlib.reload(settings_module)
        assert reloaded.SESSION_COOKIE_SECURE and reloaded.CSRF_COOKIE_SECURE and reloaded.SECURE_SSL_REDIRECT
        assert reloaded.SECURE_HSTS_SECONDS >= 31_536_000
        assert reloaded.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    finally:
        monkeypatch.delenv("CORRIDOR_HTTPS")
        importlib.reload(settings_module)


def _drop_entry_update_trigger() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER ledger_entry_no_update")
            return "ledger_entry_no_update"
        cursor.execute("DROP TRIGGER ledger_entry_append_only ON ledger_entry")
        return "ledger_entry_append_only"


def test_a_dropped_ledger_trigger_is_an_error(data_dir: Path, db: Any) -> None:
    with override_settings(DATA_DIR=data_dir):
        assert "corridor.E035" not in _codes(corridor_findings())
        name = _drop_entry_update_trigger()
        found = [f for f in corridor_findings() if f.code == "corridor.E035"]
    assert found and found[0].level == "error" and name in found[0].message


def test_serve_production_refuses_to_start_on_an_unguarded_ledger(
    data_dir: Path, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    monkeypatch.setattr("corridor.ops.production.run", lambda *args, **kwargs: started.append("gunicorn"))
    monkeypatch.setattr("corridor.commands.migrate_database", lambda: None)
    # Run here, not in a forked child: a child's own connection cannot see this test's uncommitted
    # transaction on PostgreSQL (the dropped trigger), and closing the test's connection ends the test.
    monkeypatch.setattr("corridor.ops.production.prepared_apart", lambda prepare: prepare())
    with override_settings(DATA_DIR=data_dir):
        assert CliRunner().invoke(cli, ["serve", "--production"]).exit_code == 0
        assert started == ["gunicorn"]
        name = _drop_entry_update_trigger()
        result = CliRunner().invoke(cli, ["serve", "--production"])
    assert result.exit_code == 2 and "not guarded" in result.output and name in result.output
    assert started == ["gunicorn"]
