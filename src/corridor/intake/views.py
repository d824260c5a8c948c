"""The upload page: a monitor or coordinator imports an export, and sees the same report as the CLI prints."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from corridor import refusals
from corridor.accounts.roles import Can, can
from corridor.errors import CorridorError, InvalidInput, NotAllowed, NotFound

# The importers, readers and shipped forms are loaded by the first intake page, not by every server
# process at start-up (tests/test_footprint.py): most workers never import a field export.


def _platforms() -> list[tuple[str, str]]:
    from corridor.intake.services import PLATFORMS

    return list(PLATFORMS.items())


class UploadForm(forms.Form):
    platform = forms.ChoiceField(label=_("Exported from"), choices=_platforms, widget=forms.RadioSelect, initial="kobo")
    file = forms.FileField(
        label=_("Export file"),
        help_text=_("KoBoToolbox: XLSX, JSON or CSV. ODK Central: the ZIP of CSV files, or one CSV."),
    )
    dry_run = forms.BooleanField(label=_("Only check it; write nothing"), required=False)


def _base() -> str:
    """The workspace's page frame when it is installed, else a plain one of this app's own."""
    try:
        get_template("corridor/base.html")
    except TemplateDoesNotExist:
        return "intake/base.html"
    return "corridor/base.html"


def _page(request: HttpRequest, template: str, context: dict[str, object], status: int = 200) -> HttpResponse:
    from corridor.intake import servers
    from corridor.intake.forms import FORMS, in_language
    from corridor.intake.xlsform import filename

    language = get_language()
    forms_list = [(form, filename(form), in_language(form.title, language)) for form in FORMS.values()]
    pulls = servers.last_pulls()
    sources = [(source, pulls.get(source.name)) for source in servers.configured()]
    automatic = {
        "sources": sources,
        "refusals": servers.open_refusals(),
        "may_read_received": can(request.user, Can.SEE_IDENTITIES),
        "zone": _zone(request),
    }
    return render(request, template, {"base": _base(), "forms": forms_list, **automatic, **context}, status=status)


def _zone(request: HttpRequest) -> str:
    """The time zone of the site the reader is working in, as the workspace's pages say times."""
    from corridor.web.views.common import current_site

    site = current_site(request) if request.user.is_authenticated else None
    return site.time_zone if site else "UTC"


def _refuse(request: HttpRequest) -> HttpResponse:
    return _page(request, "intake/refused.html", {}, status=403)


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """GET: the upload form and the forms to download. POST: import, and show the report."""
    from corridor.intake.readers import MAX_BYTES
    from corridor.intake.services import import_export

    if not can(request.user, Can.RECORD_GATE):
        return _refuse(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _page(request, "intake/upload.html", {"form": form}, status=400 if request.method == "POST" else 200)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_BYTES:
        form.add_error("file", _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
        return _page(request, "intake/upload.html", {"form": form}, status=400)
    try:
        report = import_export(
            upload.read(),
            platform=form.cleaned_data["platform"],
            filename=upload.name or "",
            by=request.user,
            dry_run=form.cleaned_data["dry_run"],
        )
    except NotAllowed:
        return _refuse(request)
    except InvalidInput as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, refusals.in_language(exc))
        else:
            form.add_error("file", refusals.in_language(exc))
        return _page(request, "intake/upload.html", {"form": form}, status=400)
    return _page(request, "intake/result.html", {"report": report, "form": UploadForm()})


@login_required
def form_file(request: HttpRequest, form_id: str) -> HttpResponse:
    """One of the shipped XLSForms, to upload to KoBoToolbox or ODK Central."""
    from corridor.intake.forms import FORMS
    from corridor.intake.xlsform import filename, shipped

    if not can(request.user, Can.RECORD_GATE):
        return _refuse(request)
    found = next((form for form in FORMS.values() if form.form_id == form_id), None)
    if found is None:
        raise Http404("no such form")
    response = HttpResponse(
        shipped(found), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename(found)}"'
    return response


class PurposeForm(forms.Form):
    purpose = forms.CharField(
        label=_("Why do you need to see it?"), max_length=200, help_text=_("Recorded in the ledger with your name.")
    )


@login_required
def received(request: HttpRequest, refusal_id: int) -> HttpResponse:
    """GET asks why; POST records the showing (``identity.viewed``) and shows what the server sent.

    A refused submission holds what was typed at the gate, so only a role that sees identities reads it,
    each time with a purpose; everyone else sees its problems on the intake page."""
    from corridor.intake import sealing, servers
    from corridor.intake.models import Refusal

    if not can(request.user, Can.SEE_IDENTITIES):
        return _page(request, "intake/refused.html", {"identities": True}, status=403)
    refusal = Refusal.objects.filter(pk=refusal_id).first()
    if refusal is None:
        raise Http404("no such refused submission")
    form = PurposeForm(request.POST or None)
    shown: str | None = None
    erased = False
    if request.method == "POST" and form.is_valid():
        try:
            value = servers.show_received(refusal_id, by=request.user, purpose=form.cleaned_data["purpose"])
        except NotFound:
            raise Http404("no such refused submission") from None
        except CorridorError as exc:
            form.add_error("purpose", refusals.in_language(exc))
        else:
            erased = value is sealing.ERASED
            shown = "—" if value is None or erased else json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
    return _page(request, "intake/received.html", {"refusal": refusal, "form": form, "shown": shown, "erased": erased})


PUSH_SECRET_HEADER = "X-Corridor-Secret"


@csrf_exempt
@require_POST
def push(request: HttpRequest, source: str) -> HttpResponse:
    """KoBoToolbox's REST Service posts one submission here (JSON), with the source's secret in a header.

    2xx only once the submission is recorded, or kept as refused for coordinators to see; anything else
    (the database unreachable) is an error KoBoToolbox retries. The secret is never logged.
    """
    from corridor.intake import servers

    try:
        chosen = servers.pushing_source(source, request.headers.get(PUSH_SECRET_HEADER))
    except NotFound as exc:
        return JsonResponse({"error": refusals.in_language(exc), "code": exc.code}, status=404)
    except NotAllowed as exc:
        return JsonResponse({"error": refusals.in_language(exc), "code": exc.code}, status=401)
    outcome = servers.receive_push(chosen, request.body)
    return JsonResponse(outcome.as_json(), status=201 if outcome.status == "imported" else 200)
