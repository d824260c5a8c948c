"""The workspace's own writes: a user's language. Case data is written only by the other apps' services.

A language choice is a display preference, not evidence about anyone, so it has no ledger entry.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_noop as _

from corridor.errors import InvalidInput
from corridor.web.models import Preference


def set_language(user: Any, language: str) -> Preference:
    """Remember ``language`` (one of settings.LANGUAGES) for ``user``."""
    codes = [code for code, _name in settings.LANGUAGES]
    if language not in codes:
        raise InvalidInput(
            _("must be one of %(choices)s"), "language", code="language.unknown", choices=", ".join(codes)
        )
    if not user.is_authenticated:
        raise InvalidInput(_("sign in to keep a language"), "user", code="language.not_signed_in")
    preference, _created = Preference.objects.update_or_create(user=user, defaults={"language": language})
    return preference


def language_of(user: Any) -> str:
    """The user's chosen language, or '' when they have not chosen one."""
    if not user.is_authenticated:
        return ""
    return Preference.objects.filter(user=user).values_list("language", flat=True).first() or ""
