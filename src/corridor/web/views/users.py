"""Corridor's own account pages (admin only): list, create, roles, password reset, (de)activation, tokens.

Each form calls one service of ``corridor.accounts.services``, which checks the rules (nobody changes
their own roles…) and writes the ledger entry; the page shows a refusal beside the field it names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from corridor import refusals
from corridor.accounts import services as accounts
from corridor.accounts.models import ApiToken
from corridor.accounts.roles import Can, roles_of
from corridor.errors import CorridorError, NotFound
from corridor.web import forms
from corridor.web.access import requires
from corridor.web.views.common import page


@requires(Can.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    people = User.objects.order_by("username").prefetch_related("groups", "site_memberships__site")
    rows = [
        {
            "user": u,
            "roles": sorted(g.name for g in u.groups.all()),
            "sites": sorted(m.site.code for m in u.site_memberships.all()),
        }
        for u in people
    ]
    return page(request, "corridor/users/list.html", {"rows": rows})


@requires(Can.MANAGE_USERS)
def user_create(request: HttpRequest) -> HttpResponse:
    form = forms.UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = accounts.create_user(
                username=data["username"],
                role=data["roles"],
                password=data["password"],
                sites=data["sites"],
                by=request.user,
            )
        except CorridorError as exc:
            forms.show_error(form, exc)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.get_username()})
            return redirect("web:user", username=user.get_username())
    return page(
        request,
        "corridor/form.html",
        {"form": form, "title": _("New user"), "submit": _("Create")},
        status=422 if form.errors else 200,
    )


def _detail(request: HttpRequest, user: User, **bound: Any) -> dict[str, Any]:
    return {
        "person": user,
        "person_roles": sorted(r.value for r in roles_of(user)),
        "tokens": ApiToken.objects.filter(user=user).order_by("-pk"),
        "person_sites": accounts.sites_of(user),
        "sites_form": bound.get("sites_form") or forms.SitesForm(initial={"sites": accounts.sites_of(user)}),
        "roles_form": bound.get("roles_form")
        or forms.RolesForm(initial={"roles": sorted(r.value for r in roles_of(user))}),
        "reset_form": bound.get("reset_form") or forms.ResetPasswordForm(),
        "active_form": bound.get("active_form") or forms.AccountReasonForm(),
        "token_form": bound.get("token_form") or forms.TokenForm(),
        "secret": bound.get("secret"),
        "own": user.pk == request.user.pk,
    }


@requires(Can.MANAGE_USERS)
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    user = get_object_or_404(User, username=username)
    return page(request, "corridor/users/detail.html", _detail(request, user))


def _act(
    request: HttpRequest,
    username: str,
    form_class: type[forms.forms.Form],
    name: str,
    action: Callable[[User, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """Bind ``form_class``, run ``action`` (one service call), and show the user's page again."""
    user = get_object_or_404(User, username=username)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            result = action(user, form.cleaned_data)
        except CorridorError as exc:
            forms.show_error(form, exc)
        else:
            messages.success(request, done)
            if isinstance(result, tuple):  # a new token: its secret is shown once, on this response only
                return page(request, "corridor/users/detail.html", _detail(request, user, secret=result[1]))
            return redirect("web:user", username=username)
    return page(request, "corridor/users/detail.html", _detail(request, user, **{name: form}), status=422)


@require_POST
@requires(Can.MANAGE_USERS)
def user_roles(request: HttpRequest, username: str) -> HttpResponse:
    return _act(
        request,
        username,
        forms.RolesForm,
        "roles_form",
        lambda u, d: accounts.change_roles(u, roles=d["roles"], reason=d["reason"], by=request.user),
        _("Roles changed."),
    )


@require_POST
@requires(Can.MANAGE_USERS)
def user_sites(request: HttpRequest, username: str) -> HttpResponse:
    return _act(
        request,
        username,
        forms.SitesForm,
        "sites_form",
        lambda u, d: accounts.change_sites(u, sites=d["sites"], reason=d["reason"], by=request.user),
        _("Sites changed."),
    )


@require_POST
@requires(Can.MANAGE_USERS)
def user_password_reset(request: HttpRequest, username: str) -> HttpResponse:
    return _act(
        request,
        username,
        forms.ResetPasswordForm,
        "reset_form",
        lambda u, d: accounts.reset_password(u, password=d["password"], by=request.user),
        _("Password reset; the user must change it at the next sign-in."),
    )


@require_POST
@requires(Can.MANAGE_USERS)
def user_active(request: HttpRequest, username: str) -> HttpResponse:
    def toggle(user: User, data: dict[str, Any]) -> User:
        if user.is_active:
            return accounts.deactivate_user(user, reason=data["reason"], by=request.user)
        return accounts.reactivate_user(user, reason=data["reason"], by=request.user)

    return _act(request, username, forms.AccountReasonForm, "active_form", toggle, _("Account changed."))


@require_POST
@requires(Can.MANAGE_USERS)
def user_token_issue(request: HttpRequest, username: str) -> HttpResponse:
    return _act(
        request,
        username,
        forms.TokenForm,
        "token_form",
        lambda u, d: accounts.issue_token(u, label=d["label"], by=request.user),
        _("Token issued. Copy it now: it is not shown again."),
    )


@require_POST
@requires(Can.MANAGE_USERS)
def user_token_revoke(request: HttpRequest, username: str, token_id: int) -> HttpResponse:
    try:
        if not ApiToken.objects.filter(pk=token_id, user__username=username).exists():
            raise NotFound(
                gettext_noop("%(user)s has no token %(token)s"), code="token.not_found", user=username, token=token_id
            )
        accounts.revoke_token(token_id, by=request.user, reason=request.POST.get("reason", ""))
    except CorridorError as exc:
        messages.error(request, refusals.in_language(exc))
    else:
        messages.success(request, _("Token revoked."))
    return redirect("web:user", username=username)
