from django.contrib import admin

from corridor.admin_base import ReadOnlyAdmin
from corridor.transfers.models import Trip, TripPassenger


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
