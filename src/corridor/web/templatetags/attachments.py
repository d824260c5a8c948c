"""Template helpers for attached files: which entries take one, and their labels."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, gettext_lazy

from corridor.ledger.attachments import attachable as _attachable
from corridor.ledger.catalogue import ATTACHMENT_SOURCES, Certainty

register = template.Library()

KINDS = {
    "image": gettext_lazy("photo"),
    "video": gettext_lazy("video"),
    "audio": gettext_lazy("audio recording"),
    "document": gettext_lazy("document"),
    "bundle": gettext_lazy("ProofMode proof bundle"),
}
PROVENANCE = {
    "valid": gettext_lazy("C2PA provenance verifies"),
    "invalid": gettext_lazy("C2PA provenance does not verify"),
    "none": gettext_lazy("no provenance data"),
}
PROOFMODE = {
    "valid": gettext_lazy("ProofMode signatures verify"),
    "invalid": gettext_lazy("ProofMode signatures do not verify"),
    "unchecked": gettext_lazy("ProofMode signatures not checked (SHA-1 key)"),
}
SOURCES = tuple(str(s) for s in ATTACHMENT_SOURCES)
CERTAINTIES = tuple(Certainty.values)


@register.filter
def attachable(entry_type: str) -> bool:
    return _attachable(str(entry_type))


@register.filter
def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))


@register.filter
def provenance_label(status: str) -> str:
    return str(PROVENANCE.get(status, status))


@register.filter
def proofmode_label(status: str | None) -> str:
    """The ProofMode result of a bundle; empty for a file that is not one (or was recorded before bundles were)."""
    return str(PROOFMODE.get(str(status), ""))


@register.simple_tag
def attachment_sources() -> tuple[str, ...]:
    return SOURCES


@register.simple_tag
def attachment_certainties() -> tuple[str, ...]:
    return CERTAINTIES


@register.simple_tag
def photo_alt(seq: int) -> str:
    return gettext("Photo attached as entry %(seq)s, shown without its metadata") % {"seq": seq}
