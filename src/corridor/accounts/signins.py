"""Every sign-in, failed sign-in and sign-out, in the plain ``SignIn`` table (not the ledger: see docs/roles.md).

Django's signals cover every sign-in form (the workspace's and the Django admin's) and every sign-out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from corridor.accounts.models import SignIn


def address_of(request: HttpRequest | None) -> str:
    """The client's address as the server saw it (behind a proxy, the proxy must pass it on)."""
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def record(
    outcome: str, username: str, *, user: Any = None, request: HttpRequest | None = None, forced: bool = False
) -> SignIn:
    return SignIn.objects.create(
        forced=forced,
        at=dt.datetime.now(dt.UTC),
        outcome=outcome,
        username=(username or "")[:150],
        user=user if user is not None and getattr(user, "pk", None) else None,
        address=address_of(request),
    )


@receiver(user_logged_in, dispatch_uid="corridor-sign-in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    from corridor.accounts.models import AccountState

    forced = AccountState.objects.filter(user_id=user.pk, must_change_password=True).exists()
    row = record(SignIn.Outcome.SIGNED_IN, user.get_username(), user=user, request=request, forced=forced)
    if request is not None:
        request._corridor_signed_in = row.pk  # type: ignore[attr-defined]


@receiver(user_login_failed, dispatch_uid="corridor-sign-in-failed")
def _failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    from django.contrib.auth.models import User

    username = str(credentials.get("username") or "")
    record(SignIn.Outcome.FAILED, username, user=User.objects.filter(username=username).first(), request=request)


@receiver(user_logged_out, dispatch_uid="corridor-sign-out")
def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None and user.is_authenticated:
        record(SignIn.Outcome.SIGNED_OUT, user.get_username(), user=user, request=request)
