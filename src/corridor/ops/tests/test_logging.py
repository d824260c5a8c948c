"""No secret and no identity reaches the logs: tokens, keys, passwords and identity fields are blanked."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from corridor.logging_filters import REDACTED, RedactSecrets, redact

NAME = "Synthetic Loggedname Zq"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged at any level, through the console handler exactly as settings.LOGGING builds it."""
    stream = io.StringIO()
    config: dict[str, Any] = dict(settings.LOGGING)
    handler = dict(config["handlers"]["console"])
    handler["stream"] = stream
    config = {**config, "handlers": {"console": handler}, "root": {"handlers": ["console"], "level": "DEBUG"}}
    previous = logging.root.handlers[:], logging.root.level
    logging.config.dictConfig(config)
    # SQL is logged with its parameters at DEBUG: the encrypted identity must be all it shows.
    connection.force_debug_cursor = True
    sql = logging.getLogger("django.db.backends")
    sql_level = sql.level
    sql.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        sql.setLevel(sql_level)
        connection.force_debug_cursor = False
        logging.root.handlers, _ = previous
        logging.root.setLevel(previous[1])


def test_the_console_handler_carries_the_filter() -> None:
    logging_config: dict[str, Any] = settings.LOGGING
    assert "redact" in logging_config["handlers"]["console"]["filters"]
    assert logging_config["filters"]["redact"]["()"] == "corridor.logging_filters.RedactSecrets"


def test_redaction_blanks_tokens_credentials_keys_and_sensitive_fields() -> None:
    token = "cor_" + "A1b2" * 11
    text = (
        f"Authorization: Bearer {token} token={token} password=hunter22 "
        f'{{"full_name": "{NAME}", "contact": "Tent 9", "code": "P-1"}} '
        f"full_name='{NAME}' notes=allergic secret-key-value-123456"
    )
    clean = redact(text, ("secret-key-value-123456",))
    for leaked in (token, "hunter22", NAME, "Tent 9", "allergic", "secret-key-value-123456"):
        assert leaked not in clean
    assert '"code": "P-1"' in clean and clean.count(REDACTED) >= 7


def test_a_record_with_arguments_and_a_traceback_is_redacted_before_any_handler_sees_it() -> None:
    try:
        raise ValueError(f"full_name={NAME}")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "login %s with %s", ("ops", settings.SECRET_KEY), sys.exc_info()
        )
    assert RedactSecrets().filter(record)
    rendered = logging.Formatter().format(record)
    assert settings.SECRET_KEY not in rendered and NAME not in rendered and "ValueError" in rendered


def test_using_the_api_logs_no_token_no_key_and_no_name(
    captured: io.StringIO, users: dict[str, Any], camp: Any
) -> None:
    from corridor.accounts.tokens import issue_token

    _, secret = issue_token(users["coordinator"], by=None, label="logging")
    client = Client()
    client.defaults.update({"HTTP_HOST": "127.0.0.1", "HTTP_AUTHORIZATION": f"Bearer {secret}"})
    created = client.post(
        "/api/patients",
        {
            "site": "CAMP-T",
            "code": "P-LOG",
            "registered_on": "2014-10-01",
            "identity": {"full_name": NAME, "contact": "Tent 77"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    assert client.get("/api/patients/P-LOG/identity?purpose=logging+check").status_code == 200
    # Refusals are logged by Django: a bad token, a refused write carrying a name.
    Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {secret}x").get("/api/sites")
    refused = client.put("/api/patients/P-NOBODY/identity", {"full_name": NAME}, content_type="application/json")
    assert refused.status_code == 404
    logging.getLogger("corridor.test").warning("identity %s", {"full_name": NAME, "contact": "Tent 77"})
    output = captured.getvalue()
    assert "INSERT" in output and "register_patientidentity" in output  # SQL really was logged
    for leaked in (NAME, "Loggedname", "Tent 77", secret, secret[4:], settings.SECRET_KEY, *settings.IDENTITY_KEYS):
        assert leaked not in output, leaked
