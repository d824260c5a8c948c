"""The supplies pages: thin views that read through :mod:`corridor.supplies.queries` or call one service.

Each page checks the role again (the services check it first): any role may read; recording needs the
capability the service asks for.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms as django_forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from corridor import clock
from corridor.accounts.roles import Can, can, roles_of
from corridor.errors import NotFound
from corridor.register.models import Patient, Site
from corridor.register.scoping import visible
from corridor.supplies import actions as supplies
from corridor.supplies import display, forms, queries
from corridor.supplies.models import Delivery, Dependence, Generator, PowerDay, SupplyItem
from corridor.web import l10n
from corridor.web.views.common import evidence, form_page

V = TypeVar("V", bound=Callable[..., HttpResponse])


def requires(*capabilities: Can) -> Callable[[V], V]:
    """Signed in, then any role (no capability named) or one of ``capabilities``; else 403."""

    def decorate(view: V) -> V:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = any(can(user, c) for c in capabilities) if capabilities else bool(roles_of(user))
            if not allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _site(request: HttpRequest) -> Site | None:
    """The site asked for among the user's own, else their first; None when they work at none."""
    code = request.GET.get("site") or request.POST.get("site")
    sites = visible(Site.objects.order_by("code"), request.user)
    return (sites.filter(code=code).first() if code else None) or sites.first()


def _may(user: Any) -> dict[str, bool]:
    return {
        "count": can(user, Can.MANAGE_TRIPS),
        "gate": can(user, Can.RECORD_GATE),
        "blocked": can(user, Can.RECORD_INCIDENTS),
        "incidents": can(user, Can.READ_LEDGER),
        "dependences": can(user, Can.MANAGE_PATIENTS) or can(user, Can.MANAGE_REFERRALS),
    }


@requires()
def status(request: HttpRequest) -> HttpResponse:
    """Every item with its chart, the alerts, power, the patients at risk, deliveries and the month."""
    site = _site(request)
    today = clock.today()
    context: dict[str, Any] = {"site": site, "today": today, "may": _may(request.user)}
    if site is not None:
        statuses = queries.status(site, today)
        items = {i.code: i for i in SupplyItem.objects.filter(site=site)}
        deliveries = Delivery.objects.filter(site=site).select_related("item").order_by("-requested_on", "-id")
        context |= {
            "rows": [{"status": s, "svg": display.item_chart(items[s.code], s, today, width=300)} for s in statuses],
            "alerts": queries.alerts(site, today, statuses),
            "alert_days": queries.alert_days(),
            "risks": queries.patients_at_risk(site, today, statuses),
            "power": queries.power(site, today, statuses),
            "power_days": PowerDay.objects.filter(generator__site=site, on__lte=today)
            .select_related("generator")
            .order_by("-on")[:14],
            "pending": deliveries.filter(status=Delivery.Status.REQUESTED),
            "deliveries": deliveries.exclude(status=Delivery.Status.REQUESTED)[:25],
            "month": queries.month_figures(site, today.year, today.month, today),
            "names": {code: item.name_in(get_language()) for code, item in items.items()},
        }
    return render(request, "supplies/status.html", context)


def _form_page(
    request: HttpRequest,
    form: django_forms.Form,
    title: str,
    submit: str,
    call: Callable[[dict[str, Any]], str],
    then: str | Callable[[], str] | None = None,
) -> HttpResponse:
    """A supplies form: the workspace's one form page, back to the supplies page once done."""
    return form_page(
        request,
        form,
        title=title,
        submit=submit,
        call=call,
        then=then or reverse("supplies:status"),
        template="supplies/form.html",
    )


def _initial(request: HttpRequest) -> dict[str, Any]:
    return {"on": clock.today()}


def _plain_day(day: dt.date) -> str:
    """A day as the reader's language writes it, in plain text for a title (which has no <time> markup)."""
    language = get_language()
    return l10n.solar_hijri(day) if l10n.base(language) == "fa" else l10n.gregorian(day, language)


