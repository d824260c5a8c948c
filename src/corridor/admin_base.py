"""Admin pages. Browsing is the admin's job; every change still goes through the services.

``ReadOnlyAdmin`` is for records that change only through the workspace's own screens (patients,
referrals, trips, the ledger). ``ServiceAdmin`` is for reference data the admin role maintains: its
forms call a service, once as a dry run while validating (so a refused change shows as a form error
and writes nothing) and once for real when saving, so the change and its ledger entry are one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from corridor.errors import CorridorError


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only pages, without the clinical or identifying fields for a role that may not read them."""

    def _withheld(self, request: HttpRequest) -> list[str]:
        from corridor import sensitivity

        label = self.model._meta.label
        return [
            f.name
            for f in self.model._meta.concrete_fields
            if not sensitivity.visible(sensitivity.field_class(label, f.name), request.user)
        ]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*(super().get_exclude(request, obj) or ()), *self._withheld(request)]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        withheld = set(self._withheld(request))
        return [f for f in super().get_fields(request, obj) if f not in withheld]

    def get_search_fields(self, request: HttpRequest) -> Any:
        # Searching a withheld field would tell, by what it finds, the text it holds.
        withheld = set(self._withheld(request))
        return [f for f in super().get_search_fields(request) if f.split("__")[0] not in withheld]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _DryRun(Exception):
    """Raised inside the validation transaction so that the service's writes are rolled back."""


class ServiceAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves call ``apply``; subclasses implement it with one service call."""

    def apply(self, request: HttpRequest, obj: Any, data: dict[str, Any], change: bool) -> Any:
        raise NotImplementedError

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # reference data others point to is never deleted; it is changed, with a ledger entry

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)
        admin_self = self

        class ServiceForm(base):  # type: ignore[misc, valid-type]
            def clean(self) -> dict[str, Any]:
                data: dict[str, Any] = super().clean()
                if self.errors:
                    return data
                try:
                    with transaction.atomic():
                        admin_self.apply(request, admin_self._fresh(obj), data, change)
                        raise _DryRun
                except _DryRun:
                    pass
                except CorridorError as exc:
                    field = getattr(exc, "field", None)
                    detail = getattr(exc, "detail", str(exc))
                    if field and field in self.fields:
                        self.add_error(field, detail)
                    else:
                        raise forms.ValidationError(str(exc)) from None
                return data

        for field in ServiceForm.base_fields.values():
            if isinstance(field, forms.JSONField):
                field.required = False  # an empty list or object is a value; the service says what is missing
        return ServiceForm

    @staticmethod
    def _fresh(obj: Any) -> Any:
        """The stored object: the form has already copied its new values onto the instance it was given."""
        return None if obj is None or obj.pk is None else type(obj).objects.get(pk=obj.pk)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = self.apply(request, self._fresh(obj) if change else None, form.cleaned_data, change)
        if saved is not None and saved is not obj:
            obj.pk = saved.pk
            obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # the service saved everything there is
