"""What auditors review: sign-ins (the plain audit table) and break-glass accesses to identities."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from corridor import refusals
from corridor.accounts import breakglass
from corridor.accounts.models import BreakGlass, SignIn
from corridor.accounts.roles import Can
from corridor.errors import CorridorError
from corridor.ledger.models import Entry
from corridor.register.models import Patient
from corridor.register.scoping import visible
from corridor.web import forms
from corridor.web.access import requires
from corridor.web.views.common import form_page, page

ACCOUNT_ACTS = (
    "user.created",
    "user.roles_changed",
    "user.password_reset",
    "user.password_changed",
    "user.deactivated",
    "user.reactivated",
    "token.issued",
    "token.revoked",
)


@requires(Can.REVIEW_ACCESS)
def sign_ins(request: HttpRequest) -> HttpResponse:
    rows = SignIn.objects.all()
    name = (request.GET.get("username") or "").strip()
    if name:
        rows = rows.filter(username=name)
    outcome = request.GET.get("outcome") or ""
    if outcome in SignIn.Outcome.values:
        rows = rows.filter(outcome=outcome)
    current = Paginator(rows, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # Account acts are in the ledger; the latest are listed here too, so that a new account with a role
    # that sees identities, or a reset password, is in front of the auditor who reviews the sign-ins.
    account_acts = Entry.objects.filter(type__in=ACCOUNT_ACTS).order_by("-seq")[:20]
    return page(
        request,
        "corridor/audit/sign_ins.html",
        {
            "page_obj": current,
            "query": query.urlencode(),
            "username": name,
            "outcome": outcome,
            # Recorded times in UTC, like the sign-ins beside them.
            "account_acts": [(e, e.recorded_at[:16].replace("T", " ") + " UTC") for e in account_acts],
        },
    )


@requires(Can.REVIEW_ACCESS)
def break_glass_list(request: HttpRequest) -> HttpResponse:
    rows = visible(BreakGlass.objects.select_related("user", "patient"), request.user).order_by(
        "acknowledged_at", "-opened_at"
    )
    current = Paginator(rows, 100).get_page(request.GET.get("page"))
    return page(request, "corridor/audit/break_glass.html", {"page_obj": current, "query": ""})


@require_POST
@requires(Can.REVIEW_ACCESS)
def break_glass_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        breakglass.acknowledge(pk, by=request.user, note=request.POST.get("note", ""))
    except CorridorError as exc:
        messages.error(request, refusals.in_language(exc))
    else:
        messages.success(request, _("Break-glass access acknowledged."))
    return redirect("web:break_glass_list")


@requires(Can.BREAK_GLASS)
def patient_break_glass(request: HttpRequest, code: str) -> HttpResponse:
    """An admin or auditor asks, with a reason, to see one identity for a while; then sees the identity page."""
    patient = get_object_or_404(visible(Patient.objects.all(), request.user), code=code)

    def call(data: dict[str, Any]) -> str:
        breakglass.open_break_glass(patient, reason=data["reason"], by=request.user)
        return _("Break-glass access opened; the coordinators and auditors see it.")

    return form_page(
        request,
        forms.BreakGlassForm(request.POST or None),
        title=_("Break the glass for %(code)s") % {"code": patient.code},
        submit=_("Break the glass"),
        call=call,
        then=reverse("web:patient_identity", kwargs={"code": patient.code}),
        back=patient,
        level=messages.WARNING,
    )