def _dependence_words(patient: Patient, item: SupplyItem) -> dict[str, str]:
    """The patient and the item of a dependence, as its pages' titles and messages name them."""
    return {"patient": patient.code, "item": item.name_in(get_language())}


def _get_site(request: HttpRequest) -> Site:
    site = _site(request)
    if site is None:
        raise PermissionDenied("no site of yours is registered yet")
    return site


@requires(Can.MANAGE_TRIPS)
def record_count(request: HttpRequest) -> HttpResponse:
    site = _get_site(request)
    form = forms.CountForm(request.POST or None, site=site, initial=_initial(request))

    def call(data: dict[str, Any]) -> str:
        item = supplies.get_item(site, data["item"])
        record = supplies.record_count(
            item=item,
            on=data["on"],
            quantity=data["quantity"],
            unit=data["unit"] or item.unit,
            note=data["note"],
            by=request.user,
            **evidence(data),
        )
        return _("The count of %(item)s is recorded: %(n)s %(unit)s.") % {
            "item": item.name,
            "n": f"{record.quantity:g}",
            "unit": item.unit,
        }

    return _form_page(request, form, _("Record a stock count"), _("Record the count"), call)


@requires(Can.MANAGE_TRIPS)
def record_adjustment(request: HttpRequest) -> HttpResponse:
    site = _get_site(request)
    form = forms.AdjustmentForm(request.POST or None, site=site, initial=_initial(request))

    def call(data: dict[str, Any]) -> str:
        item = supplies.get_item(site, data["item"])
        supplies.record_adjustment(
            item=item,
            on=data["on"],
            quantity=data["quantity"],
            unit=data["unit"] or item.unit,
            reason=data["reason"],
            by=request.user,
            **evidence(data),
        )
        return _("The adjustment of %(item)s is recorded.") % {"item": item.name}

    return _form_page(request, form, _("Record a loss or a stock found"), _("Record the adjustment"), call)


@requires(Can.MANAGE_TRIPS)
def request_delivery(request: HttpRequest) -> HttpResponse:
    site = _get_site(request)
    form = forms.RequestForm(request.POST or None, site=site, categories=True, initial=_initial(request))

    def call(data: dict[str, Any]) -> str:
        delivery = supplies.request_delivery(
            site=site,
            item=data["item"],
            on=data["on"],
            quantity=data["quantity"],
            unit=data["unit"],
            by=request.user,
            **evidence(data),
        )
        return _("Delivery %(n)s is recorded as requested.") % {"n": delivery.pk}

    return _form_page(request, form, _("Record a delivery requested"), _("Record the request"), call)


@requires(Can.RECORD_GATE)
def answer_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(visible(Delivery.objects.all(), request.user), pk=pk)
    form = forms.AnswerForm(request.POST or None, initial=_initial(request))

    def call(data: dict[str, Any]) -> str:
        supplies.decide_delivery(
            delivery,
            status=data["status"],
            on=data["on"],
            quantity_allowed=data["quantity_allowed"],
            reason=data["reason"],
            by=request.user,
            **evidence(data),
        )
        return _("The gate's answer to delivery %(n)s is recorded.") % {"n": delivery.pk}

    language = get_language()
    what = delivery.item.name_in(language) if delivery.item else delivery.get_category_display()
    title = _("What the gate did with delivery %(n)s (%(what)s, requested %(on)s)") % {
        "n": l10n.digits(str(delivery.pk), language),
        "what": what,
        "on": _plain_day(delivery.requested_on),
    }
    return _form_page(request, form, title, _("Record the answer"), call)


