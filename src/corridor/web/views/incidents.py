"""Incidents from the workspace: record an attack on or obstruction of health care, and list a site's.

Thin edges over ``corridor.supplies.actions.incidents.record_incident``: the form checks what a form can, the
service checks the rest (the role, the site, a date not in the future) and writes the entry.
"""

from __future__ import annotations

import re

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
from corridor.register.models import Site
from corridor.register.scoping import sites_of_subjects
from corridor.reports import ssa, strings
from corridor.supplies import actions as supplies
from corridor.supplies.forms import IncidentForm
from corridor.web.access import requires
from corridor.web.forms import show_error
from corridor.web.views.common import current_site, evidence, page, user_sites
from corridor.web.views.ledger import subject_key

RECENT = 50
_CONCERNS = re.compile(r"[\s,،]+")  # Persian and Arabic commas too


def _concerned(form: IncidentForm, text: str, site: Site) -> list[str]:
    """The ledger subjects of the patients and trips typed (P-0042, T-12), each one of ``site``'s; a code
    that is not is put on the field (another site's looks like one that does not exist)."""
    subjects = []
    for code in (c for c in _CONCERNS.split(text) if c):
        subject = subject_key(code)
        if not subject.startswith(("patient:", "trip:")) or sites_of_subjects([subject]) != {site.pk}:
            form.add_error("concerns", _("%(code)s is not a patient or a trip of this site.") % {"code": code})
        elif subject not in subjects:
            subjects.append(subject)
    return subjects


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
        chosen = {s.code: s for s in sites}[data["site"]]  # the form offers only the user's own
        subjects = _concerned(form, data["concerns"], chosen)
        entry = None
        if not form.errors:
            try:
                entry = supplies.record_incident(
                    site=chosen,
                    kind=data["kind"],
                    resource=data["resource"],
                    description=data["description"],
                    on=data["on"],
                    subjects=subjects,
                    by=request.user,
                    **evidence(data),
                )
            except CorridorError as exc:
                show_error(form, exc)
        if entry is not None and can(request.user, Can.ADD_ATTACHMENTS):
            messages.success(request, _("The incident is recorded. Attach a photo, a recording or a document."))
            return redirect(reverse("web:ledger_entry", args=[entry.seq]) + f"#attach-{entry.seq}")
        if entry is not None:
            messages.success(request, _("The incident is recorded."))
            return redirect("web:incidents")
    return page(
        request,
        "corridor/incidents/new.html",
        {"form": form, "site": site, "no_site": not sites},
        status=422 if form.errors else 200,
    )
