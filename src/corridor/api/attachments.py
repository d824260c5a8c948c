"""Attachments: upload a file as evidence for a ledger entry, list an entry's files, fetch what may be shown.

The upload is multipart (one ``file`` field, plus ``source`` and ``certainty``). The caller's token and
role are checked, and the declared length weighed against the limits, before the body is read; Django
then spools the file to a temporary file inside the attachment store (never into memory, see
``FILE_UPLOAD_MAX_MEMORY_SIZE``) and the service reads it from there as a stream.
"""

from __future__ import annotations

import mimetypes
from typing import Any, BinaryIO, cast

from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_noop as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from corridor import vocabulary
from corridor.accounts.roles import Can
from corridor.errors import InvalidInput
from corridor.ledger import attachments
from corridor.ledger.catalogue import ATTACHMENT_SOURCES
from corridor.ledger.models import Attachment
from corridor.register.scoping import require_entry

from .core import acting, error_response, requires, responses
from .schemas import Purpose, Seq

router = Router()


class AttachmentOut(Schema):
    seq: int = Field(description="the attachment.added entry")
    hash: str = Field(description="that entry's hash")
    entry: int | None = Field(description="the entry the file is evidence for")
    sha256: str = Field(description="SHA-256 of the original bytes")
    bytes: int
    media_type: str = Field(description="detected from the content")
    kind: str = Field(description="image, video, audio or document")
    c2pa: str = Field(description="C2PA provenance found in the file: valid, invalid or none")
    proofmode: str = Field(
        description="a ProofMode proof bundle's hashes and OpenPGP signatures, checked against the bundled key: "
        "valid, invalid, unchecked (hashes match; a key certified only with SHA-1 cannot be checked) or none"
    )
    proofmode_reason: str | None = Field(description="why a ProofMode bundle is invalid or unchecked")
    has_derivative: bool = Field(description="whether a metadata-free image can be shown")
    recorded_by: str
    recorded_at: str


def attachment_out(item: Attachment) -> dict[str, Any]:
    return {
        "seq": item.added_id,
        "hash": item.added.hash,
        "entry": item.documents,
        "sha256": item.sha256,
        "bytes": item.size,
        "media_type": item.media_type,
        "kind": item.kind,
        "c2pa": item.c2pa,
        "proofmode": item.proofmode,
        "proofmode_reason": (item.added.payload.get("proofmode_detail") or {}).get("reason"),
        "has_derivative": bool(item.derivative),
        "recorded_by": item.added.recorded_by,
        "recorded_at": item.added.recorded_at,
    }


_UPLOAD = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "source", "certainty"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "the photo, video, audio, PDF or ProofMode proof bundle (zip)",
                        },
                        "source": {"type": "string", "enum": [str(s) for s in ATTACHMENT_SOURCES]},
                        "certainty": {"type": "string", "enum": list(vocabulary.codes("certainty"))},
                    },
                }
            }
        },
        "required": True,
    }
}


@router.post(
    "/ledger/{seq}/attachments",
    auth=requires(Can.ADD_ATTACHMENTS),
    response=responses(AttachmentOut, 201),
    tags=["attachments"],
    openapi_extra=_UPLOAD,
)
def add_attachment(request: HttpRequest, seq: Seq) -> Any:
    """Attach one file (multipart field ``file``) to entry ``seq`` as evidence: an ``attachment.added`` entry
    with its SHA-256, size and type detected from its content, never its name. The same file attached again
    to the same entry answers with the first attachment. Over the size limit of its kind, or of a type not
    accepted: refused, and nothing is kept."""
    user = acting(request, Can.ADD_ATTACHMENTS)
    refused = attachments.declared_too_large(request.META.get("CONTENT_LENGTH"))
    if refused:
        return error_response(request, 413, "too_large", refused)
    require_entry(user, seq)
    attachments.target(seq)
    files = request.FILES.getlist("file")
    if len(files) != 1:
        raise InvalidInput(
            _("send exactly one file in the multipart field 'file'"), "file", code="attachment.not_one_file"
        )
    upload = files[0]
    try:
        entry = attachments.attach(
            cast(BinaryIO, upload.file),
            entry=seq,
            by=user,
            source=request.POST.get("source", ""),
            certainty=request.POST.get("certainty", ""),
        )
    finally:
        upload.close()  # removes Django's spooled copy at once
    return Status(201, attachment_out(attachments.attachment_of(entry.seq)))


class AttachmentList(Schema):
    items: list[AttachmentOut]


@router.get("/ledger/{seq}/attachments", response=responses(AttachmentList), tags=["attachments"])
def list_attachments(request: HttpRequest, seq: Seq) -> dict[str, Any]:
    """The files attached to entry ``seq`` as evidence (their hashes, types and provenance; not their bytes)."""
    require_entry(acting(request, Can.READ_LEDGER), seq)
    items = Attachment.objects.filter(documents=seq).select_related("added").order_by("added_id")
    return {"items": [attachment_out(i) for i in items]}


def _stream(shown: attachments.Shown, name: str) -> HttpResponseBase:
    name += mimetypes.guess_extension(shown.media_type) or ""
    response = StreamingHttpResponse(shown.chunks, content_type=shown.media_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.get(
    "/attachments/{seq}/image",
    response=responses(None),
    tags=["attachments"],
    openapi_extra={"responses": {200: {"description": "a JPEG or PNG", "content": {"image/jpeg": {}}}}},
)
def get_derivative(request: HttpRequest, seq: Seq, thumbnail: bool = False) -> HttpResponseBase:
    """The image of attachment ``seq`` re-encoded without any metadata (or its 320-px thumbnail)."""
    user = acting(request, Can.VIEW_DERIVATIVES)
    require_entry(user, seq)
    shown = attachments.view_derivative(seq, by=user, thumbnail=thumbnail)
    return _stream(shown, f"attachment-{seq}{'-thumbnail' if thumbnail else ''}")


@router.get(
    "/attachments/{seq}/original",
    response=responses(None),
    tags=["attachments"],
    openapi_extra={"responses": {200: {"description": "the original bytes", "content": {"*/*": {}}}}},
)
def get_original(request: HttpRequest, seq: Seq, purpose: Purpose = "") -> HttpResponseBase:
    """The original bytes of attachment ``seq``, for roles that may see them; each download is recorded first
    as an ``attachment.viewed`` entry with its ``purpose``, which is required (422 without one), like a
    reading of a patient's identity."""
    user = acting(request, Can.VIEW_ORIGINALS)
    require_entry(user, seq)
    shown = attachments.view_original(seq, by=user, purpose=purpose)
    response = _stream(shown, f"attachment-{seq}")
    response["X-Corridor-Viewed-Entry"] = str(shown.viewed.seq if shown.viewed else "")
    return response
