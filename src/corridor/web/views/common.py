"""What every page needs: the site, today, the user's capabilities, and how to render."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from corridor import clock
from corridor.errors import CorridorError
from corridor.register.models import Site
from corridor.register.scoping import visible
from corridor.web.access import capabilities
from corridor.web.forms import show_error


def user_sites(request: HttpRequest) -> list[Site]:
    """The sites the signed-in user works at, in order (cached on the request)."""
    cached: list[Site] | None = getattr(request, "_corridor_site_list", None)
    if cached is None:
        cached = list(visible(Site.objects.order_by("code"), request.user))
        request._corridor_site_list = cached  # type: ignore[attr-defined]
    return cached


def current_site(request: HttpRequest) -> Site | None:
    """The site chosen with ``?site=CODE`` among the user's own, else their first; None when they have
    none (every per-site list is then empty). Another site's code is ignored, as if it did not exist."""
    code = request.GET.get("site") or request.POST.get("site")
    sites = user_sites(request)
    if code:
        chosen = next((site for site in sites if site.code == code), None)
        if chosen is not None:
            return chosen
    return sites[0] if sites else None


def page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """Render ``template`` with what the base template and the action buttons need."""
    site = context.get("site") if context and "site" in context else current_site(request)
    full = {
        "caps": capabilities(request.user),
        "today": clock.today(),
        "site": site,
        "user_sites": user_sites(request) if request.user.is_authenticated else [],
        "zone": site.time_zone if site else "UTC",
        **(context or {}),
    }
    return render(request, template, full, status=status)


def evidence(data: Mapping[str, Any]) -> dict[str, Any]:
    """How the entry is known (its ``source`` and ``certainty``) as a form's cleaned data gives them, as the
    keyword arguments every recording service takes."""
    return {"source": data["source"], "certainty": data["certainty"]}


def form_page(
    request: HttpRequest,
    form: django_forms.Form,
    *,
    title: str,
    submit: str,
    call: Callable[[dict[str, Any]], str],
    then: str | Callable[[], str],
    back: Any = None,
    notice: str | None = None,
    template: str = "corridor/form.html",
    level: int = messages.SUCCESS,
) -> HttpResponse:
    """The one shape of a form page: show ``form``; on a valid POST run ``call`` (a service, given the
    cleaned data), say what it returns (a message of ``level``) and go to ``then`` (a URL, or a function
    that gives one once the call has run). ``notice`` is said above the form: what the act will not do
    that the reader may expect. A refusal is put on the form in the reader's language; an invalid form
    is answered 422.
    """
    if request.method == "POST" and form.is_valid():
        try:
            said = call(form.cleaned_data)
        except CorridorError as exc:
            show_error(form, exc)
        else:
            messages.add_message(request, level, said)
            return redirect(then() if callable(then) else then)
    context = {"form": form, "title": title, "submit": submit, "notice": notice}
    if back is not None:
        context["back"] = back
    return page(request, template, context, status=422 if form.errors else 200)
