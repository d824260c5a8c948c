"""Forms for companions: the roster, asking for a companion on a trip, and the authority's answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from corridor.ledger.catalogue import Source
from corridor.transfers.models import Companion, TripCompanion
from corridor.web.forms import DateInput, EvidenceForm, MomentForm, _choose


class CompanionForm(EvidenceForm):
    code = forms.CharField(label=_("Code"), max_length=32, help_text=_("Pseudonymous, e.g. C-0007. Never a name."))
    kind = forms.ChoiceField(label=_("Role"), choices=Companion.Kind.choices)
    registered_on = forms.DateField(label=_("Registered on"), widget=DateInput())
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    contact = forms.CharField(label=_("Contact"), max_length=200, required=False)

    field_order = ["code", "kind", "registered_on", "full_name", "contact"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].initial = Source.DOCUMENT

    def identity(self) -> dict[str, str] | None:
        name = self.cleaned_data.get("full_name") or ""
        return {"full_name": name, "contact": self.cleaned_data.get("contact") or ""} if name.strip() else None


class AskCompanionForm(MomentForm):
    """The camp asks for a companion to go with one patient on the trip."""

    for_patient = forms.ChoiceField(label=_("For patient"))
    companion = forms.ChoiceField(label=_("Companion"))
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    field_order = ["for_patient", "companion", "note", "time", "date"]

    def __init__(self, *args: Any, patients: list[str], companions: list[Companion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "for_patient", [(code, code) for code in patients])
        _choose(self, "companion", [(c.code, f"{c.code} · {c.get_kind_display()}") for c in companions])
        self.fields["source"].initial = Source.SYSTEM


class CompanionAnswerForm(MomentForm):
    """What the authority answered about one companion, and when."""

    companion = forms.ChoiceField(label=_("Companion"))
    answer = forms.ChoiceField(
        label=_("Answer"),
        choices=[c for c in TripCompanion.Answer.choices if c[0] != TripCompanion.Answer.PENDING],
    )
    note = forms.CharField(
        label=_("What was said"),
        max_length=2000,
        required=False,
        help_text=_("Who the authority sent instead, by role, never by name."),
    )

    field_order = ["companion", "answer", "note", "time", "date"]

    def __init__(self, *args: Any, asked: list[TripCompanion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(
            self,
            "companion",
            [(a.companion.code, f"{a.companion.code} · {a.get_role_display()} · {a.for_patient.code}") for a in asked],
        )
        self.fields["source"].initial = Source.OFFICIAL_STATEMENT
