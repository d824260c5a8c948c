"""The signed-in user's own account: the language (remembered, and in a cookie for the sign-in page) and
the password (changed with the current one; required after someone else reset it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from corridor.accounts import services as accounts
from corridor.errors import InvalidInput
from corridor.web import forms, services
from corridor.web.access import requires
from corridor.web.middleware import MUST_CHANGE_KEY, SESSION_KEY
from corridor.web.views.common import form_page, page


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        try:
            services.set_language(request.user, language)
        except InvalidInput:  # pragma: no cover - the language was checked above
            return response
        request.session[SESSION_KEY] = language
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE or request.is_secure(),
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite="Lax",
    )
    return response


@requires(None)
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password; after a reset by someone else, says who reset it and when."""
    pending = accounts.must_change_password(request.user)  # type: ignore[arg-type]

    def call(data: dict[str, Any]) -> str:
        accounts.change_password(
            request.user,  # type: ignore[arg-type]
            old_password=data["old_password"],
            new_password=data["new_password"],
        )
        update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
        request.session.pop(MUST_CHANGE_KEY, None)
        return _("Password changed.")

    notice = None
    if pending is not None and pending.reset_at is not None:
        notice = _(
            "Your password was reset by %(who)s on %(when)s UTC. Choose a new one to go on; if you did not ask "
            "for this, tell an auditor."
        ) % {"who": pending.reset_by, "when": f"{pending.reset_at:%Y-%m-%d %H:%M}"}
    return form_page(
        request,
        forms.PasswordChangeForm(request.POST or None),
        title=_("Change your password"),
        submit=_("Change the password"),
        call=call,
        then=reverse("web:dashboard"),
        notice=notice,
    )


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    """What Corridor is, and whose its translations are and how a native speaker corrects them: open to
    visitors too, since a reader deciding whether to trust a page should not need an account to ask."""
    return page(request, "corridor/about.html", {})
