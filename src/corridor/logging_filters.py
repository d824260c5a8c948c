"""Keep secrets and identities out of the logs.

Every record passes through :class:`RedactSecrets` on its way to a handler. It renders the message
(and the traceback, if any) and blanks out API tokens, bearer credentials, the configured secret and
identity keys, and the values of fields that hold passwords, tokens or identity fields, however they
are written (``full_name=…``, ``"contact": "…"``, ``'notes': '…'``). Identity values never reach SQL
in clear (they are encrypted before the query is built), so query logging cannot leak them either.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# API tokens as issued by corridor.accounts.tokens ("cor_" + 43 characters of URL-safe base64).
_TOKEN = re.compile(r"\bcor_[A-Za-z0-9_\-]{16,}")
_BEARER = re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9_\-.=+/]{8,}")
_SENSITIVE_KEYS = r"full_name|contact|notes|password|passwd|secret|token|api_key|identity_key|authorization|cookie"
# key=value, key: value, "key": "value", 'key': 'value' — the value up to the next quote, comma or brace.
_FIELD = re.compile(
    rf"""(?ix)
    (?P<key>["']?\b(?:{_SENSITIVE_KEYS})\b["']?\s*[:=]\s*)
    (?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}}\])]+)
    """
)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with tokens, credentials, the given secret values and sensitive fields' values blanked out."""
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, REDACTED)
    text = _TOKEN.sub("cor_" + REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)

    def blank(match: re.Match[str]) -> str:
        value = match.group("value")
        quote = value[0] if value[:1] in ("'", '"') else ""
        return f"{match.group('key')}{quote}{REDACTED}{quote}"

    return _FIELD.sub(blank, text)


def _configured_secrets() -> tuple[str, ...]:
    try:
        from django.conf import settings

        if not settings.configured:
            return ()
        return (str(settings.SECRET_KEY), *(str(k) for k in getattr(settings, "IDENTITY_KEYS", ())))
    except Exception:  # logging must never fail because settings are half loaded
        return ()


class RedactSecrets(logging.Filter):
    """A logging filter: rewrites each record's message and traceback with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _configured_secrets()
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is still logged, as its raw template
            message = str(record.msg)
        record.msg = redact(message, secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
            # The handler's formatter would otherwise format exc_info again, unredacted.
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        if hasattr(record, "request"):
            # Django attaches the request to error records; drop it so no handler renders its headers.
            record.request = None
        return True