@requires(Can.RECORD_INCIDENTS)
def record_blocked(request: HttpRequest) -> HttpResponse:
    site = _get_site(request)
    form = forms.BlockedForm(request.POST or None, site=site, categories=True, initial=_initial(request))

    recorded: list[int] = []

    def call(data: dict[str, Any]) -> str:
        entry = supplies.record_blocked_delivery(
            site=site,
            item=data["item"],
            on=data["on"],
            quantity=data["quantity"],
            unit=data["unit"],
            reason=data["reason"],
            by=request.user,
            **evidence(data),
        )
        recorded.append(entry.seq)
        if can(request.user, Can.ADD_ATTACHMENTS):
            return _("The blocked delivery is recorded. Attach a photo of the refusal or a document below.")
        return _("The blocked delivery is recorded.")

    def then() -> str:
        if recorded and can(request.user, Can.ADD_ATTACHMENTS):
            # Straight to the entry, whose Attach action takes the photo of the refusal while it is at hand.
            return reverse("web:ledger_entry", args=[recorded[0]]) + f"#attach-{recorded[0]}"
        return reverse("supplies:status")

    return _form_page(request, form, _("Record a delivery blocked at the gate"), _("Record it"), call, then)


@requires(Can.MANAGE_PATIENTS, Can.MANAGE_REFERRALS)
def record_dependence(request: HttpRequest) -> HttpResponse:
    site = _get_site(request)
    form = forms.DependenceForm(request.POST or None, site=site, initial={"since": clock.today()})

    def call(data: dict[str, Any]) -> str:
        code = data["patient"].strip()
        patient = Patient.objects.filter(site=site, code=code).first()
        if patient is None:  # another site's patient is answered as one that does not exist
            raise NotFound(_("no patient with code %(patient)r"), code="patient.not_found", patient=code)
        item = supplies.get_item(site, data["item"])
        supplies.record_dependence(
            patient=patient,
            item=item,
            need=data["need"],
            since=data["since"],
            daily_quantity=data["daily_quantity"],
            by=request.user,
            **evidence(data),
        )
        return _("%(patient)s's dependence on %(item)s is recorded.") % _dependence_words(patient, item)

    return _form_page(request, form, _("Record a patient's dependence on a supply"), _("Record it"), call)


@requires(Can.MANAGE_PATIENTS, Can.MANAGE_REFERRALS)
def end_dependence(request: HttpRequest, pk: int) -> HttpResponse:
    # Another site's dependence is answered as one that does not exist, so its number tells nothing; so is
    # one already ended, which has nothing left to end.
    open_ones = Dependence.objects.filter(until__isnull=True).select_related("patient__site", "item")
    dependence = get_object_or_404(visible(open_ones, request.user), pk=pk)
    patient, item = dependence.patient, dependence.item
    form = forms.EndDependenceForm(request.POST or None, initial=_initial(request))

    def call(data: dict[str, Any]) -> str:
        supplies.end_dependence(dependence, on=data["on"], reason=data["reason"], by=request.user, **evidence(data))
        return _("%(patient)s's dependence on %(item)s is recorded as ended.") % _dependence_words(patient, item)

    title = _("End %(patient)s's dependence on %(item)s (since %(since)s)") % {
        **_dependence_words(patient, item),
        "since": _plain_day(dependence.since),
    }
    # Back to the dependence's own site: a user of several sites is otherwise shown the first of them.
    then = reverse("supplies:status") + "?" + urlencode({"site": patient.site.code})
    return _form_page(request, form, title, _("Record the end"), call, then)


@requires(Can.MANAGE_TRIPS)
def record_power(request: HttpRequest) -> HttpResponse:
    site = _get_site(request)
    form = forms.PowerForm(request.POST or None, site=site, initial=_initial(request))

    def call(data: dict[str, Any]) -> str:
        generator = get_object_or_404(Generator, site=site, code=data["generator"])
        day = supplies.record_power_day(
            generator=generator,
            on=data["on"],
            hours_run=data["hours_run"],
            fuel_used=data["fuel_used"],
            outage_hours=data["outage_hours"],
            note=data["note"],
            by=request.user,
            **evidence(data),
        )
        unknown = _("not recorded")
        return _("%(code)s on %(on)s: hours run %(hours)s, without power %(outage)s.") % {
            "code": generator.code,
            "on": day.on,
            "hours": unknown if day.hours_run is None else f"{day.hours_run:g}",
            "outage": unknown if day.outage_hours is None else f"{day.outage_hours:g}",
        }

    return _form_page(request, form, _("Record a day of power"), _("Record the day"), call)
