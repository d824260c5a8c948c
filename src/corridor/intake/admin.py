"""Refused field submissions in the admin, read-only: their problems and codes, for an admin to look into.

A refusal is settled only by recording the corrected submission (or leaving it out on the server), never
by hand here, so that nothing a monitor sent disappears without a trace.
"""

from __future__ import annotations

from django.contrib import admin

from corridor.admin_base import ReadOnlyAdmin
from corridor.intake.models import Refusal


@admin.register(Refusal)
class RefusalAdmin(ReadOnlyAdmin):
    list_display = ("source", "way", "instance_id", "form", "last_seen_at", "times", "settled_at")
    list_filter = ("source", "way", "form")
    search_fields = ("instance_id",)
    # Sealed: the stored text shows nothing to anyone; it is read through the audited path
    # (corridor.intake.servers.show_received), never here.
    exclude = ("data", "owner")
