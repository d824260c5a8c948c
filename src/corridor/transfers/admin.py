from django.contrib import admin

from corridor.admin_base import ReadOnlyAdmin
from corridor.transfers.models import GateTap, Trip, TripPassenger


class PassengerInline(admin.TabularInline):
    model = TripPassenger
    fields = ("patient", "role", "referral", "outcome", "removed")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Trip)
class TripAdmin(ReadOnlyAdmin):
    list_display = ("id", "date", "facility", "status", "gate_arrived_at", "gate_released_at")
    list_filter = ("status", "facility")
    inlines = [PassengerInline]


@admin.register(GateTap)
class GateTapAdmin(ReadOnlyAdmin):
    """The keys of taps sent from phones' outboxes: read-only, written only with their ledger entries."""

    list_display = ("key", "trip", "step", "tapped_at", "received_at", "recorded_by")
    list_filter = ("step",)
