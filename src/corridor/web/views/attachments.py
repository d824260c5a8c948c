"""Attach a file to a ledger entry from the phone, and show what each role may see of attached files.

Thin edges over ``corridor.ledger.attachments``. The upload view checks the role before anything reads
the request body, and only then Django's CSRF check (which reads the form): a visitor who may not
attach never gets an upload spooled to disk.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from corridor import refusals
from corridor.accounts.roles import Can
from corridor.errors import CorridorError, NotFound
from corridor.ledger import attachments
from corridor.register.scoping import require_entry
from corridor.web import forms
from corridor.web.access import requires
from corridor.web.forms import PurposeForm
from corridor.web.views.common import page


def _back(request: HttpRequest, seq: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:ledger_entry", args=[seq])
    return redirect(target)


@csrf_exempt  # checked below, once the role is known to allow an upload
@require_POST
@requires(Can.ADD_ATTACHMENTS)
def attachment_add(request: HttpRequest, seq: int) -> HttpResponse:
    refused = attachments.declared_too_large(request.META.get("CONTENT_LENGTH"))
    if refused:
        return HttpResponse(refused, status=413, content_type="text/plain; charset=utf-8")
    try:
        require_entry(request.user, seq)
        attachments.target(seq)
    except NotFound:
        return HttpResponse(status=404)
    except CorridorError as exc:
        return HttpResponse(refusals.in_language(exc), status=422, content_type="text/plain; charset=utf-8")
    csrf = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, None, (), {})  # type: ignore[arg-type]
    if csrf is not None:
        return csrf
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a photo, video, recording or document to attach."))
        return _back(request, seq)
    try:
        entry = attachments.attach(
            upload.file,  # type: ignore[arg-type]
            entry=seq,
            by=request.user,
            source=request.POST.get("source", "media"),
            certainty=request.POST.get("certainty", "confirmed"),
        )
    except CorridorError as exc:
        messages.error(request, refusals.in_language(exc))
        return _back(request, seq)
    finally:
        upload.close()
    messages.success(request, _("Attached as entry %(seq)s.") % {"seq": entry.seq})
    return _back(request, seq)


def _stream(shown: attachments.Shown, disposition: str) -> HttpResponse:
    response = StreamingHttpResponse(shown.chunks, content_type=shown.media_type)
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    # Streamed, so a video is never held whole in memory; the views' decorators only need a response.
    return cast(HttpResponse, response)


@require_GET
@requires(Can.VIEW_DERIVATIVES)
def attachment_image(request: HttpRequest, seq: int) -> HttpResponse:
    """The image re-encoded without metadata (``?thumbnail=1``: its thumbnail)."""
    try:
        require_entry(request.user, seq)
        shown = attachments.view_derivative(seq, by=request.user, thumbnail=request.GET.get("thumbnail") == "1")
    except NotFound:
        return HttpResponse(status=404)
    return _stream(shown, "inline")


@require_http_methods(["GET", "POST"])
@requires(Can.VIEW_ORIGINALS)
def attachment_original(request: HttpRequest, seq: int) -> HttpResponse:
    """GET asks why; POST records the viewing with that purpose (``attachment.viewed``), then gives the
    original bytes as a download, as the reading of an identity is asked for and recorded."""
    try:
        require_entry(request.user, seq)
        attachments.attachment_of(seq)
    except NotFound:
        return HttpResponse(status=404)
    form = PurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            shown = attachments.view_original(seq, by=request.user, purpose=form.cleaned_data["purpose"])
        except NotFound:
            return HttpResponse(status=404)
        except CorridorError as exc:
            forms.show_error(form, exc)
        else:
            return _stream(shown, f'attachment; filename="attachment-{seq}"')
    return page(
        request,
        "corridor/form.html",
        {
            "form": form,
            "title": _("Download the original of attachment %(seq)s") % {"seq": seq},
            "notice": _("The original may show faces, voices and where and when it was taken."),
            "submit": _("Download the original"),
        },
        status=422 if request.method == "POST" else 200,
    )
