"""The reports page: pick a month, open the report, download it as PDF, download exports.

Thin: each view validates its form, calls one service (which checks the role again and records the
file in the ledger), and hands the file over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from corridor import clock, refusals
from corridor.accounts.roles import Can, can
from corridor.errors import CorridorError
from corridor.register.models import Site
from corridor.register.scoping import visible
from corridor.reports import forms
from corridor.web.access import requires


def _months(today: dt.date, count: int = 12) -> list[str]:
    found, year, month = [], today.year, today.month
    for _month in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


@requires(Can.READ_LEDGER)
def index(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    months = _months(today)
    language = getattr(request, "LANGUAGE_CODE", "en")
    return render(
        request,
        "reports/index.html",
        {
            "months": months,
            "report_form": forms.ReportForm(
                initial={"month": months[0], "language": language if language in forms.LANGUAGE_NAMES else "en"},
                may_see_small_counts=can(request.user, Can.EXPORT),
                sites=_my_sites(request.user),
            ),
            "export_form": forms.ExportForm(initial={"month": months[0]}),
            "may_export": can(request.user, Can.EXPORT),
            "may_write": can(request.user, Can.RECORD_INCIDENTS),
            "narrative_form": forms.NarrativeForm(
                initial={"month": months[0], "language": language}, sites=_my_sites(request.user)
            ),
        },
    )


def _my_sites(user: Any) -> list[tuple[str, str]]:
    """(code, name in the active language) of the sites ``user`` works at, for the report's choice of site."""
    language = get_language()
    return [(site.code, site.name_in(language)) for site in visible(Site.objects.order_by("code"), user)]


def _errors(form: Any) -> str:
    return "; ".join(f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items())


def _attachment(content: bytes, media_type: str, filename: str, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type=media_type)
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _answer(
    request: HttpRequest, form: Any, make: Callable[[dict[str, Any]], HttpResponse], back: str = "reports:index"
) -> HttpResponse:
    """What ``make`` answers from the form's cleaned data (it calls one service); a form not valid, or the
    service's refusal, goes back to ``back`` (a URL or its name) with the reason said."""
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(back)
    try:
        return make(form.cleaned_data)
    except CorridorError as exc:
        messages.error(request, refusals.in_language(exc))
        return redirect(back)


@require_POST
@requires(Can.READ_LEDGER)
def monthly(request: HttpRequest) -> HttpResponse:
    from corridor.reports import services  # with the report builders, loaded when a report is asked for

    def make(data: dict[str, Any]) -> HttpResponse:
        html = data["format"] == "html"
        produced = services.monthly_report(
            month=data["month"],
            language=data["language"],
            fmt=data["format"],
            public=data["public"],
            site=data.get("site") or "",
            by=request.user,
            css_href=static("reports/report.css") if html else "",
        )
        return _attachment(produced.content, produced.media_type, produced.filename, inline=html)

    form = forms.ReportForm(
        request.POST, may_see_small_counts=can(request.user, Can.EXPORT), sites=_my_sites(request.user)
    )
    return _answer(request, form, make)


@require_POST
@requires(Can.EXPORT)
def export(request: HttpRequest) -> HttpResponse:
    from corridor.reports import services

    def make(data: dict[str, Any]) -> HttpResponse:
        produced = services.export(
            dataset=data["dataset"],
            fmt=data["format"],
            month=data["month"] or None,
            audience=data["audience"],
            by=request.user,
        )
        return _attachment(produced.content, produced.media_type, produced.filename)

    return _answer(request, forms.ExportForm(request.POST), make)


@require_POST
@requires(Can.RECORD_INCIDENTS)
def narrative(request: HttpRequest) -> HttpResponse:
    from corridor.reports import services

    def make(data: dict[str, Any]) -> HttpResponse:
        entry = services.write_narrative(
            month=data["month"],
            text=data["text"],
            language=data["language"],
            site=data.get("site") or "",
            by=request.user,
        )
        messages.success(request, _("Narrative recorded as ledger entry %(seq)s.") % {"seq": entry.seq})
        return redirect("reports:index")

    return _answer(request, forms.NarrativeForm(request.POST, sites=_my_sites(request.user)), make)


@require_POST
@requires(Can.READ_LEDGER)
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    from corridor.reports import services

    def make(data: dict[str, Any]) -> HttpResponse:
        produced = services.case_dossier(
            code=code,
            language=data["language"],
            with_identity=data["with_identity"],
            purpose=data["purpose"],
            by=request.user,
        )
        return _attachment(produced.content, produced.media_type, produced.filename)

    back = reverse("web:patient", args=[code])
    return _answer(request, forms.DossierForm(request.POST), make, back)
