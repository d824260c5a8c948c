"""Login throttling by address: after a few failures from one address, that address waits a while.

Throttling by user name would let anyone lock a user out by typing five wrong passwords for them, from
anywhere. So the count is kept per address and user name (five failures: that address may not try that
name again for a while; the user signs in from any other address) and per address (twenty failures,
whatever the names: the address may not sign anyone in). Someone behind the same router as a guesser
shares the guesser's address; the sign-in audit (docs/roles.md) shows the auditors who was guessing.

Counting happens in Django's cache (shared by every worker on the machine). The check sits in the
authentication backend, so the admin's sign-in form is throttled like the workspace's.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _address(request: HttpRequest | None) -> str:
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


def _keys(request: HttpRequest | None, username: str | None) -> list[str]:
    """The counters a failure from this address for this name adds to: (address, name) and address."""
    address = _address(request)
    if not address:
        return []
    keys = ["login-fail:addr:" + _digest(address)]
    if username:
        keys.append("login-fail:pair:" + _digest(address + "\n" + username.strip().lower()))
    return keys


def _limit(key: str) -> int:
    # One address may serve a whole office behind a router: allow it a few times more than one name.
    base = int(getattr(settings, "LOGIN_FAILURES_ALLOWED", 5))
    return base * 4 if ":addr:" in key else base


def locked(request: HttpRequest | None, username: str | None) -> bool:
    """Whether sign-in is refused from this address (for this name, or for every name) right now."""
    return any((cache.get(key) or 0) >= _limit(key) for key in _keys(request, username))


def _window() -> int:
    return int(getattr(settings, "LOGIN_LOCKOUT_SECONDS", 900))


@receiver(user_login_failed)
def _count_failure(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any) -> None:
    # get-then-set rather than incr: the cache's incr would reset the expiry to its default timeout.
    for key in _keys(request, credentials.get("username")):
        cache.set(key, (cache.get(key) or 0) + 1, _window())


@receiver(user_logged_in)
def _forget_failures(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Only this address's count for this name: one person signing in must not unlock an address that is
    # guessing other names.
    for key in _keys(request, user.get_username()):
        if ":pair:" in key:
            cache.delete(key)


class ThrottledModelBackend(ModelBackend):
    """Django's password check, refused outright while the address is locked out (for this name or all)."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if locked(request, username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Says plainly when sign-in is locked rather than blaming the password."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed sign-ins. Wait %(minutes)s minutes and try again."),
    }

    def clean(self) -> dict[str, Any]:
        if locked(self.request, self.data.get("username")):
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": _window() // 60}
            )
        return super().clean()


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
