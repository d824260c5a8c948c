"""A signed-in user's chosen language wins over the cookie and the browser's Accept-Language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from corridor.web.services import language_of

SESSION_KEY = "corridor_language"


class UserLanguageMiddleware:
    """Runs after authentication (LocaleMiddleware runs before it and cannot know the user).

    The choice is copied into the session at sign-in, so no request pays a query for it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        chosen = session.get(SESSION_KEY, "") if session is not None else ""
        if chosen and chosen != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


@receiver(user_logged_in)
def _remember_language(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        chosen = language_of(user)
        if chosen:
            request.session[SESSION_KEY] = chosen
        else:
            request.session.pop(SESSION_KEY, None)
