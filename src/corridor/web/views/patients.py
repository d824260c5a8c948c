"""Patients and referrals: search by code, register, change, refer, close, record a death, the timeline.

Identity fields appear on one screen only, and each showing goes through ``view_identity`` so that the
ledger records who saw whose identity and when.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from corridor import clock, sensitivity
from corridor.accounts import breakglass
from corridor.accounts.roles import Can
from corridor.errors import CorridorError
from corridor.ledger import services as ledger
from corridor.register import erasure, name_index
from corridor.register import services as register
from corridor.register.crypto import is_erased
from corridor.register.models import Patient, Referral
from corridor.register.scoping import visible
from corridor.transfers import deaths
from corridor.transfers.models import Companion, TripPassenger
from corridor.web import forms
from corridor.web.access import allowed, refuse, requires
from corridor.web.views.common import current_site, evidence, form_page, page

PAGE_SIZE = 50


def _back(patient: Patient) -> str:
    return reverse("web:patient", kwargs={"code": patient.code})


@requires(None)
def patient_list(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    query = (request.GET.get("q") or "").strip()
    status = request.GET.get("status") or ""
    overdue_only = request.GET.get("overdue") == "1"
    waiting_q = Q(referrals__status=Referral.Status.WAITING)
    patients = (
        visible(Patient.objects.all(), request.user)
        .annotate(
            waiting=Count("referrals", filter=waiting_q),
            next_due=Min(Coalesce("referrals__follow_up_due", "referrals__due_date"), filter=waiting_q),
        )
        .order_by("code")
    )
    if query:
        patients = patients.filter(code__icontains=query)
    if status in Patient.Status.values:
        patients = patients.filter(status=status)
    if overdue_only:
        patients = patients.filter(next_due__lt=today).order_by("next_due", "code")
    pages = Paginator(patients, PAGE_SIZE)
    current = pages.get_page(request.GET.get("page"))
    rows = []
    for patient in current.object_list:
        due: dt.date | None = patient.next_due  # type: ignore[attr-defined]  # from annotate() above
        rows.append({"patient": patient, "days_late": (today - due).days if due and due < today else 0})
    if query and pages.count == 1 and not request.GET.get("page"):
        return redirect("web:patient", code=current.object_list[0].code)
    return page(
        request,
        "corridor/patients/list.html",
        {
            "rows": rows,
            "page_obj": current,
            "query": query,
            "status": status,
            "overdue_only": overdue_only,
            "statuses": Patient.Status.choices,
        },
    )


@requires(Can.SEE_IDENTITIES)
def patient_search_by_name(request: HttpRequest) -> HttpResponse:
    """GET asks for a name and why; POST searches (recorded as an ``identity.viewed`` entry when it
    shows names). A POST, so that the name searched for stays out of addresses and server logs."""
    form = forms.NameSearchForm(request.POST or None)
    found = None
    if request.method == "POST" and form.is_valid():
        try:
            matches = name_index.search_by_name(
                query=form.cleaned_data["query"], purpose=form.cleaned_data["purpose"], by=request.user
            )
        except CorridorError as exc:
            forms.show_error(form, exc)
        else:
            # The status or role as its label in the page's language; the service gives codes.
            labels = {**dict(Patient.Status.choices), **dict(Companion.Kind.choices)}
            found = [{"match": m, "detail": labels.get(m.detail, m.detail)} for m in matches]
    return page(request, "corridor/patients/by_name.html", {"form": form, "found": found})


@requires(None)
def patient_detail(request: HttpRequest, code: str) -> HttpResponse:
    patient = get_object_or_404(visible(Patient.objects.select_related("site"), request.user), code=code)
    today = clock.today()
    referrals = list(
        patient.referrals.select_related("priority").prefetch_related("eligible_facilities").order_by("referral_date")
    )
    for referral in referrals:
        referral.days_late = (  # type: ignore[attr-defined]
            (today - referral.deadline).days
            if referral.status == Referral.Status.WAITING and referral.deadline < today
            else 0
        )
    places = (
        TripPassenger.objects.filter(patient=patient).select_related("trip", "trip__facility").order_by("trip__date")
    )
    return page(
        request,
        "corridor/patients/detail.html",
        {
            "patient": patient,
            "site": patient.site,
            "referrals": referrals,
            "places": places,
            "timeline": sensitivity.redact_entries(ledger.entries_about(f"patient:{patient.code}"), request.user),
            "death_form": forms.DeathForm(initial={"on": today, "source": "witness"}),
            "erasure": erasure.standing(patient),
        },
    )


@requires(Can.MANAGE_PATIENTS)
def patient_create(request: HttpRequest) -> HttpResponse:
    site = current_site(request)
    form = forms.PatientForm(request.POST or None, initial={"registered_on": clock.today(), "source": "document"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if site is None:
            form.add_error(None, _("Add a site first (administration)."))
        else:
            try:
                patient = register.register_patient(
                    site=site,
                    code=data["code"],
                    registered_on=data["registered_on"],
                    sex=data["sex"],
                    birth_year=data["birth_year"],
                    depends_on_power=data["depends_on_power"],
                    identity={"full_name": data["full_name"], "contact": data["contact"], "notes": data["notes"]},
                    by=request.user,
                    **evidence(data),
                )
            except CorridorError as exc:
                forms.show_error(form, exc)
            else:
                messages.success(request, _("Patient %(code)s registered.") % {"code": patient.code})
                return redirect("web:patient", code=patient.code)
    return page(
        request,
        "corridor/form.html",
        {"form": form, "title": _("Register a patient"), "submit": _("Register")},
        status=422 if form.errors else 200,
    )


@requires(Can.MANAGE_PATIENTS)
def patient_edit(request: HttpRequest, code: str) -> HttpResponse:
    patient = get_object_or_404(visible(Patient.objects.all(), request.user), code=code)
    initial = {"sex": patient.sex, "birth_year": patient.birth_year, "depends_on_power": patient.depends_on_power}
    form = forms.PatientEditForm(request.POST or None, initial=initial)

    def call(data: dict[str, Any]) -> str:
        register.change_patient(
            patient,
            by=request.user,
            sex=data["sex"],
            birth_year=data["birth_year"],
            depends_on_power=data["depends_on_power"],
        )
        return _("Changes saved.")

    title = _("Change %(code)s") % {"code": patient.code}
    return form_page(request, form, title=title, submit=_("Save"), call=call, then=_back(patient), back=patient)


@requires(None)
def patient_identity(request: HttpRequest, code: str) -> HttpResponse:
    """GET asks why; POST records the viewing in the ledger and shows the identity.

    Roles that see identities may open it; an admin or auditor only under an open break-glass grant.
    """
    patient = get_object_or_404(visible(Patient.objects.all(), request.user), code=code)
    grant = None
    if not allowed(request.user, Can.SEE_IDENTITIES):
        grant = breakglass.active_grant(request.user, patient)
        if grant is None:
            return refuse(request)
    form = forms.PurposeForm(request.POST or None)
    identity = None
    if request.method == "POST" and form.is_valid():
        try:
            identity = register.view_identity(patient, by=request.user, purpose=form.cleaned_data["purpose"])
        except CorridorError as exc:
            forms.show_error(form, exc)
    return page(
        request,
        "corridor/patients/identity.html",
        {
            "patient": patient,
            "form": form,
            "identity": identity,
            "shown": request.method == "POST" and not form.errors,
            "grant": grant,
        },
    )


@requires(Can.MANAGE_PATIENTS)
def identity_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Change identity fields. The form shows the current values, so opening it is a recorded viewing."""
    patient = get_object_or_404(visible(Patient.objects.all(), request.user), code=code)
    if not allowed(request.user, Can.SEE_IDENTITIES):
        return refuse(request)
    if is_erased(patient):  # nothing can be kept for them again: no form to fill in vain
        messages.error(request, _("This person's identity was erased: it can no longer be read."))
        return redirect("web:patient", code=patient.code)
    if request.method == "POST":
        form = forms.IdentityForm(request.POST)
    else:
        current = register.view_identity(patient, by=request.user, purpose="edit")
        initial: dict[str, Any] = (
            {"full_name": current.full_name, "contact": current.contact, "notes": current.notes} if current else {}
        )
        form = forms.IdentityForm(initial=initial)

    def call(data: dict[str, Any]) -> str:
        register.change_identity(patient, identity=data, by=request.user)
        return _("Identity changed.")

    title = _("Identity of %(code)s") % {"code": patient.code}
    return form_page(request, form, title=title, submit=_("Save"), call=call, then=_back(patient), back=patient)


