"""What every page needs: the site, today, the user's capabilities, and how to render."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from corridor import clock
from corridor.register.models import Site
from corridor.web.access import capabilities


def current_site(request: HttpRequest) -> Site | None:
    """The site chosen with ``?site=CODE``, else the first one (most installations have one camp)."""
    code = request.GET.get("site") or request.POST.get("site")
    sites = Site.objects.order_by("code")
    if code:
        chosen = sites.filter(code=code).first()
        if chosen is not None:
            return chosen
    return sites.first()


def page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """Render ``template`` with what the base template and the action buttons need."""
    site = context.get("site") if context and "site" in context else current_site(request)
    full = {
        "caps": capabilities(request.user),
        "today": clock.today(),
        "site": site,
        "zone": site.time_zone if site else "UTC",
        **(context or {}),
    }
    return render(request, template, full, status=status)

