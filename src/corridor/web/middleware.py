"""A signed-in user's chosen language wins over the cookie and the browser's Accept-Language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
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


MUST_CHANGE_KEY = "corridor_must_change_password"
# Where a user who must change their password may still go: the change page, signing out, the language.
_OPEN_WHILE_CHANGING = ("/account/password/", "/accounts/logout/", "/language/", "/static/", "/api/")


class PasswordChangeMiddleware:
    """After a password reset by someone else, every page leads to the password change until it is done.

    The flag is copied into the session at sign-in (no query per request). A reset ends the user's other
    sessions, since Django ties a session to the password, so no older session escapes the change.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(MUST_CHANGE_KEY)
            and request.user.is_authenticated
            and not request.path.startswith(_OPEN_WHILE_CHANGING)
        ):
            return HttpResponseRedirect("/account/password/")
        return self.get_response(request)


@receiver(user_logged_in)
def _steer_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Tell the user what others did to their account since their last sign-in; require a pending change."""
    if request is None or not hasattr(request, "session"):
        return
    from corridor.accounts.services import must_change_password

    if must_change_password(user) is not None:
        request.session[MUST_CHANGE_KEY] = True
    else:
        request.session.pop(MUST_CHANGE_KEY, None)
    if hasattr(request, "_messages"):
        from corridor.web.account_notices import notices_since_last_sign_in

        for notice in notices_since_last_sign_in(user, request):
            messages.warning(request, notice)
