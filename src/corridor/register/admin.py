from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from corridor.admin_base import ReadOnlyAdmin, ServiceAdmin
from corridor.register import services
from corridor.register.models import AccessRuleSet, Facility, Patient, PriorityClass, Referral, Scenario, Site


@admin.register(Site)
class SiteAdmin(ServiceAdmin):
    list_display = ("code", "name", "country", "population", "time_zone")
    fields = ("code", "name", "names", "country", "population", "time_zone")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code", "country") if obj else ()

    def apply(self, request: HttpRequest, obj: Any, data: dict[str, Any], change: bool) -> Any:
        if change:
            return services.change_site(
                obj,
                by=request.user,
                name=data["name"],
                names=data["names"] or {},
                population=data["population"],
                time_zone=data["time_zone"],
            )
        return services.create_site(
            code=data["code"],
            name=data["name"],
            names=data["names"] or {},
            country=data["country"],
            population=data["population"],
            time_zone=data["time_zone"],
            by=request.user,
        )


@admin.register(Facility)
class FacilityAdmin(ServiceAdmin):
    list_display = ("code", "name", "specialties", "travel_minutes")
    fields = ("code", "name", "names", "specialties", "opening_hours", "travel_minutes", "closed_dates")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj else ()

    def apply(self, request: HttpRequest, obj: Any, data: dict[str, Any], change: bool) -> Any:
        details = {k: data[k] for k in ("name", "specialties", "opening_hours", "travel_minutes", "closed_dates")}
        details["names"] = data["names"] or {}
        if change:
            return services.change_facility(obj, by=request.user, **details)
        return services.create_facility(code=data["code"], by=request.user, **details)


@admin.register(PriorityClass)
class PriorityClassAdmin(ServiceAdmin):
    list_display = ("code", "name", "deadline_days", "weight", "rank")
    fields = ("code", "name", "deadline_days", "weight", "rank")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj else ()

    def apply(self, request: HttpRequest, obj: Any, data: dict[str, Any], change: bool) -> Any:
        return services.set_priority_class(
            code=obj.code if change else data["code"],
            name=data["name"],
            deadline_days=data["deadline_days"],
            weight=data["weight"],
            rank=data["rank"],
            by=request.user,
        )


@admin.register(AccessRuleSet)
class AccessRuleSetAdmin(ServiceAdmin):
    """Rules are history: a change is a new rule set from a date, never an edit of an old one."""

    list_display = (
        "site",
        "effective_from",
        "effective_until",
        "max_patients_per_day",
        "max_facilities_per_day",
        "source",
        "certainty",
    )
    fields = (
        "site",
        "effective_from",
        "effective_until",
        "max_patients_per_day",
        "max_escorts_per_day",
        "max_facilities_per_day",
        "allowed_weekdays",
        "camp_chooses_patients",
        "camp_chooses_escorts",
        "camp_chooses_doctor",
        "camp_chooses_appointment_time",
        "camp_chooses_interpreter",
        "camp_chooses_nurse",
        "notes",
        "source",
        "certainty",
    )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def apply(self, request: HttpRequest, obj: Any, data: dict[str, Any], change: bool) -> Any:
        return services.set_access_rules(by=request.user, **{k: data[k] for k in self.fields})


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


@admin.register(Scenario)
class ScenarioAdmin(ReadOnlyAdmin):
    list_display = ("name", "today", "checksum")
