from django.contrib import admin

from corridor.admin_base import ReadOnlyAdmin
from corridor.ledger.models import Entry


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "type", "occurred_at", "recorded_by", "source", "certainty", "corrects", "hash")
    list_filter = ("type", "source", "certainty")
    search_fields = ("body",)
