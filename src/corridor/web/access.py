"""Who may open which page. Services check capabilities on every write; views check them again here.

``requires(None)`` means "any of the five roles": an account without a role sees nothing but a
refusal, and an anonymous visitor is sent to sign in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from corridor.accounts.roles import ROLE_CAPABILITIES, Can, Role, roles_of

V = TypeVar("V", bound=Callable[..., HttpResponse])


def _roles(user: Any) -> set[Role]:
    """The user's roles, looked up once per request (a page asks many times: menu, buttons, checks)."""
    cached: set[Role] | None = getattr(user, "_corridor_roles", None)
    if cached is None:
        cached = roles_of(user)
        user._corridor_roles = cached
    return cached


def allowed(user: Any, capability: Can | None) -> bool:
    """Whether a signed-in ``user`` may open a page needing ``capability`` (None: any role)."""
    if not user.is_authenticated:
        return False
    roles = _roles(user)
    if capability is None:
        return bool(roles)
    return any(capability in ROLE_CAPABILITIES[role] for role in roles)


def refuse(request: HttpRequest) -> HttpResponse:
    return render(request, "corridor/403.html", status=403)


def requires(capability: Can | None) -> Callable[[V], V]:
    """Sign-in required, then ``capability`` (or any role when None); otherwise 403 with a plain page."""

    def decorate(view: V) -> V:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user, capability):
                return refuse(request)
            return view(request, *args, **kwargs)

        wrapper.capability = capability  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def capabilities(user: Any) -> set[str]:
    """The user's capabilities, as strings, for templates (``"see_identities" in can``)."""
    if not user.is_authenticated:
        return set()
    return {c.value for role in _roles(user) for c in ROLE_CAPABILITIES[role]}
