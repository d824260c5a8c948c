"""Erasure and retention for admins: one admin asks, a second confirms or either cancels (docs/privacy.md).

Each view parses the form and calls one service of :mod:`corridor.register.erasure`, which refuses what
the rules forbid (the admin who asked confirming, another site's person) and writes the ledger entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from corridor import refusals
from corridor.accounts.roles import Can
from corridor.errors import CorridorError, InvalidInput, NotFound
from corridor.register import erasure
from corridor.register.crypto import is_erased
from corridor.register.models import Erasure, Patient
from corridor.register.scoping import visible
from corridor.web import forms, l10n
from corridor.web.access import requires
from corridor.web.views.common import page


def _person(request: HttpRequest, code: str) -> Any:
    """The patient or companion at the admin's sites; another site's code is not found, as if absent."""
    try:
        return erasure.find_person(code, request.user)
    except NotFound as exc:
        raise Http404(refusals.in_language(exc)) from exc


@requires(Can.ERASE_IDENTITIES)
def erasure_list(request: HttpRequest) -> HttpResponse:
    """Requests waiting for a second admin, then the latest decided, at the admin's sites."""
    mine = visible(Erasure.objects.all(), request.user)
    return page(
        request,
        "corridor/erasures/list.html",
        {
            "waiting": mine.filter(state=Erasure.State.REQUESTED).order_by("requested_seq"),
            "decided": mine.exclude(state=Erasure.State.REQUESTED).order_by("-decided_seq")[:50],
        },
    )


@requires(Can.ERASE_IDENTITIES)
def erasure_ask(request: HttpRequest, code: str) -> HttpResponse:
    """GET says plainly what an erasure makes unreadable and what stays; POST asks, with a reason."""
    person = _person(request, code)
    standing = erasure.standing(person)
    form = forms.ErasureRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            erasure.request_erasure(person, reason=form.cleaned_data["reason"], by=request.user)
        except CorridorError as exc:
            forms.show_error(form, exc)
        else:
            messages.success(
                request,
                _("Erasure of %(code)s asked for. Nothing is erased until another admin confirms it.") % {"code": code},
            )
            return redirect("web:erasures")
    return page(
        request,
        "corridor/erasures/ask.html",
        {
            "person": person,
            "is_patient": person._meta.model_name == "patient",
            "standing": standing,
            "erased": is_erased(person),
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@require_POST
@requires(Can.ERASE_IDENTITIES)
def erasure_confirm(request: HttpRequest, code: str) -> HttpResponse:
    person = _person(request, code)
    try:
        erasure.confirm_erasure(person, by=request.user)
    except CorridorError as exc:
        messages.error(request, refusals.in_language(exc))
    else:
        messages.success(request, _("The identity of %(code)s is erased: it can no longer be read.") % {"code": code})
    return redirect("web:erasures")


@require_POST
@requires(Can.ERASE_IDENTITIES)
def erasure_cancel(request: HttpRequest, code: str) -> HttpResponse:
    person = _person(request, code)
    form = forms.ErasureCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors["reason"]))
        return redirect("web:erasures")
    try:
        erasure.cancel_erasure(person, by=request.user, reason=form.cleaned_data["reason"])
    except CorridorError as exc:
        messages.error(request, refusals.in_language(exc))
    else:
        messages.success(request, _("The erasure of %(code)s is cancelled.") % {"code": code})
    return redirect("web:erasures")


@requires(Can.ERASE_IDENTITIES)
def retention_list(request: HttpRequest) -> HttpResponse:
    """The patients the retention schedule says may now be erased, at the admin's sites."""
    try:
        due = erasure.due(by=request.user)
    except InvalidInput:  # no period set: the page says so rather than lists nothing
        due = None
    mine = visible(Erasure.objects.filter(state=Erasure.State.REQUESTED, retention=True), request.user)
    return page(
        request,
        "corridor/erasures/retention.html",
        {
            "due": due,
            "rows": [(item, Patient.Status(item.status).label) for item in due or []],
            "years": settings.RETENTION_YEARS,
            "asked": [item for item in due or [] if not item.requested],
            "to_confirm": mine.exclude(requested_by=request.user.get_username()).count(),
            "mine": mine.filter(requested_by=request.user.get_username()).count(),
        },
    )


def _counted(request: HttpRequest, act: Callable[[], Sized], sentence: Callable[[int], str]) -> HttpResponse:
    """Run one retention service; say its refusal, or ``sentence`` of how many identities it took (the number in
    the page's digits), and go back to the retention page."""
    try:
        n = len(act())
    except CorridorError as exc:
        messages.error(request, refusals.in_language(exc))
    else:
        messages.success(request, sentence(n) % {"n": l10n.number(n, get_language())})
    return redirect("web:retention")


@require_POST
@requires(Can.ERASE_IDENTITIES)
def retention_request(request: HttpRequest) -> HttpResponse:
    return _counted(
        request,
        lambda: erasure.request_due(by=request.user),
        lambda n: ngettext(
            "Erasure asked for %(n)s identity; another admin confirms it.",
            "Erasure asked for %(n)s identities; another admin confirms them.",
            n,
        ),
    )


@require_POST
@requires(Can.ERASE_IDENTITIES)
def retention_confirm(request: HttpRequest) -> HttpResponse:
    return _counted(
        request,
        lambda: erasure.confirm_due(by=request.user),
        lambda n: ngettext("%(n)s identity erased.", "%(n)s identities erased.", n),
    )