@requires(Can.MANAGE_REFERRALS)
def referral_create(request: HttpRequest, code: str) -> HttpResponse:
    patient = get_object_or_404(visible(Patient.objects.all(), request.user), code=code)
    form = forms.ReferralForm(request.POST or None, initial={"referral_date": clock.today()})

    def call(data: dict[str, Any]) -> str:
        register.create_referral(
            patient=patient,
            specialty=data["specialty"],
            priority=data["priority"],
            referral_date=data["referral_date"],
            eligible_facilities=data["eligible_facilities"],
            diagnosis_icd10=data["diagnosis_icd10"],
            diagnosis=data["diagnosis"],
            fit_to_travel_from=data["fit_to_travel_from"],
            by=request.user,
            **evidence(data),
        )
        return _("Referral recorded.")

    title = _("Refer %(code)s") % {"code": patient.code}
    return form_page(request, form, title=title, submit=_("Refer"), call=call, then=_back(patient), back=patient)


@requires(Can.MANAGE_REFERRALS)
def referral_close(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(visible(Referral.objects.select_related("patient"), request.user), pk=pk)
    form = forms.CloseReferralForm(request.POST or None, initial={"on": clock.today(), "source": "document"})

    def call(data: dict[str, Any]) -> str:
        register.close_referral(
            referral,
            reason=data["reason"],
            on=data["on"],
            note=data["note"],
            by=request.user,
            **evidence(data),
        )
        return _("Referral closed.")

    patient = referral.patient
    title = _("Close referral %(number)s of %(code)s") % {"number": referral.pk, "code": patient.code}
    submit = _("Close the referral")
    return form_page(request, form, title=title, submit=submit, call=call, then=_back(patient), back=patient)


@require_POST
@requires(Can.RECORD_INCIDENTS)
def patient_death(request: HttpRequest, code: str) -> HttpResponse:
    patient = get_object_or_404(visible(Patient.objects.all(), request.user), code=code)
    form = forms.DeathForm(request.POST)

    def call(data: dict[str, Any]) -> str:
        death = deaths.record_death(
            patient,
            on=data["on"],
            circumstances=data["circumstances"],
            after_denied_care=data["after_denied_care"],
            by=request.user,
            **evidence(data),
        )
        said = [_("The death of %(code)s is recorded.") % {"code": patient.code}]
        if death.taken_off:
            said.append(_("Taken off trips: %(trips)s.") % {"trips": ", ".join(t.code for t in death.taken_off)})
        if death.cancelled:
            said.append(
                _("Cancelled, nobody being left on them: %(trips)s.")
                % {"trips": ", ".join(t.code for t in death.cancelled)}
            )
        return " ".join(said)

    title = _("Record the death of %(code)s") % {"code": patient.code}
    submit = _("Record the death")
    return form_page(request, form, title=title, submit=submit, call=call, then=_back(patient), back=patient)
