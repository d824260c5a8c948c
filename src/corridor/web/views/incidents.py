"""Incidents from the workspace: record an attack on or obstruction of health care, and list a site's.

Thin edges over ``corridor.supplies.services.record_incident``: the form checks what a form can, the
service checks the rest (the role, the site, a date not in the future) and writes the entry.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from corridor import clock, sensitivity
from corridor.accounts.roles import Can, can
from corridor.errors import CorridorError
from corridor.ledger.models import Entry
from corridor.reports import ssa, strings
from corridor.supplies import services as supplies
from corridor.supplies.forms import IncidentForm
from corridor.web.access import requires
from corridor.web.forms import show_error
from corridor.web.views.common import current_site, page, user_sites

RECENT = 50


@requires(Can.READ_LEDGER)
def incident_list(request: HttpRequest) -> HttpResponse:
    """The site's recent incidents, newest first, each a link to its entry (and its attachments)."""
    site = current_site(request)
    rows = []
    language = (get_language() or "en").split("-")[0]
    if site is not None:
        entries = Entry.objects.filter(type="incident.recorded", subject_rows__key=f"site:{site.code}")
        for entry in sensitivity.redact_entries(entries.order_by("-seq")[:RECENT], request.user):
            payload = entry.fields["payload"]
            rows.append(
                {
                    "entry": entry,
                    "date": payload.get("date") or entry.occurred_at[:10],
                    # A kind or resource outside the SSA's lists is shown as recorded, never guessed.
                    "kind": strings.label("attack_type", ssa.attack_type(payload.get("kind")), language),
                    "resource": strings.label("resource", ssa.resource(payload.get("resource")), language),
                    "description": payload.get("description") or "",
                }
            )
    return page(
        request,
        "corridor/incidents/list.html",
        {"site": site, "rows": rows, "may_record": can(request.user, Can.RECORD_INCIDENTS)},
    )


@requires(Can.RECORD_INCIDENTS)
def incident_create(request: HttpRequest) -> HttpResponse:
    """Record an incident; then straight to its entry, whose Attach takes the photo while it is at hand."""
    sites = user_sites(request)
    site = current_site(request)
    form = IncidentForm(request.POST or None, initial={"on": clock.today(), "site": site.code if site else ""})
    form.fields["site"].choices = [(s.code, str(s)) for s in sites]  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = supplies.record_incident(
                site={s.code: s for s in sites}[data["site"]],  # the form offers only the user's own
                kind=data["kind"],
                resource=data["resource"],
                description=data["description"],
                on=data["on"],
                by=request.user,
                source=data["source"],
                certainty=data["certainty"],
            )
        except CorridorError as exc:
            show_error(form, exc)
        else:
            if can(request.user, Can.ADD_ATTACHMENTS):
                messages.success(request, _("The incident is recorded. Attach a photo, a recording or a document."))
                return redirect(reverse("web:ledger_entry", args=[entry.seq]) + f"#attach-{entry.seq}")
            messages.success(request, _("The incident is recorded."))
            return redirect("web:incidents")
    return page(
        request,
        "corridor/incidents/new.html",
        {"form": form, "site": site, "no_site": not sites},
        status=422 if form.errors else 200,
    )
