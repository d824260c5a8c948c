from django.contrib import admin

from corridor.admin_base import ReadOnlyAdmin
from corridor.register.models import AccessRuleSet, Facility, Patient, PriorityClass, Referral, Scenario, Site


@admin.register(Site)
class SiteAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "country", "population", "time_zone")


@admin.register(Facility)
class FacilityAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "specialties", "travel_minutes")


@admin.register(PriorityClass)
class PriorityClassAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "deadline_days", "weight", "rank")


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdmin):
    # Identity fields are deliberately absent: they are shown only on audited identity screens.
    list_display = ("code", "sex", "birth_year", "status", "depends_on_power", "synthetic")
    list_filter = ("status", "sex", "synthetic")
    search_fields = ("code",)


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("id", "patient", "specialty", "priority", "referral_date", "due_date", "status")
    list_filter = ("status", "priority", "specialty")
    search_fields = ("patient__code",)


@admin.register(AccessRuleSet)
class AccessRuleSetAdmin(ReadOnlyAdmin):
    list_display = (
        "site",
        "effective_from",
        "effective_until",
        "max_patients_per_day",
        "max_facilities_per_day",
    )


@admin.register(Scenario)
class ScenarioAdmin(ReadOnlyAdmin):
    list_display = ("name", "today", "checksum")
